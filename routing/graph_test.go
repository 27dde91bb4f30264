package routing

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lnkit/lnkit/wire"
)

func TestNewestUpdateWins(t *testing.T) {
	b := newTGraph(t)
	p := pol(1000, 1, 40)
	scid := b.channel("A", "B", 1_000_000, p, nil)
	older := *p
	older.Timestamp--
	older.FeeBase = 1
	if b.update(scid, "A", "B", &older) {
		t.Fatal("an older update was applied")
	}
	same := *p
	same.FeeBase = 2
	if b.update(scid, "A", "B", &same) {
		t.Fatal("an update with an equal timestamp was applied")
	}
	newer := *p
	newer.Timestamp++
	newer.FeeBase = 3
	newer.Disabled = true
	if !b.update(scid, "A", "B", &newer) {
		t.Fatal("a newer update was not applied")
	}
	info, _ := b.g.Channel(scid)
	mine, other := info.Policy1, info.Policy2
	if b.id("A") != info.Node1 {
		mine, other = other, mine
	}
	if other != nil {
		t.Fatalf("B's direction has a policy: %+v", other)
	}
	if *mine != newer {
		t.Fatalf("policy %+v, want %+v", *mine, newer)
	}
	// The first update of B's direction is applied whatever its time.
	if !b.update(scid, "B", "A", pol(0, 0, 1)) {
		t.Fatal("B's first update was not applied")
	}
}

func TestGossipRefused(t *testing.T) {
	b := newTGraph(t)
	scid := b.channel("A", "B", 1000, pol(0, 0, 1), nil)
	id1, id2 := b.id("A"), b.id("B")
	if string(id1[:]) > string(id2[:]) {
		id1, id2 = id2, id1
	}
	ann := func(mod func(*wire.ChannelAnnouncement)) error {
		a := &wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: wire.ShortChannelID{BlockHeight: 5}, NodeID1: id1, NodeID2: id2}
		mod(a)
		_, err := b.g.AddChannel(a, 0, t0)
		return err
	}
	if err := ann(func(a *wire.ChannelAnnouncement) { a.ChainHash = wire.MainnetChainHash }); !errors.Is(err, ErrWrongChain) {
		t.Errorf("wrong chain: %v", err)
	}
	if err := ann(func(a *wire.ChannelAnnouncement) { a.NodeID1, a.NodeID2 = id2, id1 }); !errors.Is(err, ErrInvalidAnnouncement) {
		t.Errorf("node ids out of order: %v", err)
	}
	if err := ann(func(a *wire.ChannelAnnouncement) { a.NodeID2 = id1 }); !errors.Is(err, ErrInvalidAnnouncement) {
		t.Errorf("equal node ids: %v", err)
	}
	if err := ann(func(a *wire.ChannelAnnouncement) { a.ShortChannelID.BlockHeight = 1 << 24 }); !errors.Is(err, ErrInvalidAnnouncement) {
		t.Errorf("scid out of range: %v", err)
	}
	if err := ann(func(a *wire.ChannelAnnouncement) { a.ShortChannelID = scid; a.NodeID2 = b.id("C") }); !errors.Is(err, ErrChannelExists) && !errors.Is(err, ErrInvalidAnnouncement) {
		t.Errorf("scid reused: %v", err)
	}
	if _, err := b.g.AddChannel(nil, 0, t0); !errors.Is(err, ErrInvalidAnnouncement) {
		t.Errorf("nil: %v", err)
	}
	u := updateFor(wire.ShortChannelID{BlockHeight: 77}, pol(0, 0, 1), 0)
	if _, err := b.g.ApplyChannelUpdate(u); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("update of an unknown channel: %v", err)
	}
	u = updateFor(scid, pol(0, 0, 1), 0)
	u.ChainHash = wire.MainnetChainHash
	if _, err := b.g.ApplyChannelUpdate(u); !errors.Is(err, ErrWrongChain) {
		t.Errorf("update for another chain: %v", err)
	}
	if _, err := b.g.ApplyChannelUpdate(nil); err == nil {
		t.Error("nil update accepted")
	}
	if _, err := b.g.ApplyNodeAnnouncement(&wire.NodeAnnouncement{NodeID: b.id("Z")}); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("node_announcement without channel: %v", err)
	}
	// Announcing again with a capacity sets it; with the same nodes it is
	// not new.
	added, err := b.g.AddChannel(&wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: scid, NodeID1: id1, NodeID2: id2}, 5000, t0)
	if err != nil || added {
		t.Fatalf("re-announce: %v %v", added, err)
	}
	if info, _ := b.g.Channel(scid); info.Capacity != 5000 {
		t.Fatalf("capacity %v", info.Capacity)
	}
}

