package peer

import "errors"

// Handshake errors (BOLT 8, "Authenticated Key Exchange Handshake
// Specification"). Each act's failure modes are distinct sentinels, named
// after the error strings of the BOLT 8 Appendix A test vectors. A failed
// handshake always closes the connection; the returned error wraps one of
// these and, for read failures, the underlying I/O or context error.
var (
	// ErrActOneReadFailed means the responder could not read the 50 bytes
	// of act one (ACT1_READ_FAILED): the connection closed or the
	// handshake deadline passed.
	ErrActOneReadFailed = errors.New("peer: bolt8 act one: read failed")
	// ErrActOneBadVersion means act one's version byte was not 0
	// (ACT1_BAD_VERSION).
	ErrActOneBadVersion = errors.New("peer: bolt8 act one: unknown handshake version")
	// ErrActOneBadPubKey means act one's ephemeral key is not a valid
	// compressed secp256k1 point (ACT1_BAD_PUBKEY).
	ErrActOneBadPubKey = errors.New("peer: bolt8 act one: invalid ephemeral public key")
	// ErrActOneBadTag means act one's MAC did not verify (ACT1_BAD_TAG):
	// the initiator does not know our static key.
	ErrActOneBadTag = errors.New("peer: bolt8 act one: MAC check failed")

	// ErrActTwoReadFailed means the initiator could not read the 50 bytes
	// of act two (ACT2_READ_FAILED).
	ErrActTwoReadFailed = errors.New("peer: bolt8 act two: read failed")
	// ErrActTwoBadVersion means act two's version byte was not 0
	// (ACT2_BAD_VERSION).
	ErrActTwoBadVersion = errors.New("peer: bolt8 act two: unknown handshake version")
	// ErrActTwoBadPubKey means act two's ephemeral key is not a valid
	// compressed secp256k1 point (ACT2_BAD_PUBKEY).
	ErrActTwoBadPubKey = errors.New("peer: bolt8 act two: invalid ephemeral public key")
	// ErrActTwoBadTag means act two's MAC did not verify (ACT2_BAD_TAG).
	ErrActTwoBadTag = errors.New("peer: bolt8 act two: MAC check failed")

	// ErrActThreeReadFailed means the responder could not read the 66
	// bytes of act three (ACT3_READ_FAILED).
	ErrActThreeReadFailed = errors.New("peer: bolt8 act three: read failed")
	// ErrActThreeBadVersion means act three's version byte was not 0
	// (ACT3_BAD_VERSION).
	ErrActThreeBadVersion = errors.New("peer: bolt8 act three: unknown handshake version")
	// ErrActThreeBadCiphertext means the encrypted static key of act
	// three did not decrypt (ACT3_BAD_CIPHERTEXT).
	ErrActThreeBadCiphertext = errors.New("peer: bolt8 act three: static key ciphertext MAC check failed")
	// ErrActThreeBadPubKey means the initiator's decrypted static key is
	// not a valid compressed secp256k1 point (ACT3_BAD_PUBKEY).
	ErrActThreeBadPubKey = errors.New("peer: bolt8 act three: invalid static public key")
	// ErrActThreeBadTag means act three's final MAC did not verify
	// (ACT3_BAD_TAG).
	ErrActThreeBadTag = errors.New("peer: bolt8 act three: MAC check failed")

	// ErrActWriteFailed means sending one of our acts failed.
	ErrActWriteFailed = errors.New("peer: bolt8 handshake: write failed")
	// ErrNoNodeKey means the configuration has no node key, or one whose
	// PubKey is nil.
	ErrNoNodeKey = errors.New("peer: no node key configured")
	// ErrNoRemoteKey means an outbound handshake was started without the
	// responder's static public key, which Noise_XK needs in advance.
	ErrNoRemoteKey = errors.New("peer: remote node key required")
	// ErrECDH means the node key's ECDH (wire.NodeKey) failed.
	ErrECDH = errors.New("peer: node key ECDH failed")
)

// Transport (framing) errors (BOLT 8, "Lightning Message Specification").
// A read error other than a clean io.EOF between frames closes the
// connection, since the nonces can no longer be trusted.
var (
	// ErrLengthMAC means the 18-byte encrypted length prefix did not
	// authenticate.
	ErrLengthMAC = errors.New("peer: bolt8 frame: length MAC check failed")
	// ErrBodyMAC means a message body did not authenticate.
	ErrBodyMAC = errors.New("peer: bolt8 frame: message MAC check failed")
	// ErrFrameTruncated means the connection ended in the middle of a
	// frame.
	ErrFrameTruncated = errors.New("peer: bolt8 frame: truncated")
	// ErrMessageTooLarge means a message to send exceeds the 65535 byte
	// limit of BOLT 8. Nothing is sent and the transport stays usable.
	ErrMessageTooLarge = errors.New("peer: bolt8 frame: message exceeds 65535 bytes")
	// ErrTransportClosed means the transport was closed locally.
	ErrTransportClosed = errors.New("peer: transport closed")
)
