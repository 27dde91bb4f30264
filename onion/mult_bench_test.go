package onion

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// BenchmarkTableMulTwo is the peel's curve work: the table of E, then
// k·E and b·E from it, both converted to affine.
func BenchmarkTableMulTwo(b *testing.B) {
	k, pub := benchKeys(b)
	var pt btcec.JacobianPoint
	pub.AsJacobian(&pt)
	b.ReportAllocs()
	for b.Loop() {
		var t pointTable
		t.init(&pt)
		var r btcec.JacobianPoint
		t.mul(k, &r)
		compressInto(&r, &benchSink)
		t.mul(k, &r)
		compressInto(&r, &benchSink)
	}
}

// BenchmarkFloorTwoMults is two independent btcec multiplications with
// affine conversion.
func BenchmarkFloorTwoMults(b *testing.B) {
	k, pub := benchKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = mulPoint(k, pub)
		benchSink = mulPoint(k, pub)
	}
}
