package htlc

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

func testKey(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("lnkit/htlc test key: " + label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// fixture is one commitment's HTLC output with everything needed to spend
// it through a second-stage transaction.
type fixture struct {
	ct                    script.ChannelType
	params                *SecondLevelParams
	htlc                  HTLC
	preimage              Preimage
	localHTLC, remoteHTLC *btcec.PrivateKey
	revocation, delayed   *btcec.PrivateKey
	witnessScript         []byte
	commitOut             *btcwire.TxOut
}

func newFixture(t *testing.T, ct script.ChannelType, dir Direction) *fixture {
	t.Helper()
	f := &fixture{
		ct:         ct,
		preimage:   Preimage{1, 2, 3},
		localHTLC:  testKey("local htlc"),
		remoteHTLC: testKey("remote htlc"),
		revocation: testKey("revocation"),
		delayed:    testKey("delayed"),
	}
	f.htlc = HTLC{ID: 7, Direction: dir, Amount: 5_000_123, CLTVExpiry: 700_000, PaymentHash: f.preimage.Hash()}
	f.params = &SecondLevelParams{
		ChannelType:   ct,
		CommitTxHash:  chainhash.HashH([]byte("commitment")),
		FeeRate:       2500,
		RevocationKey: f.revocation.PubKey(),
		DelayedKey:    f.delayed.PubKey(),
		ToSelfDelay:   144,
	}
	ws, err := script.HTLCScript(ct, dir, f.revocation.PubKey(), f.localHTLC.PubKey(), f.remoteHTLC.PubKey(), f.htlc.PaymentHash, f.htlc.CLTVExpiry)
	if err != nil {
		t.Fatal(err)
	}
	f.witnessScript = ws
	f.commitOut = btcwire.NewTxOut(int64(f.htlc.Amount.ToSatoshis()), script.P2WSH(ws))
	return f
}

func (f *fixture) build(t *testing.T) *btcwire.MsgTx {
	t.Helper()
	tx, err := NewSecondLevelTx(f.params, &f.htlc, 3)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func (f *fixture) sign(t *testing.T, tx *btcwire.MsgTx, key *btcec.PrivateKey, ht txscript.SigHashType) *ecdsa.Signature {
	t.Helper()
	h, err := SignatureHash(tx, f.witnessScript, f.htlc.Amount.ToSatoshis(), ht)
	if err != nil {
		t.Fatal(err)
	}
	return ecdsa.Sign(key, h)
}

// witness signs tx with the given keys and sighash types and sets the
// second-stage witness.
func (f *fixture) witness(t *testing.T, tx *btcwire.MsgTx, remote, local *btcec.PrivateKey, remoteType txscript.SigHashType, pre Preimage) {
	t.Helper()
	rs := f.sign(t, tx, remote, remoteType)
	ls := f.sign(t, tx, local, LocalSigHashType)
	if f.htlc.Direction == Offered {
		tx.TxIn[0].Witness = TimeoutWitness(f.ct, rs, ls, f.witnessScript)
	} else {
		tx.TxIn[0].Witness = SuccessWitness(f.ct, rs, ls, pre, f.witnessScript)
	}
}

var channelTypes = []script.ChannelType{script.StaticRemoteKey, script.Anchors}

func TestSecondLevelTxShape(t *testing.T) {
	for _, ct := range channelTypes {
		for _, dir := range []Direction{Offered, Received} {
			f := newFixture(t, ct, dir)
			tx := f.build(t)
			wantSeq, wantLock := uint32(0), uint32(0)
			if ct.HasAnchors() {
				wantSeq = 1
			}
			fee := f.params.FeeRate.FeeForWeight(703)
			if dir == Offered {
				wantLock = f.htlc.CLTVExpiry
				fee = f.params.FeeRate.FeeForWeight(663)
			}
			if ct.HasAnchors() {
				fee = 0
			}
			if tx.Version != 2 || tx.LockTime != wantLock || len(tx.TxIn) != 1 || len(tx.TxOut) != 1 {
				t.Fatalf("%v %v: bad shape: version %d locktime %d", ct, dir, tx.Version, tx.LockTime)
			}
			in := tx.TxIn[0]
			if in.Sequence != wantSeq || in.PreviousOutPoint.Index != 3 || in.PreviousOutPoint.Hash != f.params.CommitTxHash {
				t.Fatalf("%v %v: bad input %+v", ct, dir, in)
			}
			ws, _ := script.ToLocalScript(f.revocation.PubKey(), f.delayed.PubKey(), 144)
			out := tx.TxOut[0]
			if out.Value != int64(f.htlc.Amount.ToSatoshis()-fee) || string(out.PkScript) != string(script.P2WSH(ws)) {
				t.Fatalf("%v %v: bad output value %d", ct, dir, out.Value)
			}
			got, _ := f.params.OutputScript()
			if string(got) != string(ws) {
				t.Fatal("OutputScript differs from the output's script")
			}
		}
	}
}

// TestSecondLevelEngine executes every HTLC-timeout and HTLC-success
// transaction, for both channel types, through btcd's script engine: the
// right witness passes and each broken variant fails.
func TestSecondLevelEngine(t *testing.T) {
	for _, ct := range channelTypes {
		for _, dir := range []Direction{Offered, Received} {
			name := ct.String() + "/" + dir.String()
			t.Run(name+"/ok", func(t *testing.T) {
				f := newFixture(t, ct, dir)
				tx := f.build(t)
				f.witness(t, tx, f.remoteHTLC, f.localHTLC, RemoteSigHashType(ct), f.preimage)
				if err := execute(tx, 0, f.commitOut, nil); err != nil {
					t.Fatalf("valid second-stage tx rejected: %v", err)
				}
			})
			t.Run(name+"/wrong local key", func(t *testing.T) {
				f := newFixture(t, ct, dir)
				tx := f.build(t)
				f.witness(t, tx, f.remoteHTLC, testKey("mallory"), RemoteSigHashType(ct), f.preimage)
				mustFail(t, execute(tx, 0, f.commitOut, nil))
			})
			t.Run(name+"/wrong remote key", func(t *testing.T) {
				f := newFixture(t, ct, dir)
				tx := f.build(t)
				f.witness(t, tx, testKey("mallory"), f.localHTLC, RemoteSigHashType(ct), f.preimage)
				mustFail(t, execute(tx, 0, f.commitOut, nil))
			})
			t.Run(name+"/signatures swapped", func(t *testing.T) {
				f := newFixture(t, ct, dir)
				tx := f.build(t)
				f.witness(t, tx, f.localHTLC, f.remoteHTLC, RemoteSigHashType(ct), f.preimage)
				mustFail(t, execute(tx, 0, f.commitOut, nil))
			})
			if ct.HasAnchors() {
				// The remote signature must be SIGHASH_SINGLE|ANYONECANPAY:
				// a SIGHASH_ALL signature labelled as such fails.
				t.Run(name+"/remote signed SIGHASH_ALL", func(t *testing.T) {
					f := newFixture(t, ct, dir)
					tx := f.build(t)
					f.witness(t, tx, f.remoteHTLC, f.localHTLC, txscript.SigHashAll, f.preimage)
					mustFail(t, execute(tx, 0, f.commitOut, nil))
				})
				// The anchors HTLC scripts need a 1-block CSV.
				t.Run(name+"/sequence 0", func(t *testing.T) {
					f := newFixture(t, ct, dir)
					tx := f.build(t)
					tx.TxIn[0].Sequence = 0
					f.witness(t, tx, f.remoteHTLC, f.localHTLC, RemoteSigHashType(ct), f.preimage)
					err := execute(tx, 0, f.commitOut, nil)
					if !txscript.IsErrorCode(err, txscript.ErrUnsatisfiedLockTime) {
						t.Fatalf("want ErrUnsatisfiedLockTime, got %v", err)
					}
				})
			}
			if dir == Received {
				t.Run(name+"/wrong preimage", func(t *testing.T) {
					f := newFixture(t, ct, dir)
					tx := f.build(t)
					f.witness(t, tx, f.remoteHTLC, f.localHTLC, RemoteSigHashType(ct), Preimage{9})
					err := execute(tx, 0, f.commitOut, nil)
					if !txscript.IsErrorCode(err, txscript.ErrEqualVerify) {
						t.Fatalf("want ErrEqualVerify, got %v", err)
					}
				})
			} else {
				// The offered HTLC script has no CLTV on this branch: the
				// remote signature, which commits to locktime cltv_expiry,
				// is what stops an early HTLC-timeout. Lowering the
				// locktime after the remote signed must fail.
				t.Run(name+"/locktime below cltv_expiry", func(t *testing.T) {
					f := newFixture(t, ct, dir)
					tx := f.build(t)
					rs := f.sign(t, tx, f.remoteHTLC, RemoteSigHashType(ct))
					tx.LockTime = f.htlc.CLTVExpiry - 1
					ls := f.sign(t, tx, f.localHTLC, LocalSigHashType)
					tx.TxIn[0].Witness = TimeoutWitness(ct, rs, ls, f.witnessScript)
					mustFail(t, execute(tx, 0, f.commitOut, nil))
				})
				// The witness with a (correct) preimage where the timeout
				// path expects an empty item takes no path that pays.
				t.Run(name+"/preimage in timeout witness", func(t *testing.T) {
					f := newFixture(t, ct, dir)
					tx := f.build(t)
					f.witness(t, tx, f.remoteHTLC, f.localHTLC, RemoteSigHashType(ct), f.preimage)
					w := tx.TxIn[0].Witness
					w[3] = f.preimage[:]
					mustFail(t, execute(tx, 0, f.commitOut, nil))
				})
			}
		}
	}
}

func mustFail(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("engine accepted an invalid spend")
	}
}

// TestAnchorsFeeBumping shows why the remote signs with
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY under anchors: the holder can add a
// fee input and a change output after the fact and the remote signature
// stays valid (the holder re-signs its own SIGHASH_ALL signature). Without
// anchors the same change invalidates the remote signature.
func TestAnchorsFeeBumping(t *testing.T) {
	for _, ct := range channelTypes {
		for _, dir := range []Direction{Offered, Received} {
			f := newFixture(t, ct, dir)
			tx := f.build(t)
			remoteSig := f.sign(t, tx, f.remoteHTLC, RemoteSigHashType(ct))

			wallet := testKey("wallet")
			walletOut := btcwire.NewTxOut(100_000, script.P2WPKH(wallet.PubKey()))
			walletOP := btcwire.OutPoint{Hash: chainhash.HashH([]byte("wallet utxo")), Index: 0}
			tx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: walletOP, Sequence: 0xffffffff})
			tx.AddTxOut(btcwire.NewTxOut(90_000, script.P2WPKH(wallet.PubKey())))

			localSig := f.sign(t, tx, f.localHTLC, LocalSigHashType)
			if dir == Offered {
				tx.TxIn[0].Witness = TimeoutWitness(ct, remoteSig, localSig, f.witnessScript)
			} else {
				tx.TxIn[0].Witness = SuccessWitness(ct, remoteSig, localSig, f.preimage, f.witnessScript)
			}
			err := execute(tx, 0, f.commitOut, map[btcwire.OutPoint]*btcwire.TxOut{walletOP: walletOut})
			if ct.HasAnchors() && err != nil {
				t.Fatalf("%v %v: remote SINGLE|ANYONECANPAY signature broken by fee bump: %v", ct, dir, err)
			}
			if !ct.HasAnchors() && err == nil {
				t.Fatalf("%v %v: SIGHASH_ALL remote signature survived a change to the tx", ct, dir)
			}
		}
	}
}

