package peer

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
	"github.com/stretchr/testify/require"
)

// The BOLT 8 Appendix A vectors, copied from the shared vector set into
// testdata/transport.json.

type initiatorVector struct {
	Name              string  `json:"name"`
	RSPub             string  `json:"rs_pub"`
	LSPriv            string  `json:"ls_priv"`
	LSPub             string  `json:"ls_pub"`
	EPriv             string  `json:"e_priv"`
	EPub              string  `json:"e_pub"`
	Act1Output        string  `json:"act1_output"`
	Act2Input         string  `json:"act2_input"`
	Act3Output        string  `json:"act3_output"`
	SK                string  `json:"sk"`
	RK                string  `json:"rk"`
	ExpectedErrorName *string `json:"expected_error_name"`
}

type responderVector struct {
	Name              string  `json:"name"`
	LSPriv            string  `json:"ls_priv"`
	LSPub             string  `json:"ls_pub"`
	EPriv             string  `json:"e_priv"`
	EPub              string  `json:"e_pub"`
	Act1Input         string  `json:"act1_input"`
	Act2Output        string  `json:"act2_output"`
	Act3Input         string  `json:"act3_input"`
	SK                string  `json:"sk"`
	RK                string  `json:"rk"`
	ExpectedErrorName *string `json:"expected_error_name"`
}

type messageVector struct {
	CK        string `json:"ck"`
	SK        string `json:"sk"`
	RK        string `json:"rk"`
	Plaintext string `json:"plaintext_hex"`
	Outputs   []struct {
		Index      int    `json:"message_index"`
		Ciphertext string `json:"ciphertext"`
	} `json:"outputs"`
	KeyRotations []struct {
		NewCK  string `json:"new_ck"`
		NewKey string `json:"new_key"`
	} `json:"key_rotations_comment"`
}

type transportVectors struct {
	Initiator []initiatorVector `json:"initiator_tests"`
	Responder []responderVector `json:"responder_tests"`
	Message   messageVector     `json:"message_encryption_test"`
}

func loadVectors(t testing.TB) *transportVectors {
	t.Helper()
	var v transportVectors
	testutil.LoadJSON(t, "transport.json", &v)
	return &v
}

// vectorErrors maps the vectors' error names to the sentinels.
var vectorErrors = map[string]error{
	"ACT1_READ_FAILED":    ErrActOneReadFailed,
	"ACT1_BAD_VERSION":    ErrActOneBadVersion,
	"ACT1_BAD_PUBKEY":     ErrActOneBadPubKey,
	"ACT1_BAD_TAG":        ErrActOneBadTag,
	"ACT2_READ_FAILED":    ErrActTwoReadFailed,
	"ACT2_BAD_VERSION":    ErrActTwoBadVersion,
	"ACT2_BAD_PUBKEY":     ErrActTwoBadPubKey,
	"ACT2_BAD_TAG":        ErrActTwoBadTag,
	"ACT3_READ_FAILED":    ErrActThreeReadFailed,
	"ACT3_BAD_VERSION":    ErrActThreeBadVersion,
	"ACT3_BAD_CIPHERTEXT": ErrActThreeBadCiphertext,
	"ACT3_BAD_PUBKEY":     ErrActThreeBadPubKey,
	"ACT3_BAD_TAG":        ErrActThreeBadTag,
}

// scriptConn is a net.Conn that reads a fixed script and records what is
// written to it.
type scriptConn struct {
	in     *bytes.Reader
	out    bytes.Buffer
	closed bool
}

func newScriptConn(in []byte) *scriptConn { return &scriptConn{in: bytes.NewReader(in)} }

func (c *scriptConn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.in.Read(p)
}
func (c *scriptConn) Write(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.out.Write(p)
}
func (c *scriptConn) Close() error                     { c.closed = true; return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

func privFromHex(t testing.TB, s string) *btcec.PrivateKey {
	return privFromBytes(testutil.Hex(t, s))
}

func privFromBytes(b []byte) *btcec.PrivateKey {
	k, _ := btcec.PrivKeyFromBytes(b)
	return k
}

func TestVectorsInitiator(t *testing.T) {
	v := loadVectors(t)
	require.Len(t, v.Initiator, 5)
	for _, tc := range v.Initiator {
		t.Run(tc.Name, func(t *testing.T) {
			ls := privFromHex(t, tc.LSPriv)
			require.Equal(t, tc.LSPub, hex.EncodeToString(ls.PubKey().SerializeCompressed()))
			rs, err := btcec.ParsePubKey(testutil.Hex(t, tc.RSPub))
			require.NoError(t, err)
			conn := newScriptConn(testutil.Hex(t, tc.Act2Input))
			cfg := HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(ls), Rand: bytes.NewReader(testutil.Hex(t, tc.EPriv))}
			tr, err := Initiate(t.Context(), conn, cfg, rs)
			out := conn.out.Bytes()
			require.GreaterOrEqual(t, len(out), ActOneSize)
			require.Equal(t, tc.Act1Output, hex.EncodeToString(out[:ActOneSize]), "act one")
			if tc.ExpectedErrorName != nil {
				want := vectorErrors[*tc.ExpectedErrorName]
				require.NotNil(t, want, *tc.ExpectedErrorName)
				require.ErrorIs(t, err, want)
				require.Nil(t, tr)
				require.True(t, conn.closed, "connection closed on failure")
				require.Len(t, out, ActOneSize, "nothing sent after the failure")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.Act3Output, hex.EncodeToString(out[ActOneSize:]), "act three")
			require.Equal(t, tc.SK, hex.EncodeToString(tr.send.key[:]), "sk")
			require.Equal(t, tc.RK, hex.EncodeToString(tr.recv.key[:]), "rk")
			require.True(t, tr.RemotePubKey().IsEqual(rs))
		})
	}
}

