package peer

import (
	"crypto/hkdf"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestHKDF2MatchesStdlib checks the allocation-free hkdf2 against
// crypto/hkdf on random keys and every input length up to 130 bytes (BOLT 8
// uses 0 and 32).
func TestHKDF2MatchesStdlib(t *testing.T) {
	rnd := rand.New(rand.NewChaCha8([32]byte{7}))
	for n := 0; n <= 130; n++ {
		var ck [32]byte
		for i := range ck {
			ck[i] = byte(rnd.Uint32())
		}
		ikm := make([]byte, n)
		for i := range ikm {
			ikm[i] = byte(rnd.Uint32())
		}

		want, err := hkdf.Key(sha256.New, ikm, ck[:], "", 64)
		if err != nil {
			t.Fatal(err)
		}
		a, b := hkdf2(&ck, ikm)
		if string(a[:]) != string(want[:32]) || string(b[:]) != string(want[32:]) {
			t.Fatalf("hkdf2 with a %d-byte ikm differs from crypto/hkdf", n)
		}
	}
}
