// Package backup makes static channel backups and recovers funds from
// them: the backup of every channel a node needs after it lost all its
// state, made once per channel, not per update.
//
// A Single holds one channel: the peer's node id and addresses, the
// funding outpoint and amount, the channel type, who opened it, both
// parties' basepoints, to_self_delays and dust limits, and KeyInfo, an
// opaque field where the host's key manager records how it derived this
// node's channel keys from the seed. A Multi holds many.
//
// # Format
//
// A backup is encrypted with a key derived from the node seed,
// HKDF-SHA256(seed, no salt, "lnkit static channel backup v1")
// (DeriveKey), and laid out as:
//
//	magic       4  "LNKB"
//	version     1  1
//	kind        1  1 Single, 2 Multi
//	nonce      24  random
//	ciphertext  n  XChaCha20-Poly1305 of the plaintext, with magic,
//	               version and kind as associated data; 16-byte tag
//
// The plaintext of a Multi is a 2-byte channel count, then each Single
// with a 2-byte length in front; the plaintext of a Single is its fields
// in a fixed order (Single.Encode gives the table). Integers are
// big-endian. Every count and length is checked against the bytes left
// before anything is allocated for it. A backup made under another key, or
// with any bit changed, fails with ErrDecrypt.
//
// # Peer storage
//
// PeerStorage wraps an encrypted Multi in BOLT 1's peer_storage message
// (at most 65531 bytes of blob) for a peer offering
// option_provide_storage; FromPeerStorage opens the blob the peer returns
// in peer_storage_retrieval on reconnection.
//
// # Recovery
//
// A node restored from its seed and a backup does not know the channel's
// state. For each channel it sends Reestablish's channel_reestablish
// (next_commitment_number and next_revocation_number 0, a zero
// your_last_per_commitment_secret: BOLT 2 option_data_loss_protect, as
// lnd's static backup recovery does), upon which the peer fails the
// channel and broadcasts its latest commitment. Once that commitment
// confirms, SweepToRemote claims this node's to_remote output with its
// payment basepoint key (option_static_remotekey: P2WPKH; option_anchors:
// after one confirmation), using the per-commitment point the peer sent in
// its own channel_reestablish (which option_static_remotekey does not even
// need). HTLCs in flight at the loss are not recovered.
package backup
