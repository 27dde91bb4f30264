package channel

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

var (
	walletKey    = scripttest.Key("alice wallet")
	walletScript = script.P2WPKH(walletKey.PubKey())
	changeScript = script.P2WPKH(scripttest.Key("alice change").PubKey())
)

// walletCoin is a P2WPKH coin of the test wallet.
func walletCoin(label string, value btcutil.Amount) WalletInput {
	return WalletInput{
		OutPoint: scripttest.FakeOutPoint(label, 0), Value: value,
		PkScript: walletScript, WitnessSize: P2WPKHWitnessSize,
	}
}

// walletSign signs the wallet inputs of w, as an external wallet would,
// from what WalletFundedTx describes.
func walletSign(t *testing.T, w *WalletFundedTx, key *btcec.PrivateKey) {
	t.Helper()
	hashes := txscript.NewTxSigHashes(w.Tx, w.PrevOutFetcher())
	for _, idx := range w.WalletInputs {
		prev := w.PrevOuts[idx]
		sig, err := txscript.RawTxInWitnessSignature(w.Tx, hashes, idx, prev.Value, prev.PkScript, txscript.SigHashAll, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Tx.TxIn[idx].Witness = btcwire.TxWitness{sig, key.PubKey().SerializeCompressed()}
	}
}

// prevOutMap is w.PrevOuts by outpoint.
func prevOutMap(w *WalletFundedTx) map[btcwire.OutPoint]*btcwire.TxOut {
	m := map[btcwire.OutPoint]*btcwire.TxOut{}
	for i, in := range w.Tx.TxIn {
		m[in.PreviousOutPoint] = w.PrevOuts[i]
	}
	return m
}

// checkFunded checks a WalletFundedTx's accounting after the wallet
// signed it, and runs every input.
func checkFunded(t *testing.T, what string, w *WalletFundedTx, fee btcutil.Amount) {
	t.Helper()
	var in, out btcutil.Amount
	for _, p := range w.PrevOuts {
		in += btcutil.Amount(p.Value)
	}
	for _, o := range w.Tx.TxOut {
		out += btcutil.Amount(o.Value)
	}
	if in-out != w.Fee || w.Fee != fee {
		t.Fatalf("%s: fee %v, inputs minus outputs %v, want %v", what, w.Fee, in-out, fee)
	}
	if real := txWeight(w.Tx); real > w.Weight || real < w.Weight-int64(3*len(w.Tx.TxIn)) {
		t.Fatalf("%s: weight %d, estimated %d", what, real, w.Weight)
	}
	if w.Tx.TxOut[w.Change].Value < int64(script.DustThreshold(w.Tx.TxOut[w.Change].PkScript)) {
		t.Fatalf("%s: change below dust", what)
	}
	mustPass(t, what, scripttest.ForTx(w.Tx, prevOutMap(w)).ExecuteAll())
}

// TestAnchorCPFP spends alice's anchor, of her own commitment and of
// bob's, with a wallet coin to a change output, signs the coin as an
// external wallet would and runs the whole child; the package of
// commitment and child pays the fee rate asked for.
func TestAnchorCPFP(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	aliceC, bobC, sigs, _ := signedPair(t, tc, tc.busyState())
	full, err := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.CommitSig)
	if err != nil {
		t.Fatal(err)
	}
	if real := txWeight(full); real > aliceC.SignedWeight() || real < aliceC.SignedWeight()-2 {
		t.Fatalf("commitment weight %d, SignedWeight %d", real, aliceC.SignedWeight())
	}

	const rate = 20_000
	for _, c := range []*Commitment{aliceC, bobC} {
		anchor := c.LocalAnchor
		if c.Owner == Remote {
			anchor = c.RemoteAnchor
		}
		f := &WalletFunding{Inputs: []WalletInput{walletCoin("coin "+c.Owner.String(), 200_000)}, ChangeScript: changeScript, FeeRate: rate}
		w, err := AnchorCPFPTx(ctx, tc.aliceSig, c, f)
		if err != nil {
			t.Fatal(err)
		}
		if w.Tx.TxIn[0].PreviousOutPoint != outpoint(c, anchor.Index) || len(w.WalletInputs) != 1 || w.WalletInputs[0] != 1 || len(w.Tx.TxOut) != 1 {
			t.Fatalf("CPFP shape: %+v", w)
		}
		if len(w.Tx.TxIn[1].Witness) != 0 {
			t.Fatal("wallet input signed by the channel signer")
		}
		// The package pays the rate: the child's fee tops up the
		// commitment's.
		pkg := wire.SatPerKWeight(rate).FeeForWeight(c.SignedWeight() + w.Weight)
		walletSign(t, w, walletKey)
		checkFunded(t, "anchor CPFP of the "+c.Owner.String()+" commitment", w, pkg-c.Fee)

		// Wrong key: bob cannot spend alice's anchor through its key
		// path.
		cl, _ := AnchorClaim(c)
		bad, err := anchorCPFP(ctx, tc.bobSig, c, cl, f, false)
		if err != nil {
			t.Fatal(err)
		}
		walletSign(t, bad, walletKey)
		mustFail(t, "anchor spent with the wrong funding key", scripttest.ForTx(bad.Tx, prevOutMap(bad)).Execute(0))
		if _, err := AnchorCPFPTx(ctx, tc.bobSig, c, f); !errors.Is(err, ErrInvalidSweep) {
			t.Fatalf("wrong-key signature not noticed: %v", err)
		}
		// Without the wallet's signature the child is invalid.
		unsigned, _ := AnchorCPFPTx(ctx, tc.aliceSig, c, f)
		mustFail(t, "CPFP with an unsigned wallet input", scripttest.ForTx(unsigned.Tx, prevOutMap(unsigned)).Execute(1))
	}

	// Too small a coin: the shortfall is reported exactly.
	f := &WalletFunding{Inputs: []WalletInput{walletCoin("small coin", 1_000)}, ChangeScript: changeScript, FeeRate: rate}
	_, err = AnchorCPFPTx(ctx, tc.aliceSig, aliceC, f)
	var short *InsufficientFundsError
	if !errors.As(err, &short) || !errors.Is(err, ErrInsufficientFunds) || short.Missing <= 0 {
		t.Fatalf("small coin: %v", err)
	}
	f.Inputs[0].Value += short.Missing
	w, err := AnchorCPFPTx(ctx, tc.aliceSig, aliceC, f)
	if err != nil || w.Tx.TxOut[0].Value != int64(script.DustP2WPKH) {
		t.Fatalf("coin topped up by the shortfall: %v", err)
	}
	walletSign(t, w, walletKey)
	mustPass(t, "CPFP with change at dust", scripttest.ForTx(w.Tx, prevOutMap(w)).ExecuteAll())

	// Refused wallet inputs.
	for name, in := range map[string]WalletInput{
		"nested segwit":   {OutPoint: scripttest.FakeOutPoint("p2sh", 0), Value: 10_000, PkScript: []byte{txscript.OP_HASH160, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, txscript.OP_EQUAL}, WitnessSize: 109},
		"no witness size": {OutPoint: scripttest.FakeOutPoint("x", 0), Value: 10_000, PkScript: walletScript},
		"zero value":      {OutPoint: scripttest.FakeOutPoint("y", 0), PkScript: walletScript, WitnessSize: 109},
		"the anchor":      {OutPoint: outpoint(aliceC, aliceC.LocalAnchor.Index), Value: 330, PkScript: aliceC.LocalAnchor.PkScript, WitnessSize: 50},
	} {
		f := &WalletFunding{Inputs: []WalletInput{in}, ChangeScript: changeScript, FeeRate: rate}
		if _, err := AnchorCPFPTx(ctx, tc.aliceSig, aliceC, f); !errors.Is(err, ErrInvalidSweep) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := AnchorCPFPTx(ctx, tc.aliceSig, aliceC, &WalletFunding{FeeRate: rate}); !errors.Is(err, ErrInvalidSweep) {
		t.Errorf("no change script: %v", err)
	}
	plain := newTestChannel(t, script.StaticRemoteKey, 10_000_000)
	pc, _ := LocalCommitment(plain.alice, plain.busyState(), plain.alicePoint)
	if _, err := AnchorCPFPTx(ctx, plain.aliceSig, pc, f); !errors.Is(err, ErrInvalidSweep) {
		t.Errorf("static_remotekey commitment: %v", err)
	}
}

// TestAnchorSweepAfter16Blocks sweeps both anchors of a commitment, as
// anyone may once it is 16 blocks deep: no signature, sequence 16; with
// sequence 15 the script refuses.
func TestAnchorSweepAfter16Blocks(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	aliceC, _, sigs, _ := signedPair(t, tc, tc.busyState())
	full, _ := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.CommitSig)
	outs := prevOutsOf(full)
	var claims []Claim
	for _, owner := range []Side{Local, Remote} {
		cl, err := AnchorSweepClaim(aliceC, owner)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Kind != ClaimAnchorSweep || cl.Sequence != 16 || cl.Value != 330 {
			t.Fatalf("anchor sweep claim %+v", cl)
		}
		claims = append(claims, cl)
	}
	if claims[0].OutPoint == claims[1].OutPoint {
		t.Fatal("both claims name one anchor")
	}
	// No signer is needed.
	st, err := SweepClaims(ctx, nil, claims, destScript, 253)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Tx.TxIn {
		if len(in.Witness) != 2 || len(in.Witness[0]) != 0 {
			t.Fatalf("anchor sweep witness %x", in.Witness)
		}
	}
	checkSweep(t, "both anchors swept after 16 blocks", st, claims, 253, outs)

	early := append([]Claim(nil), claims...)
	for i := range early {
		early[i].Sequence = 15
	}
	tooEarly := unchecked(t, nil, early, 253)
	for i := range tooEarly.TxIn {
		mustFail(t, "anchor sweep after 15 blocks", execute(tooEarly, i, outs))
	}
	// The owner's key path is another claim; the empty signature does not
	// open it early, and a signature by the wrong key does not either.
	own, err := AnchorClaim(aliceC)
	if err != nil {
		t.Fatal(err)
	}
	if own.OutPoint != claims[0].OutPoint || own.Kind != ClaimAnchor {
		t.Fatalf("alice's anchor claim %+v", own)
	}
	byAlice, err := SweepClaims(ctx, tc.aliceSig, append([]Claim{own}, claims[1]), destScript, 253)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, "own anchor by key at once, with the other after 16 blocks", executeAll(byAlice.Tx, outs))
	mustFail(t, "anchor key path by the wrong key", execute(unchecked(t, tc.bobSig, []Claim{own, claims[1]}, 253), 0, outs))
	if _, err := AnchorSweepClaim(aliceC, Side(7)); !errors.Is(err, ErrInvalidSweep) {
		t.Fatalf("bad side: %v", err)
	}
}
