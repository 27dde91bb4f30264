package channel

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// checkSignBatch signs a batch and requires ecdsa.Sign's signature for
// every item.
func checkSignBatch(t *testing.T, keys []*btcec.PrivateKey, digests [][32]byte) {
	t.Helper()
	out := make([]wire.Signature, len(keys))
	signBatch(keys, digests, out)
	for i := range keys {
		want := wire.NewSignature(ecdsa.Sign(keys[i], digests[i][:]))
		if out[i] != want {
			t.Fatalf("batch of %d, item %d: %x, ecdsa.Sign %x", len(keys), i, out[i], want)
		}
	}
}

// TestSignBatchMatchesECDSASign checks batches of many sizes, with
// distinct, repeated and edge-case keys and digests, against ecdsa.Sign.
func TestSignBatchMatchesECDSASign(t *testing.T) {
	rng := rand.New(rand.NewSource(6979))
	var nMinus1 btcec.ModNScalar
	nMinus1.SetInt(1).Negate()
	edgeKeys := []*btcec.PrivateKey{
		btcec.PrivKeyFromScalar(new(btcec.ModNScalar).SetInt(1)),
		btcec.PrivKeyFromScalar(&nMinus1),
	}
	for _, n := range []int{0, 1, 2, 3, 7, 17, 64, 101} {
		for round := 0; round < 3; round++ {
			keys := make([]*btcec.PrivateKey, n)
			digests := make([][32]byte, n)
			for i := range keys {
				switch {
				case round == 1 && i > 0: // one key for the whole batch
					keys[i] = keys[0]
				case i < len(edgeKeys) && round == 2:
					keys[i] = edgeKeys[i]
				default:
					keys[i] = scripttest.Key(fmt.Sprintf("batch %d %d %d", n, round, i))
				}
				switch {
				case round == 2 && i == 0: // all-zero digest
				case round == 2 && i == 1: // digest at or above n
					for j := range digests[i] {
						digests[i][j] = 0xff
					}
				case round == 1 && i%5 == 4: // a repeated digest
					digests[i] = digests[i-1]
				default:
					rng.Read(digests[i][:])
				}
			}
			checkSignBatch(t, keys, digests)
		}
	}
}

// TestSignBatchFallback sends some items through the ecdsa.Sign fallback
// (taken when r or s would be zero) and requires the same signatures, the
// others' shared inversions being unaffected.
func TestSignBatchFallback(t *testing.T) {
	defer func() { forceSignFallback = nil }()
	rng := rand.New(rand.NewSource(62))
	for _, pattern := range []func(i int) bool{
		func(i int) bool { return i == 0 },
		func(i int) bool { return i%3 == 1 },
		func(int) bool { return true },
	} {
		forceSignFallback = pattern
		keys := make([]*btcec.PrivateKey, 10)
		digests := make([][32]byte, 10)
		for i := range keys {
			keys[i] = scripttest.Key(fmt.Sprintf("fallback %d", i))
			rng.Read(digests[i][:])
		}
		checkSignBatch(t, keys, digests)
	}
}
