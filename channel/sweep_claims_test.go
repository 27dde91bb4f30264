package channel

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

// Every transaction below runs through txscript.NewEngine with the
// standard verify flags (scripttest), with a failing twin for each path.

// revokedSetup is bob's commitment, which alice holds the revocation
// secret of, broadcast by bob, with everything both sides need to spend
// it.
type revokedSetup struct {
	tc         *testChannel
	st         *State
	bobC       *Commitment // bob's commitment from alice's view
	bobLocal   *Commitment // the same from bob's view
	sigsForBob *CommitSigs // alice's signatures on it
	revoked    *btcwire.MsgTx
	outs       map[btcwire.OutPoint]*btcwire.TxOut
}

func newRevokedSetup(t *testing.T, typ script.ChannelType) *revokedSetup {
	t.Helper()
	tc := newTestChannel(t, typ, 10_000_000)
	st := tc.busyState()
	_, bobC, _, sigsForBob := signedPair(t, tc, st)
	bobLocal, err := LocalCommitment(tc.bob, swapState(st), tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := SignedCommitmentTx(context.Background(), tc.bobSig, tc.bob, bobLocal, sigsForBob.CommitSig)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, "revoked commitment", execute(revoked, 0, tc.fundingOut(t)))
	return &revokedSetup{tc: tc, st: st, bobC: bobC, bobLocal: bobLocal, sigsForBob: sigsForBob, revoked: revoked, outs: prevOutsOf(revoked)}
}

// bobHTLCTx returns bob's signed HTLC transaction for bobLocal.HTLCs[i].
func (r *revokedSetup) bobHTLCTx(t *testing.T, i int) *btcwire.MsgTx {
	t.Helper()
	h := r.bobLocal.HTLCs[i]
	var pre *htlc.Preimage
	if h.Direction == htlc.Received {
		pre = r.tc.preimage(h.PaymentHash)
	}
	tx, err := SignedHTLCTx(context.Background(), r.tc.bobSig, r.bobLocal, i, r.sigsForBob.HTLCSigs[i], pre)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, "bob's HTLC transaction", execute(tx, 0, r.outs))
	return tx
}

func mergeOuts(maps ...map[btcwire.OutPoint]*btcwire.TxOut) map[btcwire.OutPoint]*btcwire.TxOut {
	m := map[btcwire.OutPoint]*btcwire.TxOut{}
	for _, x := range maps {
		for k, v := range x {
			m[k] = v
		}
	}
	return m
}

// checkSweep checks a SweepTx's accounting and runs all of its inputs.
func checkSweep(t *testing.T, what string, st *SweepTx, claims []Claim, feeRate uint32, outs map[btcwire.OutPoint]*btcwire.TxOut) {
	t.Helper()
	var in btcutil.Amount
	for _, cl := range claims {
		in += cl.Value
	}
	if got := in - btcutil.Amount(st.Tx.TxOut[0].Value); got != st.Fee || st.Fee <= 0 {
		t.Fatalf("%s: fee %v, inputs minus output %v", what, st.Fee, got)
	}
	if st.Fee != btcutil.Amount(int64(feeRate)*st.Weight/1000) {
		t.Fatalf("%s: fee %v for weight %d at %d sat/kw", what, st.Fee, st.Weight, feeRate)
	}
	if real := txWeight(st.Tx); real > st.Weight || real < st.Weight-int64(3*len(claims)) {
		t.Fatalf("%s: weight %d, estimated %d", what, real, st.Weight)
	}
	mustPass(t, what, executeAll(st.Tx, outs))
}

