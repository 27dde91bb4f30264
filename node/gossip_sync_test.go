package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// signedAnnouncement builds a channel_announcement with four valid
// signatures for scid, from keys derived from tag.
func signedAnnouncement(t *testing.T, chainHash wire.ChainHash, scid wire.ShortChannelID, tag string) *wire.ChannelAnnouncement {
	t.Helper()
	key := func(s string) *btcec.PrivateKey {
		k, _ := btcec.PrivKeyFromBytes(func() []byte { h := sha256.Sum256([]byte(tag + s)); return h[:] }())
		return k
	}
	n1, n2, b1, b2 := key("n1"), key("n2"), key("b1"), key("b2")
	if bytes.Compare(n1.PubKey().SerializeCompressed(), n2.PubKey().SerializeCompressed()) > 0 {
		n1, n2 = n2, n1
	}
	a := &wire.ChannelAnnouncement{
		ChainHash: chainHash, ShortChannelID: scid,
		NodeID1: wire.NewPoint(n1.PubKey()), NodeID2: wire.NewPoint(n2.PubKey()),
		BitcoinKey1: wire.NewPoint(b1.PubKey()), BitcoinKey2: wire.NewPoint(b2.PubKey()),
	}
	d, err := a.SignatureDigest()
	if err != nil {
		t.Fatal(err)
	}
	a.NodeSignature1 = wire.NewSignature(ecdsa.Sign(n1, d[:]))
	a.NodeSignature2 = wire.NewSignature(ecdsa.Sign(n2, d[:]))
	a.BitcoinSignature1 = wire.NewSignature(ecdsa.Sign(b1, d[:]))
	a.BitcoinSignature2 = wire.NewSignature(ecdsa.Sign(b2, d[:]))
	if err := a.VerifySignatures(); err != nil {
		t.Fatal(err)
	}
	return a
}

// fakePeer connects a scripted gossip_queries peer to n.
func fakePeer(t *testing.T, ctx context.Context, n *testNode) *peer.Peer {
	t.Helper()
	c1, c2 := net.Pipe()
	fakeKey, _ := btcec.NewPrivateKey()
	errc := make(chan error, 1)
	go func() { errc <- n.AcceptConn(ctx, c2) }()
	fake, err := peer.Connect(ctx, c1, n.NodeID(), peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(fakeKey)},
		Features:        wire.NewFeatureVector(wire.FeatureDataLossProtect.Required(), wire.FeatureVarOnionOptin.Required(), wire.FeatureStaticRemoteKey.Required(), wire.FeaturePaymentSecret.Required(), wire.FeatureGossipQueries.Optional()),
		PingInterval:    -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return fake
}

