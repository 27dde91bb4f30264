// Package monitor watches the chain for a Lightning channel and resolves
// its outputs when the channel closes, as BOLT 5 "Recommendations for
// On-chain Transaction Handling" prescribes: one Monitor per channel, in
// the shape of LDK's ChannelMonitor, that can run in the node's process or
// in another one (a second device, a watchtower) from the same updates.
//
// # Updates
//
// The channel Machine emits *channel.MonitorUpdate actions: its latest
// local commitment with the peer's signatures, every remote commitment it
// signs, every per_commitment_secret the peer reveals, every preimage.
// Apply checks each (a local commitment must rebuild to its txid and carry
// valid signatures), writes it as a delta under the monitor's own keys
// (see KeyPrefix for the record layout) and returns once it is durable,
// so the host calls it before it sends what the update covers. Prepare
// and Commit split Apply in two for a host that writes the monitor's
// records in the same atomic batch as the channel's *channel.Persist.
// Updates are idempotent: a host that replays them after a crash does no
// harm.
//
// # The chain
//
// A Monitor is a chain.Listener. Every block it records the transactions
// that spend a channel output (the funding output, the confirmed
// commitment's outputs, the outputs of HTLC transactions), works out from
// them and the height what is still to be claimed, broadcasts it, and
// writes the new tip, what changed and the events in one batch. What it
// claims is a function of those confirmed transactions, so a
// reorganisation (BlockDisconnected) simply drops the transactions of the
// block: claims whose inputs are no longer confirmed stop, and a
// commitment that replaces the one that confirmed is handled from the
// next block on. After a restart (Open) the host replays blocks from
// SyncedTo.
//
// The funding spend is one of:
//
//   - a closing transaction (CloseCooperative): nothing to claim;
//   - this node's commitment (CloseLocal), after ForceClose or when the
//     monitor itself broadcast it at an HTLC deadline: to_local is swept
//     after to_self_delay; the HTLC-success transaction of every HTLC the
//     peer offered whose preimage is known is broadcast at once, the
//     HTLC-timeout transaction of every HTLC this node offered once the tip
//     reaches its cltv_expiry, under option_anchors with fee inputs from
//     the wallet (channel.BumpHTLCTx); their outputs are swept after
//     to_self_delay (channel.SecondLevelClaims);
//   - the peer's current or pending commitment (CloseRemote): to_remote
//     is swept (at once under option_static_remotekey, after one block
//     under option_anchors), HTLCs this node offered are claimed back
//     after their cltv_expiry, HTLCs the peer offered are claimed with
//     their preimage before it (channel.RemoteHTLCClaim);
//   - a revoked commitment of the peer (CloseRevoked): every output is
//     claimed through the revocation key (channel.RevokedClaims), what is
//     left of it whenever the cheater spends some first
//     (channel.UnspentClaims), and the outputs of each HTLC transaction
//     the cheater publishes, batched or not
//     (channel.RevokedSecondLevelClaims);
//   - a commitment of the peer the monitor has no record of (CloseUnknown,
//     after data loss): its to_remote output is found by script and swept.
//
// Preimages read from the chain (the peer's HTLC-success transaction, its
// claim of an HTLC output of this node's commitment, the cheater's
// HTLC-success) are reported as PreimageLearned, so that the incoming HTLC
// can be settled upstream; HTLCs this node offered that time out on chain
// are reported Failed once the timeout is Policy.ResolveDepth deep.
//
// # Deadlines and fees
//
// The channel Machine fails the channel at the deadlines of BOLT 2
// "cltv_expiry_delta Selection" and the host force-closes; the monitor
// also broadcasts the local commitment itself, one block (OfferedGrace)
// or a few (FulfillDeadline) later, for a host that did not. It never
// broadcasts the local commitment after MarkDataLoss, nor in
// ModeJusticeOnly.
//
// Each claim's fee rate comes from the chain.FeeEstimator for the blocks
// left to its deadline (an HTLC's cltv_expiry for a preimage claim, its
// cltv_expiry plus Policy.TimeoutDeadline for a timeout, the cheater's
// to_self_delay for justice). Under option_anchors the local commitment
// gets a child through this node's anchor (channel.AnchorCPFPTx) when its
// own fee rate is below what its deadline needs, and sweeps, HTLC
// transactions and the child are replaced at higher rates (BIP 125) when
// they stay unconfirmed close to their deadline. Every claim is broadcast
// again every block until it confirms. A justice transaction is split
// into one transaction per output when the chain refuses it for a
// conflict it cannot outbid (a pin), or when it is still unconfirmed
// Policy.SecurityDelay blocks before its deadline (BOLT 5's
// security_delay). Claims pay the sweep script the host gives at
// registration.
//
// # Events and crash safety
//
// Events (ChannelClosed, PreimageLearned, HTLCResolved, FundsSwept,
// ClaimsResolved, Alert) are written with the state change that produced
// them and stay until AckEvent. Everything the monitor needs after a
// restart is in the store; a crash at any write loses at most the block
// being processed, which the host delivers again.
//
// The package imports channel, chain, store, script, htlc and wire. It
// starts no goroutines.
package monitor
