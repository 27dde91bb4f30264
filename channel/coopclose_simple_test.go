package channel

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// closeVariantsOf lists the signatures a closing_complete or closing_sig
// carries.
func closeVariantsOf(s wire.ClosingSigs) []ClosingVariant {
	var out []ClosingVariant
	for _, v := range simpleVariants {
		if *sigField(&s, v) != nil {
			out = append(out, v)
		}
	}
	return out
}

func sameCloseVariants(a, b []ClosingVariant) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// takeCloseMsg removes and returns the first message of a node's outbox, of
// type T.
func takeCloseMsg[T wire.Message](t *testing.T, n *closeNode) T {
	t.Helper()
	if len(n.outbox) == 0 {
		t.Fatalf("%s sent nothing", n.name)
	}
	m, ok := n.outbox[0].(T)
	if !ok {
		t.Fatalf("%s sent %v", n.name, n.outbox[0].MsgType())
	}
	n.outbox = n.outbox[1:]
	return m
}

// closeByFee orders transactions by the fee they pay, lowest first: the
// order in which each replaces the previous in a mempool.
func closeByFee(txs []*btcwire.MsgTx) []*btcwire.MsgTx {
	out := append([]*btcwire.MsgTx(nil), txs...)
	sort.Slice(out, func(i, j int) bool { return closeTxFee(out[i], closeFunding) < closeTxFee(out[j], closeFunding) })
	return out
}

