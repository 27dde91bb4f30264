package wire

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"
)

func TestNewChannelID(t *testing.T) {
	var txid chainhash.Hash
	for i := range txid {
		txid[i] = byte(i)
	}
	// BOLT 2: funding_txid XOR funding_output_index, big-endian, in the
	// last two bytes.
	id := NewChannelID(btcwire.OutPoint{Hash: txid, Index: 0x0102})
	want := ChannelID(txid)
	want[30] ^= 0x01
	want[31] ^= 0x02
	require.Equal(t, want, id)
	require.Equal(t, ChannelID(txid), NewChannelID(btcwire.OutPoint{Hash: txid, Index: 0}))
	require.False(t, id.IsAll())
	require.True(t, ChannelID{}.IsAll())
}

func TestShortChannelIDForms(t *testing.T) {
	s := ShortChannelID{BlockHeight: 0xffffff, TxIndex: 0xffffff, OutputIndex: 0xffff}
	require.True(t, s.Valid())
	require.Equal(t, ^uint64(0), s.ToUint64())
	require.Equal(t, s, NewShortChannelIDFromUint64(s.ToUint64()))
	require.Equal(t, "16777215x16777215x65535", s.String())
	require.False(t, ShortChannelID{BlockHeight: 1 << 24}.Valid())
	for _, bad := range []string{"", "1x2", "1x2x3x4", "16777216x0x0", "0x16777216x0", "0x0x65536", "ax1x1", "-1x0x0"} {
		_, err := ParseShortChannelID(bad)
		require.ErrorIs(t, err, ErrInvalidShortChannelID, bad)
	}
	enc := AppendShortChannelID(nil, ShortChannelID{BlockHeight: 0x010203, TxIndex: 0x040506, OutputIndex: 0x0708})
	require.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}, enc)
}

func TestSignatureConversion(t *testing.T) {
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	h := sha256.Sum256([]byte("lnkit"))
	sig := ecdsa.Sign(priv, h[:])
	compact := NewSignature(sig)
	back, err := compact.ToECDSA()
	require.NoError(t, err)
	require.True(t, back.Verify(h[:], priv.PubKey()))
	require.True(t, back.IsEqual(sig))
	require.NoError(t, compact.checkRange())

	// r or s of zero, or at or above the group order, is refused.
	order := btcec.S256().N.FillBytes(make([]byte, 32))
	cases := map[string]Signature{}
	var zeroR Signature
	copy(zeroR[32:], compact[32:])
	cases["r=0"] = zeroR
	var zeroS Signature
	copy(zeroS[:32], compact[:32])
	cases["s=0"] = zeroS
	var rN Signature
	copy(rN[:32], order)
	copy(rN[32:], compact[32:])
	cases["r=n"] = rN
	var sMax Signature
	copy(sMax[:32], compact[:32])
	copy(sMax[32:], bytes.Repeat([]byte{0xff}, 32))
	cases["s=2^256-1"] = sMax
	for name, s := range cases {
		_, err := s.ToECDSA()
		require.ErrorIs(t, err, ErrInvalidSignature, name)
	}
	require.ErrorIs(t, rN.checkRange(), ErrInvalidSignature)
	require.ErrorIs(t, sMax.checkRange(), ErrInvalidSignature)
	// n-1 is in range.
	var nm1 Signature
	copy(nm1[:32], order)
	nm1[31]--
	copy(nm1[32:], compact[32:])
	require.NoError(t, nm1.checkRange())
}

func TestPointValidation(t *testing.T) {
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{9}, 32))
	p := NewPoint(priv.PubKey())
	require.NoError(t, p.Validate())
	pub, err := p.PublicKey()
	require.NoError(t, err)
	require.True(t, pub.IsEqual(priv.PubKey()))

	bad := p
	bad[0] = 0x04
	require.ErrorIs(t, bad.Validate(), ErrInvalidPoint)
	// x = 5 is not the x coordinate of any point on secp256k1.
	var offCurve Point
	offCurve[0] = 0x02
	offCurve[32] = 5
	require.ErrorIs(t, offCurve.Validate(), ErrInvalidPoint)
	_, err = offCurve.PublicKey()
	require.ErrorIs(t, err, ErrInvalidPoint)

	r := NewReader(offCurve[:])
	r.Point("node_id")
	require.ErrorIs(t, r.Err(), ErrInvalidPoint)
}

func TestAmounts(t *testing.T) {
	m, err := NewMilliSatoshi(1234)
	require.NoError(t, err)
	require.Equal(t, MilliSatoshi(1_234_000), m)
	require.Equal(t, btcutil.Amount(1), MilliSatoshi(1999).ToSatoshis())
	require.Equal(t, "1999 msat", MilliSatoshi(1999).String())
	// BOLT 3 "Fees": 724 weight at 5000 sat/kw is 3620 sat; rounding is down.
	require.Equal(t, btcutil.Amount(3620), SatPerKWeight(5000).FeeForWeight(724))
	require.Equal(t, btcutil.Amount(0), SatPerKWeight(1).FeeForWeight(999))
	require.Equal(t, "253 sat/kw", SatPerKWeight(253).String())
}

func TestReaderStickyError(t *testing.T) {
	r := NewReader([]byte{1, 2, 3})
	require.Equal(t, uint16(0x0102), r.U16("a"))
	require.Equal(t, uint32(0), r.U32("b"))
	require.ErrorIs(t, r.Err(), ErrTruncated)
	require.Contains(t, r.Err().Error(), "b")
	require.Equal(t, uint8(0), r.U8("c"), "reads after an error return zero")
	require.Nil(t, r.Rest())

	// A length prefix larger than what is left fails before allocating.
	r = NewReader([]byte{0xff, 0xff, 1})
	require.Nil(t, r.VarBytes16("data"))
	require.ErrorIs(t, r.Err(), ErrTruncated)

	r = NewReader([]byte{0xfd, 0x00, 0x01})
	r.BigSize("n")
	require.ErrorIs(t, r.Err(), ErrNonCanonicalBigSize)
}
