package channel

import "errors"

// Errors of the state machine. Local commands that cannot be carried out
// return one of these (wrapped with detail) and change nothing; a peer's
// violation returns an error wrapping ErrProtocolViolation and fails the
// channel.
var (
	// ErrProtocolViolation reports that the peer broke a BOLT 2 rule; the
	// channel is failed.
	ErrProtocolViolation = errors.New("channel: peer violated the protocol")

	// ErrDataLoss reports that channel_reestablish proved this node's
	// state is older than the peer's: its commitment is revoked and must
	// not be broadcast (BOLT 2 option_data_loss_protect).
	ErrDataLoss = errors.New("channel: local state is out of date (data loss)")

	// ErrDeadline reports an HTLC that was not resolved off chain in time
	// (BOLT 2 "cltv_expiry_delta Selection"); the channel is failed so
	// that it is resolved on chain.
	ErrDeadline = errors.New("channel: HTLC deadline reached")

	// ErrChannelFailed reports a command given to a failed channel.
	ErrChannelFailed = errors.New("channel: channel has failed")

	// ErrDisconnected reports a command that needs the peer while the
	// channel is disconnected or reestablishing.
	ErrDisconnected = errors.New("channel: peer not connected")

	// ErrInsufficientBalance reports an HTLC or fee the offerer cannot
	// pay while keeping its channel reserve (BOLT 2).
	ErrInsufficientBalance = errors.New("channel: insufficient balance")

	// ErrHTLCLimit reports an HTLC over one of the receiver's limits:
	// htlc_minimum_msat, max_accepted_htlcs or
	// max_htlc_value_in_flight_msat, or this node's dust exposure limit.
	ErrHTLCLimit = errors.New("channel: HTLC over a channel limit")

	// ErrUnknownHTLC reports a fulfill or fail of an HTLC that is not
	// irrevocably committed, or already being removed.
	ErrUnknownHTLC = errors.New("channel: no such committed HTLC")

	// ErrWrongPreimage reports a preimage that does not hash to the
	// HTLC's payment hash.
	ErrWrongPreimage = errors.New("channel: preimage does not match the payment hash")

	// ErrNothingToSign reports a commitment_signed asked for with no
	// update to cover (BOLT 2 forbids an empty one).
	ErrNothingToSign = errors.New("channel: no updates to sign")

	// ErrAwaitingRevocation reports a commitment_signed asked for while
	// the previous one awaits the peer's revoke_and_ack; the Machine signs
	// as soon as it arrives.
	ErrAwaitingRevocation = errors.New("channel: awaiting revoke_and_ack")

	// ErrShuttingDown reports an HTLC offered after shutdown.
	ErrShuttingDown = errors.New("channel: shutting down")

	// ErrQuiescing reports an update proposed while the channel is
	// quiescent or becoming so (BOLT 2 "Channel Quiescence").
	ErrQuiescing = errors.New("channel: quiescent")

	// ErrNotOpener reports update_fee from the side that does not pay
	// the commitment fee.
	ErrNotOpener = errors.New("channel: only the opener sends update_fee")

	// ErrInvalidFeeRate reports a fee rate outside the accepted bounds.
	ErrInvalidFeeRate = errors.New("channel: fee rate out of bounds")

	// ErrNotReady reports an HTLC offered before both sides sent
	// channel_ready.
	ErrNotReady = errors.New("channel: channel_ready not exchanged yet")

	// ErrCorruptRecord reports a stored channel record that cannot be
	// decoded.
	ErrCorruptRecord = errors.New("channel: corrupt stored record")
)