// TestCoopCloseSimpleVariants has both nodes send closing_complete and
// sign the other's, for balances that make each variant the one chosen.
func TestCoopCloseSimpleVariants(t *testing.T) {
	for _, tt := range []struct {
		name               string
		aliceSat, bobSat   btcutil.Amount
		aliceDrop, bobDrop btcutil.Amount
		// What alice's and bob's closing_complete carry, and what
		// the closee of each signs.
		aliceOffers, bobOffers []ClosingVariant
		bobSigns, aliceSigns   ClosingVariant
	}{
		{
			name: "both outputs", aliceSat: 600_000, bobSat: 400_000,
			aliceOffers: []ClosingVariant{CloserOutputOnly, CloserAndClosee}, bobOffers: []ClosingVariant{CloserAndClosee},
			bobSigns: CloserAndClosee, aliceSigns: CloserAndClosee,
		},
		{
			// Bob's 200 sat are dust: alice may not leave them in, and
			// bob, the lesser side, pays all he has to leave out his
			// own output.
			name: "closee dust", aliceSat: 999_800, bobSat: 200,
			aliceOffers: []ClosingVariant{CloserOutputOnly}, bobOffers: []ClosingVariant{CloseeOutputOnly},
			bobSigns: CloserOutputOnly, aliceSigns: CloseeOutputOnly,
		},
		{
			// Bob considers his 5000 sat uneconomical: he leaves them
			// out of his proposal, and picks alice's variant without
			// them.
			name: "uneconomical", aliceSat: 995_000, bobSat: 5_000, bobDrop: 10_000,
			aliceOffers: []ClosingVariant{CloserOutputOnly, CloserAndClosee}, bobOffers: []ClosingVariant{CloseeOutputOnly},
			bobSigns: CloserOutputOnly, aliceSigns: CloseeOutputOnly,
		},
		{
			// Equal balances: neither is the lesser, so both offer
			// closer_output_only and both outputs.
			name: "equal balances", aliceSat: 500_000, bobSat: 500_000,
			aliceOffers: []ClosingVariant{CloserOutputOnly, CloserAndClosee}, bobOffers: []ClosingVariant{CloserOutputOnly, CloserAndClosee},
			bobSigns: CloserAndClosee, aliceSigns: CloserAndClosee,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cp := newClosePair(t, true, true)
			ai, bi := closeStarts(tt.aliceSat, tt.bobSat, closeRates(253, 1000, 2000), closeRates(253, 300, 2000))
			ai.DropOwnOutputBelow, bi.DropOwnOutputBelow = tt.aliceDrop, tt.bobDrop
			ai.LockTime, bi.LockTime = 800_000, 800_001
			cp.alice.start(t, ai)
			cp.bob.start(t, bi)
			ac := takeCloseMsg[*wire.ClosingComplete](t, cp.alice)
			bc := takeCloseMsg[*wire.ClosingComplete](t, cp.bob)
			if got := closeVariantsOf(ac.Sigs); !sameCloseVariants(got, tt.aliceOffers) {
				t.Fatalf("alice offers %v, want %v", got, tt.aliceOffers)
			}
			if got := closeVariantsOf(bc.Sigs); !sameCloseVariants(got, tt.bobOffers) {
				t.Fatalf("bob offers %v, want %v", got, tt.bobOffers)
			}
			if ac.LockTime != 800_000 || bc.LockTime != 800_001 {
				t.Fatalf("locktimes %d %d", ac.LockTime, bc.LockTime)
			}
			cp.bob.deliver(t, ac)
			cp.alice.deliver(t, bc)
			bs := takeCloseMsg[*wire.ClosingSig](t, cp.bob)
			as := takeCloseMsg[*wire.ClosingSig](t, cp.alice)
			if got := closeVariantsOf(bs.Sigs); !sameCloseVariants(got, []ClosingVariant{tt.bobSigns}) {
				t.Fatalf("bob signs %v, want %v", got, tt.bobSigns)
			}
			if got := closeVariantsOf(as.Sigs); !sameCloseVariants(got, []ClosingVariant{tt.aliceSigns}) {
				t.Fatalf("alice signs %v, want %v", got, tt.aliceSigns)
			}
			cp.alice.deliver(t, bs)
			cp.bob.deliver(t, as)
			if len(cp.alice.errs)+len(cp.bob.errs) > 0 {
				t.Fatalf("errors: %v %v", cp.alice.errs, cp.bob.errs)
			}
			// Each node broadcast both transactions: the one it signed
			// as closee, then its own.
			if len(cp.alice.broadcasts) != 2 || len(cp.bob.broadcasts) != 2 || len(cp.alice.signed) != 2 {
				t.Fatalf("broadcasts %d %d", len(cp.alice.broadcasts), len(cp.bob.broadcasts))
			}
			aliceTx, bobTx := cp.alice.broadcasts[1], cp.bob.broadcasts[1]
			if cp.bob.broadcasts[0].WitnessHash() != aliceTx.WitnessHash() || cp.alice.broadcasts[0].WitnessHash() != bobTx.WitnessHash() {
				t.Fatal("the nodes hold different transactions")
			}
			// The closer pays the fee; the closee's output, when there,
			// is its whole balance; the locktime is the closer's.
			if got := closeOutValue(aliceTx, bobClose); got != 0 && got != tt.bobSat {
				t.Fatalf("bob's output in alice's transaction: %v", got)
			}
			if got := closeOutValue(bobTx, aliceClose); got != tt.aliceSat {
				t.Fatalf("alice's output in bob's transaction: %v", got)
			}
			if aliceTx.LockTime != 800_000 || bobTx.LockTime != 800_001 || aliceTx.TxIn[0].Sequence != 0xFFFFFFFD {
				t.Fatalf("locktime/sequence %d %d %x", aliceTx.LockTime, bobTx.LockTime, aliceTx.TxIn[0].Sequence)
			}
			if cp.alice.signed[1].Closer != Local || cp.alice.signed[0].Closer != Remote {
				t.Fatalf("closers reported: %v %v", cp.alice.signed[0].Closer, cp.alice.signed[1].Closer)
			}
			for _, tx := range []*btcwire.MsgTx{aliceTx, bobTx} {
				execClose(t, cp.tc, tt.name, tx)
			}
			// Both reach a mempool; the one with the higher fee replaces
			// the other and confirms.
			confirmOnChain(t, cp.tc, closeByFee([]*btcwire.MsgTx{aliceTx, bobTx})...)
			for _, n := range []*closeNode{cp.alice, cp.bob} {
				if best := n.cc.Best(); best == nil || best.WitnessHash() != closeByFee([]*btcwire.MsgTx{aliceTx, bobTx})[1].WitnessHash() {
					t.Fatalf("%s: Best is not the higher fee", n.name)
				}
			}
		})
	}
}

