package mobile

import (
	"encoding/hex"
	"fmt"
	"net"
)

// Connect connects to a peer (node id in hex) at hostPort over BOLT 8 and
// reestablishes the channels with it. Connecting to a connected peer does
// nothing. Peers with channels are dialed again at each Start.
func (n *Node) Connect(peerID string, hostPort string, timeoutMs int64) error {
	nd, err := n.running()
	if err != nil {
		return err
	}
	pub, err := parsePubKey("peer id", peerID)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(hostPort); err != nil {
		return newError(CodeInvalidArgument, fmt.Sprintf("address %q: %v", hostPort, err))
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.Connect(ctx, pub, hostPort))
}

// Disconnect closes the connection to a peer.
func (n *Node) Disconnect(peerID string, timeoutMs int64) error {
	nd, err := n.running()
	if err != nil {
		return err
	}
	pub, err := parsePubKey("peer id", peerID)
	if err != nil {
		return err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.Disconnect(ctx, pub))
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	// NodeID is the peer's node id (hex).
	NodeID string
	// Address is its network address.
	Address string
	// Inbound is set when the peer connected to this node.
	Inbound bool
}

// PeerList is a read-only list of peers.
type PeerList struct{ items []*PeerInfo }

// Len returns the number of peers.
func (l *PeerList) Len() int { return len(l.items) }

// Get returns the i-th peer, or nil when i is out of range.
func (l *PeerList) Get(i int) *PeerInfo {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// ListPeers returns the connected peers.
func (n *Node) ListPeers(timeoutMs int64) (*PeerList, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	ps, err := nd.ListPeers(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	l := &PeerList{}
	for _, p := range ps {
		l.items = append(l.items, &PeerInfo{NodeID: hex.EncodeToString(p.NodeID[:]), Address: p.Address, Inbound: p.Inbound})
	}
	return l, nil
}
