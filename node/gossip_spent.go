package node

import (
	"bytes"
	"hash/maphash"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// Closed channels leave the graph (BOLT 7 "Pruning the Network View": a
// channel whose funding output is spent is removed and considered closed).
//
// A graph channel's funding output is P2WSH of the 2-of-2 of its
// announcement's bitcoin keys, so its spend carries that 71-byte script
// as the last witness item. The node keeps, per channel, a keyed 64-bit
// hash of the script (a per-process random seed, so nobody can aim a
// collision at a channel) mapped to the short_channel_id; each connected
// block's inputs whose last witness item has the script's shape are
// hashed and looked up, and a hit whose channel is still in the graph is
// MarkClosed. Entries of channels that left the graph otherwise (pruned,
// removed) are dropped when hit and the index is rebuilt from the graph
// when they reach half of it, so it stays within twice the live channels.
// This needs the host to hand in whole blocks: with a Filter, blocks
// carry only matched transactions and the spends are not seen (the
// channel then goes when its updates stop, after two weeks).
type fundingIndex struct {
	seed maphash.Seed
	m    map[uint64]uint64
}

// fundingScriptLen is the length of a 2-of-2 funding witness script.
const fundingScriptLen = 1 + 34 + 34 + 2

// fundingWitnessScript builds BOLT 3's funding script from two compressed
// keys without parsing them: OP_2 <lesser> <greater> OP_2 OP_CHECKMULTISIG.
func fundingWitnessScript(k1, k2 wire.Point) []byte {
	if bytes.Compare(k1[:], k2[:]) > 0 {
		k1, k2 = k2, k1
	}
	s := make([]byte, 0, fundingScriptLen)
	s = append(s, 0x52, 33)
	s = append(s, k1[:]...)
	s = append(s, 33)
	s = append(s, k2[:]...)
	return append(s, 0x52, 0xae)
}

func (x *fundingIndex) key(script []byte) uint64 { return maphash.Bytes(x.seed, script) }

// watchFunding indexes the funding script of an added channel (loop).
func (n *Node) watchFunding(ann *wire.ChannelAnnouncement) {
	if n.fundIdx == nil {
		n.fundIdx = &fundingIndex{seed: maphash.MakeSeed(), m: map[uint64]uint64{}}
	}
	n.fundIdx.m[n.fundIdx.key(fundingWitnessScript(ann.BitcoinKey1, ann.BitcoinKey2))] = ann.ShortChannelID.ToUint64()
	if len(n.fundIdx.m) > 2*n.graph.NumChannels()+1024 {
		n.rebuildFundingIndex()
	}
}

// rebuildFundingIndex indexes every graph channel whose announcement is
// stored (loop; at start and when stale entries pile up).
func (n *Node) rebuildFundingIndex() {
	x := &fundingIndex{seed: maphash.MakeSeed(), m: map[uint64]uint64{}}
	for _, s := range n.graph.ChannelStamps(0, 1<<32) {
		cg, err := n.graph.Gossip(n.ctx, s.ShortChannelID)
		if err != nil || cg.Announcement == nil {
			continue
		}
		x.m[x.key(fundingWitnessScript(cg.Announcement.BitcoinKey1, cg.Announcement.BitcoinKey2))] = s.ShortChannelID.ToUint64()
	}
	n.fundIdx = x
}

// gossipBlock closes the graph channels whose funding outputs the block
// spends (loop).
func (n *Node) gossipBlock(b *chain.Block) {
	if n.graph == nil || n.fundIdx == nil || len(n.fundIdx.m) == 0 {
		return
	}
	for _, itx := range b.Txs {
		for _, in := range itx.Tx.TxIn {
			w := in.Witness
			if len(w) == 0 {
				continue
			}
			s := w[len(w)-1]
			if len(s) != fundingScriptLen || s[0] != 0x52 || s[len(s)-1] != 0xae {
				continue
			}
			k := n.fundIdx.key(s)
			scid, ok := n.fundIdx.m[k]
			if !ok {
				continue
			}
			delete(n.fundIdx.m, k)
			if n.graph.MarkClosed(wire.NewShortChannelIDFromUint64(scid)) {
				n.log.Debug("graph channel closed on chain", "scid", wire.NewShortChannelIDFromUint64(scid))
			}
		}
	}
}
