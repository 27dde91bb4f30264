package onion

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

var fuzzKey, _ = btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x41}, 32))

// Bits of the mode argument of FuzzProcessPacket.
const (
	// fuzzCiphertext takes the fuzzer's bytes as the encrypted
	// hop_payloads (the hop decrypts them to noise) instead of the
	// plaintext the hop reads.
	fuzzCiphertext = 1 << iota
	// fuzzBlinded sends the packet with a path key, as inside a blinded
	// route.
	fuzzBlinded
	// fuzzCompare also peels with a key known only through wire.NodeKey
	// and requires the same outcome as the in-memory key's fast path.
	fuzzCompare
)

// framePayload returns the plaintext of one hop's part of hop_payloads:
// the BigSize length, the payload and the next HMAC. The harness pads it
// to HopPayloadsSize; seeds stay short so that the fuzzer's mutants (and
// their minimization) stay short too.
func framePayload(payload []byte, nextHMAC byte) []byte {
	b := wire.AppendBigSize(nil, uint64(len(payload)))
	b = append(b, payload...)
	return append(b, bytes.Repeat([]byte{nextHMAC}, HMACSize)...)
}

// FuzzProcessPacket peels payment onions whose hop_payloads are the
// fuzzer's bytes (cut or zero-padded to 1300), with the HMAC computed by
// the harness as a sender would, so that every input reaches the parsing
// after the HMAC check. By default the bytes are the plaintext the hop
// decrypts, so the fuzzer writes the payload length, the payload and the
// next HMAC directly. The only rejection possible is then a bad payload
// length, and everything accepted is checked against the plaintext: the
// payload, finality, the next HMAC and the next hop_payloads (the rest of
// the plaintext shifted up, under the rho stream). The payload then goes
// through DecodeHopPayload, whose output must re-encode to it, and
// Validate. Every packet goes through DecodePacket and must re-encode to
// the same bytes.
func FuzzProcessPacket(f *testing.F) {
	fwd, _ := (&HopPayload{AmountToForward: Amount(1000), OutgoingCLTV: U32(500), ShortChannelID: SCID(wire.ShortChannelID{BlockHeight: 700000, TxIndex: 12, OutputIndex: 1})}).Encode()
	final, _ := (&HopPayload{AmountToForward: Amount(1000), OutgoingCLTV: U32(500), PaymentData: &PaymentData{TotalMsat: 1000}}).Encode()
	blindedFwd, _ := (&HopPayload{EncryptedRecipientData: bytes.Repeat([]byte{7}, 50)}).Encode()
	assoc := bytes.Repeat([]byte{0x42}, 32)
	f.Add(framePayload(fwd, 0x55), assoc, uint8(0))
	f.Add(framePayload(final, 0), assoc, uint8(0))
	f.Add(framePayload(final, 0), assoc, uint8(fuzzCompare))
	f.Add(framePayload(blindedFwd, 0x55), []byte{}, uint8(fuzzBlinded))
	f.Add(framePayload(nil, 0), assoc, uint8(0))                                   // legacy length 0
	f.Add(framePayload([]byte{0x02}, 0), assoc, uint8(0))                          // reserved length 1
	f.Add(append([]byte{0xfd, 0x04, 0xf1}, make([]byte, 40)...), assoc, uint8(0))  // fills the packet
	f.Add(append([]byte{0xfd, 0x04, 0xf2}, make([]byte, 100)...), assoc, uint8(0)) // one byte too long
	f.Add([]byte{0xff, 0, 0, 0, 1, 0, 0, 0, 0}, assoc, uint8(0))                   // 9-byte length
	if raw, err := os.ReadFile("testdata/onion-test.json"); err == nil {
		var v onionTestVector
		if jsonErr := jsonUnmarshal(raw, &v); jsonErr == nil {
			// The start of the spec's hop_payloads as ciphertext.
			if onion := testutil.Hex(f, v.Onion); len(onion) == PacketSize {
				f.Add(onion[34:34+100], testutil.Hex(f, v.Generate.AssociatedData), uint8(fuzzCiphertext))
			}
		}
	}

	pathKey := testPathKey("fuzz payment")
	sealers := [2]*sealer{newSealer(fuzzKey, "fuzz payment", nil), newSealer(fuzzKey, "fuzz payment", pathKey)}
	fast := NewProcessor(wire.NewPrivateNodeKey(fuzzKey), NoReplayCheck{})
	opaque := NewProcessor(plainECDH{fuzzKey}, NoReplayCheck{})
	f.Fuzz(func(t *testing.T, b, assoc []byte, mode uint8) {
		if len(b) > HopPayloadsSize || len(assoc) > 64 {
			return // bytes the packet has no room for add nothing
		}
		s := sealers[0]
		var opts *ProcessOptions
		if mode&fuzzBlinded != 0 {
			s = sealers[1]
			opts = &ProcessOptions{PathKey: pathKey, CLTVExpiry: 800}
		}
		hop := make([]byte, HopPayloadsSize)
		copy(hop, b)
		var plain, enc []byte
		if mode&fuzzCiphertext != 0 {
			enc, plain = hop, s.encrypt(hop) // the stream is an XOR
		} else {
			plain, enc = hop, s.encrypt(hop)
		}
		raw := s.packet(enc, assoc).Encode()
		pkt, err := DecodePacket(raw)
		if err != nil || !bytes.Equal(pkt.Encode(), raw) {
			t.Fatalf("packet round trip: %v", err)
		}
		res, err := fast.Process(context.Background(), pkt, assoc, opts)
		if mode&fuzzCompare != 0 {
			res2, err2 := opaque.Process(context.Background(), pkt, assoc, opts)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("fast path: %v, interface: %v", err, err2)
			}
			if err == nil && (!bytes.Equal(res.Payload, res2.Payload) || res.Final != res2.Final || !bytes.Equal(res.Next.Encode(), res2.Next.Encode())) {
				t.Fatal("fast path and interface peel differently")
			}
		}
		if err != nil {
			checkPayloadRejection(t, err, pkt, opts != nil)
			return
		}
		checkPeeled(t, s, plain, res)

		p, err := DecodeHopPayload(res.Payload)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) || pe.FailureMessage().Code != CodeInvalidOnionPayload {
				t.Fatalf("payload error without invalid_onion_payload: %v", err)
			}
			return
		}
		if out, err := p.Encode(); err != nil || !bytes.Equal(out, res.Payload) {
			t.Fatalf("payload round trip: %x -> %x (%v)", res.Payload, out, err)
		}
		if err := p.Validate(res.Final, opts != nil); err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("validation error without a PayloadError: %v", err)
			}
		}
	})
}

