package channel

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

var (
	aliceClose = script.P2WPKH(scripttest.Key("alice close").PubKey())
	bobClose   = script.P2WPKH(scripttest.Key("bob close").PubKey())
	opReturn   = []byte{txscript.OP_RETURN, 0x02, 0xca, 0xfe}
)

// closeBoth has alice and bob sign tx and returns it complete, after
// checking each side's verification of the other's signature.
func closeBoth(t *testing.T, tc *testChannel, tx *btcwire.MsgTx) *btcwire.MsgTx {
	t.Helper()
	ctx := context.Background()
	as, err := SignFundingSpend(ctx, tc.aliceSig, tc.alice, tx)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := SignFundingSpend(ctx, tc.bobSig, tc.bob, tx)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyFundingSpend(tc.alice, tx, bs); err != nil {
		t.Fatal(err)
	}
	if err := VerifyFundingSpend(tc.bob, tx, as); err != nil {
		t.Fatal(err)
	}
	if err := VerifyFundingSpend(tc.alice, tx, as); !errors.Is(err, ErrInvalidClosingSig) {
		t.Fatalf("alice's own signature passed as bob's: %v", err)
	}
	full, err := CompleteFundingSpend(tc.alice, tx, as, bs)
	if err != nil {
		t.Fatal(err)
	}
	return full
}

func TestLegacyClosingTx(t *testing.T) {
	tc := newTestChannel(t, script.Anchors, 1_000_000)
	lc := &LegacyClose{
		LocalScript: aliceClose, RemoteScript: bobClose,
		LocalBalance: 700_000_500, RemoteBalance: 299_999_500,
		Fee: 1_234, DustLimit: 546,
	}
	tx, err := NewLegacyClosingTx(tc.alice, lc)
	if err != nil {
		t.Fatal(err)
	}
	if tx.LockTime != 0 || tx.TxIn[0].Sequence != 0xFFFFFFFF || tx.Version != 2 || len(tx.TxOut) != 2 {
		t.Fatalf("closing tx shape: %+v", tx)
	}
	// BIP 69: the smaller output first. Alice (opener) pays the fee, msat
	// are rounded down.
	if tx.TxOut[0].Value != 299_999 || tx.TxOut[1].Value != 700_000-1_234 {
		t.Fatalf("outputs %d, %d", tx.TxOut[0].Value, tx.TxOut[1].Value)
	}
	full := closeBoth(t, tc, tx)
	mustPass(t, "legacy closing", execute(full, 0, tc.fundingOut(t)))
	full.TxOut[0].Value--
	mustFail(t, "legacy closing altered after signing", execute(full, 0, tc.fundingOut(t)))

	// Bob's output below the offering node's dust limit is removed; alice
	// may also drop her own.
	lc.RemoteBalance, lc.LocalBalance = 500_000, 999_500_000
	tx, err = NewLegacyClosingTx(tc.alice, lc)
	if err != nil || len(tx.TxOut) != 1 || tx.TxOut[0].Value != 999_500-1_234 {
		t.Fatalf("dust removal: %v %+v", err, tx)
	}
	lc.OmitLocal = true
	if _, err := NewLegacyClosingTx(tc.alice, lc); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("no outputs left: %v", err)
	}
	lc.OmitLocal, lc.Fee = false, 2_000_000
	if _, err := NewLegacyClosingTx(tc.alice, lc); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("fee above the opener's balance: %v", err)
	}
}

func TestSimpleClosingTxVariants(t *testing.T) {
	tc := newTestChannel(t, script.StaticRemoteKey, 1_000_000)
	sc := &SimpleClose{
		Closer:       Remote, // bob proposes: he pays the fee even though alice opened
		CloserScript: bobClose, CloseeScript: aliceClose,
		LocalBalance: 600_000_000, RemoteBalance: 400_000_000,
		Fee: 700, LockTime: 800_000,
	}
	txs := map[ClosingVariant]*btcwire.MsgTx{}
	for _, v := range []ClosingVariant{CloserAndClosee, CloserOutputOnly, CloseeOutputOnly} {
		tx, err := NewSimpleClosingTx(tc.alice, sc, v)
		if err != nil {
			t.Fatal(v, err)
		}
		if tx.LockTime != 800_000 || tx.TxIn[0].Sequence != 0xFFFFFFFD {
			t.Fatalf("%v: locktime %d sequence %x", v, tx.LockTime, tx.TxIn[0].Sequence)
		}
		var total int64
		for _, o := range tx.TxOut {
			total += o.Value
		}
		want := map[ClosingVariant]int64{CloserAndClosee: 1_000_000 - 700, CloserOutputOnly: 400_000 - 700, CloseeOutputOnly: 600_000}[v]
		if total != want {
			t.Fatalf("%v pays %d, want %d", v, total, want)
		}
		full := closeBoth(t, tc, tx)
		mustPass(t, v.String(), execute(full, 0, tc.fundingOut(t)))
		txs[v] = full
	}
	// A signature for one variant does not sign another.
	mixed := txs[CloserOutputOnly].Copy()
	mixed.TxIn[0].Witness = txs[CloserAndClosee].TxIn[0].Witness
	mustFail(t, "closer_output_only with the other variant's signatures", execute(mixed, 0, tc.fundingOut(t)))

	// OP_RETURN closee output carries 0 sat.
	sc.CloseeScript = opReturn
	tx, err := NewSimpleClosingTx(tc.alice, sc, CloserAndClosee)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxOut[0].Value != 0 || tx.TxOut[0].PkScript[0] != txscript.OP_RETURN {
		t.Fatalf("OP_RETURN output %+v", tx.TxOut[0])
	}
	mustPass(t, "closing with OP_RETURN output", execute(closeBoth(t, tc, tx), 0, tc.fundingOut(t)))

	// A dust closer output is refused for the variants that carry it.
	sc.CloseeScript, sc.Fee = aliceClose, 399_900
	if _, err := NewSimpleClosingTx(tc.alice, sc, CloserAndClosee); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("dust closer output: %v", err)
	}
	if _, err := NewSimpleClosingTx(tc.alice, sc, CloseeOutputOnly); err != nil {
		t.Fatalf("closee_output_only: %v", err)
	}
	sc.Fee = 400_001
	if _, err := NewSimpleClosingTx(tc.alice, sc, CloseeOutputOnly); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("fee above the closer's balance: %v", err)
	}
}

