package ecmult

import (
	"math/big"
	"math/rand/v2"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

var curveN = btcec.S256().N

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x65636d756c74)) }

func randScalar(r *rand.Rand) btcec.ModNScalar {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func randPoint(r *rand.Rand) btcec.JacobianPoint {
	k := randScalar(r)
	var p btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &p)
	p.ToAffine()
	return p
}

func scalarBig(s *btcec.ModNScalar) *big.Int {
	b := s.Bytes()
	return new(big.Int).SetBytes(b[:])
}

func bigScalar(v *big.Int) btcec.ModNScalar {
	var b [32]byte
	new(big.Int).Mod(v, curveN).FillBytes(b[:])
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func hexBig(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("bad hex " + s)
	}
	return v
}

// edgeScalars are values that stress the split and the recoding: zero,
// small values, values around n/2 and n, around the half-length boundary,
// the endomorphism's own λ and −λ, and bit patterns that make wNAF carry.
func edgeScalars() []btcec.ModNScalar {
	half := new(big.Int).Rsh(curveN, 1)
	one := big.NewInt(1)
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(15),
		big.NewInt(16), big.NewInt(17), big.NewInt(31), big.NewInt(0xffffffff),
		new(big.Int).Sub(curveN, one), new(big.Int).Sub(curveN, big.NewInt(2)),
		half, new(big.Int).Add(half, one),
		new(big.Int).Lsh(one, 128), new(big.Int).Sub(new(big.Int).Lsh(one, 128), one),
		new(big.Int).Sub(new(big.Int).Lsh(one, 129), one),
		new(big.Int).Lsh(one, 255), new(big.Int).Sub(new(big.Int).Lsh(one, 255), one),
		new(big.Int).Lsh(one, 252), new(big.Int).Sub(new(big.Int).Lsh(one, 252), one),
		hexBig("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f"),
		hexBig("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"),
		scalarBig(&endoLambda),
		new(big.Int).Sub(curveN, scalarBig(&endoLambda)),
		new(big.Int).Mul(scalarBig(&endoLambda), big.NewInt(2)),
	}
	out := make([]btcec.ModNScalar, len(vals))
	for i, v := range vals {
		out[i] = bigScalar(v)
	}
	return out
}

// equalPoints compares two points as group elements, infinity included.
func equalPoints(a, b *btcec.JacobianPoint) bool {
	if fastcrypto.IsInfinity(a) || fastcrypto.IsInfinity(b) {
		return fastcrypto.IsInfinity(a) && fastcrypto.IsInfinity(b)
	}
	return a.EquivalentNonConst(b)
}
