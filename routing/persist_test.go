package routing

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// countingStore records the keys of every op written.
type countingStore struct {
	store.Store
	ops [][]string
}

func (c *countingStore) Write(ctx context.Context, b *store.Batch) error {
	var keys []string
	for _, op := range b.Ops() {
		keys = append(keys, op.Key)
	}
	sort.Strings(keys)
	c.ops = append(c.ops, keys)
	return c.Store.Write(ctx, b)
}

func openT(t *testing.T, st store.Store) *tgraph {
	t.Helper()
	g, err := OpenGraph(ctx, testChain, st, "graph/")
	if err != nil {
		t.Fatal(err)
	}
	b := newTGraph(t)
	b.g = g
	return b
}

func snapshotGraph(g *Graph) []ChannelInfo {
	var all []ChannelInfo
	g.ForEachChannel(func(c ChannelInfo) bool { all = append(all, c); return true })
	sort.Slice(all, func(i, j int) bool {
		return all[i].ShortChannelID.ToUint64() < all[j].ShortChannelID.ToUint64()
	})
	return all
}

func equalInfos(a, b []ChannelInfo) bool {
	return slices.EqualFunc(a, b, func(x, y ChannelInfo) bool {
		eqp := func(p, q *Policy) bool { return (p == nil && q == nil) || (p != nil && q != nil && *p == *q) }
		return x.ShortChannelID == y.ShortChannelID && x.Node1 == y.Node1 && x.Node2 == y.Node2 &&
			x.Capacity == y.Capacity && eqp(x.Policy1, y.Policy1) && eqp(x.Policy2, y.Policy2)
	})
}

func TestPersistRoundTrip(t *testing.T) {
	mem := store.NewMemory()
	b := openT(t, mem)
	b.channel("A", "B", 1_000_000, pol(1, 2, 3), pol(4, 5, 6))
	unknownCap := pol(7, 8, 9)
	unknownCap.HTLCMaximum = 1_000_000
	bc := b.channel("B", "C", 0, unknownCap, nil)
	dis := pol(10, 11, 12)
	dis.Disabled = true
	b.channel("C", "D", 500, nil, dis)
	closed := b.channel("D", "E", 500, nil, nil)
	b.g.MarkClosed(closed)
	alias, _ := wire.NewNodeAlias("bob")
	ann := &wire.NodeAnnouncement{NodeID: b.id("B"), Timestamp: 99, Alias: alias, Features: wire.FeatureVector{0x80, 0x02}}
	if _, err := b.g.ApplyNodeAnnouncement(ann); err != nil {
		t.Fatal(err)
	}
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if b.g.Pending() != 0 {
		t.Fatalf("pending %d after flush", b.g.Pending())
	}

	g2, err := OpenGraph(ctx, testChain, mem, "graph/")
	if err != nil {
		t.Fatal(err)
	}
	if !equalInfos(snapshotGraph(b.g), snapshotGraph(g2)) {
		t.Fatalf("reloaded graph differs:\n%+v\n%+v", snapshotGraph(b.g), snapshotGraph(g2))
	}
	if g2.NumNodes() != b.g.NumNodes() || g2.NumChannels() != 3 {
		t.Fatalf("reloaded %d nodes %d channels", g2.NumNodes(), g2.NumChannels())
	}
	got := g2.NodeAnnouncement(b.id("B"))
	if got == nil || got.Timestamp != 99 || got.Alias != alias || !got.Features.Equal(ann.Features) {
		t.Fatalf("node_announcement %+v", got)
	}
	if !g2.IsClosed(closed) {
		t.Fatal("closed channel forgotten")
	}
	// Routes agree.
	req := &Request{Source: b.id("A"), Target: b.id("C"), Amount: 1000, MaxFee: NoFeeLimit}
	r1, err1 := b.g.FindRoute(ctx, req)
	r2, err2 := g2.FindRoute(ctx, req)
	if err1 != nil || err2 != nil || !slices.Equal(r1.Hops, r2.Hops) {
		t.Fatalf("routes differ: %v %v", err1, err2)
	}

	// Removing a channel deletes its record and those of nodes left
	// without channels.
	g2.RemoveChannel(bc)
	if err := g2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	g3, err := OpenGraph(ctx, testChain, mem, "graph/")
	if err != nil {
		t.Fatal(err)
	}
	if !equalInfos(snapshotGraph(g2), snapshotGraph(g3)) || g3.NumNodes() != 4 {
		t.Fatalf("after removal: %d nodes", g3.NumNodes())
	}
	// Another prefix is another graph.
	other, err := OpenGraph(ctx, testChain, mem, "other/")
	if err != nil || other.NumChannels() != 0 {
		t.Fatalf("other prefix: %v %d", err, other.NumChannels())
	}
}