// TestCoopCloseSimpleBump replaces a signed closing transaction with one
// at a higher fee, then with one to a new script, then to OP_RETURN.
func TestCoopCloseSimpleBump(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, true)
	ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.bob.outbox = nil // bob's own proposal plays no part here
	cp.bob.deliver(t, takeCloseMsg[*wire.ClosingComplete](t, cp.alice))
	cp.alice.deliver(t, takeCloseMsg[*wire.ClosingSig](t, cp.bob))
	first := cp.alice.broadcasts[0]

	if _, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 1000}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("bump at the same rate: %v", err)
	}
	if _, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 3000, LocalScript: []byte{txscript.OP_TRUE}}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("bump to a bad script: %v", err)
	}
	acts, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 3000, LockTime: 800_010})
	cp.alice.apply(t, acts, err)
	if err != nil {
		t.Fatal(err)
	}
	closePump(t, cp.alice, cp.bob)
	if len(cp.alice.broadcasts) != 2 || len(cp.bob.broadcasts) != 2 {
		t.Fatalf("broadcasts %d %d", len(cp.alice.broadcasts), len(cp.bob.broadcasts))
	}
	second := cp.alice.broadcasts[1]
	if closeTxFee(second, closeFunding) != wire.SatPerKWeight(3000).FeeForWeight(closeTwoOutWeight) || second.LockTime != 800_010 {
		t.Fatalf("bumped fee %v, locktime %d", closeTxFee(second, closeFunding), second.LockTime)
	}
	execClose(t, cp.tc, "first close", first)
	execClose(t, cp.tc, "bumped close", second)
	confirmOnChain(t, cp.tc, first, second)

	// A new script: bob must now name it as closee_scriptpubkey. His
	// closing_complete sent before he saw it is refused.
	newScript := script.P2WSH([]byte{txscript.OP_TRUE})
	acts, err = cp.bob.cc.Bump(ctx, CoopCloseBump{FeeRate: 1500})
	cp.bob.apply(t, acts, err)
	stale := takeCloseMsg[*wire.ClosingComplete](t, cp.bob)
	acts, err = cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 4000, LocalScript: newScript})
	cp.alice.apply(t, acts, err)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.alice.deliver(t, stale); !errors.Is(err, ErrCloseNegotiation) || len(cp.alice.disconnect) != 1 {
		t.Fatalf("closing_complete to alice's old script: %v", err)
	}
	closePump(t, cp.alice, cp.bob)
	third := cp.alice.broadcasts[len(cp.alice.broadcasts)-1]
	if closeOutValue(third, newScript) == 0 || closeOutValue(third, aliceClose) != 0 {
		t.Fatalf("the bump to a new script pays %+v", third.TxOut)
	}
	acts, err = cp.bob.cc.Bump(ctx, CoopCloseBump{FeeRate: 2000})
	cp.bob.apply(t, acts, err)
	fresh := takeCloseMsg[*wire.ClosingComplete](t, cp.bob)
	if string(fresh.CloseeScript) != string(newScript) {
		t.Fatalf("bob's next closee_scriptpubkey %x", fresh.CloseeScript)
	}
	cp.alice.deliver(t, fresh)
	closePump(t, cp.alice, cp.bob)
	last := cp.bob.broadcasts[len(cp.bob.broadcasts)-1]
	if closeOutValue(last, newScript) != 600_000 {
		t.Fatalf("bob's bump pays alice %v", closeOutValue(last, newScript))
	}
	for _, tx := range []*btcwire.MsgTx{third, last} {
		execClose(t, cp.tc, "close to a new script", tx)
	}
	confirmOnChain(t, cp.tc, first, second, third)
	confirmOnChain(t, cp.tc, last)
}

