package monitor

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfig reports a Config that lacks something the monitor
	// needs (a store, a signer, a broadcaster, a fee estimator) or holds a
	// value out of range.
	ErrInvalidConfig = errors.New("monitor: invalid configuration")

	// ErrWrongChannel reports a channel.MonitorUpdate for another channel.
	ErrWrongChannel = errors.New("monitor: update for another channel")

	// ErrInvalidUpdate reports a channel.MonitorUpdate the monitor refuses:
	// none or several of its fields set, a commitment whose transaction
	// does not match its txid or whose signatures do not verify (BOLT 2
	// commitment_signed), or a per_commitment_secret that does not match
	// the revoked commitment or the secrets before it (BOLT 3
	// "Per-commitment Secret Requirements").
	ErrInvalidUpdate = errors.New("monitor: invalid monitor update")

	// ErrStalePrepared reports a Prepared update committed after another
	// update changed the monitor: prepare it again.
	ErrStalePrepared = errors.New("monitor: prepared update is stale")

	// ErrNotRegistered is wrapped by Open when the store holds no monitor
	// for the channel.
	ErrNotRegistered = errors.New("monitor: channel not registered")

	// ErrCorruptRecord reports a record in the store that does not decode.
	ErrCorruptRecord = errors.New("monitor: corrupt record")

	// ErrNoBroadcast reports a ForceClose refused because broadcasting the
	// local commitment could lose funds: the channel reported data loss
	// (the commitment may be revoked; BOLT 2 channel_reestablish), or the
	// monitor runs justice-only (a copy elsewhere whose commitment may be
	// stale).
	ErrNoBroadcast = errors.New("monitor: the local commitment must not be broadcast")

	// ErrNoCommitment reports a ForceClose before any local commitment was
	// given to the monitor.
	ErrNoCommitment = errors.New("monitor: no local commitment")

	// ErrChainMismatch is returned by BlockConnected and BlockDisconnected
	// for a block that does not follow the last one the monitor processed:
	// a gap in heights, a parent hash that differs from the monitor's tip,
	// or a disconnection below the tip. The host must deliver blocks in
	// chain order (chain.Listener).
	ErrChainMismatch = errors.New("monitor: block does not follow the monitor's tip")
)

// corrupt wraps ErrCorruptRecord with the key and the cause.
func corrupt(key string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrCorruptRecord, key, err)
}
