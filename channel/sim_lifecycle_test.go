package channel

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// The simulation's whole life cycle: the channel is opened by two Funding
// negotiations (alice the opener), runs the random normal-operation steps,
// and is closed by shutdown and two CoopClose negotiations; the closing
// transaction must spend the funding output under txscript and pay each
// side its balance less its share of the fee.

// openByFunding runs channel establishment between two nodes and returns
// their Machines, with every write of the negotiation made durable in
// each node's store before the message that depends on it is delivered.
func openByFunding(t testing.TB, sp *simPair, o pairOpts) {
	t.Helper()
	ctx := context.Background()
	feats := wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureChannelType.Optional(), wire.FeatureSCIDAlias.Optional(), wire.FeatureZeroConf.Optional())
	cfgFor := func(name string, alias uint32) FundingConfig {
		signer := NewMemorySigner(secretsFor(name))
		a := wire.ShortChannelID{BlockHeight: 16_000_000 + alias}
		return FundingConfig{
			ChainHash: wire.RegtestChainHash, LocalFeatures: feats, RemoteFeatures: feats,
			Basepoints: signer.Basepoints(), Signer: signer,
			Secrets: revocation.NewProducer(sha256.Sum256([]byte(name + " shachain"))),
			Alias:   &a, BlockHeight: 1000,
			Policy:        FundingPolicy{AcceptZeroConf: true, MaxAcceptedHTLCs: o.constraints.MaxAcceptedHTLCs, ReservePercent: 1},
			MachinePolicy: o.policy,
		}
	}
	acfg, bcfg := cfgFor("alice", 1), cfgFor("bob", 2)
	fa, acts, err := NewOutboundFunding(acfg, OpenRequest{FundingAmount: o.funding, PushAmount: o.push, FeeRate: o.feeRate,
		FundingFeeRate: o.feeRate, Type: o.typ, SCIDAlias: true, ZeroConf: true})
	if err != nil {
		t.Fatal(err)
	}
	var fb *Funding
	// run performs a negotiation step at n: writes durable first, then
	// the messages for the other side.
	run := func(n *simNode, acts []Action) (msgs []wire.Message, need *FundingTxNeeded) {
		for _, a := range acts {
			switch a := a.(type) {
			case *Persist:
				n.kv.pending = append(n.kv.pending, a.Ops...)
			case *Send:
				msgs = append(msgs, roundTrip(t, a.Msg))
			case *FundingTxNeeded:
				need = a
			case *ChannelOpened:
				n.m = a.Machine
			}
		}
		n.kv.flush()
		return msgs, need
	}
	toBob, _ := run(sp.a, acts)
	fb, acts, err = NewInboundFunding(bcfg, toBob[0].(*wire.OpenChannel), o.feeRate)
	if err != nil {
		t.Fatal(err)
	}
	toAlice, _ := run(sp.b, acts)
	acts, err = fa.ReceiveMessage(ctx, toAlice[0])
	if err != nil {
		t.Fatal(err)
	}
	_, need := run(sp.a, acts)
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: scripttest.FakeOutPoint("sim wallet coin", 0)})
	tx.AddTxOut(need.Output)
	if acts, err = fa.FundingTxBuilt(ctx, tx); err != nil {
		t.Fatal(err)
	}
	toBob, _ = run(sp.a, acts)
	if acts, err = fb.ReceiveMessage(ctx, toBob[0]); err != nil {
		t.Fatal(err)
	}
	toAlice, _ = run(sp.b, acts)
	if acts, err = fa.ReceiveMessage(ctx, toAlice[0]); err != nil {
		t.Fatal(err)
	}
	run(sp.a, acts)
	if sp.a.m == nil || sp.b.m == nil {
		t.Fatal("the negotiation did not open the channel")
	}
	sp.a.cfg, sp.b.cfg = fa.Result().Config, fb.Result().Config
	sp.funding = o.funding
	// The Machines start connected (zero-conf): channel_ready went out
	// in their first actions, which run() dropped with the funding
	// messages; reconnecting retransmits it.
	sp.a.peer, sp.b.peer = sp.b, sp.a
	sp.connected = true
	sp.disconnect()
	sp.reconnect()
	sp.settle()
	if !sp.a.m.Ready() || !sp.b.m.Ready() {
		t.Fatal("channel_ready not exchanged")
	}
}

