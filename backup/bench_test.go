package backup_test

import (
	"math/rand"
	"testing"

	"github.com/lnkit/lnkit/backup"
)

// Opening a backup of 100 channels: the XChaCha20-Poly1305 open is cheap
// next to parsing 1,100 public keys (a square root each).
func BenchmarkDecryptMulti100(b *testing.B) {
	r := rand.New(rand.NewSource(8))
	m := &backup.Multi{}
	for i := 0; i < 100; i++ {
		m.Singles = append(m.Singles, randomSingle(r, i))
	}
	key := testKey(b, "bench")
	ct, err := backup.EncryptMulti(key, m, r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(ct)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := backup.DecryptMulti(key, ct); err != nil {
			b.Fatal(err)
		}
	}
}
