package wtclient_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/monitor/wtclient"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func secrets(name string) channel.BasepointSecrets {
	return channel.BasepointSecrets{
		Funding: scripttest.Key(name + " funding"), Revocation: scripttest.Key(name + " revocation"),
		Payment: scripttest.Key(name + " payment"), DelayedPayment: scripttest.Key(name + " delayed"),
		HTLC: scripttest.Key(name + " htlc"),
	}
}

// fixtureBalances are alice's balance and an HTLC alice offered (msat) of
// each commitment; bob has the rest of the 1,000,000 sat channel.
//
//	2: alice has nothing: no to_remote output on bob's commitment
//	4: bob has nothing: no to_local output, nothing a tower can do
var fixtureBalances = [][2]wire.MilliSatoshi{
	{700_000_000, 0}, {600_000_000, 20_000_000}, {0, 0}, {450_000_000, 30_000_000},
	{1_000_000_000, 0}, {300_000_000, 0}, {650_000_000, 0}, {520_000_000, 0},
}

// fixture is a channel between alice (this node, the tower's client, the
// opener) and bob (the cheater), funded on a chainsim chain.
type fixture struct {
	t          testing.TB
	typ        script.ChannelType
	alice, bob *channel.MemorySigner
	ap, bp     *channel.Params // alice's view, bob's view
	id         wire.ChannelID
	bobSecrets *revocation.Producer
	chain      *chainsim.Chain
	sweep      []byte
}