// TestJusticeOnBatchedHTLCTxs: under option_anchors bob batches two of
// his HTLC-success transactions of a revoked commitment into one
// transaction with a wallet input and a change output of his own, the HTLC
// outputs at indexes 1 and 2 (alice's SIGHASH_SINGLE|ANYONECANPAY
// signatures allow it). Alice must be able to take both outputs at once
// through the revocation key, in one transaction. The code before looked
// at output 0 only, the change, and refused.
func TestJusticeOnBatchedHTLCTxs(t *testing.T) {
	ctx := context.Background()
	r := newRevokedSetup(t, script.Anchors)
	tc := r.tc

	// Bob's two HTLC-success transactions (HTLCs bob received, locktime
	// 0, so they can share a transaction).
	var picked []int
	for i, h := range r.bobLocal.HTLCs {
		if h.Direction == htlc.Received {
			picked = append(picked, i)
		}
	}
	if len(picked) < 2 {
		t.Fatal("test state has fewer than two HTLCs bob received")
	}
	picked = picked[:2]

	walletKey := scripttest.Key("bob wallet")
	walletPk := script.P2WPKH(walletKey.PubKey())
	walletOp := scripttest.FakeOutPoint("bob wallet coin", 3)
	batch := &btcwire.MsgTx{Version: 2, LockTime: 0}
	batch.TxIn = []*btcwire.TxIn{{PreviousOutPoint: walletOp, Sequence: 0xFFFFFFFD}}
	batch.TxOut = []*btcwire.TxOut{{Value: 95_000, PkScript: walletPk}}
	for _, i := range picked {
		sl := r.bobLocal.HTLCs[i].SecondLevelTx
		in, out := *sl.TxIn[0], *sl.TxOut[0]
		batch.TxIn = append(batch.TxIn, &in)
		batch.TxOut = append(batch.TxOut, &out)
	}
	outs := mergeOuts(r.outs, map[btcwire.OutPoint]*btcwire.TxOut{walletOp: {Value: 100_000, PkScript: walletPk}})
	sp := scripttest.ForTx(batch, outs)
	bobHTLCKey := script.TweakPrivKey(secretsFor("bob").HTLC, nil, tc.bobPoint)
	witnesses := make([]btcwire.TxWitness, len(batch.TxIn))
	for k, i := range picked {
		idx := k + 1
		h := r.bobLocal.HTLCs[i]
		ws := h.Output.WitnessScript
		aliceSig, err := witnessSig(r.sigsForBob.HTLCSigs[i], htlc.RemoteSigHashType(script.Anchors))
		if err != nil {
			t.Fatal(err)
		}
		bobSig := sp.MustSign(idx, ws, bobHTLCKey, txscript.SigHashAll)
		witnesses[idx] = script.ReceivedHTLCLocalSuccessWitness(aliceSig, bobSig, *tc.preimage(h.PaymentHash), ws)
	}
	walletSig := sp.MustSign(0, walletPk, walletKey, txscript.SigHashAll)
	witnesses[0] = btcwire.TxWitness{walletSig, walletKey.PubKey().SerializeCompressed()}
	for i, w := range witnesses {
		sp.SetWitness(i, w)
	}
	mustPass(t, "bob's batched HTLC-success transactions", sp.ExecuteAll())
	batchOuts := prevOutsOf(batch)

	// Alice finds both outputs by script.
	claims, err := RevokedSecondLevelClaims(r.bobC, tc.bobSecret, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 2 {
		t.Fatalf("%d claims, want 2", len(claims))
	}
	for k, cl := range claims {
		want := r.bobLocal.HTLCs[picked[k]]
		if cl.Kind != ClaimRevokedSecondLevel || cl.OutPoint.Index != uint32(k+1) || cl.Sequence != rbfSequence ||
			cl.HTLC == nil || cl.HTLC.ID != want.ID || cl.Value != want.Output.Value {
			t.Fatalf("claim %d: %+v", k, cl)
		}
	}
	st, err := SweepClaims(ctx, tc.aliceSig, claims, destScript, 5000)
	if err != nil {
		t.Fatal(err)
	}
	checkSweep(t, "justice on both batched outputs", st, claims, 5000, batchOuts)

	// The one-call wrapper does the same.
	j, err := JusticeSecondLevelTx(ctx, tc.aliceSig, r.bobC, tc.bobSecret, batch, destScript, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.TxIn) != 2 || j.TxIn[0].PreviousOutPoint.Index != 1 || j.TxIn[1].PreviousOutPoint.Index != 2 {
		t.Fatalf("JusticeSecondLevelTx spends %d inputs", len(j.TxIn))
	}
	mustPass(t, "JusticeSecondLevelTx on the batch", executeAll(j, batchOuts))

	// Wrong key: bob's own revocation secret does not open the path.
	byBob := unchecked(t, tc.bobSig, claims, 5000)
	for i := range byBob.TxIn {
		mustFail(t, "revocation path of a batched output signed by the wrong key", execute(byBob, i, batchOuts))
	}
	if _, err := SweepClaims(ctx, tc.bobSig, claims, destScript, 5000); !errors.Is(err, ErrInvalidSweep) {
		t.Fatalf("wrong-key signature not noticed: %v", err)
	}

	// Bob's delayed path on the same outputs is too early before his
	// to_self_delay: the window alice's justice transaction has.
	bobClaims, err := SecondLevelClaims(r.bobLocal, batch)
	if err != nil || len(bobClaims) != 2 {
		t.Fatalf("bob's claims: %v", err)
	}
	if bobClaims[0].Sequence != uint32(tc.bob.Local.ToSelfDelay) {
		t.Fatalf("bob's delayed sequence %d", bobClaims[0].Sequence)
	}
	early := append([]Claim(nil), bobClaims...)
	for i := range early {
		early[i].Sequence--
	}
	tooEarly := unchecked(t, tc.bobSig, early, 5000)
	for i := range tooEarly.TxIn {
		mustFail(t, "bob's delayed path one block before to_self_delay", execute(tooEarly, i, batchOuts))
	}
	late, err := SweepClaims(ctx, tc.bobSig, bobClaims, destScript, 5000)
	if err != nil {
		t.Fatal(err)
	}
	checkSweep(t, "bob's delayed path after to_self_delay", late, bobClaims, 5000, batchOuts)

	// A transaction that pays nothing to the second-stage script.
	if _, err := RevokedSecondLevelClaims(r.bobC, tc.bobSecret, r.revoked); !errors.Is(err, ErrInvalidSweep) {
		t.Fatalf("commitment taken for an HTLC transaction: %v", err)
	}
}

// TestJusticeOverWhatIsLeft: bob broadcasts a revoked commitment and then
// one of his HTLC transactions. The all-outputs justice transaction now
// conflicts with it; alice sweeps what is left of the commitment together
// with the HTLC transaction's output, in one transaction and, as an
// alternative, in three.
func TestJusticeOverWhatIsLeft(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			r := newRevokedSetup(t, typ)
			tc := r.tc
			htlcTx := r.bobHTLCTx(t, 1)
			outs := mergeOuts(r.outs, prevOutsOf(htlcTx))

			// The justice transaction built before spends the same
			// HTLC output: it can no longer confirm.
			all, err := RevokedClaims(r.bobC, tc.bobSecret)
			if err != nil {
				t.Fatal(err)
			}
			old, err := JusticeTx(ctx, tc.aliceSig, r.bobC, tc.bobSecret, destScript, 5000)
			if err != nil {
				t.Fatal(err)
			}
			if len(UnspentClaims(all, htlcTx)) != len(all)-1 || !spendsAnyOf(old, htlcTx) {
				t.Fatal("the HTLC transaction should conflict with the full justice transaction")
			}

			left := UnspentClaims(all, htlcTx, nil)
			second, err := RevokedSecondLevelClaims(r.bobC, tc.bobSecret, htlcTx)
			if err != nil || len(second) != 1 {
				t.Fatalf("second-stage claims: %v", err)
			}
			kinds := map[ClaimKind]int{}
			for _, cl := range left {
				kinds[cl.Kind]++
			}
			if kinds[ClaimRevokedToLocal] != 1 || kinds[ClaimToRemote] != 1 || kinds[ClaimRevokedHTLC] != len(r.bobC.HTLCs)-1 {
				t.Fatalf("claims left: %v", kinds)
			}
			everything := append(append([]Claim(nil), left...), second...)
			st, err := SweepClaims(ctx, tc.aliceSig, everything, destScript, 5000)
			if err != nil {
				t.Fatal(err)
			}
			if spendsAnyOf(st.Tx, htlcTx) {
				t.Fatal("the new justice transaction conflicts with the HTLC transaction")
			}
			checkSweep(t, "justice over what is left, one transaction", st, everything, 5000, outs)

			// The same claims in three transactions: revocation paths of
			// to_local and the HTLC transaction output, the other HTLC
			// outputs, and to_remote.
			var groups [3][]Claim
			for _, cl := range everything {
				switch cl.Kind {
				case ClaimRevokedToLocal, ClaimRevokedSecondLevel:
					groups[0] = append(groups[0], cl)
				case ClaimRevokedHTLC:
					groups[1] = append(groups[1], cl)
				default:
					groups[2] = append(groups[2], cl)
				}
			}
			spent := map[btcwire.OutPoint]bool{}
			for g, claims := range groups {
				st, err := SweepClaims(ctx, tc.aliceSig, claims, destScript, 2000)
				if err != nil {
					t.Fatalf("group %d: %v", g, err)
				}
				for _, in := range st.Tx.TxIn {
					if spent[in.PreviousOutPoint] {
						t.Fatal("two transactions spend one output")
					}
					spent[in.PreviousOutPoint] = true
				}
				checkSweep(t, "justice in parts", st, claims, 2000, outs)
			}
			if len(spent) != len(everything) {
				t.Fatalf("%d outputs swept, want %d", len(spent), len(everything))
			}

			// Wrong key on every revocation path.
			byBob := unchecked(t, tc.bobSig, groups[0], 2000)
			for i := range byBob.TxIn {
				mustFail(t, "revocation path signed by the commitment owner", execute(byBob, i, outs))
			}

			// Refused requests.
			for name, claims := range map[string][]Claim{
				"nothing":      nil,
				"a zero claim": {{}},
				"one output twice": {
					everything[0], everything[0],
				},
			} {
				if _, err := SweepClaims(ctx, tc.aliceSig, claims, destScript, 2000); !errors.Is(err, ErrInvalidSweep) {
					t.Errorf("%s: %v", name, err)
				}
			}
			if _, err := SweepClaims(ctx, tc.aliceSig, second, nil, 2000); !errors.Is(err, ErrInvalidSweep) {
				t.Errorf("empty destination: %v", err)
			}
			if _, err := SweepClaims(ctx, tc.aliceSig, second, destScript, 10_000_000); !errors.Is(err, ErrInvalidSweep) {
				t.Errorf("fee above the value: %v", err)
			}
			if _, err := RevokedClaims(r.bobC, tc.aliceSecret); !errors.Is(err, ErrInvalidSweep) {
				t.Errorf("wrong per_commitment_secret: %v", err)
			}
		})
	}
}

