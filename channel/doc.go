// Package channel builds, signs and verifies the transactions of a Lightning
// payment channel: commitment transactions with their HTLC transactions,
// closing transactions, and the sweeps that claim a channel's outputs on
// chain. The BOLT 2 state machine that decides when to build them is a
// later layer; this package is pure and holds no state.
//
// # Spec coverage
//
// BOLT 3 (lightning/bolts a3772650):
//   - "Commitment Transaction" and "Commitment Transaction Construction":
//     obscured commitment number, trimming, base fee paid by the opener,
//     to_local/to_remote, offered/received HTLC outputs, BIP 69 ordering
//     with the cltv_expiry tie-break (BuildCommitment);
//   - option_anchors (option_anchors_zero_fee_htlc_tx): two 330 sat anchor
//     outputs paid by the opener, each present when its owner has an
//     output or any HTLC is untrimmed; CSV-1 to_remote; zero-fee HTLC
//     transactions signed SIGHASH_SINGLE|ANYONECANPAY by the peer;
//   - "Key Derivation" for one commitment (DeriveCommitmentKeys);
//   - "HTLC-Timeout and HTLC-Success Transactions", through package htlc;
//   - "Legacy Closing Transaction" (closing_signed) and "Closing
//     Transaction" of option_simple_close (closing_complete/closing_sig,
//     its three variants) (NewLegacyClosingTx, NewSimpleClosingTx);
//   - every spend of a commitment output this node may need: the justice
//     transaction of a revoked commitment, the to_local and second-stage
//     sweeps after to_self_delay, and HTLC claims from the peer's
//     commitment with the preimage or after the timeout.
//
// BOLT 2: the signatures of commitment_signed (SignCommitment, in the order
// of the HTLC outputs) and their verification (VerifyCommitSigs), and the
// closing signatures (SignFundingSpend, VerifyFundingSpend).
//
// Scripts, weights and witnesses come from package script, revocation keys
// from channel/revocation and HTLC transactions from package htlc.
//
// # Views
//
// A State holds balances and HTLCs from this node's point of view. The same
// State builds this node's commitment (LocalCommitment) and the peer's
// (RemoteCommitment); in a Commitment, "local" and "remote" are relative to
// the commitment's Owner, as BOLT 3 names them.
//
// # Signing
//
// All signatures go through the one-method Signer interface, which receives
// the whole transaction, the spent script and value and how the key is
// derived, so that a hardware or remote signer can check what it signs.
// MemorySigner is the in-memory default; it signs with RFC 6979
// deterministic nonces, so the BOLT 3 vectors reproduce. SignCommitment and
// VerifyCommitSigs work on up to GOMAXPROCS goroutines, which they start and
// wait for; the result does not depend on their number.
//
// Only option_static_remotekey and option_anchors commitments are built:
// every other format is obsolete.
package channel
