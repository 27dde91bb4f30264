package wire

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/stretchr/testify/require"
)

// TestBigSizeVectors runs BOLT 1 Appendix A.
func TestBigSizeVectors(t *testing.T) {
	var f struct {
		Decoding []struct {
			Name     string      `json:"name"`
			Value    json.Number `json:"value"`
			Bytes    string      `json:"bytes"`
			ExpError string      `json:"exp_error"`
		} `json:"decoding"`
		Encoding []struct {
			Name  string      `json:"name"`
			Value json.Number `json:"value"`
			Bytes string      `json:"bytes"`
		} `json:"encoding"`
	}
	testutil.LoadJSON(t, "bolt01/bigsize.json", &f)
	require.Len(t, f.Decoding, 18)
	require.Len(t, f.Encoding, 8)
	for _, v := range f.Decoding {
		in := testutil.Hex(t, v.Bytes)
		got, n, err := DecodeBigSize(in)
		switch v.ExpError {
		case "":
			require.NoError(t, err, v.Name)
			want, perr := strconv.ParseUint(v.Value.String(), 10, 64)
			require.NoError(t, perr)
			require.Equal(t, want, got, v.Name)
			require.Equal(t, len(in), n, v.Name)
		case "decoded bigsize is not canonical":
			require.ErrorIs(t, err, ErrNonCanonicalBigSize, v.Name)
		case "EOF", "unexpected EOF":
			require.ErrorIs(t, err, ErrTruncated, v.Name)
		default:
			t.Fatalf("%s: unexpected error class %q", v.Name, v.ExpError)
		}
	}
	for _, v := range f.Encoding {
		val, err := strconv.ParseUint(v.Value.String(), 10, 64)
		require.NoError(t, err)
		require.Equal(t, v.Bytes, hex.EncodeToString(AppendBigSize(nil, val)), v.Name)
		require.Equal(t, len(v.Bytes)/2, BigSizeLen(val), v.Name)
	}
}

// TestSignedIntegerVectors runs BOLT 1 Appendix D. Each value uses the
// smallest of s8/s16/s32/s64 that holds it, which is how the spec lists it.
func TestSignedIntegerVectors(t *testing.T) {
	var f struct {
		Vectors []struct {
			Value json.Number `json:"value"`
			Bytes string      `json:"bytes"`
		} `json:"vectors"`
	}
	testutil.LoadJSON(t, "bolt01/signed_integers.json", &f)
	require.NotEmpty(t, f.Vectors)
	for _, v := range f.Vectors {
		val, err := strconv.ParseInt(v.Value.String(), 10, 64)
		require.NoError(t, err)
		want := testutil.Hex(t, v.Bytes)
		var enc []byte
		r := NewReader(want)
		var dec int64
		switch len(want) {
		case 1:
			enc, dec = AppendS8(nil, int8(val)), int64(r.S8("v"))
		case 2:
			enc, dec = AppendS16(nil, int16(val)), int64(r.S16("v"))
		case 4:
			enc, dec = AppendS32(nil, int32(val)), int64(r.S32("v"))
		case 8:
			enc, dec = AppendS64(nil, val), r.S64("v")
		default:
			t.Fatalf("bad vector length %d", len(want))
		}
		require.NoError(t, r.Err())
		require.Equal(t, want, enc, "encode %d", val)
		require.Equal(t, val, dec, "decode %x", want)
	}
}

// n1Stream and n2Stream are the two test namespaces of BOLT 1 Appendix B,
// decoded with the same TLVReader machinery the messages use.
type n1Stream struct {
	tlv1 *uint64 // type 1: tu64 amount_msat
	tlv2 *ShortChannelID
	tlv3 *struct {
		nodeID     Point
		amt1, amt2 uint64
	}
	tlv4  *uint16 // type 254: u16 cltv_delta
	extra ExtraTLVs
}

