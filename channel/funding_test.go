package channel

import (
	"bytes"
	"context"
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// remoteTxID is the txid of the peer's commitment that a Machine's
// creation handed to the monitor: the commitment this node signed.
func remoteTxID(t testing.TB, acts []Action) [32]byte {
	t.Helper()
	for _, a := range acts {
		if u, ok := a.(*MonitorUpdate); ok && u.Remote != nil {
			return u.Remote.TxID
		}
	}
	t.Fatalf("no remote commitment in %s", describeActions(acts))
	return [32]byte{}
}

// TestFundingEndToEnd opens channels of both types, with and without a
// push, between two Fundings; funds them from a chainsim wallet; checks
// that NewMachine accepts both results and that both nodes agree on both
// commitments 0; and broadcasts each fully signed commitment 0 on a chain
// where the funding output exists (the fundee's on a replica of the chain,
// since both spend the same output).
func TestFundingEndToEnd(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		for _, push := range []wire.MilliSatoshi{0, 250_000_000} {
			t.Run(typ.String()+"/push="+push.String(), func(t *testing.T) {
				ctx := context.Background()
				acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
				req := testOpenRequest()
				req.Type, req.PushAmount = typ, push
				r := runFunding(t, acfg, bcfg, req)

				if got := r.open.ChannelType; got == nil || !got.Equal(channelTypeVector(typ, false, false)) {
					t.Fatalf("open channel_type %v", got)
				}
				ra, rb := r.a.Result(), r.b.Result()
				if ra == nil || rb == nil || r.a.Machine() == nil || r.b.Machine() == nil {
					t.Fatal("no result")
				}
				op := btcwire.OutPoint{Hash: r.fundingTx.TxHash(), Index: uint32(r.created.FundingOutputIndex)}
				if ra.Config.Params.FundingOutpoint != op || rb.Config.Params.FundingOutpoint != op {
					t.Fatal("funding outpoint differs")
				}
				fout := r.fundingTx.TxOut[op.Index]
				for _, res := range []*FundingResult{ra, rb} {
					if res.FundingOutput.Value != fout.Value || !bytes.Equal(res.FundingOutput.PkScript, fout.PkScript) {
						t.Fatal("FundingOutput is not the funding transaction's output")
					}
				}
				if ra.ChannelID != wire.NewChannelID(op) || rb.ChannelID != ra.ChannelID || r.signed.ChannelID != ra.ChannelID {
					t.Fatal("channel id")
				}
				if ra.Config.Params.Type != typ || rb.Config.Params.Type != typ || ra.Config.Params.Opener != Local || rb.Config.Params.Opener != Remote {
					t.Fatal("type or opener")
				}
				total := wire.MilliSatoshi(req.FundingAmount) * 1000
				if ra.Init.LocalBalance != total-push || ra.Init.RemoteBalance != push ||
					rb.Init.LocalBalance != push || rb.Init.RemoteBalance != total-push {
					t.Fatalf("balances %v/%v, %v/%v", ra.Init.LocalBalance, ra.Init.RemoteBalance, rb.Init.LocalBalance, rb.Init.RemoteBalance)
				}
				// Each side's constraints are the other's, seen from the
				// other end.
				if ra.Config.LocalConstraints != rb.Config.RemoteConstraints || ra.Config.RemoteConstraints != rb.Config.LocalConstraints {
					t.Fatal("constraints do not mirror")
				}
				if ra.Config.Params.Local.ToSelfDelay != rb.Config.Params.Remote.ToSelfDelay ||
					ra.Config.Params.Local.DustLimit != rb.Config.Params.Remote.DustLimit ||
					ra.Config.Params.Remote.DustLimit != rb.Config.Params.Local.DustLimit {
					t.Fatal("party params do not mirror")
				}
				if ra.MinimumDepth != DefaultMinimumDepth || ra.Init.LockIn.MinDepth != DefaultMinimumDepth || rb.Init.LockIn.MinDepth != DefaultMinimumDepth {
					t.Fatalf("minimum depth %d %d %d", ra.MinimumDepth, ra.Init.LockIn.MinDepth, rb.Init.LockIn.MinDepth)
				}

				// NewMachine accepts both results (it checks the peer's
				// signature of commitment 0 again).
				ma, aActs, err := NewMachine(ra.Config, &ra.Init)
				if err != nil {
					t.Fatalf("NewMachine(alice): %v", err)
				}
				mb, bActs, err := NewMachine(rb.Config, &rb.Init)
				if err != nil {
					t.Fatalf("NewMachine(bob): %v", err)
				}
				la, err := ma.LocalCommitment()
				if err != nil {
					t.Fatal(err)
				}
				lb, err := mb.LocalCommitment()
				if err != nil {
					t.Fatal(err)
				}
				if la.TxHash != remoteTxID(t, bActs) || lb.TxHash != remoteTxID(t, aActs) {
					t.Fatal("the commitments the nodes signed are not the ones the peers hold")
				}
				// The Machines the Fundings created agree too.
				la2, _ := r.a.Machine().LocalCommitment()
				lb2, _ := r.b.Machine().LocalCommitment()
				if la2.TxHash != la.TxHash || lb2.TxHash != lb.TxHash {
					t.Fatal("the Fundings' Machines differ")
				}

				// Fully signed commitments spend the funding output.
				txA, err := SignedCommitmentTx(ctx, acfg.Signer, ma.Params(), la, ma.LocalSigs().CommitSig)
				if err != nil {
					t.Fatal(err)
				}
				txB, err := SignedCommitmentTx(ctx, bcfg.Signer, mb.Params(), lb, mb.LocalSigs().CommitSig)
				if err != nil {
					t.Fatal(err)
				}
				for name, tx := range map[string]*btcwire.MsgTx{"alice": txA, "bob": txB} {
					if err := execute(tx, 0, prevOutsOf(r.fundingTx)); err != nil {
						t.Fatalf("%s's commitment 0: %v", name, err)
					}
				}
				if err := r.chain.Broadcast(ctx, txA); err != nil {
					t.Fatalf("alice's commitment 0 refused: %v", err)
				}
				if _, err := r.chain.Mine(ctx, 1); err != nil {
					t.Fatal(err)
				}
				if r.chain.Confirmations(txA.TxHash()) != 1 {
					t.Fatal("alice's commitment 0 not confirmed")
				}

				// A replica of the chain (same seed, same coin) for bob's.
				c2, _, coin := newFundingChain(t, r.chainSeed, r.walletFunding)
				if coin != r.walletCoin {
					t.Fatal("replica chain differs")
				}
				if err := c2.Broadcast(ctx, r.fundingTx); err != nil {
					t.Fatal(err)
				}
				if _, err := c2.Mine(ctx, 1); err != nil {
					t.Fatal(err)
				}
				if err := c2.Broadcast(ctx, txB); err != nil {
					t.Fatalf("bob's commitment 0 refused: %v", err)
				}
				if _, err := c2.Mine(ctx, 1); err != nil {
					t.Fatal(err)
				}
				if c2.Confirmations(txB.TxHash()) != 1 {
					t.Fatal("bob's commitment 0 not confirmed")
				}
			})
		}
	}
}

