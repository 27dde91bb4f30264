// Package script builds the Bitcoin scripts of BOLT 3 ("Bitcoin
// Transaction and Script Formats") and the witnesses that spend them, and
// holds the BOLT 3 arithmetic that commitment construction needs.
//
// It implements, from BOLT 3 at commit
// a3772650d8ebc06acf457fcadf97968ebfc4dfff:
//
//   - "Funding Transaction Output": FundingScript, FundingOutput,
//     FundingWitness (keys sorted by their compressed encoding).
//   - "to_local Output" (also the HTLC-success/HTLC-timeout output):
//     ToLocalScript, ToLocalDelayedWitness, ToLocalRevokeWitness.
//   - "to_remote Output": ToRemoteScript (P2WPKH under
//     option_static_remotekey, `<remotepubkey> OP_CHECKSIGVERIFY 1
//     OP_CHECKSEQUENCEVERIFY` under option_anchors), ToRemoteAnchorsWitness,
//     P2WPKHWitness.
//   - "to_local_anchor and to_remote_anchor Output": AnchorScript,
//     AnchorWitness, AnchorSweepWitness.
//   - "Offered HTLC Outputs" and "Received HTLC Outputs", legacy and
//     option_anchors forms: OfferedHTLCScript, ReceivedHTLCScript and a
//     witness builder for every spend path (revocation, remote success,
//     remote timeout, and the 2-of-2 branch of the second-stage
//     HTLC-timeout and HTLC-success transactions).
//   - "Key Derivation" for localpubkey, local_htlcpubkey,
//     remote_htlcpubkey, local_delayedpubkey and remote_delayedpubkey:
//     TweakPubKey (one base-point multiplication and one point addition)
//     and TweakPrivKey; remotepubkey under option_static_remotekey is the
//     untweaked payment basepoint (ToRemoteKey). Revocation keys live in
//     package channel/revocation.
//   - "Fees", "Trimmed Outputs", "Dust Limits" and "Appendix A: Expected
//     Weights": weights, fees, HTLC trimming and dust thresholds.
//   - "Transaction Input and Output Ordering": BIP 69 with the HTLC
//     cltv_expiry tie-break (SortOutputs).
//   - "Commitment Transaction": the obscured commitment number in locktime
//     and sequence, and its inverse.
//
// ParseWitnessScript recognises every template above and returns its
// parameters, which a chain watcher needs to classify what it sees.
//
// Signatures passed to the witness builders are DER encodings followed by
// the sighash byte (see Sig). Every spend path is checked in the tests by
// btcd's script engine; package scripttest holds the small harness used
// for that, which other packages reuse.
//
// The package is pure: it starts no goroutines and keeps no state, so all
// functions are safe for concurrent use.
package script
