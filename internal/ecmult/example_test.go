package ecmult_test

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/ecmult"
)

// compressed returns the 33-byte encoding of a finite point.
func compressed(p *btcec.JacobianPoint) string {
	p.ToAffine()
	return fmt.Sprintf("%x", btcec.NewPublicKey(&p.X, &p.Y).SerializeCompressed())
}

// MultiplyTwo computes 2·G + 3·(2·G), which is 8·G.
func ExampleMultiplyTwo() {
	var g, g2, sum, want btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	btcec.DoubleNonConst(&g, &g2)
	var a, b, eight btcec.ModNScalar
	a.SetInt(2)
	b.SetInt(3)
	eight.SetInt(8)
	ecmult.MultiplyTwo(&a, &g, &b, &g2, &sum)
	btcec.ScalarBaseMultNonConst(&eight, &want)
	fmt.Println(compressed(&sum) == compressed(&want))
	// Output: true
}

// A Table of one point serves several scalars.
func ExampleTable() {
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	var tab ecmult.Table
	tab.Init(&g)
	for _, v := range []uint32{1, 7, 1000} {
		var k btcec.ModNScalar
		k.SetInt(v)
		var got, want btcec.JacobianPoint
		tab.Mul(&k, &got)
		btcec.ScalarBaseMultNonConst(&k, &want)
		fmt.Println(v, compressed(&got) == compressed(&want))
	}
	// Output:
	// 1 true
	// 7 true
	// 1000 true
}
