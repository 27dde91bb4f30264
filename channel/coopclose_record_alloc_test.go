package channel

import (
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeCloseRecordBoundedAllocation: a closing record whose
// transaction declares ~800k inputs made btcd allocate ~90 MB; it must
// be refused as corrupt without that.
func TestDecodeCloseRecordBoundedAllocation(t *testing.T) {
	b, _ := hex.DecodeString("0101000000" + strings.Repeat("00", 136) + "00000009" + "02000000fee07c0c00")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeCloseRecord(b)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("err %v, want ErrCorruptRecord", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte record", got, len(b))
	}
}
