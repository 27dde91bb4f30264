package channel

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/ecmult"
	"github.com/lnkit/lnkit/wire"
)

// keyVerifier checks ECDSA signatures under one public key, such as the
// remote_htlcpubkey of every htlc_signature of a commitment_signed. The
// key's table of multiples is built once, so each check costs a base-point
// multiplication and one endomorphism-split table multiplication instead
// of btcec's general variable-base multiplication. It accepts exactly the
// signatures that wire.Signature.ToECDSA followed by
// ecdsa.Signature.Verify accepts: r and s in [1, n-1], and
// x(u1·G + u2·Q) ≡ r (mod n) with u1 = e/s and u2 = r/s. It is read-only
// after newKeyVerifier and safe for concurrent use.
type keyVerifier struct {
	tab ecmult.Table
}

// newKeyVerifier returns a verifier for pub.
func newKeyVerifier(pub *btcec.PublicKey) *keyVerifier {
	v := new(keyVerifier)
	var q btcec.JacobianPoint
	pub.AsJacobian(&q)
	v.tab.Init(&q)
	return v
}

// orderAsField is the group order n as a field element, for the x ≥ n
// case of the final comparison.
var orderAsField = func() btcec.FieldVal {
	var n btcec.FieldVal
	n.SetByteSlice([]byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
		0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
	})
	return n
}()

// parsedSig is a signature's r and the inverse w of its s, or ok = false
// when r or s is not in [1, n-1] (which no check can then accept).
type parsedSig struct {
	r, w btcec.ModNScalar
	ok   bool
}

// parseSigs parses signatures for keyVerifier, inverting all their s
// values with one scalar inversion (Montgomery's trick).
func parseSigs(sigs []wire.Signature) []parsedSig {
	out := make([]parsedSig, len(sigs))
	prefix := make([]btcec.ModNScalar, len(sigs)) // product of the valid s up to i
	var acc btcec.ModNScalar
	acc.SetInt(1)
	for i := range sigs {
		p := &out[i]
		p.ok = !p.r.SetByteSlice(sigs[i][:32]) && !p.r.IsZero() &&
			!p.w.SetByteSlice(sigs[i][32:]) && !p.w.IsZero() // w holds s for now
		if p.ok {
			acc.Mul(&p.w)
		}
		prefix[i] = acc
	}
	var inv btcec.ModNScalar // (product of the valid s up to i)⁻¹ walking back
	inv.InverseValNonConst(&acc)
	for i := len(sigs) - 1; i >= 0; i-- {
		p := &out[i]
		if !p.ok {
			continue
		}
		s := p.w
		if i > 0 {
			p.w.Mul2(&inv, &prefix[i-1])
		} else {
			p.w = inv
		}
		inv.Mul(&s)
	}
	return out
}

// verify reports whether sig is a valid signature of digest.
func (v *keyVerifier) verify(sig wire.Signature, digest *[32]byte) bool {
	return v.verifyParsed(&parseSigs([]wire.Signature{sig})[0], digest)
}

// verifyParsed reports whether the parsed signature is valid for digest.
func (v *keyVerifier) verifyParsed(p *parsedSig, digest *[32]byte) bool {
	if !p.ok {
		return false
	}
	var e, u1, u2 btcec.ModNScalar
	e.SetByteSlice(digest[:])
	u1.Mul2(&e, &p.w)
	u2.Mul2(&p.r, &p.w)

	var u1G, u2Q, x btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&u1, &u1G)
	v.tab.Mul(&u2, &u2Q)
	btcec.AddNonConst(&u1G, &u2Q, &x)
	if (x.X.IsZero() && x.Y.IsZero()) || x.Z.IsZero() {
		return false
	}
	// x(X) = X.X/Z² ≡ r (mod n) without the inversion: compare r·Z² with
	// X.X, and, when r + n is still below p, (r + n)·Z² too.
	var z2, rf, got btcec.FieldVal
	z2.SquareVal(&x.Z)
	var rb [32]byte
	p.r.PutBytes(&rb)
	rf.SetBytes(&rb)
	got.Mul2(&rf, &z2).Normalize()
	if got.Equals(&x.X) {
		return true
	}
	if rf.IsGtOrEqPrimeMinusOrder() {
		return false
	}
	rf.Add(&orderAsField)
	got.Mul2(&rf, &z2).Normalize()
	return got.Equals(&x.X)
}
