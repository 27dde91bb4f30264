package onion_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Example builds an onion over three hops and peels it at each of them,
// then sends a failure back from the last hop.
func Example() {
	var keys []*btcec.PrivateKey
	for i := byte(1); i <= 3; i++ {
		k, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{i}, 32))
		keys = append(keys, k)
	}
	paymentHash := sha256.Sum256([]byte("preimage"))

	payload := func(amt wire.MilliSatoshi, cltv uint32, scid uint64, final bool) []byte {
		p := &onion.HopPayload{AmountToForward: onion.Amount(amt), OutgoingCLTV: onion.U32(cltv)}
		if !final {
			p.ShortChannelID = onion.SCID(wire.NewShortChannelIDFromUint64(scid))
		}
		b, _ := p.Encode()
		return b
	}
	hops := []onion.Hop{
		{PubKey: keys[0].PubKey(), Payload: payload(1002, 140, 7, false)},
		{PubKey: keys[1].PubKey(), Payload: payload(1000, 100, 8, false)},
		{PubKey: keys[2].PubKey(), Payload: payload(1000, 100, 0, true)},
	}
	// A fixed session key source keeps the example reproducible; pass nil
	// (crypto/rand) in real code.
	pkt, secrets, err := onion.NewPacket(bytes.NewReader(bytes.Repeat([]byte{0x41}, 32)), hops, paymentHash[:])
	if err != nil {
		panic(err)
	}

	var lastSecret [32]byte
	for i, k := range keys {
		proc := onion.NewProcessor(wire.NewPrivateNodeKey(k), onion.NewMemoryReplayLog())
		res, err := proc.Process(context.Background(), pkt, paymentHash[:], nil)
		if err != nil {
			panic(err)
		}
		p, _ := onion.DecodeHopPayload(res.Payload)
		if err := p.Validate(res.Final, false); err != nil {
			panic(err)
		}
		fmt.Printf("hop %d: amount %v, cltv %d, final %v\n", i, *p.AmountToForward, *p.OutgoingCLTV, res.Final)
		if res.Final {
			lastSecret = res.SharedSecret
			break
		}
		pkt = &res.Next
	}

	// The final hop fails the payment; hops 1 and 0 add their layers.
	reason, _ := onion.NewFailure(lastSecret, &onion.FailureMessage{Code: onion.CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: 1000, Height: 90})
	onion.ObfuscateFailure(secrets[1], reason)
	onion.ObfuscateFailure(secrets[0], reason)
	f, err := secrets.DecryptFailure(reason)
	if err != nil {
		panic(err)
	}
	fmt.Printf("failure from hop %d: %s at height %d\n", f.SourceIndex, f.Code, f.Message.Height)
	// Output:
	// hop 0: amount 1002 msat, cltv 140, final false
	// hop 1: amount 1000 msat, cltv 100, final false
	// hop 2: amount 1000 msat, cltv 100, final true
	// failure from hop 2: incorrect_or_unknown_payment_details at height 90
}
