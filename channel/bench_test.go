package channel

import (
	"context"
	"runtime"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// Goals (ratios within one run):
//
//   - BenchmarkDeriveCommitmentKeys <= (3 x BenchmarkFloorBaseMult +
//     BenchmarkFloorTwoTermMSM) x 1.10. (The issue allows 4 base
//     multiplications; localpubkey is not derived, see DeriveCommitmentKeys.)
//   - BenchmarkCommitSign100Htlcs with GOMAXPROCS=1 (-cpu 1) <=
//     101 x BenchmarkFloorECDSASign x 1.15. MemorySigner is a
//     BatchSigner, so this includes the batch's shared inversions: its
//     signing alone is BenchmarkSignBatch101, and
//     BenchmarkCommitSign100HtlcsUnbatched is the same with one
//     ecdsa.Sign per signature. (FloorECDSASign signs one digest with one
//     key over and over, so the base-point table entries it reads stay in
//     cache; with fresh nonces ecdsa.Sign runs a few percent slower.)
//   - BenchmarkCommitVerify*Htlcs is bounded by (n+1) x
//     BenchmarkFloorECDSAVerify. (The HTLC signatures share one key,
//     whose table of multiples is built once, so with many HTLCs each
//     check costs less than one ecdsa Verify.)

func BenchmarkFloorBaseMult(b *testing.B) {
	var k btcec.ModNScalar
	k.SetByteSlice(scripttest.Key("scalar").Serialize())
	var r btcec.JacobianPoint
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		btcec.ScalarBaseMultNonConst(&k, &r)
	}
}

func BenchmarkFloorTwoTermMSM(b *testing.B) {
	var k1, k2 btcec.ModNScalar
	k1.SetByteSlice(scripttest.Key("s1").Serialize())
	k2.SetByteSlice(scripttest.Key("s2").Serialize())
	var p, q, r btcec.JacobianPoint
	scripttest.Key("p").PubKey().AsJacobian(&p)
	scripttest.Key("q").PubKey().AsJacobian(&q)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		revocation.TwoTermMultiply(&k1, &p, &k2, &q, &r)
	}
}

func BenchmarkFloorECDSASign(b *testing.B) {
	key := scripttest.Key("sign")
	digest := sha([]byte("digest"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ecdsa.Sign(key, digest[:])
	}
}

// BenchmarkSignBatch101 is the signing work of BenchmarkCommitSign100Htlcs
// alone: 101 signatures with one key, batched as MemorySigner.SignInputs
// does. CommitSign100Htlcs minus this is the cost of everything that is
// not signing (key derivation, building, sighashes).
func BenchmarkSignBatch101(b *testing.B) {
	key := scripttest.Key("sign")
	keys := make([]*btcec.PrivateKey, 101)
	digests := make([][32]byte, 101)
	for i := range keys {
		keys[i] = key
		digests[i] = sha([]byte{byte(i)})
	}
	out := make([]wire.Signature, 101)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		signBatch(keys, digests, out)
	}
}

func BenchmarkFloorECDSAVerify(b *testing.B) {
	key := scripttest.Key("sign")
	digest := sha([]byte("digest"))
	sig := ecdsa.Sign(key, digest[:])
	pub := key.PubKey()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !sig.Verify(digest[:], pub) {
			b.Fatal("verify")
		}
	}
}

func BenchmarkDeriveCommitmentKeys(b *testing.B) {
	tc := newTestChannel(b, script.Anchors, 10_000_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DeriveCommitmentKeys(tc.alice, Remote, tc.bobPoint); err != nil {
			b.Fatal(err)
		}
	}
}

// benchState returns a state with n untrimmed HTLCs (half each way).
func benchState(tc *testChannel, n int) *State {
	funding := wire.NewMilliSatoshi(tc.alice.FundingAmount)
	st := &State{Number: 1000, FeeRate: 1000, LocalBalance: funding / 2, RemoteBalance: funding - funding/2}
	for i := 0; i < n; i++ {
		dir := htlc.Offered
		if i%2 == 1 {
			dir = htlc.Received
		}
		tc.addHTLC(st, dir, wire.MilliSatoshi(10_000_000+i*1000), uint32(700_000+i))
	}
	return st
}

