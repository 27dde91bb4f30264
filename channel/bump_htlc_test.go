package channel

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// TestBumpHTLCTx fee-bumps each of alice's zero-fee HTLC-timeout and
// HTLC-success transactions with two wallet coins and a change output,
// signs the coins as an external wallet would and runs the whole
// transaction; bob's SIGHASH_SINGLE|ANYONECANPAY signature still holds,
// alice's is SIGHASH_ALL over the bumped transaction, and the output can
// be swept after to_self_delay.
func TestBumpHTLCTx(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	aliceC, _, sigs, _ := signedPair(t, tc, tc.busyState())
	full, err := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.CommitSig)
	if err != nil {
		t.Fatal(err)
	}
	commitOuts := prevOutsOf(full)
	const rate = 10_000
	funding := func(label string) *WalletFunding {
		return &WalletFunding{
			Inputs:       []WalletInput{walletCoin(label+" a", 3_000), walletCoin(label+" b", 20_000)},
			ChangeScript: changeScript, FeeRate: rate,
		}
	}
	var timeouts, successes int
	for i, h := range aliceC.HTLCs {
		what := "bumped HTLC-success"
		var pre *htlc.Preimage
		if h.Direction == htlc.Received {
			pre = tc.preimage(h.PaymentHash)
			successes++
		} else {
			what = "bumped HTLC-timeout"
			timeouts++
		}
		f := funding(what + string(rune('0'+i)))
		w, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], pre, f)
		if err != nil {
			t.Fatal(err)
		}
		sl := h.SecondLevelTx
		tx := w.Tx
		if tx.LockTime != sl.LockTime || tx.TxIn[0].PreviousOutPoint != sl.TxIn[0].PreviousOutPoint ||
			tx.TxIn[0].Sequence != 1 || tx.TxOut[0].Value != sl.TxOut[0].Value ||
			string(tx.TxOut[0].PkScript) != string(sl.TxOut[0].PkScript) {
			t.Fatalf("%s: input 0 / output 0 changed", what)
		}
		if len(tx.TxIn) != 3 || len(tx.TxOut) != 2 || w.Change != 1 || len(w.WalletInputs) != 2 || w.WalletInputs[0] != 1 {
			t.Fatalf("%s: shape %d inputs %d outputs", what, len(tx.TxIn), len(tx.TxOut))
		}
		if rs := tx.TxIn[0].Witness[1]; rs[len(rs)-1] != 0x83 {
			t.Fatalf("%s: peer's sighash byte %#x", what, rs[len(rs)-1])
		}
		if ls := tx.TxIn[0].Witness[2]; ls[len(ls)-1] != 0x01 {
			t.Fatalf("%s: own sighash byte %#x", what, ls[len(ls)-1])
		}
		walletSign(t, w, walletKey)
		checkFunded(t, what, w, wire.SatPerKWeight(rate).FeeForWeight(w.Weight))
		outs := mergeOuts(commitOuts, prevOutMap(w))

		// Input 0 and output 0 must stay paired: with the change moved
		// in front, bob's signature no longer holds.
		swapped := tx.Copy()
		swapped.TxOut[0], swapped.TxOut[1] = swapped.TxOut[1], swapped.TxOut[0]
		mustFail(t, what+" with the HTLC output moved", execute(swapped, 0, outs))

		// Wrong key for alice's own signature.
		bad, err := bumpHTLC(ctx, tc.bobSig, aliceC, i, sigs.HTLCSigs[i], pre, f, false)
		if err != nil {
			t.Fatal(err)
		}
		mustFail(t, what+" with the wrong local key", execute(bad.Tx, 0, outs))
		if _, err := BumpHTLCTx(ctx, tc.bobSig, aliceC, i, sigs.HTLCSigs[i], pre, f); !errors.Is(err, ErrInvalidSweep) {
			t.Fatalf("%s: wrong-key signature not noticed: %v", what, err)
		}
		// The peer's signature of another HTLC is refused up front.
		wrong := sigs.HTLCSigs[(i+1)%len(sigs.HTLCSigs)]
		var se *SignatureError
		if _, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, i, wrong, pre, f); !errors.As(err, &se) || !errors.Is(err, ErrInvalidHTLCSig) || se.HTLCIndex != i {
			t.Fatalf("%s: wrong remote signature: %v", what, err)
		}

		if h.Direction == htlc.Received {
			var junk htlc.Preimage
			if _, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], &junk, f); !errors.Is(err, ErrInvalidSweep) {
				t.Fatalf("wrong preimage accepted: %v", err)
			}
			tampered := tx.Copy()
			tampered.TxIn[0].Witness[3] = junk[:]
			mustFail(t, what+" with a wrong preimage", execute(tampered, 0, outs))
		} else {
			// Too early, before cltv_expiry: the offered HTLC script
			// has no CLTV of its own; bob's signature, which commits
			// to locktime cltv_expiry, is what enforces it.
			early := tx.Copy()
			early.LockTime = h.CLTVExpiry - 1
			mustFail(t, what+" before cltv_expiry", execute(early, 0, outs))
		}
		// Too early, in the commitment's own block: sequence 0 instead
		// of 1, with both signatures made again for it, so that only
		// the script's 1 OP_CHECKSEQUENCEVERIFY refuses.
		noCSV := tx.Copy()
		noCSV.TxIn[0].Sequence = 0
		resignHTLCInput(t, tc, aliceC, i, noCSV, pre)
		mustFail(t, what+" without the 1-block CSV", execute(noCSV, 0, outs))

		// The bumped transaction's HTLC output is swept after
		// to_self_delay; the change is not this commitment's.
		claims, err := SecondLevelClaims(aliceC, tx)
		if err != nil || len(claims) != 1 || claims[0].OutPoint.Index != 0 || claims[0].HTLC == nil || claims[0].HTLC.ID != h.ID {
			t.Fatalf("%s: second-stage claims %+v: %v", what, claims, err)
		}
		st, err := SweepClaims(ctx, tc.aliceSig, claims, destScript, 1000)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, what+" output after to_self_delay", execute(st.Tx, 0, prevOutsOf(tx)))
	}
	if timeouts == 0 || successes == 0 {
		t.Fatal("test state lacks an HTLC in some direction")
	}

	// Not enough in the wallet.
	poor := &WalletFunding{Inputs: []WalletInput{walletCoin("poor", 2_000)}, ChangeScript: changeScript, FeeRate: rate}
	pre := tc.preimage(aliceC.HTLCs[0].PaymentHash)
	_, err = BumpHTLCTx(ctx, tc.aliceSig, aliceC, 0, sigs.HTLCSigs[0], pre, poor)
	var short *InsufficientFundsError
	if !errors.As(err, &short) || short.Missing <= 0 {
		t.Fatalf("poor wallet: %v", err)
	}
	poor.Inputs[0].Value += short.Missing
	if w, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, 0, sigs.HTLCSigs[0], pre, poor); err != nil ||
		btcutil.Amount(w.Tx.TxOut[1].Value) != script.DustP2WPKH {
		t.Fatalf("wallet topped up by the shortfall: %v", err)
	}
	// A wallet input may not be the HTLC output itself.
	self := &WalletFunding{
		Inputs: []WalletInput{{
			OutPoint: aliceC.HTLCs[0].SecondLevelTx.TxIn[0].PreviousOutPoint, Value: 5_000,
			PkScript: aliceC.HTLCs[0].Output.PkScript, WitnessSize: 300,
		}},
		ChangeScript: changeScript, FeeRate: rate,
	}
	if _, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, 0, sigs.HTLCSigs[0], pre, self); !errors.Is(err, ErrInvalidSweep) {
		t.Fatalf("HTLC output as a wallet input: %v", err)
	}
	if _, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, len(aliceC.HTLCs), sigs.HTLCSigs[0], pre, poor); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("HTLC out of range: %v", err)
	}

	// Without option_anchors the peer signed SIGHASH_ALL: no fee inputs.
	plain := newTestChannel(t, script.StaticRemoteKey, 10_000_000)
	pc, _, psigs, _ := signedPair(t, plain, plain.busyState())
	if _, err := BumpHTLCTx(ctx, plain.aliceSig, pc, 0, psigs.HTLCSigs[0], plain.preimage(pc.HTLCs[0].PaymentHash), poor); !errors.Is(err, ErrInvalidSweep) {
		t.Fatalf("static_remotekey HTLC transaction: %v", err)
	}
}

