package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand"
	"reflect"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMessageRoundTrip encodes random values of every message type, decodes
// them, and checks that the value and the bytes survive.
func TestMessageRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	types := KnownMessageTypes()
	require.NotEmpty(t, types)
	for _, typ := range types {
		t.Run(typ.String(), func(t *testing.T) {
			for i := 0; i < 100; i++ {
				m := randomMessage(rng, typ)
				enc, err := EncodeMessage(m)
				require.NoError(t, err)
				got, err := DecodeMessage(enc)
				require.NoError(t, err, "decode %x", enc)
				if !reflect.DeepEqual(m, got) {
					t.Fatalf("decoded value differs from the encoded one\nwant %+v\n got %+v", m, got)
				}
				again, err := EncodeMessage(got)
				require.NoError(t, err)
				require.Equal(t, enc, again)
			}
		})
	}
}

// TestMessageTruncated decodes every prefix of encoded messages. A prefix
// must either fail or be a complete message that encodes back to itself
// (which happens when it ends on a TLV record boundary).
func TestMessageTruncated(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, typ := range KnownMessageTypes() {
		t.Run(typ.String(), func(t *testing.T) {
			for i := 0; i < 5; i++ {
				enc, err := EncodeMessage(randomMessage(rng, typ))
				require.NoError(t, err)
				for n := 0; n < len(enc); n++ {
					m, err := DecodeMessage(enc[:n])
					if err != nil {
						continue
					}
					again, err := EncodeMessage(m)
					require.NoError(t, err)
					require.Equal(t, enc[:n], again, "prefix %d of %x", n, enc)
				}
			}
		})
	}
}

// TestMessageHostileLengths feeds every decoder payloads made of 0xff bytes,
// which declare the largest lengths the fields allow, and checks that the
// decoder fails without allocating memory the input cannot justify.
func TestMessageHostileLengths(t *testing.T) {
	for _, typ := range KnownMessageTypes() {
		for _, size := range []int{0, 1, 2, 3, 40, 300} {
			in := append(AppendU16(nil, uint16(typ)), bytes.Repeat([]byte{0xff}, size)...)
			_, err := DecodeMessage(in)
			if err == nil {
				continue
			}
			// Average over many runs so that allocations by the runtime
			// or the test framework do not count against the decoder.
			const runs = 200
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < runs; i++ {
				_, _ = DecodeMessage(in)
			}
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / runs
			structSize := uint64(reflect.TypeOf(NewMessage(typ)).Elem().Size())
			require.Less(t, perRun, structSize+uint64(512+4*len(in)),
				"%s: %d bytes allocated for %d input bytes", typ, perRun, len(in))
		}
	}
}

func TestUnknownMessageParity(t *testing.T) {
	odd, err := hex.DecodeString("7fff0102")
	require.NoError(t, err)
	m, err := DecodeMessage(odd)
	require.NoError(t, err)
	require.Equal(t, &UnknownMessage{Type: 0x7fff, Payload: []byte{1, 2}}, m)
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, odd, enc)

	m, err = DecodeMessage([]byte{0x7f, 0xfe, 9})
	require.ErrorIs(t, err, ErrUnknownEvenMessage)
	var me *MessageError
	require.True(t, errors.As(err, &me))
	require.Equal(t, MessageType(0x7ffe), me.Type)
	require.Equal(t, MessageType(0x7ffe), m.MsgType())

	_, err = DecodeMessage([]byte{0})
	require.ErrorIs(t, err, ErrTruncated)
}

func TestMessageTooLarge(t *testing.T) {
	_, err := EncodeMessage(&Ping{Padding: make([]byte, MaxPayloadSize-4+1)})
	require.ErrorIs(t, err, ErrMessageTooLarge)
	_, err = EncodeMessage(&Ping{Padding: make([]byte, MaxPayloadSize-4)})
	require.NoError(t, err)
	_, err = DecodeMessage(make([]byte, MaxMessageSize+1))
	require.ErrorIs(t, err, ErrMessageTooLarge)
}

// FuzzDecodeMessage checks every decoder at once: the first two bytes pick
// the type. Nothing may panic, and whatever decodes must encode back to the
// same bytes.
func FuzzDecodeMessage(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	for _, typ := range KnownMessageTypes() {
		enc, err := EncodeMessage(randomMessage(rng, typ))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			return
		}
		enc, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", m.MsgType(), err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("%s: re-encoding differs\n in: %x\nout: %x", m.MsgType(), data, enc)
		}
	})
}
