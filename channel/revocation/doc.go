// Package revocation implements the revocation machinery of a Lightning
// channel, following BOLT 3 (lightning/bolts 03-transactions.md):
//
//   - revocationpubkey and revocationprivkey derivation ("Key Derivation":
//     "revocationpubkey Derivation"), with the public key computed as one
//     two-term multi-scalar multiplication (TwoTermMultiply): DerivePubKey,
//     or DerivePoint for a caller that batches the affine conversion;
//   - per-commitment secrets generated from a seed with the shachain
//     generate_from_seed construction and 48-bit indexes counting down from
//     2^48-1, and the per-commitment points derived from them ("Per-commitment
//     Secret Requirements"): see Producer;
//   - the compact storage of the counterparty's revealed secrets in at most 49
//     slots, with insert_secret's consistency check and derive_old_secret
//     ("Efficient Per-commitment Secret Storage"): see Store, which encodes
//     itself for persistence.
//
// The package is pure: it starts no goroutines and does no I/O. Curve
// arithmetic comes from btcec/v2; TwoTermMultiply is built from its exported
// point operations (plus one field multiplication per table entry to apply
// the curve endomorphism) and writes no field arithmetic of its own.
//
// Indexes: commitment number n uses shachain index 2^48-1-n
// (IndexForCommitment). Producer and Store offer methods in both terms.
package revocation
