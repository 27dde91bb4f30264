// Package fastcrypto holds the small cryptographic building blocks that
// several lnkit packages need in their hot paths, each written once:
//
//   - HMAC-SHA256 (RFC 2104) without allocating: HMACSHA256, and HMACKey for
//     a key used many times or a caller that streams the inner hash itself
//     (onion's attribution data saves the inner state of a shared prefix).
//     Used by BOLT 4 key generation, packet and failure HMACs and route
//     blinding (package onion) and BOLT 8's HKDF (package peer).
//   - BOLT 3 and BOLT 4 tweaks: SHA256 of two byte strings (Hash2), as a
//     scalar mod n (HashToScalar), and ScalarFromHash.
//   - Point encoding without allocating: Compress, CompressPubKey and
//     HashPoint (SHA256 of the compressed point, the ECDH of BOLT 4 and
//     BOLT 8), and ParsePoint and ParsePubKey for 33-byte compressed points.
//   - BatchToAffine: Jacobian to affine coordinates for many points with
//     one field inversion (Montgomery's trick), which key derivation
//     (packages script, channel), the multiplication tables of
//     internal/ecmult and the BOLT 8 handshake use.
//
// Every function is pure, allocation-free on its fast path, safe for
// concurrent use, and built on the standard library's SHA-256 and btcec/v2's
// exported field, scalar and point types; like internal/ecmult it writes no
// field or curve arithmetic of its own. Point and scalar functions run in
// variable time, like btcec's NonConst operations; HMACSHA256 takes time
// that depends only on the lengths of its inputs.
//
// Layering: fastcrypto imports only btcec/v2 and the standard library and
// sits below every lnkit package, wire included. Being internal it is no
// part of lnkit's API, so the rule that wire imports nothing of lnkit, and
// that invoice, onion and peer import only wire, still holds for the
// public API.
package fastcrypto
