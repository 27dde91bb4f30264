package onion

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// sampleFailure fills every field the code's data defines.
func sampleFailure(c FailureCode) *FailureMessage {
	m := &FailureMessage{Code: c}
	switch c {
	case CodeInvalidOnionVersion, CodeInvalidOnionHMAC, CodeInvalidOnionKey, CodeInvalidOnionBlinding:
		m.OnionHash = [32]byte{1, 2, 3}
	case CodeTemporaryChannelFailure, CodeExpiryTooSoon:
		m.ChannelUpdate = []byte{0x01, 0x02, 0xaa}
	case CodeAmountBelowMinimum, CodeFeeInsufficient:
		m.HTLCAmount = 123456
		m.ChannelUpdate = []byte{0x01, 0x02, 0xbb}
	case CodeIncorrectCLTVExpiry:
		m.CLTVExpiry = 800100
		m.ChannelUpdate = []byte{0x01, 0x02}
	case CodeChannelDisabled:
		m.DisabledFlags = 0
		m.ChannelUpdate = []byte{0x01, 0x02, 0xcc}
	case CodeIncorrectOrUnknownPaymentDetails:
		m.HTLCAmount = 100
		m.Height = 800000
	case CodeFinalIncorrectCLTVExpiry:
		m.CLTVExpiry = 1234
	case CodeFinalIncorrectHTLCAmount:
		m.HTLCAmount = 999
	case CodeInvalidOnionPayload:
		m.PayloadType = 65537
		m.PayloadOffset = 12
	}
	return m
}

// TestFailureCodesEndToEnd sends every BOLT 4 failure back along a 5-hop
// route built and peeled for real, and decrypts it at the origin.
func TestFailureCodesEndToEnd(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{6})
	nodes := newTestNodes(t, rng, 5)
	var hops []Hop
	for _, n := range nodes {
		hops = append(hops, Hop{PubKey: n.priv.PubKey(), Payload: []byte{2, 1, 1}})
	}
	pkt, secrets, err := NewPacket(rng, hops, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Each hop's shared secret as the hop itself derived it.
	hopSecrets := make([][32]byte, len(nodes))
	cur := pkt
	for i, n := range nodes {
		res, err := n.proc.Process(context.Background(), cur, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		hopSecrets[i] = res.SharedSecret
		next := res.Next
		cur = &next
	}
	for _, code := range AllFailureCodes {
		for src := range nodes {
			msg := sampleFailure(code)
			msg.Rest = []byte{0x01, 0x00} // an empty odd TLV record in the extension
			reason, err := NewFailure(hopSecrets[src], msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(reason) < HMACSize+4+MinFailurePadded {
				t.Fatalf("failure not padded: %d bytes", len(reason))
			}
			for i := src - 1; i >= 0; i-- {
				ObfuscateFailure(hopSecrets[i], reason)
			}
			d, err := secrets.DecryptFailure(reason)
			if err != nil {
				t.Fatalf("%s from %d: %v", code, src, err)
			}
			if d.SourceIndex != src || d.Code != code || d.MessageErr != nil {
				t.Fatalf("%s from %d: got %+v", code, src, d)
			}
			want, _ := msg.Encode(nil)
			got, _ := d.Message.Encode(nil)
			if !bytes.Equal(want, got) {
				t.Fatalf("%s: message differs after the trip", code)
			}
		}
	}
}

// TestFailureGarbled flips a bit on the way back: the origin must report a
// garbled failure, not blame a hop.
func TestFailureGarbled(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{7})
	nodes := newTestNodes(t, rng, 3)
	var hops []Hop
	for _, n := range nodes {
		hops = append(hops, Hop{PubKey: n.priv.PubKey(), Payload: []byte{2, 1, 1}})
	}
	_, secrets, err := NewPacket(rng, hops, nil)
	if err != nil {
		t.Fatal(err)
	}
	reason, _ := NewFailure(secrets[2], &FailureMessage{Code: CodeTemporaryNodeFailure})
	ObfuscateFailure(secrets[1], reason)
	reason[40] ^= 0x80 // hop 1 corrupts it
	ObfuscateFailure(secrets[0], reason)
	if _, err := secrets.DecryptFailure(reason); !errors.Is(err, ErrFailureGarbled) {
		t.Fatalf("want ErrFailureGarbled, got %v", err)
	}
	if _, err := secrets.DecryptFailure(reason[:10]); !errors.Is(err, ErrFailureGarbled) {
		t.Fatalf("short: want ErrFailureGarbled, got %v", err)
	}
}

func TestFailureMessageTruncated(t *testing.T) {
	for _, code := range AllFailureCodes {
		enc, _ := sampleFailure(code).Encode(nil)
		for i := 0; i < len(enc); i++ {
			m, err := DecodeFailureMessage(enc[:i])
			if err == nil {
				// Only a prefix that ends exactly after the code's
				// fields can decode, which is the full message.
				re, _ := m.Encode(nil)
				if !bytes.Equal(re, enc[:i]) {
					t.Fatalf("%s: prefix %d decoded to different bytes", code, i)
				}
				continue
			}
			if !errors.Is(err, ErrFailureMessage) {
				t.Fatalf("%s: prefix %d: %v", code, i, err)
			}
		}
		if !code.Known() || code.String() == "" {
			t.Fatalf("%s unnamed", code)
		}
	}
	if FailureCode(0x1234).Known() {
		t.Fatal("unknown code reported known")
	}
}

func TestFailureChannelUpdate(t *testing.T) {
	cu := &wire.ChannelUpdate{}
	cu.ChainHash = wire.MainnetChainHash
	m := &FailureMessage{Code: CodeTemporaryChannelFailure}
	if err := m.SetChannelUpdate(cu); err != nil {
		t.Fatal(err)
	}
	if m.ChannelUpdate[0] != 0x01 || m.ChannelUpdate[1] != 0x02 {
		t.Fatal("channel_update lacks its 0x0102 prefix")
	}
	enc, _ := m.Encode(nil)
	dec, err := DecodeFailureMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dec.DecodeChannelUpdate()
	if err != nil {
		t.Fatal(err)
	}
	if got.ChainHash != cu.ChainHash {
		t.Fatal("channel_update differs")
	}
	// The historical form without the type prefix decodes too.
	dec.ChannelUpdate = dec.ChannelUpdate[2:]
	if _, err := dec.DecodeChannelUpdate(); err != nil {
		t.Fatal(err)
	}
}