func (s *n1Stream) decode(b []byte) error {
	tr := NewTLVReader(b)
	for tr.Next() {
		v := tr.Value()
		switch tr.Type() {
		case 1:
			x, err := DecodeTruncated(v, 8)
			if err != nil {
				tr.Fail(err)
			}
			s.tlv1 = &x
		case 2:
			if len(v) != 8 {
				tr.FailValue("scid must be 8 bytes")
				continue
			}
			r := NewReader(v)
			scid := r.ShortChannelID("scid")
			s.tlv2 = &scid
		case 3:
			if len(v) != 33+16 {
				tr.FailValue("tlv3 must be 49 bytes")
				continue
			}
			r := NewReader(v)
			s.tlv3 = &struct {
				nodeID     Point
				amt1, amt2 uint64
			}{r.Point("node_id"), r.U64("amount_msat_1"), r.U64("amount_msat_2")}
			if r.Err() != nil {
				tr.Fail(r.Err())
			}
		case 254:
			if len(v) != 2 {
				tr.FailValue("cltv_delta must be 2 bytes")
				continue
			}
			x := uint16(v[0])<<8 | uint16(v[1])
			s.tlv4 = &x
		default:
			s.extra.KeepOrFail(&tr)
		}
	}
	return tr.Err()
}

func (s *n1Stream) encode() ([]byte, error) {
	w := NewTLVWriter(nil, s.extra)
	if s.tlv1 != nil {
		w.Truncated(1, *s.tlv1)
	}
	if s.tlv2 != nil {
		w.Bytes(2, AppendShortChannelID(nil, *s.tlv2))
	}
	if s.tlv3 != nil {
		w.Func(3, func(b []byte) []byte {
			b = append(b, s.tlv3.nodeID[:]...)
			return AppendU64(AppendU64(b, s.tlv3.amt1), s.tlv3.amt2)
		})
	}
	if s.tlv4 != nil {
		w.Func(254, func(b []byte) []byte { return AppendU16(b, *s.tlv4) })
	}
	return w.Finish()
}

type n2Stream struct {
	tlv1  *uint64 // type 0: tu64 amount_msat
	tlv2  *uint64 // type 11: tu32 cltv_expiry
	extra ExtraTLVs
}

func (s *n2Stream) decode(b []byte) error {
	tr := NewTLVReader(b)
	for tr.Next() {
		switch tr.Type() {
		case 0:
			x, err := DecodeTruncated(tr.Value(), 8)
			if err != nil {
				tr.Fail(err)
			}
			s.tlv1 = &x
		case 11:
			x, err := DecodeTruncated(tr.Value(), 4)
			if err != nil {
				tr.Fail(err)
			}
			s.tlv2 = &x
		default:
			s.extra.KeepOrFail(&tr)
		}
	}
	return tr.Err()
}

func (s *n2Stream) encode() ([]byte, error) {
	w := NewTLVWriter(nil, s.extra)
	if s.tlv1 != nil {
		w.Truncated(0, *s.tlv1)
	}
	if s.tlv2 != nil {
		w.Truncated(11, *s.tlv2)
	}
	return w.Finish()
}

type tlvVector struct {
	Group          string `json:"group"`
	Hex            string `json:"hex"`
	ValidN1        *bool  `json:"valid_n1"`
	ValidN2        *bool  `json:"valid_n2"`
	ValidN1Derived *bool  `json:"valid_n1_derived"`
	ValidN2Derived *bool  `json:"valid_n2_derived"`
	Reason         string `json:"reason"`
	RecordsN1      []struct {
		Type   uint64                     `json:"type"`
		Fields map[string]json.RawMessage `json:"fields"`
	} `json:"records_n1"`
}

func pick(stated, derived *bool) bool {
	if stated != nil {
		return *stated
	}
	if derived == nil {
		panic("vector has neither stated nor derived validity")
	}
	return *derived
}

