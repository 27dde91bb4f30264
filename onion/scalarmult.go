package onion

import (
	"encoding/binary"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// This file multiplies one point by two scalars that become known one after
// the other, sharing the precomputation between them. A hop peeling an
// onion needs k·E (the ECDH with its node key k) and then b·E (the next
// ephemeral key), where the blinding factor b is a hash of the first
// result: the two products cannot be merged into one multi-scalar
// multiplication, but both can use one table of E's multiples.
//
// The multiplication is btcec's own method made table-driven: the scalar is
// split with the secp256k1 endomorphism (k = k1 + k2·λ, both halves about
// 128 bits), each half is written in width-5 NAF, and the additions use a
// table of the odd multiples P, 3P, ..., 15P and their images under the
// endomorphism φ(x, y) = (β·x, y). All curve and field arithmetic is
// btcec's (JacobianPoint, AddNonConst, DoubleNonConst, FieldVal); this file
// only arranges it.

const (
	wnafWidth = 5
	tableSize = 1 << (wnafWidth - 2) // odd multiples 1..15
)

// Endomorphism constants of secp256k1 (the values libsecp256k1 and btcec
// use): β is a cube root of unity mod p, λ the matching one mod n, and
// g1, g2, -b1, -b2 the lattice basis for splitting a scalar.
var (
	endoBeta    = fieldFromHex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")
	endoLambda  = scalarFromHex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	endoMinusB1 = scalarFromHex("00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3")
	endoMinusB2 = scalarFromHex("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c")
	endoG1      = limbsFromHex("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031")
	endoG2      = limbsFromHex("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71")
)

func hexBytes32(s string) [32]byte {
	var b [32]byte
	for i := 0; i < 32; i++ {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	default:
		return c - 'a' + 10
	}
}

func fieldFromHex(s string) btcec.FieldVal {
	b := hexBytes32(s)
	var f btcec.FieldVal
	f.SetBytes(&b)
	return f
}

func scalarFromHex(s string) btcec.ModNScalar {
	b := hexBytes32(s)
	var k btcec.ModNScalar
	k.SetBytes(&b)
	return k
}

// limbs is a 256-bit integer, least significant limb first.
type limbs [4]uint64

func limbsFromBytes(b *[32]byte) limbs {
	return limbs{
		binary.BigEndian.Uint64(b[24:]), binary.BigEndian.Uint64(b[16:]),
		binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[0:]),
	}
}

func limbsFromHex(s string) limbs {
	b := hexBytes32(s)
	return limbsFromBytes(&b)
}

