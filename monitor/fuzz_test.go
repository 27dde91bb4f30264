package monitor

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// recordCodecs decode one kind of record and encode it again.
var recordCodecs = []func(b []byte) ([]byte, error){
	func(b []byte) ([]byte, error) {
		p, dest, err := decodeStatic(b)
		if err != nil {
			return nil, err
		}
		return encodeStatic(p, dest), nil
	},
	func(b []byte) ([]byte, error) {
		m, err := decodeMeta(b)
		if err != nil {
			return nil, err
		}
		return m.encode(), nil
	},
	func(b []byte) ([]byte, error) {
		li, err := decodeLocal(b)
		if err != nil {
			return nil, err
		}
		return encodeLocal(li), nil
	},
	func(b []byte) ([]byte, error) {
		ri, err := decodeRemote(b)
		if err != nil {
			return nil, err
		}
		return encodeRemote(ri), nil
	},
	func(b []byte) ([]byte, error) {
		t, err := decodeTip(b)
		if err != nil {
			return nil, err
		}
		return t.encode(), nil
	},
	func(b []byte) ([]byte, error) {
		c, err := decodeConf(b)
		if err != nil {
			return nil, err
		}
		return c.encode(), nil
	},
	func(b []byte) ([]byte, error) {
		g, err := decodeGroup(b)
		if err != nil {
			return nil, err
		}
		return g.encode(), nil
	},
	func(b []byte) ([]byte, error) {
		e, err := decodeEvent(b, 0, wire.ChannelID{})
		if err != nil {
			return nil, err
		}
		return encodeEvent(e), nil
	},
}

// seedRecords are valid records of every kind, from a real channel.
func seedRecords(t testing.TB) [][]byte {
	h := newHarness(t, hopts{noBobMon: true, policy: breachPolicy()})
	breachHistory(h)
	a := h.a
	var out [][]byte
	out = append(out, encodeStatic(a.params, a.dest))
	pt := a.params.Local.Funding
	out = append(out, (&meta{hasRemote: true, maxRemote: 7, dataLoss: true, dataLossPoint: pt, forceClose: true}).encode())
	for _, u := range a.updates {
		switch {
		case u.Local != nil:
			out = append(out, encodeLocal(u.Local))
		case u.Remote != nil:
			out = append(out, encodeRemote(u.Remote))
		}
	}
	out = append(out, (&tip{height: 800_000, hash: chainhash.Hash{3}}).encode())
	out = append(out, (&confTx{tx: h.funding, height: 5, index: 1, block: chainhash.Hash{4}}).encode())
	out = append(out, (&groupState{rate: 2500, fee: 999, height: 9, first: 8, split: true,
		wallet: []channel.WalletInput{{OutPoint: btcwire.OutPoint{Index: 2}, Value: 5000, PkScript: a.dest, WitnessSize: 109}}, change: a.dest}).encode())
	pre := htlc.Preimage{1}
	for _, e := range []Event{
		&ChannelClosed{Kind: CloseRevoked, Txid: chainhash.Hash{5}, Height: 7, CommitmentNumber: 3},
		&PreimageLearned{Preimage: pre, Txid: chainhash.Hash{6}},
		&HTLCResolved{HTLC: htlc.HTLC{ID: 4, Direction: htlc.Offered, Amount: 1000, CLTVExpiry: 99, PaymentHash: pre.Hash()}, Outcome: Settled, Preimage: &pre},
		&HTLCResolved{HTLC: htlc.HTLC{ID: 5, Direction: htlc.Received}, Outcome: Failed},
		&FundsSwept{Txid: chainhash.Hash{7}, Height: 8, Amount: 1234, Fee: 56},
		&ClaimsResolved{Height: 9},
		&Alert{Kind: AlertFeeBump, Detail: "no coins"},
	} {
		out = append(out, encodeEvent(e))
	}
	return out
}

// TestRecordsRoundTrip: every record decodes to what encodes to the
// same bytes, and every truncation of it is refused, not a panic.
func TestRecordsRoundTrip(t *testing.T) {
	seeds := seedRecords(t)
	for i, rec := range seeds {
		ok := 0
		for _, codec := range recordCodecs {
			again, err := codec(rec)
			if err != nil {
				continue
			}
			ok++
			if !bytes.Equal(again, rec) {
				t.Fatalf("record %d does not round-trip", i)
			}
		}
		if ok == 0 {
			t.Fatalf("record %d decodes as nothing", i)
		}
		for n := 0; n < len(rec); n++ {
			for _, codec := range recordCodecs {
				if again, err := codec(rec[:n]); err == nil && !bytes.Equal(again, rec[:n]) {
					t.Fatalf("record %d cut at %d decodes but does not round-trip", i, n)
				}
			}
		}
	}
}

// FuzzDecodeRecords feeds arbitrary bytes to every record decoder: none
// panics or allocates beyond its input, and whatever decodes encodes back
// to the same bytes.
func FuzzDecodeRecords(f *testing.F) {
	for _, s := range seedRecords(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i, codec := range recordCodecs {
			again, err := codec(b)
			if err != nil {
				continue
			}
			if !bytes.Equal(again, b) {
				t.Fatalf("codec %d: decode then encode differs", i)
			}
		}
	})
}
