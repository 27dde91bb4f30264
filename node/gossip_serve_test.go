package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/script"

	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

func stampsAt(heights ...uint32) []routing.ChannelStamp {
	out := make([]routing.ChannelStamp, len(heights))
	for i, h := range heights {
		out[i].ShortChannelID = wire.ShortChannelID{BlockHeight: h, TxIndex: uint32(i)}
	}
	return out
}

// checkParts checks BOLT 7's and lnd's rules for the parts of a reply:
// the first starts at the query's first block, each next one at the block
// after the previous one's last (or in it, only for a split block), every
// id is listed once inside its part's range, no part holds more than max,
// and the last reaches the query's end.
func checkParts(t *testing.T, first, num uint32, stamps []routing.ChannelStamp, max int, parts []rangePart) {
	t.Helper()
	if len(parts) == 0 || parts[0].first != first || parts[0].lo != 0 || parts[len(parts)-1].hi != len(stamps) {
		t.Fatalf("parts %+v", parts)
	}
	for i, p := range parts {
		if p.num == 0 || p.hi-p.lo > max || p.hi < p.lo {
			t.Fatalf("part %d %+v", i, p)
		}
		end := uint64(p.first) + uint64(p.num)
		for _, s := range stamps[p.lo:p.hi] {
			if h := uint64(s.ShortChannelID.BlockHeight); h < uint64(p.first) || h >= end {
				t.Fatalf("part %d %+v lists height %d", i, p, h)
			}
		}
		if i > 0 {
			q := parts[i-1]
			if p.lo != q.hi {
				t.Fatalf("part %d does not continue the ids of %d", i, i-1)
			}
			prevEnd := uint64(q.first) + uint64(q.num)
			split := stamps[q.hi-1].ShortChannelID.BlockHeight == stamps[p.lo].ShortChannelID.BlockHeight
			if uint64(p.first) != prevEnd && !(split && uint64(p.first) == prevEnd-1) {
				t.Fatalf("part %d %+v does not follow %+v", i, p, q)
			}
		}
	}
	last := parts[len(parts)-1]
	if uint64(last.first)+uint64(last.num) < min(uint64(first)+uint64(num), uint64(last.first)+math.MaxUint32) {
		t.Fatalf("last part %+v does not reach the end", last)
	}
}

func TestGossipSplitRange(t *testing.T) {
	for _, c := range []struct {
		name       string
		first, num uint32
		heights    []uint32
		max        int
		wantParts  int
	}{
		{"empty", 10, 20, nil, 3, 1},
		{"fits", 0, 0xffffffff, []uint32{5, 6, 7}, 3, 1},
		{"two", 0, 100, []uint32{5, 6, 7, 8}, 3, 2},
		{"block boundary", 0, 100, []uint32{5, 6, 6, 6, 9}, 3, 3},
		{"oversize block split", 1, 100, []uint32{5, 5, 5, 5, 5, 6}, 2, 3},
		{"late start whole chain", 700000, 0xffffffff, []uint32{700001, 700002, 800000}, 1, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			stamps := stampsAt(c.heights...)
			parts := splitRange(c.first, c.num, stamps, c.max)
			checkParts(t, c.first, c.num, stamps, c.max, parts)
			if len(parts) != c.wantParts {
				t.Fatalf("%d parts %+v, want %d", len(parts), parts, c.wantParts)
			}
		})
	}
	// The block-boundary case ends the first part before block 6.
	p := splitRange(0, 100, stampsAt(5, 6, 6, 6, 9), 3)
	if p[0].num != 6 || p[0].hi != 1 || p[1].first != 6 || p[1].hi != 4 {
		t.Fatalf("parts %+v", p)
	}
}

func TestGossipReplyIDsLimitFits(t *testing.T) {
	for _, opt := range []wire.QueryOption{0, wire.QueryOptionTimestamps, wire.QueryOptionTimestamps | wire.QueryOptionChecksums} {
		n := replyIDsLimit(opt)
		r := &wire.ReplyChannelRange{FirstBlockNum: 1, NumberOfBlocks: 2}
		ids := make([]wire.ShortChannelID, n)
		ts := make([]wire.ChannelUpdateTimestamps, n)
		for i := range ids {
			ids[i] = wire.ShortChannelID{BlockHeight: uint32(i + 1)}
		}
		if err := r.SetShortChannelIDs(wire.EncodingUncompressed, ids); err != nil {
			t.Fatal(err)
		}
		if opt&wire.QueryOptionTimestamps != 0 {
			if err := r.SetTimestamps(wire.EncodingUncompressed, ts); err != nil {
				t.Fatal(err)
			}
		}
		if opt&wire.QueryOptionChecksums != 0 {
			r.Checksums = make([]wire.ChannelUpdateChecksums, n)
		}
		b, err := wire.EncodeMessage(r)
		if err != nil || len(b) > wire.MaxMessageSize {
			t.Fatalf("option %d: %d ids: %d bytes, %v", opt, n, len(b), err)
		}
		if len(b) < wire.MaxMessageSize-64 {
			t.Fatalf("option %d: %d ids leave %d bytes unused", opt, n, wire.MaxMessageSize-len(b))
		}
	}
}

