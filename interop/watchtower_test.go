package interop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/monitor/wtclient"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// lnkitKey derives an lnkit node key as the node package documents it:
// HMAC-SHA256(seed, "lnkit/v1/" || purpose || "/" || index (4 bytes BE) ||
// counter), counter bumped past invalid scalars.
func lnkitKey(seed []byte, purpose string, index uint32) *btcec.PrivateKey {
	for c := byte(0); ; c++ {
		mac := hmac.New(sha256.New, seed)
		mac.Write([]byte("lnkit/v1/" + purpose + "/"))
		var b [5]byte
		binary.BigEndian.PutUint32(b[:4], index)
		b[4] = c
		mac.Write(b[:])
		var raw [32]byte
		copy(raw[:], mac.Sum(nil))
		var s btcec.ModNScalar
		if overflow := s.SetBytes(&raw); overflow == 0 && !s.IsZero() {
			return btcec.PrivKeyFromScalar(&s)
		}
	}
}

// lnkitChannelSigner is the signer of lnkit's channel key index i.
func lnkitChannelSigner(seed []byte, i uint32) *channel.MemorySigner {
	return channel.NewMemorySigner(channel.BasepointSecrets{
		Funding: lnkitKey(seed, "funding", i), Revocation: lnkitKey(seed, "revocation", i),
		Payment: lnkitKey(seed, "payment", i), DelayedPayment: lnkitKey(seed, "delayed", i),
		HTLC: lnkitKey(seed, "htlc", i),
	})
}

// towerFeed is the host side of a watchtower client: it queues the node's
// monitor updates (node.Config.OnMonitorUpdate, called on the node's
// goroutine, must not block) and hands them in order to the client, which
// it creates once the channel's key index is known.
type towerFeed struct {
	mu     sync.Mutex
	queue  []feedItem
	wake   chan struct{}
	client *wtclient.Client
	known  map[wire.ChannelID]bool
	sweep  []byte
	errs   []error
}

type feedItem struct {
	p *channel.Params
	u *channel.MonitorUpdate
}

func newTowerFeed() *towerFeed {
	return &towerFeed{wake: make(chan struct{}, 1), known: map[wire.ChannelID]bool{}}
}

