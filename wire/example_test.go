package wire_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// Example decodes a ping, answers it, and shows how unknown message types
// are reported.
func Example() {
	raw, _ := hex.DecodeString("0012" + "0004" + "0002" + "0000")
	msg, err := wire.DecodeMessage(raw)
	if err != nil {
		panic(err)
	}
	ping := msg.(*wire.Ping)
	fmt.Println(msg.MsgType(), "wants", ping.NumPongBytes, "bytes")

	pong, _ := wire.EncodeMessage(&wire.Pong{Padding: make([]byte, ping.NumPongBytes)})
	fmt.Printf("%x\n", pong)

	// An unknown odd message may be ignored; an unknown even one may not.
	_, err = wire.DecodeMessage([]byte{0x80, 0x01})
	fmt.Println("odd:", err)
	_, err = wire.DecodeMessage([]byte{0x80, 0x00})
	fmt.Println("even:", errors.Is(err, wire.ErrUnknownEvenMessage))
	// Output:
	// ping wants 4 bytes
	// 0013000400000000
	// odd: <nil>
	// even: true
}

// ExampleFeatureVector checks a peer's features the way BOLT 1 requires.
func ExampleFeatureVector() {
	features := wire.NewFeatureVector(
		wire.FeatureStaticRemoteKey,
		wire.FeatureZeroConf.Optional(),
		100, // an even bit nobody knows
	)
	fmt.Println(features)
	err := features.Validate(wire.ContextInit)
	fmt.Println(errors.Is(err, wire.ErrUnknownRequiredFeature), err)
	// Output:
	// [option_static_remotekey(12) option_zeroconf(51) 100]
	// true wire: unknown required feature: 100
}

// ExampleShortChannelID converts between the forms of a short channel id.
func ExampleShortChannelID() {
	scid, _ := wire.ParseShortChannelID("539268x845x1")
	fmt.Printf("%d %v\n", scid.ToUint64(), wire.NewShortChannelIDFromUint64(scid.ToUint64()))
	// Output:
	// 592931436542885889 539268x845x1
}