// checkPayloadRejection checks the rejection of a packet whose version,
// key and HMAC are valid: only the payload can be at fault.
func checkPayloadRejection(t *testing.T, err error, pkt *Packet, blinded bool) {
	t.Helper()
	var pe *ProcessError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPayload) {
		t.Fatalf("rejection past the HMAC that is not a payload error: %v", err)
	}
	want := CodeInvalidOnionPayload
	if blinded {
		want = CodeInvalidOnionBlinding
	}
	if pe.Code != want || (pe.Malformed() && pe.OnionHash != pkt.Hash()) {
		t.Fatalf("code %v (hash %x) for %v", pe.Code, pe.OnionHash, err)
	}
}

// checkPeeled compares what the hop got with the plaintext it decrypted:
// the framing BOLT 4 defines, read independently of Process.
func checkPeeled(t *testing.T, s *sealer, plain []byte, res *ProcessedPacket) {
	t.Helper()
	size := len(plain)
	if res.SharedSecret != s.ss {
		t.Fatal("shared secret differs from the sender's")
	}
	l, n, err := wire.DecodeBigSize(plain)
	if err != nil || l > uint64(size) || n+int(l)+HMACSize > size {
		t.Fatalf("accepted a payload length that does not fit: %d (%v)", l, err)
	}
	end := n + int(l)
	if !bytes.Equal(res.Payload, plain[n:end]) {
		t.Fatal("payload differs from the plaintext")
	}
	next := plain[end : end+HMACSize]
	if res.Final != isZero(next) {
		t.Fatalf("final = %v with next HMAC %x", res.Final, next)
	}
	if res.Final {
		return
	}
	if !bytes.Equal(res.Next.HMAC[:], next) || res.Next.Version != Version || res.Next.EphemeralKey.Validate() != nil {
		t.Fatal("next packet header wrong")
	}
	// The next hop_payloads are the rest of the plaintext (the layers of
	// the hops after this one), then as many bytes of this hop's stream
	// past the end of the packet as were shifted out: the zero padding
	// BOLT 4 appends before decrypting.
	shift := end + HMACSize
	want := make([]byte, size)
	copy(want, plain[shift:])
	tail := want[size-shift:]
	xorKeyStream(&s.rho, tail, tail, size)
	if !bytes.Equal(res.Next.HopPayloads, want) {
		t.Fatal("next hop_payloads are not the shifted plaintext")
	}
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
		f.Add(testutil.Hex(f, s))
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
