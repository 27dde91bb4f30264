package wire

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/stretchr/testify/require"
)

func init() {
	msgFixups[MsgInit] = func(rng *rand.Rand, m Message) {
		msg := m.(*Init)
		if msg.RemoteAddr != nil {
			a := randomAddressList(rng)
			if len(a) == 0 {
				msg.RemoteAddr = nil
			} else {
				msg.RemoteAddr = &a[0]
			}
		}
	}
}

// TestInitVectors runs BOLT 1 Appendix C: init with and without an
// extension, and the three invalid extensions.
func TestInitVectors(t *testing.T) {
	var f struct {
		Init []struct {
			Hex         string `json:"hex"`
			Valid       bool   `json:"valid"`
			Description string `json:"description"`
		} `json:"init_messages"`
	}
	testutil.LoadJSON(t, "bolt01/messages.json", &f)
	require.Len(t, f.Init, 5)
	// Why each invalid vector must fail, in file order.
	reasons := []error{ErrTruncated, ErrUnknownEvenTLV, ErrTLVOrder}
	invalid := 0
	for _, v := range f.Init {
		in := testutil.Hex(t, v.Hex)
		m, err := DecodeMessage(in)
		if !v.Valid {
			require.ErrorIs(t, err, reasons[invalid], v.Description)
			invalid++
			continue
		}
		require.NoError(t, err, v.Description)
		msg := m.(*Init)
		require.Empty(t, msg.GlobalFeatures)
		require.Empty(t, msg.Features)
		require.Nil(t, msg.Networks)
		require.Nil(t, msg.RemoteAddr)
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, in, out, v.Description)
	}
	require.Equal(t, 3, invalid)
	// The valid extension keeps both odd records.
	m, err := DecodeMessage(testutil.Hex(t, f.Init[1].Hex))
	require.NoError(t, err)
	require.Equal(t, ExtraTLVs{{Type: 0xc9, Value: []byte{0x2a}}, {Type: 0xcb, Value: []byte{0x04}}}, m.(*Init).Extra)
}

// TestInitEncoding checks init against bytes built by hand from the BOLT 1
// field table.
func TestInitEncoding(t *testing.T) {
	m := &Init{
		GlobalFeatures: FeatureVector{0x02},
		Features:       NewFeatureVector(FeatureStaticRemoteKey, FeatureVarOnionOptin.Optional()),
		Networks:       []ChainHash{MainnetChainHash},
		RemoteAddr:     &NetAddress{Type: AddressIPv4, Addr: []byte{203, 0, 113, 5}, Port: 9735},
		Extra:          ExtraTLVs{{Type: 5, Value: []byte{0xee}}},
	}
	want := "0010" + // type 16
		"0001" + "02" + // gflen, globalfeatures
		"0002" + "1200" + // flen, features: bits 12 and 9
		"01" + "20" + "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000" + // networks
		"03" + "07" + "01" + "cb007105" + "2607" + // remote_addr
		"05" + "01" + "ee" // unknown odd record, kept in order
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, want, hexString(enc))
	got, err := DecodeMessage(enc)
	require.NoError(t, err)
	require.Equal(t, m, got)
	require.True(t, got.(*Init).AllFeatures().IsSet(1))
	require.True(t, got.(*Init).AllFeatures().IsSet(FeatureStaticRemoteKey))
}

