// Package wire encodes and decodes the Lightning Network's peer messages.
//
// It implements:
//
//   - BOLT 1: the message format (a 2-byte type, a payload and an optional
//     TLV extension), the fundamental types (u16/u32/u64, the truncated
//     tu16/tu32/tu64, the signed s8–s64, BigSize, point, signature,
//     short_channel_id), TLV streams with all of their rules, and the init,
//     error, warning, ping, pong, peer_storage and peer_storage_retrieval
//     messages;
//   - BOLT 2: every channel establishment (v1 and v2), interactive
//     transaction, splicing, quiescence, normal operation, close and
//     reestablish message;
//   - BOLT 4: onion_message;
//   - BOLT 7: every gossip and gossip-query message, including zlib-encoded
//     short channel id lists and the digests that gossip signatures cover;
//   - BOLT 9: feature vectors, the table of known features with their
//     contexts and dependencies, and the checks a receiver applies.
//
// # Decoding and encoding
//
// DecodeMessage takes one whole message (BOLT 8 delivers messages whole) and
// returns a typed Message; AppendMessage appends one to a buffer. Decoding
// never keeps a reference to its input and never allocates more than the
// input can justify: every length prefix is checked against the bytes left
// before anything is allocated. Encoding into a buffer with spare capacity
// does not allocate.
//
// Every message keeps the unknown odd records of its TLV extension in an
// Extra field and writes them back in type order, so decoding then encoding
// reproduces the input exactly; signatures over gossip therefore verify
// after a round trip. A message of unknown type comes back as an
// *UnknownMessage: if its type is odd the error is nil and the caller may
// ignore it; if even the error wraps ErrUnknownEvenMessage and BOLT 1
// requires the caller to close the connection.
//
// Errors are *MessageError values naming the message type and wrapping a
// sentinel (ErrTruncated, ErrTLVOrder, ErrUnknownEvenTLV, ErrInvalidPoint,
// ...), so callers can test for them with errors.Is and errors.As.
//
// # Building blocks for other packages
//
// Reader, TLVReader, TLVWriter and the Append helpers are exported for the
// packages that parse TLV streams of their own, such as onion hop payloads.
// Amounts are typed: MilliSatoshi, SatPerKWeight, and btcutil.Amount for
// on-chain satoshis. PaymentHash and Preimage are the payment hash and
// preimage of every package (update_add_htlc, update_fulfill_htlc,
// invoices, keysend, HTLC scripts); a Preimage never prints.
//
// Unlike btcd's wire.Message, Message has no per-type maximum payload
// length: any Lightning message may carry a TLV extension, so the only
// bound is the transport's 65535 bytes, which DecodeMessage and
// AppendMessage enforce.
//
// The package imports nothing else of lnkit's API and starts no
// goroutines; its one lnkit import is internal/fastcrypto, an internal leaf
// that imports only btcec and the standard library, for the ECDH hash of
// PrivateNodeKey. Its
// functions are safe for concurrent use; a message value is not.
package wire
