package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/stretchr/testify/require"
)

// randomSCIDList returns 0 to 20 strictly ascending short channel ids.
func randomSCIDList(rng *rand.Rand) []ShortChannelID {
	n := rng.Intn(21)
	ids := make([]ShortChannelID, 0, n)
	v := uint64(rng.Intn(1 << 30))
	for i := 0; i < n; i++ {
		v += 1 + uint64(rng.Intn(1<<40))
		ids = append(ids, NewShortChannelIDFromUint64(v))
	}
	return ids
}

func randomEncoding(rng *rand.Rand) Encoding { return Encoding(rng.Intn(2)) }

func mustEncode[T any](b T, err error) T {
	if err != nil {
		panic(err)
	}
	return b
}

func init() {
	msgFixups[MsgNodeAnnouncement] = func(rng *rand.Rand, m Message) {
		m.(*NodeAnnouncement).Addresses = randomAddressList(rng)
	}
	msgFixups[MsgChannelUpdate] = func(rng *rand.Rand, m Message) {
		msg := m.(*ChannelUpdate)
		msg.FeeBase = MilliSatoshi(rng.Uint32())
	}
	msgFixups[MsgQueryShortChannelIDs] = func(rng *rand.Rand, m Message) {
		msg := m.(*QueryShortChannelIDs)
		ids := randomSCIDList(rng)
		msg.EncodedShortIDs = mustEncode(EncodeShortIDs(randomEncoding(rng), ids))
		msg.QueryFlags = nil
		if rng.Intn(2) == 0 {
			flags := make([]QueryFlags, len(ids))
			for i := range flags {
				flags[i] = QueryFlags(rng.Intn(1 << (1 + rng.Intn(20))))
			}
			msg.QueryFlags = mustEncode(EncodeQueryFlags(randomEncoding(rng), flags))
		}
	}
	msgFixups[MsgReplyChannelRange] = func(rng *rand.Rand, m Message) {
		msg := m.(*ReplyChannelRange)
		ids := randomSCIDList(rng)
		msg.EncodedShortIDs = mustEncode(EncodeShortIDs(randomEncoding(rng), ids))
		msg.Timestamps, msg.Checksums = nil, nil
		if rng.Intn(2) == 0 {
			ts := make([]ChannelUpdateTimestamps, len(ids))
			for i := range ts {
				ts[i] = ChannelUpdateTimestamps{rng.Uint32(), rng.Uint32()}
			}
			msg.Timestamps = mustEncode(EncodeTimestamps(randomEncoding(rng), ts))
		}
		if rng.Intn(2) == 0 {
			msg.Checksums = make([]ChannelUpdateChecksums, len(ids))
			for i := range msg.Checksums {
				msg.Checksums[i] = ChannelUpdateChecksums{rng.Uint32(), rng.Uint32()}
			}
		}
	}
}

// scidFromVector parses the vectors' "BLOCKxTXxOUT" form.
func scidFromVector(t *testing.T, s string) ShortChannelID {
	id, err := ParseShortChannelID(s)
	require.NoError(t, err, s)
	return id
}

func vectorEncoding(t *testing.T, s string) Encoding {
	switch s {
	case "UNCOMPRESSED":
		return EncodingUncompressed
	case "COMPRESSED_ZLIB":
		return EncodingZlib
	}
	t.Fatalf("unknown encoding %q", s)
	return 0
}

