package revocation

import (
	"math/big"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// msmWindow is the wNAF window width used by TwoTermMultiply. A width of 5
// gives tables of 8 odd multiples per point and, on average, one non-zero
// digit every 6 bits of each scalar.
const msmWindow = 5

// msmTableSize is the number of odd multiples (P, 3P, ..., 15P) kept per point.
const msmTableSize = 1 << (msmWindow - 2)

// wnafDigits is a scalar in width-w non-adjacent form, least significant digit
// first. A 256-bit scalar needs at most 257 digits.
type wnafDigits [257]int8

// oddTable holds P, 3P, 5P, ..., 15P.
type oddTable [msmTableSize]btcec.JacobianPoint

// TwoTermMultiply sets result = a·P + b·Q as one multi-scalar multiplication.
//
// It combines Straus' interleaving with the secp256k1 endomorphism
// φ(x, y) = (β·x, y) = λ·(x, y): each scalar is split into two halves of about
// 128 bits (k = k1 + k2·λ mod n), so the sum becomes a four-term product
// k1·P + k2·φ(P) + k3·Q + k4·φ(Q). All four half-length scalars are recoded in
// width-5 NAF and share one chain of about 128 doublings. Only the odd
// multiples of P and Q are computed with point additions; they are brought
// to affine form with one shared field inversion so the main loop uses
// mixed additions, and those of φ(P) and φ(Q) then cost one field
// multiplication each. The cost is therefore close to that of a single
// variable-base scalar multiplication, where computing the two products
// separately costs two.
//
// P and Q must be normalized (as produced by btcec's PublicKey.AsJacobian or
// by any btcec point operation); either may be the point at infinity. The
// result is normalized but, in general, not affine: call ToAffine before
// reading X and Y. It runs in variable time and must only be used with public
// scalars, such as the SHA256 tweaks of BOLT 3 key derivation. result may
// alias P or Q.
//
// Field elements are only handled through btcec's own FieldVal methods
// (multiplication by β, and the batch inversion); this package writes no
// field arithmetic.
func TwoTermMultiply(a *btcec.ModNScalar, p *btcec.JacobianPoint, b *btcec.ModNScalar, q *btcec.JacobianPoint, result *btcec.JacobianPoint) {
	// Terms whose point is at infinity contribute nothing; dropping them
	// keeps every table entry finite for the batch inversion below.
	var zero btcec.ModNScalar
	if isInfinity(p) {
		a = &zero
	}
	if isInfinity(q) {
		b = &zero
	}

	var tp, tpEndo, tq, tqEndo oddTable
	switch {
	case !a.IsZero() && !b.IsZero():
		oddMultiples(p, &tp)
		oddMultiples(q, &tq)
		toAffineBatch(&tp, &tq)
	case !a.IsZero():
		oddMultiples(p, &tp)
		toAffineBatch(&tp, nil)
	case !b.IsZero():
		oddMultiples(q, &tq)
		toAffineBatch(&tq, nil)
	}
	endoTable(&tp, &tpEndo)
	endoTable(&tq, &tqEndo)

	var d [4]wnafDigits
	a1, a2 := splitScalar(a)
	b1, b2 := splitScalar(b)
	top := -1
	for i, k := range [4]*btcec.ModNScalar{&a1, &a2, &b1, &b2} {
		// A split half may be "negative", that is close to n. Recode its
		// negation instead and flip the sign of every digit.
		negate := k.IsOverHalfOrder()
		if negate {
			k.Negate()
		}
		top = max(top, wnaf(k, &d[i], negate))
	}

	var acc, scratch btcec.JacobianPoint
	for i := top; i >= 0; i-- {
		btcec.DoubleNonConst(&acc, &acc)
		addDigit(&acc, &tp, d[0][i], &scratch)
		addDigit(&acc, &tpEndo, d[1][i], &scratch)
		addDigit(&acc, &tq, d[2][i], &scratch)
		addDigit(&acc, &tqEndo, d[3][i], &scratch)
	}
	result.Set(&acc)
}

func isInfinity(p *btcec.JacobianPoint) bool {
	return (p.X.IsZero() && p.Y.IsZero()) || p.Z.IsZero()
}

// toAffineBatch rescales every entry of the tables (second one optional) to
// Z = 1 with a single field inversion (Montgomery's trick), so that the main
// loop uses btcec's cheaper mixed addition. Every entry must be finite.
func toAffineBatch(t1, t2 *oddTable) {
	var pts [2 * msmTableSize]*btcec.JacobianPoint
	n := 0
	for _, t := range []*oddTable{t1, t2} {
		if t == nil {
			continue
		}
		for i := range t {
			pts[n] = &t[i]
			n++
		}
	}
	// prefix[i] = Z_0 · ... · Z_i.
	var prefix [2 * msmTableSize]btcec.FieldVal
	prefix[0].Set(&pts[0].Z)
	for i := 1; i < n; i++ {
		prefix[i].Mul2(&prefix[i-1], &pts[i].Z)
	}
	var inv btcec.FieldVal // (Z_0 · ... · Z_i)^-1 at step i
	inv.Set(&prefix[n-1]).Inverse()
	for i := n - 1; i >= 0; i-- {
		var zInv, zInv2 btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1])
			inv.Mul(&pts[i].Z)
		} else {
			zInv.Set(&inv)
		}
		zInv2.SquareVal(&zInv)
		pts[i].X.Mul(&zInv2).Normalize()
		pts[i].Y.Mul(zInv2.Mul(&zInv)).Normalize()
		pts[i].Z.SetInt(1)
	}
}

