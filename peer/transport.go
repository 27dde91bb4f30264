package peer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// MaxMessageSize is the largest Lightning message BOLT 8 carries: 65535
// bytes, the same constant as wire.MaxMessageSize, of which it is an alias.
const MaxMessageSize = wire.MaxMessageSize

// Frame sizes: the encrypted length prefix, and the largest whole frame
// (2 + 16 + 65535 + 16 bytes).
const (
	lengthHeaderSize = 2 + macSize
	maxFrameSize     = lengthHeaderSize + MaxMessageSize + macSize
)

// Transport is an established BOLT 8 session over a net.Conn: it encrypts
// and frames outgoing messages and authenticates and decrypts incoming ones
// (BOLT 8, "Lightning Message Specification"), rotating each direction's
// key every 1000 nonces.
//
// One goroutine may read while others write. Writes are serialised by a
// mutex and go out in the order the calls take the lock; concurrent reads
// are serialised too. In steady state neither direction allocates: frames
// are sealed and opened in place in buffers the transport keeps.
//
// Any read failure except a clean io.EOF between frames, and any write
// failure, closes the connection: once a nonce is lost the session cannot
// continue.
type Transport struct {
	conn   net.Conn
	remote *btcec.PublicKey

	wmu  sync.Mutex
	send cipherState
	wbuf []byte
	werr error

	rmu  sync.Mutex
	recv cipherState
	rhdr [lengthHeaderSize]byte
	rbuf []byte
	rerr error

	closeOnce sync.Once
	closeErr  error
}

// newTransport starts a session with send key sk, receive key rk and the
// final chaining key ck, which both directions start from.
func newTransport(conn net.Conn, remote *btcec.PublicKey, sk, rk, ck [32]byte) *Transport {
	t := &Transport{conn: conn, remote: remote}
	t.send.init(sk, ck)
	t.recv.init(rk, ck)
	return t
}

// RemotePubKey returns the remote node's static public key.
func (t *Transport) RemotePubKey() *btcec.PublicKey { return t.remote }

// LocalAddr returns the local network address of the connection.
func (t *Transport) LocalAddr() net.Addr { return t.conn.LocalAddr() }

// RemoteAddr returns the remote network address of the connection.
func (t *Transport) RemoteAddr() net.Addr { return t.conn.RemoteAddr() }

// Close closes the connection. It is safe to call more than once; later
// calls return the first call's result.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() { t.closeErr = t.conn.Close() })
	return t.closeErr
}

// frameBuf returns t.wbuf with room for a frame carrying n message bytes,
// its length set to the header size.
func (t *Transport) frameBuf(n int) []byte {
	need := lengthHeaderSize + n + macSize
	if cap(t.wbuf) < need {
		t.wbuf = make([]byte, lengthHeaderSize, need)
	}
	return t.wbuf[:lengthHeaderSize]
}

// WriteFrame encrypts msg, a whole Lightning message, and writes it as one
// frame. It fails with ErrMessageTooLarge, sending nothing, if msg is longer
// than 65535 bytes. It is safe for concurrent use.
func (t *Transport) WriteFrame(msg []byte) error {
	if len(msg) > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(msg))
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.werr != nil {
		return t.werr
	}
	b := append(t.frameBuf(len(msg)), msg...)
	return t.sealAndWrite(b)
}

// AppendFrame is WriteFrame for a message that fill appends to the buffer it
// is given; it lets a caller encode straight into the frame buffer without a
// copy. fill must only append. If fill fails, nothing is sent and its error
// is returned.
func (t *Transport) AppendFrame(fill func(b []byte) ([]byte, error)) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.werr != nil {
		return t.werr
	}
	b, err := fill(t.frameBuf(0))
	if err != nil {
		return err
	}
	if len(b) < lengthHeaderSize {
		return errors.New("peer: AppendFrame: fill shortened the buffer")
	}
	if n := len(b) - lengthHeaderSize; n > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, n)
	}
	if cap(b) > cap(t.wbuf) {
		t.wbuf = b[:0]
	}
	return t.sealAndWrite(b)
}

// sealAndWrite takes b = [18 bytes of room][message], encrypts it in place
// (growing it once if there is no room for the tag) and writes it.
// t.wmu must be held.
func (t *Transport) sealAndWrite(b []byte) error {
	n := len(b) - lengthHeaderSize
	if cap(b) < len(b)+macSize {
		nb := make([]byte, len(b), len(b)+macSize)
		copy(nb, b)
		b = nb
	}
	b[0], b[1] = byte(n>>8), byte(n)
	t.send.seal(b[:0], b[:2])
	body := t.send.seal(b[lengthHeaderSize:lengthHeaderSize], b[lengthHeaderSize:])
	frame := b[:lengthHeaderSize+len(body)]
	if cap(frame) > cap(t.wbuf) {
		t.wbuf = frame[:0]
	}
	if _, err := t.conn.Write(frame); err != nil {
		t.werr = fmt.Errorf("peer: bolt8 write: %w", err)
		t.Close()
		return t.werr
	}
	return nil
}

// ReadFrame reads, authenticates and decrypts the next frame and returns
// the message in it. The slice is valid until the next ReadFrame or
// ReadMessage call.
//
// At a clean end of stream between frames it returns io.EOF. A stream that
// ends inside a frame gives ErrFrameTruncated; a frame that does not
// authenticate gives ErrLengthMAC or ErrBodyMAC. After any error the
// connection is closed and every later call returns the same error.
func (t *Transport) ReadFrame() ([]byte, error) {
	t.rmu.Lock()
	defer t.rmu.Unlock()
	if t.rerr != nil {
		return nil, t.rerr
	}
	b, err := t.readFrame()
	if err != nil {
		t.rerr = err
		t.Close()
		return nil, err
	}
	return b, nil
}

func (t *Transport) readFrame() ([]byte, error) {
	if _, err := io.ReadFull(t.conn, t.rhdr[:]); err != nil {
		return nil, readErr(err)
	}
	l, err := t.recv.open(t.rhdr[:0], t.rhdr[:])
	if err != nil {
		return nil, ErrLengthMAC
	}
	n := (int(l[0])<<8 | int(l[1])) + macSize
	if cap(t.rbuf) < n {
		t.rbuf = make([]byte, n)
	}
	c := t.rbuf[:n]
	if _, err := io.ReadFull(t.conn, c); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, readErr(err)
	}
	m, err := t.recv.open(c[:0], c)
	if err != nil {
		return nil, ErrBodyMAC
	}
	return m, nil
}

// readErr classifies a read error: a stream cut inside a frame is
// ErrFrameTruncated, a clean EOF stays io.EOF.
func readErr(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %w", ErrFrameTruncated, err)
	default:
		return fmt.Errorf("peer: bolt8 read: %w", err)
	}
}
