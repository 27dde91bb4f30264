package channel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
)

// sentCloseSigs lists this node's signatures in the messages it sent.
func sentCloseSigs(msgs []wire.Message) []wire.Signature {
	var out []wire.Signature
	for _, m := range msgs {
		switch m := m.(type) {
		case *wire.ClosingSigned:
			out = append(out, m.Signature)
		case *wire.ClosingComplete:
			for _, v := range simpleVariants {
				if s := *sigField(&m.Sigs, v); s != nil {
					out = append(out, *s)
				}
			}
		case *wire.ClosingSig:
			for _, v := range simpleVariants {
				if s := *sigField(&m.Sigs, v); s != nil {
					out = append(out, *s)
				}
			}
		}
	}
	return out
}

// checkCloseRestorable restores a node from its store and checks that it
// knows every transaction whose signature the node sent and every one it
// broadcast, and would broadcast the best of them again.
func checkCloseRestorable(t *testing.T, tc *testChannel, n *closeNode, sent []wire.Message) {
	t.Helper()
	r, err := RestoreCoopClose(context.Background(), n, n.cfg)
	if err != nil {
		t.Fatalf("%s: restore: %v", n.name, err)
	}
	known := map[chainhash.Hash]CloseTx{}
	for _, ct := range r.Transactions() {
		known[ct.TxID] = ct
	}
	// Each signature the node sent is in a record it can recognize on
	// chain.
	sigs := map[wire.Signature]bool{}
	for _, rec := range r.records {
		sigs[rec.localSig] = true
	}
	for _, s := range sentCloseSigs(sent) {
		if !sigs[s] {
			t.Fatalf("%s: a signature that left is not in the records", n.name)
		}
	}
	for _, tx := range n.broadcasts {
		ct, ok := known[tx.TxHash()]
		if !ok || !ct.Complete || ct.Tx.WitnessHash() != tx.WitnessHash() {
			t.Fatalf("%s: broadcast %v not restorable as complete", n.name, tx.TxHash())
		}
	}
	if len(n.broadcasts) > 0 {
		acts := r.Rebroadcast()
		if len(acts) != 2 {
			t.Fatalf("%s: rebroadcast %v", n.name, acts)
		}
		b := acts[0].(*BroadcastClose).Tx
		execClose(t, tc, n.name+" rebroadcast", b)
	}
}

// TestCoopCloseRestoreEveryStep restores each node after every step of
// both negotiations: nothing a node signed and let go is unknown to its
// records.
func TestCoopCloseRestoreEveryStep(t *testing.T) {
	for _, simple := range []bool{false, true} {
		name := "legacy"
		if simple {
			name = "simple"
		}
		t.Run(name, func(t *testing.T) {
			cp := newClosePair(t, true, simple)
			ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), closeRates(2500, 4000, 6000))
			var sentA, sentB []wire.Message
			cp.alice.start(t, ai)
			cp.bob.start(t, bi)
			sentA = append(sentA, cp.alice.outbox...)
			sentB = append(sentB, cp.bob.outbox...)
			checkCloseRestorable(t, cp.tc, cp.alice, sentA)
			checkCloseRestorable(t, cp.tc, cp.bob, sentB)
			for i := 0; len(cp.alice.outbox)+len(cp.bob.outbox) > 0; i++ {
				if i > 20 {
					t.Fatal("no end")
				}
				if len(cp.alice.outbox) > 0 {
					m := cp.alice.outbox[0]
					cp.alice.outbox = cp.alice.outbox[1:]
					nb := len(cp.bob.outbox)
					cp.bob.deliver(t, m)
					sentB = append(sentB, cp.bob.outbox[nb:]...)
					checkCloseRestorable(t, cp.tc, cp.bob, sentB)
				}
				if len(cp.bob.outbox) > 0 {
					m := cp.bob.outbox[0]
					cp.bob.outbox = cp.bob.outbox[1:]
					na := len(cp.alice.outbox)
					cp.alice.deliver(t, m)
					sentA = append(sentA, cp.alice.outbox[na:]...)
					checkCloseRestorable(t, cp.tc, cp.alice, sentA)
				}
			}
			if len(cp.alice.broadcasts) == 0 || len(cp.bob.broadcasts) == 0 {
				t.Fatal("no close")
			}
			for _, n := range []*closeNode{cp.alice, cp.bob} {
				for _, tx := range n.broadcasts {
					execClose(t, cp.tc, n.name+" close", tx)
				}
				confirmOnChain(t, cp.tc, closeByFee(n.broadcasts)...)
			}
		})
	}
}

