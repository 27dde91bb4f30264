package onion

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// TestPeelTable checks the peel's use of one table for two products: the
// shared secret and the next ephemeral key computed from the table of E are
// those of two independent btcec multiplications. The multiplication itself
// is tested against btcec in internal/ecmult.
func TestPeelTable(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{5})
	for i := 0; i < 50; i++ {
		var kb, eb [32]byte
		rng.Read(kb[:])
		rng.Read(eb[:])
		node, _ := btcec.PrivKeyFromBytes(kb[:])
		_, eph := btcec.PrivKeyFromBytes(eb[:])
		ephC := [33]byte(eph.SerializeCompressed())

		var e btcec.JacobianPoint
		if !fastcrypto.ParsePoint(ephC[:], &e) {
			t.Fatal("ParsePoint rejected a valid key")
		}
		var tab pointTable
		tab.init(&e)
		var r btcec.JacobianPoint
		tab.mul(&node.Key, &r)
		var c [33]byte
		compressInto(&r, &c)
		ss := sha256.Sum256(c[:])
		b := blindingFactor(&ephC, &ss)
		tab.mul(&b, &r)
		compressInto(&r, &c)

		if want := sharedSecret(&node.Key, eph); ss != want {
			t.Fatalf("case %d: shared secret from the table differs", i)
		}
		if want := mulPoint(&b, eph); c != want {
			t.Fatalf("case %d: next ephemeral key from the table differs", i)
		}
	}
}
