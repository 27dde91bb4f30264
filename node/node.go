package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Node is a Lightning node: peers, channels, payments, invoices,
// forwarding. All its state lives on one goroutine (the node loop); the
// exported methods are safe for concurrent use and hand their work to it.
//
// Every turn of the loop handles the inputs waiting for it (messages from
// peers, commands, blocks), gathers everything they persist into one
// store batch, makes it durable with one Write, and only then sends the
// messages and delivers the events the turn produced: a message never
// leaves before the state it commits to is on disk.
type Node struct {
	cfg     Config
	log     *slog.Logger
	keys    *keychain
	nodeKey *btcec.PrivateKey
	// pathIDKey authenticates the path_id of this node's blinded paths.
	pathIDKey [32]byte
	id        [33]byte
	st        store.Store
	ownsSt    io.Closer
	rand      io.Reader
	now       func() time.Time

	inputs chan func()
	quit   chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc

	startOnce, stopOnce sync.Once
	running             bool
	mu                  sync.Mutex // guards running

	events *eventQueue

	// Loop-owned state.
	batch    store.Batch
	released []func() // work to do once the batch is durable
	height   uint32
	peers    map[[33]byte]*peerConn
	// dialing are outbound connections being set up, one per peer.
	dialing map[[33]byte]*dialAttempt
	// redialing are the channel peers a goroutine is reconnecting to.
	redialing map[[33]byte]*redial
	channels  map[wire.ChannelID]*chanState
	byTemp    map[wire.ChannelID]*opening
	byAlias   map[uint64]*chanState
	// recovering are channels being recovered from a backup.
	recovering map[wire.ChannelID]*recovery
	// recovered are channels whose recovery swept (never recovered again
	// when a peer hands back an old backup).
	recovered map[wire.ChannelID]bool
	nextKey   uint32
	pays      *payments
	invs      *invoices
	fwd       *forwards
	// writeFailures counts consecutive failed batch writes.
	writeFailures int
	// toSign are channels with updates to commit at the end of the turn.
	toSign map[*chanState]bool
	onion  *onion.Processor
	// feeRate is the last fee estimate for 6 blocks.
	feeRate wire.SatPerKWeight
	graph   *routing.Graph
	// startedAt is when Start ran (payments wait for routes a while
	// after it).
	startedAt time.Time
	// pendingAnns are channel announcements waiting for their funding
	// output (gossip_verify.go), utxoQueue their lookups.
	pendingAnns    map[uint64]*pendingAnn
	utxoQueue      chan *wire.ChannelAnnouncement
	utxoWorker     bool
	mission        *routing.MissionControl
	lastGraphFlush time.Time
	// fundIdx finds graph channels' funding spends (gossip_spent.go).
	fundIdx     *fundingIndex
	monDirty    map[*chanState]bool
	monPrepared []preparedUpdate
	monEvents   []monEvent
	// holdFinal, set only by tests, leaves matching HTLCs paid to this
	// node unanswered, as a payee that has gone silent would.
	holdFinal func(wire.PaymentHash) bool
	// pendingMonitor holds monitor updates of a channel being opened,
	// until the channel is registered.
	pendingMonitor []*channel.MonitorUpdate
}

