package wtclient

import (
	"encoding/binary"
	"fmt"
)

// MessageType is the 2-byte big-endian type that starts every watchtower
// message. lnd's watchtower protocol numbers its messages from 600, apart
// from the Lightning messages of BOLT 1, and puts no length or checksum
// around them: one BOLT 8 frame carries one message.
type MessageType uint16

// The message types of lnd's watchtower protocol (watchtower/wtwire).
const (
	MsgInit               MessageType = 600
	MsgError              MessageType = 601
	MsgCreateSession      MessageType = 602
	MsgCreateSessionReply MessageType = 603
	MsgStateUpdate        MessageType = 604
	MsgStateUpdateReply   MessageType = 605
	MsgDeleteSession      MessageType = 606
	MsgDeleteSessionReply MessageType = 607
)

// String names the message type.
func (t MessageType) String() string {
	switch t {
	case MsgInit:
		return "Init"
	case MsgError:
		return "Error"
	case MsgCreateSession:
		return "CreateSession"
	case MsgCreateSessionReply:
		return "CreateSessionReply"
	case MsgStateUpdate:
		return "StateUpdate"
	case MsgStateUpdateReply:
		return "StateUpdateReply"
	case MsgDeleteSession:
		return "DeleteSession"
	case MsgDeleteSessionReply:
		return "DeleteSessionReply"
	default:
		return fmt.Sprintf("MessageType(%d)", uint16(t))
	}
}

// MaxMessageSize is the largest encoded message (type included): one BOLT
// 8 frame.
const MaxMessageSize = 65535

// Message is one message of lnd's watchtower protocol.
type Message interface {
	// MsgType returns the message's type.
	MsgType() MessageType
	// AppendPayload appends the payload (everything after the type).
	AppendPayload(b []byte) ([]byte, error)
	// DecodePayload replaces the message's content with the payload p.
	// The message does not keep p.
	DecodePayload(p []byte) error
}

// EncodeMessage returns m's type followed by its payload. It fails with
// ErrMessageTooLarge when the result passes MaxMessageSize.
func EncodeMessage(m Message) ([]byte, error) {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 64), uint16(m.MsgType()))
	b, err := m.AppendPayload(b)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %v of %d bytes", ErrMessageTooLarge, m.MsgType(), len(b))
	}
	return b, nil
}

// DecodeMessage decodes one message: a 2-byte type and its payload. An
// unknown type gives an error wrapping ErrUnknownMessage, a bad payload one
// wrapping ErrMalformed.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) < 2 {
		return nil, malformed("message of %d bytes has no type", len(b))
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(b))
	}
	var m Message
	switch t := MessageType(binary.BigEndian.Uint16(b)); t {
	case MsgInit:
		m = new(Init)
	case MsgError:
		m = new(Error)
	case MsgCreateSession:
		m = new(CreateSession)
	case MsgCreateSessionReply:
		m = new(CreateSessionReply)
	case MsgStateUpdate:
		m = new(StateUpdate)
	case MsgStateUpdateReply:
		m = new(StateUpdateReply)
	case MsgDeleteSession:
		m = new(DeleteSession)
	case MsgDeleteSessionReply:
		m = new(DeleteSessionReply)
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnknownMessage, uint16(t))
	}
	if err := m.DecodePayload(b[2:]); err != nil {
		return nil, fmt.Errorf("%v: %w", m.MsgType(), err)
	}
	return m, nil
}

// reader is a cursor over a payload with a sticky first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = malformed("%s: need %d bytes, %d left", field, n, len(r.b))
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(field string) uint8 {
	if v := r.take(1, field); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if v := r.take(2, field); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if v := r.take(4, field); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if v := r.take(8, field); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// copyTo fills dst from the next len(dst) bytes.
func (r *reader) copyTo(dst []byte, field string) {
	if v := r.take(len(dst), field); v != nil {
		copy(dst, v)
	}
}

// varBytes reads a byte string with a Bitcoin CompactSize length, as btcd's
// wire.ReadVarBytes does: the length must be canonical (the shortest
// encoding) and at most max and what is left. The result is a copy (nil
// when empty).
func (r *reader) varBytes(max int, field string) []byte {
	if r.err != nil {
		return nil
	}
	n, used, err := compactSize(r.b)
	if err != nil {
		r.err = fmt.Errorf("%s: %w", field, err)
		r.b = nil
		return nil
	}
	if n > uint64(max) {
		r.err = fmt.Errorf("%w: %s: %d bytes, at most %d", ErrMessageTooLarge, field, n, max)
		r.b = nil
		return nil
	}
	if n > uint64(len(r.b)-used) {
		r.err = malformed("%s: length %d, %d bytes left", field, n, len(r.b)-used)
		r.b = nil
		return nil
	}
	r.b = r.b[used:]
	v := r.take(int(n), field)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

// rest returns a copy of what is left (nil when nothing is).
func (r *reader) rest() []byte {
	if r.err != nil || len(r.b) == 0 {
		return nil
	}
	v := append([]byte(nil), r.b...)
	r.b = nil
	return v
}

// compactSize decodes a canonical Bitcoin CompactSize integer.
func compactSize(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, malformed("missing CompactSize")
	}
	var n uint64
	var used int
	var min uint64
	switch b[0] {
	case 0xfd:
		used, min = 3, 0xfd
	case 0xfe:
		used, min = 5, 0x10000
	case 0xff:
		used, min = 9, 0x100000000
	default:
		return uint64(b[0]), 1, nil
	}
	if len(b) < used {
		return 0, 0, malformed("truncated CompactSize")
	}
	switch used {
	case 3:
		n = uint64(binary.LittleEndian.Uint16(b[1:]))
	case 5:
		n = uint64(binary.LittleEndian.Uint32(b[1:]))
	default:
		n = binary.LittleEndian.Uint64(b[1:])
	}
	if n < min {
		return 0, 0, malformed("non-canonical CompactSize %d", n)
	}
	return n, used, nil
}

// appendVarBytes appends v with its CompactSize length (btcd's
// wire.WriteVarBytes).
func appendVarBytes(b, v []byte) []byte {
	n := uint64(len(v))
	switch {
	case n < 0xfd:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = binary.LittleEndian.AppendUint16(append(b, 0xfd), uint16(n))
	case n <= 0xffffffff:
		b = binary.LittleEndian.AppendUint32(append(b, 0xfe), uint32(n))
	default:
		b = binary.LittleEndian.AppendUint64(append(b, 0xff), n)
	}
	return append(b, v...)
}