// TestCoopCloseSimpleOpReturn: the greater side, whose output is not worth
// claiming, closes to OP_RETURN; its output carries 0 sat.
func TestCoopCloseSimpleOpReturn(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, true)
	ai, bi := closeStarts(990_000, 10_000, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.alice.outbox, cp.bob.outbox = nil, nil
	acts, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 2000, LocalScript: opReturnClose})
	cp.alice.apply(t, acts, err)
	if err != nil {
		t.Fatal(err)
	}
	closePump(t, cp.alice, cp.bob)
	if len(cp.alice.errs)+len(cp.bob.errs) > 0 {
		t.Fatalf("errors: %v %v", cp.alice.errs, cp.bob.errs)
	}
	tx := cp.alice.broadcasts[0]
	if len(tx.TxOut) != 2 || closeOutValue(tx, bobClose) != 10_000 {
		t.Fatalf("outputs %+v", tx.TxOut)
	}
	for _, o := range tx.TxOut {
		if o.PkScript[0] == txscript.OP_RETURN && o.Value != 0 {
			t.Fatalf("OP_RETURN output of %d sat", o.Value)
		}
	}
	execClose(t, cp.tc, "close to OP_RETURN", tx)
	confirmOnChain(t, cp.tc, tx)
	// A closing script too short for BOLT 2's OP_RETURN form is refused.
	if _, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 3000, LocalScript: opReturn}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("4-byte OP_RETURN: %v", err)
	}
}

// opReturnClose is an OP_RETURN closing script in BOLT 2's form (a push
// of 6 to 80 bytes).
var opReturnClose = append([]byte{txscript.OP_RETURN, 8}, []byte("burn it!")...)