// TestCoopCloseCrashAfterProposal: alice crashes once her closing_complete
// has left. Bob signs and broadcasts it; the restored alice recognizes
// the transaction, and after reconnecting completes it herself.
func TestCoopCloseCrashAfterProposal(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, true)
	ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
	ai.LockTime = 800_050
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.bob.outbox = nil
	cp.bob.deliver(t, takeCloseMsg[*wire.ClosingComplete](t, cp.alice))
	cp.bob.outbox = nil // the closing_sig is lost with alice
	bobTx := cp.bob.broadcasts[0]

	alice, err := RestoreCoopClose(ctx, cp.alice, cp.alice.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cp.alice.cc = alice
	found := false
	for _, ct := range alice.Transactions() {
		if ct.TxID == bobTx.TxHash() {
			found = !ct.Complete && ct.Closer == Local && ct.Variant == CloserAndClosee
		}
	}
	if !found || alice.Best() != nil || alice.Rebroadcast() != nil {
		t.Fatalf("restored alice: %+v", alice.Transactions())
	}
	if _, err := alice.ReceiveMessage(ctx, &wire.ClosingSig{ChannelID: alice.ChannelID()}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("closing_sig before Start: %v", err)
	}
	// Reconnection: shutdown again, then a new round.
	cp.bob.cc.Disconnected()
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.bob.outbox = nil
	closePump(t, cp.alice, cp.bob)
	if len(cp.alice.broadcasts) != 1 || cp.alice.broadcasts[0].WitnessHash() != bobTx.WitnessHash() {
		t.Fatalf("alice's close after the crash: %d broadcasts", len(cp.alice.broadcasts))
	}
	if len(cp.alice.store) != 2 {
		t.Fatalf("%d records, want the two variants of one proposal", len(cp.alice.store))
	}
	execClose(t, cp.tc, "close after crash", bobTx)
	confirmOnChain(t, cp.tc, bobTx)
}

func TestCoopCloseCorruptRecords(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, true)
	ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	closePump(t, cp.alice, cp.bob)
	var key string
	for k, v := range cp.alice.store {
		if r, _ := decodeCloseRecord(v); r != nil && r.remoteSig != nil {
			key = k
		}
	}
	if key == "" {
		t.Fatal("no complete record")
	}
	good := cp.alice.store[key]
	for name, mutate := range map[string]func([]byte) []byte{
		"local signature":  func(v []byte) []byte { v[20] ^= 1; return v },
		"remote signature": func(v []byte) []byte { v[100] ^= 1; return v },
		"version":          func(v []byte) []byte { v[0] = 9; return v },
		"kind":             func(v []byte) []byte { v[1] = byte(closeLegacy); v[3] = 0; return v },
		"variant":          func(v []byte) []byte { v[3] = 7; return v },
		"truncated":        func(v []byte) []byte { return v[:len(v)-1] },
		"short":            func(v []byte) []byte { return v[:10] },
		"fee":              func(v []byte) []byte { v[5] = 0xff; return v },
		"funding input":    func(v []byte) []byte { v[closeRecordFixed+5] ^= 1; return v },
		"length":           func(v []byte) []byte { v[141] = 0xff; return v },
	} {
		v := mutate(append([]byte(nil), good...))
		cp.alice.store[key] = v
		if _, err := RestoreCoopClose(ctx, cp.alice, cp.alice.cfg); !errors.Is(err, ErrCorruptRecord) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	cp.alice.store[key] = good
	cp.alice.store[strings.TrimSuffix(key, "1")+"x"] = good
	if _, err := RestoreCoopClose(ctx, cp.alice, cp.alice.cfg); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("bad key: %v", err)
	}
	delete(cp.alice.store, strings.TrimSuffix(key, "1")+"x")
	// A reconnection may negotiate the other protocol: the records of
	// this one are kept.
	legacyCfg := cp.alice.cfg
	legacyCfg.SimpleClose = false
	if r, err := RestoreCoopClose(ctx, cp.alice, legacyCfg); err != nil || len(r.Transactions()) != len(cp.alice.store) || r.Best() == nil {
		t.Fatalf("records of the other protocol: %v", err)
	}
	if _, err := RestoreCoopClose(ctx, nil, cp.alice.cfg); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("nil source: %v", err)
	}
	r, err := RestoreCoopClose(ctx, cp.alice, cp.alice.cfg)
	if err != nil || len(r.Transactions()) != len(cp.alice.store) {
		t.Fatalf("intact records: %v", err)
	}
}

