package keysend_test

import (
	"bytes"
	"fmt"

	"github.com/lnkit/lnkit/keysend"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Example builds a keysend payment's final hop payload and validates it as
// the payee would.
func Example() {
	// A fixed preimage source for a reproducible example; use nil
	// (crypto/rand) in real code.
	pay, err := keysend.NewPayment(keysend.Params{
		Amount:        21_000,
		FinalCLTV:     800_040,
		CustomRecords: []wire.TLVRecord{{Type: 34349334, Value: []byte("gm")}},
		Rand:          bytes.NewReader(bytes.Repeat([]byte{0xab}, 32)),
	})
	if err != nil {
		panic(err)
	}
	payload, _ := pay.Payload.Encode() // goes into the onion for the payee

	// At the payee, after peeling the onion:
	decoded, _ := onion.DecodeHopPayload(payload)
	// 34349334 is the even "message" record some wallets use.
	r := &keysend.Receiver{Enabled: true, MinFinalCLTVExpiryDelta: 18, KnownRecords: []uint64{34349334}}
	got, err := r.Accept(decoded, keysend.HTLC{PaymentHash: pay.Hash, Amount: 21_000, CLTVExpiry: 800_040, BlockHeight: 800_000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("payment hash %x...\n", pay.Hash[:4])
	fmt.Printf("preimage matches: %v\n", got.Preimage == pay.Preimage)
	fmt.Printf("message: %s\n", got.CustomRecords[0].Value)

	// The same payment at a node with keysend disabled.
	_, err = (&keysend.Receiver{}).Accept(decoded, keysend.HTLC{PaymentHash: pay.Hash, Amount: 21_000, CLTVExpiry: 800_040, BlockHeight: 800_000})
	fmt.Println(err)
	// Output:
	// payment hash 9a2db2e2...
	// preimage matches: true
	// message: gm
	// keysend: keysend not enabled (incorrect_or_unknown_payment_details)
}
