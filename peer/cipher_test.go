package peer

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestHKDF2MatchesStdlib checks the allocation-free hkdf2 and hmacSHA256
// against crypto/hkdf and crypto/hmac on random keys and every input
// length they are used with (and the rest up to the 64-byte limit).
func TestHKDF2MatchesStdlib(t *testing.T) {
	rnd := rand.New(rand.NewChaCha8([32]byte{7}))
	for n := 0; n <= sha256BlockSize; n++ {
		var ck [32]byte
		for i := range ck {
			ck[i] = byte(rnd.Uint32())
		}
		ikm := make([]byte, n)
		for i := range ikm {
			ikm[i] = byte(rnd.Uint32())
		}

		m := hmac.New(sha256.New, ck[:])
		m.Write(ikm)
		if got := hmacSHA256(&ck, ikm); !hmac.Equal(got[:], m.Sum(nil)) {
			t.Fatalf("hmacSHA256 with a %d-byte message differs from crypto/hmac", n)
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

func TestHMACSHA256RejectsLongMessage(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a 65-byte message did not panic")
		}
	}()
	var k [32]byte
	hmacSHA256(&k, make([]byte, sha256BlockSize+1))
}
