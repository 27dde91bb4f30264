package onion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// fuzzMessageVector is the part of blinded-onion-message-onion-test.json
// the fuzz seeds use.
type fuzzMessageVector struct {
	Route struct {
		FirstNodeID  string `json:"first_node_id"`
		FirstPathKey string `json:"first_path_key"`
		Hops         []struct {
			BlindedNodeID          string `json:"blinded_node_id"`
			EncryptedRecipientData string `json:"encrypted_recipient_data"`
		} `json:"hops"`
	} `json:"route"`
	Decrypt struct {
		Hops []struct {
			PrivKey      string `json:"privkey"`
			OnionMessage string `json:"onion_message"`
		} `json:"hops"`
	} `json:"decrypt"`
}

func loadFuzzMessageVector(f *testing.F) *fuzzMessageVector {
	raw, err := os.ReadFile("testdata/blinded-onion-message-onion-test.json")
	if err != nil {
		return nil
	}
	var v fuzzMessageVector
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return &v
}

// FuzzDecodeOnionMessagePayload decodes arbitrary onionmsg_tlv streams (the
// onion-message hop payload, with its blinded reply_path): no panics,
// rejections wrap ErrInvalidPayload, and what decodes re-encodes to the
// same bytes.
func FuzzDecodeOnionMessagePayload(f *testing.F) {
	if v := loadFuzzMessageVector(f); v != nil {
		path := &BlindedPath{}
		var err error
		path.IntroductionNode, err = btcec.ParsePubKey(mustHex(f, v.Route.FirstNodeID))
		if err == nil {
			path.FirstPathKey, err = btcec.ParsePubKey(mustHex(f, v.Route.FirstPathKey))
		}
		for _, h := range v.Route.Hops {
			k, kerr := btcec.ParsePubKey(mustHex(f, h.BlindedNodeID))
			if kerr != nil {
				err = kerr
			}
			path.Hops = append(path.Hops, BlindedHop{BlindedNodeID: k, EncryptedData: mustHex(f, h.EncryptedRecipientData)})
		}
		if err == nil {
			// A final hop's payload with every kind of field, and a
			// forwarding hop's.
			final := &MessagePayload{
				ReplyPath:              path,
				EncryptedRecipientData: path.Hops[3].EncryptedData,
				FinalRecords:           []wire.TLVRecord{{Type: 64, Value: []byte{0x01}}, {Type: 0xfffd, Value: nil}},
				Extra:                  wire.ExtraTLVs{{Type: 1, Value: []byte("hello")}},
			}
			if b, err := final.Encode(); err == nil {
				f.Add(b)
			}
			fwd := &MessagePayload{EncryptedRecipientData: path.Hops[0].EncryptedData}
			if b, err := fwd.Encode(); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x02, 0x43, 0x02})                          // truncated reply_path
	f.Add(append([]byte{0x02, 0x43}, make([]byte, 0x43)...)) // reply_path of invalid points
	f.Add([]byte{0x04, 0x00, 0x40, 0x00, 0x42, 0x01, 0xff})
	f.Add([]byte{0x06, 0x00}) // unknown even type
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessagePayload(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("rejection without ErrInvalidPayload: %v", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip\n in %x\nout %x", b, enc)
		}
	})
}

// messageErrors are the sentinels an onion message may be dropped with.
var messageErrors = []error{ErrPacketSize, ErrInvalidVersion, ErrInvalidKey, ErrInvalidHMAC, ErrInvalidPayload, ErrInvalidBlinding}

// FuzzDecodeMessagePacket decodes and processes arbitrary
// onion_message_packets with arbitrary path keys at a fixed node (the
// vector's first hop, so its packet is peeled for real): no panics, a
// decoded packet re-encodes to its bytes, every rejection wraps one of the
// package's sentinels, and a forwarded message is well formed.
func FuzzDecodeMessagePacket(f *testing.F) {
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x41}, 32))
	if v := loadFuzzMessageVector(f); v != nil && len(v.Decrypt.Hops) > 0 {
		priv, _ = btcec.PrivKeyFromBytes(mustHex(f, v.Decrypt.Hops[0].PrivKey))
		for _, h := range v.Decrypt.Hops {
			// onion_message: type 513, path_key, u16 len, packet.
			var m wire.OnionMessage
			raw := mustHex(f, h.OnionMessage)
			if len(raw) > 2 && m.DecodePayload(raw[2:]) == nil {
				f.Add(m.PathKey[:], m.Packet)
			}
		}
	}
	_, pub := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x02}, 32))
	f.Add(pub.SerializeCompressed(), make([]byte, packetOverhead))
	f.Add([]byte{0x02}, []byte{0x00, 0x01})
	proc := NewProcessor(wire.NewPrivateNodeKey(priv), nil)
	f.Fuzz(func(t *testing.T, pathKey, b []byte) {
		pkt, err := DecodeMessagePacket(b)
		if err != nil {
			if !errors.Is(err, ErrPacketSize) {
				t.Fatalf("decode error %v", err)
			}
		} else if !bytes.Equal(pkt.Encode(), b) {
			t.Fatal("re-encoding differs")
		}
		var m wire.OnionMessage
		copy(m.PathKey[:], pathKey)
		m.Packet = b
		hop, err := proc.ProcessMessage(context.Background(), &m)
		if err != nil {
			for _, s := range messageErrors {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("rejection without a sentinel: %v", err)
		}
		if hop.Payload == nil || hop.Recipient == nil {
			t.Fatal("accepted message without payload or recipient data")
		}
		if !hop.Final && (hop.Next == nil || hop.NextNodeID == nil || len(hop.Next.Packet) != len(b)) {
			t.Fatalf("forwarded message malformed: %+v", hop)
		}
	})
}
