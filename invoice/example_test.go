package invoice_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/invoice"
)

// Decode an invoice from the BOLT 11 examples and read its fields.
func ExampleDecode() {
	inv, err := invoice.Decode("lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("network:", inv.Network.Name)
	fmt.Println("amount:", *inv.Amount)
	fmt.Println("description:", *inv.Description)
	fmt.Println("payee:", hex.EncodeToString(inv.Destination.SerializeCompressed()))
	fmt.Println("expires:", inv.ExpiresAt().UTC().Format(time.RFC3339))
	fmt.Println("min_final_cltv_expiry_delta:", inv.MinFinalCLTVExpiryDelta())
	fmt.Println("features:", inv.Features)

	_, err = invoice.Decode("lnbc2500x1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpusp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgqrrzc4cvfue4zp3hggxp47ag7xnrlr8vgcmkjxk3j5jqethnumgkpqp23z9jclu3v0a7e0aruz366e9wqdykw6dxhdzcjjhldxq0w6wgqcnu43j")
	fmt.Println(err)
	// Output:
	// network: mainnet
	// amount: 250000000 msat
	// description: 1 cup coffee
	// payee: 03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad
	// expires: 2017-06-01T10:58:38Z
	// min_final_cltv_expiry_delta: 18
	// features: [var_onion_optin(8) payment_secret(14)]
	// invoice: invalid amount: unknown multiplier: 'x' is not m, u, n or p
}

// Build and sign an invoice. The key here is the BOLT 11 examples' key; an
// HSM would implement invoice.Signer instead of using KeySigner.
func ExampleBuilder() {
	keyBytes, _ := hex.DecodeString("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734")
	key, _ := btcec.PrivKeyFromBytes(keyBytes)
	var hash, secret [32]byte
	copy(hash[:], []byte("0123456789abcdef0123456789abcdef"))
	copy(secret[:], []byte("fedcba9876543210fedcba9876543210"))

	inv, err := invoice.NewBuilder(&chaincfg.TestNet3Params).
		PaymentHash(hash).
		PaymentSecret(secret).
		Amount(2_500_000).
		Description("coffee").
		Timestamp(time.Unix(1_700_000_000, 0)).
		Expiry(10*time.Minute).
		Build(context.Background(), invoice.NewKeySigner(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := inv.String()
	fmt.Println(s[:12])

	back, err := invoice.Decode(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*back.Amount, *back.Description, back.ExpiryDuration(), back.MinFinalCLTVExpiryDelta())
	fmt.Println(back.Destination.IsEqual(key.PubKey()))
	// Output:
	// lntb25u1pj48
	// 2500000 msat coffee 10m0s 18
	// true
}
