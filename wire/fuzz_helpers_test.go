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
	f.Fuzz(func(t *testing.T, payload []byte) {
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
	})
}