// TestExtendedQueriesVectors runs bolt07/extended-queries.json: every entry
// decodes to the fields it describes, re-encodes to the same bytes, and its
// lists round-trip through this package's encoders.
func TestExtendedQueriesVectors(t *testing.T) {
	type scids struct {
		Array    []string `json:"array"`
		Encoding string   `json:"encoding"`
	}
	var vectors []struct {
		Hex string `json:"hex"`
		Msg struct {
			Type            string `json:"type"`
			ChainHash       string `json:"chainHash"`
			FirstBlockNum   uint32 `json:"firstBlockNum"`
			NumberOfBlocks  uint32 `json:"numberOfBlocks"`
			Complete        uint8  `json:"complete"`
			ShortChannelIDs scids  `json:"shortChannelIds"`
			Timestamps      *struct {
				Encoding   string `json:"encoding"`
				Timestamps []struct {
					T1 uint32 `json:"timestamp1"`
					T2 uint32 `json:"timestamp2"`
				} `json:"timestamps"`
			} `json:"timestamps"`
			Checksums *struct {
				Checksums []struct {
					C1 uint32 `json:"checksum1"`
					C2 uint32 `json:"checksum2"`
				} `json:"checksums"`
			} `json:"checksums"`
			TLVStream struct {
				Records []json.RawMessage `json:"records"`
				Unknown []json.RawMessage `json:"unknown"`
			} `json:"tlvStream"`
		} `json:"msg"`
	}
	testutil.LoadJSON(t, "bolt07/extended-queries.json", &vectors)
	require.Len(t, vectors, 10)

	passed := 0
	for i, v := range vectors {
		t.Run(fmt.Sprintf("%d_%s", i, v.Msg.Type), func(t *testing.T) {
			in := testutil.Hex(t, v.Hex)
			m, err := DecodeMessage(in)
			require.NoError(t, err)
			out, err := EncodeMessage(m)
			require.NoError(t, err)
			require.Equal(t, in, out, "re-encoding")

			var wantIDs []ShortChannelID
			for _, s := range v.Msg.ShortChannelIDs.Array {
				wantIDs = append(wantIDs, scidFromVector(t, s))
			}
			var chain ChainHash
			copy(chain[:], testutil.Hex(t, v.Msg.ChainHash))

			// checkIDs verifies the decoded list and that encoding the
			// list again (with our own zlib, for the compressed ones)
			// decodes to the same ids; uncompressed lists must be
			// byte-identical.
			checkIDs := func(enc EncodedShortIDs) {
				gotEnc, err := enc.Encoding()
				require.NoError(t, err)
				require.Equal(t, vectorEncoding(t, v.Msg.ShortChannelIDs.Encoding), gotEnc)
				ids, err := enc.Decode()
				require.NoError(t, err)
				require.Equal(t, wantIDs, ids)
				again, err := EncodeShortIDs(gotEnc, ids)
				require.NoError(t, err)
				if gotEnc == EncodingUncompressed {
					require.Equal(t, enc, again)
				}
				back, err := again.Decode()
				require.NoError(t, err)
				require.Equal(t, wantIDs, back)
			}

			switch v.Msg.Type {
			case "QueryChannelRange":
				msg := m.(*QueryChannelRange)
				require.Equal(t, chain, msg.ChainHash)
				require.Equal(t, v.Msg.FirstBlockNum, msg.FirstBlockNum)
				require.Equal(t, v.Msg.NumberOfBlocks, msg.NumberOfBlocks)
				require.Empty(t, msg.Extra)
				switch len(v.Msg.TLVStream.Records) {
				case 0:
					require.Nil(t, msg.QueryOption)
				case 1:
					require.Equal(t, `"WANT_TIMESTAMPS | WANT_CHECKSUMS"`, string(v.Msg.TLVStream.Records[0]))
					require.NotNil(t, msg.QueryOption)
					require.Equal(t, QueryOptionTimestamps|QueryOptionChecksums, *msg.QueryOption)
				default:
					t.Fatal("unexpected records")
				}
			case "ReplyChannelRange":
				msg := m.(*ReplyChannelRange)
				require.Equal(t, chain, msg.ChainHash)
				require.Equal(t, v.Msg.FirstBlockNum, msg.FirstBlockNum)
				require.Equal(t, v.Msg.NumberOfBlocks, msg.NumberOfBlocks)
				require.Equal(t, v.Msg.Complete, msg.SyncComplete)
				checkIDs(msg.EncodedShortIDs)
				if v.Msg.Timestamps == nil {
					require.Nil(t, msg.Timestamps)
				} else {
					enc, err := msg.Timestamps.Encoding()
					require.NoError(t, err)
					require.Equal(t, vectorEncoding(t, v.Msg.Timestamps.Encoding), enc)
					ts, err := msg.UpdateTimestamps()
					require.NoError(t, err)
					var want []ChannelUpdateTimestamps
					for _, x := range v.Msg.Timestamps.Timestamps {
						want = append(want, ChannelUpdateTimestamps{x.T1, x.T2})
					}
					require.Equal(t, want, ts)
					again, err := EncodeTimestamps(enc, ts)
					require.NoError(t, err)
					if enc == EncodingUncompressed {
						require.Equal(t, msg.Timestamps, again)
					}
					back, err := again.Decode()
					require.NoError(t, err)
					require.Equal(t, want, back)
				}
				if v.Msg.Checksums == nil {
					require.Nil(t, msg.Checksums)
				} else {
					var want []ChannelUpdateChecksums
					for _, x := range v.Msg.Checksums.Checksums {
						want = append(want, ChannelUpdateChecksums{x.C1, x.C2})
					}
					require.Equal(t, want, msg.Checksums)
					require.NoError(t, msg.CheckChecksums())
				}
			case "QueryShortChannelIds":
				msg := m.(*QueryShortChannelIDs)
				require.Equal(t, chain, msg.ChainHash)
				checkIDs(msg.EncodedShortIDs)
				switch len(v.Msg.TLVStream.Records) {
				case 0:
					require.Nil(t, msg.QueryFlags)
					flags, err := msg.Flags()
					require.NoError(t, err)
					require.Nil(t, flags)
				case 1:
					var rec struct {
						Array    []uint64 `json:"array"`
						Encoding string   `json:"encoding"`
					}
					require.NoError(t, json.Unmarshal(v.Msg.TLVStream.Records[0], &rec))
					enc, err := msg.QueryFlags.Encoding()
					require.NoError(t, err)
					require.Equal(t, vectorEncoding(t, rec.Encoding), enc)
					flags, err := msg.Flags()
					require.NoError(t, err)
					var want []QueryFlags
					for _, f := range rec.Array {
						want = append(want, QueryFlags(f))
					}
					require.Equal(t, want, flags)
					again, err := EncodeQueryFlags(enc, flags)
					require.NoError(t, err)
					back, err := again.Decode()
					require.NoError(t, err)
					require.Equal(t, want, back)
				default:
					t.Fatal("unexpected records")
				}
			default:
				t.Fatalf("unknown vector type %q", v.Msg.Type)
			}
			passed++
		})
	}
	require.Equal(t, 10, passed)
}