// TestSecondLevelOutputSpends spends the second-stage output itself: with
// local_delayedpubkey after to_self_delay, not before, and at once with the
// revocation key. This proves the output script the builder chose.
func TestSecondLevelOutputSpends(t *testing.T) {
	f := newFixture(t, script.Anchors, Received)
	tx := f.build(t)
	ws, _ := f.params.OutputScript()
	prev := tx.TxOut[0]
	op := btcwire.OutPoint{Hash: tx.TxHash(), Index: 0}

	spend := func(seq uint32, key *btcec.PrivateKey, revoke bool) error {
		s := btcwire.NewMsgTx(2)
		s.AddTxIn(&btcwire.TxIn{PreviousOutPoint: op, Sequence: seq})
		s.AddTxOut(btcwire.NewTxOut(prev.Value-500, script.P2WPKH(key.PubKey())))
		fetcher := txscript.NewCannedPrevOutputFetcher(prev.PkScript, prev.Value)
		h, err := txscript.CalcWitnessSigHash(ws, txscript.NewTxSigHashes(s, fetcher), txscript.SigHashAll, s, 0, prev.Value)
		if err != nil {
			t.Fatal(err)
		}
		sig := script.Sig(ecdsa.Sign(key, h), txscript.SigHashAll)
		if revoke {
			s.TxIn[0].Witness = script.ToLocalRevokeWitness(sig, ws)
		} else {
			s.TxIn[0].Witness = script.ToLocalDelayedWitness(sig, ws)
		}
		return execute(s, 0, prev, nil)
	}
	if err := spend(144, f.delayed, false); err != nil {
		t.Fatalf("delayed spend after to_self_delay rejected: %v", err)
	}
	if err := spend(143, f.delayed, false); !txscript.IsErrorCode(err, txscript.ErrUnsatisfiedLockTime) {
		t.Fatalf("delayed spend before to_self_delay: want ErrUnsatisfiedLockTime, got %v", err)
	}
	if err := spend(0, f.revocation, true); err != nil {
		t.Fatalf("revocation spend rejected: %v", err)
	}
	if err := spend(0, f.delayed, true); err == nil {
		t.Fatal("revocation path accepted the delayed key")
	}
}