// resignHTLCInput replaces the witness of input 0 of tx, alice's bumped
// HTLC transaction for aliceC.HTLCs[i], with bob's and alice's signatures
// made for tx as it now is.
func resignHTLCInput(t *testing.T, tc *testChannel, aliceC *Commitment, i int, tx *btcwire.MsgTx, pre *htlc.Preimage) {
	t.Helper()
	ctx := context.Background()
	h := &aliceC.HTLCs[i]
	ws := h.Output.WitnessScript
	sign := func(s Signer, point *btcec.PublicKey, ht txscript.SigHashType) []byte {
		req := &SignRequest{
			Key: KeyHTLC, PerCommitmentPoint: point, Tx: tx, WitnessScript: ws,
			Value: h.Output.Value, HashType: ht, SigHashes: txscript.NewTxSigHashes(tx, emptyFetcher),
		}
		sig, err := s.SignInput(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := witnessSig(sig, ht)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	remote := sign(tc.bobSig, tc.alicePoint, htlc.RemoteSigHashType(aliceC.Type))
	local := sign(tc.aliceSig, tc.alicePoint, htlc.LocalSigHashType)
	if h.Direction == htlc.Offered {
		tx.TxIn[0].Witness = script.OfferedHTLCLocalTimeoutWitness(remote, local, ws)
	} else {
		tx.TxIn[0].Witness = script.ReceivedHTLCLocalSuccessWitness(remote, local, *pre, ws)
	}
}

// TestWalletFundedPrevOutFetcher checks that the fetcher a wallet gets
// answers for every input.
func TestWalletFundedPrevOutFetcher(t *testing.T) {
	w := &WalletFundedTx{
		Tx: &btcwire.MsgTx{TxIn: []*btcwire.TxIn{
			{PreviousOutPoint: scripttest.FakeOutPoint("a", 1)},
			{PreviousOutPoint: scripttest.FakeOutPoint("b", 2)},
		}},
		PrevOuts: []*btcwire.TxOut{{Value: 1, PkScript: walletScript}, {Value: 2, PkScript: changeScript}},
	}
	f := w.PrevOutFetcher()
	for i, in := range w.Tx.TxIn {
		if got := f.FetchPrevOutput(in.PreviousOutPoint); got != w.PrevOuts[i] {
			t.Fatalf("input %d: %v", i, got)
		}
	}
}