func benchCommitSign(b *testing.B, n int) {
	tc := newTestChannel(b, script.Anchors, 100_000_000)
	benchCommitSignWith(b, tc, tc.aliceSig, n)
}

// BenchmarkCommitSign100HtlcsUnbatched is BenchmarkCommitSign100Htlcs
// with a Signer that only has SignInput (one ecdsa.Sign per signature),
// as a hardware signer without SignInputs would be driven.
func BenchmarkCommitSign100HtlcsUnbatched(b *testing.B) {
	tc := newTestChannel(b, script.Anchors, 100_000_000)
	benchCommitSignWith(b, tc, singleSigner{tc.aliceSig}, 100)
}

func benchCommitSignWith(b *testing.B, tc *testChannel, s Signer, n int) {
	st := benchState(tc, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := RemoteCommitment(tc.alice, st, tc.bobPoint)
		if err != nil {
			b.Fatal(err)
		}
		sigs, err := SignCommitment(ctx, s, tc.alice, c)
		if err != nil || len(sigs.HTLCSigs) != n {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommitSign0Htlcs(b *testing.B)   { benchCommitSign(b, 0) }
func BenchmarkCommitSign10Htlcs(b *testing.B)  { benchCommitSign(b, 10) }
func BenchmarkCommitSign100Htlcs(b *testing.B) { benchCommitSign(b, 100) }

func benchCommitVerify(b *testing.B, n int) {
	tc := newTestChannel(b, script.Anchors, 100_000_000)
	st := benchState(tc, n)
	ctx := context.Background()
	bobView, err := RemoteCommitment(tc.bob, swapState(st), tc.alicePoint)
	if err != nil {
		b.Fatal(err)
	}
	sigs, err := SignCommitment(ctx, tc.bobSig, tc.bob, bobView)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := LocalCommitment(tc.alice, st, tc.alicePoint)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyCommitSigs(ctx, tc.alice, c, sigs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommitVerify0Htlcs(b *testing.B)   { benchCommitVerify(b, 0) }
func BenchmarkCommitVerify10Htlcs(b *testing.B)  { benchCommitVerify(b, 10) }
func BenchmarkCommitVerify100Htlcs(b *testing.B) { benchCommitVerify(b, 100) }

// TestParallelSigningMatchesSerial signs the same commitment with 1 and
// with several workers and requires identical signatures.
func TestParallelSigningMatchesSerial(t *testing.T) {
	tc := newTestChannel(t, script.Anchors, 100_000_000)
	st := benchState(tc, 60)
	c, err := RemoteCommitment(tc.alice, st, tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	serial, err := SignCommitment(ctx, tc.aliceSig, tc.alice, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{2, 4, 8} {
		runtime.GOMAXPROCS(procs)
		par, err := SignCommitment(ctx, tc.aliceSig, tc.alice, c)
		if err != nil {
			t.Fatal(err)
		}
		if par.CommitSig != serial.CommitSig || len(par.HTLCSigs) != len(serial.HTLCSigs) {
			t.Fatalf("GOMAXPROCS=%d: commitment signature differs", procs)
		}
		for i := range par.HTLCSigs {
			if par.HTLCSigs[i] != serial.HTLCSigs[i] {
				t.Fatalf("GOMAXPROCS=%d: HTLC signature %d differs", procs, i)
			}
		}
	}
	// And the signatures verify, in parallel, on bob's side.
	bobLocal, err := LocalCommitment(tc.bob, swapState(st), tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitSigs(ctx, tc.bob, bobLocal, serial); err != nil {
		t.Fatal(err)
	}
	// A cancelled context stops signing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := SignCommitment(cctx, tc.aliceSig, tc.alice, c); err == nil {
		t.Fatal("signing with a cancelled context succeeded")
	}
}
