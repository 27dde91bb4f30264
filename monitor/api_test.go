package monitor

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// storeContents returns every key and value of st.
func storeContents(t testing.TB, st store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		v, err := st.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(v)
	}
	return out
}

// TestApplyRefusesBadUpdates: an update for another channel, with no or
// two fields, a local commitment whose txid or signatures are wrong, a
// secret that does not match the revoked commitment or a different secret
// for a revoked number are refused with the typed errors, and nothing is
// written.
func TestApplyRefusesBadUpdates(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a := h.a
	base := h.ch.Height()
	h.add(a, 10_000_000, base+40)
	before := storeContents(t, a.store)
	id := a.m.ChannelID()
	var lastLocal *channel.LocalCommitmentInfo
	var lastRev *channel.RevocationInfo
	for _, u := range a.updates {
		if u.Local != nil {
			lastLocal = u.Local
		}
		if u.Revocation != nil {
			lastRev = u.Revocation
		}
	}
	// A newer commitment the signatures do not cover.
	badSig := *lastLocal
	badSig.State.Number++
	rebuilt, err := channel.NewCommitment(a.params, channel.Local, &badSig.State, badSig.Point)
	if err != nil {
		t.Fatal(err)
	}
	badSig.TxID = rebuilt.TxHash
	badTx := *lastLocal
	badTx.State.Number++
	badTx.TxID = chainhash.Hash{1}
	badHTLCSigs := badSig
	badHTLCSigs.Sigs.HTLCSigs = nil
	wrongSecret := *lastRev
	wrongSecret.Secret[0] ^= 1
	nextBad := &channel.RevocationInfo{Number: lastRev.Number + 1, Secret: revocation.Secret{7}}
	pre := htlc.Preimage{9}
	for name, c := range map[string]struct {
		u    *channel.MonitorUpdate
		want error
	}{
		"other channel":        {&channel.MonitorUpdate{ChannelID: wire.ChannelID{1}, Preimage: &pre}, ErrWrongChannel},
		"no field":             {&channel.MonitorUpdate{ChannelID: id}, ErrInvalidUpdate},
		"two fields":           {&channel.MonitorUpdate{ChannelID: id, Preimage: &pre, Revocation: lastRev}, ErrInvalidUpdate},
		"txid":                 {&channel.MonitorUpdate{ChannelID: id, Local: &badTx}, ErrInvalidUpdate},
		"commitment signature": {&channel.MonitorUpdate{ChannelID: id, Local: &badSig}, ErrInvalidUpdate},
		"HTLC signature count": {&channel.MonitorUpdate{ChannelID: id, Local: &badHTLCSigs}, ErrInvalidUpdate},
		"revoked secret":       {&channel.MonitorUpdate{ChannelID: id, Revocation: &wrongSecret}, ErrInvalidUpdate},
		"next secret":          {&channel.MonitorUpdate{ChannelID: id, Revocation: nextBad}, ErrInvalidUpdate},
		"nil":                  {nil, ErrInvalidUpdate},
	} {
		err := a.mon.Apply(h.ctx, c.u)
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", name, err, c.want)
		}
	}
	var sigErr *channel.SignatureError
	if err := a.mon.Apply(h.ctx, &channel.MonitorUpdate{ChannelID: id, Local: &badSig}); !errors.As(err, &sigErr) {
		t.Fatalf("signature failure not a *channel.SignatureError: %v", err)
	}
	after := storeContents(t, a.store)
	if len(after) != len(before) {
		t.Fatalf("refused updates wrote %d keys", len(after)-len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("refused updates changed %s", k)
		}
	}
}