func TestVectorsResponder(t *testing.T) {
	v := loadVectors(t)
	require.Len(t, v.Responder, 10)
	for _, tc := range v.Responder {
		t.Run(tc.Name, func(t *testing.T) {
			ls := privFromHex(t, tc.LSPriv)
			require.Equal(t, tc.LSPub, hex.EncodeToString(ls.PubKey().SerializeCompressed()))
			in := append(testutil.Hex(t, tc.Act1Input), testutil.Hex(t, tc.Act3Input)...)
			conn := newScriptConn(in)
			cfg := HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(ls), Rand: bytes.NewReader(testutil.Hex(t, tc.EPriv))}
			tr, err := Respond(t.Context(), conn, cfg)
			out := conn.out.Bytes()
			if tc.Act2Output != "" {
				require.Equal(t, tc.Act2Output, hex.EncodeToString(out), "act two")
			} else {
				require.Empty(t, out, "no act two after a bad act one")
			}
			if tc.ExpectedErrorName != nil {
				want := vectorErrors[*tc.ExpectedErrorName]
				require.NotNil(t, want, *tc.ExpectedErrorName)
				require.ErrorIs(t, err, want)
				require.Nil(t, tr)
				require.True(t, conn.closed, "connection closed on failure")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.SK, hex.EncodeToString(tr.send.key[:]), "sk")
			require.Equal(t, tc.RK, hex.EncodeToString(tr.recv.key[:]), "rk")
			// The initiator's static key from the initiator vectors.
			require.Equal(t, "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa",
				hex.EncodeToString(tr.RemotePubKey().SerializeCompressed()))
		})
	}
}

// TestVectorsMessages encrypts "hello" 1002 times (indices 0..1001; see the
// note in testdata/transport.json on why the spec's "1001 times" needs 1002
// messages to reach output 1001) and checks the six listed frames, the two
// key rotations, and that a receiving transport decrypts every frame.
func TestVectorsMessages(t *testing.T) {
	v := loadVectors(t).Message
	sk, rk, ck := testutil.Hex32(t, v.SK), testutil.Hex32(t, v.RK), testutil.Hex32(t, v.CK)
	plain := testutil.Hex(t, v.Plaintext)

	conn := newScriptConn(nil)
	tr := newTransport(conn, nil, sk, rk, ck)
	frameLen := lengthHeaderSize + len(plain) + macSize
	want := map[int]string{}
	for _, o := range v.Outputs {
		want[o.Index] = o.Ciphertext
	}
	require.Len(t, want, 6)

	var rotations [][2][32]byte
	for i := 0; i <= 1001; i++ {
		beforeKey := tr.send.key
		require.NoError(t, tr.WriteFrame(plain))
		if tr.send.key != beforeKey {
			rotations = append(rotations, [2][32]byte{tr.send.ck, tr.send.key})
		}
	}
	stream := conn.out.Bytes()
	require.Len(t, stream, 1002*frameLen)
	for idx, ct := range want {
		got := stream[idx*frameLen : (idx+1)*frameLen]
		require.Equal(t, ct, hex.EncodeToString(got), "message %d", idx)
	}
	require.Len(t, rotations, 2)
	for i, r := range v.KeyRotations {
		require.Equal(t, r.NewCK, hex.EncodeToString(rotations[i][0][:]), "rotation %d ck", i)
		require.Equal(t, r.NewKey, hex.EncodeToString(rotations[i][1][:]), "rotation %d key", i)
	}

	// The other side, receiving with rk = our sk.
	rx := newTransport(newScriptConn(stream), nil, rk, sk, ck)
	for i := 0; i <= 1001; i++ {
		m, err := rx.ReadFrame()
		require.NoError(t, err, "message %d", i)
		require.Equal(t, plain, m)
	}
	_, err := rx.ReadFrame()
	require.ErrorIs(t, err, io.EOF)
}
