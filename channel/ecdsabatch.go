package channel

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/wire"
)

// signItem is the working state of one signature of a batch.
type signItem struct {
	k    btcec.ModNScalar    // RFC 6979 nonce
	kG   btcec.JacobianPoint // k·G, Jacobian
	z    btcec.FieldVal      // kG.Z, normalized (1 for a fallback item)
	zPre btcec.FieldVal      // z of items 0..i multiplied
	kPre btcec.ModNScalar    // k of items 0..i multiplied
	// fallback marks an item that is signed by ecdsa.Sign on its own.
	fallback bool
}

// forceSignFallback, when set by a test, sends item i of every batch
// through ecdsa.Sign, to test the path that the (astronomically
// unlikely) r = 0 or s = 0 cases take.
var forceSignFallback func(i int) bool

// signBatch signs digests[i] with keys[i] into out[i] for every i. The
// signatures are exactly those of ecdsa.Sign (RFC 6979 nonces, BIP 62 low
// S): every step of its algorithm is done the same way (the nonce by
// nonceRFC6979, which does not allocate), but the field
// inversions that bring each nonce point k·G to affine form are shared by
// the whole batch (Montgomery's trick: one inversion and three
// multiplications per signature instead of one inversion each), and so are
// the scalar inversions of the nonces. A signature for which r or s comes
// out zero, where ecdsa.Sign moves on to the next RFC 6979 nonce, is made
// by ecdsa.Sign itself.
//
// Like ecdsa.Sign it runs in variable time in the nonce (non-constant-time
// base-point multiplication and inversion).
func signBatch(keys []*btcec.PrivateKey, digests [][32]byte, out []wire.Signature) {
	n := len(keys)
	if n == 0 {
		return
	}
	var single [1]signItem // a batch of one needs no heap memory
	items := single[:]
	if n > 1 {
		items = make([]signItem, n)
	}
	var one btcec.FieldVal
	one.SetInt(1)
	for i := range items {
		it := &items[i]
		var d [32]byte
		keys[i].Key.PutBytes(&d)
		it.k = nonceRFC6979(&d, &digests[i], 0)
		clear(d[:])
		btcec.ScalarBaseMultNonConst(&it.k, &it.kG)
		it.z.Set(&it.kG.Z).Normalize()
		if it.z.IsZero() || (forceSignFallback != nil && forceSignFallback(i)) {
			it.fallback = true
			it.z.Set(&one)
		}
		if i == 0 {
			it.zPre.Set(&it.z)
			it.kPre.Set(&it.k)
		} else {
			it.zPre.Mul2(&items[i-1].zPre, &it.z)
			it.kPre.Mul2(&items[i-1].kPre, &it.k)
		}
	}

	// zInv = (z_0···z_i)⁻¹ and kInv = (k_0···k_i)⁻¹ while walking back.
	var zInv btcec.FieldVal
	zInv.Set(&items[n-1].zPre).Inverse()
	var kInv btcec.ModNScalar
	kInv.InverseValNonConst(&items[n-1].kPre)
	items[n-1].kPre.Zero()
	for i := n - 1; i >= 0; i-- {
		it := &items[i]
		var zi btcec.FieldVal   // z_i⁻¹
		var ki btcec.ModNScalar // k_i⁻¹
		if i > 0 {
			zi.Mul2(&zInv, &items[i-1].zPre)
			zInv.Mul(&it.z)
			ki.Mul2(&kInv, &items[i-1].kPre)
			kInv.Mul(&it.k)
		} else {
			zi.Set(&zInv)
			ki.Set(&kInv)
		}
		if !it.fallback {
			out[i], it.fallback = finishSig(keys[i], &digests[i], &it.kG, &zi, &ki)
		}
		if it.fallback {
			out[i] = wire.NewSignature(ecdsa.Sign(keys[i], digests[i][:]))
		}
		it.k.Zero()
		ki.Zero()
		if i > 0 {
			items[i-1].kPre.Zero() // no longer needed once used above
		}
	}
	kInv.Zero()
}

// finishSig completes one signature from its nonce point kG (Jacobian),
// the inverse zi of kG's Z and the inverse ki of the nonce: r = x(kG) mod
// n, s = k⁻¹·(e + d·r) mod n, negated when above n/2. It reports false
// (fallback) when r or s is zero.
func finishSig(key *btcec.PrivateKey, digest *[32]byte, kG *btcec.JacobianPoint, zi *btcec.FieldVal, ki *btcec.ModNScalar) (wire.Signature, bool) {
	var sig wire.Signature
	var x btcec.FieldVal
	x.SquareVal(zi).Mul(&kG.X).Normalize() // affine x = X/Z²
	var xb [32]byte
	x.PutBytes(&xb)
	var r btcec.ModNScalar
	r.SetBytes(&xb) // x mod n
	if r.IsZero() {
		return sig, true
	}
	var e, s btcec.ModNScalar
	e.SetByteSlice(digest[:])
	s.Mul2(&key.Key, &r).Add(&e).Mul(ki)
	if s.IsZero() {
		return sig, true
	}
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	r.PutBytesUnchecked(sig[:32])
	s.PutBytesUnchecked(sig[32:])
	return sig, false
}