// TestUpdatesIdempotentAndDelta: applying every update again (a host
// replaying after a crash) writes nothing new; the record grows by one
// key per remote commitment and per preimage, and the local commitment
// and the secrets are two and one keys however long the history.
func TestUpdatesIdempotentAndDelta(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true, policy: breachPolicy()})
	a := h.a
	breachHistory(h)
	before := storeContents(t, a.store)
	if err := a.mon.Apply(h.ctx, a.updates...); err != nil {
		t.Fatal(err)
	}
	after := storeContents(t, a.store)
	if len(after) != len(before) {
		t.Fatalf("replay added %d keys", len(after)-len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("replay changed %s", k)
		}
	}
	prefix := KeyPrefix(a.m.ChannelID())
	var remotes, preimages, locals, secrets int
	for k := range after {
		switch {
		case len(k) > len(prefix)+2 && k[:len(prefix)+2] == prefix+keyRemote:
			remotes++
		case len(k) > len(prefix)+2 && k[:len(prefix)+2] == prefix+keyPreimage:
			preimages++
		case k == prefix+keyLocal || k == prefix+keyLocalOld:
			locals++
		case k == prefix+keySecrets:
			secrets++
		}
	}
	var nRemote, nPre int
	for _, u := range a.updates {
		if u.Remote != nil {
			nRemote++
		}
		if u.Preimage != nil {
			nPre++
		}
	}
	if remotes != nRemote || preimages != nPre || locals != 2 || secrets != 1 {
		t.Fatalf("%d remote records for %d updates, %d preimages for %d, %d local, %d secrets", remotes, nRemote, preimages, nPre, locals, secrets)
	}
}

