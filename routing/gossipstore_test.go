package routing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// gossipKeysIn lists the stored gossip keys.
func gossipKeysIn(t *testing.T, st store.Store) []string {
	t.Helper()
	keys, err := st.List(ctx, "graph/"+gossipKeys)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestGossipStoredMessages(t *testing.T) {
	mem := store.NewMemory()
	b := openT(t, mem)
	ab := b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
	bc := b.channel("B", "C", 1000, pol(7, 8, 9), nil)

	check := func(g *Graph, scid wire.ShortChannelID, wantUpd [2]bool) ChannelGossip {
		t.Helper()
		cg, err := g.Gossip(ctx, scid)
		if err != nil {
			t.Fatal(err)
		}
		if cg.Announcement == nil || cg.Announcement.ShortChannelID != scid {
			t.Fatalf("%v: announcement %+v", scid, cg.Announcement)
		}
		for d := range cg.Updates {
			if (cg.Updates[d] != nil) != wantUpd[d] {
				t.Fatalf("%v: update %d present %v, want %v", scid, d, cg.Updates[d] != nil, wantUpd[d])
			}
		}
		return cg
	}
	// Before the flush, from the pending changes.
	check(b.g, ab, [2]bool{true, true})
	if len(gossipKeysIn(t, mem)) != 0 {
		t.Fatal("messages stored before Flush")
	}
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(gossipKeysIn(t, mem)); n != 5 {
		t.Fatalf("%d gossip keys, want 5", n)
	}
	if len(b.g.pendingRaw) != 0 || len(b.g.flushingRaw) != 0 {
		t.Fatal("messages kept in memory after Flush")
	}
	// After a reopen, from the store.
	b2 := openT(t, mem)
	cg := check(b2.g, ab, [2]bool{true, true})
	bcInfo, _ := b2.g.Channel(bc)
	dirB := 0
	if bcInfo.Node1 != b.id("B") {
		dirB = 1
	}
	var want [2]bool
	want[dirB] = true
	check(b2.g, bc, want)
	// A newer update replaces the stored one; an older one does not.
	old := cg.Updates[0].Timestamp
	p := pol(10, 11, 12)
	p.Timestamp = old + 10
	if ok, _ := b2.g.ApplyChannelUpdate(updateFor(ab, p, 0)); !ok {
		t.Fatal("newer update not applied")
	}
	if err := b2.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := check(openT(t, mem).g, ab, [2]bool{true, true}).Updates[0]; got.Timestamp != old+10 || got.FeeBase != 10 {
		t.Fatalf("update 0 = %+v", got)
	}
	// Removing and closing delete the messages.
	b2.g.RemoveChannel(bc)
	b2.g.MarkClosed(ab)
	if _, err := b2.g.Gossip(ctx, ab); !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("Gossip of a closed channel: %v", err)
	}
	if err := b2.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := gossipKeysIn(t, mem); len(keys) != 0 {
		t.Fatalf("left over: %v", keys)
	}
}

func TestGossipPrunedMessagesDeleted(t *testing.T) {
	mem := store.NewMemory()
	b := openT(t, mem)
	b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(b.g.PruneStale(t0.Add(StaleAfter+time.Hour))) != 1 {
		t.Fatal("not pruned")
	}
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := gossipKeysIn(t, mem); len(keys) != 0 {
		t.Fatalf("left over: %v", keys)
	}
}

// A channel removed and announced again between two flushes does not keep
// the updates of its earlier self.
func TestGossipReaddedChannelForgetsOldUpdates(t *testing.T) {
	mem := store.NewMemory()
	b := openT(t, mem)
	scid := b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	b.g.RemoveChannel(scid)
	b.addChannel(scid, "A", "B", 1000, nil, nil)
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cg, err := openT(t, mem).g.Gossip(ctx, scid)
	if err != nil {
		t.Fatal(err)
	}
	if cg.Announcement == nil || cg.Updates[0] != nil || cg.Updates[1] != nil {
		t.Fatalf("got %+v", cg)
	}
}