// signedUpdate is a channel_update of direction 0 for the channel
// signedAnnouncement(tag) made, signed by its node_id_1.
func signedUpdate(t *testing.T, chainHash wire.ChainHash, scid wire.ShortChannelID, tag string, ts uint32) *wire.ChannelUpdate {
	t.Helper()
	key := func(s string) *btcec.PrivateKey {
		h := sha256.Sum256([]byte(tag + s))
		k, _ := btcec.PrivKeyFromBytes(h[:])
		return k
	}
	n1, n2 := key("n1"), key("n2")
	if bytes.Compare(n1.PubKey().SerializeCompressed(), n2.PubKey().SerializeCompressed()) > 0 {
		n1 = n2
	}
	u := &wire.ChannelUpdate{ChainHash: chainHash, ShortChannelID: scid, Timestamp: ts, MessageFlags: wire.ChanUpdateMustBeOne,
		CLTVExpiryDelta: 40, HTLCMinimum: 1, FeeBase: 1000, FeeProportionalMillionths: 1, HTLCMaximum: 1_000_000_000}
	d, err := u.SignatureDigest()
	if err != nil {
		t.Fatal(err)
	}
	u.Signature = wire.NewSignature(ecdsa.Sign(n1, d[:]))
	return u
}

// TestNodeGossipTimestampFilter: a peer whose filter lies after the
// stored gossip gets none of it; one with 0..max gets the channel's
// announcement followed by its update.
func TestNodeGossipTimestampFilter(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) { tnode.utxos = nil })
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	scid := wire.ShortChannelID{BlockHeight: 300, TxIndex: 1}
	ts := uint32(time.Now().Unix()) - 60
	ann := signedAnnouncement(t, chainHash, scid, "f")
	upd := signedUpdate(t, chainHash, scid, "f", ts)
	if err := a.do(tn.ctx, func() error {
		if _, err := a.graph.AddChannel(ann, 0, a.now()); err != nil {
			return err
		}
		if err := upd.VerifySignature(ann.NodeID1); err != nil {
			return err
		}
		_, err := a.graph.ApplyChannelUpdate(upd)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	fake := fakePeer(t, ctx, a)
	send := func(m wire.Message) {
		t.Helper()
		if err := fake.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// A filter after the update, then a query as a marker: its end
	// arrives after anything the filter selected.
	send(&wire.GossipTimestampFilter{ChainHash: chainHash, FirstTimestamp: ts + 1, TimestampRange: 1000})
	q := &wire.QueryShortChannelIDs{ChainHash: chainHash}
	if err := q.SetShortChannelIDs(wire.EncodingUncompressed, []wire.ShortChannelID{{BlockHeight: 1, TxIndex: 1}}); err != nil {
		t.Fatal(err)
	}
	send(q)
	var gossip []wire.Message
	collect := func() {
		t.Helper()
		gossip = nil
		for {
			m, err := fake.Receive(ctx)
			if err != nil {
				t.Fatal(err)
			}
			switch m.(type) {
			case *wire.ReplyShortChannelIDsEnd:
				return
			case *wire.ChannelAnnouncement, *wire.ChannelUpdate, *wire.NodeAnnouncement:
				gossip = append(gossip, m)
			}
		}
	}
	collect()
	if len(gossip) != 0 {
		t.Fatalf("a filter in the future got %d messages", len(gossip))
	}
	send(&wire.GossipTimestampFilter{ChainHash: chainHash, FirstTimestamp: 0, TimestampRange: 0xffffffff})
	send(q)
	collect()
	if len(gossip) != 2 {
		t.Fatalf("got %d messages, want the announcement and its update", len(gossip))
	}
	if got, ok := gossip[0].(*wire.ChannelAnnouncement); !ok || got.ShortChannelID != scid || got.VerifySignatures() != nil {
		t.Fatalf("first %+v", gossip[0])
	}
	if got, ok := gossip[1].(*wire.ChannelUpdate); !ok || got.Timestamp != ts || got.VerifySignature(ann.NodeID1) != nil {
		t.Fatalf("second %+v", gossip[1])
	}
}

// TestNodeGossipServedAfterRestart: the signed messages survive a
// restart (the test node's store.File) and are served from the store.
func TestNodeGossipServedAfterRestart(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) { tnode.utxos = nil })
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	scid := wire.ShortChannelID{BlockHeight: 400, TxIndex: 2}
	ann := signedAnnouncement(t, chainHash, scid, "r")
	upd := signedUpdate(t, chainHash, scid, "r", uint32(time.Now().Unix())-30)
	if err := a.do(tn.ctx, func() error {
		if _, err := a.graph.AddChannel(ann, 0, a.now()); err != nil {
			return err
		}
		if _, err := a.graph.ApplyChannelUpdate(upd); err != nil {
			return err
		}
		return a.graph.Flush(a.ctx)
	}); err != nil {
		t.Fatal(err)
	}
	tn.restart(a)
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	fake := fakePeer(t, ctx, a)
	q := &wire.QueryShortChannelIDs{ChainHash: chainHash}
	if err := q.SetShortChannelIDs(wire.EncodingUncompressed, []wire.ShortChannelID{scid}); err != nil {
		t.Fatal(err)
	}
	if err := fake.Send(ctx, q); err != nil {
		t.Fatal(err)
	}
	var gotAnn, gotUpd bool
	for {
		m, err := fake.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *wire.ChannelAnnouncement:
			gotAnn = m.ShortChannelID == scid && m.VerifySignatures() == nil
		case *wire.ChannelUpdate:
			gotUpd = gotAnn && m.Timestamp == upd.Timestamp && m.VerifySignature(ann.NodeID1) == nil
		case *wire.ReplyShortChannelIDsEnd:
			if !gotAnn || !gotUpd || m.FullInformation != 1 {
				t.Fatalf("after the restart: announcement %v, update %v, end %+v", gotAnn, gotUpd, m)
			}
			return
		}
	}
}

