package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// network is two funded lnd nodes, A and B, with a public and a private
// channel from A to B, both confirmed and announced where public.
type network struct {
	chain      *Btcd
	a, b       *Lnd
	publicSCID wire.ShortChannelID
}

// gossipArgs make lnd broadcast gossip within a second instead of
// lnd's default 90 s trickle.
var gossipArgs = []string{"--trickledelay=500"}

func newNetwork(t *testing.T) *network {
	t.Helper()
	begin := time.Now()
	n := &network{chain: NewChain(t)}
	n.a = StartLnd(t, n.chain, gossipArgs...)
	n.b = StartLnd(t, n.chain, gossipArgs...)
	FundLnd(t, n.chain, n.a, 4)
	n.a.CLI(t, nil, "connect", n.b.PubKey+"@"+n.b.P2PAddr)
	n.a.CLI(t, nil, "openchannel", "--node_key="+n.b.PubKey, "--local_amt=1000000")
	n.a.CLI(t, nil, "openchannel", "--node_key="+n.b.PubKey, "--local_amt=600000", "--private")
	waitFor(t, 60*time.Second, "both funding txs in the mempool", func() error {
		var pending struct {
			Pending []json.RawMessage `json:"pending_open_channels"`
		}
		out, err := n.a.cli("pendingchannels")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &pending); err != nil {
			return err
		}
		if len(pending.Pending) != 2 {
			return fmt.Errorf("%d pending", len(pending.Pending))
		}
		return nil
	})
	n.chain.Generate(t, 6)
	type edge struct {
		ChannelID string `json:"channel_id"`
		Node1Pub  string `json:"node1_pub"`
		Node2Pub  string `json:"node2_pub"`
	}
	waitFor(t, 120*time.Second, "B's graph has the public channel and both node announcements", func() error {
		var graph struct {
			Nodes []struct {
				PubKey     string `json:"pub_key"`
				LastUpdate int64  `json:"last_update"`
			} `json:"nodes"`
			Edges []edge `json:"edges"`
		}
		out, err := n.b.cli("describegraph")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &graph); err != nil {
			return err
		}
		announced := 0
		for _, nd := range graph.Nodes {
			if nd.LastUpdate > 0 {
				announced++
			}
		}
		if len(graph.Edges) != 1 || announced != 2 {
			return fmt.Errorf("%d edges, %d announced nodes", len(graph.Edges), announced)
		}
		id, err := strconv.ParseUint(graph.Edges[0].ChannelID, 10, 64)
		if err != nil {
			return err
		}
		n.publicSCID = wire.NewShortChannelIDFromUint64(id)
		return nil
	})
	waitFor(t, 60*time.Second, "B has both channels active", func() error {
		var res struct {
			Channels []struct {
				Active bool `json:"active"`
			} `json:"channels"`
		}
		out, err := n.b.cli("listchannels")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return err
		}
		active := 0
		for _, c := range res.Channels {
			if c.Active {
				active++
			}
		}
		if active != 2 {
			return fmt.Errorf("%d active channels", active)
		}
		return nil
	})
	t.Logf("network ready in %v: public channel %v", time.Since(begin), n.publicSCID)
	return n
}

// TestNetwork runs the checks that need channels: invoices with private
// route hints, and gossip.
func TestNetwork(t *testing.T) {
	requireBinaries(t)
	n := newNetwork(t)
	t.Run("InvoicesFromLnd", func(t *testing.T) { testInvoicesFromLnd(t, n) })
	t.Run("InvoicesToLnd", func(t *testing.T) { testInvoicesToLnd(t, n) })
	t.Run("Gossip", func(t *testing.T) { testGossip(t, n) })
}