func TestNodeAnnouncements(t *testing.T) {
	b := newTGraph(t)
	scid := b.channel("A", "B", 1000, nil, nil)
	alias, _ := wire.NewNodeAlias("alice")
	a := &wire.NodeAnnouncement{NodeID: b.id("A"), Timestamp: 10, Alias: alias, Features: wire.FeatureVector{0x02},
		Addresses: []wire.NetAddress{{Type: wire.AddressIPv4, Addr: []byte{127, 0, 0, 1}, Port: 9735}}}
	if ok, err := b.g.ApplyNodeAnnouncement(a); !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	a.Addresses[0].Addr[3] = 2 // the graph holds a copy
	got := b.g.NodeAnnouncement(b.id("A"))
	if got == nil || got.Alias != alias || got.Addresses[0].Addr[3] != 1 {
		t.Fatalf("stored %+v", got)
	}
	older := *got
	older.Timestamp = 10
	if ok, _ := b.g.ApplyNodeAnnouncement(&older); ok {
		t.Fatal("an announcement with an equal timestamp replaced the stored one")
	}
	if b.g.NodeAnnouncement(b.id("B")) != nil {
		t.Fatal("B has no announcement")
	}
	// Removing the last channel removes its nodes.
	if !b.g.RemoveChannel(scid) || b.g.HasNode(b.id("A")) || b.g.NumNodes() != 0 || b.g.NodeAnnouncement(b.id("A")) != nil {
		t.Fatal("nodes survived their last channel")
	}
	if b.g.RemoveChannel(scid) {
		t.Fatal("removed twice")
	}
}

func TestMarkClosed(t *testing.T) {
	b := newTGraph(t)
	ab := b.channel("A", "B", 1000, pol(0, 0, 1), nil)
	b.channel("B", "C", 1000, pol(0, 0, 1), nil)
	if !b.g.MarkClosed(ab) || b.g.NumChannels() != 1 || b.g.HasNode(b.id("A")) || !b.g.HasNode(b.id("B")) {
		t.Fatalf("after close: %d channels", b.g.NumChannels())
	}
	if !b.g.IsClosed(ab) {
		t.Fatal("not remembered as closed")
	}
	if _, err := b.g.ApplyChannelUpdate(updateFor(ab, pol(0, 0, 2), 0)); !errors.Is(err, ErrChannelClosed) {
		t.Fatalf("update of a closed channel: %v", err)
	}
	id1, id2 := b.id("A"), b.id("B")
	if string(id1[:]) > string(id2[:]) {
		id1, id2 = id2, id1
	}
	if _, err := b.g.AddChannel(&wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: ab, NodeID1: id1, NodeID2: id2}, 0, t0); !errors.Is(err, ErrChannelClosed) {
		t.Fatalf("re-announce of a closed channel: %v", err)
	}
}

// TestPruneStale follows BOLT 7: a channel goes when the older of its two
// latest updates is more than two weeks old.
func TestPruneStale(t *testing.T) {
	b := newTGraph(t)
	fresh := pol(0, 0, 1)
	old := pol(0, 0, 1)
	old.Timestamp -= 3600
	bothFresh := b.channel("A", "B", 1000, fresh, fresh)
	oneOld := b.channel("B", "C", 1000, fresh, old)
	bothOld := b.channel("C", "D", 1000, old, old)
	oneMissing := b.channel("D", "E", 1000, fresh, nil) // the other side counts from t0

	now := t0.Add(StaleAfter) // exactly two weeks after the fresh updates
	if p := b.g.PruneStale(now); len(p) != 2 || !slices.Contains(p, oneOld) || !slices.Contains(p, bothOld) {
		t.Fatalf("pruned %v at two weeks", p)
	}
	if _, ok := b.g.Channel(bothFresh); !ok {
		t.Fatal("fresh channel pruned")
	}
	if _, ok := b.g.Channel(oneMissing); !ok {
		t.Fatal("channel with a missing direction pruned at two weeks since its announcement")
	}
	if p := b.g.PruneStale(now.Add(time.Second)); len(p) != 2 {
		t.Fatalf("pruned %v a second later", p)
	}
	if b.g.NumChannels() != 0 || b.g.NumNodes() != 0 {
		t.Fatalf("left %d channels %d nodes", b.g.NumChannels(), b.g.NumNodes())
	}
	// Pruned channels may come back.
	b.addChannel(bothOld, "C", "D", 1000, fresh, fresh)
	if b.g.NumChannels() != 1 {
		t.Fatal("a pruned channel could not be announced again")
	}
}

func TestPolicyFee(t *testing.T) {
	cases := []struct {
		base wire.MilliSatoshi
		ppm  uint32
		amt  wire.MilliSatoshi
		want wire.MilliSatoshi
	}{
		{200, 2000, 4_999_999, 10_199}, // BOLT 7's example
		{0, 1, 999_999, 0},             // rounds down
		{0, 1, 1_000_000, 1},
		{1, 4_294_967_295, 1 << 62, wire.MilliSatoshi(1<<64 - 1)}, // saturates
		{wire.MilliSatoshi(1<<64 - 1), 1, 1_000_000, wire.MilliSatoshi(1<<64 - 1)},
	}
	for _, c := range cases {
		p := Policy{FeeBase: c.base, FeeProportionalMillionths: c.ppm}
		if got := p.Fee(c.amt); got != c.want {
			t.Errorf("fee(%d, %d, %d) = %d, want %d", c.base, c.ppm, c.amt, got, c.want)
		}
	}
}

func TestForEachChannel(t *testing.T) {
	b := bolt7Graph(t)
	n := 0
	b.g.ForEachChannel(func(ci ChannelInfo) bool {
		n++
		return n < 3
	})
	if n != 3 {
		t.Fatalf("visited %d, want to stop at 3", n)
	}
}