// TestPersistDeltas: a channel_update rewrites one record, a
// node_announcement one record; nothing changed writes nothing.
func TestPersistDeltas(t *testing.T) {
	cs := &countingStore{Store: store.NewMemory()}
	b := openT(t, cs)
	for i := 0; i < 20; i++ {
		b.channel("A", string(rune('a'+i)), 1000, pol(1, 1, 1), pol(1, 1, 1))
	}
	scid := b.channel("A", "B", 1000, pol(1, 1, 1), nil)
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 21 channel records and their messages: 20 with two updates, one
	// (new, with one update) deleting any stored update of the other
	// direction.
	if len(cs.ops) != 1 || len(cs.ops[0]) != 21+21*3 {
		t.Fatalf("first flush wrote %v", cs.ops)
	}
	p := pol(2, 2, 2)
	p.Timestamp++
	b.update(scid, "A", "B", p)
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	info, _ := b.g.Channel(scid)
	dir := gossipUpd0
	if info.Node1 != b.id("A") {
		dir = gossipUpd1
	}
	want := []string{"graph/c/" + scidKey(scid.ToUint64()), gossipKey("graph/", scid.ToUint64(), dir)}
	if len(cs.ops) != 2 || !slices.Equal(cs.ops[1], want) {
		t.Fatalf("update flush wrote %v, want %v", cs.ops[1:], want)
	}
	if err := b.g.Flush(ctx); err != nil || len(cs.ops) != 2 {
		t.Fatalf("an empty flush wrote %v (%v)", cs.ops[2:], err)
	}
	// An ignored (older) update writes nothing either.
	old := pol(9, 9, 9)
	b.update(scid, "A", "B", old)
	if b.g.Pending() != 0 {
		t.Fatal("an ignored update is pending")
	}
}

func TestPersistFlushFailure(t *testing.T) {
	fi := store.NewFaultInjector(store.NewMemory())
	b := openT(t, fi)
	b.channel("A", "B", 1000, pol(1, 1, 1), nil)
	fi.Inject(1, store.FaultFail)
	if err := b.g.Flush(ctx); !errors.Is(err, store.ErrInjected) {
		t.Fatalf("flush: %v", err)
	}
	if b.g.Pending() != 1 {
		t.Fatalf("pending %d after a failed flush", b.g.Pending())
	}
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	g2, err := OpenGraph(ctx, testChain, fi.Inner(), "graph/")
	if err != nil || g2.NumChannels() != 1 {
		t.Fatalf("reload: %v, %d channels", err, g2.NumChannels())
	}
}

func TestPersistCorrupt(t *testing.T) {
	cases := map[string][]byte{
		"graph/c/0000000000000001":  {1, 2, 3},
		"graph/c/xyz":               make([]byte, chanRecordLen),
		"graph/c/00000000000000AB":  make([]byte, chanRecordLen),
		"graph/n/02":                {1, 0},
		"graph/n/" + hexPoint(0x02): {2},
		"graph/x/1":                 nil,
	}
	for k, v := range cases {
		mem := store.NewMemory()
		var bt store.Batch
		bt.Put(k, v)
		if err := mem.Write(ctx, &bt); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenGraph(ctx, testChain, mem, "graph/"); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: %v", k, err)
		}
	}
	// A channel record with bad flags or node ids out of order.
	b := newTGraph(t)
	scid := b.channel("A", "B", 1000, pol(1, 1, 1), nil)
	c := b.g.record(b.g.chanIdx[scid.ToUint64()])
	good := encodeChannel(b.g.nodes[c.node[0]].id, b.g.nodes[c.node[1]].id, &c)
	if _, _, _, err := decodeChannel(good); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func([]byte){
		func(v []byte) { v[0] = 2 },
		func(v []byte) { v[1+66+12] = 0x80 },                        // policy flags
		func(v []byte) { copy(v[1:34], v[34:67]) },                  // equal ids
		func(v []byte) { v[1+66+12+policyRecordLen] = polDisabled }, // disabled without known
	} {
		v := slices.Clone(good)
		mut(v)
		if _, _, _, err := decodeChannel(v); err == nil {
			t.Errorf("mutation accepted: %x", v)
		}
	}
}

func hexPoint(prefix byte) string {
	s := []byte{prefix}
	s = append(s, make([]byte, 32)...)
	return scidHex(s)
}

func scidHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

// FuzzDecodeChannelRecord: any bytes decode or fail without panicking, and
// what decodes encodes back to the same bytes.
func FuzzDecodeChannelRecord(f *testing.F) {
	b := newTGraph(f)
	scid := b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
	c := b.g.record(b.g.chanIdx[scid.ToUint64()])
	f.Add(encodeChannel(b.g.nodes[c.node[0]].id, b.g.nodes[c.node[1]].id, &c))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, v []byte) {
		id1, id2, c, err := decodeChannel(v)
		if err != nil {
			return
		}
		if got := encodeChannel(id1, id2, &c); !slices.Equal(got, v) {
			t.Fatalf("re-encoded %x, want %x", got, v)
		}
	})
}