// TestNodeGraphSizeBound announces one channel more than the graph may
// hold: the extra one is dropped.
func TestNodeGraphSizeBound(t *testing.T) {
	defer func(old int) { maxGraphChannels = old }(maxGraphChannels)
	maxGraphChannels = 2
	tn := newTestNet(t)
	// The announcements name no real outputs: taken unverified.
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) { tnode.utxos = nil })
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	fake := fakePeer(t, ctx, a)
	for i := uint32(1); i <= 3; i++ {
		if err := fake.Send(ctx, signedAnnouncement(t, chainHash, wire.ShortChannelID{BlockHeight: 100 * i, TxIndex: 1}, string(rune('k'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	// A query answered after the announcements: the node handles a
	// peer's messages in order, so when the answer comes all three
	// were handled.
	qs := &wire.QueryShortChannelIDs{ChainHash: chainHash}
	if err := qs.SetShortChannelIDs(wire.EncodingUncompressed, []wire.ShortChannelID{{BlockHeight: 100, TxIndex: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := fake.Send(ctx, qs); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := fake.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.MsgType() == wire.MsgReplyShortChannelIDsEnd {
			break
		}
	}
	var n int
	a.do(ctx, func() error { n = a.graph.NumChannels(); return nil })
	if n != 2 {
		t.Fatalf("%d channels in a graph bounded at 2", n)
	}
}

// TestNodeGossipQuerySync connects a scripted gossip peer to a node. The
// node must ask for the whole range with query_channel_range, ask for
// exactly the channels it lacks with query_short_channel_ids (ascending,
// no repeats, one query at a time), and add what comes back. Queried
// itself, it must offer nothing, in replies lnd reads as final.
func TestNodeGossipQuerySync(t *testing.T) {
	tn := newTestNet(t)
	// The announcements name no real outputs: taken unverified.
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) { tnode.utxos = nil })
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	scid := func(h uint32) wire.ShortChannelID {
		return wire.ShortChannelID{BlockHeight: h, TxIndex: 1, OutputIndex: 0}
	}
	anns := map[uint64]*wire.ChannelAnnouncement{}
	for i, h := range []uint32{100, 200, 1500, 2500} {
		anns[scid(h).ToUint64()] = signedAnnouncement(t, chainHash, scid(h), string(rune('a'+i)))
	}

	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	fake := fakePeer(t, ctx, a)

	recv := func(want wire.MessageType) wire.Message {
		t.Helper()
		for {
			m, err := fake.Receive(ctx)
			if err != nil {
				t.Fatalf("waiting for %v: %v", want, err)
			}
			if m.MsgType() == want {
				return m
			}
		}
	}
	send := func(m wire.Message) {
		t.Helper()
		if err := fake.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	q := recv(wire.MsgQueryChannelRange).(*wire.QueryChannelRange)
	if q.ChainHash != chainHash || q.FirstBlockNum != 0 || q.NumberOfBlocks != 0xffffffff {
		t.Fatalf("query_channel_range %+v, want the whole chain", q)
	}
	reply := func(first, num uint32, ids ...wire.ShortChannelID) {
		enc, err := wire.EncodeShortIDs(wire.EncodingUncompressed, ids)
		if err != nil {
			t.Fatal(err)
		}
		send(&wire.ReplyChannelRange{ChainHash: chainHash, FirstBlockNum: first, NumberOfBlocks: num, SyncComplete: 1, EncodedShortIDs: enc})
	}
	// Two replies; the second repeats an id of the first.
	reply(0, 1000, scid(100), scid(200))
	reply(1000, 0xffffffff-1000, scid(200), scid(1500), scid(2500))

	asked := map[uint64]int{}
	for len(asked) < 4 {
		qs := recv(wire.MsgQueryShortChannelIDs).(*wire.QueryShortChannelIDs)
		ids, err := qs.ShortChannelIDs()
		if err != nil {
			t.Fatalf("query_short_channel_ids: %v", err)
		}
		for _, id := range ids {
			asked[id.ToUint64()]++
			ann, ok := anns[id.ToUint64()]
			if !ok {
				t.Fatalf("asked for %v, never offered", id)
			}
			send(ann)
		}
		send(&wire.ReplyShortChannelIDsEnd{ChainHash: chainHash, FullInformation: 1})
	}
	for id, k := range asked {
		if k != 1 {
			t.Fatalf("%v asked for %d times", wire.NewShortChannelIDFromUint64(id), k)
		}
	}
	tn.waitFor("the four channels in alice's graph", func() bool {
		got := 0
		_ = a.do(ctx, func() error {
			for id := range anns {
				if _, ok := a.graph.Channel(wire.NewShortChannelIDFromUint64(id)); ok {
					got++
				}
			}
			return nil
		})
		return got == len(anns)
	})

	// Queried, alice serves her graph (gossip_serve.go): one reply
	// covering the range, with the channels of hers in it.
	send(&wire.QueryChannelRange{ChainHash: chainHash, FirstBlockNum: 0, NumberOfBlocks: 0xffffffff})
	rr := recv(wire.MsgReplyChannelRange).(*wire.ReplyChannelRange)
	if rr.FirstBlockNum != 0 || rr.NumberOfBlocks != 0xffffffff || rr.SyncComplete != 1 {
		t.Fatalf("reply_channel_range %+v", rr)
	}
	if ids, err := rr.EncodedShortIDs.Decode(); err != nil || len(ids) != len(anns) {
		t.Fatalf("reply ids %v, %v; want the %d channels", ids, err, len(anns))
	} else {
		for _, id := range ids {
			if _, ok := anns[id.ToUint64()]; !ok {
				t.Fatalf("reply lists %v, not announced", id)
			}
		}
	}
	qs := &wire.QueryShortChannelIDs{ChainHash: chainHash}
	if err := qs.SetShortChannelIDs(wire.EncodingUncompressed, []wire.ShortChannelID{scid(100)}); err != nil {
		t.Fatal(err)
	}
	send(qs)
	if end := recv(wire.MsgReplyShortChannelIDsEnd).(*wire.ReplyShortChannelIDsEnd); end.FullInformation != 1 || end.ChainHash != chainHash {
		t.Fatalf("reply_short_channel_ids_end %+v", end)
	}

	// Asked for two of them (and one she does not know), alice sends
	// their signed announcements, which verify, then the end.
	qs = &wire.QueryShortChannelIDs{ChainHash: chainHash}
	if err := qs.SetShortChannelIDs(wire.EncodingUncompressed, []wire.ShortChannelID{scid(200), scid(1500), scid(1600)}); err != nil {
		t.Fatal(err)
	}
	send(qs)
	got := map[uint64]bool{}
	for {
		m, err := fake.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end, ok := m.(*wire.ReplyShortChannelIDsEnd); ok {
			if end.FullInformation != 1 {
				t.Fatalf("reply_short_channel_ids_end %+v", end)
			}
			break
		}
		if ann, ok := m.(*wire.ChannelAnnouncement); ok {
			if err := ann.VerifySignatures(); err != nil {
				t.Fatalf("served announcement of %v: %v", ann.ShortChannelID, err)
			}
			got[ann.ShortChannelID.ToUint64()] = true
		}
	}
	if len(got) != 2 || !got[scid(200).ToUint64()] || !got[scid(1500).ToUint64()] {
		t.Fatalf("served %v", got)
	}
}

// TestNodeDropsPeerThatDoesNotRead queues more than maxPeerQueue
// messages for a peer that never reads: the node must drop the
// connection rather than hold them all.
func TestNodeDropsPeerThatDoesNotRead(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 0)
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	c1, c2 := net.Pipe()
	fakeKey, _ := btcec.NewPrivateKey()
	errc := make(chan error, 1)
	go func() { errc <- a.AcceptConn(ctx, c2) }()
	fake, err := peer.Connect(ctx, c1, a.NodeID(), peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(fakeKey)},
		Features:        wire.NewFeatureVector(wire.FeatureDataLossProtect.Required(), wire.FeatureVarOnionOptin.Required(), wire.FeatureStaticRemoteKey.Required(), wire.FeaturePaymentSecret.Required()),
		PingInterval:    -1,
		QueueSize:       1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	var id [33]byte
	copy(id[:], fakeKey.PubKey().SerializeCompressed())
	if err := a.do(ctx, func() error {
		pc := a.peers[id]
		for i := 0; i <= maxPeerQueue+100; i++ {
			pc.send(&wire.Ping{NumPongBytes: 0xffff, Padding: make([]byte, 1000)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("the connection dropped", func() bool { ps, _ := a.ListPeers(ctx); return len(ps) == 0 })
}