// TestFundingLockIn follows the Machines the Fundings created to
// channel_ready once the funding has minimum_depth confirmations.
func TestFundingLockIn(t *testing.T) {
	ctx := context.Background()
	r := runFunding(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest())
	ma, mb := r.a.Machine(), r.b.Machine()
	for _, m := range []*Machine{ma, mb} {
		if m.Ready() {
			t.Fatal("ready before confirmation")
		}
	}
	if _, err := r.chain.Mine(ctx, int(DefaultMinimumDepth)-1); err != nil {
		t.Fatal(err)
	}
	_, confs, ok := r.chain.Transaction(r.fundingTx.TxHash())
	if !ok || confs != int(DefaultMinimumDepth) {
		t.Fatalf("funding has %d confirmations", confs)
	}
	height := r.chain.Height() - uint32(confs) + 1
	blk, _ := r.chain.Block(height)
	idx := -1
	for i, tx := range blk.Transactions {
		if tx.TxHash() == r.fundingTx.TxHash() {
			idx = i
		}
	}
	tip := r.chain.Height()
	var readyA, readyB *wire.ChannelReady
	for name, m := range map[string]*Machine{"alice": ma, "bob": mb} {
		acts := m.FundingConfirmed(height, uint32(idx))
		acts = append(acts, m.BlockHeight(tip)...)
		rdy := sentMsg[*wire.ChannelReady](t, acts)
		if name == "alice" {
			readyA = rdy
		} else {
			readyB = rdy
		}
	}
	if _, err := ma.ReceiveMessage(ctx, wireTrip(t, readyB)); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.ReceiveMessage(ctx, wireTrip(t, readyA)); err != nil {
		t.Fatal(err)
	}
	if !ma.Ready() || !mb.Ready() {
		t.Fatal("not ready")
	}
	if scid, ok := ma.ShortChannelID(); !ok || scid.BlockHeight != height || scid.OutputIndex != r.created.FundingOutputIndex {
		t.Fatalf("short channel id %v %v", scid, ok)
	}
}

