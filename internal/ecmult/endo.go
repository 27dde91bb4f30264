package ecmult

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Endomorphism constants of secp256k1 (the values of libsecp256k1 and
// btcec). λ is a non-trivial cube root of unity mod n and β the matching one
// mod p, so that λ·(x, y) = (β·x, y). The lattice {(x, y) : x + y·λ ≡ 0 mod n}
// has the short basis (a1, b1), (a2, b2) with a1 = b2 and b1 < 0; the split
// needs only −b1 and −b2 mod n and the fixed-point ratios
// g1 = round(2^384·b2/n) and g2 = round(2^384·(−b1)/n). The tests derive every
// one of these from the others.
var (
	endoBeta    = fieldFromHex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")
	endoLambda  = scalarFromHex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	endoMinusB1 = scalarFromHex("00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3")
	endoMinusB2 = scalarFromHex("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c")
	endoG1      = limbsFromHex("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031")
	endoG2      = limbsFromHex("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71")
)

// limbs is a 256-bit integer, least significant 64-bit limb first.
type limbs [4]uint64

func limbsFromBytes(b *[32]byte) limbs {
	return limbs{
		binary.BigEndian.Uint64(b[24:]), binary.BigEndian.Uint64(b[16:]),
		binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[0:]),
	}
}

func scalarLimbs(k *btcec.ModNScalar) limbs {
	b := k.Bytes()
	return limbsFromBytes(&b)
}

func hex32(s string) [32]byte {
	var b [32]byte
	if n, err := hex.Decode(b[:], []byte(s)); err != nil || n != 32 {
		panic("ecmult: bad constant " + s)
	}
	return b
}

func fieldFromHex(s string) btcec.FieldVal {
	b := hex32(s)
	var f btcec.FieldVal
	f.SetBytes(&b)
	return f
}

func scalarFromHex(s string) btcec.ModNScalar {
	b := hex32(s)
	var k btcec.ModNScalar
	k.SetBytes(&b)
	return k
}

func limbsFromHex(s string) limbs {
	b := hex32(s)
	return limbsFromBytes(&b)
}

// splitScalar returns k1, k2 with k ≡ k1 + k2·λ (mod n), where k1 and k2,
// read as signed values in (−n/2, n/2], are below 2^129 in magnitude.
//
// With c1 = round(b2·k/n) and c2 = round(−b1·k/n), the lattice point
// c1·(a1, b1) + c2·(a2, b2) is close to (k, 0), so the difference
// (k1, k2) = (k − c1·a1 − c2·a2, −c1·b1 − c2·b2) is short. Because
// a_i ≡ −b_i·λ (mod n), k1 is also k − k2·λ, which needs no a_i.
func splitScalar(k *btcec.ModNScalar) (k1, k2 btcec.ModNScalar) {
	kl := scalarLimbs(k)
	c1 := mulShift384(&kl, &endoG1)
	c2 := mulShift384(&kl, &endoG2)
	c1.Mul(&endoMinusB1)
	c2.Mul(&endoMinusB2)
	k2.Add2(&c1, &c2)
	k1.Mul2(&k2, &endoLambda).Negate().Add(k)
	return k1, k2
}

// mulShift384 returns round(a·b / 2^384) for 256-bit a and b, as a scalar.
// For the ratios g1 and g2 the result is below 2^129, so it never wraps mod n.
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
	// Bits 384 and up are limbs 6 and 7; bit 383 (the top of limb 5)
	// rounds.
	lo, c := bits.Add64(prod[6], prod[5]>>63, 0)
	hi := prod[7] + c
	var out [32]byte
	binary.BigEndian.PutUint64(out[16:], hi)
	binary.BigEndian.PutUint64(out[24:], lo)
	var k btcec.ModNScalar
	k.SetBytes(&out)
	return k
}