// TestNodeGossipSpentFundingClosesChannel: a block spending a graph
// channel's funding output (its 2-of-2 script as the witness script)
// removes the channel and marks it closed; a block spending other scripts
// does not.
func TestNodeGossipSpentFundingClosesChannel(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) { tnode.utxos = nil })
	chainHash := wire.ChainHash(*a.cfg.Network.GenesisHash)
	scid := wire.ShortChannelID{BlockHeight: 500, TxIndex: 3}
	ann := signedAnnouncement(t, chainHash, scid, "s")
	ctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
	defer cancel()
	fake := fakePeer(t, ctx, a)
	if err := fake.Send(ctx, ann); err != nil {
		t.Fatal(err)
	}
	inGraph := func() (in, closed bool) {
		_ = a.do(ctx, func() error {
			_, in = a.graph.Channel(scid)
			closed = a.graph.IsClosed(scid)
			return nil
		})
		return
	}
	tn.waitFor("the channel in alice's graph", func() bool { in, _ := inGraph(); return in })
	spend := func(script []byte) *chain.Block {
		tx := btcwire.NewMsgTx(2)
		tx.AddTxIn(&btcwire.TxIn{Witness: btcwire.TxWitness{nil, []byte{1}, []byte{2}, script}})
		tx.AddTxOut(&btcwire.TxOut{Value: 1000, PkScript: []byte{0x51}})
		return &chain.Block{Height: 1000, Txs: []chain.IndexedTx{{Tx: tx, Index: 1}}}
	}
	other := fundingWitnessScript(ann.BitcoinKey1, ann.NodeID1)
	if err := a.BlockConnected(ctx, spend(other)); err != nil {
		t.Fatal(err)
	}
	if in, closed := inGraph(); !in || closed {
		t.Fatal("another script's spend closed the channel")
	}
	want := fundingWitnessScript(ann.BitcoinKey1, ann.BitcoinKey2)
	k1, _ := ann.BitcoinKey1.PublicKey()
	k2, _ := ann.BitcoinKey2.PublicKey()
	if ws, err := script.FundingScript(k1, k2); err != nil || !bytes.Equal(ws, want) {
		t.Fatalf("funding script %x, want package script's %x (%v)", want, ws, err)
	}
	if err := a.BlockConnected(ctx, spend(want)); err != nil {
		t.Fatal(err)
	}
	if in, closed := inGraph(); in || !closed {
		t.Fatalf("after the spend: in the graph %v, closed %v", in, closed)
	}
}