// TestFundingChannelTypeFallback: without option_anchors from the peer,
// the opener proposes static_remotekey, and refuses to ask for anchors.
func TestFundingChannelTypeFallback(t *testing.T) {
	acfg := testFundingConfig("alice")
	acfg.RemoteFeatures = wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureChannelType.Optional())
	_, acts, err := NewOutboundFunding(acfg, testOpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	open := sentMsg[*wire.OpenChannel](t, acts)
	if !open.ChannelType.Equal(wire.NewFeatureVector(wire.FeatureStaticRemoteKey)) {
		t.Fatalf("channel_type %v", *open.ChannelType)
	}
	req := testOpenRequest()
	req.Type = script.Anchors
	if _, _, err := NewOutboundFunding(acfg, req); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("anchors without the peer's support: %v", err)
	}
	// With both, anchors is the default.
	_, acts, err = NewOutboundFunding(testFundingConfig("alice"), testOpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	open = sentMsg[*wire.OpenChannel](t, acts)
	if !open.ChannelType.Equal(wire.NewFeatureVector(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx)) {
		t.Fatalf("channel_type %v", *open.ChannelType)
	}
}

// TestFundingImplicitChannelType: an open_channel without channel_type is
// option_anchors when both nodes advertise it (BOLT 2 funding_signed), and
// the accept_channel has no channel_type either.
func TestFundingImplicitChannelType(t *testing.T) {
	for _, anchors := range []bool{true, false} {
		acfg := testFundingConfig("alice")
		_, acts, err := NewOutboundFunding(acfg, testOpenRequest())
		if err != nil {
			t.Fatal(err)
		}
		open := sentMsg[*wire.OpenChannel](t, acts)
		open.ChannelType = nil
		bcfg := testFundingConfig("bob")
		want := script.Anchors
		if !anchors {
			bcfg.RemoteFeatures = wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional())
			want = script.StaticRemoteKey
		}
		b, acts, err := NewInboundFunding(bcfg, open, testFeeEstimate)
		if err != nil {
			t.Fatal(err)
		}
		if a := sentMsg[*wire.AcceptChannel](t, acts); a.ChannelType != nil {
			t.Fatal("accept_channel has a channel_type")
		}
		if b.params.Type != want || !b.typeBits.Equal(channelTypeVector(want, false, false)) {
			t.Fatalf("anchors=%v: type %v", anchors, b.params.Type)
		}
	}
}

