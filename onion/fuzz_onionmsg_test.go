package onion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
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
		path.IntroductionNode, err = btcec.ParsePubKey(testutil.Hex(f, v.Route.FirstNodeID))
		if err == nil {
			path.FirstPathKey, err = btcec.ParsePubKey(testutil.Hex(f, v.Route.FirstPathKey))
		}
		for _, h := range v.Route.Hops {
			k, kerr := btcec.ParsePubKey(testutil.Hex(f, h.BlindedNodeID))
			if kerr != nil {
				err = kerr
			}
			path.Hops = append(path.Hops, BlindedHop{BlindedNodeID: k, EncryptedData: testutil.Hex(f, h.EncryptedRecipientData)})
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

// Bits of the mode argument of FuzzDecodeMessagePacket.
const (
	// msgCiphertext takes the fuzzer's bytes as the encrypted
	// onionmsg_payloads rather than the plaintext the hop reads.
	msgCiphertext = 1 << iota
	// msgSeal builds the hop's payload around encrypted_recipient_data
	// that the harness encrypts from the fuzzer's recipient bytes, so
	// that it decrypts and the encrypted_data_tlv rules are reached. The
	// first byte of the payloads is then a count k: the k bytes after it
	// are more onionmsg_tlv records, and the rest follows the payload
	// (the next HMAC first).
	msgSeal
	// msgExtraFirst puts those k bytes before encrypted_recipient_data
	// (where reply_path, type 2, belongs) rather than after it.
	msgExtraFirst
	// msgPad zero-pads the plaintext to the recommended 1300 bytes.
	msgPad
	// msgCompare also peels with a key known only through wire.NodeKey
	// and requires the same outcome.
	msgCompare
	// msgLarge zero-pads the plaintext to 32768 bytes, the larger
	// recommended size.
	msgLarge
)

// Input limits of FuzzDecodeMessagePacket. Longer inputs reach nothing
// shorter ones (with msgPad and msgLarge) do not, and the fuzzer's
// minimization of each new input runs the whole peel once per candidate,
// so long inputs would stall it for its full minute.
const (
	maxFuzzMessageInput   = 1400
	maxFuzzRecipientInput = 300
)

// messageFuzzNode returns the node and path key the message fuzzer peels
// with, and plaintext onionmsg_payloads for seeds: those of the first hop
// of the spec's blinded onion message vector when it is there, whose
// encrypted_recipient_data decrypts for that node and path key.
func messageFuzzNode(f *testing.F) (*btcec.PrivateKey, *btcec.PublicKey, [][]byte) {
	node, pathKey := fuzzKey, testPathKey("fuzz message")
	v := loadFuzzMessageVector(f)
	if v == nil || len(v.Decrypt.Hops) == 0 {
		return node, pathKey, nil
	}
	var plains [][]byte
	for i, h := range v.Decrypt.Hops {
		var m wire.OnionMessage
		raw := testutil.Hex(f, h.OnionMessage)
		if len(raw) < 2 || m.DecodePayload(raw[2:]) != nil {
			continue
		}
		priv, _ := btcec.PrivKeyFromBytes(testutil.Hex(f, h.PrivKey))
		pk, err := m.PathKey.PublicKey()
		pkt, err2 := DecodeMessagePacket(m.Packet)
		if err != nil || err2 != nil {
			continue
		}
		eph, err := pkt.EphemeralKey.PublicKey()
		if err != nil {
			continue
		}
		// The hop's secret, as the sender derived it, decrypts the
		// payloads to their plaintext.
		ss := testECDH(BlindedPrivateKey(priv, pk), eph)
		rho := generateKey(keyTypeRho, &ss)
		plain := make([]byte, len(pkt.HopPayloads))
		xorKeyStream(&rho, plain, pkt.HopPayloads, 0)
		if i != 0 {
			continue
		}
		node, pathKey = priv, pk
		// Keep the hop's own part (length, payload, next HMAC): the
		// rest is the next hops' ciphertext, which this hop only
		// forwards, and short seeds keep the fuzzer's inputs short.
		if l, n, err := wire.DecodeBigSize(plain); err == nil && l < uint64(len(plain)) && n+int(l)+HMACSize <= len(plain) {
			plains = append(plains, plain[:n+int(l)+HMACSize])
		}
	}
	return node, pathKey, plains
}

// FuzzDecodeMessagePacket peels onion messages whose onionmsg_payloads
// are the fuzzer's bytes, of any length, with the HMAC computed by the
// harness as a sender would, so that every input reaches the parsing
// after the HMAC check (see the msg* mode bits). A rejection must wrap one
// of the package's sentinels and cannot be a bad version, key or HMAC;
// payloads shorter than MinMessagePayloadsSize must be refused as such.
// An accepted message is checked against the plaintext: the payload
// re-encodes to the plaintext's, finality follows the next HMAC, the
// recipient data is what the harness sealed, and a forwarded message is
// well formed and as long as the one received. Every packet goes through
// DecodeMessagePacket and must re-encode to the same bytes.
func FuzzDecodeMessagePacket(f *testing.F) {
	node, pathKey, plains := messageFuzzNode(f)
	for _, p := range plains {
		f.Add(p, []byte{}, uint8(0))
		f.Add(p, []byte{}, uint8(msgCompare))
	}
	nextNode := wire.NewPoint(scalarKey("fuzz next node").PubKey())
	fwd, _ := (&EncryptedData{NextNodeID: &nextNode}).Encode()
	final, _ := (&EncryptedData{PathID: []byte("path id")}).Encode()
	override, _ := (&EncryptedData{NextNodeID: &nextNode, NextPathKeyOverride: &nextNode, Padding: make([]byte, 5)}).Encode()
	reply, _ := (&MessagePayload{ReplyPath: &BlindedPath{
		IntroductionNode: scalarKey("intro").PubKey(), FirstPathKey: scalarKey("first").PubKey(),
		Hops: []BlindedHop{{BlindedNodeID: scalarKey("hop").PubKey(), EncryptedData: []byte{1, 2, 3}}},
	}}).Encode()
	hmac := bytes.Repeat([]byte{0x5a}, HMACSize)
	zero := make([]byte, HMACSize)
	f.Add(append([]byte{0}, hmac...), fwd, uint8(msgSeal))
	f.Add(append([]byte{0}, hmac...), override, uint8(msgSeal|msgPad))
	f.Add(append([]byte{0}, hmac...), fwd, uint8(msgSeal|msgLarge))
	f.Add(append([]byte{0}, zero...), final, uint8(msgSeal))
	f.Add(append(append([]byte{byte(len(reply))}, reply...), zero...), final, uint8(msgSeal|msgExtraFirst|msgCompare))
	f.Add(append([]byte{4, 0x41, 0x02, 0x01, 0x02}, zero...), final, uint8(msgSeal)) // final record 65
	f.Add(append([]byte{2, 0x06, 0x00}, zero...), final, uint8(msgSeal))             // unknown even type
	f.Add(make([]byte, 64), []byte{}, uint8(msgCiphertext))

	s := newSealer(node, "fuzz message", pathKey)
	fast := NewProcessor(wire.NewPrivateNodeKey(node), nil)
	opaque := NewProcessor(plainECDH{node}, nil)
	f.Fuzz(func(t *testing.T, b, recipient []byte, mode uint8) {
		if len(b) > maxFuzzMessageInput || len(recipient) > maxFuzzRecipientInput {
			return
		}
		var plain, enc []byte
		switch {
		case mode&msgSeal != 0:
			plain = sealedMessagePayloads(s, b, recipient, mode&msgExtraFirst != 0)
		case mode&msgCiphertext != 0:
			enc = b
		default:
			plain = b
		}
		if plain != nil {
			pad := 0
			switch {
			case mode&msgLarge != 0:
				pad = LargeMessagePayloadsSize
			case mode&msgPad != 0:
				pad = MessagePayloadsSize
			}
			if len(plain) < pad {
				plain = append(plain, make([]byte, pad-len(plain))...)
			}
			enc = s.encrypt(plain)
		} else {
			plain = s.encrypt(enc)
		}
		m := s.message(enc)
		if pkt, err := DecodeMessagePacket(m.Packet); err != nil {
			if len(enc) >= MinMessagePayloadsSize || !errors.Is(err, ErrHopPayloadsTooShort) {
				t.Fatalf("%d bytes of payloads: %v", len(enc), err)
			}
		} else if !bytes.Equal(pkt.Encode(), m.Packet) {
			t.Fatal("re-encoding differs")
		}
		hop, err := fast.ProcessMessage(context.Background(), m)
		if mode&msgCompare != 0 {
			hop2, err2 := opaque.ProcessMessage(context.Background(), m)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("fast path: %v, interface: %v", err, err2)
			}
			if err == nil && (hop.Final != hop2.Final || (!hop.Final && !bytes.Equal(hop.Next.Packet, hop2.Next.Packet))) {
				t.Fatal("fast path and interface peel differently")
			}
		}
		if err != nil {
			checkMessageRejection(t, err, len(enc))
			return
		}
		checkMessageHop(t, plain, len(m.Packet), hop)
		if mode&msgSeal != 0 && !bytes.Equal(hop.Recipient.Plaintext, recipient) {
			t.Fatal("recipient data is not what was sealed")
		}
	})
}

