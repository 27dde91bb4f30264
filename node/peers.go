package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// peerConn is a connected peer: its connection, and a sender goroutine
// that keeps the node loop from ever blocking on a slow peer.
type peerConn struct {
	id   [33]byte
	pub  *btcec.PublicKey
	p    *peer.Peer
	addr string

	mu     sync.Mutex
	queue  []wire.Message
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once

	// sync is the gossip query state (loop-owned).
	sync gossipSync
}

// features is the init features field this node sends.
func (n *Node) features() wire.FeatureVector {
	return wire.NewFeatureVector(
		wire.FeatureDataLossProtect.Required(),
		wire.FeatureVarOnionOptin.Required(),
		wire.FeatureStaticRemoteKey.Required(),
		wire.FeaturePaymentSecret.Required(),
		wire.FeatureBasicMPP.Optional(),
		wire.FeatureGossipQueries.Optional(),
		wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureChannelType.Optional(),
		wire.FeatureSCIDAlias.Optional(),
		wire.FeatureZeroConf.Optional(),
		wire.FeatureShutdownAnySegwit.Optional(),
		wire.FeatureProvideStorage.Optional(),
		// Forwarding, receiving and paying over blinded routes.
		wire.FeatureRouteBlinding.Optional(),
	)
}

func (n *Node) peerConfig() peer.Config {
	return peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(n.nodeKey), Rand: n.rand},
		Features:        n.features(),
		Chains:          []wire.ChainHash{wire.ChainHash(*n.cfg.Network.GenesisHash)},
		Logger:          n.log,
	}
}

