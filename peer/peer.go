package peer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// Connection errors (BOLT 1). Each ends the connection; Peer.Err and the
// blocked calls return them, wrapped with details.
var (
	// ErrClosed means the connection was closed locally with Close.
	ErrClosed = errors.New("peer: connection closed")
	// ErrNoInit means the peer's first message was not init, which BOLT 1
	// requires it to be.
	ErrNoInit = errors.New("peer: first message was not init")
	// ErrInitTimeout means the peer's init did not arrive in time.
	ErrInitTimeout = errors.New("peer: timed out waiting for init")
	// ErrNoCommonChain means both sides sent networks and no chain is in
	// both (BOLT 1 lets the receiver close the connection).
	ErrNoCommonChain = errors.New("peer: no chain in common with the peer's networks")
	// ErrMalformedMessage means a known message failed to decode.
	ErrMalformedMessage = errors.New("peer: malformed message")
	// ErrPingTimeout means the peer did not answer our ping in time.
	ErrPingTimeout = errors.New("peer: ping timed out")
	// ErrPingFlood means the peer sent more pings per 30 seconds than
	// Config.PingRateLimit allows (BOLT 1 lets a node fail a peer that
	// pings "significantly in excess of one ping per 30-second period"),
	// or kept pinging while it did not read the pongs we owe it.
	ErrPingFlood = errors.New("peer: too many pings")
	// ErrUnexpectedPong means a pong answered no ping of ours, or had a
	// length other than the num_pong_bytes we asked for (BOLT 1 lets the
	// receiver close the connection).
	ErrUnexpectedPong = errors.New("peer: pong does not match any ping")
	// ErrTooManyPings means Ping was called with too many pings already
	// awaiting their pong.
	ErrTooManyPings = errors.New("peer: too many pings outstanding")
	// ErrPongNotRequested means Ping was asked for a pong of 65532 bytes
	// or more, which BOLT 1 tells the receiver to ignore.
	ErrPongNotRequested = errors.New("peer: num_pong_bytes >= 65532 asks for no pong")
)

// warningTimeout bounds the write of the warning we send before closing a
// connection for a protocol violation.
const warningTimeout = 2 * time.Second

// maxOutstandingPings bounds the pings awaiting a pong.
const maxOutstandingPings = 16

// Peer is an established BOLT 1 connection: the handshake is done and both
// init messages have been exchanged.
//
// A Peer runs three goroutines (reader, writer and pinger), all ended by
// Close or by a connection failure. Ping and pong, error and warning are
// handled by the Peer; every other message goes to the Mailbox of the
// channel it names (Subscribe) or, failing that, to the host's mailbox
// (Receive). All methods are safe for concurrent use.
type Peer struct {
	cfg      Config
	log      *slog.Logger
	tr       *Transport
	inbound  bool
	init     *wire.Init
	features *Features

	host   *Mailbox
	events chan Event
	out    chan outFrame

	mu          sync.Mutex
	channels    map[wire.ChannelID]*Mailbox
	pings       []*pendingPing // written, awaiting their pong, in wire order
	pingsQueued int            // Ping calls whose ping the writer has not reached
	pongsOwed   []uint16       // num_pong_bytes of the peer's pings not yet answered
	pongsSpare  []uint16       // writer's second buffer for pongsOwed
	// pongsUnwritten counts the pongs owed that the writer has not
	// written yet, in pongsOwed or in its current batch. pongsDrained,
	// if not nil, is closed by the writer when it reaches zero.
	pongsUnwritten int
	pongsDrained   chan struct{}

	// pongReady wakes the writer when the reader owes a pong.
	pongReady chan struct{}

	delivering atomic.Bool
	pingsSeen  []time.Time // reader goroutine only

	done      chan struct{}
	closeOnce sync.Once
	err       error
	wg        sync.WaitGroup
}

// outFrame is a queued outbound message, or a flush marker (b nil). A
// ping of ours carries its pendingPing, which the writer registers as it
// writes the frame.
type outFrame struct {
	b     []byte
	flush chan struct{}
	ping  *pendingPing
}

