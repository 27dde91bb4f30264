package channel

import (
	"context"
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Every transaction below is executed by txscript.NewEngine with
// txscript.StandardVerifyFlags (through scripttest), and each spend path
// has a failing twin.

var channelTypes = []script.ChannelType{script.StaticRemoteKey, script.Anchors}

// signedPair builds alice's and bob's commitments for st, exchanges
// commitment_signed both ways and returns alice's commitment, bob's
// commitment (from alice's view), bob's signatures on alice's commitment
// and alice's on bob's.
func signedPair(t *testing.T, tc *testChannel, st *State) (aliceC, bobC *Commitment, sigsForAlice, sigsForBob *CommitSigs) {
	t.Helper()
	ctx := context.Background()
	var err error
	aliceC, err = LocalCommitment(tc.alice, st, tc.alicePoint)
	if err != nil {
		t.Fatal(err)
	}
	bobC, err = RemoteCommitment(tc.alice, st, tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	// Bob signs alice's commitment (his remote commitment).
	aliceFromBob, err := RemoteCommitment(tc.bob, swapState(st), tc.alicePoint)
	if err != nil {
		t.Fatal(err)
	}
	sigsForAlice, err = SignCommitment(ctx, tc.bobSig, tc.bob, aliceFromBob)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitSigs(ctx, tc.alice, aliceC, sigsForAlice); err != nil {
		t.Fatal(err)
	}
	sigsForBob, err = SignCommitment(ctx, tc.aliceSig, tc.alice, bobC)
	if err != nil {
		t.Fatal(err)
	}
	bobLocal, err := LocalCommitment(tc.bob, swapState(st), tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitSigs(ctx, tc.bob, bobLocal, sigsForBob); err != nil {
		t.Fatal(err)
	}
	return aliceC, bobC, sigsForAlice, sigsForBob
}

// unchecked sweeps claims to destScript with s without checking s's
// signatures, so that a spend signed by the wrong key reaches the script
// engine.
func unchecked(t *testing.T, s Signer, claims []Claim, feeRate wire.SatPerKWeight) *btcwire.MsgTx {
	t.Helper()
	st, err := sweepClaims(context.Background(), s, claims, destScript, feeRate, false)
	if err != nil {
		t.Fatal(err)
	}
	return st.Tx
}

func mustFail(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: script engine accepted an invalid spend", what)
	}
}

func mustPass(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// executeAll runs every input of tx against prevOuts.
func executeAll(tx *btcwire.MsgTx, prevOuts map[btcwire.OutPoint]*btcwire.TxOut) error {
	for i := range tx.TxIn {
		if err := execute(tx, i, prevOuts); err != nil {
			return err
		}
	}
	return nil
}

func TestCommitmentAndHTLCTxsExecute(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			tc := newTestChannel(t, typ, 10_000_000)
			st := tc.busyState()
			aliceC, _, sigs, _ := signedPair(t, tc, st)
			if len(aliceC.Trimmed) != 2 || len(aliceC.HTLCs) != 6 {
				t.Fatalf("%d trimmed, %d untrimmed", len(aliceC.Trimmed), len(aliceC.HTLCs))
			}
			full, err := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.CommitSig)
			if err != nil {
				t.Fatal(err)
			}
			mustPass(t, "commitment", execute(full, 0, tc.fundingOut(t)))

			// A commitment signature for another transaction fails.
			bad, _ := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.HTLCSigs[0])
			mustFail(t, "commitment with a wrong remote signature", execute(bad, 0, tc.fundingOut(t)))

			outs := prevOutsOf(full)
			for i, h := range aliceC.HTLCs {
				tx, err := SignedHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], tc.preimage(h.PaymentHash))
				if err != nil {
					t.Fatal(err)
				}
				mustPass(t, "second-stage "+h.Direction.String(), execute(tx, 0, outs))

				// Wrong remote signature (another HTLC's).
				wrong := sigs.HTLCSigs[(i+1)%len(sigs.HTLCSigs)]
				tx2, _ := SignedHTLCTx(ctx, tc.aliceSig, aliceC, i, wrong, tc.preimage(h.PaymentHash))
				mustFail(t, "second-stage with a wrong remote signature", execute(tx2, 0, outs))

				// The second-stage output sweeps after to_self_delay only.
				sw, err := SweepSecondLevelTx(ctx, tc.aliceSig, tc.alice, aliceC, tx, destScript, 1000)
				if err != nil {
					t.Fatal(err)
				}
				mustPass(t, "second-stage output sweep", execute(sw, 0, prevOutsOf(tx)))
				claims, err := SecondLevelClaims(aliceC, tx)
				if err != nil || len(claims) != 1 || claims[0].Kind != ClaimSecondLevel ||
					claims[0].HTLC == nil || claims[0].HTLC.ID != h.ID {
					t.Fatalf("second-stage claims %+v: %v", claims, err)
				}
				early := append([]Claim(nil), claims...)
				early[0].Sequence--
				swEarly := unchecked(t, tc.aliceSig, early, 1000)
				mustFail(t, "second-stage output sweep before to_self_delay", execute(swEarly, 0, prevOutsOf(tx)))
				if i == 0 {
					// Wrong key: bob cannot take the delayed path.
					swBob := unchecked(t, tc.bobSig, claims, 1000)
					mustFail(t, "second-stage output sweep by the wrong key", execute(swBob, 0, prevOutsOf(tx)))
					if _, err := SweepClaims(ctx, tc.bobSig, claims, destScript, 1000); !errors.Is(err, ErrInvalidSweep) {
						t.Fatalf("a wrong-key signature was not noticed: %v", err)
					}
				}
			}

			// HTLC-success needs the right preimage.
			for i, h := range aliceC.HTLCs {
				if h.Direction != htlc.Received {
					continue
				}
				var wrong htlc.Preimage
				if _, err := SignedHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], &wrong); !errors.Is(err, ErrInvalidSweep) {
					t.Fatalf("wrong preimage accepted by SignedHTLCTx: %v", err)
				}
				tx, _ := SignedHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], tc.preimage(h.PaymentHash))
				tx.TxIn[0].Witness[3] = wrong[:]
				mustFail(t, "HTLC-success with a wrong preimage", execute(tx, 0, outs))
				break
			}
			// HTLC-timeout before cltv_expiry: lower the locktime.
			for i, h := range aliceC.HTLCs {
				if h.Direction != htlc.Offered {
					continue
				}
				tx, _ := SignedHTLCTx(ctx, tc.aliceSig, aliceC, i, sigs.HTLCSigs[i], nil)
				tx.LockTime = h.CLTVExpiry - 1
				mustFail(t, "HTLC-timeout before cltv_expiry", execute(tx, 0, outs))
				break
			}
		})
	}
}

