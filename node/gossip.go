package node

import (
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Gossip: the channel graph the node routes with (package routing) and
// the BOLT 7 messages that build it.

// handleGossip handles a message that names no channel (loop).
func (n *Node) handleGossip(pc *peerConn, msg wire.Message) {}

// graphRoute finds a route over the channel graph (loop); nil when none.
func (n *Node) graphRoute(p *payment, amt wire.MilliSatoshi, finalCLTV uint32) *route { return nil }

// graphPenalize records a failed route for pathfinding (loop).
func (n *Node) graphPenalize(r []RouteHop, df *onion.DecryptedFailure) {}