func (f *towerFeed) onUpdate(p *channel.Params, u *channel.MonitorUpdate) {
	f.mu.Lock()
	f.queue = append(f.queue, feedItem{p, u})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run feeds the client until ctx ends.
func (f *towerFeed) run(ctx context.Context) {
	for {
		f.mu.Lock()
		var item *feedItem
		if f.client != nil && len(f.queue) > 0 {
			item = &f.queue[0]
			f.queue = f.queue[1:]
		}
		c := f.client
		f.mu.Unlock()
		if item == nil {
			select {
			case <-f.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		id := item.u.ChannelID
		if !f.known[id] {
			if err := c.RegisterChannel(ctx, id, item.p, f.sweep); err != nil {
				f.fail(fmt.Errorf("RegisterChannel: %w", err))
				continue
			}
			f.known[id] = true
		}
		if err := c.BackupState(ctx, item.u); err != nil {
			f.fail(fmt.Errorf("BackupState: %w", err))
		}
	}
}

func (f *towerFeed) fail(err error) {
	f.mu.Lock()
	f.errs = append(f.errs, err)
	f.mu.Unlock()
}

func (f *towerFeed) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// TestWatchtower registers lnkit's watchtower client (package
// monitor/wtclient, fed by the node's monitor updates) with an lnd tower
// (--watchtower.active). lnd then broadcasts a revoked commitment (an old
// channel.db) while the lnkit node is stopped: the tower must sweep
// lnd's to_local and lnkit's to_remote to lnkit's sweep script. Started
// again, lnkit's node finds the channel closed by a revoked commitment
// whose outputs are gone.
func TestWatchtower(t *testing.T) {
	t.Parallel()
	feed := newTowerFeed()
	e := newEnv(t, LnkitConfig{OnMonitorUpdate: feed.onUpdate})
	towerPort := freePort(t)
	tower := StartLnd(t, e.chain, "--watchtower.active", fmt.Sprintf("--watchtower.listen=127.0.0.1:%d", towerPort))
	var info struct {
		Pubkey string `json:"pubkey"`
	}
	tower.CLI(t, &info, "tower", "info")

	id, point := e.openFromLnd(t, e.lnd, 1_000_000, false, "--push_amt=100000")

	// The client: the channel's key index comes from the static backup
	// (KeyInfo "lnkit/v1" + index), its signer from the seed.
	blob, err := e.lk.Node.ExportBackup(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	bkey, err := backup.DeriveKey(e.lk.Seed)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := backup.DecryptMulti(bkey, blob)
	if err != nil || len(multi.Singles) != 1 {
		t.Fatalf("backup: %v, %v", multi, err)
	}
	ki := multi.Singles[0].KeyInfo
	if len(ki) != 12 || string(ki[:8]) != "lnkit/v1" {
		t.Fatalf("key info %x", ki)
	}
	sweep, err := e.lk.Wallet.NewScript(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client, err := wtclient.New(wtclient.Config{
		Store: store.NewMemory(), Signer: lnkitChannelSigner(e.lk.Seed, binary.BigEndian.Uint32(ki[8:])),
		SessionKeys: wtclient.NewSeedSessionKeys(sha256.Sum256(append([]byte("wtclient/"), e.lk.Seed...))),
		ChainHash:   wire.RegtestChainHash,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.AddTower(ctxFor(t, 10*time.Second), mustPubKey(t, info.Pubkey), fmt.Sprintf("127.0.0.1:%d", towerPort)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	feed.mu.Lock()
	feed.client, feed.sweep = client, sweep
	feed.mu.Unlock()
	wg.Add(2)
	go func() { defer wg.Done(); feed.run(ctx) }()
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	select { // the updates of the open are queued: start on them
	case feed.wake <- struct{}{}:
	default:
	}

	payLnkit(t, e, e.lnd, 50_000_000)
	revokedState(t, e, point, func() {}, func() {
		payLnkit(t, e, e.lnd, 300_000_000)
		payLnkit(t, e, e.lnd, 1_000_000)
	})
	// Every revoked state is with the tower before lnkit stops.
	waitFor(t, 60*time.Second, "every revoked state acknowledged by the tower", func() error {
		if feed.pending() > 0 {
			return errors.New("updates not yet fed")
		}
		st, err := client.Stats(ctxFor(t, 10*time.Second))
		if err != nil {
			return err
		}
		if st.Queued > 0 || st.Unacked > 0 || st.Acked == 0 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
	feed.mu.Lock()
	errs := feed.errs
	feed.mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("feeding the client: %v", errors.Join(errs...))
	}
	st, _ := client.Stats(ctxFor(t, 10*time.Second))
	t.Logf("client: %+v", st)

	e.lk.Stop()
	revoked := breachClose(t, e, point)
	e.chain.Generate(t, 1)
	desc := newDescendants(t, e.chain, revoked)
	var justice chainTx
	waitFor(t, 60*time.Second, "the tower's justice transaction", func() error {
		for _, m := range e.chain.WaitMempool(t, 0) {
			tx := e.chain.Tx(t, m)
			for _, in := range tx.Vin {
				if in.Txid == revoked {
					justice = tx
					return nil
				}
			}
		}
		return fmt.Errorf("none in the mempool\ntower: %s", tower.LogLines("WTWR", "LOOK", "justice", "breach"))
	})
	e.chain.Generate(t, 1)
	if left := desc.unswept(t); len(left) > 0 {
		t.Fatalf("the tower left %v", left)
	}
	var paid btcutil.Amount
	for _, o := range justice.Vout {
		if o.ScriptPubKey.Hex == fmt.Sprintf("%x", sweep) {
			a, _ := btcutil.NewAmount(o.Value)
			paid += a
		}
	}
	capacity := btcutil.Amount(1_000_000)
	if paid < capacity-capacity/50 || len(justice.Vin) != 2 {
		t.Fatalf("the justice transaction spends %d inputs and pays lnkit's sweep script %v", len(justice.Vin), paid)
	}
	t.Logf("tower's justice %s pays lnkit %v of the %v channel", justice.Txid[:12], paid, capacity)

	// lnkit again: its monitor finds the revoked commitment and nothing
	// left to claim; its wallet has the tower's sweep.
	walletBefore, _ := e.lk.Wallet.Balance()
	e.lk.Start()
	e.lk.WaitSynced(t)
	ev := lnkitClosedEvent(t, e.lk, id)
	if !strings.Contains(ev.Reason, "revoked") {
		t.Fatalf("lnkit says %q", ev.Reason)
	}
	if b, _ := e.lk.Wallet.Balance(); b-walletBefore != paid {
		t.Fatalf("lnkit's wallet gained %v, the tower paid it %v", b-walletBefore, paid)
	}
}
