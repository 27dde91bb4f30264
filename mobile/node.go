package mobile

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/lnkit/lnkit/node"
)

// Node is a Lightning node for a mobile app: a node.Node with the host's
// chain backend and wallet, its state in Config.DataDir, and its events
// delivered to an EventListener. Its methods are safe for concurrent use;
// the blocking ones take a timeout in milliseconds (0 or less: none; a
// call still returns NOT_RUNNING once the node stops).
//
// A Node runs once: Start, use, Stop. To run again (the app came back to
// the foreground), build a new Node on the same DataDir and seed; what
// was in flight resumes.
type Node struct {
	n        *node.Node
	id       string
	listener EventListener
	ln       net.Listener

	mu      sync.Mutex
	started bool
	stopped bool

	// reported are the channels OnChannelReady was called for (pump
	// goroutine only, after Start).
	reported map[string]bool

	stopOnce sync.Once
	quit     chan struct{}
	pump     sync.WaitGroup
}

// errNoNode returns the error of a Node not made by NewNode (a zero value).
func errNoNode() error { return newError(CodeInvalidArgument, "not a node from NewNode") }

// NewNode builds a node from cfg, the host's chain backend and wallet,
// and listener (nil to ignore events). It opens the store in cfg.DataDir
// and, with cfg.ListenAddress, the listening socket; nothing else runs
// until Start.
func NewNode(cfg *Config, backend ChainBackend, wallet Wallet, listener EventListener) (*Node, error) {
	if cfg == nil {
		return nil, newError(CodeInvalidArgument, "no config")
	}
	if backend == nil || wallet == nil {
		return nil, newError(CodeInvalidArgument, "a chain backend and a wallet are required")
	}
	params, err := networkParams(cfg.Network)
	if err != nil {
		return nil, err
	}
	seed, err := cfg.seed()
	if err != nil {
		return nil, err
	}
	if len(seed) < 16 || len(seed) > 64 {
		return nil, newError(CodeInvalidArgument, fmt.Sprintf("seed of %d bytes, want 16 to 64", len(seed)))
	}
	if cfg.DataDir == "" {
		return nil, newError(CodeInvalidArgument, "DataDir is required")
	}
	if cfg.MinDepth < 0 || cfg.PaymentTimeoutSeconds < 0 || cfg.MaxFeePercent < 0 {
		return nil, newError(CodeInvalidArgument, "MinDepth, PaymentTimeoutSeconds and MaxFeePercent must not be negative")
	}
	m := &Node{listener: listener, quit: make(chan struct{})}
	nc := node.Config{
		Seed: seed, Network: params, DataDir: cfg.DataDir,
		Broadcaster: hostBroadcaster{backend}, FeeEstimator: hostFees{backend},
		Wallet: &hostWallet{w: wallet, hostFilter: hostFilter{backend}},
		Alias:  cfg.Alias,
		Policy: node.Policy{
			MinDepth:       uint32(cfg.MinDepth),
			AcceptZeroConf: cfg.AcceptZeroConf,
			PaymentTimeout: time.Duration(cfg.PaymentTimeoutSeconds) * time.Second,
			MaxFeePercent:  cfg.MaxFeePercent,
		},
	}
	if cfg.Logger != nil {
		nc.Logger = slog.New(&logHandler{l: cfg.Logger})
	}
	if cfg.ListenAddress != "" {
		ln, err := net.Listen("tcp", cfg.ListenAddress)
		if err != nil {
			return nil, wrapCode(CodeInvalidArgument, err)
		}
		m.ln, nc.Listener = ln, ln
	}
	n, err := node.New(nc)
	if err != nil {
		if m.ln != nil {
			m.ln.Close()
		}
		return nil, mapError(err)
	}
	m.n = n
	m.id = hex.EncodeToString(n.NodeID().SerializeCompressed())
	return m, nil
}

// NodeID returns the node's public key (33 bytes, hex).
func (n *Node) NodeID() string { return n.id }

// ListenAddress returns the address the node accepts connections on
// (host:port), or "" without Config.ListenAddress.
func (n *Node) ListenAddress() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// Start loads the node's state and starts it: payments in flight resume
// and peers with channels are dialed again. Push the chain's tip with
// BlockConnected right after.
func (n *Node) Start(timeoutMs int64) error {
	if n.n == nil {
		return errNoNode()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return newError(CodeNotRunning, "the node was stopped; build a new one")
	}
	if n.started {
		return nil
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	if err := n.n.Start(ctx); err != nil {
		return mapError(err)
	}
	n.reported = map[string]bool{}
	if n.listener != nil {
		// Channels ready before this start were reported by earlier runs.
		ready, err := n.readyChannels()
		if err != nil {
			n.stopped = true
			n.n.Stop()
			return mapError(err)
		}
		for id := range ready {
			n.reported[id] = true
		}
	}
	n.started = true
	n.pump.Add(1)
	go n.deliverEvents()
	return nil
}

// Stop stops the node: it disconnects every peer, closes the store and
// returns once every goroutine has ended, including a listener call in
// progress (so do not call Stop from an EventListener method). What was
// in flight is on disk and resumes at the next start. Stopping twice does
// nothing.
func (n *Node) Stop() error {
	if n.n == nil {
		return nil
	}
	var err error
	n.stopOnce.Do(func() {
		n.mu.Lock()
		n.stopped = true
		n.mu.Unlock()
		err = mapError(n.n.Stop())
		close(n.quit)
		n.pump.Wait()
	})
	return err
}

// running returns the node.Node if it was started and not stopped.
func (n *Node) running() (*node.Node, error) {
	if n.n == nil {
		return nil, errNoNode()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.started || n.stopped {
		return nil, newError(CodeNotRunning, "the node is not running")
	}
	return n.n, nil
}

// NodeInfo describes a node.
type NodeInfo struct {
	// NodeID is the node's public key, hex.
	NodeID string
	// Alias is its alias.
	Alias string
	// Height is the last block height the host pushed (0 before any).
	Height int32
	// Peers and Channels count connected peers and channels.
	Peers, Channels int
}

// Info returns the node's identity and counters.
func (n *Node) Info(timeoutMs int64) (*NodeInfo, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	info, err := nd.Info(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	return &NodeInfo{NodeID: n.id, Alias: info.Alias, Height: int32(info.Height), Peers: info.Peers, Channels: info.Channels}, nil
}

// parsePubKey parses a 33-byte compressed public key in hex.
func parsePubKey(what, s string) (*btcec.PublicKey, error) {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 33 {
		return nil, newError(CodeInvalidArgument, fmt.Sprintf("%s %q: want 66 hex digits", what, s))
	}
	pub, err := btcec.ParsePubKey(raw)
	if err != nil {
		return nil, newError(CodeInvalidArgument, fmt.Sprintf("%s %q: %v", what, s, err))
	}
	return pub, nil
}