// Connect connects to the peer with the given public key at addr
// (host:port) and reestablishes the channels with it. Connecting to a
// peer already connected does nothing, and a call while another is
// dialing the same peer waits for that one (trying its own address if
// that one fails). The node remembers the address: when a connection to a
// peer it has an open channel with drops, it dials the peer there again,
// after about a second and then with doubling delays up to a minute, and
// does so at every Start.
func (n *Node) Connect(ctx context.Context, pub *btcec.PublicKey, addr string) error {
	var id [33]byte
	copy(id[:], pub.SerializeCompressed())
	for {
		var already bool
		var wait, mine *dialAttempt
		if err := n.do(ctx, func() error {
			if _, already = n.peers[id]; already {
				return nil
			}
			if wait = n.dialing[id]; wait == nil {
				mine = &dialAttempt{done: make(chan struct{})}
				n.dialing[id] = mine
			}
			return nil
		}); err != nil {
			return err
		}
		if already {
			return nil
		}
		if mine != nil {
			return n.dial(ctx, mine, id, pub, addr)
		}
		// Another call is dialing this peer (a host's Connect and the
		// node's own reconnection, or two addresses of one peer): two
		// connections set up at once would each replace the other at
		// the two ends in different orders, and both could be closed.
		// Wait for it; if it failed, try this address.
		select {
		case <-wait.done:
			if wait.err == nil {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-n.quit:
			return ErrStopped
		}
	}
}

// dialAttempt is an outbound connection being set up; err is set before
// done is closed.
type dialAttempt struct {
	done chan struct{}
	err  error
}

// dial sets up the connection of attempt d and registers the peer.
func (n *Node) dial(ctx context.Context, d *dialAttempt, id [33]byte, pub *btcec.PublicKey, addr string) (err error) {
	defer func() {
		d.err = err
		close(d.done)
		n.post(func() {
			if n.dialing[id] == d {
				delete(n.dialing, id)
			}
		})
	}()
	dl := n.cfg.Dialer
	if dl == nil {
		dl = &net.Dialer{}
	}
	p, err := peer.Dial(ctx, dl, addr, pub, n.peerConfig())
	if err != nil {
		return fmt.Errorf("node: connecting to %x: %w", id, err)
	}
	return n.register(ctx, p, addr)
}

// ConnectConn runs the handshake on a connection the host opened (a pipe,
// Tor) to the peer with the given key.
func (n *Node) ConnectConn(ctx context.Context, conn net.Conn, pub *btcec.PublicKey) error {
	p, err := peer.Connect(ctx, conn, pub, n.peerConfig())
	if err != nil {
		return err
	}
	return n.register(ctx, p, conn.RemoteAddr().String())
}

// register adds a connected peer on the loop; a connection the loop did
// not take (ctx ended, the node stopped) is closed.
func (n *Node) register(ctx context.Context, p *peer.Peer, addr string) error {
	var added atomic.Bool
	err := n.do(ctx, func() error {
		n.addPeer(p, addr)
		added.Store(true)
		return nil
	})
	if err != nil && !added.Load() {
		p.Close()
	}
	return err
}

// AcceptConn runs the responder's handshake on a connection the host
// accepted.
func (n *Node) AcceptConn(ctx context.Context, conn net.Conn) error {
	p, err := peer.AcceptConn(ctx, conn, n.peerConfig())
	if err != nil {
		return err
	}
	return n.register(ctx, p, conn.RemoteAddr().String())
}

// Disconnect closes the connection to a peer. The node does not dial a
// peer the host disconnected until the next Connect or Start; a
// connection that drops by itself is dialed again (see Connect).
func (n *Node) Disconnect(ctx context.Context, pub *btcec.PublicKey) error {
	var id [33]byte
	copy(id[:], pub.SerializeCompressed())
	return n.do(ctx, func() error {
		// The host wants the peer away: stop redialing it.
		delete(n.redialing, id)
		pc, ok := n.peers[id]
		if !ok {
			return ErrUnknownPeer
		}
		n.removePeer(pc)
		pc.close()
		return nil
	})
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	NodeID  [33]byte
	Address string
	Inbound bool
}

// ListPeers returns the connected peers.
func (n *Node) ListPeers(ctx context.Context) ([]PeerInfo, error) {
	var out []PeerInfo
	err := n.do(ctx, func() error {
		for _, pc := range n.peers {
			out = append(out, PeerInfo{NodeID: pc.id, Address: pc.addr, Inbound: pc.p.Inbound()})
		}
		return nil
	})
	return out, err
}

// reconnectPeers starts, at Start, the reconnection of every peer the
// node has an open channel with (see keepConnected).
func (n *Node) reconnectPeers() {
	n.post(func() {
		for _, cs := range n.channels {
			if cs.status < chanClosed {
				n.keepConnected(cs.peer, 0)
			}
		}
	})
}

// Reconnection delays: the first attempt after a dropped connection, and
// the cap of the doubling between attempts (each is jittered by ±50%).
const (
	redialFirst = time.Second
	redialMax   = time.Minute
)

// keepConnected starts, unless one is running, a goroutine that dials a
// channel peer at the address this node last reached it on, after first
// and then with doubling delays, until the peer is connected, no open
// channel with it is left or the node stops (loop). A channel whose peer
// stays away cannot settle or fail its HTLCs off chain, so the node does
// not wait for the host to reconnect. Peers that only ever connected to
// this node have no address and are not dialed.
func (n *Node) keepConnected(id [33]byte, first time.Duration) {
	if n.redialing[id] != nil || !n.hasOpenChannel(id) {
		return
	}
	pub, err := parseNodeID(id)
	if err != nil {
		return
	}
	me := &redial{peer: id}
	n.redialing[id] = me
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		delay := first
		for {
			select {
			case <-time.After(jitter(delay)):
			case <-n.quit:
				return
			}
			// The check and the end of the goroutine are one step on the
			// loop, so a disconnection after it starts a new one.
			var done bool
			if err := n.do(n.ctx, func() error {
				_, connected := n.peers[id]
				done = n.redialing[id] != me || connected || !n.hasOpenChannel(id)
				if done && n.redialing[id] == me {
					delete(n.redialing, id)
				}
				return nil
			}); err != nil || done {
				return
			}
			addr, err := n.st.Get(n.ctx, keyPeer+hex.EncodeToString(id[:]))
			if err != nil || len(addr) == 0 {
				n.post(func() {
					if n.redialing[id] == me {
						delete(n.redialing, id)
					}
				})
				return
			}
			dctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
			err = n.Connect(dctx, pub, string(addr))
			cancel()
			if err == nil {
				// Checked again, after a short delay, before ending.
				delay = redialFirst
				continue
			}
			n.log.Info("reconnect", "peer", hex.EncodeToString(id[:]), "err", err)
			if delay = 2 * delay; delay < redialFirst {
				delay = redialFirst
			} else if delay > redialMax {
				delay = redialMax
			}
		}
	}()
}

