package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// MessageType is the 2-byte type that starts every Lightning message.
type MessageType uint16

// Message types of BOLT 1, 2, 4 and 7.
const (
	MsgWarning              MessageType = 1
	MsgStfu                 MessageType = 2
	MsgPeerStorage          MessageType = 7
	MsgPeerStorageRetrieval MessageType = 9
	MsgInit                 MessageType = 16
	MsgError                MessageType = 17
	MsgPing                 MessageType = 18
	MsgPong                 MessageType = 19

	MsgOpenChannel     MessageType = 32
	MsgAcceptChannel   MessageType = 33
	MsgFundingCreated  MessageType = 34
	MsgFundingSigned   MessageType = 35
	MsgChannelReady    MessageType = 36
	MsgShutdown        MessageType = 38
	MsgClosingSigned   MessageType = 39
	MsgClosingComplete MessageType = 40
	MsgClosingSig      MessageType = 41

	MsgOpenChannel2   MessageType = 64
	MsgAcceptChannel2 MessageType = 65
	MsgTxAddInput     MessageType = 66
	MsgTxAddOutput    MessageType = 67
	MsgTxRemoveInput  MessageType = 68
	MsgTxRemoveOutput MessageType = 69
	MsgTxComplete     MessageType = 70
	MsgTxSignatures   MessageType = 71
	MsgTxInitRBF      MessageType = 72
	MsgTxAckRBF       MessageType = 73
	MsgTxAbort        MessageType = 74
	MsgSpliceLocked   MessageType = 77
	MsgSpliceInit     MessageType = 80
	MsgSpliceAck      MessageType = 81

	MsgStartBatch              MessageType = 127
	MsgUpdateAddHTLC           MessageType = 128
	MsgUpdateFulfillHTLC       MessageType = 130
	MsgUpdateFailHTLC          MessageType = 131
	MsgCommitmentSigned        MessageType = 132
	MsgRevokeAndAck            MessageType = 133
	MsgUpdateFee               MessageType = 134
	MsgUpdateFailMalformedHTLC MessageType = 135
	MsgChannelReestablish      MessageType = 136

	MsgChannelAnnouncement     MessageType = 256
	MsgNodeAnnouncement        MessageType = 257
	MsgChannelUpdate           MessageType = 258
	MsgAnnouncementSignatures  MessageType = 259
	MsgQueryShortChannelIDs    MessageType = 261
	MsgReplyShortChannelIDsEnd MessageType = 262
	MsgQueryChannelRange       MessageType = 263
	MsgReplyChannelRange       MessageType = 264
	MsgGossipTimestampFilter   MessageType = 265
	MsgOnionMessage            MessageType = 513
)

// MaxMessageSize is the largest message, type included, that the BOLT 8
// transport can carry.
const MaxMessageSize = 65535

// MaxPayloadSize is the largest payload (a message less its 2-byte type).
const MaxPayloadSize = MaxMessageSize - 2

// Message is a decoded Lightning message. Every implementation in this
// package keeps the unknown odd records of its TLV extension and writes them
// back, so that decoding and encoding are exact inverses.
//
// Unlike btcd's wire.Message there is no per-message maximum payload: any
// message may carry a TLV extension, so the only bound is the transport's
// 65535 bytes, which DecodeMessage and AppendMessage enforce.
type Message interface {
	// MsgType returns the message's type.
	MsgType() MessageType

	// AppendPayload appends the encoded payload (everything after the
	// 2-byte type) to b. With enough capacity in b it does not allocate.
	AppendPayload(b []byte) ([]byte, error)

	// DecodePayload replaces the message's contents with those decoded
	// from payload. The message keeps no reference to payload.
	DecodePayload(payload []byte) error
}

// registry maps message types to constructors and names. It is written only
// by init functions, so reads need no lock.
var registry struct {
	makers map[MessageType]func() Message
	names  map[MessageType]string
}

// register adds a message type to the table DecodeMessage consults. It is
// called from the init functions of the message files.
func register(t MessageType, name string, mk func() Message) {
	if registry.makers == nil {
		registry.makers = make(map[MessageType]func() Message)
		registry.names = make(map[MessageType]string)
	}
	if _, dup := registry.makers[t]; dup {
		panic(fmt.Sprintf("wire: message type %d registered twice", t))
	}
	registry.makers[t] = mk
	registry.names[t] = name
}