func TestSecondLevelErrors(t *testing.T) {
	f := newFixture(t, script.StaticRemoteKey, Offered)
	if _, err := NewSuccessTx(f.params, &f.htlc, 0); !errors.Is(err, ErrWrongDirection) {
		t.Fatalf("success tx for offered HTLC: %v", err)
	}
	r := f.htlc.Flip()
	if _, err := NewTimeoutTx(f.params, &r, 0); !errors.Is(err, ErrWrongDirection) {
		t.Fatalf("timeout tx for received HTLC: %v", err)
	}
	// An HTLC whose whole value goes to fee is trimmed: no transaction.
	small := f.htlc
	var err error
	small.Amount, err = wire.NewMilliSatoshi(f.params.FeeRate.FeeForWeight(663))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTimeoutTx(f.params, &small, 0); !errors.Is(err, ErrBelowFee) {
		t.Fatalf("want ErrBelowFee, got %v", err)
	}
	small.Amount += 1000
	if tx, err := NewTimeoutTx(f.params, &small, 0); err != nil || tx.TxOut[0].Value != 1 {
		t.Fatalf("one satoshi above the fee: %v", err)
	}
	bad := *f.params
	bad.DelayedKey = nil
	if _, err := NewTimeoutTx(&bad, &f.htlc, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("nil key: %v", err)
	}
	bad = *f.params
	bad.ChannelType = 0
	if _, err := NewTimeoutTx(&bad, &f.htlc, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("bad channel type: %v", err)
	}
	odd := f.htlc
	odd.Direction = 0
	if _, err := NewSecondLevelTx(f.params, &odd, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("bad direction: %v", err)
	}
	if _, err := SignatureHash(btcwire.NewMsgTx(2), nil, btcutil.Amount(1), txscript.SigHashAll); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("sighash of a tx with no input: %v", err)
	}
}