// New builds a Node from cfg. It opens the default store when cfg.Store is
// nil; nothing runs until Start.
func New(cfg Config) (*Node, error) {
	if cfg.Network == nil {
		return nil, fmt.Errorf("%w: Network is required", ErrInvalidRequest)
	}
	if cfg.Broadcaster == nil || cfg.FeeEstimator == nil || cfg.Wallet == nil {
		return nil, fmt.Errorf("%w: Broadcaster, FeeEstimator and Wallet are required", ErrInvalidRequest)
	}
	keys, err := newKeychain(cfg.Seed)
	if err != nil {
		return nil, err
	}
	cfg.Policy = cfg.Policy.withDefaults()
	if d := cfg.Policy.BlindedDummyHops; d < 0 || d > MaxBlindedDummyHops {
		return nil, fmt.Errorf("%w: BlindedDummyHops %d is not in [0, %d]", ErrInvalidRequest, d, MaxBlindedDummyHops)
	}
	if r := cfg.Policy.BlindedRealHops; r < 1 || r > 2 {
		return nil, fmt.Errorf("%w: BlindedRealHops %d is not 1 or 2", ErrInvalidRequest, r)
	}
	n := &Node{
		cfg:         cfg,
		log:         cfg.Logger,
		keys:        keys,
		pathIDKey:   keys.raw("blinded-path-id", 0, 0),
		rand:        cfg.Rand,
		now:         cfg.Clock,
		inputs:      make(chan func(), 256),
		quit:        make(chan struct{}),
		peers:       map[[33]byte]*peerConn{},
		dialing:     map[[33]byte]*dialAttempt{},
		redialing:   map[[33]byte]*redial{},
		channels:    map[wire.ChannelID]*chanState{},
		byTemp:      map[wire.ChannelID]*opening{},
		byAlias:     map[uint64]*chanState{},
		toSign:      map[*chanState]bool{},
		monDirty:    map[*chanState]bool{},
		recovering:  map[wire.ChannelID]*recovery{},
		recovered:   map[wire.ChannelID]bool{},
		pendingAnns: map[uint64]*pendingAnn{},
		utxoQueue:   make(chan *wire.ChannelAnnouncement, maxPendingAnnouncements),
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.rand == nil {
		n.rand = rand.Reader
	}
	if n.now == nil {
		n.now = time.Now
	}
	n.nodeKey = keys.nodeKey()
	n.onion = onion.NewProcessor(wire.NewPrivateNodeKey(n.nodeKey), nil)
	copy(n.id[:], n.nodeKey.PubKey().SerializeCompressed())
	n.st = cfg.Store
	if n.st == nil {
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("%w: Store or DataDir is required", ErrInvalidRequest)
		}
		f, err := store.OpenFile(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		n.st, n.ownsSt = f, f
	}
	n.events = newEventQueue(cfg.OnEvent)
	n.pays = newPayments(n)
	n.invs = newInvoices(n)
	n.fwd = newForwards(n)
	return n, nil
}

// NodeID returns the node's public key.
func (n *Node) NodeID() *btcec.PublicKey { return n.nodeKey.PubKey() }

// Start loads the node's state from its store, starts its goroutines and,
// with a Listener, accepts connections. Payments that were in flight when
// the node stopped resume.
func (n *Node) Start(ctx context.Context) error {
	err := ErrStopped
	n.startOnce.Do(func() {
		n.startedAt = n.now()
		n.ctx, n.cancel = context.WithCancel(context.Background())
		if err = n.load(ctx); err != nil {
			return
		}
		n.mu.Lock()
		n.running = true
		n.mu.Unlock()
		n.wg.Add(1)
		go n.loop()
		if n.cfg.Listener != nil {
			n.wg.Add(1)
			go n.acceptLoop()
		}
		n.events.start(&n.wg, n.quit)
		n.post(n.resume)
		n.rebroadcastFunding(ctx)
		n.reconnectPeers()
		err = nil
	})
	return err
}

// Stop stops the node: it disconnects every peer and returns when every
// goroutine it started has ended. What was in flight is durable and
// resumes at the next Start. Stop closes the default store; a store given
// in Config stays open.
func (n *Node) Stop() error {
	var err error
	n.stopOnce.Do(func() {
		n.mu.Lock()
		n.running = false
		n.mu.Unlock()
		if n.cancel != nil {
			n.cancel()
		}
		close(n.quit)
		if n.cfg.Listener != nil {
			n.cfg.Listener.Close()
		}
		n.wg.Wait()
		// The loop is gone; close peers from here.
		for _, p := range n.peers {
			p.close()
		}
		// The graph is a cache flushed every few seconds: keep what
		// came since the last flush (a failure only loses gossip).
		if n.graph != nil && n.graph.Pending() > 0 {
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := n.graph.Flush(fctx); err != nil {
				n.log.Info("graph flush at stop", "err", err)
			}
			cancel()
		}
		if n.ownsSt != nil {
			err = n.ownsSt.Close()
		}
	})
	return err
}

// do runs fn on the node loop and returns its error; fn's writes are
// durable before do returns.
func (n *Node) do(ctx context.Context, fn func() error) error {
	done := make(chan error, 2)
	n.mu.Lock()
	running := n.running
	n.mu.Unlock()
	if !running {
		return ErrStopped
	}
	// A caller that gives up (ctx, Stop) before fn has run must not see
	// it run later, nor read what fn writes while it runs: fn runs under
	// mu only if the caller still waits, and giving up takes mu, so
	// that it waits for an fn already running.
	var mu sync.Mutex
	abandoned := false
	giveUp := func(err error) error {
		mu.Lock()
		abandoned = true
		mu.Unlock()
		return err
	}
	run := func() error {
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			return ErrStopped
		}
		return fn()
	}
	select {
	case n.inputs <- func() { n.afterCommit(func() { done <- nil }); done <- run() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.quit:
		return ErrStopped
	}
	select {
	case err := <-done:
		if err != nil {
			return err
		}
		// The second value is sent once the turn's batch is durable.
		// While the store fails, that can take until ctx ends: fn's
		// changes are then not known to be durable.
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-n.quit:
			return ErrStopped
		}
	case <-ctx.Done():
		return giveUp(ctx.Err())
	case <-n.quit:
		return giveUp(ErrStopped)
	}
}

