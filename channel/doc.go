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
// # State machine
//
// Machine is the BOLT 2 normal-operation state machine of one channel, and
// Funding (channel establishment) and CoopClose (the closing negotiation)
// are the ones before and after it. All three are pure cores: each method
// takes one input and returns the Actions the host must perform, in
// order, and performs none itself. No clock, no I/O, no goroutine of their
// own (the signing and verification of a commitment_signed may use the
// short-lived workers described above, or none with a SerialSigner).
//
// Inputs of a Machine: a peer message (ReceiveMessage: update_add_htlc,
// update_fulfill_htlc, update_fail_htlc, update_fail_malformed_htlc,
// commitment_signed, revoke_and_ack, update_fee, channel_reestablish,
// channel_ready, shutdown, stfu, error), a local command (AddHTLC,
// FulfillHTLC, FailHTLC, FailMalformedHTLC, SignCommitment, UpdateFee,
// Shutdown, Quiesce, Fail, Disconnected, Reconnected) or the chain
// (BlockHeight, FundingConfirmed, FundingUnconfirmed).
//
// Actions: *Persist (records to write), *MonitorUpdate (what an on-chain
// watcher needs: every commitment of both sides, every revocation secret,
// every preimage), *Send, HTLC events (*HTLCLockedIn for an incoming HTLC
// that is irrevocably committed; *HTLCSettled and *HTLCFailed for the
// outcome of an offered one, kept until AckResolution so that a crash
// cannot lose them), *ChannelFailed (broadcast the latest commitment, or,
// after proven data loss, do not), *Quiescent, *Disconnect.
//
// The persistence rule: a *Persist, and a *MonitorUpdate, must be durable
// before the host performs any later action. The Machine orders its output
// so that every write comes before every message that depends on it; a
// host may gather the writes of many steps into one batch as long as it
// releases nothing before that batch is durable. The records are deltas:
// a small head record rewritten per step (bounded by the updates pending,
// not by the channel), one record per HTLC written once, the peer's
// signatures of the latest commitment, and one 32-byte slot per revoked
// secret. RestoreMachine rebuilds a channel from them; what the peer sent
// that no commitment_signed covered is not stored, since BOLT 2 has the
// peer retransmit it after channel_reestablish.
//
// A peer's violation of BOLT 2 fails the channel: the actions send the
// error BOLT 2 prescribes and end with *ChannelFailed, and the Machine
// signs nothing afterwards. channel_reestablish retransmits the exact
// commitment_signed and revoke_and_ack that were lost, in their original
// order, then proposes again this node's updates that no commitment_signed
// covered and signs them itself (a host's SignCommitment for them may have
// failed on the disconnection), and detects with option_data_loss_protect
// a peer that proves this node lost state (ErrDataLoss: never broadcast
// the local commitment).
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
