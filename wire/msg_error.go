package wire

import (
	"encoding/hex"
	"fmt"
)

func init() {
	register(MsgError, "error", func() Message { return new(Error) })
	register(MsgWarning, "warning", func() Message { return new(Warning) })
}

// Error tells the peer that something is wrong and fails the channel it
// names, or every channel with the peer when ChannelID is all zeros (BOLT 1,
// "The error and warning Messages"). It also implements the error
// interface, so a host can return a received error as a Go error.
type Error struct {
	// ChannelID names the channel; all zeros means every channel.
	ChannelID ChannelID
	// Data is the free-form explanation. It may hold anything; see
	// DataString before printing it.
	Data []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Error) MsgType() MessageType { return MsgError }

// AppendPayload implements Message.
func (m *Error) AppendPayload(b []byte) ([]byte, error) {
	return appendErrorPayload(b, &m.ChannelID, m.Data, m.Extra)
}

// DecodePayload implements Message.
func (m *Error) DecodePayload(p []byte) error {
	m.Extra = nil
	return decodeErrorPayload(p, &m.ChannelID, &m.Data, &m.Extra)
}

// Error implements the error interface: "peer error for channel <id>:
// <data>", with Data shown as DataString does.
func (m *Error) Error() string {
	return describeError("peer error", m.ChannelID, m.Data)
}

// DataString returns Data as text when it is all printable ASCII, and in
// hex otherwise (BOLT 1: a node SHOULD NOT print other data verbatim).
func (m *Error) DataString() string { return printableData(m.Data) }

// Warning reports a problem without failing any channel (BOLT 1, "The
// error and warning Messages").
type Warning struct {
	// ChannelID names the channel; all zeros means the warning concerns
	// no particular channel.
	ChannelID ChannelID
	// Data is the free-form explanation; see DataString before printing.
	Data []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Warning) MsgType() MessageType { return MsgWarning }

// AppendPayload implements Message.
func (m *Warning) AppendPayload(b []byte) ([]byte, error) {
	return appendErrorPayload(b, &m.ChannelID, m.Data, m.Extra)
}

// DecodePayload implements Message.
func (m *Warning) DecodePayload(p []byte) error {
	m.Extra = nil
	return decodeErrorPayload(p, &m.ChannelID, &m.Data, &m.Extra)
}

// DataString returns Data as text when it is all printable ASCII, and in
// hex otherwise.
func (m *Warning) DataString() string { return printableData(m.Data) }

// String describes the warning like Error.Error does.
func (m *Warning) String() string { return describeError("peer warning", m.ChannelID, m.Data) }

// appendErrorPayload encodes the layout shared by error and warning.
func appendErrorPayload(b []byte, id *ChannelID, data []byte, extra ExtraTLVs) ([]byte, error) {
	b = append(b, id[:]...)
	b, err := AppendVarBytes16(b, data)
	if err != nil {
		return b, fmt.Errorf("data: %w", err)
	}
	return AppendTLVStream(b, extra)
}

// decodeErrorPayload decodes the layout shared by error and warning.
func decodeErrorPayload(p []byte, id *ChannelID, data *[]byte, extra *ExtraTLVs) error {
	r := NewReader(p)
	r.Copy(id[:], "channel_id")
	*data = r.VarBytes16("data")
	return decodeExtension(&r, extra)
}

// describeError formats an error or warning for logs.
func describeError(kind string, id ChannelID, data []byte) string {
	scope := "all channels"
	if !id.IsAll() {
		scope = "channel " + id.String()
	}
	return fmt.Sprintf("%s for %s: %s", kind, scope, printableData(data))
}

// printableData returns data verbatim if every byte is printable ASCII
// (32 to 126), and as "hex:<hex>" otherwise.
func printableData(data []byte) string {
	for _, c := range data {
		if c < 32 || c > 126 {
			return "hex:" + hex.EncodeToString(data)
		}
	}
	return string(data)
}
