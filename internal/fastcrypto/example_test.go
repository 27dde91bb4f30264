package fastcrypto_test

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// Derive two BOLT 3 style keys, basepoint + SHA256(point || basepoint)·G,
// and bring both to affine form with one field inversion.
func ExampleBatchToAffine() {
	_, point := btcec.PrivKeyFromBytes([]byte("per-commitment secret, 32 bytes!"))
	var pc [33]byte
	fastcrypto.CompressPubKey(&pc, point)
	var out [2]btcec.JacobianPoint
	for i, label := range []string{"basepoint one, thirty-two bytes!", "basepoint two, thirty-two bytes!"} {
		_, base := btcec.PrivKeyFromBytes([]byte(label))
		var bc [33]byte
		fastcrypto.CompressPubKey(&bc, base)
		tweak := fastcrypto.HashToScalar(pc[:], bc[:])
		var tG, bp btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&tweak, &tG)
		base.AsJacobian(&bp)
		btcec.AddNonConst(&bp, &tG, &out[i])
	}
	if i := fastcrypto.BatchToAffine([]*btcec.JacobianPoint{&out[0], &out[1]}, nil); i >= 0 {
		fmt.Println("point at infinity:", i)
		return
	}
	var c [33]byte
	fastcrypto.Compress(&c, &out[0])
	fmt.Println(c[0] == 2 || c[0] == 3, out[0].Z.IsOne() && out[1].Z.IsOne())
	// Output: true true
}
