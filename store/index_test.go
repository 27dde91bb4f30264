package store

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestIndexAgainstMap drives the skip list and a map with the same random
// operations and compares them, including every prefix listing.
func TestIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := newIndex()
	m := map[string][]byte{}
	alphabet := []byte{0, 1, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff}
	key := func() string {
		k := make([]byte, 1+rng.IntN(3))
		for i := range k {
			k[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(k)
	}
	for i := 0; i < 20000; i++ {
		k := key()
		if rng.IntN(3) == 0 {
			x.delete(k)
			delete(m, k)
		} else {
			v := make([]byte, rng.IntN(5))
			x.put(k, v)
			m[k] = v
		}
		if i%1000 == 999 {
			sorted := slices.Sorted(maps.Keys(m))
			if got := x.list(""); !slices.Equal(got, sorted) {
				t.Fatalf("list: %q, want %q", got, sorted)
			}
			for _, p := range []string{"a", "\xff", "\x00", "a\xff", "b\x80"} {
				var want []string
				for _, k := range sorted {
					if strings.HasPrefix(k, p) {
						want = append(want, k)
					}
				}
				if got := x.list(p); len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
					t.Fatalf("list(%q): %q, want %q", p, got, want)
				}
			}
			var bytes int64
			for k, v := range m {
				bytes += int64(len(k) + len(v))
				if got, ok := x.get(k); !ok || len(got) != len(v) {
					t.Fatalf("get(%q)", k)
				}
			}
			if x.n != len(m) || x.bytes != bytes {
				t.Fatalf("n %d bytes %d, want %d and %d", x.n, x.bytes, len(m), bytes)
			}
		}
	}
}