// A graph stored without messages (before they were kept) opens, and its
// channels have none.
func TestGossipOldStoredGraphReadable(t *testing.T) {
	mem := store.NewMemory()
	b := openT(t, mem)
	scid := b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
	if err := b.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var del store.Batch
	for _, k := range gossipKeysIn(t, mem) {
		del.Delete(k)
	}
	if err := mem.Write(ctx, &del); err != nil {
		t.Fatal(err)
	}
	g := openT(t, mem).g
	cg, err := g.Gossip(ctx, scid)
	if err != nil || cg.Announcement != nil || cg.Updates[0] != nil {
		t.Fatalf("got %+v, %v", cg, err)
	}
	if g.NumChannels() != 1 {
		t.Fatal("channel lost")
	}
}

func TestGossipCorruptStoredMessage(t *testing.T) {
	for _, c := range []struct {
		name   string
		suffix string
		value  func(ann, otherAnn, upd0 []byte) []byte
	}{
		{"version", gossipAnn, func(ann, _, _ []byte) []byte { return append([]byte{9}, ann[1:]...) }},
		{"truncated", gossipAnn, func(ann, _, _ []byte) []byte { return ann[:40] }},
		{"empty", gossipUpd0, func(_, _, _ []byte) []byte { return nil }},
		{"other channel", gossipAnn, func(_, otherAnn, _ []byte) []byte { return otherAnn }},
		{"update as announcement", gossipAnn, func(_, _, upd0 []byte) []byte { return upd0 }},
		{"wrong direction", gossipUpd1, func(_, _, upd0 []byte) []byte { return upd0 }},
	} {
		mem := store.NewMemory()
		b := openT(t, mem)
		scid := b.channel("A", "B", 1000, pol(1, 2, 3), pol(4, 5, 6))
		other := b.channel("A", "C", 1000, pol(1, 2, 3), nil)
		if err := b.g.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		get := func(s wire.ShortChannelID, suffix string) []byte {
			v, err := mem.Get(ctx, gossipKey("graph/", s.ToUint64(), suffix))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		var w store.Batch
		w.Put(gossipKey("graph/", scid.ToUint64(), c.suffix), c.value(get(scid, gossipAnn), get(other, gossipAnn), get(scid, gossipUpd0)))
		if err := mem.Write(ctx, &w); err != nil {
			t.Fatal(err)
		}
		g := openT(t, mem).g
		if _, err := g.Gossip(ctx, scid); !errors.Is(err, ErrCorruptRecord) || !strings.Contains(err.Error(), scidKey(scid.ToUint64())) {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := g.Gossip(ctx, other); err != nil {
			t.Fatalf("%s: the other channel: %v", c.name, err)
		}
	}
}

// FuzzDecodeGossipRecord: stored gossip bytes decode or fail with an
// error, never panic, and what decodes belongs to the channel and kind
// asked for.
func FuzzDecodeGossipRecord(f *testing.F) {
	scid := wire.ShortChannelID{BlockHeight: 700001, TxIndex: 1}
	k1, k2 := wire.NewPoint(testKey("A")), wire.NewPoint(testKey("B"))
	ann, _ := encodeGossip(&wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: scid, NodeID1: k1, NodeID2: k2, BitcoinKey1: k1, BitcoinKey2: k2})
	upd, _ := encodeGossip(updateFor(scid, pol(1, 2, 3), 1))
	f.Add(ann, 0)
	f.Add(upd, 2)
	f.Add(upd, 1)
	f.Add([]byte{1}, 0)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, v []byte, kind int) {
		kind &= 3
		if kind == 3 {
			kind = 2
		}
		m, err := decodeGossip(v, scid.ToUint64(), kind)
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *wire.ChannelAnnouncement:
			if kind != 0 || m.ShortChannelID != scid {
				t.Fatalf("kind %d: %+v", kind, m)
			}
		case *wire.ChannelUpdate:
			if kind == 0 || m.Direction() != kind-1 || m.ShortChannelID != scid {
				t.Fatalf("kind %d: %+v", kind, m)
			}
		default:
			t.Fatalf("decoded %T", m)
		}
	})
}