// NewMessage returns an empty message of type t, or nil when this package
// does not know t.
func NewMessage(t MessageType) Message {
	mk := registry.makers[t]
	if mk == nil {
		return nil
	}
	return mk()
}

// KnownMessageTypes returns every message type this package decodes, in
// increasing order.
func KnownMessageTypes() []MessageType {
	ts := make([]MessageType, 0, len(registry.makers))
	for t := range registry.makers {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// String returns the spec's name for the type, such as "update_add_htlc",
// or "unknown_<n>".
func (t MessageType) String() string {
	n, ok := registry.names[t]
	if ok {
		return n
	}
	return fmt.Sprintf("unknown_%d", uint16(t))
}

// IsOdd reports whether the type is odd. BOLT 1 lets a node ignore unknown
// odd messages; an unknown even message must fail the connection.
func (t MessageType) IsOdd() bool { return t%2 == 1 }

// UnknownMessage is a message of a type this package does not know. It
// carries the payload unparsed so a host can handle its own custom messages.
type UnknownMessage struct {
	Type    MessageType
	Payload []byte
}

// MsgType implements Message.
func (m *UnknownMessage) MsgType() MessageType { return m.Type }

// AppendPayload implements Message.
func (m *UnknownMessage) AppendPayload(b []byte) ([]byte, error) { return append(b, m.Payload...), nil }

// DecodePayload implements Message.
func (m *UnknownMessage) DecodePayload(p []byte) error {
	m.Payload = slices.Clone(p)
	return nil
}

// DecodeMessage decodes one whole message: a 2-byte type and its payload.
//
// For a type this package does not know it returns an *UnknownMessage. If
// that type is odd the error is nil, and the caller may ignore the message;
// if it is even the error wraps ErrUnknownEvenMessage and the caller must
// fail the connection (BOLT 1, "Lightning Message Format").
//
// Any other failure is a *MessageError naming the type.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("wire: message type: %w", ErrTruncated)
	}
	if len(b) > MaxMessageSize {
		return nil, ErrMessageTooLarge
	}
	t := MessageType(binary.BigEndian.Uint16(b))
	m := NewMessage(t)
	if m == nil {
		u := &UnknownMessage{Type: t, Payload: slices.Clone(b[2:])}
		if !t.IsOdd() {
			return u, &MessageError{Type: t, Err: ErrUnknownEvenMessage}
		}
		return u, nil
	}
	if err := m.DecodePayload(b[2:]); err != nil {
		return nil, &MessageError{Type: t, Err: err}
	}
	return m, nil
}

// AppendMessage appends the type and payload of m to b. It fails, leaving b
// as it was, if the result would exceed MaxMessageSize.
func AppendMessage(b []byte, m Message) ([]byte, error) {
	start := len(b)
	out, err := m.AppendPayload(AppendU16(b, uint16(m.MsgType())))
	if err != nil {
		return b, &MessageError{Type: m.MsgType(), Err: err}
	}
	if len(out)-start > MaxMessageSize {
		return b, &MessageError{Type: m.MsgType(), Err: ErrMessageTooLarge}
	}
	return out, nil
}

// EncodeMessage returns the encoding of m in a new slice.
func EncodeMessage(m Message) ([]byte, error) { return AppendMessage(nil, m) }

// WriteMessage encodes m and writes it to w in one Write call: the bare
// type and payload, with no length and no encryption. That suits a file or
// a test buffer; on a Lightning connection each message must go out as its
// own BOLT 8 frame, which is what peer.Transport.WriteMessage does.
//
// There is deliberately no ReadMessage counterpart. A Lightning message
// carries no length of its own (BOLT 8 frames it), so a reader cannot find
// where one message ends in a stream the way btcd's wire.ReadMessage does
// with bitcoin's message header. Read one message with
// peer.Transport.ReadMessage on a connection, or read the whole input (a
// file holding one message) and call DecodeMessage.
func WriteMessage(w io.Writer, m Message) (int, error) {
	b, err := EncodeMessage(m)
	if err != nil {
		return 0, err
	}
	return w.Write(b)
}