func TestToLocalSweep(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			tc := newTestChannel(t, typ, 10_000_000)
			aliceC, _, sigs, _ := signedPair(t, tc, tc.busyState())
			full, _ := SignedCommitmentTx(ctx, tc.aliceSig, tc.alice, aliceC, sigs.CommitSig)
			outs := prevOutsOf(full)

			sw, err := SweepToLocalTx(ctx, tc.aliceSig, tc.alice, aliceC, destScript, 2000)
			if err != nil {
				t.Fatal(err)
			}
			if sw.TxIn[0].Sequence != uint32(tc.alice.Local.ToSelfDelay) {
				t.Fatalf("sequence %d", sw.TxIn[0].Sequence)
			}
			mustPass(t, "to_local after to_self_delay", execute(sw, 0, outs))

			cl, err := ToLocalClaim(aliceC)
			if err != nil {
				t.Fatal(err)
			}
			cl.Sequence = uint32(tc.alice.Local.ToSelfDelay) - 1
			early := unchecked(t, tc.aliceSig, []Claim{cl}, 2000)
			mustFail(t, "to_local one block too early", execute(early, 0, outs))

			cl.Sequence = uint32(tc.alice.Local.ToSelfDelay)
			byBob := unchecked(t, tc.bobSig, []Claim{cl}, 2000)
			mustFail(t, "to_local delayed path with the wrong key", execute(byBob, 0, outs))
		})
	}
}

