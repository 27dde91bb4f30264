package onion

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/ecmult"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// A hop peeling an onion multiplies the incoming ephemeral key E twice: by
// its node key k (the ECDH, BOLT 4 "Shared Secret") and then by the blinding
// factor b (BOLT 4 "Blinding Ephemeral Keys"), which is a hash of the first
// result. The second product cannot be merged with the first into one
// multi-scalar multiplication, but both can use one table of E's multiples,
// built once. The table and the multiplication are lnkit's internal ecmult
// package (GLV endomorphism split, width-5 NAF, affine tables from one
// inversion), built from btcec's exported operations; internal/ecmult sits
// below every lnkit package, so onion still imports nothing of lnkit's
// public API but wire.

// pointTable is the precomputed table of one point, shared between the
// multiplications of that point.
type pointTable struct{ t ecmult.Table }

// init fills the table for p, which must be normalized (as
// fastcrypto.ParsePoint's result is).
func (t *pointTable) init(p *btcec.JacobianPoint) { t.t.Init(p) }

// mul sets result = k·P for the table's point P, in Jacobian form.
func (t *pointTable) mul(k *btcec.ModNScalar, result *btcec.JacobianPoint) { t.t.Mul(k, result) }

// compressInto converts the Jacobian point p to affine form in place and
// writes its compressed encoding to out.
func compressInto(p *btcec.JacobianPoint, out *[33]byte) {
	p.ToAffine()
	fastcrypto.Compress(out, p)
}
