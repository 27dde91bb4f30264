package routing

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/wire"
)

var testChain = wire.RegtestChainHash

// t0 is the time the test gossip is stamped with.
var t0 = time.Unix(1_700_000_000, 0)

// testKey derives a real key pair from a name.
func testKey(name string) *btcec.PublicKey {
	h := sha256.Sum256([]byte(name))
	_, pub := btcec.PrivKeyFromBytes(h[:])
	return pub
}

// tgraph builds small graphs by node name.
type tgraph struct {
	t    testing.TB
	g    *Graph
	ids  map[string]wire.Point
	keys map[string]*btcec.PublicKey
	next uint32
}

func newTGraph(t testing.TB) *tgraph {
	return &tgraph{t: t, g: NewGraph(testChain), ids: map[string]wire.Point{}, keys: map[string]*btcec.PublicKey{}, next: 1}
}

func (b *tgraph) id(name string) wire.Point {
	if p, ok := b.ids[name]; ok {
		return p
	}
	k := testKey(name)
	b.keys[name] = k
	b.ids[name] = wire.NewPoint(k)
	return b.ids[name]
}

func (b *tgraph) key(name string) *btcec.PublicKey { b.id(name); return b.keys[name] }

// pol is a policy shorthand: htlc limits 1 msat to the capacity.
func pol(base wire.MilliSatoshi, ppm uint32, delta uint16) *Policy {
	return &Policy{Timestamp: uint32(t0.Unix()), FeeBase: base, FeeProportionalMillionths: ppm, CLTVExpiryDelta: delta, HTLCMinimum: 1}
}

// channel adds a channel a-b of capSat satoshis with a's policy ab (for
// a -> b) and b's policy ba; a nil policy sends no update.
func (b *tgraph) channel(x, y string, capSat btcutil.Amount, ab, ba *Policy) wire.ShortChannelID {
	b.t.Helper()
	scid := wire.ShortChannelID{BlockHeight: 700000 + b.next, TxIndex: 1, OutputIndex: 0}
	b.next++
	b.addChannel(scid, x, y, capSat, ab, ba)
	return scid
}

func (b *tgraph) addChannel(scid wire.ShortChannelID, x, y string, capSat btcutil.Amount, ab, ba *Policy) {
	b.t.Helper()
	ix, iy := b.id(x), b.id(y)
	ann := &wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: scid, NodeID1: ix, NodeID2: iy}
	dx := 0
	if bytes.Compare(ix[:], iy[:]) > 0 {
		ann.NodeID1, ann.NodeID2 = iy, ix
		dx = 1
	}
	// Stand-ins for the funding keys: any valid points.
	ann.BitcoinKey1, ann.BitcoinKey2 = ann.NodeID1, ann.NodeID2
	if _, err := b.g.AddChannel(ann, capSat, t0); err != nil {
		b.t.Fatal(err)
	}
	for i, p := range []*Policy{ab, ba} {
		if p == nil {
			continue
		}
		u := updateFor(scid, p, uint8(dx^i))
		if u.HTLCMaximum == 0 {
			u.HTLCMaximum = wire.MilliSatoshi(capSat) * 1000
		}
		if _, err := b.g.ApplyChannelUpdate(u); err != nil {
			b.t.Fatal(err)
		}
	}
}

func updateFor(scid wire.ShortChannelID, p *Policy, dir uint8) *wire.ChannelUpdate {
	u := &wire.ChannelUpdate{
		ChainHash: testChain, ShortChannelID: scid, Timestamp: p.Timestamp,
		MessageFlags: wire.ChanUpdateMustBeOne, ChannelFlags: wire.ChanUpdateChanFlags(dir),
		CLTVExpiryDelta: p.CLTVExpiryDelta, HTLCMinimum: p.HTLCMinimum, FeeBase: p.FeeBase,
		FeeProportionalMillionths: p.FeeProportionalMillionths, HTLCMaximum: p.HTLCMaximum,
	}
	if p.Disabled {
		u.ChannelFlags |= wire.ChanUpdateDisabled
	}
	return u
}

// update sends a new channel_update for x's direction of scid.
func (b *tgraph) update(scid wire.ShortChannelID, x, y string, p *Policy) bool {
	b.t.Helper()
	ix, iy := b.id(x), b.id(y)
	dir := uint8(0)
	if bytes.Compare(ix[:], iy[:]) > 0 {
		dir = 1
	}
	ok, err := b.g.ApplyChannelUpdate(updateFor(scid, p, dir))
	if err != nil {
		b.t.Fatal(err)
	}
	return ok
}

// path returns the node names of a route, the payer first.
func (b *tgraph) path(r *Route) []string {
	names := map[wire.Point]string{}
	for n, p := range b.ids {
		names[p] = n
	}
	out := []string{names[r.Source]}
	for _, h := range r.Hops {
		out = append(out, names[h.NodeID])
	}
	return out
}

// noProb is a cost model of fees alone.
func noProb() *CostModel {
	c := DefaultCostModel()
	c.IgnoreProbability = true
	c.LockCostPPB = 0
	return &c
}
