// Package wtclient is a watchtower client that speaks the protocol of
// lnd's watchtower server (lnd's watchtower/wtwire, watchtower/blob,
// watchtower/wtpolicy and watchtower/wtclient), so that an lnd node run
// with --watchtower.active can watch lnkit channels. For every revoked
// commitment of a peer it hands a tower an encrypted justice kit: what the
// tower needs to build, if the commitment ever confirms, a justice
// transaction that sweeps the cheater's to_local output and this node's
// to_remote output back to this node, signed in advance by this node.
//
// # Protocol
//
// The tower is reached over BOLT 8 (package peer's Noise_XK transport,
// Initiate and Transport) with no BOLT 1 init or ping: each frame carries
// one watchtower message, a 2-byte type followed by its fields.
//
//	600 Init                features (u16 length, bytes), chain_hash
//	601 Error               code u16, data (CompactSize length)
//	602 CreateSession       blob_type u16, max_updates u16, reward_base u32,
//	                        reward_rate u32, sweep_fee_rate u64 (sat/kw)
//	603 CreateSessionReply  code u16, last_applied u16, data
//	604 StateUpdate         seqnum u16, last_applied u16, is_complete u8,
//	                        hint [16], encrypted_blob (CompactSize length)
//	605 StateUpdateReply    code u16, last_applied u16
//	606 DeleteSession       (empty)
//	607 DeleteSessionReply  code u16
//
// Variable-length fields use Bitcoin's CompactSize, as btcd's
// WriteVarBytes does. Codes: 0 ok, 40 temporary failure, 50 permanent
// failure, 60 to 64 for CreateSession, 70 to 72 for StateUpdate, 80 for
// DeleteSession. Init feature bits (their own vector): 0/1 altruist
// sessions, 2/3 anchor channels, 4/5 taproot channels.
//
// A session belongs to one key: the client connects with a static key of
// the session's own (SessionKeys), which is the tower's session id. To
// negotiate, the client sends Init (altruist sessions required, and anchor
// channels required for an anchor session), reads the tower's Init (same
// chain, no unknown required bit), sends CreateSession and reads the
// reply. To upload, it connects with the session's key again, exchanges
// Init (altruist sessions only, as lnd's session queue does) and streams
// StateUpdates, each answered by a StateUpdateReply, the last one flagged
// is_complete. Sequence numbers run from 1 to max_updates; every update
// echoes the last sequence number the tower acknowledged. The tower
// accepts the next number, or the last one again (so an update whose
// acknowledgement was lost is sent again as it was), and refuses anything
// else.
//
// # Justice kits
//
// Blob types 2 (altruist commit: option_static_remotekey) and 6
// (altruist anchor commit: option_anchors) are supported. A kit is 274
// bytes (see JusticeKit): the sweep script, the revocation and delayed
// keys, the cheater's to_self_delay, the to_local signature and, when
// this node has an output, its to_remote key and signature. It is
// encrypted with XChaCha20-Poly1305 under SHA256(txid || txid) of the
// revoked commitment, with a random 24-byte nonce in front: 314 bytes.
// The tower finds it by the hint SHA256(txid)[:16].
//
// The signatures are over the transaction lnd's tower rebuilds
// (watchtower/lookout/justice_descriptor.go): version 2, locktime 0, the
// to_local input with sequence 0 and the to_remote input with sequence 0,
// or 1 under option_anchors, one output to the sweep script worth the
// inputs less SweepFeeRate times lnd's weight estimate (JusticeWeight),
// inputs and outputs in BIP 69 order, every input SIGHASH_ALL. HTLC
// outputs are not swept: lnd's tower does not sweep them. A revoked
// commitment without a to_local output is not sent (lnd's tower builds no
// justice transaction for it), nor one whose sweep would be dust.
//
// # State
//
// Everything goes through the host's store.Store (see records.go for the
// layout): towers, registered channels, the peer's unrevoked commitments
// (from MonitorUpdate.Remote), revoked states waiting for a session
// (after MonitorUpdate.Revocation), sessions, and updates committed to a
// session but not yet acknowledged. An update is committed, with its
// sequence number, before it is first sent, and deleted when the tower's
// StateUpdateReply acknowledges it, so a restarted client sends exactly
// the same bytes again.
package wtclient
