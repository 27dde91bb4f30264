package wire

import (
	"bytes"
	"math/rand"
	"testing"
)

// fuzzMessageType fuzzes one message decoder: the fuzzer supplies the
// payload, the type is fixed. Seeds are random valid messages of the type.
// Whatever decodes must re-encode to the same bytes; nothing may panic.
func fuzzMessageType(f *testing.F, typ MessageType) {
	rng := rand.New(rand.NewSource(int64(typ)))
	if NewMessage(typ) == nil {
		f.Skipf("%s is not implemented", typ)
	}
	for i := 0; i < 4; i++ {
		enc, err := EncodeMessage(randomMessage(rng, typ))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc[2:])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) { checkRoundTrip(t, typ, payload) })
}

// checkRoundTrip decodes a payload of type typ and, if it decodes, checks
// that it encodes back to the same bytes.
func checkRoundTrip(t *testing.T, typ MessageType, payload []byte) {
	in := append(AppendU16(nil, uint16(typ)), payload...)
	m, err := DecodeMessage(in)
	if err != nil {
		return
	}
	out, err := EncodeMessage(m)
	if err != nil {
		t.Fatalf("decoded %s does not encode: %v", typ, err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("%s: re-encoding differs\n in: %x\nout: %x", typ, in, out)
	}
}

// addHTLCHead is the length of update_add_htlc's fields before the onion.
const addHTLCHead = 32 + 8 + 8 + 32 + 4

// FuzzMsgUpdateAddHTLC fuzzes update_add_htlc with a constant onion spliced
// in after the fixed fields: the fuzzer supplies the fields and the TLV
// extension. With the 1366-byte onion in its input, the fuzzer spends its
// time minimising the onion instead of exploring the decoder.
func FuzzMsgUpdateAddHTLC(f *testing.F) {
	rng := rand.New(rand.NewSource(int64(MsgUpdateAddHTLC)))
	var onion [OnionPacketSize]byte
	rng.Read(onion[:])
	for i := 0; i < 4; i++ {
		enc, err := EncodeMessage(randomMessage(rng, MsgUpdateAddHTLC))
		if err != nil {
			f.Fatal(err)
		}
		p := enc[2:]
		f.Add(append(append([]byte{}, p[:addHTLCHead]...), p[addHTLCHead+OnionPacketSize:]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		payload := data
		if len(data) >= addHTLCHead {
			payload = append(append(append([]byte{}, data[:addHTLCHead]...), onion[:]...), data[addHTLCHead:]...)
		}
		checkRoundTrip(t, MsgUpdateAddHTLC, payload)
	})
}