// spendsAnyOf reports whether tx spends an outpoint other spends.
func spendsAnyOf(tx, other *btcwire.MsgTx) bool {
	for _, a := range tx.TxIn {
		for _, b := range other.TxIn {
			if a.PreviousOutPoint == b.PreviousOutPoint {
				return true
			}
		}
	}
	return false
}

// TestSweepToRemote sweeps alice's to_remote output of bob's (current)
// commitment: under option_anchors only from the block after the
// commitment (sequence 1), under static_remotekey at once.
func TestSweepToRemote(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			r := newRevokedSetup(t, typ)
			tc := r.tc
			tx, err := SweepToRemoteTx(ctx, tc.aliceSig, r.bobC, destScript, 1000)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := ToRemoteClaim(r.bobC)
			if err != nil {
				t.Fatal(err)
			}
			wantSeq := uint32(rbfSequence)
			if typ.HasAnchors() {
				wantSeq = 1
			}
			if cl.Kind != ClaimToRemote || tx.TxIn[0].Sequence != wantSeq || cl.Sequence != wantSeq ||
				tx.TxIn[0].PreviousOutPoint != outpoint(r.bobC, r.bobC.ToRemote.Index) {
				t.Fatalf("to_remote claim %+v, sequence %d", cl, tx.TxIn[0].Sequence)
			}
			mustPass(t, "to_remote sweep", execute(tx, 0, r.outs))

			if typ.HasAnchors() {
				early := cl
				early.Sequence = 0
				mustFail(t, "anchors to_remote sweep in the commitment's block", execute(unchecked(t, tc.aliceSig, []Claim{early}, 1000), 0, r.outs))
			}
			mustFail(t, "to_remote sweep by the wrong key", execute(unchecked(t, tc.bobSig, []Claim{cl}, 1000), 0, r.outs))
			if _, err := SweepToRemoteTx(ctx, tc.bobSig, r.bobC, destScript, 1000); !errors.Is(err, ErrInvalidSweep) {
				t.Fatalf("wrong-key signature not noticed: %v", err)
			}
			if _, err := ToRemoteClaim(r.bobLocal); !errors.Is(err, ErrInvalidSweep) {
				t.Fatalf("to_remote of the local commitment: %v", err)
			}
		})
	}
}