// redial is a running keepConnected; it ends at its next check once it is
// no longer the peer's entry in Node.redialing. (Not zero-sized: pointers
// to distinct zero-size values may compare equal.)
type redial struct{ peer [33]byte }

// hasOpenChannel reports whether a channel with the peer is not closed
// (loop).
func (n *Node) hasOpenChannel(id [33]byte) bool {
	for _, cs := range n.channels {
		if cs.peer == id && cs.status < chanClosed {
			return true
		}
	}
	return false
}

// jitter spreads d over [d/2, 3d/2), so that two nodes redialing each
// other do not meet in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d)))
}

func (n *Node) acceptLoop() {
	defer n.wg.Done()
	l, err := peer.Listen(n.cfg.Listener, n.peerConfig())
	if err != nil {
		n.log.Error("listener", "err", err)
		return
	}
	go func() { <-n.quit; l.Close() }()
	for {
		p, err := l.Accept(n.ctx)
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Warn("accept", "err", err)
			continue
		}
		n.post(func() { n.addPeer(p, p.Transport().RemoteAddr().String()) })
	}
}

// addPeer registers a connected peer (loop) and starts its goroutines.
func (n *Node) addPeer(p *peer.Peer, addr string) {
	pc := &peerConn{pub: p.RemotePubKey(), p: p, addr: addr, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	copy(pc.id[:], pc.pub.SerializeCompressed())
	if old, ok := n.peers[pc.id]; ok {
		// A new connection replaces the old one (BOLT 1).
		n.removePeer(old)
		old.close()
	}
	n.peers[pc.id] = pc
	n.log.Info("peer connected", "peer", hex.EncodeToString(pc.id[:]), "addr", addr)
	n.wg.Add(2)
	go n.readLoop(pc)
	go pc.sendLoop(n)
	for _, cs := range n.channels {
		if cs.peer == pc.id {
			n.execute(cs, cs.m.Reconnected())
		}
	}
	n.askGossip(pc)
	n.returnPeerStorage(pc)
	n.sendPeerStorage(pc)
	for _, cs := range n.channels {
		if cs.peer == pc.id {
			cs.ann.sentUpdate, cs.ann.sentSigs = false, false
			n.advanceAnnouncement(cs)
		}
	}
	for _, r := range n.recovering {
		if peerKey(r.s) == pc.id && !r.swept {
			n.sendRecovery(pc, r)
		}
	}
	if !p.Inbound() {
		n.saveNodeRecord(pc.id, addr)
	}
}

// removePeer forgets a peer (loop): its channels are disconnected.
func (n *Node) removePeer(pc *peerConn) {
	if n.peers[pc.id] != pc {
		return
	}
	delete(n.peers, pc.id)
	for _, cs := range n.channels {
		if cs.peer == pc.id {
			n.execute(cs, cs.m.Disconnected())
		}
	}
	for id, op := range n.byTemp {
		if op.peer == pc.id {
			n.abandonOpening(op, errors.New("peer disconnected"))
			delete(n.byTemp, id)
		}
	}
}

func (n *Node) readLoop(pc *peerConn) {
	defer n.wg.Done()
	for {
		msg, err := pc.p.Receive(n.ctx)
		if err != nil {
			n.post(func() {
				if n.peers[pc.id] == pc {
					n.removePeer(pc)
					n.keepConnected(pc.id, redialFirst)
				}
			})
			pc.close()
			return
		}
		n.post(func() {
			if n.peers[pc.id] == pc {
				n.handleMessage(pc, msg)
			}
		})
	}
}

const (
	// maxPeerQueue bounds the messages waiting for a peer that does not
	// read: past it the connection is dropped (channel messages are
	// retransmitted by channel_reestablish on the next one).
	maxPeerQueue = 20_000
	// relayQueueLimit is the backlog past which gossip is not relayed
	// to a peer.
	relayQueueLimit = 2_000
)

// send queues msg for pc (loop).
func (pc *peerConn) send(msg wire.Message) {
	pc.mu.Lock()
	if len(pc.queue) >= maxPeerQueue {
		pc.mu.Unlock()
		pc.close()
		return
	}
	pc.queue = append(pc.queue, msg)
	pc.mu.Unlock()
	select {
	case pc.wake <- struct{}{}:
	default:
	}
}

// backlog is how many messages wait for pc.
func (pc *peerConn) backlog() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.queue)
}