// TestFundingZeroConfAndAlias negotiates option_scid_alias with and
// without option_zeroconf, and checks the zero-conf channel's
// channel_ready leaves after funding_signed (fundee) and the broadcast
// (opener), with both aliases.
func TestFundingZeroConfAndAlias(t *testing.T) {
	ctx := context.Background()
	aliasA := wire.ShortChannelID{BlockHeight: 16_000_000, TxIndex: 1, OutputIndex: 1}
	aliasB := wire.ShortChannelID{BlockHeight: 16_000_001, TxIndex: 2, OutputIndex: 2}
	for _, zc := range []bool{false, true} {
		t.Run(map[bool]string{false: "scid_alias", true: "zeroconf"}[zc], func(t *testing.T) {
			acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
			acfg.Alias, bcfg.Alias = &aliasA, &aliasB
			bcfg.Policy.AcceptZeroConf = zc
			req := testOpenRequest()
			req.SCIDAlias, req.ZeroConf = true, zc
			r := runFunding(t, acfg, bcfg, req)

			want := channelTypeVector(script.Anchors, true, zc)
			if !r.open.ChannelType.Equal(want) || r.accept.ChannelType == nil || !r.accept.ChannelType.Equal(want) {
				t.Fatalf("channel types %v / %v", r.open.ChannelType, r.accept.ChannelType)
			}
			wantDepth := DefaultMinimumDepth
			if zc {
				wantDepth = 0
			}
			if r.accept.MinimumDepth != wantDepth {
				t.Fatalf("minimum_depth %d", r.accept.MinimumDepth)
			}
			for _, res := range []*FundingResult{r.a.Result(), r.b.Result()} {
				if !res.SCIDAlias || res.ZeroConf != zc || !res.ChannelType.Equal(want) || res.Init.LockIn.MinDepth != wantDepth {
					t.Fatalf("result %+v", res)
				}
			}
			if !zc {
				for _, acts := range [][]Action{r.aDone, r.bDone} {
					for _, x := range acts {
						if s, ok := x.(*Send); ok && s.Msg.MsgType() == wire.MsgChannelReady {
							t.Fatal("channel_ready before confirmation")
						}
					}
				}
				return
			}
			// Zero-conf: channel_ready follows funding_signed and the
			// broadcast at once.
			readyOf := func(acts []Action, after func(Action) bool) *wire.ChannelReady {
				seen := false
				for _, x := range acts {
					if after(x) {
						seen = true
					}
					if s, ok := x.(*Send); ok && s.Msg.MsgType() == wire.MsgChannelReady {
						if !seen {
							t.Fatalf("channel_ready too early: %s", describeActions(acts))
						}
						return s.Msg.(*wire.ChannelReady)
					}
				}
				t.Fatalf("no channel_ready: %s", describeActions(acts))
				return nil
			}
			rdyB := readyOf(r.bDone, func(x Action) bool {
				s, ok := x.(*Send)
				return ok && s.Msg.MsgType() == wire.MsgFundingSigned
			})
			rdyA := readyOf(r.aDone, func(x Action) bool { _, ok := x.(*BroadcastFunding); return ok })
			if rdyA.Alias == nil || *rdyA.Alias != aliasA || rdyB.Alias == nil || *rdyB.Alias != aliasB {
				t.Fatal("aliases")
			}
			ma, mb := r.a.Machine(), r.b.Machine()
			if _, err := ma.ReceiveMessage(ctx, wireTrip(t, rdyB)); err != nil {
				t.Fatal(err)
			}
			if _, err := mb.ReceiveMessage(ctx, wireTrip(t, rdyA)); err != nil {
				t.Fatal(err)
			}
			if !ma.Ready() || !mb.Ready() {
				t.Fatal("zero-conf channel not ready")
			}
			if _, remote := ma.Aliases(); remote == nil || *remote != aliasB {
				t.Fatal("alice did not learn bob's alias")
			}
		})
	}
}