// establish runs the init exchange on a fresh transport and starts the
// peer's goroutines. On failure the transport is closed.
func establish(ctx context.Context, tr *Transport, cfg Config, inbound bool) (*Peer, error) {
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("peer", fmt.Sprintf("%x", tr.RemotePubKey().SerializeCompressed()), "inbound", inbound)
	ours := &wire.Init{Features: cfg.Features.Minimal(), Networks: cfg.Chains,
		RemoteAddr: remoteAddrTLV(tr.RemoteAddr(), inbound)}

	var (
		theirs *wire.Init
		feats  *Features
	)
	err := runWithDeadline(ctx, tr.conn, cfg.InitTimeout, func() error {
		// Both sides send init first, so write while reading: on a
		// synchronous pipe two blocking writes would deadlock.
		wrote := make(chan error, 1)
		go func() { wrote <- tr.WriteMessage(ours) }()
		var err error
		theirs, err = readInit(tr)
		if err != nil && !errors.Is(err, ErrNoInit) && !errors.Is(err, ErrMalformedMessage) {
			tr.Close() // unblocks the write
			<-wrote
			return err
		}
		if err := <-wrote; err != nil {
			return fmt.Errorf("peer: send init: %w", err)
		}
		if err == nil {
			feats, err = negotiate(ours.Features, theirs.AllFeatures())
		}
		if err == nil {
			err = checkChains(&cfg, theirs.Networks)
		}
		if err != nil {
			// BOLT 1 only says to close; a warning first tells the
			// peer why.
			sendWarning(tr, wire.ChannelID{}, err.Error())
			return err
		}
		return nil
	})
	if err != nil {
		tr.Close()
		log.Debug("init exchange failed", "err", err)
		return nil, err
	}
	p := &Peer{
		cfg:       cfg,
		log:       log,
		tr:        tr,
		inbound:   inbound,
		init:      theirs,
		features:  feats,
		events:    make(chan Event, cfg.QueueSize),
		out:       make(chan outFrame, cfg.QueueSize),
		channels:  make(map[wire.ChannelID]*Mailbox),
		pongReady: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	p.host = newMailbox(p, wire.ChannelID{}, true)
	log.Info("peer connected", "features", feats.String())
	p.wg.Add(2)
	go p.readLoop()
	go p.writeLoop()
	if cfg.PingInterval > 0 {
		p.wg.Add(1)
		go p.pingLoop()
	}
	return p, nil
}

// readInit reads the peer's first message, which must be init. A
// protocol violation is reported with ErrNoInit or ErrMalformedMessage.
func readInit(tr *Transport) (*wire.Init, error) {
	b, err := tr.ReadFrame()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("%w: %w", ErrInitTimeout, err)
		}
		return nil, fmt.Errorf("peer: reading init: %w", err)
	}
	msg, err := wire.DecodeMessage(b)
	if msg != nil && msg.MsgType() != wire.MsgInit {
		return nil, fmt.Errorf("%w: got %s", ErrNoInit, msg.MsgType())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	return msg.(*wire.Init), nil
}

