package node

import (
	"context"
	"encoding/binary"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// The chain feed: a Node is a chain.Listener. The host pushes every block
// (or the transactions matching the Filter, when one is configured) in
// order, and disconnected blocks on a reorganization.

var _ chain.Listener = (*Node)(nil)

// BlockConnected implements chain.Listener: channels learn the height
// (HTLC deadlines, lock-in), funding transactions are confirmed, the
// monitors look for spends.
func (n *Node) BlockConnected(ctx context.Context, b *chain.Block) error {
	rate, ferr := n.cfg.FeeEstimator.EstimateFeeRate(ctx, 6)
	return n.do(ctx, func() error {
		if ferr == nil {
			n.feeRate = chain.ClampFeeRate(rate)
		}
		n.height = b.Height
		var h [4]byte
		binary.BigEndian.PutUint32(h[:], b.Height)
		n.batch.Put(keyHeight, h[:])
		for _, itx := range b.Txs {
			txid := itx.Tx.TxHash()
			for _, cs := range n.channels {
				if cs.m.Params().FundingOutpoint.Hash == txid {
					n.execute(cs, cs.m.FundingConfirmed(b.Height, itx.Index))
					n.indexChannel(cs)
				}
			}
		}
		for _, cs := range n.channels {
			n.execute(cs, cs.m.BlockHeight(b.Height))
			n.checkOwed(cs, b.Height)
		}
		n.monitorsBlock(b)
		n.gossipBlock(b)
		n.recoveryBlock(b)
		n.announceTick()
		return nil
	})
}

// BlockDisconnected implements chain.Listener: a funding transaction in
// the block is unconfirmed.
func (n *Node) BlockDisconnected(ctx context.Context, header btcwire.BlockHeader, height uint32) error {
	return n.do(ctx, func() error {
		for _, cs := range n.channels {
			if scid, ok := cs.m.ShortChannelID(); ok && scid.BlockHeight == height {
				delete(n.byAlias, scid.ToUint64())
				n.execute(cs, cs.m.FundingUnconfirmed())
			}
		}
		if height > 0 {
			n.height = height - 1
		}
		n.monitorsDisconnect(header, height)
		return nil
	})
}

// filter is the host's Filter: Config.Filter, or the Wallet when it is one.
func (n *Node) filter() chain.Filter {
	if n.cfg.Filter != nil {
		return n.cfg.Filter
	}
	if f, ok := n.cfg.Wallet.(chain.Filter); ok {
		return f
	}
	return nil
}

// registerChannel tells the host's Filter about a new channel's funding
// output (loop).
func (n *Node) registerChannel(cs *chanState) {
	if f := n.filter(); f != nil {
		op := cs.m.Params().FundingOutpoint
		pk := fundingPkScript(cs)
		f.RegisterTx(op.Hash, pk)
		f.RegisterOutput(chain.WatchedOutput{OutPoint: op, PkScript: pk})
	}
}

// channelBecameReady reports a channel that can carry payments (loop).
func (n *Node) channelBecameReady(cs *chanState) {
	cs.readyReported = true
	n.indexChannel(cs)
	n.advanceAnnouncement(cs)
	ev := &ChannelReady{ChannelID: cs.id, Peer: cs.peer}
	n.afterCommit(func() { n.events.push(ev) })
}

var _ = chainhash.Hash{}
var _ = wire.ChannelID{}
