package wire

import (
	"errors"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func init() {
	register(MsgChannelAnnouncement, "channel_announcement", func() Message { return new(ChannelAnnouncement) })
}

// channelAnnouncementSigLen is the size of the four signatures that the
// announcement's own signatures do not cover.
const channelAnnouncementSigLen = 4 * 64

// ChannelAnnouncement proves that a channel exists between two nodes and
// ties each node key to its funding key (BOLT 7, "The channel_announcement
// Message").
type ChannelAnnouncement struct {
	NodeSignature1    Signature
	NodeSignature2    Signature
	BitcoinSignature1 Signature
	BitcoinSignature2 Signature
	// Features are the channel's features (BOLT 9 context C).
	Features       FeatureVector
	ChainHash      ChainHash
	ShortChannelID ShortChannelID
	// NodeID1 must be the lexicographically lesser of the two node keys.
	NodeID1     Point
	NodeID2     Point
	BitcoinKey1 Point
	BitcoinKey2 Point
	// Extra holds unknown odd TLV records of the extension. They are
	// covered by the signatures.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ChannelAnnouncement) MsgType() MessageType { return MsgChannelAnnouncement }

// AppendPayload implements Message.
func (m *ChannelAnnouncement) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.NodeSignature1[:]...)
	b = append(b, m.NodeSignature2[:]...)
	b = append(b, m.BitcoinSignature1[:]...)
	b = append(b, m.BitcoinSignature2[:]...)
	b, err := AppendFeatureVector(b, m.Features)
	if err != nil {
		return b, err
	}
	b = append(b, m.ChainHash[:]...)
	b = AppendShortChannelID(b, m.ShortChannelID)
	b = append(b, m.NodeID1[:]...)
	b = append(b, m.NodeID2[:]...)
	b = append(b, m.BitcoinKey1[:]...)
	b = append(b, m.BitcoinKey2[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *ChannelAnnouncement) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.NodeSignature1 = r.Signature("node_signature_1")
	m.NodeSignature2 = r.Signature("node_signature_2")
	m.BitcoinSignature1 = r.Signature("bitcoin_signature_1")
	m.BitcoinSignature2 = r.Signature("bitcoin_signature_2")
	m.Features = r.FeatureVector("features")
	r.Copy(m.ChainHash[:], "chain_hash")
	m.ShortChannelID = r.ShortChannelID("short_channel_id")
	m.NodeID1 = r.Point("node_id_1")
	m.NodeID2 = r.Point("node_id_2")
	m.BitcoinKey1 = r.Point("bitcoin_key_1")
	m.BitcoinKey2 = r.Point("bitcoin_key_2")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// SignatureDigest returns the hash all four signatures sign: the
// double-SHA256 of the message after the signatures (from payload offset
// 256 to the end, extension included).
func (m *ChannelAnnouncement) SignatureDigest() (chainhash.Hash, error) {
	return gossipDigest(m, channelAnnouncementSigLen)
}

// VerifySignatures checks the four signatures against their keys. The
// caller still has to check that the funding output at ShortChannelID pays
// to BitcoinKey1 and BitcoinKey2. The error wraps ErrGossipSignature and
// names every failing signature.
func (m *ChannelAnnouncement) VerifySignatures() error {
	h, err := m.SignatureDigest()
	if err != nil {
		return err
	}
	return errors.Join(
		verifyGossipSig(m.NodeSignature1, m.NodeID1, h, "node_signature_1"),
		verifyGossipSig(m.NodeSignature2, m.NodeID2, h, "node_signature_2"),
		verifyGossipSig(m.BitcoinSignature1, m.BitcoinKey1, h, "bitcoin_signature_1"),
		verifyGossipSig(m.BitcoinSignature2, m.BitcoinKey2, h, "bitcoin_signature_2"),
	)
}
