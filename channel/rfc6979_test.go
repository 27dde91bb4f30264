package channel

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TestNonceRFC6979MatchesBtcec compares the allocation-free nonce with
// btcec.NonceRFC6979 for random keys and hashes (including all-zero and
// all-0xff hashes, which are not reduced mod n) and for the retry path
// (extra iterations).
func TestNonceRFC6979MatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewSource(6979))
	for i := 0; i < 300; i++ {
		var priv, hash [32]byte
		rng.Read(priv[:])
		switch i {
		case 0:
		case 1:
			for j := range hash {
				hash[j] = 0xff
			}
		default:
			rng.Read(hash[:])
		}
		iters := uint32(0)
		if i%10 == 9 {
			iters = uint32(1 + rng.Intn(3))
		}
		got := nonceRFC6979(&priv, &hash, iters)
		want := btcec.NonceRFC6979(priv[:], hash[:], nil, nil, iters)
		if !got.Equals(want) {
			t.Fatalf("case %d (%d extra iterations): nonces differ", i, iters)
		}
	}
}

// TestHMACSHA256 checks the stack HMAC against crypto/hmac.
func TestHMACSHA256(t *testing.T) {
	rng := rand.New(rand.NewSource(2104))
	for n := 0; n <= 97; n++ {
		var key [32]byte
		rng.Read(key[:])
		msg := make([]byte, n)
		rng.Read(msg)
		m := hmac.New(sha256.New, key[:])
		m.Write(msg)
		if got := hmacSHA256(&key, msg); !hmac.Equal(got[:], m.Sum(nil)) {
			t.Fatalf("message of %d bytes: HMAC differs", n)
		}
	}
}
