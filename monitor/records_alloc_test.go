package monitor

import (
	"encoding/hex"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeConfBoundedAllocation: a 54-byte record declaring ~800k
// inputs made btcd allocate ~90 MB before failing; it must fail cheaply.
func TestDecodeConfBoundedAllocation(t *testing.T) {
	b, _ := hex.DecodeString("01" + strings.Repeat("00", 40) + "00000009" + "02000000fee07c0c00")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeConf(b)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("decoded")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte record", got, len(b))
	}
}
