// Package peer connects Lightning nodes: the BOLT 8 encrypted and
// authenticated transport over any net.Conn, and the BOLT 1 connection on
// top of it.
//
// # Transport (BOLT 8)
//
// Initiate and Respond run the Noise_XK_secp256k1_ChaChaPoly_SHA256
// handshake ("Authenticated Key Exchange Handshake Specification", acts one
// to three) on a connection the host opened: TCP, Tor, an in-memory pipe.
// Each way a handshake can fail is a distinct sentinel (ErrActOneBadVersion,
// ErrActTwoBadTag, ErrActThreeBadPubKey, ...) named after the error strings
// of the BOLT 8 Appendix A vectors, and a failed handshake always closes the
// connection. The whole handshake runs under a deadline taken from the
// context (or HandshakeConfig.Timeout), so a peer that stalls mid-act
// cannot hold a goroutine.
//
// The node's static key is used only through wire.NodeKey (its public key
// and one ECDH), the interface package onion takes as well, so one HSM or
// remote signer can keep the key for both; wire.NewPrivateNodeKey is the
// in-memory default. Ephemeral keys come from HandshakeConfig.Rand (default
// crypto/rand).
//
// The resulting Transport frames messages as BOLT 8 "Lightning Message
// Specification" says: a 2-byte length sealed with its own MAC, then the
// sealed message, at most 65535 bytes, with 96-bit nonces of 32 zero bits
// and a 64-bit little-endian counter, and each direction's key rotated on
// its own every 1000 nonces ("Lightning Message Key Rotation"). Frames are
// sealed and opened in place in buffers the Transport keeps, so a session
// in steady state allocates nothing per message. WriteMessage and
// ReadMessage carry whole wire.Message values.
//
// # Connection (BOLT 1)
//
// Connect (outbound, on a host-opened conn), Dial (which also opens the
// TCP connection) and AcceptConn (inbound) return a Peer once the
// handshake and the init exchange are done ("The init Message"): both
// sides send init, the peer's must arrive first and within
// Config.InitTimeout, and its globalfeatures and features are combined and
// checked with the BOLT 9 rules of package wire. A peer that requires a
// feature we do not know or do not offer, or lacks a dependency, or whose
// networks share no chain with ours, is refused with a clear error and a
// warning message before the close (BOLT 1 only requires the close).
// Features reports what both sides negotiated.
//
// A Peer answers ping with a pong of num_pong_bytes zeros, ignores pings
// asking for 65532 bytes or more, and fails a peer that pings more than
// Config.PingRateLimit times per 30 seconds ("The ping and pong
// Messages"). It pings the peer every Config.PingInterval and fails the
// connection if no pong comes within Config.PingTimeout; Ping measures a
// round trip on demand. Received error and warning messages become Events
// ("The error and warning Messages"). An unknown even message type closes
// the connection; unknown odd types reach the host as *wire.UnknownMessage.
//
// Every other message goes to the Mailbox of the channel its channel_id (or
// temporary_channel_id) names, if the host subscribed one, or else to the
// host's mailbox (Receive). Mailboxes, the event queue and the send queue
// are bounded by Config.QueueSize: a consumer that falls behind stops the
// reader, and TCP flow control slows the remote node, so memory does not
// grow. Send is safe from any number of goroutines and keeps each
// goroutine's messages in order. Close is idempotent and waits for the
// peer's goroutines.
//
// Listener accepts inbound connections on a net.Listener the host
// supplies, handshakes each in its own goroutine (at most
// DefaultMaxPendingHandshakes at once) and hands out the peers that
// complete init; one connection's failure does not affect another.
//
// Logs go to Config.Logger (nil discards them).
package peer