// TestChannelUpdateEncoding checks channel_update against bytes built by
// hand from the BOLT 7 field table.
func TestChannelUpdateEncoding(t *testing.T) {
	var sig Signature
	sig[31], sig[63] = 1, 2
	m := &ChannelUpdate{
		Signature:                 sig,
		ChainHash:                 MainnetChainHash,
		ShortChannelID:            ShortChannelID{BlockHeight: 539268, TxIndex: 845, OutputIndex: 1},
		Timestamp:                 1700000000,
		MessageFlags:              ChanUpdateMustBeOne | ChanUpdateDontForward,
		ChannelFlags:              ChanUpdateDirection | ChanUpdateDisabled,
		CLTVExpiryDelta:           144,
		HTLCMinimum:               1000,
		FeeBase:                   1,
		FeeProportionalMillionths: 100,
		HTLCMaximum:               990000000,
	}
	want := "0102" +
		hexString(sig[:]) +
		"6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000" +
		"083a84" + "00034d" + "0001" + // 539268x845x1
		"6553f100" + // timestamp
		"03" + "03" + // message_flags, channel_flags
		"0090" + // cltv_expiry_delta
		"00000000000003e8" + // htlc_minimum_msat
		"00000001" + "00000064" + // fee_base_msat, fee_proportional_millionths
		"000000003b023380" // htlc_maximum_msat
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, want, hexString(enc))
	got, err := DecodeMessage(enc)
	require.NoError(t, err)
	require.Equal(t, m, got)
	cu := got.(*ChannelUpdate)
	require.Equal(t, 1, cu.Direction())
	require.True(t, cu.IsDisabled())
	require.True(t, cu.DontForward())

	// The old layout without htlc_maximum_msat is truncated now.
	_, err = DecodeMessage(enc[:len(enc)-8])
	require.ErrorIs(t, err, ErrTruncated)

	// fee_base_msat is a u32.
	m.FeeBase = 1 << 32
	_, err = EncodeMessage(m)
	require.ErrorIs(t, err, ErrInvalidField)
}