// TestCoopCloseSimpleAdversarial: closing_complete and closing_sig that
// break BOLT 2 are refused with a warning and a disconnection (or ignored,
// for a closing_sig that answers nothing), and change nothing.
func TestCoopCloseSimpleAdversarial(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*closePair, *wire.ClosingComplete) {
		cp := newClosePair(t, true, true)
		ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
		cp.alice.start(t, ai)
		cp.bob.start(t, bi)
		return cp, takeCloseMsg[*wire.ClosingComplete](t, cp.bob)
	}
	resign := func(cp *closePair, m *wire.ClosingComplete, v ClosingVariant) {
		sc := &SimpleClose{Closer: Local, CloserScript: m.CloserScript, CloseeScript: m.CloseeScript,
			LocalBalance: msat(400_000), RemoteBalance: msat(600_000), Fee: m.Fee, LockTime: m.LockTime}
		tx, err := NewSimpleClosingTx(cp.tc.bob, sc, v)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := SignFundingSpend(ctx, cp.tc.bobSig, cp.tc.bob, tx)
		*sigField(&m.Sigs, v) = &sig
	}
	for _, tt := range []struct {
		name   string
		mutate func(cp *closePair, m *wire.ClosingComplete)
		want   error
	}{
		{"bad signature", func(cp *closePair, m *wire.ClosingComplete) {
			s := *m.Sigs.CloserAndCloseeOutputs
			s[40] ^= 1
			m.Sigs.CloserAndCloseeOutputs = &s
		}, ErrInvalidClosingSig},
		{"signature of another variant", func(cp *closePair, m *wire.ClosingComplete) {
			resign(cp, m, CloseeOutputOnly)
			m.Sigs.CloserAndCloseeOutputs = m.Sigs.CloseeOutputOnly
		}, ErrInvalidClosingSig},
		{"high S", func(cp *closePair, m *wire.ClosingComplete) {
			s := negateS(*m.Sigs.CloserAndCloseeOutputs)
			m.Sigs.CloserAndCloseeOutputs = &s
		}, ErrInvalidClosingSig},
		{"missing the signature alice must use", func(cp *closePair, m *wire.ClosingComplete) {
			// Alice's output is not dust and bob offers no
			// closer_and_closee_outputs: she must use closee_output_only.
			m.Sigs.CloserAndCloseeOutputs = nil
			resign(cp, m, CloserOutputOnly)
		}, ErrCloseNegotiation},
		{"closee script not alice's", func(cp *closePair, m *wire.ClosingComplete) {
			m.CloseeScript = bobClose
		}, ErrCloseNegotiation},
		{"invalid closer script", func(cp *closePair, m *wire.ClosingComplete) {
			m.CloserScript = []byte{txscript.OP_TRUE}
		}, ErrCloseNegotiation},
		{"fee above the closer's balance", func(cp *closePair, m *wire.ClosingComplete) {
			m.Fee = 400_001
		}, ErrCloseNegotiation},
		{"closer output below dust", func(cp *closePair, m *wire.ClosingComplete) {
			m.Fee = 400_000 - 100
		}, ErrCloseNegotiation},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cp, m := setup(t)
			tt.mutate(cp, m)
			records := len(cp.alice.store)
			_, err := cp.alice.deliver(t, m)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrCloseNegotiation) {
				t.Fatalf("%v, want %v", err, tt.want)
			}
			if len(cp.alice.warnings) != 1 || len(cp.alice.disconnect) != 1 || len(cp.alice.store) != records ||
				len(cp.alice.outbox) != 1 || len(cp.alice.broadcasts) != 0 {
				t.Fatalf("answer: %d warnings, %d disconnects, %d records (had %d), %d messages", len(cp.alice.warnings),
					len(cp.alice.disconnect), len(cp.alice.store), records, len(cp.alice.outbox))
			}
		})
	}

	t.Run("closing_sig", func(t *testing.T) {
		cp, _ := setup(t)
		ac := takeCloseMsg[*wire.ClosingComplete](t, cp.alice)
		cp.bob.deliver(t, ac)
		good := takeCloseMsg[*wire.ClosingSig](t, cp.bob)
		both := *good
		both.Sigs.CloserOutputOnly = good.Sigs.CloserAndCloseeOutputs
		none := *good
		none.Sigs = wire.ClosingSigs{}
		flipped := *good
		s := *good.Sigs.CloserAndCloseeOutputs
		s[50] ^= 1
		flipped.Sigs = wire.ClosingSigs{CloserAndCloseeOutputs: &s}
		wrongField := *good
		wrongField.Sigs = wire.ClosingSigs{CloseeOutputOnly: good.Sigs.CloserAndCloseeOutputs}
		for name, m := range map[string]*wire.ClosingSig{"two signatures": &both, "none": &none, "bad signature": &flipped,
			"variant not offered": &wrongField} {
			before := len(cp.alice.warnings)
			if _, err := cp.alice.deliver(t, m); !errors.Is(err, ErrCloseNegotiation) || len(cp.alice.warnings) != before+1 {
				t.Fatalf("%s: %v", name, err)
			}
		}
		// An answer to a closing_complete alice never sent is ignored.
		other := *good
		other.Fee++
		if acts, err := cp.alice.deliver(t, &other); !errors.Is(err, ErrCloseNegotiation) || len(acts) != 0 {
			t.Fatalf("closing_sig for another fee: %v %v", err, acts)
		}
		if len(cp.alice.broadcasts) != 0 {
			t.Fatal("broadcast after refused closing_sig")
		}
		cp.alice.deliver(t, good)
		if len(cp.alice.broadcasts) != 1 {
			t.Fatalf("%d broadcasts", len(cp.alice.broadcasts))
		}
		// Repeated: nothing more to do.
		if acts, err := cp.alice.deliver(t, good); err != nil || len(acts) != 0 {
			t.Fatalf("repeated closing_sig: %v %v", acts, err)
		}
		execClose(t, cp.tc, "after refusals", cp.alice.broadcasts[0])
		confirmOnChain(t, cp.tc, cp.alice.broadcasts[0])
		// closing_signed has no place under option_simple_close.
		if _, err := cp.alice.deliver(t, &wire.ClosingSigned{ChannelID: cp.alice.cc.ChannelID()}); !errors.Is(err, ErrCloseNegotiation) {
			t.Fatalf("closing_signed: %v", err)
		}
	})
}

// highSCloseSigner turns its signer's signatures into their high-S twins.
type highSCloseSigner struct{ Signer }

func (h highSCloseSigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	s, err := h.Signer.SignInput(ctx, req)
	return negateS(s), err
}

// brokenCloseSigner fails every request.
type brokenCloseSigner struct{}

var errCloseSignerOffline = errors.New("signer offline")

func (brokenCloseSigner) SignInput(context.Context, *SignRequest) (wire.Signature, error) {
	return wire.Signature{}, errCloseSignerOffline
}

