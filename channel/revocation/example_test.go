package revocation_test

import (
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel/revocation"
)

// Derive the revocation key of a commitment, as both sides do: the
// commitment holder from the counterparty's revocation basepoint and its own
// per-commitment point, and the counterparty, once the commitment is revoked,
// the matching private key from its basepoint secret and the revealed
// per-commitment secret. The inputs are those of BOLT 3 Appendix E.
func ExampleDerivePubKey() {
	baseSecretBytes, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	baseSecret, basePoint := btcec.PrivKeyFromBytes(baseSecretBytes)

	var secret revocation.Secret
	pcs, _ := hex.DecodeString("1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100")
	copy(secret[:], pcs)

	pub, err := revocation.DerivePubKey(basePoint, secret.Point())
	if err != nil {
		panic(err)
	}
	priv, err := revocation.DerivePrivKey(baseSecret, secret.PrivKey())
	if err != nil {
		panic(err)
	}
	fmt.Printf("revocationpubkey:  %x\n", pub.SerializeCompressed())
	fmt.Printf("revocationprivkey: %x\n", priv.Serialize())
	fmt.Println("matches:", priv.PubKey().IsEqual(pub))
	// Output:
	// revocationpubkey:  02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0
	// revocationprivkey: d09ffff62ddb2297ab000cc85bcb4283fdeb6aa052affbc9dddcf33b61078110
	// matches: true
}

// A node generates its per-commitment secrets from a seed; its peer stores
// them compactly as they are revealed and can look any of them up later.
func ExampleStore() {
	var seed [32]byte // use a random secret seed in practice
	producer := revocation.NewProducer(seed)

	store := revocation.NewStore()
	for n := uint64(0); n < 1000; n++ {
		secret, _ := producer.Secret(n)
		if err := store.InsertCommitment(n, secret); err != nil {
			panic(err)
		}
	}
	old, _ := store.LookupCommitment(123)
	want, _ := producer.Secret(123)
	enc, _ := store.MarshalBinary()
	fmt.Println("secret 123 recovered:", old.Equal(want))
	fmt.Println("encoded bytes:", len(enc))
	// Output:
	// secret 123 recovered: true
	// encoded bytes: 329
}
