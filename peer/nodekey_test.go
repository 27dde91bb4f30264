package peer

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
	"github.com/stretchr/testify/require"
)

// opaqueKey is a wire.NodeKey that is not a *wire.PrivateNodeKey, as an
// HSM's would be: the handshake can learn its public key only from the
// interface. It counts its ECDHs and can be made to fail.
type opaqueKey struct {
	inner *wire.PrivateNodeKey
	pub   *btcec.PublicKey
	fail  error
	calls atomic.Int32
}

func (k *opaqueKey) PubKey() *btcec.PublicKey { return k.pub }

func (k *opaqueKey) ECDH(pub *btcec.PublicKey) ([32]byte, error) {
	k.calls.Add(1)
	if k.fail != nil {
		return [32]byte{}, k.fail
	}
	return k.inner.ECDH(pub)
}

func newOpaqueKey(seed string) *opaqueKey {
	k := testKey(seed)
	return &opaqueKey{inner: k, pub: k.PubKey()}
}

// handshakeWith runs Initiate with ka towards Respond with kb and returns
// both results.
func handshakeWith(t *testing.T, ka, kb wire.NodeKey, remote *btcec.PublicKey) (*Transport, *Transport, error, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c1, c2 := net.Pipe()
	ch := make(chan error, 1)
	var rt *Transport
	go func() {
		var err error
		rt, err = Respond(ctx, c2, HandshakeConfig{NodeKey: kb, Timeout: time.Second})
		ch <- err
	}()
	it, ierr := Initiate(ctx, c1, HandshakeConfig{NodeKey: ka, Timeout: time.Second}, remote)
	if ierr != nil {
		c2.Close()
	}
	rerr := <-ch
	if rerr != nil {
		c1.Close()
	}
	return it, rt, ierr, rerr
}

// TestOpaqueNodeKey runs the handshake with keys known only through
// wire.NodeKey: both sides learn the other's static key, which can only
// have come from PubKey, and each static key does its one BOLT 8 ECDH
// through the interface (se at the initiator, es at the responder; the
// other ECDHs use ephemeral keys).
func TestOpaqueNodeKey(t *testing.T) {
	ka, kb := newOpaqueKey("opaque a"), newOpaqueKey("opaque b")
	it, rt, ierr, rerr := handshakeWith(t, ka, kb, kb.PubKey())
	require.NoError(t, ierr)
	require.NoError(t, rerr)
	defer it.Close()
	defer rt.Close()
	require.True(t, rt.RemotePubKey().IsEqual(ka.PubKey()))
	require.True(t, it.RemotePubKey().IsEqual(kb.PubKey()))
	require.Equal(t, int32(1), ka.calls.Load())
	require.Equal(t, int32(1), kb.calls.Load())
}

// TestNodeKeyWithoutPubKey checks that a key with no public key is a
// configuration error on both sides, before any byte is sent.
func TestNodeKeyWithoutPubKey(t *testing.T) {
	for name, k := range map[string]wire.NodeKey{
		"invalid private key": wire.NewPrivateNodeKey(nil),
		"opaque without pub":  &opaqueKey{inner: testKey("x")},
	} {
		t.Run(name, func(t *testing.T) {
			c1, c2 := net.Pipe()
			defer c2.Close()
			_, err := Initiate(context.Background(), c1, HandshakeConfig{NodeKey: k}, testKey("b").PubKey())
			require.ErrorIs(t, err, ErrNoNodeKey)
			c3, c4 := net.Pipe()
			defer c4.Close()
			_, err = Respond(context.Background(), c3, HandshakeConfig{NodeKey: k})
			require.ErrorIs(t, err, ErrNoNodeKey)
		})
	}
}

// TestNodeKeyECDHFails checks that an ECDH failure of the node key ends
// the handshake with ErrECDH wrapping the key's own error.
func TestNodeKeyECDHFails(t *testing.T) {
	hsmDown := errors.New("hsm unreachable")
	kb := newOpaqueKey("failing b")
	kb.fail = hsmDown
	_, _, ierr, rerr := handshakeWith(t, testKey("a"), kb, kb.PubKey())
	require.Error(t, ierr)
	require.ErrorIs(t, rerr, ErrECDH)
	require.ErrorIs(t, rerr, hsmDown)
}