// crc32cReference is a bitwise CRC-32C (reflected polynomial 0x82F63B78),
// written independently of hash/crc32 to check ChannelUpdate.Checksum.
func crc32cReference(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for i := 0; i < 8; i++ {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func TestChannelUpdateChecksum(t *testing.T) {
	// RFC 3720 B.4 check value.
	require.Equal(t, uint32(0xe3069283), crc32cReference([]byte("123456789")))

	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 20; i++ {
		m := randomMessage(rng, MsgChannelUpdate).(*ChannelUpdate)
		enc, err := EncodeMessage(m)
		require.NoError(t, err)
		p := enc[2:]
		// Skip signature (64) and timestamp (at 104..108).
		data := append(append([]byte(nil), p[64:104]...), p[108:]...)
		sum, err := m.Checksum()
		require.NoError(t, err)
		require.Equal(t, crc32cReference(data), sum)

		// Signature and timestamp do not change the checksum; a fee
		// does.
		m2 := *m
		m2.Signature[5] ^= 1
		m2.Timestamp++
		sum2, err := m2.Checksum()
		require.NoError(t, err)
		require.Equal(t, sum, sum2)
		m2.FeeProportionalMillionths++
		sum3, err := m2.Checksum()
		require.NoError(t, err)
		require.NotEqual(t, sum, sum3)
	}
}

// clnAddresses is the address list from Core Lightning's devtools/mkgossip
// example used in the spec tests: IPv4, IPv6, Tor v2 and Tor v3, all on
// port 9735.
const clnAddresses = "0151b6887026070220014c4e1cc141001e6f65fffec8a825260703c43068ceb641d7b25c3a26070441cf248da2034dfa9351a9e946d71ce86f561f50b67753fd8e385d44647bf62cdb91032607"

// TestNodeAnnouncementEncoding checks node_announcement against bytes built
// by hand, with every address type including a DNS hostname and a trailing
// unknown descriptor.
func TestNodeAnnouncementEncoding(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	node := randomPoint(rng)
	var sig Signature
	sig[0], sig[63] = 0x11, 0x22
	alias, err := NewNodeAlias("IRATEMONK⚡")
	require.NoError(t, err)
	addrs, err := decodeAddressList(testutil.Hex(t, clnAddresses))
	require.NoError(t, err)
	require.Len(t, addrs, 4)
	require.Equal(t, "81.182.136.112:9735", addrs[0].String())
	require.Equal(t, "[2001:4c4e:1cc1:4100:1e6f:65ff:fec8:a825]:9735", addrs[1].String())
	require.Equal(t, AddressTorV2, addrs[2].Type)
	require.Equal(t, AddressTorV3, addrs[3].Type)
	require.NoError(t, addrs[3].Validate(), "real tor v3 checksum")
	addrs = append(addrs,
		NetAddress{Type: AddressDNS, Addr: []byte("ln.example.com"), Port: 9735},
		NetAddress{Type: 0x07, Addr: []byte{0xca, 0xfe}},
	)
	m := &NodeAnnouncement{
		Signature: sig,
		Features:  NewFeatureVector(FeatureStaticRemoteKey.Optional()),
		Timestamp: 1565587763,
		NodeID:    node,
		RGBColor:  RGBColor{0xff, 0x99, 0x00},
		Alias:     alias,
		Addresses: addrs,
		Extra:     ExtraTLVs{{Type: 1, Value: []byte{9}}},
	}
	aliasHex := hexString([]byte("IRATEMONK⚡")) + strings.Repeat("00", 32-len("IRATEMONK⚡"))
	addrHex := clnAddresses + "050e" + hexString([]byte("ln.example.com")) + "2607" + "07cafe"
	want := "0101" +
		hexString(sig[:]) +
		"0002" + "2000" + // features: bit 13
		"5d50f933" + // timestamp 1565587763
		hexString(node[:]) +
		"ff9900" +
		aliasHex +
		fmt.Sprintf("%04x", len(addrHex)/2) + addrHex +
		"010109"
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, want, hexString(enc))
	got, err := DecodeMessage(enc)
	require.NoError(t, err)
	require.Equal(t, m, got)
	na := got.(*NodeAnnouncement)
	require.Equal(t, "IRATEMONK⚡", na.Alias.String())
	require.Equal(t, "#ff9900", na.RGBColor.String())

	// Usable: no Tor v2, no unknown type.
	usable := na.UsableAddresses()
	require.Len(t, usable, 4)
	for _, a := range usable {
		require.NotEqual(t, AddressTorV2, a.Type)
		require.True(t, a.Type.Known())
	}
	require.NoError(t, na.Validate())

	// The first unknown type ends parsing, so bytes after it that would
	// parse as a known descriptor stay in its raw data.
	tail := testutil.Hex(t, "07"+"01c00002012607")
	list, err := decodeAddressList(tail)
	require.NoError(t, err)
	require.Equal(t, []NetAddress{{Type: 7, Addr: testutil.Hex(t, "01c00002012607")}}, list)
}

func TestNodeAnnouncementRules(t *testing.T) {
	dns := func(h string) NetAddress { return NetAddress{Type: AddressDNS, Addr: []byte(h), Port: 9735} }
	ip := NetAddress{Type: AddressIPv4, Addr: []byte{1, 2, 3, 4}, Port: 9735}
	node := randomPoint(rand.New(rand.NewSource(1)))

	// Two DNS hostnames: valid to decode, but must not be forwarded, and
	// only the first is usable.
	m := &NodeAnnouncement{NodeID: node, Addresses: []NetAddress{ip, dns("a.example"), dns("b.example")}}
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	got, err := DecodeMessage(enc)
	require.NoError(t, err)
	na := got.(*NodeAnnouncement)
	require.ErrorIs(t, na.Validate(), ErrMultipleDNSHostnames)
	require.Equal(t, []NetAddress{ip, dns("a.example")}, na.UsableAddresses())

	// Descending order, port 0 and non-ASCII names are creation errors.
	m = &NodeAnnouncement{Addresses: []NetAddress{dns("a.example"), ip}}
	require.ErrorIs(t, m.Validate(), ErrInvalidAddress)
	m = &NodeAnnouncement{Addresses: []NetAddress{{Type: AddressIPv4, Addr: []byte{1, 2, 3, 4}}, dns("bücher.example")}}
	err = m.Validate()
	require.ErrorIs(t, err, ErrInvalidAddress)
	require.Contains(t, err.Error(), "port 0")
	require.Contains(t, err.Error(), "not ASCII")
	require.Empty(t, m.UsableAddresses())

	// Alias rules.
	var a NodeAlias
	copy(a[:], "ok\x00\x00x")
	require.ErrorIs(t, a.Validate(), ErrInvalidAlias)
	copy(a[:], []byte{0xff, 0xfe})
	require.ErrorIs(t, a.Validate(), ErrInvalidAlias)
	_, err = NewNodeAlias(strings.Repeat("x", 33))
	require.ErrorIs(t, err, ErrInvalidAlias)

	// addrlen too short for a known descriptor is a decode error.
	m = &NodeAnnouncement{NodeID: node, Addresses: []NetAddress{ip}}
	enc, err = EncodeMessage(m)
	require.NoError(t, err)
	// Locate addrlen: 2 + 64 + 2 + 4 + 33 + 3 + 32 bytes in.
	off := 2 + 64 + 2 + 4 + 33 + 3 + 32
	require.Equal(t, []byte{0, 7}, enc[off:off+2])
	bad := append([]byte(nil), enc[:off]...)
	bad = append(bad, 0, 5)
	bad = append(bad, enc[off+2:off+2+5]...)
	_, err = DecodeMessage(bad)
	require.ErrorIs(t, err, ErrInvalidAddress)
	require.ErrorIs(t, err, ErrTruncated)
}

// TestGossipSignatures signs channel_announcement, node_announcement and
// channel_update with btcec over SignatureDigest and checks that the
// verifiers accept them, and reject a changed message. It also checks the
// digest against the spec's definition computed from the encoded bytes.
func TestGossipSignatures(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	key := func() *btcec.PrivateKey {
		var k [32]byte
		rng.Read(k[:])
		p, _ := btcec.PrivKeyFromBytes(k[:])
		return p
	}
	sign := func(k *btcec.PrivateKey, h chainhash.Hash) Signature {
		return NewSignature(ecdsa.Sign(k, h[:]))
	}
	// digestOf is BOLT 7's definition: double-SHA256 of the message from
	// the end of the signatures.
	digestOf := func(m Message, sigBytes int) chainhash.Hash {
		enc, err := EncodeMessage(m)
		require.NoError(t, err)
		return chainhash.DoubleHashH(enc[2+sigBytes:])
	}

	// channel_announcement: four keys.
	n1, n2, b1, b2 := key(), key(), key(), key()
	ca := &ChannelAnnouncement{
		Features:       NewFeatureVector(),
		ChainHash:      MainnetChainHash,
		ShortChannelID: ShortChannelID{BlockHeight: 800000, TxIndex: 1, OutputIndex: 0},
		NodeID1:        NewPoint(n1.PubKey()),
		NodeID2:        NewPoint(n2.PubKey()),
		BitcoinKey1:    NewPoint(b1.PubKey()),
		BitcoinKey2:    NewPoint(b2.PubKey()),
		Extra:          ExtraTLVs{{Type: 3, Value: []byte{1}}},
	}
	h, err := ca.SignatureDigest()
	require.NoError(t, err)
	require.Equal(t, digestOf(ca, 256), h)
	ca.NodeSignature1, ca.NodeSignature2 = sign(n1, h), sign(n2, h)
	ca.BitcoinSignature1, ca.BitcoinSignature2 = sign(b1, h), sign(b2, h)
	enc, err := EncodeMessage(ca)
	require.NoError(t, err)
	dec, err := DecodeMessage(enc)
	require.NoError(t, err)
	require.NoError(t, dec.(*ChannelAnnouncement).VerifySignatures())
	// Swapping two signatures breaks both.
	bad := *dec.(*ChannelAnnouncement)
	bad.NodeSignature1, bad.NodeSignature2 = bad.NodeSignature2, bad.NodeSignature1
	err = bad.VerifySignatures()
	require.ErrorIs(t, err, ErrGossipSignature)
	require.Contains(t, err.Error(), "node_signature_1")
	require.Contains(t, err.Error(), "node_signature_2")
	require.NotContains(t, err.Error(), "bitcoin_signature")
	// The extension is covered.
	bad = *dec.(*ChannelAnnouncement)
	bad.Extra = nil
	require.ErrorIs(t, bad.VerifySignatures(), ErrGossipSignature)

	// node_announcement.
	na := &NodeAnnouncement{
		Timestamp: 1,
		NodeID:    NewPoint(n1.PubKey()),
		Addresses: []NetAddress{{Type: AddressDNS, Addr: []byte("n.example"), Port: 9735}, {Type: 9, Addr: []byte{1, 2}}},
	}
	h, err = na.SignatureDigest()
	require.NoError(t, err)
	require.Equal(t, digestOf(na, 64), h)
	na.Signature = sign(n1, h)
	enc, err = EncodeMessage(na)
	require.NoError(t, err)
	dec, err = DecodeMessage(enc)
	require.NoError(t, err)
	require.NoError(t, dec.(*NodeAnnouncement).VerifySignature())
	dec.(*NodeAnnouncement).Timestamp++
	require.ErrorIs(t, dec.(*NodeAnnouncement).VerifySignature(), ErrGossipSignature)

	// channel_update: verified against the announcing node.
	cu := &ChannelUpdate{ChainHash: MainnetChainHash, ShortChannelID: ca.ShortChannelID, Timestamp: 2,
		MessageFlags: ChanUpdateMustBeOne, CLTVExpiryDelta: 80, HTLCMaximum: 1e9}
	h, err = cu.SignatureDigest()
	require.NoError(t, err)
	require.Equal(t, digestOf(cu, 64), h)
	cu.Signature = sign(n1, h)
	enc, err = EncodeMessage(cu)
	require.NoError(t, err)
	dec, err = DecodeMessage(enc)
	require.NoError(t, err)
	require.NoError(t, dec.(*ChannelUpdate).VerifySignature(ca.NodeID1))
	require.ErrorIs(t, dec.(*ChannelUpdate).VerifySignature(ca.NodeID2), ErrGossipSignature)
	// A zero signature is rejected, not a panic.
	cu.Signature = Signature{}
	require.ErrorIs(t, cu.VerifySignature(ca.NodeID1), ErrGossipSignature)
}

func TestAnnouncementSignaturesAndFilter(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	m := &AnnouncementSignatures{ShortChannelID: ShortChannelID{1, 2, 3}, NodeSignature: randomSignature(rng), BitcoinSignature: randomSignature(rng)}
	m.ChannelID[0] = 0xaa
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, "0103"+hexString(m.ChannelID[:])+"0000010000020003"+hexString(m.NodeSignature[:])+hexString(m.BitcoinSignature[:]), hexString(enc))
	// r >= n is refused.
	for i := 0; i < 32; i++ {
		enc[2+32+8+i] = 0xff
	}
	_, err = DecodeMessage(enc)
	require.ErrorIs(t, err, ErrInvalidSignature)

	f := &GossipTimestampFilter{ChainHash: RegtestChainHash, FirstTimestamp: 0xfffffff0, TimestampRange: 0x20}
	enc, err = EncodeMessage(f)
	require.NoError(t, err)
	require.Equal(t, "0109"+hexString(RegtestChainHash[:])+"fffffff0"+"00000020", hexString(enc))
	require.True(t, f.Contains(0xffffffff), "window end beyond 2^32 must not wrap")
	require.False(t, f.Contains(0xffffffef))

	e := &ReplyShortChannelIDsEnd{ChainHash: RegtestChainHash, FullInformation: 1}
	enc, err = EncodeMessage(e)
	require.NoError(t, err)
	require.Equal(t, "0106"+hexString(RegtestChainHash[:])+"01", hexString(enc))
}