// TestInitTLVs covers each init TLV: present, empty, absent and invalid.
func TestInitTLVs(t *testing.T) {
	base := "0010" + "0000" + "0000"

	// networks: absent and present-but-empty both round-trip.
	for _, tc := range []struct {
		hex  string
		nets []ChainHash
	}{
		{base, nil},
		{base + "0100", []ChainHash{}},
		{base + "0140" + MainnetChainHash.String() + TestnetChainHash.String(), nil},
	} {
		m, err := DecodeMessage(testutil.Hex(t, tc.hex))
		require.NoError(t, err, tc.hex)
		if tc.nets != nil || tc.hex == base {
			require.Equal(t, tc.nets, m.(*Init).Networks, tc.hex)
		}
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, tc.hex, hexString(out))
	}
	// ChainHash.String is in display order; rebuild the two-chain case in
	// wire order to check the decoded values.
	two := base + "0140" + hexString(MainnetChainHash[:]) + hexString(TestnetChainHash[:])
	m, err := DecodeMessage(testutil.Hex(t, two))
	require.NoError(t, err)
	require.Equal(t, []ChainHash{MainnetChainHash, TestnetChainHash}, m.(*Init).Networks)

	// networks must hold whole chain hashes.
	_, err = DecodeMessage(testutil.Hex(t, base+"0101ff"))
	require.ErrorIs(t, err, ErrTLVValue)

	// remote_addr: every known type, an unknown type kept raw, and
	// invalid values.
	for _, tc := range []struct {
		val string
		err error
	}{
		{"01c00002012607", nil},
		{"0220010db80000000000000000000000012607", nil},
		{"030102030405060708090a0050", nil},
		{"05036162632607", nil},
		{"0901020304", nil}, // unknown type: the whole value is kept
		{"09", nil},
		{"", ErrTruncated},
		{"01c000020126", ErrTruncated},        // port cut short
		{"01c0000201260700", ErrTLVValue},     // a byte after the descriptor
		{"05056162632607", ErrInvalidAddress}, // hostname runs past the value
	} {
		in := testutil.Hex(t, base+"03"+hexString([]byte{byte(len(tc.val) / 2)})+tc.val)
		m, err := DecodeMessage(in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.val)
			require.ErrorIs(t, err, ErrTLVValue, tc.val)
			continue
		}
		require.NoError(t, err, tc.val)
		ra := m.(*Init).RemoteAddr
		require.NotNil(t, ra)
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, in, out)
	}

	// An invalid remote address is refused by the encoder.
	_, err = EncodeMessage(&Init{RemoteAddr: &NetAddress{Type: AddressIPv4, Addr: []byte{1}}})
	require.ErrorIs(t, err, ErrInvalidAddress)
}

func TestErrorAndWarning(t *testing.T) {
	var id ChannelID
	id[31] = 1
	e := &Error{ChannelID: id, Data: []byte("bad sig")}
	enc, err := EncodeMessage(e)
	require.NoError(t, err)
	require.Equal(t, "0011"+hexString(id[:])+"0007"+hexString([]byte("bad sig")), hexString(enc))

	// A received error works as a Go error.
	m, err := DecodeMessage(enc)
	require.NoError(t, err)
	var asErr error = m.(*Error)
	var target *Error
	require.True(t, errors.As(asErr, &target))
	require.Contains(t, asErr.Error(), "bad sig")
	require.Contains(t, asErr.Error(), id.String())

	// Non-printable data is shown in hex, and an all-zero id means every
	// channel.
	w := &Warning{Data: []byte{'o', 'k', 0x07}}
	require.Equal(t, "hex:6f6b07", w.DataString())
	require.Contains(t, w.String(), "all channels")
	enc, err = EncodeMessage(w)
	require.NoError(t, err)
	require.Equal(t, "0001"+hexString(make([]byte, 32))+"0003"+"6f6b07", hexString(enc))

	// len longer than the payload is truncation.
	_, err = DecodeMessage(testutil.Hex(t, "0011"+hexString(id[:])+"0008"+hexString([]byte("bad sig"))))
	require.ErrorIs(t, err, ErrTruncated)
}

func TestPeerStorageAndOnionMessage(t *testing.T) {
	ps := &PeerStorage{Blob: []byte{1, 2, 3}}
	enc, err := EncodeMessage(ps)
	require.NoError(t, err)
	require.Equal(t, "0007"+"0003"+"010203", hexString(enc))
	pr := &PeerStorageRetrieval{Blob: []byte{1, 2, 3}}
	enc, err = EncodeMessage(pr)
	require.NoError(t, err)
	require.Equal(t, "0009"+"0003"+"010203", hexString(enc))

	key := randomPoint(rand.New(rand.NewSource(9)))
	om := &OnionMessage{PathKey: key, Packet: []byte{0, 1, 2, 3}}
	enc, err = EncodeMessage(om)
	require.NoError(t, err)
	require.Equal(t, "0201"+hexString(key[:])+"0004"+"00010203", hexString(enc))
	// An invalid path_key is refused.
	bad := append([]byte(nil), enc...)
	bad[2] = 0x05
	_, err = DecodeMessage(bad)
	require.ErrorIs(t, err, ErrInvalidPoint)
}
