package postgres

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lnkit/lnkit/store"
)

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		prefix  string
		end     string
		bounded bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xff\xff", "", false},
		{"a\x00", "a\x01", true},
		{"\xfe\xff", "\xff", true},
	} {
		end, ok := prefixEnd(c.prefix)
		if ok != c.bounded || (ok && string(end) != c.end) {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", c.prefix, end, ok, c.end, c.bounded)
		}
		// Every key with the prefix is below end, and end itself is not
		// a key with the prefix.
		if ok {
			for _, suffix := range []string{"", "\x00", "\xff", "\xff\xff\xff"} {
				if k := c.prefix + suffix; bytes.Compare([]byte(k), end) >= 0 {
					t.Errorf("prefixEnd(%q) = %q is not above %q", c.prefix, end, k)
				}
			}
			if strings.HasPrefix(string(end), c.prefix) {
				t.Errorf("prefixEnd(%q) = %q has the prefix", c.prefix, end)
			}
		}
	}
}

func TestCollapse(t *testing.T) {
	var b store.Batch
	b.Put("b", []byte("1"))
	b.Delete("a")
	b.Put("a", nil)
	b.Put("c", []byte("3"))
	b.Delete("c")
	b.Put("b", []byte("2"))
	keys, vals, dels := collapse(b.Ops())
	if len(keys) != 2 || string(keys[0]) != "a" || string(keys[1]) != "b" ||
		vals[0] == nil || len(vals[0]) != 0 || string(vals[1]) != "2" ||
		len(dels) != 1 || string(dels[0]) != "c" {
		t.Fatalf("collapse = %q %q %q", keys, vals, dels)
	}
}
