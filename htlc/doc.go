// Package htlc holds the HTLC model of a channel and builds the second-stage
// HTLC transactions of BOLT 3 (lightning/bolts 03-transactions.md,
// "HTLC-Timeout and HTLC-Success Transactions" and "Fee Calculation"):
//
//   - PaymentHash and Preimage, aliases of package wire's types (SHA256,
//     constant-time matching, a preimage that never prints);
//   - HTLC, one HTLC as a commitment sees it: id, direction (offered or
//     received from the commitment holder's view), amount in millisatoshis,
//     cltv_expiry and payment hash;
//   - NewTimeoutTx and NewSuccessTx, which spend an HTLC output of a
//     commitment transaction into the to_local-shaped output (revocation key,
//     or to_self_delay plus local_delayedpubkey), for both channel types:
//     option_static_remotekey (fee from the feerate and the expected weight,
//     input sequence 0, SIGHASH_ALL) and option_anchors_zero_fee_htlc_tx (no
//     fee, input sequence 1, the counterparty signs with
//     SIGHASH_SINGLE|SIGHASH_ANYONECANPAY);
//   - SignatureHash, TimeoutWitness and SuccessWitness to sign and complete
//     them.
//
// Scripts come from package script. The package is pure: no goroutines, no
// I/O, and randomness only in NewPreimage, from an injectable reader.
package htlc
