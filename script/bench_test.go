package script

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	btcwire "github.com/btcsuite/btcd/wire"
)

// The goal for TweakPubKey is one base-point multiplication plus one point
// addition (BenchmarkFloorBaseMult + BenchmarkFloorPointAdd); the rest of
// its cost is the SHA256 of 66 bytes, two compressed serializations and
// the conversion of the sum to affine coordinates (one field inversion).

func benchPoints(b *testing.B) (base, pcp *btcec.PublicKey) {
	b.Helper()
	return kLocalHTLC.PubKey(), kRevocation.PubKey()
}

func BenchmarkTweakPubKey(b *testing.B) {
	base, pcp := benchPoints(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = TweakPubKey(base, pcp)
	}
}

func BenchmarkTweakPrivKey(b *testing.B) {
	base, pcp := benchPoints(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = TweakPrivKey(kLocalHTLC, base, pcp)
	}
}

// BenchmarkFloorBaseMult is one k·G with btcec's precomputed tables.
func BenchmarkFloorBaseMult(b *testing.B) {
	var k btcec.ModNScalar
	h := sha256.Sum256([]byte("k"))
	k.SetBytes(&h)
	var r btcec.JacobianPoint
	b.ReportAllocs()
	for b.Loop() {
		btcec.ScalarBaseMultNonConst(&k, &r)
	}
}

// BenchmarkFloorPointAdd is one addition of an affine point (Z=1) to a
// Jacobian point, as TweakPubKey does, without the final conversion.
func BenchmarkFloorPointAdd(b *testing.B) {
	base, pcp := benchPoints(b)
	var p, q, r btcec.JacobianPoint
	base.AsJacobian(&p)
	pcp.AsJacobian(&q)
	btcec.AddNonConst(&p, &q, &q) // make q a general Jacobian point
	b.ReportAllocs()
	for b.Loop() {
		btcec.AddNonConst(&p, &q, &r)
	}
}

// BenchmarkFloorToAffine is the field inversion that turns the sum into a
// public key.
func BenchmarkFloorToAffine(b *testing.B) {
	base, pcp := benchPoints(b)
	var p, q, r btcec.JacobianPoint
	base.AsJacobian(&p)
	pcp.AsJacobian(&q)
	btcec.AddNonConst(&p, &q, &q)
	b.ReportAllocs()
	for b.Loop() {
		r = q
		r.ToAffine()
	}
}

func BenchmarkOfferedHTLCScript(b *testing.B) {
	ph := sha256.Sum256([]byte("p"))
	rev, local, remote := kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = OfferedHTLCScript(Anchors, rev, local, remote, ph)
	}
}

func BenchmarkParseWitnessScript(b *testing.B) {
	ph := sha256.Sum256([]byte("p"))
	ws, _ := ReceivedHTLCScript(Anchors, kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), ph, 500)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseWitnessScript(ws)
	}
}

func BenchmarkSortOutputs100(b *testing.B) {
	src := make([]*btcwire.TxOut, 100)
	cltvs := make([]uint32, 100)
	for i := range src {
		h := sha256.Sum256([]byte{byte(i)})
		src[i] = btcwire.NewTxOut(int64(1000+i%7), P2WSH(h[:]))
		cltvs[i] = uint32(i)
	}
	outs := make([]*btcwire.TxOut, 100)
	b.ReportAllocs()
	for b.Loop() {
		copy(outs, src)
		_, _ = SortOutputs(outs, cltvs)
	}
}

// BenchmarkTweakPubKeys4 derives four keys of one commitment with a shared
// inversion; compare with 4 × BenchmarkTweakPubKey.
func BenchmarkTweakPubKeys4(b *testing.B) {
	_, pcp := benchPoints(b)
	bases := []*btcec.PublicKey{kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), kDelayed.PubKey(), kRemote.PubKey()}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = TweakPubKeys(pcp, bases...)
	}
}