// TestFees pins the second-stage fees the builder takes from package script
// to BOLT 3 "Fee Calculation": weight × feerate_per_kw / 1000 rounded down
// (663 for HTLC-timeout, 703 for HTLC-success), zero under anchors.
func TestFees(t *testing.T) {
	cases := []struct {
		ct               script.ChannelType
		rate             wire.SatPerKWeight
		timeout, success int64
	}{
		{script.StaticRemoteKey, 5000, 3315, 3515},
		{script.StaticRemoteKey, 253, 167, 177},
		{script.StaticRemoteKey, 0, 0, 0},
		{script.Anchors, 5000, 0, 0},
	}
	for _, c := range cases {
		f := newFixture(t, c.ct, Offered)
		f.params.FeeRate = c.rate
		to := f.build(t)
		f = newFixture(t, c.ct, Received)
		f.params.FeeRate = c.rate
		su := f.build(t)
		value := int64(f.htlc.Amount.ToSatoshis())
		if got := value - to.TxOut[0].Value; got != c.timeout {
			t.Errorf("%v at %v: HTLC-timeout fee %d, want %d", c.ct, c.rate, got, c.timeout)
		}
		if got := value - su.TxOut[0].Value; got != c.success {
			t.Errorf("%v at %v: HTLC-success fee %d, want %d", c.ct, c.rate, got, c.success)
		}
	}
}
