package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Encoding is the encoding_type byte that starts encoded_short_ids,
// encoded_timestamps and encoded_query_flags (BOLT 7, "Query Messages").
type Encoding uint8

const (
	// EncodingUncompressed is a plain array of the elements.
	EncodingUncompressed Encoding = 0

	// EncodingZlib is the array compressed with zlib. The BOLT 7 text now
	// says this encoding MUST NOT be used, but the spec's own
	// extended-queries.json vectors still use it and older nodes send it,
	// so this package decodes it, and encodes it only when asked to.
	EncodingZlib Encoding = 1
)

// String names the encoding.
func (e Encoding) String() string {
	switch e {
	case EncodingUncompressed:
		return "uncompressed"
	case EncodingZlib:
		return "zlib"
	}
	return fmt.Sprintf("encoding%d", uint8(e))
}

// Limits on what a zlib-encoded list may decompress to. The zlib text that
// BOLT 7 carried when the encoding was in use observed that a 65535-byte
// message can only hold unique, ascending 8-byte values that decompress to
// at most 3669960 bytes; anything larger cannot be legitimate, whatever
// zlib can express. Timestamps come one pair per short_channel_id and query
// flags one BigSize (1 to 9 bytes) per short_channel_id, so the same count
// bounds them.
const (
	// MaxZlibSCIDBytes bounds the decompressed size of a short_channel_id
	// or timestamp list.
	MaxZlibSCIDBytes = 3669960
	// MaxListEntries is the most short_channel_ids (hence timestamps and
	// query flags) a list can legitimately carry.
	MaxListEntries = MaxZlibSCIDBytes / 8
	// maxZlibFlagBytes bounds the decompressed size of a query flag list.
	maxZlibFlagBytes = MaxListEntries * MaxBigSizeLen
)

// Errors from the list helpers. Decoding a message keeps these lists as raw
// bytes; the errors come from the helpers that interpret them.
var (
	// ErrUnknownEncoding means an encoding_type byte is neither 0 nor 1,
	// or a list has no encoding byte at all.
	ErrUnknownEncoding = errors.New("wire: unknown list encoding")

	// ErrSCIDsNotAscending means a short_channel_id list is not in
	// strictly ascending order, as BOLT 7 requires of encoded_short_ids
	// (a repeated id is not ascending either).
	ErrSCIDsNotAscending = errors.New("wire: short_channel_ids not in ascending order")

	// ErrListTooLarge means a zlib list decompresses beyond what a
	// 65535-byte message can legitimately carry.
	ErrListTooLarge = errors.New("wire: compressed list decompresses beyond the legitimate maximum")

	// ErrListLength means a list's size does not divide into whole
	// elements, or its count differs from the short_channel_ids it
	// annotates.
	ErrListLength = errors.New("wire: list length mismatch")

	// ErrZlib means zlib data is corrupt.
	ErrZlib = errors.New("wire: invalid zlib data")
)

// EncodedShortIDs is encoded_short_ids exactly as on the wire: the encoding
// byte followed by the (possibly compressed) array of short_channel_ids.
// Messages keep it raw so that they re-encode byte for byte even when a peer
// compressed differently from this package; Decode interprets it.
type EncodedShortIDs []byte

// EncodeShortIDs encodes ids, which must be in strictly ascending order
// (BOLT 7), with the given encoding. The zlib output is deterministic for a
// given input and Go release.
func EncodeShortIDs(enc Encoding, ids []ShortChannelID) (EncodedShortIDs, error) {
	if err := checkAscending(ids); err != nil {
		return nil, err
	}
	plain := make([]byte, 0, 8*len(ids))
	for _, id := range ids {
		plain = AppendShortChannelID(plain, id)
	}
	return encodeList(enc, plain)
}

// Encoding returns the encoding byte; an empty list has none and yields
// ErrUnknownEncoding.
func (e EncodedShortIDs) Encoding() (Encoding, error) { return listEncoding(e) }