// sealedMessagePayloads builds plaintext onionmsg_payloads (see msgSeal):
// one payload holding encrypted_recipient_data sealed from recipient and
// the fuzzer's extra records, then the rest of the fuzzer's bytes.
func sealedMessagePayloads(s *sealer, b, recipient []byte, extraFirst bool) []byte {
	var extra, rest []byte
	if len(b) > 0 {
		k := min(int(b[0]), len(b)-1)
		extra, rest = b[1:1+k], b[1+k:]
	}
	sealed := s.sealRecipient(recipient)
	rec := wire.AppendBigSize([]byte{TypeMsgEncryptedRecipientData}, uint64(len(sealed)))
	rec = append(rec, sealed...)
	var tlv []byte
	if extraFirst {
		tlv = append(append(tlv, extra...), rec...)
	} else {
		tlv = append(append(tlv, rec...), extra...)
	}
	out := wire.AppendBigSize(nil, uint64(len(tlv)))
	out = append(out, tlv...)
	return append(out, rest...)
}

// checkMessageRejection checks why a message with a valid version, key
// and HMAC was dropped.
func checkMessageRejection(t *testing.T, err error, size int) {
	t.Helper()
	for _, s := range []error{ErrInvalidVersion, ErrInvalidKey, ErrInvalidHMAC} {
		if errors.Is(err, s) {
			t.Fatalf("rejected before the payload: %v", err)
		}
	}
	if short := size < MinMessagePayloadsSize; short != errors.Is(err, ErrHopPayloadsTooShort) {
		t.Fatalf("%d bytes of payloads: %v", size, err)
	}
	for _, s := range messageErrors {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("rejection without a sentinel: %v", err)
}

// checkMessageHop compares an accepted message with the plaintext the hop
// decrypted.
func checkMessageHop(t *testing.T, plain []byte, packetLen int, hop *MessageHop) {
	t.Helper()
	l, n, err := wire.DecodeBigSize(plain)
	if err != nil || l > uint64(len(plain)) || n+int(l)+HMACSize > len(plain) {
		t.Fatalf("accepted a payload length that does not fit: %d (%v)", l, err)
	}
	end := n + int(l)
	if hop.Payload == nil || hop.Recipient == nil {
		t.Fatal("accepted message without payload or recipient data")
	}
	if enc, err := hop.Payload.Encode(); err != nil || !bytes.Equal(enc, plain[n:end]) {
		t.Fatalf("payload re-encodes to %x, plaintext has %x (%v)", enc, plain[n:end], err)
	}
	if hop.Final != isZero(plain[end:end+HMACSize]) {
		t.Fatal("finality does not follow the next HMAC")
	}
	if hop.Final {
		return
	}
	if hop.Next == nil || hop.NextNodeID == nil || len(hop.Next.Packet) != packetLen || hop.Recipient.Data.PathID != nil {
		t.Fatalf("forwarded message malformed: %+v", hop)
	}
	if _, err := DecodeMessagePacket(hop.Next.Packet); err != nil {
		t.Fatalf("forwarded packet does not decode: %v", err)
	}
	if err := hop.Next.PathKey.Validate(); err != nil {
		t.Fatalf("forwarded path key: %v", err)
	}
}