// TestFundingZeroConfRefused: a fundee that does not trust the opener
// refuses option_zeroconf; an opener refuses a zero-conf accept_channel
// with a non-zero minimum_depth.
func TestFundingZeroConfRefused(t *testing.T) {
	ctx := context.Background()
	alias := wire.ShortChannelID{BlockHeight: 16_000_000, TxIndex: 7}
	acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
	acfg.Alias, bcfg.Alias = &alias, &alias
	req := testOpenRequest()
	req.ZeroConf = true
	a, acts, err := NewOutboundFunding(acfg, req)
	if err != nil {
		t.Fatal(err)
	}
	open := sentMsg[*wire.OpenChannel](t, acts)
	if !open.ChannelType.Equal(channelTypeVector(script.Anchors, false, true)) {
		t.Fatalf("channel_type %v", *open.ChannelType)
	}
	f, acts, err := NewInboundFunding(bcfg, open, testFeeEstimate)
	if f != nil {
		t.Fatal("Funding returned with a refusal")
	}
	checkRefusal(t, acts, err, RuleZeroConf, open.TemporaryChannelID, false)

	bcfg.Policy.AcceptZeroConf = true
	_, acts, err = NewInboundFunding(bcfg, open, testFeeEstimate)
	if err != nil {
		t.Fatal(err)
	}
	accept := sentMsg[*wire.AcceptChannel](t, acts)
	accept.MinimumDepth = 1
	acts, err = a.ReceiveMessage(ctx, accept)
	checkRefusal(t, acts, err, RuleMinimumDepth, open.TemporaryChannelID, false)

	// Local checks of the opener.
	for name, mut := range map[string]func(*FundingConfig, *OpenRequest){
		"zeroconf not negotiated": func(c *FundingConfig, r *OpenRequest) {
			c.RemoteFeatures = wire.NewFeatureVector(wire.FeatureAnchorsZeroFeeHTLCTx.Optional(), wire.FeatureSCIDAlias.Optional())
			r.ZeroConf = true
		},
		"alias not negotiated": func(c *FundingConfig, r *OpenRequest) {
			c.RemoteFeatures = wire.NewFeatureVector(wire.FeatureAnchorsZeroFeeHTLCTx.Optional())
			r.SCIDAlias = true
		},
		"alias with announce": func(c *FundingConfig, r *OpenRequest) { r.SCIDAlias, r.Announce = true, true },
		"no alias":            func(c *FundingConfig, r *OpenRequest) { c.Alias = nil; r.ZeroConf = true },
	} {
		c, r := testFundingConfig("alice"), testOpenRequest()
		c.Alias = &alias
		mut(&c, &r)
		if _, _, err := NewOutboundFunding(c, r); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestFundingAbandonReleasesInputs: an opener abandoned after it asked for
// the funding transaction releases the wallet's inputs (the coin can be
// spent again) and tells the peer; a fundee or an opener that asked for
// nothing only tells the peer.
func TestFundingAbandonReleasesInputs(t *testing.T) {
	ctx := context.Background()
	c, w, _ := newFundingChain(t, [32]byte{7}, 5_000_000)
	acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
	a, acts, err := NewOutboundFunding(acfg, testOpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	open := sentMsg[*wire.OpenChannel](t, acts)
	b, acts, err := NewInboundFunding(bcfg, open, testFeeEstimate)
	if err != nil {
		t.Fatal(err)
	}
	accept := sentMsg[*wire.AcceptChannel](t, acts)
	acts, err = a.ReceiveMessage(ctx, accept)
	if err != nil {
		t.Fatal(err)
	}
	need := actionOf[*FundingTxNeeded](t, acts)
	req := &chain.FundRequest{Outputs: []*btcwire.TxOut{need.Output}, FeeRate: need.FeeRate}
	funded, err := w.FundPsbt(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.FundPsbt(ctx, req); !errors.Is(err, chain.ErrInsufficientFunds) {
		t.Fatalf("the only coin is not locked: %v", err)
	}

	acts = a.Abandon(errors.New("peer too slow"))
	if len(acts) != 2 {
		t.Fatalf("abandon: %s", describeActions(acts))
	}
	rel := actionOf[*ReleaseFundingInputs](t, acts)
	if rel.TemporaryChannelID != open.TemporaryChannelID {
		t.Fatal("release names another negotiation")
	}
	if e := sentMsg[*wire.Error](t, acts); e.ChannelID != open.TemporaryChannelID {
		t.Fatal("error for another channel")
	}
	if !errors.Is(a.Failed(), ErrFundingAborted) {
		t.Fatalf("Failed() = %v", a.Failed())
	}
	// The host releases: the coin funds a transaction again.
	if err := w.ReleaseInputs(ctx, funded.Packet); err != nil {
		t.Fatal(err)
	}
	if _, err := w.FundPsbt(ctx, req); err != nil {
		t.Fatalf("coin still locked: %v", err)
	}
	// Nothing remains: every further input is refused.
	if acts := a.Abandon(nil); acts != nil {
		t.Fatal("second abandon acted")
	}
	if _, err := a.FundingTxBuilt(ctx, funded.Packet.UnsignedTx); !errors.Is(err, ErrFundingState) {
		t.Fatalf("FundingTxBuilt after abandon: %v", err)
	}
	if _, err := a.ReceiveMessage(ctx, accept); !errors.Is(err, ErrFundingState) {
		t.Fatalf("message after abandon: %v", err)
	}
	_ = c

	// The fundee has no inputs to release.
	acts = b.Abandon(errors.New("timeout"))
	if len(acts) != 1 || sentMsg[*wire.Error](t, acts).ChannelID != open.TemporaryChannelID {
		t.Fatalf("fundee abandon: %s", describeActions(acts))
	}
	// An opener before accept_channel neither.
	a2, _, err := NewOutboundFunding(testFundingConfig("alice"), testOpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	if acts := a2.Abandon(nil); len(acts) != 1 {
		t.Fatalf("abandon before accept: %s", describeActions(acts))
	}
}

// TestFundingPeerError: an error from the peer ends the negotiation,
// releasing the inputs once the funding transaction was asked for.
func TestFundingPeerError(t *testing.T) {
	ctx := context.Background()
	a, acts, err := NewOutboundFunding(testFundingConfig("alice"), testOpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	open := sentMsg[*wire.OpenChannel](t, acts)
	perr := &wire.Error{ChannelID: open.TemporaryChannelID, Data: []byte("no thanks")}
	if acts, err := a.ReceiveMessage(ctx, &wire.Warning{Data: []byte("hm")}); err != nil || acts != nil {
		t.Fatalf("warning: %v %v", acts, err)
	}
	acts, err = a.ReceiveMessage(ctx, perr)
	if !errors.Is(err, ErrFundingAborted) || len(acts) != 0 {
		t.Fatalf("peer error before accept: %v %s", err, describeActions(acts))
	}

	r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
	acts, err = r.a.ReceiveMessage(ctx, &wire.Error{ChannelID: r.open.TemporaryChannelID, Data: []byte("bad")})
	if !errors.Is(err, ErrFundingAborted) || len(acts) != 1 {
		t.Fatalf("peer error after funding_created: %v %s", err, describeActions(acts))
	}
	actionOf[*ReleaseFundingInputs](t, acts)
}

// TestFundingTxBuiltChecks: a funding transaction without the funding
// output, with another value, or with it twice is refused and changes
// nothing; the right one is then accepted.
func TestFundingTxBuiltChecks(t *testing.T) {
	ctx := context.Background()
	r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingTx)
	good := r.funded.Packet.UnsignedTx
	bad := map[string]*btcwire.MsgTx{}
	tx := good.Copy()
	tx.TxOut[0].Value--
	bad["value"] = tx
	tx = good.Copy()
	tx.TxOut[0].PkScript = bytes.Repeat([]byte{0}, 34)
	bad["no output"] = tx
	tx = good.Copy()
	tx.AddTxOut(btcwire.NewTxOut(good.TxOut[0].Value, good.TxOut[0].PkScript))
	bad["twice"] = tx
	tx = good.Copy()
	tx.TxIn = nil
	bad["no input"] = tx
	bad["nil"] = nil
	for name, tx := range bad {
		if acts, err := r.a.FundingTxBuilt(ctx, tx); !errors.Is(err, ErrInvalidParams) || acts != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	acts, err := r.a.FundingTxBuilt(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	fc := sentMsg[*wire.FundingCreated](t, acts)
	if fc.FundingTxID != good.TxHash() || fc.FundingOutputIndex != 0 {
		t.Fatal("funding_created names another outpoint")
	}
	if id, ok := r.a.ChannelID(); !ok || id != wire.NewChannelID(btcwire.OutPoint{Hash: good.TxHash()}) {
		t.Fatal("ChannelID")
	}
	if _, err := r.a.FundingTxBuilt(ctx, good); !errors.Is(err, ErrFundingState) {
		t.Fatalf("second FundingTxBuilt: %v", err)
	}
}

// TestFundingSignerMismatch: a Signer without Basepoints.Funding's secret
// is caught before funding_created is sent.
func TestFundingSignerMismatch(t *testing.T) {
	acfg := testFundingConfig("alice")
	acfg.Signer = NewMemorySigner(secretsFor("mallory"))
	r := newStagedRun(t, acfg, testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingTx)
	if _, err := r.a.FundingTxBuilt(context.Background(), r.funded.Packet.UnsignedTx); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("mismatched signer: %v", err)
	}
}

// TestFundingChannelIDInUse: a fundee refuses a funding_created whose
// outpoint gives the id of one of its channels.
func TestFundingChannelIDInUse(t *testing.T) {
	bcfg := testFundingConfig("bob")
	var asked wire.ChannelID
	bcfg.ChannelIDInUse = func(id wire.ChannelID) bool { asked = id; return true }
	r := newStagedRun(t, testFundingConfig("alice"), bcfg, testOpenRequest(), fundAwaitFundingSigned)
	acts, err := r.b.ReceiveMessage(context.Background(), r.created)
	checkRefusal(t, acts, err, RuleChannelIDInUse, r.open.TemporaryChannelID, false)
	if asked != wire.NewChannelID(btcwire.OutPoint{Hash: r.created.FundingTxID, Index: uint32(r.created.FundingOutputIndex)}) {
		t.Fatal("asked about another id")
	}
}

// TestFundingLargeChannel: 2^24 sat and more only with
// FundingPolicy.LargeChannels (and, as opener, the peer's
// option_support_large_channel).
func TestFundingLargeChannel(t *testing.T) {
	req := testOpenRequest()
	req.FundingAmount = 1 << 24
	acfg := testFundingConfig("alice")
	if _, _, err := NewOutboundFunding(acfg, req); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("large without the policy: %v", err)
	}
	acfg.Policy.LargeChannels = true
	if _, _, err := NewOutboundFunding(acfg, req); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("large without the feature: %v", err)
	}
	large := append(fundingFeatures(), 0)
	large = large.Union(wire.NewFeatureVector(wire.FeatureLargeChannel.Optional()))
	acfg.LocalFeatures, acfg.RemoteFeatures = large, large
	_, acts, err := NewOutboundFunding(acfg, req)
	if err != nil {
		t.Fatal(err)
	}
	open := sentMsg[*wire.OpenChannel](t, acts)
	bcfg := testFundingConfig("bob")
	bcfg.LocalFeatures, bcfg.RemoteFeatures = large, large
	_, acts, err = NewInboundFunding(bcfg, open, testFeeEstimate)
	checkRefusal(t, acts, err, RuleFundingAmount, open.TemporaryChannelID, false)
	bcfg.Policy.LargeChannels = true
	if _, _, err := NewInboundFunding(bcfg, open, testFeeEstimate); err != nil {
		t.Fatalf("large channel with the policy: %v", err)
	}
}

// TestFundingConfigErrors: the host's own mistakes are ErrInvalidParams,
// with no action.
func TestFundingConfigErrors(t *testing.T) {
	open := func() *wire.OpenChannel {
		_, acts, err := NewOutboundFunding(testFundingConfig("alice"), testOpenRequest())
		if err != nil {
			t.Fatal(err)
		}
		return sentMsg[*wire.OpenChannel](t, acts)
	}()
	for name, mut := range map[string]func(*FundingConfig){
		"no signer":        func(c *FundingConfig) { c.Signer = nil },
		"no secrets":       func(c *FundingConfig) { c.Secrets = nil },
		"no basepoint":     func(c *FundingConfig) { c.Basepoints.HTLC = nil },
		"bad shutdown":     func(c *FundingConfig) { c.UpfrontShutdownScript = []byte{opTrue} },
		"dust below 354":   func(c *FundingConfig) { c.Policy.DustLimit = 353 },
		"fee bounds":       func(c *FundingConfig) { c.Policy.MaxFeeRatePercent = 99 },
		"reserve percent":  func(c *FundingConfig) { c.Policy.ReservePercent = 101 },
		"max htlcs":        func(c *FundingConfig) { c.Policy.MaxAcceptedHTLCs = 484 },
		"delay above max":  func(c *FundingConfig) { c.Policy.ToSelfDelay, c.Policy.MaxToSelfDelay = 3000, 2016 },
		"funding min >max": func(c *FundingConfig) { c.Policy.MinFunding, c.Policy.MaxFunding = 10, 5 },
	} {
		c := testFundingConfig("bob")
		mut(&c)
		if f, acts, err := NewInboundFunding(c, open, testFeeEstimate); !errors.Is(err, ErrInvalidParams) || f != nil || acts != nil {
			t.Errorf("%s: %v", name, err)
		}
		c2 := testFundingConfig("alice")
		mut(&c2)
		if _, acts, err := NewOutboundFunding(c2, testOpenRequest()); !errors.Is(err, ErrInvalidParams) || acts != nil {
			t.Errorf("outbound %s: %v", name, err)
		}
	}
	if _, _, err := NewInboundFunding(testFundingConfig("bob"), nil, testFeeEstimate); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("nil open: %v", err)
	}
	for name, mut := range map[string]func(*OpenRequest){
		"zero funding":   func(r *OpenRequest) { r.FundingAmount = 0 },
		"negative":       func(r *OpenRequest) { r.FundingAmount = -1 },
		"push too big":   func(r *OpenRequest) { r.PushAmount = 1_000_000_001 },
		"fee rate":       func(r *OpenRequest) { r.FeeRate = 252 },
		"cannot pay fee": func(r *OpenRequest) { r.FundingAmount, r.FeeRate = 20_000, 50_000 },
		"bad type":       func(r *OpenRequest) { r.Type = 9 },
	} {
		r := testOpenRequest()
		mut(&r)
		if _, acts, err := NewOutboundFunding(testFundingConfig("alice"), r); !errors.Is(err, ErrInvalidParams) || acts != nil {
			t.Errorf("request %s: %v", name, err)
		}
	}
	c := testFundingConfig("alice")
	dual := fundingFeatures().Union(wire.NewFeatureVector(wire.FeatureDualFund.Optional()))
	c.LocalFeatures, c.RemoteFeatures = dual, dual
	if _, _, err := NewOutboundFunding(c, testOpenRequest()); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("open_channel with option_dual_fund: %v", err)
	}
}

// opTrue is OP_TRUE, a script in no shutdown form.
const opTrue = 0x51

// stagedRun is a negotiation stopped at a stage, for tests that deliver
// a bad message there.
type stagedRun struct {
	a, b    *Funding
	open    *wire.OpenChannel
	accept  *wire.AcceptChannel
	funded  *chain.Funded
	created *wire.FundingCreated
	chain   *chainsim.Chain
}

// newStagedRun drives a negotiation until the opener is at stage:
// fundAwaitAccept, fundAwaitFundingTx or fundAwaitFundingSigned (the
// fundee then still awaits funding_created, which is in created).
func newStagedRun(t testing.TB, acfg, bcfg FundingConfig, req OpenRequest, stage fundingStage) *stagedRun {
	t.Helper()
	ctx := context.Background()
	r := &stagedRun{}
	var w *chainsim.Wallet
	r.chain, w, _ = newFundingChain(t, [32]byte{1}, 10_000_000)
	var acts []Action
	var err error
	r.a, acts, err = NewOutboundFunding(acfg, req)
	if err != nil {
		t.Fatal(err)
	}
	r.open = sentMsg[*wire.OpenChannel](t, acts)
	r.b, acts, err = NewInboundFunding(bcfg, r.open, testFeeEstimate)
	if err != nil {
		t.Fatal(err)
	}
	r.accept = sentMsg[*wire.AcceptChannel](t, acts)
	if stage == fundAwaitAccept {
		return r
	}
	acts, err = r.a.ReceiveMessage(ctx, r.accept)
	if err != nil {
		t.Fatal(err)
	}
	need := actionOf[*FundingTxNeeded](t, acts)
	r.funded, err = w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{need.Output}, FeeRate: need.FeeRate})
	if err != nil {
		t.Fatal(err)
	}
	if stage == fundAwaitFundingTx {
		return r
	}
	acts, err = r.a.FundingTxBuilt(ctx, r.funded.Packet.UnsignedTx)
	if err != nil {
		t.Fatal(err)
	}
	r.created = sentMsg[*wire.FundingCreated](t, acts)
	return r
}

