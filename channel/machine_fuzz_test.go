package channel

import (
	"encoding/binary"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// FuzzMachineMessages feeds alice an arbitrary sequence of inputs mixed
// with an honest bob's: messages decoded from the fuzzer's bytes, bob's
// own messages, local commands. Alice must never panic, never break
// balance conservation in any commitment she holds, and never sign or
// send an update once the channel failed.
//
// The input is a sequence of chunks: one op byte, then for op 0 a u16
// length and that many bytes of a wire message (type and payload).
func FuzzMachineMessages(f *testing.F) {
	// Seeds: real messages of a payment dance, as bob would send them.
	sp := newSimPair(f, pairOpts{push: 2_000_000_000})
	sp.add(sp.b, 20_000_000)
	sp.sign(sp.b)
	sp.b.flush()
	var seed []byte
	for _, m := range sp.b.out {
		b, err := wire.EncodeMessage(m)
		if err != nil {
			f.Fatal(err)
		}
		seed = append(seed, 0)
		seed = binary.BigEndian.AppendUint16(seed, uint16(len(b)))
		seed = append(seed, b...)
	}
	f.Add(seed)
	f.Add([]byte{1, 2, 2, 3, 3, 4, 2, 3, 5, 2})
	f.Add(append([]byte{1, 2}, seed...))

	f.Fuzz(func(t *testing.T, data []byte) {
		sp := newSimPair(t, pairOpts{push: 2_000_000_000, constraints: Constraints{
			MaxHTLCValueInFlight: 5_000_000_000, ChannelReserve: 100_000, HTLCMinimum: 1, MaxAcceptedHTLCs: 10,
		}})
		a, b := sp.a, sp.b
		a.allowFail, b.allowFail = true, true
		total := wire.MilliSatoshi(sp.funding) * 1000
		for steps := 0; len(data) > 0 && steps < 64; steps++ {
			op := data[0]
			data = data[1:]
			switch op % 7 {
			case 0:
				if len(data) < 2 {
					return
				}
				n := int(binary.BigEndian.Uint16(data))
				data = data[2:]
				if n > len(data) {
					n = len(data)
				}
				msg, err := wire.DecodeMessage(data[:n])
				data = data[n:]
				if err != nil {
					continue
				}
				acts, _ := a.m.ReceiveMessage(sp.ctx, msg)
				a.apply(acts)
			case 1:
				sp.add(b, wire.MilliSatoshi(1000+int(op)*100_000))
			case 2:
				sp.sign(b)
			case 3:
				b.flush()
				sp.deliver(b)
			case 4:
				a.flush()
				sp.deliver(a)
			case 5:
				sp.resolveIncoming(a, op&8 == 0)
				sp.sign(a)
			case 6:
				if op&16 == 0 {
					sp.disconnect()
				} else {
					sp.a.apply(sp.a.m.Reconnected())
					sp.b.apply(sp.b.m.Reconnected())
				}
			}
			// Alice's commitments always account for the whole
			// funding output.
			for _, st := range []*State{a.m.LocalState(), a.m.RemoteState()} {
				sum := st.LocalBalance + st.RemoteBalance
				for _, h := range st.HTLCs {
					sum += h.Amount
				}
				if sum != total {
					t.Fatalf("alice's commitment %d: %v, funding %v", st.Number, sum, total)
				}
			}
			if a.m.Failed() != nil {
				// A failed channel signs nothing and sends no update.
				before := a.m.local.number
				if _, err := a.m.SignCommitment(sp.ctx); err == nil {
					t.Fatal("failed channel signed")
				}
				if a.m.local.number != before {
					t.Fatal("failed channel moved")
				}
				return
			}
		}
	})
}