// addDigit adds d·P to acc, where table holds the odd multiples of P and d is
// a wNAF digit (zero or odd, |d| < 2^(w-1)). scratch holds a negated entry.
func addDigit(acc *btcec.JacobianPoint, table *oddTable, d int8, scratch *btcec.JacobianPoint) {
	switch {
	case d > 0:
		btcec.AddNonConst(acc, &table[d>>1], acc)
	case d < 0:
		scratch.Set(&table[(-d)>>1])
		scratch.Y.Negate(1).Normalize()
		btcec.AddNonConst(acc, scratch, acc)
	}
}

// oddMultiples fills table with P, 3P, 5P, ..., 15P.
func oddMultiples(p *btcec.JacobianPoint, table *oddTable) {
	var twoP btcec.JacobianPoint
	btcec.DoubleNonConst(p, &twoP)
	table[0].Set(p)
	for i := 1; i < msmTableSize; i++ {
		btcec.AddNonConst(&table[i-1], &twoP, &table[i])
	}
}

// endoTable maps every entry of in through φ(X, Y, Z) = (β·X, Y, Z), which is
// λ times the point in Jacobian coordinates as well as in affine ones.
func endoTable(in, out *oddTable) {
	for i := range in {
		out[i].Set(&in[i])
		out[i].X.Mul(&endoBeta).Normalize()
	}
}

// wnaf recodes k, which must be below 2^256, in width-msmWindow non-adjacent
// form into out, negating every digit when negate is set. It returns the index
// of the most significant non-zero digit, or -1 when k is zero. Every non-zero
// digit is odd with |d| < 2^(w-1), and any w consecutive digits hold at most
// one non-zero value.
func wnaf(k *btcec.ModNScalar, out *wnafDigits, negate bool) int {
	limbs := scalarLimbs(k)
	var ext [5]uint64 // one spare limb so reads past the top never overflow
	copy(ext[:], limbs[:])
	bitsAt := func(pos, count int) uint32 {
		word, shift := pos/64, uint(pos%64)
		v := ext[word] >> shift
		if shift != 0 {
			v |= ext[word+1] << (64 - shift)
		}
		return uint32(v & (1<<uint(count) - 1))
	}
	sign := int32(1)
	if negate {
		sign = -1
	}

	top := -1
	carry := uint32(0)
	for pos := 0; pos < 256; {
		if bitsAt(pos, 1) == carry {
			pos++
			continue
		}
		width := min(msmWindow, 256-pos)
		word := bitsAt(pos, width) + carry
		carry = (word >> (msmWindow - 1)) & 1
		digit := int32(word) - int32(carry<<msmWindow)
		out[pos] = int8(sign * digit)
		top = pos
		pos += width
	}
	if carry != 0 {
		out[256] = int8(sign)
		top = 256
	}
	return top
}

// scalarLimbs returns k as four little-endian 64-bit limbs.
func scalarLimbs(k *btcec.ModNScalar) [4]uint64 {
	be := k.Bytes()
	var limbs [4]uint64
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			limbs[i] |= uint64(be[31-8*i-j]) << (8 * j)
		}
	}
	return limbs
}