// post queues fn for the loop without waiting (from any goroutine).
func (n *Node) post(fn func()) {
	select {
	case n.inputs <- fn:
	case <-n.quit:
	}
}

// afterCommit runs fn once the current turn's batch is durable (loop only).
func (n *Node) afterCommit(fn func()) { n.released = append(n.released, fn) }

// tickInterval paces timers: payment retries, MPP timeouts.
const tickInterval = 250 * time.Millisecond

func (n *Node) loop() {
	defer n.wg.Done()
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case fn := <-n.inputs:
			fn()
			// Take what else is waiting into the same turn.
			for i := 0; i < 64; i++ {
				select {
				case fn := <-n.inputs:
					fn()
					continue
				default:
				}
				break
			}
		case <-t.C:
			n.tick()
		case <-n.quit:
			return
		}
		n.commit()
	}
}

// commit makes the turn's batch durable, then runs what waited for it
// (sends, events), which may produce more writes: repeat until quiet. A
// failed write holds everything back and is retried with backoff; it
// never fails a channel (wave-2 research: transient I/O errors must not
// force-close).
func (n *Node) commit() {
	for round := 0; ; round++ {
		n.signPending()
		if !n.prepareMonitors() {
			n.log.Info("stopping: the turn's state changes are not written and its messages not sent")
			return
		}
		if n.batch.Len() > 0 {
			if err := n.st.Write(n.ctx, &n.batch); err != nil {
				n.writeFailures++
				n.log.Error("store write failed; holding all messages back", "err", err, "failures", n.writeFailures)
				if errors.Is(err, store.ErrClosed) || n.ctx.Err() != nil {
					return
				}
				backoff := time.Duration(n.writeFailures) * 50 * time.Millisecond
				if backoff > 5*time.Second {
					backoff = 5 * time.Second
				}
				select {
				case <-time.After(backoff):
				case <-n.quit:
					return
				}
				continue
			}
			n.writeFailures = 0
			n.batch.Reset()
		}
		n.commitMonitors()
		if len(n.released) == 0 {
			return
		}
		work := n.released
		n.released = nil
		for _, fn := range work {
			fn()
		}
	}
}

// resume replays, after a restart, what the channels hold that the node
// must act on: incoming HTLCs not yet resolved, outcomes of outgoing HTLCs
// not yet acknowledged (loop).
func (n *Node) resume() {
	n.handleMonitorEvents()
	for _, cs := range n.channels {
		for _, li := range cs.m.PendingIncoming() {
			li := li
			n.onLockedIn(cs, &li)
		}
		for _, r := range cs.m.PendingResolutions() {
			switch r := r.(type) {
			case *channel.HTLCSettled:
				n.onOutgoingSettled(cs, r)
			case *channel.HTLCFailed:
				n.onOutgoingFailed(cs, r)
			}
		}
	}
}

// tick runs the node's timers.
func (n *Node) tick() {
	n.pays.tick()
	n.invs.tick()
	n.fwd.tick()
	n.gossipTick()
	n.fundingTick()
}

// Info describes the node.
type Info struct {
	// NodeID is the node's public key.
	NodeID *btcec.PublicKey
	// Alias is its alias.
	Alias string
	// Height is the last block height the host pushed.
	Height uint32
	// Peers and Channels count connected peers and channels.
	Peers, Channels int
}

// Info returns the node's identity and counters.
func (n *Node) Info(ctx context.Context) (Info, error) {
	var info Info
	err := n.do(ctx, func() error {
		info = Info{NodeID: n.NodeID(), Alias: n.cfg.Alias, Height: n.height, Peers: len(n.peers), Channels: len(n.channels)}
		return nil
	})
	return info, err
}