// Decode returns the short_channel_ids. It fails with ErrUnknownEncoding,
// ErrZlib, ErrListTooLarge, ErrListLength (not a whole number of ids) or
// ErrSCIDsNotAscending. The ascending-order rule is checked here rather
// than when the message is decoded, because checking it means decompressing
// and the message's bytes are valid to keep and relay either way.
//
// An empty field (no encoding byte, which BOLT 7 does not allow but some
// nodes send for an empty reply) decodes to no ids.
func (e EncodedShortIDs) Decode() ([]ShortChannelID, error) {
	if len(e) == 0 {
		return nil, nil
	}
	plain, err := decodeList(e, MaxZlibSCIDBytes)
	if err != nil {
		return nil, fmt.Errorf("encoded_short_ids: %w", err)
	}
	if len(plain)%8 != 0 {
		return nil, fmt.Errorf("encoded_short_ids: %w: %d bytes is not a whole number of short_channel_ids", ErrListLength, len(plain))
	}
	ids := make([]ShortChannelID, len(plain)/8)
	prev := uint64(0)
	for i := range ids {
		v := binary.BigEndian.Uint64(plain[8*i:])
		ids[i] = NewShortChannelIDFromUint64(v)
		if i > 0 && v <= prev {
			return nil, fmt.Errorf("encoded_short_ids: %w: %v at index %d follows %v", ErrSCIDsNotAscending, ids[i], i, ids[i-1])
		}
		prev = v
	}
	return ids, nil
}

// checkAscending reports the first id that is not above its predecessor.
func checkAscending(ids []ShortChannelID) error {
	for i := 1; i < len(ids); i++ {
		if ids[i].ToUint64() <= ids[i-1].ToUint64() {
			return fmt.Errorf("%w: %v at index %d follows %v", ErrSCIDsNotAscending, ids[i], i, ids[i-1])
		}
	}
	return nil
}

// ChannelUpdateTimestamps is one entry of encoded_timestamps: the
// timestamps of the latest channel_update from each end of a channel, 0
// where there is none.
type ChannelUpdateTimestamps struct {
	NodeID1 uint32
	NodeID2 uint32
}

// EncodedTimestamps is the value of reply_channel_range's timestamps_tlv
// exactly as on the wire: the encoding byte followed by the (possibly
// compressed) array of ChannelUpdateTimestamps.
type EncodedTimestamps []byte

// EncodeTimestamps encodes ts with the given encoding.
func EncodeTimestamps(enc Encoding, ts []ChannelUpdateTimestamps) (EncodedTimestamps, error) {
	plain := make([]byte, 0, 8*len(ts))
	for _, t := range ts {
		plain = AppendU32(AppendU32(plain, t.NodeID1), t.NodeID2)
	}
	return encodeList(enc, plain)
}

// Encoding returns the encoding byte.
func (e EncodedTimestamps) Encoding() (Encoding, error) { return listEncoding(e) }

// Decode returns the timestamps. It fails with ErrUnknownEncoding, ErrZlib,
// ErrListTooLarge or ErrListLength.
func (e EncodedTimestamps) Decode() ([]ChannelUpdateTimestamps, error) {
	plain, err := decodeList(e, MaxZlibSCIDBytes)
	if err != nil {
		return nil, fmt.Errorf("encoded_timestamps: %w", err)
	}
	if len(plain)%8 != 0 {
		return nil, fmt.Errorf("encoded_timestamps: %w: %d bytes is not a whole number of timestamp pairs", ErrListLength, len(plain))
	}
	ts := make([]ChannelUpdateTimestamps, len(plain)/8)
	r := NewReader(plain)
	for i := range ts {
		ts[i] = ChannelUpdateTimestamps{NodeID1: r.U32("timestamp_node_id_1"), NodeID2: r.U32("timestamp_node_id_2")}
	}
	return ts, nil
}