// TestPrepareCommitInOneBatch: the host writes a step's channel Persist
// ops and the monitor's Prepared batch in one atomic write, then commits.
// A second Prepare made stale by the first Commit is refused.
func TestPrepareCommitInOneBatch(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a, b := h.a, h.b
	shared := store.NewMemory()
	cfg := h.monConfig(a, shared, ModeFull)
	mon, err := New(h.ctx, cfg, a.params)
	if err != nil {
		t.Fatal(err)
	}
	// Alice's next step: her monitor updates go with her Persist.
	var onion [wire.OnionPacketSize]byte
	pre := htlc.Preimage{42}
	_, acts, err := a.m.AddHTLC(&channel.AddHTLC{Amount: 5_000_000, PaymentHash: pre.Hash(), Expiry: h.ch.Height() + 30, Onion: &onion})
	if err != nil {
		t.Fatal(err)
	}
	h.apply(a, acts)
	signActs, err := a.m.SignCommitment(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var batch store.Batch
	var ups []*channel.MonitorUpdate
	for _, act := range signActs {
		switch x := act.(type) {
		case *channel.Persist:
			for _, op := range x.Ops {
				if op.Delete {
					batch.Delete(op.Key)
				} else {
					batch.Put(op.Key, op.Value)
				}
			}
		case *channel.MonitorUpdate:
			ups = append(ups, x)
		}
	}
	// The monitor also needs what came before.
	if err := mon.Apply(h.ctx, a.updates...); err != nil {
		t.Fatal(err)
	}
	pr, err := mon.Prepare(h.ctx, ups...)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := mon.Prepare(h.ctx, ups...)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range pr.Batch().Ops() {
		batch.Put(op.Key, op.Value)
	}
	if err := shared.Write(h.ctx, &batch); err != nil {
		t.Fatal(err)
	}
	if err := mon.Commit(h.ctx, pr); err != nil {
		t.Fatal(err)
	}
	if err := mon.Commit(h.ctx, stale); !errors.Is(err, ErrStalePrepared) {
		t.Fatalf("stale prepared: %v", err)
	}
	// Both the channel's and the monitor's records are there, and the
	// monitor reopens with the new remote commitment.
	keys, _ := shared.List(h.ctx, channel.KeyPrefix(a.m.ChannelID()))
	if len(keys) == 0 {
		t.Fatal("no channel records in the shared store")
	}
	re, err := Open(h.ctx, cfg, a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	var remote *channel.RemoteCommitmentInfo
	for _, u := range ups {
		if u.Remote != nil {
			remote = u.Remote
		}
	}
	found := false
	for _, rc := range re.remotes {
		if rc.info.TxID == remote.TxID {
			found = true
		}
	}
	if !found {
		t.Fatal("the reopened monitor lacks the new remote commitment")
	}
	_ = b
}

// TestEventsDurableUntilAcked: events survive a restart until
// acknowledged, OnEvent sees each once, and AckEvent removes it.
func TestEventsDurableUntilAcked(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a, b := h.a, h.b
	var seen []Event
	cfg := h.monConfig(a, a.store, ModeFull)
	cfg.OnEvent = func(e Event) { seen = append(seen, e) }
	mon, err := Open(h.ctx, cfg, a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	a.mon = mon
	a.proxy.set(mon)
	bc, sigs := h.localCommitment(b)
	h.mineTx(h.signedCommitment(b, bc, sigs))
	h.mine(3)
	evs := h.events(a)
	if len(evs) < 2 || len(seen) != len(evs) {
		t.Fatalf("%d events, %d seen:%s", len(evs), len(seen), describe(evs))
	}
	re, err := Open(h.ctx, h.monConfig(a, a.store, ModeFull), a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	again, err := re.Events(h.ctx)
	if err != nil || len(again) != len(evs) {
		t.Fatalf("after reopening: %d events, %v", len(again), err)
	}
	for i := range evs {
		if again[i].EventSeq() != evs[i].EventSeq() {
			t.Fatal("event order changed")
		}
	}
	if err := re.AckEvent(h.ctx, evs[0].EventSeq()); err != nil {
		t.Fatal(err)
	}
	left, _ := re.Events(h.ctx)
	if len(left) != len(evs)-1 || left[0].EventSeq() == evs[0].EventSeq() {
		t.Fatal("acknowledged event still pending")
	}
	// Replayed blocks produce no duplicates.
	a.mon = re
	a.proxy.set(re)
	h.mine(2)
	if n := len(eventsOf[*ChannelClosed](h.events(a))); n != 0 {
		t.Fatalf("the acknowledged close reported %d times again", n)
	}
}

// TestBlockOrder: a repeated block is a no-op; a gap, another parent, a
// disconnection below the tip are ErrChainMismatch; a block above the tip
// disconnected is ignored.
func TestBlockOrder(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	m := h.a.mon
	height, hash, ok := m.SyncedTo()
	if !ok || height != h.ch.Height() {
		t.Fatalf("synced to %d (%v), tip %d", height, ok, h.ch.Height())
	}
	blk, _ := h.ch.Block(height)
	if err := m.BlockConnected(h.ctx, &chain.Block{Header: blk.Header, Height: height}); err != nil {
		t.Fatalf("repeated block: %v", err)
	}
	prev, _ := h.ch.Block(height - 1)
	if err := m.BlockConnected(h.ctx, &chain.Block{Header: prev.Header, Height: height - 1}); err != nil {
		t.Fatalf("older block: %v", err)
	}
	other := blk.Header
	other.Nonce++
	for name, err := range map[string]error{
		"other block at the tip": m.BlockConnected(h.ctx, &chain.Block{Header: other, Height: height}),
		"gap":                    m.BlockConnected(h.ctx, &chain.Block{Header: btcwire.BlockHeader{PrevBlock: hash}, Height: height + 2}),
		"other parent":           m.BlockConnected(h.ctx, &chain.Block{Header: btcwire.BlockHeader{}, Height: height + 1}),
		"below the tip":          m.BlockDisconnected(h.ctx, prev.Header, height-1),
		"other tip":              m.BlockDisconnected(h.ctx, other, height),
		"nil block":              m.BlockConnected(h.ctx, nil),
	} {
		if !errors.Is(err, ErrChainMismatch) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := m.BlockDisconnected(h.ctx, btcwire.BlockHeader{}, height+5); err != nil {
		t.Fatalf("above the tip: %v", err)
	}
	if h2, _, _ := m.SyncedTo(); h2 != height {
		t.Fatal("tip moved")
	}
}

// TestRegistration: New twice with the same parameters opens the same
// monitor, with other parameters fails; Channels lists it; Forget removes
// every record; a Config without its parts is refused.
func TestRegistration(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a := h.a
	cfg := h.monConfig(a, a.store, ModeFull)
	again, err := New(h.ctx, cfg, a.params)
	if err != nil || again.local == nil || again.local.info.TxID != a.mon.local.info.TxID {
		t.Fatalf("New again: %v", err)
	}
	other := *a.params
	other.Local.ToSelfDelay++
	if _, err := New(h.ctx, cfg, &other); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with other parameters: %v", err)
	}
	ids, err := Channels(h.ctx, a.store)
	if err != nil || len(ids) != 1 || ids[0] != a.m.ChannelID() {
		t.Fatalf("Channels: %v %v", ids, err)
	}
	if err := a.mon.Forget(h.ctx); err != nil {
		t.Fatal(err)
	}
	if keys, _ := a.store.List(h.ctx, ""); len(keys) != 0 {
		t.Fatalf("%d keys left after Forget", len(keys))
	}
	if _, err := Open(h.ctx, cfg, a.m.ChannelID()); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Open after Forget: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"store":       func(c *Config) { c.Store = nil },
		"signer":      func(c *Config) { c.Signer = nil },
		"broadcaster": func(c *Config) { c.Broadcaster = nil },
		"fees":        func(c *Config) { c.Fees = nil },
		"wallet":      func(c *Config) { c.Wallet = nil },
		"mode":        func(c *Config) { c.Mode = 9 },
	} {
		c := cfg
		mut(&c)
		if _, err := New(h.ctx, c, a.params); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("config without %s: %v", name, err)
		}
	}
	if _, err := New(h.ctx, cfg, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatal("nil params accepted")
	}
}

// TestJusticeAfterLateRevocation: bob's previous commitment confirms
// while alice still counts it unrevoked, and her monitor claims it as a
// remote commitment; then bob's revoke_and_ack for it arrives. The
// monitor turns to justice at once and takes everything.
func TestJusticeAfterLateRevocation(t *testing.T) {
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			h := newHarness(t, hopts{typ: typ, noBobMon: true})
			a, b := h.a, h.b
			base := h.ch.Height()
			h.add(a, 200_000_000, base+30)
			h.add(b, 100_000_000, base+35)
			prev, prevSigs := h.localCommitment(b)
			// Alice signs a new commitment for bob; his revocation of the
			// previous one waits in his queue.
			var onion [wire.OnionPacketSize]byte
			pre := htlc.Preimage{0x77}
			_, acts, err := a.m.AddHTLC(&channel.AddHTLC{Amount: 30_000_000, PaymentHash: pre.Hash(), Expiry: base + 40, Onion: &onion})
			if err != nil {
				t.Fatal(err)
			}
			h.apply(a, acts)
			h.sign(a)
			for len(a.out) > 0 {
				msg := a.out[0]
				a.out = a.out[1:]
				acts, err := b.m.ReceiveMessage(h.ctx, msg)
				if err != nil {
					t.Fatal(err)
				}
				h.apply(b, acts)
			}
			held := b.out
			b.out = nil
			h.mineTx(h.signedCommitment(b, prev, prevSigs))
			h.mine(1)
			if k := eventsOf[*ChannelClosed](h.events(a)); len(k) != 1 || k[0].Kind != CloseRemote {
				t.Fatalf("before the revocation:%s", describe(h.events(a)))
			}
			// The revocation arrives.
			for _, msg := range held {
				if msg.MsgType() != wire.MsgRevokeAndAck {
					continue
				}
				acts, err := a.m.ReceiveMessage(h.ctx, msg)
				if err != nil {
					t.Fatal(err)
				}
				h.apply(a, acts)
			}
			if h.spendInMempool(opOf(prev, &prev.ToLocal)) == nil {
				t.Fatal("no justice transaction after the revocation")
			}
			h.mineUntilResolved(60, nil)
			var owned btcutil.Amount
			for i, out := range prev.Tx.TxOut {
				if (prev.LocalAnchor.Present() && i == prev.LocalAnchor.Index) || (prev.RemoteAnchor.Present() && i == prev.RemoteAnchor.Index) {
					continue
				}
				owned += btcutil.Amount(out.Value)
			}
			checkOwned(h, owned, 0)
		})
	}
}
