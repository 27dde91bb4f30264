package onion

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// Sizes of an onion_message_packet's onionmsg_payloads.
const (
	// MessagePayloadsSize and LargeMessagePayloadsSize are the sizes BOLT
	// 4 recommends, so that onion messages look alike.
	MessagePayloadsSize      = 1300
	LargeMessagePayloadsSize = 32768
	// MinMessagePayloadsSize is the least room one hop can take: the
	// one-byte length of an empty payload (BOLT 4 allows length 0 in
	// onion messages) and the next HMAC.
	MinMessagePayloadsSize = 1 + HMACSize
	// MaxMessagePacketSize is the longest onion_message_packet an
	// onion_message can carry (its len is a u16), and
	// MaxMessagePayloadsSize the onionmsg_payloads of such a packet.
	MaxMessagePacketSize   = 0xffff
	MaxMessagePayloadsSize = MaxMessagePacketSize - packetOverhead
)

// TLV types of onionmsg_tlv (BOLT 4 "Onion Messages").
const (
	TypeMsgReplyPath              = 2
	TypeMsgEncryptedRecipientData = 4
	// MinFinalMessageType is the first type reserved for payloads of the
	// final hop (BOLT 12 messages use them).
	MinFinalMessageType = 64
)

// NewMessagePacket builds an onion_message_packet for hops (blinded node
// ids with onionmsg_tlv payloads), with no associated data as the spec
// requires. size is the hop_payloads length, at most
// MaxMessagePayloadsSize; 0 picks 1300 bytes, or 32768 when the payloads
// need more.
func NewMessagePacket(rnd io.Reader, hops []Hop, size int) (*Packet, error) {
	sk, err := readSessionKey(rnd)
	if err != nil {
		return nil, err
	}
	return newMessagePacket(&sk, hops, size)
}

// NewMessagePacketWithSessionKey is NewMessagePacket with an explicit
// session key.
func NewMessagePacketWithSessionKey(sessionKey []byte, hops []Hop, size int) (*Packet, error) {
	sk, err := parseScalar(sessionKey)
	if err != nil {
		return nil, err
	}
	return newMessagePacket(&sk, hops, size)
}

func newMessagePacket(sk *btcec.ModNScalar, hops []Hop, size int) (*Packet, error) {
	if size == 0 {
		size = MessagePayloadsSize
		if RouteSize(hops) > size {
			size = LargeMessagePayloadsSize
		}
	}
	if size < MinMessagePayloadsSize || size > MaxMessagePayloadsSize {
		return nil, fmt.Errorf("%w: onionmsg_payloads of %d bytes, want %d to %d", ErrPacketSize, size, MinMessagePayloadsSize, MaxMessagePayloadsSize)
	}
	pkt, _, err := buildPacket(sk, hops, nil, size)
	return pkt, err
}

// MessagePayload is a decoded onionmsg_tlv.
type MessagePayload struct {
	// ReplyPath is reply_path, for the final hop.
	ReplyPath *BlindedPath
	// EncryptedRecipientData is encrypted_recipient_data.
	EncryptedRecipientData []byte
	// FinalRecords are the records of type 64 and above, for the final
	// hop's application (BOLT 12 invoice_request and so on).
	FinalRecords []wire.TLVRecord
	// Extra holds unknown odd records below 64.
	Extra wire.ExtraTLVs
}