// checkChains applies BOLT 1's networks rule: when both sides list chains
// and none is common, the receiver may close the connection.
func checkChains(cfg *Config, theirs []wire.ChainHash) error {
	if cfg.Chains == nil || theirs == nil || cfg.AllowNoCommonChain {
		return nil
	}
	for _, a := range cfg.Chains {
		for _, b := range theirs {
			if a == b {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: ours %v, theirs %v", ErrNoCommonChain, cfg.Chains, theirs)
}

// sendWarning sends a warning with a short write deadline, ignoring
// failure: it is sent just before closing.
func sendWarning(tr *Transport, id wire.ChannelID, text string) {
	tr.conn.SetWriteDeadline(time.Now().Add(warningTimeout))
	_ = tr.WriteMessage(&wire.Warning{ChannelID: id, Data: []byte(text)})
}

// RemotePubKey returns the peer's node key.
func (p *Peer) RemotePubKey() *btcec.PublicKey { return p.tr.RemotePubKey() }

// RemoteInit returns the init message the peer sent. The caller must not
// modify it.
func (p *Peer) RemoteInit() *wire.Init { return p.init }

// Features returns the outcome of feature negotiation.
func (p *Peer) Features() *Features { return p.features }

// Inbound reports whether the peer connected to us.
func (p *Peer) Inbound() bool { return p.inbound }

// Transport returns the underlying BOLT 8 session. Reading from it
// directly would steal messages from the peer's reader; it is exposed for
// its addresses and key.
func (p *Peer) Transport() *Transport { return p.tr }

// Done is closed when the connection has ended.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns why the connection ended, or nil while it is up. After Close
// it is ErrClosed unless a failure came first.
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// fail ends the connection with err (the first cause wins) without
// waiting for the goroutines. It may be called from any goroutine.
func (p *Peer) fail(err error) {
	p.closeOnce.Do(func() {
		p.err = err
		close(p.done)
		p.tr.Close()
		if !errors.Is(err, ErrClosed) {
			p.log.Info("peer disconnected", "err", err)
		}
	})
}

// failWithWarning sends a warning explaining err, then ends the
// connection.
func (p *Peer) failWithWarning(err error) {
	sendWarning(p.tr, wire.ChannelID{}, err.Error())
	p.fail(err)
}

// Close ends the connection, drops messages not yet sent, and waits for
// the peer's goroutines to exit. It is idempotent and always returns nil.
// Use Flush first to make sure queued messages went out.
func (p *Peer) Close() error {
	p.fail(ErrClosed)
	p.wg.Wait()
	return nil
}

// Send queues m for sending. Messages are written whole, in the order Send
// calls return, from any number of goroutines. Send blocks while the
// outbound queue is full (the peer is not reading); it fails if ctx ends
// first, if the connection is down, or if m does not encode (such as a
// message over 65535 bytes), in which case nothing is queued.
func (p *Peer) Send(ctx context.Context, m wire.Message) error {
	b, err := wire.EncodeMessage(m)
	if err != nil {
		return err
	}
	return p.enqueue(ctx, outFrame{b: b})
}

func (p *Peer) enqueue(ctx context.Context, f outFrame) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	select {
	case p.out <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return p.err
	}
}

// Flush waits until every message queued before the call has been written
// to the connection.
func (p *Peer) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	if err := p.enqueue(ctx, outFrame{flush: ch}); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return p.err
	}
}

// writeLoop writes queued frames in order, and the pongs the reader owes
// ahead of them. It is the only goroutine that writes to the connection
// while the peer is up, apart from the warning sent just before a
// protocol failure closes it.
func (p *Peer) writeLoop() {
	defer p.wg.Done()
	for {
		var err error
		select {
		case <-p.pongReady:
			err = p.writePongs()
		case f := <-p.out:
			select {
			case <-p.pongReady:
				err = p.writePongs()
			default:
			}
			if err == nil {
				err = p.writeFrame(f)
			}
		case <-p.done:
			return
		}
		if err != nil {
			p.fail(err)
			return
		}
	}
}

// writeFrame writes one queued frame, registering a ping as outstanding
// just before it goes out.
func (p *Peer) writeFrame(f outFrame) error {
	if f.flush != nil {
		close(f.flush)
		return nil
	}
	if f.ping != nil {
		p.pingWritten(f.ping)
	}
	return p.tr.WriteFrame(f.b)
}

// Receive returns the next message for the host: any message that is not
// ping, pong, error or warning and that no subscribed channel claims. See
// Mailbox.Receive.
func (p *Peer) Receive(ctx context.Context) (wire.Message, error) { return p.host.Receive(ctx) }

// Subscribe creates the mailbox for a channel: from now on the messages
// whose channel_id (or temporary_channel_id) is id go there instead of to
// the host. It fails with ErrAlreadySubscribed if the channel has one.
func (p *Peer) Subscribe(id wire.ChannelID) (*Mailbox, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.channels[id]; ok {
		return nil, fmt.Errorf("%w: %s", ErrAlreadySubscribed, id)
	}
	m := newMailbox(p, id, false)
	p.channels[id] = m
	return m, nil
}

// Events returns the queue of errors and warnings the peer sends us. It
// is closed when the connection ends. Like the mailboxes it is bounded:
// a host that never drains it stalls the connection once it fills up.
func (p *Peer) Events() <-chan Event { return p.events }