func newFixture(t testing.TB, typ script.ChannelType) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, typ: typ, alice: channel.NewMemorySigner(secrets("alice")), bob: channel.NewMemorySigner(secrets("bob"))}
	f.chain = chainsim.New()
	const amount = btcutil.Amount(1_000_000)
	_, out, err := script.FundingOutput(f.alice.Basepoints().Funding, f.bob.Basepoints().Funding, amount)
	if err != nil {
		t.Fatal(err)
	}
	ftx, err := f.chain.Faucet(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var op btcwire.OutPoint
	for i, o := range ftx.TxOut {
		if string(o.PkScript) == string(out.PkScript) {
			op = btcwire.OutPoint{Hash: ftx.TxHash(), Index: uint32(i)}
		}
	}
	f.ap = &channel.Params{
		FundingOutpoint: op, FundingAmount: amount, Type: typ, Opener: channel.Local,
		Local:  channel.PartyParams{Basepoints: f.alice.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote: channel.PartyParams{Basepoints: f.bob.Basepoints(), ToSelfDelay: 120, DustLimit: 354},
	}
	bp := *f.ap
	bp.Local, bp.Remote, bp.Opener = f.ap.Remote, f.ap.Local, channel.Remote
	f.bp = &bp
	f.id = wire.NewChannelID(op)
	f.bobSecrets = revocation.NewProducer(sha256.Sum256([]byte("bob shachain")))
	f.sweep = script.P2WPKH(scripttest.Key("alice sweep").PubKey())
	return f
}

// state is commitment n from alice's view.
func (f *fixture) state(n int) *channel.State {
	b := fixtureBalances[n%len(fixtureBalances)]
	st := &channel.State{Number: uint64(n), FeeRate: 2500, LocalBalance: b[0], RemoteBalance: 1_000_000_000 - b[0] - b[1]}
	if b[1] > 0 {
		var pre htlc.Preimage
		copy(pre[:], fmt.Sprintf("preimage %d", n))
		st.HTLCs = []htlc.HTLC{{ID: uint64(n), Direction: htlc.Offered, Amount: b[1], PaymentHash: pre.Hash(), CLTVExpiry: 800_000}}
	}
	return st
}

func (f *fixture) point(n int) *btcec.PublicKey {
	p, err := f.bobSecrets.Point(uint64(n))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// remote is the monitor update of bob's commitment n.
func (f *fixture) remote(n int) *channel.MonitorUpdate {
	st := f.state(n)
	c, err := channel.NewCommitment(f.ap, channel.Remote, st, f.point(n))
	if err != nil {
		f.t.Fatal(err)
	}
	return &channel.MonitorUpdate{ChannelID: f.id, Remote: &channel.RemoteCommitmentInfo{State: *st, Point: f.point(n), TxID: c.TxHash}}
}

// revoke is the monitor update of bob's revoke_and_ack of commitment n.
func (f *fixture) revoke(n int) *channel.MonitorUpdate {
	s, err := f.bobSecrets.Secret(uint64(n))
	if err != nil {
		f.t.Fatal(err)
	}
	return &channel.MonitorUpdate{ChannelID: f.id, Revocation: &channel.RevocationInfo{Number: uint64(n), Secret: s}}
}

// feed gives the client commitments 0..upto and revocations 0..upto-1,
// as a channel.Machine would emit them.
func (f *fixture) feed(ctx context.Context, c *wtclient.Client, from, upto int) {
	f.t.Helper()
	for n := from; n <= upto; n++ {
		if err := c.BackupState(ctx, f.remote(n)); err != nil {
			f.t.Fatalf("remote %d: %v", n, err)
		}
		if n > 0 {
			if err := c.BackupState(ctx, f.revoke(n-1)); err != nil {
				f.t.Fatalf("revoke %d: %v", n-1, err)
			}
		}
	}
}

// cheat returns bob's commitment n, signed by both (alice's signature from
// her commitment_signed, bob's own): what bob broadcasts when he cheats.
func (f *fixture) cheat(n int) *btcwire.MsgTx {
	f.t.Helper()
	ctx := context.Background()
	st := f.state(n)
	theirs, err := channel.NewCommitment(f.ap, channel.Remote, st, f.point(n))
	if err != nil {
		f.t.Fatal(err)
	}
	sigs, err := channel.SignCommitment(ctx, f.alice, f.ap, theirs)
	if err != nil {
		f.t.Fatal(err)
	}
	bs := &channel.State{Number: st.Number, FeeRate: st.FeeRate, LocalBalance: st.RemoteBalance, RemoteBalance: st.LocalBalance}
	for _, h := range st.HTLCs {
		bs.HTLCs = append(bs.HTLCs, h.Flip())
	}
	own, err := channel.NewCommitment(f.bp, channel.Local, bs, f.point(n))
	if err != nil {
		f.t.Fatal(err)
	}
	tx, err := channel.SignedCommitmentTx(ctx, f.bob, f.bp, own, sigs.CommitSig)
	if err != nil {
		f.t.Fatal(err)
	}
	if tx.TxHash() != theirs.TxHash {
		f.t.Fatalf("bob's commitment %d is %v, alice signed %v", n, tx.TxHash(), theirs.TxHash)
	}
	return tx
}

// newClient returns a client of alice over st with towers added.
func (f *fixture) newClient(st store.Store, towers ...*fakeTower) *wtclient.Client {
	f.t.Helper()
	ctx := context.Background()
	c, err := wtclient.New(wtclient.Config{
		Store: st, Signer: f.alice, ChainHash: regtestHash,
		SessionKeys:  wtclient.NewSeedSessionKeys(sha256.Sum256([]byte("alice tower sessions"))),
		ReplyTimeout: 5 * time.Second,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, tw := range towers {
		if err := c.AddTower(ctx, tw.pub(), tw.addr()); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := c.RegisterChannel(ctx, f.id, f.ap, f.sweep); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// executeAll runs every input of tx through txscript against prevOuts.
func executeAll(tx *btcwire.MsgTx, prev *btcwire.MsgTx) error {
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, o := range prev.TxOut {
		fetcher.AddPrevOut(btcwire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}, o)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		out := fetcher.FetchPrevOutput(in.PreviousOutPoint)
		if out == nil {
			return fmt.Errorf("input %d spends no output of the commitment", i)
		}
		vm, err := txscript.NewEngine(out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, fetcher)
		if err != nil {
			return err
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	return nil
}

func stats(t testing.TB, c *wtclient.Client) wtclient.Stats {
	t.Helper()
	s, err := c.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
