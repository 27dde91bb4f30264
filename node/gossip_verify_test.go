package node

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// TestNodeGossipVerifiesFunding gives a node the chain as its UTXOSource
// and announces four channels with valid signatures: one whose
// short_channel_id names an output that does not exist, one naming an
// output that pays another script, one naming an output that pays the
// 2-of-2 of other keys, and a real one whose channel_update follows right
// behind its announcement. Only the real one enters the graph, with the
// funding output's value as capacity and the update applied.
func TestNodeGossipVerifiesFunding(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 0) // with the chain as its UTXOSource
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()

	// The keys signedAnnouncement derives from a tag.
	key := func(tag, s string) *btcec.PrivateKey {
		h := sha256.Sum256([]byte(tag + s))
		k, _ := btcec.PrivKeyFromBytes(h[:])
		return k
	}
	fundingPk := func(tag string) []byte {
		ws, err := script.FundingScript(key(tag, "b1").PubKey(), key(tag, "b2").PubKey())
		if err != nil {
			t.Fatal(err)
		}
		return script.P2WSH(ws)
	}
	tx, err := tn.chain.Faucet(ctx,
		btcwire.NewTxOut(700_000, fundingPk("real")),
		btcwire.NewTxOut(500_000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}),
		btcwire.NewTxOut(600_000, fundingPk("someone else")),
	)
	if err != nil {
		t.Fatal(err)
	}
	height := tn.chain.Height()
	blk, _ := tn.chain.Block(height)
	var txIndex uint32
	for i, btx := range blk.Transactions {
		if btx.TxHash() == tx.TxHash() {
			txIndex = uint32(i)
		}
	}
	at := func(out uint16) wire.ShortChannelID {
		return wire.ShortChannelID{BlockHeight: height, TxIndex: txIndex, OutputIndex: out}
	}

	fake := fakePeer(t, ctx, a)
	send := func(m wire.Message) {
		t.Helper()
		if err := fake.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	send(signedAnnouncement(t, chainHash, wire.ShortChannelID{BlockHeight: height, TxIndex: txIndex + 50}, "missing"))
	send(signedAnnouncement(t, chainHash, at(1), "wrong script"))
	send(signedAnnouncement(t, chainHash, at(2), "wrong keys"))
	real := signedAnnouncement(t, chainHash, at(0), "real")
	send(real)
	// node_id_1's channel_update, sent before the check can have ended.
	n1 := key("real", "n1")
	if wire.NewPoint(n1.PubKey()) != real.NodeID1 {
		n1 = key("real", "n2")
	}
	upd := &wire.ChannelUpdate{
		ChainHash: chainHash, ShortChannelID: at(0), Timestamp: uint32(time.Now().Unix()),
		MessageFlags: wire.ChanUpdateMustBeOne, CLTVExpiryDelta: 40, HTLCMinimum: 1000,
		HTLCMaximum: 500_000_000, FeeBase: 1000, FeeProportionalMillionths: 10,
	}
	d, err := upd.SignatureDigest()
	if err != nil {
		t.Fatal(err)
	}
	upd.Signature = wire.NewSignature(ecdsa.Sign(n1, d[:]))
	send(upd)

	var got []routing.ChannelInfo
	tn.waitFor("the real channel in the graph", func() bool {
		got = got[:0]
		a.do(ctx, func() error {
			a.graph.ForEachChannel(func(c routing.ChannelInfo) bool {
				got = append(got, c)
				return true
			})
			return nil
		})
		return len(got) > 0 && got[len(got)-1].Policy1 != nil
	})
	// One lookup goroutine takes them in order: the three before the
	// real one were answered first.
	if len(got) != 1 || got[0].ShortChannelID != at(0) || got[0].Capacity != 700_000 {
		t.Fatalf("graph: %+v", got)
	}
	if p := got[0].Policy1; p.FeeBase != 1000 || p.FeeProportionalMillionths != 10 || p.CLTVExpiryDelta != 40 {
		t.Fatalf("policy %+v", p)
	}
}
