package onion_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// ExampleSharedSecrets_DecryptAttributedFailure sends a failure back over
// three hops with attribution data, then a fulfill, and shows what the
// origin learns: the failing hop and every hop's hold time, and which hop
// to blame when a hop tampers with the data.
func ExampleSharedSecrets_DecryptAttributedFailure() {
	var hops []onion.Hop
	for i := byte(1); i <= 3; i++ {
		_, pub := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{i}, 32))
		hops = append(hops, onion.Hop{PubKey: pub, Payload: []byte{2, 1, 1}})
	}
	// The origin keeps the shared secrets; each hop holds its own from
	// processing the onion (the same values).
	_, secrets, err := onion.NewPacket(bytes.NewReader(bytes.Repeat([]byte{0x41}, 32)), hops, nil)
	if err != nil {
		panic(err)
	}
	holds := []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond, 100 * time.Millisecond}

	// Hop 2 fails the HTLC; hops 1 and 0 add their layers on the way back.
	reason, ad, err := onion.NewAttributedFailure(secrets[2], &onion.FailureMessage{Code: onion.CodeTemporaryNodeFailure}, holds[2])
	if err != nil {
		panic(err)
	}
	for i := 1; i >= 0; i-- {
		ad = onion.ObfuscateAttributedFailure(secrets[i], holds[i], reason, ad)
	}
	msg := &wire.UpdateFailHTLC{Reason: reason, AttributionData: ad}

	d, attr, err := secrets.DecryptAttributedFailure(msg.Reason, msg.AttributionData)
	fmt.Println("failure:", d.Code, "from hop", d.SourceIndex, err)
	fmt.Println("hold times:", attr.HoldTimes, "first invalid:", attr.FirstInvalid)

	// The same failure, but hop 1 flips a bit of the reason it forwards:
	// the failure is garbled, and attribution blames hops 0 and 1.
	reason, ad, _ = onion.NewAttributedFailure(secrets[2], &onion.FailureMessage{Code: onion.CodeTemporaryNodeFailure}, holds[2])
	ad = onion.ObfuscateAttributedFailure(secrets[1], holds[1], reason, ad)
	reason[50] ^= 1
	ad = onion.ObfuscateAttributedFailure(secrets[0], holds[0], reason, ad)
	_, attr, err = secrets.DecryptAttributedFailure(reason, ad)
	fmt.Println("tampered:", err, "- first invalid HMAC at hop", attr.FirstInvalid)

	// A fulfill carries hold times too.
	var fad *wire.AttributionData
	for i := 2; i >= 0; i-- {
		fad = onion.AddFulfillAttribution(secrets[i], holds[i], fad)
	}
	fmt.Println("fulfill hold times:", secrets.VerifyFulfillAttribution(fad).HoldTimes)
	// Output:
	// failure: temporary_node_failure from hop 2 <nil>
	// hold times: [300ms 1.2s 100ms] first invalid: -1
	// tampered: onion: failure message garbled - first invalid HMAC at hop 1
	// fulfill hold times: [300ms 1.2s 100ms]
}
