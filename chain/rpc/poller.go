package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/store"
)

// Source is what a Poller reads the chain from. *Client implements it.
type Source interface {
	// BlockCount returns the best block's height.
	BlockCount(ctx context.Context) (uint32, error)
	// BlockHash returns the hash of the best chain's block at height, or
	// an error wrapping ErrHeightOutOfRange above the tip.
	BlockHash(ctx context.Context, height uint32) (chainhash.Hash, error)
	// Block returns a block by hash, in the best chain or not.
	Block(ctx context.Context, hash chainhash.Hash) (*btcwire.MsgBlock, error)
	// BlockHeader returns a block's header by hash, in the best chain or
	// not.
	BlockHeader(ctx context.Context, hash chainhash.Hash) (btcwire.BlockHeader, error)
}

var _ Source = (*Client)(nil)

// Checkpoint is a block: its height and hash.
type Checkpoint struct {
	// Height is the block's height.
	Height uint32
	// Hash is the block's hash.
	Hash chainhash.Hash
}

// Defaults of PollerConfig.
const (
	// DefaultInterval is how often a running Poller polls by default.
	DefaultInterval = time.Second
	// DefaultWindow is how many recent headers a Poller keeps by default:
	// a day of blocks.
	DefaultWindow = 144
	// DefaultKey is the default prefix of a Poller's Store keys.
	DefaultKey = "chain/rpc/"
)

// PollerConfig configures a Poller.
type PollerConfig struct {
	// Source is the node. Required.
	Source Source
	// Listener receives the blocks. Required; chain.Listeners fans out to
	// several.
	Listener chain.Listener
	// Store, if not nil, keeps the Poller's position (the last block
	// delivered, and the headers of the last Window blocks) under Key, so
	// that a restarted Poller resumes where it stopped, and disconnects
	// what left the best chain while it was down. Without a Store the
	// position lives in memory only.
	Store store.Store
	// Key is the prefix of the Store keys; DefaultKey if empty. Two
	// Pollers sharing a Store need different keys.
	Key string
	// Start is where a Poller with no stored position begins: the first
	// block delivered is the one at Start.Height+1, on top of Start.Hash.
	// If nil, it begins at the node's tip when it first syncs.
	Start *Checkpoint
	// Filter, if not nil, limits each block's transactions to those that
	// match its registrations; if nil, every transaction is delivered.
	Filter *WatchFilter
	// Interval is how often the running Poller asks the node for its tip;
	// DefaultInterval if zero. It is also the wait before retrying after
	// an error.
	Interval time.Duration
	// Window is how many recent headers the Poller keeps (in memory and in
	// the Store) to disconnect blocks on a reorganisation; DefaultWindow
	// if zero. For an orphaned block outside the window it asks the node,
	// which normally still has it.
	Window int
	// Logger receives errors of the running Poller; nil discards them.
	Logger *slog.Logger
}

// Poller follows a node's best chain and feeds it to a chain.Listener: a
// BlockConnected for every block that joins it, in height order, and on a
// reorganisation a BlockDisconnected for every block that left it, the tip
// first, back to the fork point, before the new branch is connected. It
// compares block hashes (the node's block at the Poller's tip height
// against the Poller's tip, walking back while they differ) and checks
// that each new block's parent is the Poller's tip, so a reorganisation
// that happens while it connects blocks is caught too.
//
// An event is delivered, then the new position is written to the Store
// (one batch), then the Poller moves on. If the Listener returns an error,
// or the write fails, the same event is delivered again at the next sync,
// as chain.Listener asks; a crash between delivery and write does the
// same after a restart. Consumers treat repeats as no-ops.
//
// Run it with Start and Stop (one goroutine, polling every Interval), or
// drive it with Sync. Its methods are safe for concurrent use; Sync
// refuses to run while the goroutine does.
type Poller struct {
	cfg PollerConfig
	log *slog.Logger

	syncMu sync.Mutex // held for a whole sync; guards the state below
	loaded bool
	tip    Checkpoint
	header btcwire.BlockHeader
	window map[uint32]btcwire.BlockHeader

	mu      sync.Mutex // guards running, cancel, done and shown
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
	shown   Checkpoint
}

