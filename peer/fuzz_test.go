package peer

import (
	"bytes"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

// FuzzResponder feeds arbitrary bytes to the responder side of the
// handshake in place of acts one and three. It must fail cleanly (or, for
// the vector's own input, succeed) and never panic.
func FuzzResponder(f *testing.F) {
	v := loadVectors(f)
	for _, tc := range v.Responder {
		f.Add(append(testutil.Hex(f, tc.Act1Input), testutil.Hex(f, tc.Act3Input)...))
	}
	f.Add([]byte{})
	rv := v.Responder[0]
	lsPriv, ePriv := testutil.Hex(f, rv.LSPriv), testutil.Hex(f, rv.EPriv)
	f.Fuzz(func(t *testing.T, data []byte) {
		conn := newScriptConn(data)
		cfg := HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(privFromBytes(lsPriv)), Rand: bytes.NewReader(ePriv)}
		tr, err := Respond(t.Context(), conn, cfg)
		if err != nil {
			if tr != nil || !conn.closed {
				t.Fatalf("failed handshake: transport %v, closed %v", tr, conn.closed)
			}
			return
		}
		if len(data) < ActOneSize+ActThreeSize {
			t.Fatalf("handshake succeeded on %d bytes", len(data))
		}
	})
}

// FuzzFrameReader feeds arbitrary bytes to the frame reader of an
// established session (the vector's keys). Each frame that authenticates
// must re-encrypt, by a sender with the same keys, to exactly the bytes it
// was read from.
func FuzzFrameReader(f *testing.F) {
	v := loadVectors(f).Message
	sk, rk, ck := testutil.Hex32(f, v.SK), testutil.Hex32(f, v.RK), testutil.Hex32(f, v.CK)
	seed := newScriptConn(nil)
	tx := newTransport(seed, nil, sk, rk, ck)
	for _, m := range [][]byte{{0, 18, 0, 0}, []byte("hello"), make([]byte, 300), {}} {
		if err := tx.WriteFrame(m); err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte(nil), seed.out.Bytes()...))
	}
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := newScriptConn(data)
		rx := newTransport(in, nil, rk, sk, ck) // the receiving side
		out := newScriptConn(nil)
		echo := newTransport(out, nil, sk, rk, ck) // a sender like the original
		pos := 0
		for {
			m, err := rx.ReadFrame()
			if err != nil {
				if !in.closed {
					t.Fatal("connection left open after a read error")
				}
				return
			}
			end := len(data) - in.in.Len()
			if err := echo.WriteFrame(m); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.out.Bytes(), data[pos:end]) {
				t.Fatalf("frame at %d does not re-encrypt to its input", pos)
			}
			out.out.Reset()
			pos = end
		}
	})
}