// TestCoopCloseSigner: a signer's high-S signatures are sent in low-S
// form; a failing signer stops the step with nothing recorded or sent.
func TestCoopCloseSigner(t *testing.T) {
	ctx := context.Background()
	cp := newClosePair(t, true, true)
	cp.alice.cfg.Signer = highSCloseSigner{cp.tc.aliceSig}
	var err error
	if cp.alice.cc, err = NewCoopClose(cp.alice.cfg); err != nil {
		t.Fatal(err)
	}
	ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 2000, 3000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	for _, s := range sentCloseSigs(cp.alice.outbox) {
		if !isLowS(s) {
			t.Fatal("alice sent a high-S signature")
		}
	}
	closePump(t, cp.alice, cp.bob)
	if len(cp.alice.errs)+len(cp.bob.errs) > 0 || len(cp.alice.broadcasts) != 2 || len(cp.bob.broadcasts) != 2 {
		t.Fatalf("errors %v %v; broadcasts %d %d", cp.alice.errs, cp.bob.errs, len(cp.alice.broadcasts), len(cp.bob.broadcasts))
	}
	for _, tx := range cp.alice.broadcasts {
		execClose(t, cp.tc, "close signed by a high-S signer", tx)
	}
	confirmOnChain(t, cp.tc, closeByFee(cp.alice.broadcasts)...)

	for _, simple := range []bool{false, true} {
		cp := newClosePair(t, true, simple)
		cp.alice.cfg.Signer = brokenCloseSigner{}
		if cp.alice.cc, err = NewCoopClose(cp.alice.cfg); err != nil {
			t.Fatal(err)
		}
		ai, bi := closeStarts(600_000, 400_000, closeRates(253, 1000, 2000), closeRates(253, 1200, 2000))
		if acts, err := cp.alice.cc.Start(ctx, ai); !errors.Is(err, errCloseSignerOffline) || len(acts) != 0 {
			t.Fatalf("simple %v: Start with a broken signer: %v %v", simple, acts, err)
		}
		if !simple {
			continue
		}
		// As closee: the peer's closing_complete cannot be answered.
		ai.Fees = closeRates(253, 253, 253)
		ai.LocalBalance, ai.RemoteBalance = 0, msat(closeFunding) // nothing to propose
		bi.LocalBalance, bi.RemoteBalance = msat(closeFunding), 0
		cp.alice.start(t, ai)
		cp.bob.start(t, bi)
		acts, err := cp.alice.deliver(t, takeCloseMsg[*wire.ClosingComplete](t, cp.bob))
		if !errors.Is(err, errCloseSignerOffline) || len(acts) != 0 || len(cp.alice.store) != 0 || len(cp.alice.cc.Transactions()) != 0 {
			t.Fatalf("closee with a broken signer: %v %v", acts, err)
		}
	}
}

// TestCoopCloseSimpleEmptySide: a node with nothing in the channel sends
// no closing_complete and signs the other's closer_output_only.
func TestCoopCloseSimpleEmptySide(t *testing.T) {
	cp := newClosePair(t, true, true)
	ai, bi := closeStarts(closeFunding, 0, closeRates(253, 1000, 2000), closeRates(253, 1000, 2000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	if len(cp.bob.outbox) != 0 {
		t.Fatalf("bob proposed with nothing to pay from: %v", cp.bob.outbox)
	}
	ac := cp.alice.outbox[0].(*wire.ClosingComplete)
	if got := closeVariantsOf(ac.Sigs); !sameCloseVariants(got, []ClosingVariant{CloserOutputOnly}) {
		t.Fatalf("alice offers %v", got)
	}
	closePump(t, cp.alice, cp.bob)
	tx := cp.alice.broadcasts[0]
	if len(tx.TxOut) != 1 || closeOutValue(tx, aliceClose) != closeFunding-wire.SatPerKWeight(1000).FeeForWeight(closeTwoOutWeight) {
		t.Fatalf("outputs %+v", tx.TxOut)
	}
	execClose(t, cp.tc, "close of a one-sided channel", tx)
	confirmOnChain(t, cp.tc, tx)
	if _, err := cp.bob.cc.Bump(context.Background(), CoopCloseBump{FeeRate: 2000}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("bump with nothing to pay from: %v", err)
	}
}