// TestTLVVectors runs all 57 streams of BOLT 1 Appendix B against both
// namespaces, checks the decoded n1 records, and re-encodes every valid
// stream to the same bytes.
func TestTLVVectors(t *testing.T) {
	var f struct {
		Vectors []tlvVector `json:"vectors"`
	}
	testutil.LoadJSON(t, "bolt01/tlv.json", &f)
	require.Len(t, f.Vectors, 57)
	checked := 0
	for _, v := range f.Vectors {
		in := testutil.Hex(t, v.Hex)
		var s1 n1Stream
		err1 := s1.decode(in)
		var s2 n2Stream
		err2 := s2.decode(in)
		require.Equal(t, pick(v.ValidN1, v.ValidN1Derived), err1 == nil, "n1 %s (%s): %v", v.Hex, v.Reason, err1)
		require.Equal(t, pick(v.ValidN2, v.ValidN2Derived), err2 == nil, "n2 %s (%s): %v", v.Hex, v.Reason, err2)
		if err1 == nil {
			out, err := s1.encode()
			require.NoError(t, err)
			require.Equal(t, v.Hex, hex.EncodeToString(out), "n1 re-encode")
		}
		if err2 == nil {
			out, err := s2.encode()
			require.NoError(t, err)
			require.Equal(t, v.Hex, hex.EncodeToString(out), "n2 re-encode")
		}
		for _, rec := range v.RecordsN1 {
			checkN1Record(t, &s1, rec.Type, rec.Fields)
		}
		checked++
	}
	require.Equal(t, 57, checked)
}

func checkN1Record(t *testing.T, s *n1Stream, typ uint64, fields map[string]json.RawMessage) {
	t.Helper()
	num := func(name string) uint64 {
		var n json.Number
		require.NoError(t, json.Unmarshal(fields[name], &n))
		v, err := strconv.ParseUint(n.String(), 10, 64)
		require.NoError(t, err)
		return v
	}
	str := func(name string) string {
		var x string
		require.NoError(t, json.Unmarshal(fields[name], &x))
		return x
	}
	switch typ {
	case 1:
		require.NotNil(t, s.tlv1)
		require.Equal(t, num("amount_msat"), *s.tlv1)
	case 2:
		require.NotNil(t, s.tlv2)
		// The spec writes scids as "0x0x550".
		want, err := ParseShortChannelID(str("scid"))
		require.NoError(t, err)
		require.Equal(t, want, *s.tlv2)
	case 3:
		require.NotNil(t, s.tlv3)
		require.Equal(t, str("node_id"), s.tlv3.nodeID.String())
		require.Equal(t, num("amount_msat_1"), s.tlv3.amt1)
		require.Equal(t, num("amount_msat_2"), s.tlv3.amt2)
	case 254:
		require.NotNil(t, s.tlv4)
		require.Equal(t, num("cltv_delta"), uint64(*s.tlv4))
	default:
		t.Fatalf("unexpected record type %d", typ)
	}
}

// TestTLVStreamComposition checks the two composition rules stated with
// Appendix B: a valid stream followed by an invalid one fails, and a valid
// stream followed by a higher-numbered valid stream decodes.
func TestTLVStreamComposition(t *testing.T) {
	low := testutil.Hex(t, "01012a")                 // n1 tlv1 = 42
	high := testutil.Hex(t, "fd00fe02002a")          // n1 tlv4 = 42
	bad := testutil.Hex(t, "0109ffffffffffffffffff") // tu64 of 9 bytes
	var s n1Stream
	require.Error(t, s.decode(append(append([]byte{}, low...), bad...)))
	s = n1Stream{}
	require.NoError(t, s.decode(append(append([]byte{}, low...), high...)))
	require.EqualValues(t, 42, *s.tlv1)
	require.EqualValues(t, 42, *s.tlv4)
	// The reverse order breaks the increasing-type rule.
	s = n1Stream{}
	require.ErrorIs(t, s.decode(append(append([]byte{}, high...), low...)), ErrTLVOrder)
	s = n1Stream{}
	require.ErrorIs(t, s.decode(testutil.Hex(t, "0201")), ErrTLVLength)
}
