package channel

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/script"
)

// CommitmentKeys are the keys of one commitment transaction, named from the
// point of view of its owner (the side whose commitment it is), as BOLT 3
// "Key Derivation" names them. "local" is the owner, "remote" the other
// side.
type CommitmentKeys struct {
	// PerCommitmentPoint is the owner's per_commitment_point for this
	// commitment.
	PerCommitmentPoint *btcec.PublicKey

	// RevocationKey is revocationpubkey: the other side's
	// revocation_basepoint blinded with the owner's per_commitment_point.
	// It unlocks every output of the owner's once it is revoked.
	RevocationKey *btcec.PublicKey

	// LocalDelayedKey is local_delayedpubkey, from the owner's
	// delayed_payment_basepoint. It takes to_local and the HTLC transaction
	// outputs after to_self_delay.
	LocalDelayedKey *btcec.PublicKey

	// LocalHTLCKey is local_htlcpubkey, from the owner's htlc_basepoint.
	LocalHTLCKey *btcec.PublicKey

	// RemoteHTLCKey is remote_htlcpubkey, from the other side's
	// htlc_basepoint.
	RemoteHTLCKey *btcec.PublicKey

	// ToRemoteKey is remotepubkey. Under option_static_remotekey (and
	// option_anchors) it is the other side's payment_basepoint itself.
	ToRemoteKey *btcec.PublicKey
}

// DeriveCommitmentKeys derives the keys of the commitment owned by owner
// whose per-commitment point is point. It costs three base-point
// multiplications (three single tweaks), one two-term multi-scalar
// multiplication (revocationpubkey) and a single field inversion shared by
// the four results.
//
// localpubkey (the owner's tweaked payment key) is not derived: under
// option_static_remotekey and option_anchors, the only formats this package
// builds, no output of either commitment uses it. Use script.TweakPubKey if
// you need it.
func DeriveCommitmentKeys(p *Params, owner Side, point *btcec.PublicKey) (*CommitmentKeys, error) {
	if point == nil {
		return nil, fmt.Errorf("%w: nil per_commitment_point", ErrInvalidParams)
	}
	if owner != Local && owner != Remote {
		return nil, fmt.Errorf("%w: side %d", ErrInvalidParams, owner)
	}
	o, x := p.Party(owner), p.Party(owner.Other())
	if err := o.Basepoints.validate(owner); err != nil {
		return nil, err
	}
	if err := x.Basepoints.validate(owner.Other()); err != nil {
		return nil, err
	}
	var pcp [33]byte
	copy(pcp[:], point.SerializeCompressed())

	// revocationpubkey = revocation_basepoint·SHA256(revocation_basepoint
	// || per_commitment_point) + per_commitment_point·SHA256(
	// per_commitment_point || revocation_basepoint), as
	// revocation.DerivePubKey computes it, left in Jacobian form.
	var pts [4]btcec.JacobianPoint
	var rb [33]byte
	copy(rb[:], x.Revocation.SerializeCompressed())
	h1, h2 := pairTweak(&rb, &pcp), pairTweak(&pcp, &rb)
	var rbJ, pcpJ btcec.JacobianPoint
	x.Revocation.AsJacobian(&rbJ)
	point.AsJacobian(&pcpJ)
	revocation.TwoTermMultiply(&h1, &rbJ, &h2, &pcpJ, &pts[0])
	if (pts[0].X.IsZero() && pts[0].Y.IsZero()) || pts[0].Z.IsZero() {
		return nil, fmt.Errorf("channel: revocationpubkey: %w", revocation.ErrInvalidKey)
	}
	// basepoint + SHA256(per_commitment_point || basepoint)·G, as
	// script.TweakPubKey computes it, left in Jacobian form.
	for i, bp := range [3]*btcec.PublicKey{o.DelayedPayment, o.HTLC, x.HTLC} {
		var b [33]byte
		copy(b[:], bp.SerializeCompressed())
		k := pairTweak(&pcp, &b)
		var tG, bpJ btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&k, &tG)
		bp.AsJacobian(&bpJ)
		btcec.AddNonConst(&bpJ, &tG, &pts[i+1])
	}
	keys, err := script.ToPublicKeys(pts[:])
	if err != nil {
		return nil, fmt.Errorf("channel: commitment key derivation: %w", err)
	}
	return &CommitmentKeys{
		PerCommitmentPoint: point,
		RevocationKey:      keys[0],
		LocalDelayedKey:    keys[1],
		LocalHTLCKey:       keys[2],
		RemoteHTLCKey:      keys[3],
		ToRemoteKey:        script.ToRemoteKey(x.Payment),
	}, nil
}

// pairTweak returns SHA256(a || b) as a scalar mod n: the BOLT 3 tweak of
// two compressed points.
func pairTweak(a, b *[33]byte) btcec.ModNScalar {
	var buf [66]byte
	copy(buf[:33], a[:])
	copy(buf[33:], b[:])
	d := sha256.Sum256(buf[:])
	var k btcec.ModNScalar
	k.SetBytes(&d)
	return k
}
