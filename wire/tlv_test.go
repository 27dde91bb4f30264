package wire

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestTruncatedIntegers(t *testing.T) {
	for _, c := range []struct {
		v   uint64
		hex string
	}{{0, ""}, {1, "01"}, {255, "ff"}, {256, "0100"}, {1 << 32, "0100000000"}, {^uint64(0), "ffffffffffffffff"}} {
		enc := AppendTruncated(nil, c.v)
		require.Equal(t, c.hex, hex.EncodeToString(enc))
		got, err := DecodeTruncated(enc, 8)
		require.NoError(t, err)
		require.Equal(t, c.v, got)
	}
	_, err := DecodeTruncated([]byte{0, 1}, 8)
	require.ErrorIs(t, err, ErrNonMinimalTruncated)
	_, err = DecodeTruncated([]byte{1, 0, 0}, 2)
	require.ErrorIs(t, err, ErrNonMinimalTruncated, "tu16 with 3 bytes")
	_, err = DecodeTruncated([]byte{1, 0, 0, 0, 0}, 4)
	require.ErrorIs(t, err, ErrNonMinimalTruncated, "tu32 with 5 bytes")
}

func TestTLVWriterMergesExtra(t *testing.T) {
	extra := ExtraTLVs{{Type: 1, Value: []byte{0xaa}}, {Type: 7, Value: nil}, {Type: 301, Value: []byte{1, 2}}}
	w := NewTLVWriter([]byte{0xee}, extra)
	w.Bytes(2, []byte{0xbb})
	w.Truncated(4, 0x0102)
	w.Func(300, func(b []byte) []byte { return append(b, bytes.Repeat([]byte{9}, 300)...) })
	out, err := w.Finish()
	require.NoError(t, err)
	want := "ee" + "0101aa" + "0201bb" + "04020102" + "0700" + "fd012cfd012c" + hex.EncodeToString(bytes.Repeat([]byte{9}, 300)) + "fd012d020102"
	require.Equal(t, want, hex.EncodeToString(out))

	// A known record that repeats an extra record's type is refused.
	w = NewTLVWriter(nil, ExtraTLVs{{Type: 3}})
	w.Bytes(3, nil)
	_, err = w.Finish()
	require.ErrorIs(t, err, ErrTLVOrder)

	// Known records out of order are refused.
	w = NewTLVWriter(nil, nil)
	w.Bytes(5, nil)
	w.Bytes(4, nil)
	_, err = w.Finish()
	require.ErrorIs(t, err, ErrTLVOrder)

	// Unsorted extras are refused.
	_, err = AppendTLVStream(nil, []TLVRecord{{Type: 9}, {Type: 3}})
	require.ErrorIs(t, err, ErrTLVOrder)
}

func TestExtraTLVsParity(t *testing.T) {
	var e ExtraTLVs
	require.ErrorIs(t, e.Keep(2, nil), ErrUnknownEvenTLV)
	require.NoError(t, e.Keep(3, []byte{1}))
	require.Equal(t, ExtraTLVs{{Type: 3, Value: []byte{1}}}, e)
}

// FuzzBigSize checks decode/encode agreement of BigSize.
func FuzzBigSize(f *testing.F) {
	for _, s := range []string{"00", "fc", "fd00fd", "fdffff", "fe00010000", "ff0000000100000000", "fd00fc", "fd"} {
		f.Add(testutil.MustHex(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := DecodeBigSize(b)
		if err != nil {
			return
		}
		if enc := AppendBigSize(nil, v); !bytes.Equal(enc, b[:n]) {
			t.Fatalf("%x decoded to %d but encodes as %x", b[:n], v, enc)
		}
	})
}

// FuzzTLVStream decodes arbitrary streams in the two test namespaces of
// BOLT 1 Appendix B and checks that whatever is accepted re-encodes to the
// same bytes.
func FuzzTLVStream(f *testing.F) {
	for _, s := range []string{"", "01012a", "0108000000000000002a", "02080000000000000226",
		"0331023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002",
		"fd00fe02002a", "0100", "1f000f012a", "0a0a", "ff0100000000000002"} {
		f.Add(testutil.MustHex(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s1 n1Stream
		if s1.decode(b) == nil {
			out, err := s1.encode()
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("n1: %x re-encodes as %x (%v)", b, out, err)
			}
		}
		var s2 n2Stream
		if s2.decode(b) == nil {
			out, err := s2.encode()
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("n2: %x re-encodes as %x (%v)", b, out, err)
			}
		}
		recs, err := DecodeTLVStream(b)
		if err == nil {
			out, err := AppendTLVStream(nil, recs)
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("raw: %x re-encodes as %x (%v)", b, out, err)
			}
		}
	})
}