// mulShift384 returns round(a·b / 2^384) for 256-bit a and b.
func mulShift384(a, b *limbs) btcec.ModNScalar {
	var prod [8]uint64
	for i := 0; i < 4; i++ {
		var carry uint64
		for j := 0; j < 4; j++ {
			hi, lo := bits.Mul64(a[i], b[j])
			var c uint64
			lo, c = bits.Add64(lo, prod[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			prod[i+j] = lo
			carry = hi
		}
		prod[i+4] = carry
	}
	// Bits 384 and up are limbs 6 and 7; bit 383 rounds.
	lo, c := bits.Add64(prod[6], prod[5]>>63, 0)
	hi := prod[7] + c
	var out [32]byte
	binary.BigEndian.PutUint64(out[16:], hi)
	binary.BigEndian.PutUint64(out[24:], lo)
	var k btcec.ModNScalar
	k.SetBytes(&out)
	return k
}

// splitScalar returns k1, k2 with k1 + k2·λ ≡ k (mod n), each about half
// the size of n (up to sign), following the lattice method of [GECC] 3.5.
func splitScalar(k *btcec.ModNScalar) (k1, k2 btcec.ModNScalar) {
	kb := k.Bytes()
	kl := limbsFromBytes(&kb)
	c1 := mulShift384(&kl, &endoG1)
	c2 := mulShift384(&kl, &endoG2)
	c1.Mul(&endoMinusB1)
	c2.Mul(&endoMinusB2)
	k2.Add2(&c1, &c2)
	k1.Mul2(&k2, &endoLambda).Negate().Add(k)
	return k1, k2
}

// wnaf holds the width-5 NAF digits of a scalar, least significant first.
type wnaf struct {
	d   [260]int8
	len int
}

// setScalar computes the NAF of the 256-bit big-endian value b.
func (w *wnaf) set(b *[32]byte) {
	x := limbsFromBytes(b)
	var carry5 [5]uint64
	copy(carry5[:4], x[:])
	v := carry5
	w.len = 0
	i := 0
	for !isZero5(&v) {
		var d int8
		if v[0]&1 == 1 {
			m := int(v[0] & (1<<wnafWidth - 1))
			if m >= 1<<(wnafWidth-1) {
				m -= 1 << wnafWidth
			}
			d = int8(m)
			sub5(&v, int64(m))
		}
		w.d[i] = d
		i++
		shr1(&v)
	}
	w.len = i
}

func isZero5(v *[5]uint64) bool { return v[0]|v[1]|v[2]|v[3]|v[4] == 0 }

// sub5 subtracts the small signed m from v.
func sub5(v *[5]uint64, m int64) {
	if m >= 0 {
		var b uint64
		v[0], b = bits.Sub64(v[0], uint64(m), 0)
		for i := 1; i < 5 && b != 0; i++ {
			v[i], b = bits.Sub64(v[i], 0, b)
		}
		return
	}
	var c uint64
	v[0], c = bits.Add64(v[0], uint64(-m), 0)
	for i := 1; i < 5 && c != 0; i++ {
		v[i], c = bits.Add64(v[i], 0, c)
	}
}

func shr1(v *[5]uint64) {
	for i := 0; i < 4; i++ {
		v[i] = v[i]>>1 | v[i+1]<<63
	}
	v[4] >>= 1
}

// pointTable holds P, 3P, ..., 15P in affine form (Z = 1, so that each
// addition in the main loop is btcec's cheaper mixed addition), and the
// same points under the endomorphism.
type pointTable struct {
	p, pNeg     [tableSize]btcec.JacobianPoint
	phi, phiNeg [tableSize]btcec.JacobianPoint
}

// init fills the table for the affine point p (Z must be 1).
func (t *pointTable) init(p *btcec.JacobianPoint) {
	var twoP btcec.JacobianPoint
	btcec.DoubleNonConst(p, &twoP)
	t.p[0].Set(p)
	for i := 1; i < tableSize; i++ {
		btcec.AddNonConst(&t.p[i-1], &twoP, &t.p[i])
	}
	// Batch-convert to affine with one inversion (Montgomery's trick).
	var prefix [tableSize]btcec.FieldVal
	prefix[0].Set(&t.p[0].Z)
	for i := 1; i < tableSize; i++ {
		prefix[i].Mul2(&prefix[i-1], &t.p[i].Z)
	}
	var inv btcec.FieldVal
	inv.Set(&prefix[tableSize-1]).Inverse()
	for i := tableSize - 1; i >= 0; i-- {
		var zInv btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1])
			inv.Mul(&t.p[i].Z)
		} else {
			zInv.Set(&inv)
		}
		var z2, z3 btcec.FieldVal
		z2.SquareVal(&zInv)
		z3.Mul2(&z2, &zInv)
		t.p[i].X.Mul(&z2).Normalize()
		t.p[i].Y.Mul(&z3).Normalize()
		t.p[i].Z.SetInt(1)
	}
	for i := range t.p {
		t.phi[i].Set(&t.p[i])
		t.phi[i].X.Mul(&endoBeta).Normalize()
		t.pNeg[i].Set(&t.p[i])
		t.pNeg[i].Y.Negate(1).Normalize()
		t.phiNeg[i].Set(&t.phi[i])
		t.phiNeg[i].Y.Set(&t.pNeg[i].Y)
	}
}

// mul sets result = k·P for the table's point P. The result is in
// Jacobian form.
func (t *pointTable) mul(k *btcec.ModNScalar, result *btcec.JacobianPoint) {
	k1, k2 := splitScalar(k)
	neg1, neg2 := k1.IsOverHalfOrder(), k2.IsOverHalfOrder()
	if neg1 {
		k1.Negate()
	}
	if neg2 {
		k2.Negate()
	}
	var n1, n2 wnaf
	b1, b2 := k1.Bytes(), k2.Bytes()
	n1.set(&b1)
	n2.set(&b2)
	m := max(n1.len, n2.len)

	// When a half was negated, its table and the negated one swap roles.
	p1, p1n, p2, p2n := &t.p, &t.pNeg, &t.phi, &t.phiNeg
	if neg1 {
		p1, p1n = p1n, p1
	}
	if neg2 {
		p2, p2n = p2n, p2
	}
	// Alternate between two accumulators: btcec's point functions must
	// not write to their input.
	var a, b btcec.JacobianPoint
	q, r := &a, &b
	for i := m - 1; i >= 0; i-- {
		btcec.DoubleNonConst(q, r)
		q, r = r, q
		if d := n1.d[i]; d > 0 {
			btcec.AddNonConst(q, &p1[d>>1], r)
			q, r = r, q
		} else if d < 0 {
			btcec.AddNonConst(q, &p1n[(-d)>>1], r)
			q, r = r, q
		}
		if d := n2.d[i]; d > 0 {
			btcec.AddNonConst(q, &p2[d>>1], r)
			q, r = r, q
		} else if d < 0 {
			btcec.AddNonConst(q, &p2n[(-d)>>1], r)
			q, r = r, q
		}
	}
	*result = *q
}

// compressInto writes the compressed encoding of the Jacobian point p
// (converted to affine in place) to out.
func compressInto(p *btcec.JacobianPoint, out *[33]byte) {
	p.ToAffine()
	out[0] = 0x02
	if p.Y.IsOdd() {
		out[0] = 0x03
	}
	p.X.PutBytesUnchecked(out[1:])
}
