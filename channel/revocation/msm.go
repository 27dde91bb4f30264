package revocation

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/ecmult"
)

// TwoTermMultiply sets result = a·P + b·Q as one multi-scalar multiplication.
//
// It combines Straus' interleaving with the secp256k1 endomorphism
// φ(x, y) = (β·x, y) = λ·(x, y): each scalar is split into two halves of about
// 128 bits (k = k1 + k2·λ mod n), so the sum becomes a four-term product
// k1·P + k2·φ(P) + k3·Q + k4·φ(Q). All four half-length scalars are recoded in
// width-5 NAF and share one chain of about 128 doublings, and the tables of
// odd multiples of P and Q are brought to affine form with one shared field
// inversion. The cost is therefore close to that of a single variable-base
// scalar multiplication, where computing the two products separately costs
// two.
//
// P and Q must be normalized (as produced by btcec's PublicKey.AsJacobian or
// by any btcec point operation); either may be the point at infinity. The
// result is normalized but, in general, not affine: call ToAffine before
// reading X and Y. It runs in variable time and must only be used with public
// scalars, such as the SHA256 tweaks of BOLT 3 key derivation. result may
// alias P or Q.
//
// The multiplication is lnkit's internal ecmult package, which is built from
// btcec's exported point, field and scalar operations and writes no field
// arithmetic of its own.
func TwoTermMultiply(a *btcec.ModNScalar, p *btcec.JacobianPoint, b *btcec.ModNScalar, q *btcec.JacobianPoint, result *btcec.JacobianPoint) {
	ecmult.MultiplyTwo(a, p, b, q, result)
}
