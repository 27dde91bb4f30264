package peer

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// DefaultMaxPendingHandshakes bounds the inbound connections a Listener
// handshakes at once.
const DefaultMaxPendingHandshakes = 64

// ErrListenerClosed is returned by Accept after Close.
var ErrListenerClosed = errors.New("peer: listener closed")

// Listener accepts inbound Lightning connections on a net.Listener the
// host supplies, runs the responder handshake and the init exchange on
// each in its own goroutine, and hands out the peers that complete them.
// One connection's failure is logged and affects no other. A Listener is
// safe for concurrent use.
type Listener struct {
	ln     net.Listener
	cfg    Config
	peers  chan *Peer
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	acceptErr error
	acceptEnd chan struct{}

	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Listen starts accepting connections on ln. The listener takes ownership
// of ln and closes it in Close.
func Listen(ln net.Listener, cfg Config) (*Listener, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		ln:        ln,
		cfg:       cfg,
		peers:     make(chan *Peer),
		sem:       make(chan struct{}, DefaultMaxPendingHandshakes),
		ctx:       ctx,
		cancel:    cancel,
		acceptEnd: make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Accept returns the next peer that completed the handshake and init. It
// fails with ctx's error, ErrListenerClosed after Close, or the error that
// stopped the underlying listener.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	select {
	case p := <-l.peers:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, ErrListenerClosed
	case <-l.acceptEnd:
		l.mu.Lock()
		defer l.mu.Unlock()
		return nil, l.acceptErr
	}
}

// Close stops accepting, aborts handshakes in progress, closes peers
// that were never accepted, and waits for the listener's goroutines.
// Peers already returned by Accept are not affected. Close is idempotent.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.cancel()
		err = l.ln.Close()
	})
	l.wg.Wait()
	return err
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.ctx.Err() != nil {
				return
			}
			if !errors.Is(err, net.ErrClosed) {
				// Probably transient (such as running out of file
				// descriptors): back off and keep going.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				l.cfg.Logger.Warn("accept failed; retrying", "err", err, "in", backoff)
				select {
				case <-time.After(backoff):
					continue
				case <-l.ctx.Done():
					return
				}
			}
			l.mu.Lock()
			l.acceptErr = err
			l.mu.Unlock()
			close(l.acceptEnd)
			return
		}
		backoff = 0
		select {
		case l.sem <- struct{}{}:
		case <-l.ctx.Done():
			conn.Close()
			return
		}
		l.wg.Add(1)
		go l.serve(conn)
	}
}

// serve runs one inbound connection to completion of init.
func (l *Listener) serve(conn net.Conn) {
	defer l.wg.Done()
	// The slot is held until the host takes the peer, which bounds the
	// peers waiting for Accept too.
	defer func() { <-l.sem }()
	p, err := AcceptConn(l.ctx, conn, l.cfg)
	if err != nil {
		l.cfg.Logger.Info("inbound connection failed", "remote", conn.RemoteAddr(), "err", err)
		return
	}
	select {
	case l.peers <- p:
	case <-l.ctx.Done():
		p.Close()
	}
}