// DecodeMessagePayload decodes an onionmsg_tlv stream.
func DecodeMessagePayload(b []byte) (*MessagePayload, error) {
	m := &MessagePayload{}
	tr := wire.NewTLVReader(b)
	for tr.Next() {
		v := tr.Value()
		switch typ := tr.Type(); {
		case typ == TypeMsgReplyPath:
			p, err := decodeBlindedPath(v)
			if err != nil {
				tr.Fail(err)
			}
			m.ReplyPath = p
		case typ == TypeMsgEncryptedRecipientData:
			m.EncryptedRecipientData = slices.Clone(v)
			if m.EncryptedRecipientData == nil {
				m.EncryptedRecipientData = []byte{}
			}
		case typ >= MinFinalMessageType:
			m.FinalRecords = append(m.FinalRecords, wire.TLVRecord{Type: typ, Value: slices.Clone(v)})
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	if err := tr.Err(); err != nil {
		return nil, fmt.Errorf("%w: onionmsg_tlv: %v", ErrInvalidPayload, err)
	}
	return m, nil
}

// Encode returns the onionmsg_tlv stream.
func (m *MessagePayload) Encode() ([]byte, error) {
	extra := append(slices.Clone([]wire.TLVRecord(m.Extra)), m.FinalRecords...)
	slices.SortFunc(extra, func(a, b wire.TLVRecord) int {
		if a.Type < b.Type {
			return -1
		}
		if a.Type > b.Type {
			return 1
		}
		return 0
	})
	w := wire.NewTLVWriter(nil, extra)
	if m.ReplyPath != nil {
		rp, err := m.ReplyPath.Encode()
		if err != nil {
			return nil, err
		}
		w.Bytes(TypeMsgReplyPath, rp)
	}
	if m.EncryptedRecipientData != nil {
		w.Bytes(TypeMsgEncryptedRecipientData, m.EncryptedRecipientData)
	}
	return w.Finish()
}

// Encode returns the blinded_path subtype: first_node_id, first path key,
// num_hops and each hop's blinded_node_id and encrypted_recipient_data.
func (p *BlindedPath) Encode() ([]byte, error) {
	if len(p.Hops) > 255 {
		return nil, fmt.Errorf("onion: blinded path of %d hops", len(p.Hops))
	}
	b := append([]byte(nil), p.IntroductionNode.SerializeCompressed()...)
	b = append(b, p.FirstPathKey.SerializeCompressed()...)
	b = append(b, byte(len(p.Hops)))
	for _, h := range p.Hops {
		b = append(b, h.BlindedNodeID.SerializeCompressed()...)
		var err error
		if b, err = wire.AppendVarBytes16(b, h.EncryptedData); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func decodeBlindedPath(v []byte) (*BlindedPath, error) {
	r := wire.NewReader(v)
	intro, key := r.Point("first_node_id"), r.Point("first_path_key")
	n := int(r.U8("num_hops"))
	if r.Err() == nil && n*(33+2) > r.Len() {
		return nil, fmt.Errorf("blinded_path: %d hops do not fit in %d bytes", n, r.Len())
	}
	p := &BlindedPath{}
	pts := []wire.Point{intro, key}
	hops := make([]wire.Point, n)
	datas := make([][]byte, n)
	for i := 0; i < n; i++ {
		hops[i] = r.Point("blinded_node_id")
		datas[i] = r.VarBytes16("encrypted_recipient_data")
	}
	if r.Len() != 0 && r.Err() == nil {
		return nil, fmt.Errorf("blinded_path: %d trailing bytes", r.Len())
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("blinded_path: %w", err)
	}
	var err error
	if p.IntroductionNode, err = pts[0].PublicKey(); err != nil {
		return nil, err
	}
	if p.FirstPathKey, err = pts[1].PublicKey(); err != nil {
		return nil, err
	}
	for i := range hops {
		k, err := hops[i].PublicKey()
		if err != nil {
			return nil, err
		}
		if datas[i] == nil {
			datas[i] = []byte{}
		}
		p.Hops = append(p.Hops, BlindedHop{BlindedNodeID: k, EncryptedData: datas[i]})
	}
	return p, nil
}

// MessageHop is what a node learns from an onion message addressed to it.
type MessageHop struct {
	// Payload is the decoded onionmsg_tlv.
	Payload *MessagePayload
	// Recipient is the decrypted encrypted_recipient_data.
	Recipient *RecipientData
	// Final reports whether this node is the destination.
	Final bool
	// Next is the onion_message to forward (Final false): send it to
	// NextNodeID.
	Next *wire.OnionMessage
	// NextNodeID is next_node_id from the recipient data.
	NextNodeID *btcec.PublicKey
}

// ProcessMessage peels an onion_message addressed to this node (BOLT 4
// "Onion Messages", reader requirements). Messages that break the rules
// are to be ignored: every error here means "drop the message".
func (p *Processor) ProcessMessage(ctx context.Context, m *wire.OnionMessage) (*MessageHop, error) {
	pathKey, err := m.PathKey.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: path_key: %v", ErrInvalidBlinding, err)
	}
	pkt, err := DecodeMessagePacket(m.Packet)
	if err != nil {
		return nil, err
	}
	res, err := p.process(ctx, pkt, nil, &ProcessOptions{PathKey: pathKey}, true)
	if err != nil {
		return nil, err
	}
	payload, err := DecodeMessagePayload(res.Payload)
	if err != nil {
		return nil, err
	}
	if payload.EncryptedRecipientData == nil {
		return nil, fmt.Errorf("%w: no encrypted_recipient_data", ErrInvalidBlinding)
	}
	rd, err := res.DecryptRecipientData(payload.EncryptedRecipientData)
	if err != nil {
		return nil, err
	}
	hop := &MessageHop{Payload: payload, Recipient: rd, Final: res.Final}
	if res.Final {
		return hop, nil
	}
	if payload.ReplyPath != nil || len(payload.FinalRecords) > 0 || len(payload.Extra) > 0 {
		return nil, fmt.Errorf("%w: forwarding onionmsg_tlv has fields besides encrypted_recipient_data", ErrInvalidPayload)
	}
	if rd.Data.PathID != nil {
		return nil, fmt.Errorf("%w: path_id at a forwarding hop", ErrInvalidBlinding)
	}
	if rd.Data.NextNodeID == nil {
		return nil, fmt.Errorf("%w: no next_node_id", ErrInvalidBlinding)
	}
	if hop.NextNodeID, err = rd.Data.NextNodeID.PublicKey(); err != nil {
		return nil, err
	}
	hop.Next = &wire.OnionMessage{PathKey: wire.NewPoint(rd.NextPathKey), Packet: res.Next.Encode()}
	return hop, nil
}