// testGossip connects lnkit to B with gossip queries, asks for all gossip,
// and verifies every signature against the keys in the messages and the
// funding output on chain.
func testGossip(t *testing.T, n *network) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := lnkitConfig(newNodeKey(t), nil)
	cfg.PingInterval = 0
	p, err := peer.Dial(ctx, nil, n.b.P2PAddr, mustPubKey(t, n.b.PubKey), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Features().Has(wire.FeatureGossipQueries) {
		t.Fatalf("gossip_queries not negotiated: %v", p.Features())
	}
	// Ask for everything from the beginning of time.
	if err := p.Send(ctx, &wire.GossipTimestampFilter{ChainHash: wire.RegtestChainHash, TimestampRange: 0xffffffff}); err != nil {
		t.Fatal(err)
	}

	var (
		ann     *wire.ChannelAnnouncement
		updates []*wire.ChannelUpdate
		nodes   = map[wire.Point]*wire.NodeAnnouncement{}
	)
	for ann == nil || len(updates) < 2 || len(nodes) < 2 {
		m, err := p.Receive(ctx)
		if err != nil {
			t.Fatalf("waiting for gossip (have announcement=%v, %d updates, %d nodes): %v", ann != nil, len(updates), len(nodes), err)
		}
		switch m := m.(type) {
		case *wire.ChannelAnnouncement:
			ann = m
		case *wire.ChannelUpdate:
			updates = append(updates, m)
		case *wire.NodeAnnouncement:
			nodes[m.NodeID] = m
		case *wire.QueryChannelRange:
			// lnd syncs from us too: we know no channels.
			reply := &wire.ReplyChannelRange{ChainHash: m.ChainHash, FirstBlockNum: m.FirstBlockNum,
				NumberOfBlocks: m.NumberOfBlocks, SyncComplete: 1}
			if err := reply.SetShortChannelIDs(wire.EncodingUncompressed, nil); err != nil {
				t.Fatal(err)
			}
			if err := p.Send(ctx, reply); err != nil {
				t.Fatal(err)
			}
		}
	}

	// channel_announcement: all four signatures, over the same digest.
	if ann.ShortChannelID != n.publicSCID {
		t.Fatalf("announcement for %v, lnd's channel is %v", ann.ShortChannelID, n.publicSCID)
	}
	if err := ann.VerifySignatures(); err != nil {
		t.Fatalf("channel_announcement: %v", err)
	}
	if ann.ChainHash != wire.RegtestChainHash {
		t.Fatalf("chain hash %v", ann.ChainHash)
	}
	lndKeys := map[string]bool{n.a.PubKey: true, n.b.PubKey: true}
	if !lndKeys[ann.NodeID1.String()] || !lndKeys[ann.NodeID2.String()] {
		t.Fatalf("announcement names nodes %v and %v", ann.NodeID1, ann.NodeID2)
	}

	// The funding output on chain must be the 2-of-2 of the bitcoin keys.
	checkFundingOutput(t, n.chain, ann)

	// channel_update: each direction signed by its node.
	dirs := map[int]bool{}
	for _, u := range updates {
		if u.ShortChannelID != ann.ShortChannelID {
			t.Fatalf("update for unknown channel %v", u.ShortChannelID)
		}
		node := ann.NodeID1
		if u.Direction() == 1 {
			node = ann.NodeID2
		}
		if err := u.VerifySignature(node); err != nil {
			t.Fatalf("channel_update direction %d: %v", u.Direction(), err)
		}
		dirs[u.Direction()] = true
	}
	if len(dirs) != 2 {
		t.Fatalf("updates cover directions %v", dirs)
	}

	// node_announcement: each signed by the node it describes.
	for id, na := range nodes {
		if err := na.VerifySignature(); err != nil {
			t.Fatalf("node_announcement of %v: %v", id, err)
		}
		if id != ann.NodeID1 && id != ann.NodeID2 {
			t.Fatalf("node_announcement of unexpected node %v", id)
		}
	}
	t.Logf("verified channel_announcement %v (4 signatures, funding output on chain), %d channel_updates, %d node_announcements",
		ann.ShortChannelID, len(updates), len(nodes))
}

// checkFundingOutput fetches the transaction the short channel id points at
// from btcd and compares its output with the 2-of-2 P2WSH of the announced
// bitcoin keys.
func checkFundingOutput(t *testing.T, chain *Btcd, ann *wire.ChannelAnnouncement) {
	t.Helper()
	scid := ann.ShortChannelID
	hash := strings.TrimSpace(string(chain.Ctl(t, "getblockhash", strconv.Itoa(int(scid.BlockHeight)))))
	var block struct {
		Tx []string `json:"tx"`
	}
	if err := json.Unmarshal(chain.Ctl(t, "getblock", hash), &block); err != nil {
		t.Fatal(err)
	}
	if int(scid.TxIndex) >= len(block.Tx) {
		t.Fatalf("block %d has %d txs, scid says index %d", scid.BlockHeight, len(block.Tx), scid.TxIndex)
	}
	var tx struct {
		Vout []struct {
			Value        float64 `json:"value"`
			ScriptPubKey struct {
				Hex string `json:"hex"`
			} `json:"scriptPubKey"`
		} `json:"vout"`
	}
	if err := json.Unmarshal(chain.Ctl(t, "getrawtransaction", block.Tx[scid.TxIndex], "1"), &tx); err != nil {
		t.Fatal(err)
	}
	if int(scid.OutputIndex) >= len(tx.Vout) {
		t.Fatalf("funding tx has %d outputs, scid says %d", len(tx.Vout), scid.OutputIndex)
	}
	out := tx.Vout[scid.OutputIndex]
	k1, err := ann.BitcoinKey1.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ann.BitcoinKey2.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	amt, err := btcutil.NewAmount(out.Value)
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := script.FundingOutput(k1, k2, amt)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := hex.DecodeString(out.ScriptPubKey.Hex)
	if !bytes.Equal(got, want.PkScript) {
		t.Fatalf("funding output script %x, 2-of-2 of the announced keys is %x", got, want.PkScript)
	}
	if amt != 1_000_000 {
		t.Fatalf("funding output holds %v", amt)
	}
}

// regtestFallback returns a random regtest P2WPKH address.
func regtestFallback(t *testing.T, seed byte) string {
	t.Helper()
	return regtestAddress(t, seed).EncodeAddress()
}