// closeCoop shuts the channel down and runs the closing negotiation; it
// returns the closing transaction after checking it under txscript.
func closeCoop(t testing.TB, sp *simPair) *btcwire.MsgTx {
	t.Helper()
	ctx := context.Background()
	scripts := map[*simNode][]byte{
		sp.a: script.P2WPKH(scripttest.Key("alice close").PubKey()),
		sp.b: script.P2WPKH(scripttest.Key("bob close").PubKey()),
	}
	for _, n := range []*simNode{sp.a, sp.b} {
		acts, err := n.m.Shutdown(scripts[n])
		if err != nil {
			t.Fatalf("%s shutdown: %v", n.name, err)
		}
		n.apply(acts)
	}
	sp.settle()
	if !sp.a.m.Drained() || !sp.b.m.Drained() {
		t.Fatal("not drained after shutdown")
	}
	closers := map[*simNode]*CoopClose{}
	var out map[*simNode][]wire.Message = map[*simNode][]wire.Message{}
	var final *btcwire.MsgTx
	perform := func(n *simNode, acts []Action) {
		for _, a := range acts {
			switch a := a.(type) {
			case *Persist:
				n.kv.pending = append(n.kv.pending, a.Ops...)
			case *Send:
				n.kv.flush() // the signature leaves only once its record is durable
				out[n.peer] = append(out[n.peer], roundTrip(t, a.Msg))
			case *BroadcastClose:
				n.kv.flush()
				final = a.Tx
			case *ChannelFailed:
				t.Fatalf("%s: closing failed: %v", n.name, a.Err)
			}
		}
		n.kv.flush()
	}
	for _, n := range []*simNode{sp.a, sp.b} {
		c, err := NewCoopClose(CoopCloseConfig{Params: n.m.Params(), Signer: n.cfg.Signer})
		if err != nil {
			t.Fatal(err)
		}
		closers[n] = c
		st := n.m.LocalState()
		local, remote := n.m.ShutdownScripts()
		acts, err := c.Start(ctx, CoopCloseStart{LocalBalance: st.LocalBalance, RemoteBalance: st.RemoteBalance,
			LocalScript: local, RemoteScript: remote, Fees: CloseFeePolicy{FeeRate: 1000, MaxFeeRate: 5000}})
		if err != nil {
			t.Fatalf("%s start: %v", n.name, err)
		}
		perform(n, acts)
	}
	for round := 0; round < 20 && (len(out[sp.a]) > 0 || len(out[sp.b]) > 0); round++ {
		for _, n := range []*simNode{sp.a, sp.b} {
			msgs := out[n]
			out[n] = nil
			for _, m := range msgs {
				acts, err := closers[n].ReceiveMessage(ctx, m)
				if err != nil {
					t.Fatalf("%s closing: %v", n.name, err)
				}
				perform(n, acts)
			}
		}
	}
	if final == nil {
		t.Fatal("no closing transaction")
	}
	p := sp.a.m.Params()
	prev := map[btcwire.OutPoint]*btcwire.TxOut{p.FundingOutpoint: fundingPrevOut(t, p)}
	if err := execute(final, 0, prev); err != nil {
		t.Fatalf("closing transaction: %v", err)
	}
	// Each side gets its balance less what the fee took from it.
	var paid int64
	for _, o := range final.TxOut {
		paid += o.Value
	}
	st := sp.a.m.LocalState()
	if want := int64(st.LocalBalance.ToSatoshis() + st.RemoteBalance.ToSatoshis()); paid > want || want-paid > 10_000 {
		t.Fatalf("closing pays %d of %d sat", paid, want)
	}
	return final
}

// TestSimLifecycle runs the simulation from a Funding open to a
// cooperative close, for both channel types and a few seeds.
func TestSimLifecycle(t *testing.T) {
	for i, typ := range []script.ChannelType{script.Anchors, script.StaticRemoteKey, script.Anchors, script.StaticRemoteKey} {
		seed := int64(9000 + i)
		t.Run(fmt.Sprintf("%v/seed=%d", typ, seed), func(t *testing.T) {
			stats := runSimOpts(t, seed, 2000, typ, simOpts{viaFunding: true, closeAtEnd: true})
			if stats["settled"] == 0 {
				t.Fatal("nothing was paid")
			}
		})
	}
}
