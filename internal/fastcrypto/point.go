package fastcrypto

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
)

// IsInfinity reports whether p is the point at infinity in either of
// btcec's representations (X = Y = 0, or Z = 0). p must be normalized.
func IsInfinity(p *btcec.JacobianPoint) bool {
	return (p.X.IsZero() && p.Y.IsZero()) || p.Z.IsZero()
}

// Compress writes the 33-byte compressed encoding of p, which must be in
// affine form (Z = 1, X and Y normalized, as ToAffine and BatchToAffine
// leave it), to out.
func Compress(out *[33]byte, p *btcec.JacobianPoint) {
	out[0] = 0x02
	if p.Y.IsOdd() {
		out[0] = 0x03
	}
	p.X.PutBytesUnchecked(out[1:])
}

// CompressPubKey writes pub.SerializeCompressed() to out without
// allocating.
func CompressPubKey(out *[33]byte, pub *btcec.PublicKey) {
	var p btcec.JacobianPoint
	pub.AsJacobian(&p) // affine already: Z = 1
	Compress(out, &p)
}

// HashPoint returns SHA256 of the compressed encoding of the affine point
// p: the shared secret of BOLT 4's and BOLT 8's ECDH once p = k·P.
func HashPoint(p *btcec.JacobianPoint) [32]byte {
	var c [33]byte
	Compress(&c, p)
	return sha256.Sum256(c[:])
}

// ParsePoint decodes a 33-byte compressed point into out in affine form (Z
// = 1, X and Y normalized) without allocating. It reports false, leaving
// out unchanged, when b is not the compressed encoding of a point on the
// curve: a wrong length or prefix, x not below the field prime, or x not
// the abscissa of a point.
func ParsePoint(b []byte, out *btcec.JacobianPoint) bool {
	if len(b) != 33 || b[0] != 0x02 && b[0] != 0x03 {
		return false
	}
	var x, y btcec.FieldVal
	if x.SetByteSlice(b[1:]) {
		return false // x >= p
	}
	if !btcec.DecompressY(&x, b[0] == 0x03, &y) {
		return false
	}
	y.Normalize()
	out.X, out.Y = x, y
	out.Z.SetInt(1)
	return true
}

// ParsePubKey parses a 33-byte compressed public key into dst, as
// btcec.ParsePubKey does for that encoding, but without allocating. It
// reports false, leaving dst unchanged, where ParsePoint does.
func ParsePubKey(dst *btcec.PublicKey, b []byte) bool {
	var p btcec.JacobianPoint
	if !ParsePoint(b, &p) {
		return false
	}
	*dst = *btcec.NewPublicKey(&p.X, &p.Y)
	return true
}

// BatchToAffine converts every point of pts to affine form (X and Y
// normalized, Z = 1) with a single field inversion for all of them
// (Montgomery's trick): an inversion costs about as much as 250 field
// multiplications, and the trick spends three multiplications per point
// instead. The points should be normalized, as btcec's point operations
// leave them (Z is normalized here in any case, which does not change the
// point), and must be distinct: no pointer may be given twice.
//
// scratch is working space of at least len(pts) field elements, so that a
// caller can keep it on its stack; a shorter one (nil, say) is replaced by
// an allocated one. It returns -1 on success, or the index of the first
// point at infinity (which has no affine form), in which case no point is
// changed.
func BatchToAffine(pts []*btcec.JacobianPoint, scratch []btcec.FieldVal) int {
	n := len(pts)
	if n == 0 {
		return -1
	}
	if len(scratch) < n {
		scratch = make([]btcec.FieldVal, n)
	}
	// prefix[i] = Z_0·...·Z_i; one inversion of the last gives each 1/Z_i
	// on the way back down.
	prefix := scratch[:n]
	for i, p := range pts {
		p.Z.Normalize()
		if IsInfinity(p) {
			return i
		}
		if i == 0 {
			prefix[0].Set(&p.Z)
		} else {
			prefix[i].Mul2(&prefix[i-1], &p.Z)
		}
	}
	var inv btcec.FieldVal // 1/(Z_0·...·Z_i) at step i
	inv.Set(&prefix[n-1]).Inverse()
	for i := n - 1; i >= 0; i-- {
		var zInv, z2, z3 btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1])
			inv.Mul(&pts[i].Z)
		} else {
			zInv.Set(&inv)
		}
		z2.SquareVal(&zInv)
		z3.Mul2(&z2, &zInv)
		pts[i].X.Mul(&z2).Normalize()
		pts[i].Y.Mul(&z3).Normalize()
		pts[i].Z.SetInt(1)
	}
	return -1
}
