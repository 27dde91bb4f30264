package onion

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

var fuzzKey, _ = btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x41}, 32))

// FuzzProcessPacket decodes and processes arbitrary packets: no panics,
// every rejection is a *ProcessError with a BOLT 4 code, the malformed ones
// carry the onion's hash, and a decoded packet re-encodes to its bytes.
func FuzzProcessPacket(f *testing.F) {
	if raw, err := os.ReadFile("testdata/onion-test.json"); err == nil {
		var v onionTestVector
		if jsonErr := jsonUnmarshal(raw, &v); jsonErr == nil {
			f.Add(mustHex(f, v.Onion), mustHex(f, v.Generate.AssociatedData))
		}
	}
	f.Add(make([]byte, PacketSize), []byte{})
	f.Add([]byte{0, 2, 3}, []byte{1})
	proc := NewProcessor(wire.NewPrivateNodeKey(fuzzKey), nil)
	f.Fuzz(func(t *testing.T, b, assoc []byte) {
		pkt, err := DecodePacket(b)
		if err != nil {
			if !errors.Is(err, ErrPacketSize) {
				t.Fatalf("decode error %v", err)
			}
			return
		}
		if !bytes.Equal(pkt.Encode(), b) {
			t.Fatal("re-encoding differs")
		}
		res, err := proc.Process(context.Background(), pkt, assoc, nil)
		if err != nil {
			var pe *ProcessError
			if !errors.As(err, &pe) || !pe.Code.Known() {
				t.Fatalf("rejection without a failure code: %v", err)
			}
			if pe.Malformed() && pe.OnionHash != pkt.Hash() {
				t.Fatal("malformed without the onion hash")
			}
			return
		}
		if len(res.Payload) > HopPayloadsSize {
			t.Fatal("payload too long")
		}
	})
}

// FuzzDecodeHopPayload decodes arbitrary payloads; whatever decodes must
// re-encode to the same bytes, and failures carry invalid_onion_payload.
func FuzzDecodeHopPayload(f *testing.F) {
	for _, s := range []string{
		"02023a98040205dc06080000000000000001",
		"02020236b00402057806080000000000000002fd02013c0102030405060708090a0b0c0d0e0f",
		"0a01ff0c2102eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619",
		"082200000000000000000000000000000000000000000000000000000000000000000102",
		"fe0001000001aa",
	} {
		f.Add(mustHex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeHopPayload(b)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) || pe.FailureMessage().Code != CodeInvalidOnionPayload {
				t.Fatalf("error without invalid_onion_payload: %v", err)
			}
			return
		}
		enc, err := p.Encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip\n in %x\nout %x", b, enc)
		}
		_ = p.Validate(true, false)
		_ = p.Validate(false, true)
	})
}

// FuzzDecryptFailure feeds arbitrary reasons to the origin, and also wraps
// arbitrary failure messages from a real hop: no panics, the source is
// found, and decodable messages round trip.
func FuzzDecryptFailure(f *testing.F) {
	f.Add([]byte{0x20, 0x02}, uint8(2), []byte{})
	f.Add([]byte{0x10, 0x07, 0x00, 0x02, 0x01, 0x02}, uint8(0), make([]byte, 300))
	f.Add([]byte{0x40, 0x16, 0xfd, 0x01, 0x00, 0x00, 0x01}, uint8(4), []byte{1})
	secrets := SharedSecrets{{1}, {2}, {3}, {4}, {5}}
	f.Fuzz(func(t *testing.T, msg []byte, src uint8, junk []byte) {
		if _, err := secrets.DecryptFailure(junk); err != nil && !errors.Is(err, ErrFailureGarbled) {
			t.Fatalf("junk: %v", err)
		}
		if m, err := DecodeFailureMessage(msg); err == nil {
			enc, err := m.Encode(nil)
			if err != nil || !bytes.Equal(enc, msg) {
				t.Fatalf("failure message round trip: %x -> %x (%v)", msg, enc, err)
			}
		} else if !errors.Is(err, ErrFailureMessage) {
			t.Fatalf("decode error %v", err)
		}
		if len(msg) > 2000 {
			return
		}
		i := int(src) % len(secrets)
		reason, err := newFailureRaw(&secrets[i], msg, MinFailurePadded)
		if err != nil {
			t.Fatal(err)
		}
		for j := i - 1; j >= 0; j-- {
			ObfuscateFailure(secrets[j], reason)
		}
		d, err := secrets.DecryptFailure(reason)
		if err != nil || d.SourceIndex != i || !bytes.Equal(d.Raw, msg) {
			t.Fatalf("decrypt: %+v %v", d, err)
		}
	})
}