// NewPoller checks cfg and returns a Poller that has not started.
func NewPoller(cfg PollerConfig) (*Poller, error) {
	if cfg.Source == nil || cfg.Listener == nil {
		return nil, errors.New("chain/rpc: PollerConfig needs a Source and a Listener")
	}
	if cfg.Key == "" {
		cfg.Key = DefaultKey
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{cfg: cfg, log: log, window: make(map[uint32]btcwire.BlockHeader)}, nil
}

// Tip returns the last block delivered (or the starting point), and false
// before the Poller has loaded or chosen its position.
func (p *Poller) Tip() (Checkpoint, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown, p.shown != (Checkpoint{})
}

// Start starts the polling goroutine, which syncs at once and then every
// Interval until ctx ends or Stop is called. Errors (of the node, the
// Listener, the Store) are logged and the sync is retried after Interval.
func (p *Poller) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return ErrStarted
	}
	ctx, cancel := context.WithCancel(ctx)
	p.running, p.cancel, p.done = true, cancel, make(chan struct{})
	go p.loop(ctx, p.done)
	return nil
}

// Stop stops the goroutine and waits for it to return; a Listener call in
// progress sees its context cancelled. Stop without Start does nothing.
func (p *Poller) Stop() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	p.mu.Lock()
	if p.done == done {
		p.running, p.cancel, p.done = false, nil, nil
	}
	p.mu.Unlock()
}

func (p *Poller) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.sync(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("chain/rpc: sync", "err", err)
		}
		t.Reset(p.cfg.Interval)
	}
}

// Sync brings the Listener up to the node's tip once: it disconnects what
// left the best chain and connects what joined it, then returns. It fails
// with ErrStarted while the goroutine runs.
func (p *Poller) Sync(ctx context.Context) error {
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if running {
		return ErrStarted
	}
	return p.sync(ctx)
}

func (p *Poller) sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	if !p.loaded {
		if err := p.load(ctx); err != nil {
			return err
		}
	}
	for {
		count, err := p.cfg.Source.BlockCount(ctx)
		if err != nil {
			return err
		}
		// Walk back while the tip is not the node's block at its height.
		for {
			inBest, err := p.tipInBestChain(ctx, count)
			if err != nil {
				return err
			}
			if inBest {
				break
			}
			if err := p.disconnectTip(ctx); err != nil {
				return err
			}
		}
		if p.tip.Height >= count {
			return nil
		}
		// Connect up to count, as long as each block builds on the tip.
		relinked := false
		for h := p.tip.Height + 1; h <= count; h++ {
			hash, err := p.cfg.Source.BlockHash(ctx, h)
			if errors.Is(err, ErrHeightOutOfRange) {
				relinked = true // the chain got shorter: start over
				break
			}
			if err != nil {
				return err
			}
			blk, err := p.cfg.Source.Block(ctx, hash)
			if err != nil {
				return err
			}
			if blk.Header.PrevBlock != p.tip.Hash {
				relinked = true // a reorganisation since BlockCount
				break
			}
			if err := p.connect(ctx, h, hash, blk); err != nil {
				return err
			}
		}
		if !relinked {
			// More blocks may have come meanwhile; the next sync gets them.
			return nil
		}
	}
}

// tipInBestChain reports whether the node's best chain, of height count,
// holds the tip.
func (p *Poller) tipInBestChain(ctx context.Context, count uint32) (bool, error) {
	if p.tip.Height > count {
		return false, nil
	}
	hash, err := p.cfg.Source.BlockHash(ctx, p.tip.Height)
	if errors.Is(err, ErrHeightOutOfRange) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return hash == p.tip.Hash, nil
}

// connect delivers blk, at height with hash, then records it as the tip.
func (p *Poller) connect(ctx context.Context, height uint32, hash chainhash.Hash, blk *btcwire.MsgBlock) error {
	b := &chain.Block{Header: blk.Header, Height: height, Txs: filterBlock(p.cfg.Filter, blk)}
	if err := p.cfg.Listener.BlockConnected(ctx, b); err != nil {
		return fmt.Errorf("chain/rpc: listener: connect block %d (%s): %w", height, hash, err)
	}
	next := Checkpoint{Height: height, Hash: hash}
	var drop []uint32
	if w := uint32(p.cfg.Window); height >= w {
		drop = append(drop, height-w)
	}
	if err := p.persist(ctx, next, blk.Header, drop); err != nil {
		return err
	}
	p.window[height] = blk.Header
	for _, h := range drop {
		delete(p.window, h)
	}
	p.setTip(next, blk.Header)
	return nil
}

