// Package keysend implements spontaneous payments as bLIP-3 specifies them:
// the payer picks the payment preimage itself, puts it in the final hop's
// onion payload as TLV record 5482373484 (keysend_preimage), and pays to
// SHA256(preimage). The payee reads the preimage from the onion and
// settles, so no invoice is needed: payout services, donations and tips.
//
// The sender side is NewPayment: it draws a fresh 32-byte preimage from an
// injectable random source, derives the payment hash, and builds the final
// hop's onion.HopPayload with the keysend record and any custom records
// (types 65536 and up, other than the keysend type). Keysend may be
// combined with multi-part payments by adding a payment_secret and
// total_msat, as later implementations do.
//
// The receiver side is Receiver.Accept: it checks that keysend is enabled,
// that the record is 32 bytes and hashes to the HTLC's payment hash, and
// the amount and CLTV rules of BOLT 4 for a final node, and returns the
// preimage and the custom records (without the preimage record). A
// rejection carries the failure to return: incorrect_or_unknown_payment_details
// (PERM|15) when keysend is disabled or the hash does not match, as bLIP-3
// recommends.
//
// Nodes advertise support with feature bits 54/55 (keysend, in the node
// announcement context), which depend on var_onion_optin (8/9).
//
// # No proof of payment
//
// With an invoice, the payee alone knows the preimage until it is paid, so
// holding the preimage proves the payment was received. With keysend the
// payer chose the preimage: it knew it before paying, so holding it proves
// nothing to a third party. A payer who needs a receipt must use an
// invoice (BOLT 11 or BOLT 12). The payer must also never reuse a
// preimage, nor use one of an invoice that was paid.
//
// This package depends only on wire and onion.
package keysend
