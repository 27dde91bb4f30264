package ecmult

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// TestTableMul compares Table.Mul with btcec's ScalarMultNonConst on random
// and edge scalars, several scalars per table, for affine and non-affine
// input points.
func TestTableMul(t *testing.T) {
	r := newRand(5)
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	points := []btcec.JacobianPoint{g}
	for i := 0; i < 20; i++ {
		points = append(points, randPoint(r))
	}
	// A normalized but non-affine point (Z ≠ 1), as btcec's operations
	// return them.
	var sum btcec.JacobianPoint
	btcec.AddNonConst(&points[1], &points[2], &sum)
	if sum.Z.IsOne() {
		t.Fatal("test point unexpectedly affine")
	}
	points = append(points, sum)

	edges := edgeScalars()
	for pi, p := range points {
		var tab Table
		tab.Init(&p)
		scalars := []btcec.ModNScalar{randScalar(r), randScalar(r), randScalar(r)}
		if pi < 2 {
			scalars = append(scalars, edges...)
		}
		for _, k := range scalars {
			var got, want btcec.JacobianPoint
			tab.Mul(&k, &got)
			btcec.ScalarMultNonConst(&k, &p, &want)
			if !equalPoints(&got, &want) {
				t.Fatalf("point %d: Mul(%x) differs from ScalarMultNonConst", pi, scalarBig(&k))
			}
		}
	}
}

func TestTableInfinity(t *testing.T) {
	r := newRand(6)
	k := randScalar(r)
	var inf, got btcec.JacobianPoint
	got = randPoint(r)
	var tab Table
	tab.Init(&inf)
	tab.Mul(&k, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("k·∞ is not ∞")
	}
	var zero Table // the zero Table is the table of ∞
	got = randPoint(r)
	zero.Mul(&k, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("zero Table gave a finite product")
	}
	// A Table reused for a finite point after ∞, and for ∞ after a finite
	// point.
	p := randPoint(r)
	tab.Init(&p)
	var want btcec.JacobianPoint
	tab.Mul(&k, &got)
	btcec.ScalarMultNonConst(&k, &p, &want)
	if !equalPoints(&got, &want) {
		t.Fatal("reused Table is wrong")
	}
	tab.Init(&inf)
	tab.Mul(&k, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("Table reset to ∞ gave a finite product")
	}
}

// TestTableMulAlias checks that the result may be the table's own input
// point, as the onion does with the ephemeral key.
func TestTableMulAlias(t *testing.T) {
	r := newRand(7)
	p := randPoint(r)
	orig := p
	k := randScalar(r)
	var tab Table
	tab.Init(&p)
	tab.Mul(&k, &p)
	var want btcec.JacobianPoint
	btcec.ScalarMultNonConst(&k, &orig, &want)
	if !equalPoints(&p, &want) {
		t.Fatal("result aliasing the input point is wrong")
	}
}