// Endomorphism constants of secp256k1 (see "Guide to Elliptic Curve
// Cryptography", section 3.5, and libsecp256k1's scalar_impl.h). λ is a cube
// root of unity mod n and β the matching cube root of unity mod p, so that
// λ·(x, y) = (β·x, y). (a1, b1) and (a2, b2) are a short basis of the lattice
// {(x, y) : x + y·λ ≡ 0 mod n} with a1 = b2. The tests check every relation.
var (
	endoLambda = hexScalar("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	endoBeta   = hexField("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")

	endoA1    = hexBig("3086d221a7d46bcde86c90e49284eb15")
	endoNegB1 = hexBig("e4437ed6010e88286f547fa90abfe4c3") // b1 is negative
	endoA2    = hexBig("114ca50f7a8e2f3f657c1108d9d44cfd8")
	endoB2    = endoA1

	// endoG1 = round(2^384·b2/n), endoG2 = round(2^384·(−b1)/n): fixed-point
	// estimates that turn the rounding divisions of the split into a
	// multiplication and a shift.
	endoG1 = divRound384(endoB2)
	endoG2 = divRound384(endoNegB1)

	// −b1 and −b2 mod n, and −λ mod n, for the split's final products.
	endoNegB1Scalar = bigScalar(endoNegB1)
	endoNegB2Scalar = func() btcec.ModNScalar { s := bigScalar(endoB2); s.Negate(); return s }()
	endoNegLambda   = func() btcec.ModNScalar { s := endoLambda; s.Negate(); return s }()
)

// splitScalar returns k1, k2 with k ≡ k1 + k2·λ (mod n) and both k1 and k2,
// read as signed values in (−n/2, n/2], below 2^129 in magnitude.
//
// With c1 = round(b2·k/n) and c2 = round(−b1·k/n), the vector
// (k, 0) − c1·(a1, b1) − c2·(a2, b2) is short, and its components are
// k1 = k − c1·a1 − c2·a2 and k2 = −c1·b1 − c2·b2. Since a_i ≡ −b_i·λ, k1 can be
// obtained as k − k2·λ.
func splitScalar(k *btcec.ModNScalar) (k1, k2 btcec.ModNScalar) {
	limbs := scalarLimbs(k)
	c1 := mulShift384(&limbs, &endoG1)
	c2 := mulShift384(&limbs, &endoG2)
	var t btcec.ModNScalar
	k2.Set(&c1).Mul(&endoNegB1Scalar)
	t.Set(&c2).Mul(&endoNegB2Scalar)
	k2.Add(&t)
	k1.Set(&k2).Mul(&endoNegLambda).Add(k)
	return k1, k2
}

// mulShift384 returns round(k·g / 2^384) for 256-bit k and g, as a scalar.
// The result is below 2^130 for the constants used here, so it never wraps.
func mulShift384(k, g *[4]uint64) btcec.ModNScalar {
	var prod [8]uint64
	for i := 0; i < 4; i++ {
		var carry uint64
		for j := 0; j < 4; j++ {
			hi, lo := bits.Mul64(k[i], g[j])
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
	// Bits 384..511 are limbs 6 and 7; bit 383 decides the rounding.
	lo, c := bits.Add64(prod[6], prod[5]>>63, 0)
	hi := prod[7] + c
	var be [32]byte
	for i := 0; i < 8; i++ {
		be[31-i] = byte(lo >> (8 * i))
		be[23-i] = byte(hi >> (8 * i))
	}
	var s btcec.ModNScalar
	s.SetBytes(&be)
	return s
}

func hexBig(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("revocation: bad constant " + s)
	}
	return v
}

func hexScalar(s string) btcec.ModNScalar { return bigScalar(hexBig(s)) }

func bigScalar(v *big.Int) btcec.ModNScalar {
	var b [32]byte
	v.FillBytes(b[:])
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func hexField(s string) btcec.FieldVal {
	var b [32]byte
	hexBig(s).FillBytes(b[:])
	var f btcec.FieldVal
	f.SetBytes(&b)
	return f
}

// divRound384 returns round(2^384·v/n) as little-endian limbs.
func divRound384(v *big.Int) [4]uint64 {
	n := btcec.S256().N
	num := new(big.Int).Lsh(v, 384)
	num.Add(num, new(big.Int).Rsh(n, 1))
	num.Quo(num, n)
	var out [4]uint64
	var b [32]byte
	num.FillBytes(b[:])
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			out[i] |= uint64(b[31-8*i-j]) << (8 * j)
		}
	}
	return out
}