// disconnectTip delivers BlockDisconnected for the tip, then records its
// parent as the tip. The parent's header comes from the window or, failing
// that, from the node; it is fetched first, so that a disconnect that
// cannot be completed is not delivered.
func (p *Poller) disconnectTip(ctx context.Context) error {
	height, header := p.tip.Height, p.header
	if height == 0 {
		return fmt.Errorf("%w: the node's chain does not contain the genesis block %s", ErrForkNotFound, p.tip.Hash)
	}
	parentHash := header.PrevBlock
	parent, ok := p.window[height-1]
	if !ok || parent.BlockHash() != parentHash {
		var err error
		parent, err = p.cfg.Source.BlockHeader(ctx, parentHash)
		if err != nil {
			return fmt.Errorf("%w: header of block %d (%s), parent of orphaned block %s: %w",
				ErrForkNotFound, height-1, parentHash, p.tip.Hash, err)
		}
	}
	if err := p.cfg.Listener.BlockDisconnected(ctx, header, height); err != nil {
		return fmt.Errorf("chain/rpc: listener: disconnect block %d (%s): %w", height, p.tip.Hash, err)
	}
	next := Checkpoint{Height: height - 1, Hash: parentHash}
	if err := p.persistDisconnect(ctx, next, parent, height); err != nil {
		return err
	}
	delete(p.window, height)
	p.window[height-1] = parent
	p.setTip(next, parent)
	return nil
}

func (p *Poller) setTip(c Checkpoint, h btcwire.BlockHeader) {
	p.tip, p.header = c, h
	p.mu.Lock()
	p.shown = c
	p.mu.Unlock()
}

// load reads the stored position, or chooses the starting point.
func (p *Poller) load(ctx context.Context) error {
	if p.cfg.Store != nil {
		c, h, window, found, err := loadCursor(ctx, p.cfg.Store, p.cfg.Key)
		if err != nil {
			return err
		}
		if found {
			p.window = window
			p.window[c.Height] = h
			p.setTip(c, h)
			p.loaded = true
			return nil
		}
	}
	var start Checkpoint
	if p.cfg.Start != nil {
		start = *p.cfg.Start
	} else {
		count, err := p.cfg.Source.BlockCount(ctx)
		if err != nil {
			return err
		}
		hash, err := p.cfg.Source.BlockHash(ctx, count)
		if err != nil {
			return err
		}
		start = Checkpoint{Height: count, Hash: hash}
	}
	h, err := p.cfg.Source.BlockHeader(ctx, start.Hash)
	if err != nil {
		return fmt.Errorf("chain/rpc: starting block %d (%s): %w", start.Height, start.Hash, err)
	}
	if err := p.persist(ctx, start, h, nil); err != nil {
		return err
	}
	p.window[start.Height] = h
	p.setTip(start, h)
	p.loaded = true
	return nil
}

func (p *Poller) persist(ctx context.Context, tip Checkpoint, h btcwire.BlockHeader, drop []uint32) error {
	if p.cfg.Store == nil {
		return nil
	}
	var b store.Batch
	putTip(&b, p.cfg.Key, tip.Height, h)
	for _, d := range drop {
		b.Delete(headerKey(p.cfg.Key, d))
	}
	if err := p.cfg.Store.Write(ctx, &b); err != nil {
		return fmt.Errorf("chain/rpc: store position %d: %w", tip.Height, err)
	}
	return nil
}

func (p *Poller) persistDisconnect(ctx context.Context, tip Checkpoint, h btcwire.BlockHeader, gone uint32) error {
	if p.cfg.Store == nil {
		return nil
	}
	var b store.Batch
	b.Delete(headerKey(p.cfg.Key, gone))
	putTip(&b, p.cfg.Key, tip.Height, h)
	if err := p.cfg.Store.Write(ctx, &b); err != nil {
		return fmt.Errorf("chain/rpc: store position %d: %w", tip.Height, err)
	}
	return nil
}