func TestJusticeTx(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			tc := newTestChannel(t, typ, 10_000_000)
			_, bobC, _, sigsForBob := signedPair(t, tc, tc.busyState())

			// Bob broadcasts his (now revoked) commitment.
			bobLocal, err := LocalCommitment(tc.bob, swapState(tc.busyState()), tc.bobPoint)
			if err != nil {
				t.Fatal(err)
			}
			revoked, err := SignedCommitmentTx(ctx, tc.bobSig, tc.bob, bobLocal, sigsForBob.CommitSig)
			if err != nil {
				t.Fatal(err)
			}
			mustPass(t, "revoked commitment", execute(revoked, 0, tc.fundingOut(t)))
			if revoked.TxHash() != bobC.TxHash {
				t.Fatal("alice's view of bob's commitment differs from bob's")
			}
			outs := prevOutsOf(revoked)

			justice, err := JusticeTx(ctx, tc.aliceSig, bobC, tc.bobSecret, destScript, 5000)
			if err != nil {
				t.Fatal(err)
			}
			// to_local + 6 HTLCs + to_remote.
			if want := 1 + len(bobC.HTLCs) + 1; len(justice.TxIn) != want || len(bobC.HTLCs) != 6 {
				t.Fatalf("justice spends %d outputs, want %d", len(justice.TxIn), want)
			}
			var swept int64
			for _, in := range justice.TxIn {
				swept += outs[in.PreviousOutPoint].Value
			}
			if swept <= justice.TxOut[0].Value {
				t.Fatal("justice transaction pays no fee")
			}
			mustPass(t, "justice transaction (every input)", executeAll(justice, outs))

			// The wrong per-commitment secret is refused up front...
			if _, err := JusticeTx(ctx, tc.aliceSig, bobC, tc.aliceSecret, destScript, 5000); !errors.Is(err, ErrInvalidSweep) {
				t.Fatalf("wrong secret: %v", err)
			}
			// ...and the revocation path cannot be taken by the wrong
			// party: bob, who owns the commitment, signing with his own
			// revocation secret fails on every revocable input.
			ins, err := RevokedClaims(bobC, tc.bobSecret)
			if err != nil {
				t.Fatal(err)
			}
			byBob := unchecked(t, tc.bobSig, ins[:len(ins)-1], 5000)
			for i := range byBob.TxIn {
				mustFail(t, "revocation path signed by the commitment owner", execute(byBob, i, outs))
			}

			// Bob's HTLC transactions, if he manages to broadcast them, are
			// revocable too.
			for i, h := range bobLocal.HTLCs {
				var pre *htlc.Preimage
				if h.Direction == htlc.Received {
					pre = tc.preimage(h.PaymentHash)
				}
				htx, err := SignedHTLCTx(ctx, tc.bobSig, bobLocal, i, signHTLCsFor(t, tc, bobC).HTLCSigs[i], pre)
				if err != nil {
					t.Fatal(err)
				}
				mustPass(t, "bob's second-stage transaction", execute(htx, 0, outs))
				j, err := JusticeSecondLevelTx(ctx, tc.aliceSig, bobC, tc.bobSecret, htx, destScript, 5000)
				if err != nil {
					t.Fatal(err)
				}
				mustPass(t, "justice on a second-stage output", execute(j, 0, prevOutsOf(htx)))
			}
		})
	}
}

