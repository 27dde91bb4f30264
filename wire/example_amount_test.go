package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/wire"
)

// ExampleAmountError shows a closing_signed whose fee_satoshis, a u64, is
// 2^63+5: read into a btcutil.Amount it would be negative, so the decoder
// refuses it and names the field.
func ExampleAmountError() {
	msg := &wire.ClosingSigned{Fee: 1000}
	raw, _ := wire.EncodeMessage(msg)
	// fee_satoshis follows the 2-byte type and the 32-byte channel_id.
	copy(raw[2+32:], []byte{0x80, 0, 0, 0, 0, 0, 0, 5})

	_, err := wire.DecodeMessage(raw)
	var ae *wire.AmountError
	if errors.As(err, &ae) {
		fmt.Println(ae.Field, errors.Is(err, wire.ErrAmountRange))
	}

	// Encoders refuse such amounts too, rather than wrap them.
	msg.Fee = btcutil.MaxSatoshi + 1
	_, err = wire.EncodeMessage(msg)
	fmt.Println(err)
	// Output:
	// fee_satoshis true
	// wire: closing_signed: fee_satoshis: 2100000000000001 sat is outside [0, 2100000000000000]: wire: satoshi amount outside the bitcoin supply
}

// ExampleDecodeMessage_reader decodes a message stored alone in a file or
// any other reader. A Lightning message carries no length (BOLT 8 frames
// it on a connection), so the whole input is the message: read it, with
// a bound, and decode it. On a connection use peer.Transport.ReadMessage.
func ExampleDecodeMessage_reader() {
	var file bytes.Buffer
	wire.WriteMessage(&file, &wire.Ping{NumPongBytes: 4, Padding: []byte{0, 0}})

	raw, err := io.ReadAll(io.LimitReader(&file, wire.MaxMessageSize+1))
	if err != nil {
		panic(err)
	}
	msg, err := wire.DecodeMessage(raw)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %+v\n", msg.MsgType(), *msg.(*wire.Ping))
	// Output:
	// ping {NumPongBytes:4 Padding:[0 0] Extra:[]}
}
