// Package onion implements BOLT 4 onion routing: Sphinx packets for
// payments and onion messages, hop payloads, returned failures, and route
// blinding.
//
// # Sender
//
// NewPacket builds the 1366-byte onion for a route of Hops (BOLT 4 "Packet
// Construction", "Filler Generation"): each hop gets a variable-length TLV
// payload (HopPayload.Encode), the packet commits to associated data (the
// payment hash), and the session key comes from an injectable io.Reader.
// Per hop it costs one ECDH and one base-point multiplication: the
// ephemeral key is blinded in the scalar field. It returns the
// SharedSecrets, which the sender keeps: SharedSecrets.DecryptFailure later
// decrypts a returned failure with HMACs and ChaCha20 only.
//
// # Hop
//
// Processor.Process peels one layer (BOLT 4 "Packet Forwarding"): it
// checks the version, the ephemeral key and the HMAC, asks a ReplayChecker
// whether the packet was seen, and returns the hop's payload, the next
// packet, whether the hop is final, and the shared secret. A rejection is
// a *ProcessError with the failure code BOLT 4 prescribes
// (invalid_onion_version, invalid_onion_hmac, invalid_onion_key with
// SHA256 of the onion for update_fail_malformed_htlc, invalid_onion_payload,
// or invalid_onion_blinding inside a blinded route).
//
// Replay detection is on unless the host turns it off: NewProcessor with
// a nil ReplayChecker keeps a bounded in-memory log (MemoryReplayLog of
// DefaultReplayLogSize entries, forgetting the oldest when full, and lost
// on restart); a host passes its own persistent ReplayChecker, or
// NoReplayCheck{} when it detects replays itself.
//
// The node key is a wire.NodeKey, the interface package peer takes as
// well: its public key and one ECDH, so an HSM can hold the key. With the
// in-memory wire.PrivateNodeKey, the Processor shares one precomputed
// table of the ephemeral point between the ECDH and the blinding of the
// next ephemeral key (internal/ecmult). That multiplication by the node's
// long-term secret runs in variable time, as btcec's ScalarMultNonConst
// (which lnd's in-memory ECDH uses) does: its timing and memory accesses
// depend on the key, which an attacker able to time many peels precisely
// could exploit. lnkit accepts this for in-memory keys, since btcec offers
// no constant-time alternative; a host that does not keeps its key behind
// its own wire.NodeKey, which the Processor only calls through the
// interface.
//
// Everything after the HMAC check parses bytes the sender chose (anyone
// can build a packet whose HMAC verifies), so lengths there are checked
// without wrap-around; an onion message whose onionmsg_payloads are
// shorter than MinMessagePayloadsSize is refused with
// ErrHopPayloadsTooShort. The fuzz targets compute valid HMACs over their
// input so that they reach this parsing.
//
// DecodeHopPayload and HopPayload.Validate apply the "payload format"
// rules for forwarding and final hops, inside and outside blinded routes;
// HopPayload.CheckFinalHTLC applies the final node's amount and CLTV
// checks.
//
// # Failures
//
// FailureMessage encodes and decodes every failure code of BOLT 4 "Failure
// Messages" with its data, including the channel_update of the UPDATE
// codes. NewFailure builds the failure at the erring node, padded to 256
// bytes; ObfuscateFailure adds each hop's layer on the way back;
// SharedSecrets.DecryptFailure finds the failing hop at the origin, or
// reports ErrFailureGarbled when no hop's HMAC matches.
//
// Attributable failures and hold times (BOLT 4 "Returning Errors" with
// attribution_data, and "Hold times for successful payments") fill the
// attribution_data TLV of update_fail_htlc and update_fulfill_htlc
// (wire.AttributionData): each hop reports its hold time in 100 ms units
// and commits to the packet, the hold times and the downstream HMACs with
// 4-byte HMACs for each distance it might be from the route's end.
// NewAttributedFailure starts it at the erring node,
// ObfuscateAttributedFailure adds a forwarding hop's entry and layer, and
// AddFulfillAttribution does the same for fulfills. At the origin,
// SharedSecrets.DecryptAttributedFailure and VerifyFulfillAttribution
// check each hop's HMAC with the stored secrets (no ECDH) and return the
// hold times and the first hop whose HMAC fails, so a garbled failure is
// pinned on a pair of adjacent hops. The lightning/bolts commit of the
// other vectors (a3772650) predates attribution data: the text and vectors
// followed are those of the attributable-failures proposal (stored as
// yyforyongyu/bolts c39ed697), in testdata/attribution-test.json.
//
// # Route blinding and onion messages
//
// BuildBlindedPath blinds a route for a recipient (BOLT 4 "Route
// Blinding"); senders put its encrypted data into HopPayloads addressed to
// the blinded node ids. Hops pass ProcessOptions.PathKey, decrypt their
// EncryptedData with DecryptRecipientData, and ForwardBlinded derives the
// forwarded amount and expiry. NewMessagePacket and
// Processor.ProcessMessage build and peel onion messages (BOLT 4 "Onion
// Messages"), which always use blinded paths.
//
// The package depends only on wire (and btcec, x/crypto). It starts no
// goroutines; Processor and MemoryReplayLog are safe for concurrent use.
package onion
