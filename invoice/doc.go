// Package invoice encodes, signs, decodes and verifies BOLT 11 payment
// requests ("Invoice Protocol for Lightning Payments", lightning/bolts
// 11-payment-encoding.md at a3772650).
//
// It implements every section of BOLT 11: the bech32 encoding without the
// 90-character limit (upper case accepted, mixed case rejected), the
// human-readable part with its currency prefixes (bc, tb, tbs, bcrt, sb),
// amounts and multipliers (including the rule that a p amount ends in 0),
// the timestamp, all tagged fields (p, s, d, m, n, h, x, c, f, r, 9), the
// reader's rules for skipping and failing, feature bits in the invoice
// context of BOLT 9, and the signature with its recovery id.
//
// Decode parses and verifies a string; the Invoice it returns has typed
// fields (wire.MilliSatoshi, time.Time, time.Duration, btcutil addresses,
// wire.FeatureVector, route hints) and re-encodes to exactly the string it
// came from, including fields it skipped and the layout choices of the
// writer. Builder fills, validates and signs a new invoice through a Signer,
// a two-method interface an HSM can implement; KeySigner signs with a key in
// memory. Every failure wraps a sentinel error (ErrInvalidChecksum,
// ErrUnknownRequiredFeature, ErrHighS, ...) that names the broken rule.
//
// Where the prose of BOLT 11 and its examples disagree, the examples win:
//
//   - fields a reader must skip are skipped (and kept) even where later
//     drafts say to fail;
//   - a high-S signature without an n field is accepted by recovering with
//     s replaced by n-s and the recovery id as written, which is what the
//     example "Public-key recovery with high-S signature" requires, while
//     with an n field it is rejected (ErrHighS);
//   - a payment secret (s field) is required of every invoice.
//
// Decode is also strict where BOLT 11 leaves room and exactness needs it: the
// padding of a field must be fewer than five zero bits, an amount has no
// leading zero, and a field's value must fit its Go type (64 bits for c, a
// time.Duration for x).
//
// The package imports only the wire package of lnkit (and internal/fastcrypto,
// an internal leaf, for allocation-free key parsing), btcec/v2 and btcutil.
// Decoding a typical invoice costs one public-key recovery, one parse per
// route-hint key and a SHA256, and makes 15 allocations, 13 of them inside
// btcec's recovery.
package invoice
