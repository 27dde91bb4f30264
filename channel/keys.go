package channel

import (
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
// whose per-commitment point is point. It composes the derivations of
// packages revocation and script, each left in Jacobian form:
// revocation.DerivePoint (revocationpubkey, one two-term multi-scalar
// multiplication) and three script.TweakPoint (one base-point
// multiplication and one point addition each), then brings the four to
// affine form with a single field inversion (script.ToPublicKeys).
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
	var pts [4]btcec.JacobianPoint
	if err := revocation.DerivePoint(x.Revocation, point, &pts[0]); err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	for i, bp := range [3]*btcec.PublicKey{o.DelayedPayment, o.HTLC, x.HTLC} {
		script.TweakPoint(bp, point, &pts[i+1])
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
