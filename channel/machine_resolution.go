package channel

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lnkit/lnkit/wire"
)

// Resolutions.
//
// The outcome of an HTLC this node offered (settled with a preimage, or
// failed irrevocably) is an event the layer above must not miss: a payment
// must be marked paid, a forwarded HTLC settled or failed upstream. A crash
// between the write that records the outcome and the handling of its event
// would lose it, so each outcome is also kept as a record until the host
// acknowledges it with AckResolution (in the same batch as its own record
// of the outcome, ideally). After a restart, PendingResolutions returns
// every unacknowledged outcome again. Handlers must therefore be
// idempotent: an outcome may be reported more than once (a retransmitted
// update_fulfill_htlc after a reconnection reports it again, too).

const keyResolution = "res/"

const resolutionVersion = 1

func (m *Machine) resolutionKey(id uint64) string {
	return fmt.Sprintf("%s%s%016x", m.prefix, keyResolution, id)
}

// resolve records the outcome ev (an *HTLCSettled or *HTLCFailed) of the
// offered HTLC id durably and queues its event.
func (m *Machine) resolve(id uint64, ev Action) {
	m.resolutions[id] = ev
	m.out.ops = append(m.out.ops, PersistOp{Key: m.resolutionKey(id), Value: encodeResolution(ev)})
	m.out.events = append(m.out.events, ev)
}

// PendingResolutions returns the outcomes of offered HTLCs that have not
// been acknowledged with AckResolution, in id order: each is an
// *HTLCSettled or an *HTLCFailed.
func (m *Machine) PendingResolutions() []Action {
	ids := make([]uint64, 0, len(m.resolutions))
	for id := range m.resolutions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]Action, len(ids))
	for i, id := range ids {
		out[i] = m.resolutions[id]
	}
	return out
}

// AckResolution tells the Machine the host has durably handled the outcome
// of offered HTLC id; its record is deleted (the returned *Persist). Acking
// an unknown id does nothing.
func (m *Machine) AckResolution(id uint64) []Action {
	if _, ok := m.resolutions[id]; !ok {
		return nil
	}
	delete(m.resolutions, id)
	return []Action{&Persist{Ops: []PersistOp{{Key: m.resolutionKey(id), Delete: true}}}}
}

func encodeResolution(ev Action) []byte {
	b := []byte{resolutionVersion}
	switch ev := ev.(type) {
	case *HTLCSettled:
		b = append(b, 1)
		b = wire.AppendU64(b, ev.ID)
		b = append(b, ev.PaymentHash[:]...)
		b = wire.AppendU64(b, uint64(ev.Amount))
		b = append(b, ev.Preimage[:]...)
		b = appendAttribution(b, ev.AttributionData)
	case *HTLCFailed:
		b = append(b, 2)
		b = wire.AppendU64(b, ev.ID)
		b = append(b, ev.PaymentHash[:]...)
		b = wire.AppendU64(b, uint64(ev.Amount))
		b = appendVar(b, ev.Reason)
		b = appendAttribution(b, ev.AttributionData)
		b = appendBool(b, ev.Malformed != nil)
		if ev.Malformed != nil {
			b = append(b, ev.Malformed.OnionSHA256[:]...)
			b = wire.AppendU16(b, ev.Malformed.FailureCode)
		}
		local := ""
		if ev.Local != nil {
			local = ev.Local.Error()
		}
		b = appendVar(b, []byte(local))
	}
	return b
}

func (m *Machine) decodeResolution(b []byte) (uint64, Action, error) {
	d, err := newDecoder(b, "resolution", resolutionVersion)
	if err != nil {
		return 0, nil, err
	}
	kind := d.byte()
	id := d.u64()
	var hash [32]byte
	copy(hash[:], d.bytes(32))
	amount := wire.MilliSatoshi(d.u64())
	var ev Action
	switch kind {
	case 1:
		s := &HTLCSettled{ChannelID: m.id, ID: id, PaymentHash: hash, Amount: amount}
		copy(s.Preimage[:], d.bytes(32))
		s.AttributionData = d.attribution()
		ev = s
	case 2:
		f := &HTLCFailed{ChannelID: m.id, ID: id, PaymentHash: hash, Amount: amount}
		f.Reason = d.varBytes()
		f.AttributionData = d.attribution()
		if d.bool() {
			f.Malformed = new(MalformedFailure)
			copy(f.Malformed.OnionSHA256[:], d.bytes(32))
			f.Malformed.FailureCode = d.u16()
		}
		if local := d.varBytes(); len(local) > 0 {
			f.Local = errors.New(string(local))
		}
		ev = f
	default:
		return 0, nil, fmt.Errorf("%w: resolution kind %d", ErrCorruptRecord, kind)
	}
	return id, ev, d.done()
}

// restoreResolutions loads the resolution records among recs (keys
// relative to the channel prefix).
func (m *Machine) restoreResolutions(recs map[string][]byte) error {
	for k, v := range recs {
		if !strings.HasPrefix(k, keyResolution) {
			continue
		}
		id, ev, err := m.decodeResolution(v)
		if err != nil {
			return err
		}
		m.resolutions[id] = ev
	}
	return nil
}
