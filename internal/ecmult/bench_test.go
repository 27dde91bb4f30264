package ecmult

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Goals, as ratios within one run:
//
//   - BenchmarkMultiplyTwo is close to BenchmarkFloorScalarMult (one btcec
//     variable-base multiplication) and well under twice it.
//   - BenchmarkTableInitMulTwo (the onion's table and two products) is well
//     under twice BenchmarkFloorScalarMult.

func benchInputs() (a, b btcec.ModNScalar, p, q btcec.JacobianPoint) {
	r := newRand(42)
	return randScalar(r), randScalar(r), randPoint(r), randPoint(r)
}

// BenchmarkFloorScalarMult is btcec's variable-base multiplication.
func BenchmarkFloorScalarMult(b *testing.B) {
	k, _, p, _ := benchInputs()
	var out btcec.JacobianPoint
	b.ReportAllocs()
	for b.Loop() {
		btcec.ScalarMultNonConst(&k, &p, &out)
	}
}

func BenchmarkMultiplyTwo(b *testing.B) {
	k1, k2, p, q := benchInputs()
	var out btcec.JacobianPoint
	b.ReportAllocs()
	for b.Loop() {
		MultiplyTwo(&k1, &p, &k2, &q, &out)
	}
}

func BenchmarkTableInit(b *testing.B) {
	_, _, p, _ := benchInputs()
	var tab Table
	b.ReportAllocs()
	for b.Loop() {
		tab.Init(&p)
	}
}

func BenchmarkTableMul(b *testing.B) {
	k, _, p, _ := benchInputs()
	var tab Table
	tab.Init(&p)
	var out btcec.JacobianPoint
	b.ReportAllocs()
	for b.Loop() {
		tab.Mul(&k, &out)
	}
}

// BenchmarkTableInitMulTwo is the onion peel's curve work: one table, two
// products.
func BenchmarkTableInitMulTwo(b *testing.B) {
	k1, k2, p, _ := benchInputs()
	var out btcec.JacobianPoint
	b.ReportAllocs()
	for b.Loop() {
		var tab Table
		tab.Init(&p)
		tab.Mul(&k1, &out)
		tab.Mul(&k2, &out)
	}
}