// TestClaimConstructorsRefuseBadInput calls every claim constructor and
// builder with nil or mismatched arguments: each returns an error, none
// panics.
func TestClaimConstructorsRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	r := newRevokedSetup(t, script.Anchors)
	tc := r.tc
	local, _ := LocalCommitment(tc.alice, r.st, tc.alicePoint)
	var zero Commitment
	errs := map[string]error{}
	add := func(name string, err error) { errs[name] = err }
	_, err := RevokedClaims(nil, tc.bobSecret)
	add("RevokedClaims nil", err)
	_, err = RevokedClaims(&zero, tc.bobSecret)
	add("RevokedClaims zero", err)
	_, err = RevokedClaims(local, tc.aliceSecret)
	add("RevokedClaims own commitment", err)
	_, err = RevokedSecondLevelClaims(r.bobC, tc.bobSecret, nil)
	add("RevokedSecondLevelClaims nil tx", err)
	_, err = RevokedSecondLevelClaims(r.bobC, nil, r.revoked)
	add("RevokedSecondLevelClaims nil secret", err)
	_, err = SecondLevelClaims(nil, r.revoked)
	add("SecondLevelClaims nil", err)
	_, err = SecondLevelClaims(r.bobC, r.revoked)
	add("SecondLevelClaims remote commitment", err)
	_, err = ToLocalClaim(nil)
	add("ToLocalClaim nil", err)
	_, err = ToLocalClaim(r.bobC)
	add("ToLocalClaim remote commitment", err)
	_, err = ToRemoteClaim(&zero)
	add("ToRemoteClaim zero", err)
	_, err = RemoteHTLCClaim(r.bobC, -1, nil)
	add("RemoteHTLCClaim -1", err)
	_, err = RemoteHTLCClaim(nil, 0, nil)
	add("RemoteHTLCClaim nil", err)
	_, err = AnchorClaim(nil)
	add("AnchorClaim nil", err)
	_, err = AnchorSweepClaim(&zero, Local)
	add("AnchorSweepClaim zero", err)
	_, err = SweepClaims(ctx, tc.aliceSig, nil, destScript, 1000)
	add("SweepClaims nil", err)
	cl, _ := ToRemoteClaim(r.bobC)
	_, err = SweepClaims(ctx, nil, []Claim{cl}, destScript, 1000)
	add("SweepClaims nil signer", err)
	_, err = AnchorCPFPTx(ctx, tc.aliceSig, nil, nil)
	add("AnchorCPFPTx nil", err)
	_, err = AnchorCPFPTx(ctx, tc.aliceSig, local, nil)
	add("AnchorCPFPTx nil funding", err)
	_, err = BumpHTLCTx(ctx, tc.aliceSig, nil, 0, r.sigsForBob.HTLCSigs[0], nil, nil)
	add("BumpHTLCTx nil", err)
	_, err = BumpHTLCTx(ctx, nil, local, 0, r.sigsForBob.HTLCSigs[0], nil, nil)
	add("BumpHTLCTx nil signer", err)
	_, err = VerifyLegacyClose(tc.alice, nil, r.sigsForBob.CommitSig)
	add("VerifyLegacyClose nil", err)
	_, err = SweepToLocalTx(ctx, tc.aliceSig, tc.bob, local, destScript, 1000)
	add("SweepToLocalTx mismatched params", err)
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if (&zero).SignedWeight() != 0 || (&Claim{}).WitnessSize() != 0 {
		t.Error("zero values report a size")
	}
}
