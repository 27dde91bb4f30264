// Package ecmult multiplies secp256k1 points by scalars faster than
// calling btcec's ScalarMultNonConst once per product, in variable time
// (see "Timing" below), for the two places where lnkit spends most of its
// curve time:
//
//   - BOLT 3 revocationpubkey ("revocationpubkey Derivation") is a sum of two
//     products on different points, a·P + b·Q. MultiplyTwo computes it as one
//     multi-scalar multiplication sharing a single chain of doublings, at
//     close to the cost of one variable-base multiplication.
//   - BOLT 4 onion peeling ("Shared Secret", "Blinding Ephemeral Keys")
//     multiplies the incoming ephemeral key E first by the node key (the
//     ECDH) and then by a blinding factor hashed from that result. The second
//     scalar is only known after the first product, so the two cannot be
//     merged; instead a Table of E's multiples is built once and its Mul
//     method is called twice.
//
// Both use the same technique. A scalar k is split with the secp256k1
// endomorphism φ(x, y) = (β·x, y) = λ·(x, y) into k = k1 + k2·λ (mod n), with
// k1 and k2 of about 128 bits ([GECC] section 3.5), so that k·P = k1·P +
// k2·φ(P). Each half is recoded in width-5 non-adjacent form and all halves
// are added into one accumulator with one doubling per bit (Straus'
// interleaving). A Table holds the odd multiples P, 3P, ..., 15P of its
// point, brought to affine form with a single field inversion so that every
// addition of the main loop is a mixed addition, together with their
// negations and their images under φ (one field multiplication each).
//
// The package builds only on btcec/v2's exported JacobianPoint, FieldVal and
// ModNScalar operations (AddNonConst, DoubleNonConst, FieldVal.Mul/Inverse,
// ModNScalar arithmetic); it writes no field or curve arithmetic of its own.
// The only integer arithmetic here is the 256×256-bit product that rounds the
// lattice coefficients of the scalar split.
//
// # Timing
//
// Everything here runs in variable time, like btcec's NonConst functions:
// the number of additions follows the nonzero digits of the scalar's wNAF
// recoding, the table entry read at each step is chosen by a digit, and
// the additions branch on their inputs. Time and memory access patterns
// therefore depend on the scalar. The package is not limited to public
// scalars, and this is a decision, not an oversight: onion peeling
// (package onion, with a *wire.PrivateNodeKey) multiplies by the node's
// long-term secret key, as every ECDH with an in-memory key in lnkit does
// through btcec's ScalarMultNonConst, and as lnd's in-memory ECDH does
// (btcec's GenerateSharedSecret is ScalarMultNonConst). The exposure is
// to an attacker who can time many multiplications precisely, or share
// the machine's caches; btcec/v2 offers no constant-time variable-base
// multiplication to fall back on. A host for which that is unacceptable
// keeps the key behind its own wire.NodeKey (an HSM, or a constant-time
// implementation), which package onion cannot see into and so never
// hands to this package. The revocation-key product of BOLT 3 multiplies
// public points by hashes of public points, which are public.
//
// Layering: ecmult imports only btcec/v2, the standard library and
// internal/fastcrypto (a leaf of the same kind, whose BatchToAffine brings
// the tables to affine form), and sits below every lnkit package. Being
// internal, it is no part of lnkit's public API, so onion still depends on
// nothing of lnkit's public API but wire.
//
// [GECC]: Hankerson, Menezes, Vanstone, "Guide to Elliptic Curve
// Cryptography", Springer 2004.
package ecmult