// signHTLCsFor returns alice's signatures for bob's commitment.
func signHTLCsFor(t *testing.T, tc *testChannel, bobC *Commitment) *CommitSigs {
	t.Helper()
	s, err := SignCommitment(context.Background(), tc.aliceSig, tc.alice, bobC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClaimHTLCFromRemoteCommitment(t *testing.T) {
	ctx := context.Background()
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			tc := newTestChannel(t, typ, 10_000_000)
			st := tc.busyState()
			_, bobC, _, sigsForBob := signedPair(t, tc, st)
			bobLocal, _ := LocalCommitment(tc.bob, swapState(st), tc.bobPoint)
			full, _ := SignedCommitmentTx(ctx, tc.bobSig, tc.bob, bobLocal, sigsForBob.CommitSig)
			outs := prevOutsOf(full)

			var success, timeout bool
			for i, h := range bobC.HTLCs {
				switch h.Direction {
				case htlc.Offered: // bob offered: alice claims with the preimage
					tx, err := ClaimHTLCTx(ctx, tc.aliceSig, bobC, i, tc.preimage(h.PaymentHash), destScript, 1000)
					if err != nil {
						t.Fatal(err)
					}
					mustPass(t, "claim with preimage", execute(tx, 0, outs))
					var wrong htlc.Preimage
					if _, err := ClaimHTLCTx(ctx, tc.aliceSig, bobC, i, &wrong, destScript, 1000); !errors.Is(err, ErrInvalidSweep) {
						t.Fatalf("wrong preimage: %v", err)
					}
					tx.TxIn[0].Witness[1] = wrong[:]
					mustFail(t, "claim with a wrong preimage", execute(tx, 0, outs))
					if typ.HasAnchors() {
						in, _ := RemoteHTLCClaim(bobC, i, tc.preimage(h.PaymentHash))
						in.Sequence = 0
						tx0 := unchecked(t, tc.aliceSig, []Claim{in}, 1000)
						mustFail(t, "anchors claim without the 1-block CSV", execute(tx0, 0, outs))
					}
					success = true
				case htlc.Received: // alice offered: she takes it back after the timeout
					tx, err := ClaimHTLCTx(ctx, tc.aliceSig, bobC, i, nil, destScript, 1000)
					if err != nil {
						t.Fatal(err)
					}
					if tx.LockTime != h.CLTVExpiry {
						t.Fatalf("locktime %d", tx.LockTime)
					}
					mustPass(t, "claim after timeout", execute(tx, 0, outs))
					in, _ := RemoteHTLCClaim(bobC, i, nil)
					if in.Kind != ClaimHTLCTimeout || in.LockTime != h.CLTVExpiry {
						t.Fatalf("timeout claim %+v", in)
					}
					byBob := unchecked(t, tc.bobSig, []Claim{in}, 1000)
					mustFail(t, "timeout claim with the wrong key", execute(byBob, 0, outs))
					in.LockTime = h.CLTVExpiry - 1
					early := unchecked(t, tc.aliceSig, []Claim{in}, 1000)
					mustFail(t, "claim before cltv_expiry", execute(early, 0, outs))
					timeout = true
				}
			}
			if !success || !timeout {
				t.Fatal("test state lacks an HTLC in some direction")
			}
		})
	}
}

func TestSignatureErrors(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	aliceC, _, sigs, _ := signedPair(t, tc, tc.busyState())

	bad := *sigs
	bad.HTLCSigs = append([]wire.Signature(nil), sigs.HTLCSigs...)
	bad.HTLCSigs[2], bad.HTLCSigs[3] = bad.HTLCSigs[3], bad.HTLCSigs[2]
	err := VerifyCommitSigs(ctx, tc.alice, aliceC, &bad)
	var se *SignatureError
	if !errors.Is(err, ErrInvalidHTLCSig) || !errors.As(err, &se) || se.HTLCIndex < 2 || se.HTLCIndex > 3 {
		t.Fatalf("swapped HTLC signatures: %v", err)
	}
	bad.HTLCSigs = bad.HTLCSigs[:1]
	if err := VerifyCommitSigs(ctx, tc.alice, aliceC, &bad); !errors.Is(err, ErrHTLCSigCount) {
		t.Fatalf("short HTLC signatures: %v", err)
	}
	bad = *sigs
	bad.CommitSig = sigs.HTLCSigs[0]
	if err := VerifyCommitSigs(ctx, tc.alice, aliceC, &bad); !errors.Is(err, ErrInvalidCommitSig) {
		t.Fatalf("wrong commitment signature: %v", err)
	}
	if _, err := SignCommitment(ctx, tc.aliceSig, tc.alice, aliceC); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("signing the local commitment: %v", err)
	}
}