// TestQueryTLVs covers each TLV of the query messages: absent, present,
// present but empty, and invalid.
func TestQueryTLVs(t *testing.T) {
	chain := hexString(RegtestChainHash[:])

	// query_option.
	base := "0107" + chain + "00000001" + "00000002"
	for _, tc := range []struct {
		tlv string
		opt *QueryOption
		err error
	}{
		{"", nil, nil},
		{"0101" + "03", ptr(QueryOptionTimestamps | QueryOptionChecksums), nil},
		{"0103" + "fd0100", ptr(QueryOption(256)), nil},
		{"0100", nil, ErrTruncated},                      // no flags
		{"0102" + "0300", nil, ErrTLVValue},              // a byte too many
		{"0103" + "fd0001", nil, ErrNonCanonicalBigSize}, // not minimal
	} {
		in := testutil.Hex(t, base+tc.tlv)
		m, err := DecodeMessage(in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.tlv)
			continue
		}
		require.NoError(t, err, tc.tlv)
		require.Equal(t, tc.opt, m.(*QueryChannelRange).QueryOption)
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, in, out)
	}

	// query_flags: needs its encoding byte.
	q := "0105" + chain + "0009" + "00" + "0000000000000001"
	for _, tc := range []struct {
		tlv string
		err error
	}{
		{"", nil},
		{"0102" + "0001", nil},
		{"0100", ErrTLVValue},
		{"0101" + "00", nil}, // no flags for one id: decodes, Flags reports it
	} {
		in := testutil.Hex(t, q+tc.tlv)
		m, err := DecodeMessage(in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.tlv)
			continue
		}
		require.NoError(t, err)
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, in, out)
		flags, err := m.(*QueryShortChannelIDs).Flags()
		switch tc.tlv {
		case "":
			require.NoError(t, err)
			require.Nil(t, flags)
		case "0101" + "00":
			require.ErrorIs(t, err, ErrListLength)
		default:
			require.NoError(t, err)
			require.Equal(t, []QueryFlags{1}, flags)
		}
	}

	// timestamps and checksums.
	r := "0108" + chain + "00000001" + "00000002" + "01" + "0009" + "00" + "0000000000000001"
	for _, tc := range []struct {
		tlv       string
		err       error
		checksums []ChannelUpdateChecksums
	}{
		{"", nil, nil},
		{"0300", nil, []ChannelUpdateChecksums{}}, // present but empty
		{"0308" + "0000000100000002", nil, []ChannelUpdateChecksums{{1, 2}}},
		{"0109" + "00" + "0000000300000004", nil, nil},
		{"0100", ErrTLVValue, nil},
		{"0307" + "00000001000000", ErrTLVValue, nil},
	} {
		in := testutil.Hex(t, r+tc.tlv)
		m, err := DecodeMessage(in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.tlv)
			continue
		}
		require.NoError(t, err, tc.tlv)
		msg := m.(*ReplyChannelRange)
		require.Equal(t, tc.checksums, msg.Checksums, tc.tlv)
		out, err := EncodeMessage(m)
		require.NoError(t, err)
		require.Equal(t, in, out)
	}
	// An empty checksums TLV for one id is a count mismatch.
	m, err := DecodeMessage(testutil.Hex(t, r+"0300"))
	require.NoError(t, err)
	require.ErrorIs(t, m.(*ReplyChannelRange).CheckChecksums(), ErrListLength)
}