// flakySigner fails its first n requests.
type flakySigner struct {
	Signer
	n int
}

var errFlaky = errors.New("signer unavailable")

func (s *flakySigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	if s.n > 0 {
		s.n--
		return wire.Signature{}, errFlaky
	}
	return s.Signer.SignInput(ctx, req)
}

// TestFundingSignerFailure: a failing Signer leaves the negotiation where
// it was, for either role; the same input then succeeds.
func TestFundingSignerFailure(t *testing.T) {
	ctx := context.Background()
	acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
	acfg.Signer = &flakySigner{Signer: acfg.Signer, n: 1}
	bcfg.Signer = &flakySigner{Signer: bcfg.Signer, n: 1}
	r := newStagedRun(t, acfg, bcfg, testOpenRequest(), fundAwaitFundingTx)
	tx := r.funded.Packet.UnsignedTx
	if acts, err := r.a.FundingTxBuilt(ctx, tx); !errors.Is(err, errFlaky) || acts != nil || errors.Is(err, ErrFundingRefused) {
		t.Fatalf("opener: %v %s", err, describeActions(acts))
	}
	acts, err := r.a.FundingTxBuilt(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	created := sentMsg[*wire.FundingCreated](t, acts)
	if acts, err := r.b.ReceiveMessage(ctx, created); !errors.Is(err, errFlaky) || acts != nil || errors.Is(err, ErrFundingRefused) {
		t.Fatalf("fundee: %v %s", err, describeActions(acts))
	}
	if r.b.Failed() != nil || r.b.Machine() != nil {
		t.Fatal("fundee changed")
	}
	acts, err = r.b.ReceiveMessage(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.a.ReceiveMessage(ctx, sentMsg[*wire.FundingSigned](t, acts)); err != nil {
		t.Fatal(err)
	}
	if r.a.Machine() == nil || r.b.Machine() == nil {
		t.Fatal("not open")
	}
}
