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
//     101 x BenchmarkFloorECDSASign x 1.15: the goal as the issue set
//     it, for the 101 signatures of a commitment_signed. It is not met.
//     BenchmarkFloorECDSASignDistinct, which signs 101 different digests
//     in turn as a commitment_signed does, was added as a second floor
//     after the first measurement against FloorECDSASign gave 1.17x;
//     against it the ratio is at the goal's edge. Both ratios are
//     reported, and neither floor may be changed to meet the goal.
//
//     Measured with `go test -run=^$ -bench='CommitSign|FloorECDSASign'
//     -cpu 1 -count 3` on the 2-core machine, load average about 2
//     (medians): CommitSign100Htlcs 5.58 ms, FloorECDSASign 43.0 us
//     (1.28x), FloorECDSASignDistinct 48.1 us (1.15x); a -count 5 run
//     right after gave 1.31x and 1.14x. Under a load average of 5 to 9,
//     CPU time per operation gave medians of 1.32x and 1.17x. The
//     package before the hardening changes (802296a) measured the same in
//     alternating runs (CommitSign100Htlcs 5.06 to 5.51 ms, against 4.80
//     to 5.45 ms). An earlier measurement on a quiet machine had 4.15 ms,
//     1.17x and 1.14x; its profile put the overhead beyond signing in key
//     derivation (about 5%), building the commitment and its HTLC
//     transactions (about 3%) and the sighashes (about 1.5%). A batch
//     signer sharing inversions across the 101 signatures reached 0.81x,
//     but it reimplemented ECDSA signing and RFC 6979 nonces, which is not
//     worth the risk; signing goes through btcec's ecdsa.Sign.
//   - BenchmarkCommitVerify*Htlcs is bounded by (n+1) x
//     BenchmarkFloorECDSAVerify.

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

// BenchmarkFloorECDSASignDistinct signs 101 different digests in turn, as a
// commitment with 100 HTLCs must. Per signature it measures slower than
// signing one digest over and over (the floor above): about 3% in an earlier
// measurement, 10 to 15% in the ones quoted above. The arithmetic is the
// same; a likely cause, not established, is that with one digest the nonce
// and so every data-dependent branch and table access of the base-point
// multiplication repeat exactly. It is the CommitSign goal's second floor,
// added after the first; see the goals above.
func BenchmarkFloorECDSASignDistinct(b *testing.B) {
	key := scripttest.Key("sign")
	var digests [101][32]byte
	for i := range digests {
		digests[i] = sha([]byte{byte(i)})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ecdsa.Sign(key, digests[i%len(digests)][:])
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
	funding := msat(tc.alice.FundingAmount)
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
	st := benchState(tc, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := RemoteCommitment(tc.alice, st, tc.bobPoint)
		if err != nil {
			b.Fatal(err)
		}
		sigs, err := SignCommitment(ctx, tc.aliceSig, tc.alice, c)
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
