package backup

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Reestablish returns the channel_reestablish a node restored from s sends
// when it reconnects to the peer: the message of a node that lost its
// state (BOLT 2 "Message Retransmission", option_data_loss_protect), which
// makes the peer fail the channel and broadcast its latest commitment.
//
// next_commitment_number and next_revocation_number are 0 and
// your_last_per_commitment_secret is all zeros: the peer, whatever its
// state, sees a next_commitment_number that is not one more than the
// number of the last commitment_signed it sent, and fails the channel.
// This is what lnd sends for a channel restored from its static backup
// under option_static_remotekey (lnd's OpenChannel.ChanSyncMsg with
// ChanStatusRestored); 1 would not do for a channel still at its first
// commitment, where the peer would take it as in sync. A restored node
// must never broadcast a commitment of its own: it is likely revoked.
//
// myPoint is sent as my_current_per_commitment_point; the peer ignores
// it, but lnd refuses a message whose point does not parse, so when it is
// nil this node's payment basepoint (a valid point that reveals nothing)
// is sent. It fails (ErrInvalid) for a Single that does not validate.
func Reestablish(s *Single, myPoint *btcec.PublicKey) (*wire.ChannelReestablish, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil backup", ErrInvalid)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if myPoint == nil {
		myPoint = s.Local.Payment
	}
	return &wire.ChannelReestablish{
		ChannelID:                   s.ChannelID(),
		NextCommitmentNumber:        0,
		NextRevocationNumber:        0,
		MyCurrentPerCommitmentPoint: wire.NewPoint(myPoint),
	}, nil
}

// ForceCloseRequest returns an error message for the channel: a peer that
// did not fail the channel on Reestablish (one that does not follow
// option_data_loss_protect) fails it on receipt (BOLT 1, "The error and
// warning Messages"), broadcasting its commitment. A nil s is refused
// (ErrInvalid): an error with the zero channel_id would fail every channel
// with the peer.
func ForceCloseRequest(s *Single) (*wire.Error, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil backup", ErrInvalid)
	}
	return &wire.Error{ChannelID: s.ChannelID(), Data: []byte("lost channel state, restored from a static backup: please force-close")}, nil
}

// RemoteCommitment rebuilds, from the backup, what this node needs of the
// peer's commitment transaction tx to claim its own output: the to_remote
// output, found by its script. remotePoint is the peer's per-commitment
// point of tx (its channel_reestablish's my_current_per_commitment_point);
// under option_static_remotekey and option_anchors the to_remote key is
// this node's payment basepoint whatever the point, so remotePoint may be
// nil, and the returned Commitment then has only Keys.ToRemoteKey.
//
// The Commitment has no HTLCs, no to_local and no anchors: it is meant
// for channel.ToRemoteClaim. It fails with ErrInvalid when tx does not
// spend the channel's funding output or has no to_remote output (this
// node's balance was below the dust limit, or tx is this node's own
// commitment).
func RemoteCommitment(s *Single, tx *btcwire.MsgTx, remotePoint *btcec.PublicKey) (*channel.Commitment, error) {
	if s == nil || tx == nil {
		return nil, fmt.Errorf("%w: nil backup or transaction", ErrInvalid)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != s.FundingOutpoint {
		return nil, fmt.Errorf("%w: transaction does not spend funding output %v", ErrInvalid, s.FundingOutpoint)
	}
	p := s.Params()
	keys := &channel.CommitmentKeys{ToRemoteKey: script.ToRemoteKey(p.Local.Payment)}
	if remotePoint != nil {
		k, err := channel.DeriveCommitmentKeys(p, channel.Remote, remotePoint)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		keys = k
	}
	ws, pk, err := script.ToRemoteScript(p.Type, keys.ToRemoteKey)
	if err != nil {
		return nil, err
	}
	absent := channel.Output{Index: -1}
	c := &channel.Commitment{
		Owner: channel.Remote, Type: p.Type, Keys: keys, Tx: tx, TxHash: tx.TxHash(),
		ToLocal: absent, ToRemote: absent, LocalAnchor: absent, RemoteAnchor: absent,
		ToSelfDelay: p.Remote.ToSelfDelay,
	}
	for i, out := range tx.TxOut {
		if string(out.PkScript) == string(pk) {
			c.ToRemote = channel.Output{Index: i, Value: amount(out.Value), WitnessScript: ws, PkScript: pk}
			break
		}
	}
	if !c.ToRemote.Present() {
		return nil, fmt.Errorf("%w: the transaction pays nothing to this node's to_remote script", ErrInvalid)
	}
	obscuring := script.ObscuringFactor(p.Party(p.Opener).Payment, p.Party(p.Opener.Other()).Payment)
	if n, err := script.CommitmentNumberFromTx(tx, obscuring); err == nil {
		c.Number = n
	}
	return c, nil
}

// SweepToRemote builds and signs the transaction that takes this node's
// to_remote output of the peer's commitment tx to dest at feeRate: a
// P2WPKH spend with the payment basepoint key under
// option_static_remotekey, valid at once; under option_anchors the CSV-1
// P2WSH, valid from the block after tx's. signer must hold the payment
// basepoint secret the host's key manager derives again from the seed and
// s.KeyInfo.
func SweepToRemote(ctx context.Context, signer channel.Signer, s *Single, tx *btcwire.MsgTx, remotePoint *btcec.PublicKey, dest []byte, feeRate wire.SatPerKWeight) (*channel.SweepTx, error) {
	c, err := RemoteCommitment(s, tx, remotePoint)
	if err != nil {
		return nil, err
	}
	cl, err := channel.ToRemoteClaim(c)
	if err != nil {
		return nil, err
	}
	return channel.SweepClaims(ctx, signer, []channel.Claim{cl}, dest, feeRate)
}

func amount(v int64) btcutil.Amount { return btcutil.Amount(v) }