// QueryFlags is one entry of encoded_query_flags: which messages the
// querier wants for a short_channel_id.
type QueryFlags uint64

// Bits of QueryFlags (BOLT 7, "The query_short_channel_ids/
// reply_short_channel_ids_end Messages").
const (
	QueryChannelAnnouncement QueryFlags = 1 << 0
	QueryChannelUpdate1      QueryFlags = 1 << 1
	QueryChannelUpdate2      QueryFlags = 1 << 2
	QueryNodeAnnouncement1   QueryFlags = 1 << 3
	QueryNodeAnnouncement2   QueryFlags = 1 << 4
)

// EncodedQueryFlags is the value of query_short_channel_ids' query_flags
// TLV exactly as on the wire: the encoding byte followed by the (possibly
// compressed) array of minimally encoded BigSize flags.
type EncodedQueryFlags []byte

// EncodeQueryFlags encodes flags with the given encoding.
func EncodeQueryFlags(enc Encoding, flags []QueryFlags) (EncodedQueryFlags, error) {
	plain := make([]byte, 0, len(flags))
	for _, f := range flags {
		plain = AppendBigSize(plain, uint64(f))
	}
	return encodeList(enc, plain)
}

// Encoding returns the encoding byte.
func (e EncodedQueryFlags) Encoding() (Encoding, error) { return listEncoding(e) }

// Decode returns the flags. It fails with ErrUnknownEncoding, ErrZlib,
// ErrListTooLarge, ErrListLength, or ErrNonCanonicalBigSize for a flag that
// is not minimally encoded (BOLT 7: "Each query flag is a minimally-encoded
// bigsize").
func (e EncodedQueryFlags) Decode() ([]QueryFlags, error) {
	plain, err := decodeList(e, maxZlibFlagBytes)
	if err != nil {
		return nil, fmt.Errorf("encoded_query_flags: %w", err)
	}
	// Every flag takes at least one byte, so len(plain) bounds the count.
	flags := make([]QueryFlags, 0, min(len(plain), MaxListEntries))
	for r := NewReader(plain); r.Len() > 0; {
		v := r.BigSize("query_flag")
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("encoded_query_flags: %w", err)
		}
		if len(flags) == MaxListEntries {
			return nil, fmt.Errorf("encoded_query_flags: %w", ErrListTooLarge)
		}
		flags = append(flags, QueryFlags(v))
	}
	return flags, nil
}

// listEncoding returns the encoding byte of a list.
func listEncoding(b []byte) (Encoding, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: no encoding byte", ErrUnknownEncoding)
	}
	e := Encoding(b[0])
	if e != EncodingUncompressed && e != EncodingZlib {
		return e, fmt.Errorf("%w: %d", ErrUnknownEncoding, b[0])
	}
	return e, nil
}

// encodeList prefixes the encoding byte and compresses plain if asked.
func encodeList(enc Encoding, plain []byte) ([]byte, error) {
	switch enc {
	case EncodingUncompressed:
		return append([]byte{byte(enc)}, plain...), nil
	case EncodingZlib:
		var buf bytes.Buffer
		buf.WriteByte(byte(enc))
		zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(plain); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownEncoding, uint8(enc))
}

// decodeList strips the encoding byte and decompresses, refusing output
// beyond limit. The uncompressed case returns a sub-slice of b.
func decodeList(b []byte, limit int) ([]byte, error) {
	enc, err := listEncoding(b)
	if err != nil {
		return nil, err
	}
	if enc == EncodingUncompressed {
		return b[1:], nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[1:]))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrZlib, err)
	}
	defer zr.Close()
	// Read at most limit+1 bytes: the buffer grows with what the data
	// really decompresses to, and one byte too many proves a bomb.
	plain, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrZlib, err)
	}
	if len(plain) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrListTooLarge, limit)
	}
	return plain, nil
}
