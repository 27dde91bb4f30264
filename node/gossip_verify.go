package node

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Funding output checks of announced channels (Config.UTXOs).
//
// A channel_announcement whose signatures verify waits in pendingAnns
// while one goroutine asks the host's chain.UTXOSource for the output its
// short_channel_id names; the answer comes back to the loop, which adds
// the channel with the output's value as capacity if the output pays
// P2WSH(2-of-2 of bitcoin_key_1, bitcoin_key_2), and drops it otherwise.
// channel_updates for a channel being checked are held (a few per
// channel) and applied after it is added, since peers send them right
// behind the announcement. The wait is bounded: past
// maxPendingAnnouncements, new announcements are dropped until the
// lookups catch up (they are asked for again at the next gossip sync).

const (
	// maxPendingAnnouncements bounds the announcements waiting for
	// their funding output.
	maxPendingAnnouncements = 4096
	// maxHeldUpdates bounds the channel_updates held per waiting
	// announcement (two directions, and a newer one of each).
	maxHeldUpdates = 4
	// utxoLookupTimeout bounds one lookup.
	utxoLookupTimeout = 20 * time.Second
)

// pendingAnn is a channel_announcement waiting for its funding output.
type pendingAnn struct {
	ann     *wire.ChannelAnnouncement
	from    *peerConn
	updates []*wire.ChannelUpdate
	// nodeAnns are node_announcements of its ends that came while it
	// was checked: the graph refuses those of nodes it has no channel
	// of, and peers send them right behind the channel's gossip.
	nodeAnns []*wire.NodeAnnouncement
}

// utxoAnswer is the lookup's result for a pending announcement.
type utxoAnswer struct {
	out *btcwire.TxOut
	err error
}

// verifyFunding queues ann for its funding output check (loop).
func (n *Node) verifyFunding(from *peerConn, ann *wire.ChannelAnnouncement) {
	scid := ann.ShortChannelID.ToUint64()
	if _, waiting := n.pendingAnns[scid]; waiting {
		return
	}
	if len(n.pendingAnns) >= maxPendingAnnouncements {
		n.log.Debug("funding checks backed up: channel_announcement dropped", "scid", ann.ShortChannelID)
		return
	}
	n.pendingAnns[scid] = &pendingAnn{ann: ann, from: from}
	// pendingAnns bounds what is queued, and the queue holds as many.
	n.utxoQueue <- ann
	n.startUTXOWorker()
}

// startUTXOWorker starts the lookup goroutine once (loop).
func (n *Node) startUTXOWorker() {
	if n.utxoWorker {
		return
	}
	n.utxoWorker = true
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			var ann *wire.ChannelAnnouncement
			select {
			case ann = <-n.utxoQueue:
			case <-n.quit:
				return
			}
			s := ann.ShortChannelID
			ctx, cancel := context.WithTimeout(n.ctx, utxoLookupTimeout)
			out, err := n.cfg.UTXOs.UnspentOutput(ctx, s.BlockHeight, s.TxIndex, s.OutputIndex)
			cancel()
			n.post(func() { n.fundingChecked(ann, utxoAnswer{out, err}) })
		}
	}()
}

// fundingChecked adds or drops a pending announcement (loop).
func (n *Node) fundingChecked(ann *wire.ChannelAnnouncement, a utxoAnswer) {
	scid := ann.ShortChannelID.ToUint64()
	p := n.pendingAnns[scid]
	delete(n.pendingAnns, scid)
	if p == nil {
		return
	}
	capacity, err := fundingCapacity(ann, a)
	if err != nil {
		n.log.Debug("channel_announcement refused", "scid", ann.ShortChannelID, "err", err)
		return
	}
	if n.graph.NumChannels() >= maxGraphChannels {
		return
	}
	added, err := n.graph.AddChannel(ann, capacity, n.now())
	if err != nil && !errors.Is(err, routing.ErrChannelExists) {
		n.log.Debug("channel_announcement refused", "err", err)
	}
	if !added {
		return
	}
	n.watchFunding(ann)
	n.relay(p.from, ann)
	for _, u := range p.updates {
		n.handleGossip(p.from, u)
	}
	for _, a := range p.nodeAnns {
		n.handleGossip(p.from, a)
	}
}

// errFundingMismatch: the output at the short_channel_id is not the
// announced channel's funding output.
var errFundingMismatch = errors.New("node: the output at short_channel_id is not P2WSH of the 2-of-2 of the announced bitcoin keys")

// fundingCapacity checks a lookup's answer against the announcement and
// returns the channel's capacity.
func fundingCapacity(ann *wire.ChannelAnnouncement, a utxoAnswer) (btcutil.Amount, error) {
	if a.err != nil {
		if errors.Is(a.err, chain.ErrOutputNotFound) {
			return 0, a.err
		}
		return 0, errors.Join(errors.New("node: funding output lookup failed"), a.err)
	}
	if a.out == nil {
		return 0, chain.ErrOutputNotFound
	}
	k1, err := ann.BitcoinKey1.PublicKey()
	if err != nil {
		return 0, err
	}
	k2, err := ann.BitcoinKey2.PublicKey()
	if err != nil {
		return 0, err
	}
	ws, err := script.FundingScript(k1, k2)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(a.out.PkScript, script.P2WSH(ws)) || a.out.Value <= 0 || a.out.Value > btcutil.MaxSatoshi {
		return 0, errFundingMismatch
	}
	return btcutil.Amount(a.out.Value), nil
}

// holdUpdate keeps a channel_update for a channel whose announcement is
// being checked (loop); other updates for unknown channels are dropped.
func (n *Node) holdUpdate(u *wire.ChannelUpdate) {
	p := n.pendingAnns[u.ShortChannelID.ToUint64()]
	if p == nil || len(p.updates) >= maxHeldUpdates {
		return
	}
	p.updates = append(p.updates, u)
}

// holdNodeAnnouncement keeps a verified node_announcement of a node the
// graph does not know yet, if a channel of that node is being checked
// (loop); it is applied once the channel is added.
func (n *Node) holdNodeAnnouncement(a *wire.NodeAnnouncement) {
	for _, p := range n.pendingAnns {
		if p.ann.NodeID1 != a.NodeID && p.ann.NodeID2 != a.NodeID {
			continue
		}
		if len(p.nodeAnns) < maxHeldUpdates {
			p.nodeAnns = append(p.nodeAnns, a)
		}
		return
	}
}
