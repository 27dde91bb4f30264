package invoice

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
)

// fuzzSeeds returns every spec example (valid and invalid) as seeds.
func fuzzSeeds(f *testing.F) []string {
	var seeds []string
	var valid validFile
	var invalid invalidFile
	for name, v := range map[string]any{"valid.json": &valid, "invalid.json": &invalid} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			f.Fatal(err)
		}
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