func ptr[T any](v T) *T { return &v }

// zlibOf compresses b.
func zlibOf(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestEncodedListErrors(t *testing.T) {
	ids := []ShortChannelID{{1, 0, 0}, {1, 0, 1}, {2, 5, 0}}
	for _, enc := range []Encoding{EncodingUncompressed, EncodingZlib} {
		e, err := EncodeShortIDs(enc, ids)
		require.NoError(t, err)
		got, err := e.Decode()
		require.NoError(t, err)
		require.Equal(t, ids, got)

		// Unsorted and duplicate lists fail to encode, and to decode.
		for _, bad := range [][]ShortChannelID{{ids[1], ids[0]}, {ids[2], ids[2]}} {
			_, err := EncodeShortIDs(enc, bad)
			require.ErrorIs(t, err, ErrSCIDsNotAscending)
			plain := AppendShortChannelID(AppendShortChannelID(nil, bad[0]), bad[1])
			raw := append([]byte{byte(enc)}, plain...)
			if enc == EncodingZlib {
				raw = append([]byte{1}, zlibOf(t, plain)...)
			}
			_, err = EncodedShortIDs(raw).Decode()
			require.ErrorIs(t, err, ErrSCIDsNotAscending)
		}
	}
	// The uncompressed encoding is exactly the ids.
	e, err := EncodeShortIDs(EncodingUncompressed, ids)
	require.NoError(t, err)
	require.Equal(t, "00"+"0000010000000000"+"0000010000000001"+"0000020000050000", hexString(e))

	// Empty lists: no ids at all, and the leniency for a missing encoding
	// byte.
	e, err = EncodeShortIDs(EncodingUncompressed, nil)
	require.NoError(t, err)
	require.Equal(t, EncodedShortIDs{0}, e)
	got, err := EncodedShortIDs(nil).Decode()
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = EncodedShortIDs{2, 0}.Decode()
	require.ErrorIs(t, err, ErrUnknownEncoding)
	_, err = EncodeShortIDs(Encoding(2), ids)
	require.ErrorIs(t, err, ErrUnknownEncoding)
	_, err = EncodedShortIDs{0, 1, 2, 3}.Decode()
	require.ErrorIs(t, err, ErrListLength)
	_, err = EncodedShortIDs{1, 0x78, 0x9c, 0xff}.Decode()
	require.ErrorIs(t, err, ErrZlib)
	_, err = EncodedTimestamps{}.Decode()
	require.ErrorIs(t, err, ErrUnknownEncoding)
	_, err = EncodedTimestamps{0, 1, 2, 3, 4}.Decode()
	require.ErrorIs(t, err, ErrListLength)

	// Query flags must be minimal BigSizes.
	_, err = EncodedQueryFlags{0, 0xfd, 0x00, 0x01}.Decode()
	require.ErrorIs(t, err, ErrNonCanonicalBigSize)
	flags, err := EncodedQueryFlags{0, 1, 0xfd, 0x01, 0x00}.Decode()
	require.NoError(t, err)
	require.Equal(t, []QueryFlags{1, 256}, flags)
}

// TestZlibBomb checks that decompression stops at the cap: exactly the
// legitimate maximum decodes, one entry more is refused.
func TestZlibBomb(t *testing.T) {
	atCap := append([]byte{1}, zlibOf(t, make([]byte, MaxZlibSCIDBytes))...)
	ts, err := EncodedTimestamps(atCap).Decode()
	require.NoError(t, err)
	require.Len(t, ts, MaxListEntries)

	over := append([]byte{1}, zlibOf(t, make([]byte, MaxZlibSCIDBytes+8))...)
	_, err = EncodedTimestamps(over).Decode()
	require.ErrorIs(t, err, ErrListTooLarge)
	_, err = EncodedShortIDs(over).Decode()
	require.ErrorIs(t, err, ErrListTooLarge)

	// A zlib stream far smaller than a message can expand to many MB; the
	// decoder must stop long before that.
	huge := append([]byte{1}, zlibOf(t, make([]byte, 8<<20))...)
	require.Less(t, len(huge), MaxPayloadSize)
	_, err = EncodedShortIDs(huge).Decode()
	require.ErrorIs(t, err, ErrListTooLarge)
	_, err = EncodedQueryFlags(huge).Decode()
	require.ErrorIs(t, err, ErrListTooLarge)
}

// ExampleReplyChannelRange builds a reply listing three channels and reads
// the list back, as a gossip syncer would.
func ExampleReplyChannelRange() {
	reply := &ReplyChannelRange{ChainHash: MainnetChainHash, FirstBlockNum: 800000, NumberOfBlocks: 1000, SyncComplete: 1}
	ids := []ShortChannelID{{800001, 5, 0}, {800002, 1, 1}, {800500, 77, 0}}
	if err := reply.SetShortChannelIDs(EncodingUncompressed, ids); err != nil {
		fmt.Println(err)
		return
	}
	enc, _ := EncodeMessage(reply)
	msg, _ := DecodeMessage(enc)
	got, err := msg.(*ReplyChannelRange).ShortChannelIDs()
	fmt.Println(len(enc), got, err)

	// Out-of-order lists are refused.
	_, err = EncodeShortIDs(EncodingUncompressed, []ShortChannelID{ids[1], ids[0]})
	fmt.Println(errors.Is(err, ErrSCIDsNotAscending))
	// Output:
	// 70 [800001x5x0 800002x1x1 800500x77x0] <nil>
	// true
}