// TestLegacyCloseEitherSideOmits has each side sign a closing_signed
// without its own output (BOLT 3: the offering node MAY eliminate its own
// output) and the other side find and verify the variant, complete it and
// run it through the script engine. Before OmitRemote, a closing_signed
// whose sender dropped its own output could not be verified.
func TestLegacyCloseEitherSideOmits(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 1_000_000)
	// Alice's view; bob's is the mirror image.
	aliceView := LegacyClose{
		LocalScript: aliceClose, RemoteScript: bobClose,
		LocalBalance: 700_000_500, RemoteBalance: 299_999_500,
		Fee: 1_234,
	}
	mirror := func(lc LegacyClose) LegacyClose {
		lc.LocalScript, lc.RemoteScript = lc.RemoteScript, lc.LocalScript
		lc.LocalBalance, lc.RemoteBalance = lc.RemoteBalance, lc.LocalBalance
		lc.OmitLocal, lc.OmitRemote = lc.OmitRemote, lc.OmitLocal
		return lc
	}
	type signer struct {
		name           string
		params, verify *Params
		sig, other     *MemorySigner
		own, theirs    []byte
		offer          LegacyClose // from the offering node's view
	}
	bobOffer := mirror(aliceView)
	bobOffer.DustLimit = tc.bob.Local.DustLimit
	aliceOffer := aliceView
	aliceOffer.DustLimit = tc.alice.Local.DustLimit
	for _, s := range []signer{
		{"bob", tc.bob, tc.alice, tc.bobSig, tc.aliceSig, bobClose, aliceClose, bobOffer},
		{"alice", tc.alice, tc.bob, tc.aliceSig, tc.bobSig, aliceClose, bobClose, aliceOffer},
	} {
		receiverView := mirror(s.offer)
		receiverView.DustLimit = 99_999 // ignored by VerifyLegacyClose
		for _, omit := range []bool{false, true} {
			offer := s.offer
			offer.OmitLocal = omit
			tx, err := NewLegacyClosingTx(s.params, &offer)
			if err != nil {
				t.Fatal(err)
			}
			if want := 2 - b2i(omit); len(tx.TxOut) != want {
				t.Fatalf("%s omits its output=%v: %d outputs", s.name, omit, len(tx.TxOut))
			}
			for _, o := range tx.TxOut {
				if omit && string(o.PkScript) == string(s.own) {
					t.Fatalf("%s's output is still there", s.name)
				}
			}
			offerSig, err := SignFundingSpend(ctx, s.sig, s.params, tx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyLegacyClose(s.verify, &receiverView, offerSig)
			if err != nil {
				t.Fatalf("%s omits its output=%v: %v", s.name, omit, err)
			}
			if got.TxHash() != tx.TxHash() {
				t.Fatalf("%s omits its output=%v: verified another transaction", s.name, omit)
			}
			// The receiver can build the same variant directly.
			direct := receiverView
			direct.DustLimit, direct.OmitRemote = s.verify.Remote.DustLimit, omit
			if d, err := NewLegacyClosingTx(s.verify, &direct); err != nil || d.TxHash() != tx.TxHash() {
				t.Fatalf("%s omits its output=%v: OmitRemote builds another transaction: %v", s.name, omit, err)
			}
			recvSig, err := SignFundingSpend(ctx, s.other, s.verify, got)
			if err != nil {
				t.Fatal(err)
			}
			full, err := CompleteFundingSpend(s.verify, got, recvSig, offerSig)
			if err != nil {
				t.Fatal(err)
			}
			mustPass(t, s.name+" closing_signed variant", execute(full, 0, tc.fundingOut(t)))

			// The signature does not carry over to the other variant.
			other := offer
			other.OmitLocal = !omit
			otx, err := NewLegacyClosingTx(s.params, &other)
			if err != nil {
				t.Fatal(err)
			}
			wrong := otx.Copy()
			wrong.TxIn[0].Witness = full.TxIn[0].Witness
			mustFail(t, s.name+" closing signatures on the other variant", execute(wrong, 0, tc.fundingOut(t)))
		}
		// A signature of something else verifies for neither variant.
		junk, _ := SignFundingSpend(ctx, s.sig, s.params, closingTx(s.params, 7, 0))
		if _, err := VerifyLegacyClose(s.verify, &receiverView, junk); !errors.Is(err, ErrInvalidClosingSig) {
			t.Fatalf("%s: unrelated signature: %v", s.name, err)
		}
	}
}