// FuzzDecodeCloseRecord: a stored record never makes the decoder panic,
// and what it accepts encodes back to the same bytes.
func FuzzDecodeCloseRecord(f *testing.F) {
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(&btcwire.TxIn{Sequence: 0xFFFFFFFD})
	tx.AddTxOut(btcwire.NewTxOut(1000, aliceClose))
	var s wire.Signature
	r := &closeRecord{kind: closeSimple, closer: Remote, variant: CloserOutputOnly, fee: 500, tx: tx, remoteSig: &s}
	f.Add(r.encode())
	r2 := &closeRecord{kind: closeLegacy, closer: Local, fee: 7, tx: tx}
	f.Add(r2.encode())
	f.Add([]byte{1, 1, 0, 0, 0})
	// Found by the fuzzer: bytes after an empty transaction.
	f.Add(append(append(append([]byte{1, 1, 0, 0, 0}, make([]byte, 8+128)...), 0, 0, 0, 16), []byte("0000\x00\x0000000000")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeCloseRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("error without ErrCorruptRecord: %v", err)
			}
			return
		}
		if got := r.encode(); string(got) != string(b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", got, b)
		}
	})
}

// TestCoopCloseProtocolChange: the first connection negotiates the legacy
// protocol and is lost mid-way; the next one has option_simple_close. The
// restored negotiators keep the legacy transactions they signed and close
// with the new protocol.
func TestCoopCloseProtocolChange(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, false)
	ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), closeRates(2500, 4000, 6000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.bob.deliver(t, takeCloseMsg[*wire.ClosingSigned](t, cp.alice))
	cp.bob.outbox = nil // bob's counter is lost
	for _, n := range []*closeNode{cp.alice, cp.bob} {
		n.cfg.SimpleClose = true
		r, err := RestoreCoopClose(ctx, n, n.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Transactions()) != 1 || r.Transactions()[0].Variant != 0 || r.Best() != nil {
			t.Fatalf("%s restored %+v", n.name, r.Transactions())
		}
		n.cc = r
	}
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	closePump(t, cp.alice, cp.bob)
	if len(cp.alice.errs)+len(cp.bob.errs) > 0 || len(cp.alice.broadcasts) != 2 {
		t.Fatalf("errors %v %v, %d broadcasts", cp.alice.errs, cp.bob.errs, len(cp.alice.broadcasts))
	}
	if got := len(cp.alice.cc.Transactions()); got != 1+2+1 {
		t.Fatalf("alice knows %d transactions, want her legacy one, her two variants and bob's", got)
	}
	for _, tx := range cp.alice.broadcasts {
		execClose(t, cp.tc, "close after the protocol changed", tx)
	}
	confirmOnChain(t, cp.tc, closeByFee(cp.alice.broadcasts)...)
}
