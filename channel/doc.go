// Package channel builds, signs and verifies the transactions of a Lightning
// payment channel: commitment transactions with their HTLC transactions,
// closing transactions, and the sweeps and fee bumps that claim a
// channel's outputs on chain. Its functions hold no state and do no I/O,
// but two of them start goroutines: SignCommitment and VerifyCommitSigs
// spread the signatures of a commitment_signed over up to GOMAXPROCS
// goroutines, which they wait for before returning (the result does not
// depend on their number; with GOMAXPROCS=1 they run on the caller's
// goroutine alone). A Signer that must not be called concurrently, such as
// a hardware signer, goes in a SerialSigner: SignCommitment then signs on
// the calling goroutine, one request at a time, and starts none.
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
//   - every spend of a commitment output this node may need, as a Claim
//     (an output and its spend path) that SweepClaims spends in any
//     combination, to one output at a fee rate, reporting weight and fee:
//     the revocation paths of the peer's revoked commitment
//     (RevokedClaims) and of its HTLC transactions, found by script at
//     any output index, also when batched (RevokedSecondLevelClaims);
//     this node's to_local and HTLC transaction outputs after
//     to_self_delay (ToLocalClaim, SecondLevelClaims); its to_remote
//     output of the peer's commitment, CSV 1 under anchors
//     (ToRemoteClaim); HTLC claims from the peer's commitment with the
//     preimage or after the timeout (RemoteHTLCClaim); anchors with the
//     funding key or by anyone after 16 blocks (AnchorClaim,
//     AnchorSweepClaim). UnspentClaims drops claims another transaction
//     spent, so a monitor can claim what is left;
//   - fee bumping with the host wallet's coins, which the wallet signs
//     itself (WalletFunding, WalletFundedTx): child-pays-for-parent of a
//     commitment through this node's anchor (AnchorCPFPTx), and the
//     zero-fee HTLC transactions of option_anchors, with fee inputs and a
//     change output added and the peer's SIGHASH_SINGLE|ANYONECANPAY
//     signature kept (BumpHTLCTx).
//
// BOLT 2: the signatures of commitment_signed (SignCommitment, in the order
// of the HTLC outputs) and their verification (VerifyCommitSigs); the
// closing signatures (SignFundingSpend, VerifyFundingSpend), with
// VerifyLegacyClose accepting a closing_signed for either variant its
// sender may choose (with its own output or without); update_add_htlc's
// cltv_expiry below 500000000, checked when a commitment is built
// (ErrHTLCExpiry).
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
// deterministic nonces, so the BOLT 3 vectors reproduce. Signers are called
// from several goroutines at once by SignCommitment unless wrapped in a
// SerialSigner. The sweep and fee-bump builders check each signature the
// Signer returns against the key the script expects.
//
// Only option_static_remotekey and option_anchors commitments are built:
// every other format is obsolete.
package channel