func (pc *peerConn) sendLoop(n *Node) {
	defer n.wg.Done()
	for {
		pc.mu.Lock()
		q := pc.queue
		pc.queue = nil
		pc.mu.Unlock()
		for _, msg := range q {
			if err := pc.p.Send(n.ctx, msg); err != nil {
				pc.close()
				return
			}
		}
		select {
		case <-pc.wake:
		case <-pc.closed:
			return
		case <-n.quit:
			return
		}
	}
}

func (pc *peerConn) close() {
	pc.once.Do(func() {
		close(pc.closed)
		pc.p.Close()
	})
}

// sendTo queues a message for a peer once the turn's batch is durable. It
// is bound to the connection current when the message was produced: if
// that connection is replaced before the batch is durable, the message is
// dropped, as on any disconnection (channel_reestablish on the new
// connection retransmits what matters, and must come first).
func (n *Node) sendTo(id [33]byte, msg wire.Message) {
	pc, ok := n.peers[id]
	if !ok {
		return
	}
	n.afterCommit(func() {
		if n.peers[id] == pc {
			pc.send(msg)
		}
	})
}

// handleMessage routes a peer's message (loop).
func (n *Node) handleMessage(pc *peerConn, msg wire.Message) {
	switch m := msg.(type) {
	case *wire.OpenChannel:
		n.handleOpenChannel(pc, m)
		return
	case *wire.AcceptChannel:
		n.handleFundingMessage(pc, m.TemporaryChannelID, m)
		return
	case *wire.FundingCreated:
		n.handleFundingMessage(pc, m.TemporaryChannelID, m)
		return
	case *wire.FundingSigned:
		n.handleFundingSigned(pc, m)
		return
	case *wire.PeerStorage:
		n.handlePeerStorage(pc, m)
		return
	case *wire.PeerStorageRetrieval:
		n.handlePeerStorageRetrieval(pc, m)
		return
	case *wire.Error:
		if op, ok := n.byTemp[m.ChannelID]; ok && op.peer == pc.id {
			n.abandonOpening(op, m)
			delete(n.byTemp, m.ChannelID)
			return
		}
		if m.ChannelID.IsAll() {
			for _, cs := range n.channels {
				if cs.peer == pc.id {
					n.receive(cs, m)
				}
			}
			return
		}
	}
	id, ok := channelIDOf(msg)
	if !ok {
		n.handleGossip(pc, msg)
		return
	}
	if _, ok := n.recovering[id]; ok {
		return // the peer answers our recovery; nothing to do but wait for its close
	}
	cs, ok := n.channels[id]
	if !ok || cs.peer != pc.id {
		if _, isErr := msg.(*wire.Error); !isErr {
			n.sendTo(pc.id, &wire.Error{ChannelID: id, Data: []byte("unknown channel")})
		}
		return
	}
	n.receive(cs, msg)
}

// channelIDOf returns the channel_id of a channel message.
func channelIDOf(msg wire.Message) (wire.ChannelID, bool) {
	switch m := msg.(type) {
	case *wire.UpdateAddHTLC:
		return m.ChannelID, true
	case *wire.UpdateFulfillHTLC:
		return m.ChannelID, true
	case *wire.UpdateFailHTLC:
		return m.ChannelID, true
	case *wire.UpdateFailMalformedHTLC:
		return m.ChannelID, true
	case *wire.UpdateFee:
		return m.ChannelID, true
	case *wire.CommitmentSigned:
		return m.ChannelID, true
	case *wire.RevokeAndAck:
		return m.ChannelID, true
	case *wire.ChannelReestablish:
		return m.ChannelID, true
	case *wire.ChannelReady:
		return m.ChannelID, true
	case *wire.Shutdown:
		return m.ChannelID, true
	case *wire.ClosingSigned:
		return m.ChannelID, true
	case *wire.ClosingComplete:
		return m.ChannelID, true
	case *wire.ClosingSig:
		return m.ChannelID, true
	case *wire.Stfu:
		return m.ChannelID, true
	case *wire.AnnouncementSignatures:
		return m.ChannelID, true
	case *wire.Error:
		return m.ChannelID, true
	case *wire.Warning:
		return m.ChannelID, true
	}
	return wire.ChannelID{}, false
}
