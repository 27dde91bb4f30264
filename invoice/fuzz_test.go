package invoice

import (
	"runtime"
	"strings"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
)

// fuzzSeeds returns every spec example (valid and invalid) as seeds.
func fuzzSeeds(f *testing.F) []string {
	var seeds []string
	var valid validFile
	var invalid invalidFile
	for name, v := range map[string]any{"valid.json": &valid, "invalid.json": &invalid} {
		testutil.LoadJSON(f, name, v)
	}
	for _, e := range valid.Examples {
		seeds = append(seeds, e.Invoice)
	}
	for _, e := range invalid.Examples {
		seeds = append(seeds, e.Invoice)
	}
	return seeds
}

// FuzzDecode checks that Decode never panics, that whatever it accepts
// re-encodes to the same string (in lower case) and decodes again to the
// same invoice, and that its allocations stay proportional to the input.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	_, bench := benchInvoice(f)
	f.Add(bench)
	f.Add("lnbc1")
	f.Add("ln1qqqqqqqqqqqqqq")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 7089 {
			return // the QR-code maximum; longer strings add nothing
		}
		inv, err := Decode(s)
		if err != nil {
			if inv != nil {
				t.Fatal("invoice returned with an error")
			}
			return
		}
		out, err := inv.Text()
		if err != nil {
			t.Fatalf("accepted invoice does not re-encode: %v", err)
		}
		if out != strings.ToLower(s) {
			t.Fatalf("re-encoding differs:\n in  %s\n out %s", s, out)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded invoice rejected: %v", err)
		}
		if again.String() != out {
			t.Fatal("second round trip differs")
		}
	})
}

// allocBytes returns the bytes allocated by one call of fn.
func allocBytes(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hostileString builds a bech32 string of exactly n characters with the
// prefix hrp, data words from gen (padded with zero words), and a valid
// checksum.
func hostileString(hrp string, n int, gen func(words []byte) []byte) string {
	dataLen := n - len(hrp) - 1 - 6
	words := gen(make([]byte, 0, dataLen))
	// One unknown field fills what is left before the signature, so the
	// fields tile exactly and the decoder reaches its allocations.
	if rest := dataLen - signatureWords - len(words) - 3; rest >= 0 {
		words = append(words, 2, byte(rest>>5), byte(rest&31))
		words = append(words, make([]byte, rest)...)
	}
	for len(words) < dataLen {
		words = append(words, 0)
	}
	words = bech32AppendChecksum([]byte(hrp), words[:dataLen])
	var sb strings.Builder
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, w := range words {
		sb.WriteByte(bech32Charset[w])
	}
	return sb.String()
}

// TestHostileAllocation decodes 7089-character inputs (the QR-code maximum)
// built to make the decoder allocate as much as possible, and checks the
// allocation stays a small multiple of the input.
func TestHostileAllocation(t *testing.T) {
	const qrMax = 7089
	_, bench := benchInvoice(t)
	inv, err := Decode(bench)
	if err != nil {
		t.Fatal(err)
	}
	hop := inv.RouteHints[0][0]
	var hopBytes51 []byte
	hopBytes51 = append(hopBytes51, hop.NodeID.SerializeCompressed()...)
	hopBytes51 = append(hopBytes51, make([]byte, 18)...)

	cases := map[string]func([]byte) []byte{
		// Thousands of empty unknown fields, each kept as an extra field.
		"empty unknown fields": func(w []byte) []byte {
			w = append(w, make([]byte, timestampWords)...)
			for len(w)+3+3 <= cap(w)-signatureWords {
				w = append(w, 0, 0, 0)
			}
			return w
		},
		// Unknown fields of one word.
		"one-word unknown fields": func(w []byte) []byte {
			w = append(w, make([]byte, timestampWords)...)
			for len(w)+4+3 <= cap(w)-signatureWords {
				w = append(w, 2, 0, 1, 7)
			}
			return w
		},
		// r fields of 12 valid hops each: every hop parses a public key.
		"route hints": func(w []byte) []byte {
			w = append(w, make([]byte, timestampWords)...)
			var field []byte
			for range maxHopsPerHint {
				field = append(field, hopBytes51...)
			}
			data := appendWords(nil, field)
			for len(w)+3+len(data)+3 <= cap(w)-signatureWords {
				w = append(w, TagRouteHint, byte(len(data)>>5), byte(len(data)&31))
				w = append(w, data...)
			}
			return w
		},
		// 1-hop r fields: the most route hints.
		"one-hop route hints": func(w []byte) []byte {
			w = append(w, make([]byte, timestampWords)...)
			data := appendWords(nil, hopBytes51)
			for len(w)+3+len(data)+3 <= cap(w)-signatureWords {
				w = append(w, TagRouteHint, byte(len(data)>>5), byte(len(data)&31))
				w = append(w, data...)
			}
			return w
		},
	}
	for name, gen := range cases {
		t.Run(name, func(t *testing.T) {
			s := hostileString("lnbc", qrMax, gen)
			if len(s) != qrMax {
				t.Fatalf("built %d characters", len(s))
			}
			var derr error
			n := allocBytes(func() { _, derr = Decode(s) })
			if derr == nil {
				t.Fatal("hostile input accepted")
			}
			t.Logf("%d bytes allocated for %d characters (%.1fx): %v", n, len(s), float64(n)/float64(len(s)), derr)
			// The worst case is thousands of empty unknown fields: each
			// three characters become a 32-byte TaggedField and a layout
			// entry, about 17 bytes per input character.
			if n > 20*qrMax {
				t.Fatalf("allocated %d bytes, more than 20x the input", n)
			}
		})
	}
}

// FuzzDecodeWords fuzzes below the checksum: the input bytes become 5-bit
// data words of an invoice with a valid checksum, so that mutations reach
// the field parser and the signature check instead of failing the bech32
// checksum. Accepted invoices must re-encode identically.
func FuzzDecodeWords(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		sep := strings.LastIndexByte(s, '1')
		if sep < 1 {
			continue
		}
		lower := strings.ToLower(s)
		words := make([]byte, 0, len(s))
		for i := sep + 1; i < len(lower)-6; i++ {
			words = append(words, bech32Rev[lower[i]])
		}
		f.Add(lower[:sep], words)
	}
	f.Fuzz(func(t *testing.T, hrp string, data []byte) {
		if len(data) > 7000 || len(hrp) > 40 || len(hrp) == 0 {
			return
		}
		words := make([]byte, len(data))
		for i, b := range data {
			words[i] = b & 31
		}
		for i := 0; i < len(hrp); i++ {
			if c := hrp[i]; c < 33 || c > 126 || c == '1' || c >= 'A' && c <= 'Z' {
				return
			}
		}
		words = bech32AppendChecksum([]byte(hrp), words)
		var sb strings.Builder
		sb.WriteString(hrp)
		sb.WriteByte('1')
		for _, w := range words {
			sb.WriteByte(bech32Charset[w])
		}
		s := sb.String()
		inv, err := Decode(s)
		if err != nil {
			return
		}
		out, err := inv.Text()
		if err != nil {
			t.Fatalf("accepted invoice does not re-encode: %v", err)
		}
		if out != s {
			t.Fatalf("re-encoding differs:\n in  %s\n out %s", s, out)
		}
	})
}
