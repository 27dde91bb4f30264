package channel

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/wire"
)

// fundingFeatures are init features with everything channel establishment
// looks at (optional bits), except option_dual_fund and
// option_support_large_channel.
func fundingFeatures() wire.FeatureVector {
	return wire.NewFeatureVector(
		wire.FeatureStaticRemoteKey.Optional(),
		wire.FeatureUpfrontShutdownScript.Optional(),
		wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureShutdownAnySegwit.Optional(),
		wire.FeatureChannelType.Optional(),
		wire.FeatureSCIDAlias.Optional(),
		wire.FeatureZeroConf.Optional(),
	)
}

// testFundingConfig is a deterministic configuration for node name.
func testFundingConfig(name string) FundingConfig {
	s := NewMemorySigner(secretsFor("funding " + name))
	seed := sha256.Sum256([]byte("funding shachain " + name))
	randSeed := sha256.Sum256([]byte("funding rand " + name))
	return FundingConfig{
		ChainHash:      wire.RegtestChainHash,
		LocalFeatures:  fundingFeatures(),
		RemoteFeatures: fundingFeatures(),
		Basepoints:     s.Basepoints(),
		Signer:         s,
		Secrets:        revocation.NewProducer(seed),
		BlockHeight:    1000,
		Rand:           rand.NewChaCha8(randSeed),
	}
}

// testOpenRequest is a 1 000 000 sat anchors channel with a push.
func testOpenRequest() OpenRequest {
	return OpenRequest{
		FundingAmount:  1_000_000,
		PushAmount:     100_000_000,
		FeeRate:        2500,
		FundingFeeRate: 2500,
	}
}

const testFeeEstimate = 2500

// wireTrip encodes and decodes msg, as the connection would.
func wireTrip(t testing.TB, msg wire.Message) wire.Message {
	t.Helper()
	b, err := wire.EncodeMessage(msg)
	if err != nil {
		t.Fatalf("encode %v: %v", msg.MsgType(), err)
	}
	out, err := wire.DecodeMessage(b)
	if err != nil {
		t.Fatalf("decode %v: %v", msg.MsgType(), err)
	}
	return out
}

// sentMsg returns the message of the only *Send in acts, which must be
// of type T.
func sentMsg[T wire.Message](t testing.TB, acts []Action) T {
	t.Helper()
	var found []wire.Message
	for _, a := range acts {
		if s, ok := a.(*Send); ok {
			found = append(found, s.Msg)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Send, got %d in %s", len(found), describeActions(acts))
	}
	m, ok := found[0].(T)
	if !ok {
		t.Fatalf("sent %T, want %T", found[0], *new(T))
	}
	return m
}

// actionOf returns the only action of type T in acts.
func actionOf[T Action](t testing.TB, acts []Action) T {
	t.Helper()
	var out []T
	for _, a := range acts {
		if x, ok := a.(T); ok {
			out = append(out, x)
		}
	}
	if len(out) != 1 {
		t.Fatalf("want one %T, got %d in %s", *new(T), len(out), describeActions(acts))
	}
	return out[0]
}

func describeActions(acts []Action) string {
	s := "["
	for i, a := range acts {
		if i > 0 {
			s += " "
		}
		if snd, ok := a.(*Send); ok {
			s += snd.String()
			continue
		}
		switch a.(type) {
		case *Persist:
			s += "persist"
		case *MonitorUpdate:
			s += "monitor"
		case *FundingTxNeeded:
			s += "funding-tx-needed"
		case *ReleaseFundingInputs:
			s += "release-inputs"
		case *BroadcastFunding:
			s += "broadcast-funding"
		case *ChannelOpened:
			s += "channel-opened"
		default:
			s += "other"
		}
	}
	return s + "]"
}

// checkWritesFirst checks the persistence rule of a completing step: every
// *Persist and *MonitorUpdate precedes target (the funding_signed send or
// the broadcast) and every message, and the step ends with ChannelOpened.
func checkWritesFirst(t testing.TB, acts []Action, target func(Action) bool) {
	t.Helper()
	lastWrite, at, firstSend := -1, -1, len(acts)
	for i, a := range acts {
		switch x := a.(type) {
		case *Persist, *MonitorUpdate:
			lastWrite = i
		case *Send:
			if i < firstSend {
				firstSend = i
			}
		default:
			_ = x
		}
		if target(a) {
			at = i
		}
	}
	if lastWrite < 0 || at < 0 || at < lastWrite || firstSend < lastWrite {
		t.Fatalf("writes do not come first: %s", describeActions(acts))
	}
	if _, ok := acts[len(acts)-1].(*ChannelOpened); !ok {
		t.Fatalf("last action is not ChannelOpened: %s", describeActions(acts))
	}
}

func refusalOf(t testing.TB, err error) *RefusalError {
	t.Helper()
	var re *RefusalError
	if !errors.As(err, &re) || !errors.Is(err, ErrFundingRefused) {
		t.Fatalf("want a *RefusalError wrapping ErrFundingRefused, got %v", err)
	}
	return re
}

// checkRefusal checks err is a refusal for rule and acts tell the peer
// (after releasing the inputs when release is set).
func checkRefusal(t testing.TB, acts []Action, err error, rule FundingRule, id wire.ChannelID, release bool) {
	t.Helper()
	re := refusalOf(t, err)
	if re.Rule != rule {
		t.Fatalf("refused for %v (%v), want %v", re.Rule, err, rule)
	}
	want := 1
	if release {
		want = 2
		if _, ok := acts[0].(*ReleaseFundingInputs); !ok || len(acts) != 2 {
			t.Fatalf("want release then error, got %s", describeActions(acts))
		}
	}
	if len(acts) != want {
		t.Fatalf("want %d actions, got %s", want, describeActions(acts))
	}
	s, ok := acts[want-1].(*Send)
	if !ok {
		t.Fatalf("last action is not a Send: %s", describeActions(acts))
	}
	switch m := s.Msg.(type) {
	case *wire.Error:
		if m.ChannelID != id || len(m.Data) == 0 {
			t.Fatalf("error for %v (%q), want %v", m.ChannelID, m.Data, id)
		}
		if m.DataString() != string(m.Data) {
			t.Fatalf("error data is not printable: %q", m.Data)
		}
	case *wire.Warning:
		if id != (wire.ChannelID{}) {
			t.Fatalf("warning sent, want an error for %v", id)
		}
	default:
		t.Fatalf("sent %T", s.Msg)
	}
}

// fundingRun is one negotiation between opener a and fundee b, driven to
// the end, with the funding transaction from a chainsim wallet.
type fundingRun struct {
	a, b          *Funding
	open          *wire.OpenChannel
	accept        *wire.AcceptChannel
	created       *wire.FundingCreated
	signed        *wire.FundingSigned
	aDone, bDone  []Action
	funded        *chain.Funded
	fundingTx     *btcwire.MsgTx
	chain         *chainsim.Chain
	wallet        *chainsim.Wallet
	walletCoin    btcwire.OutPoint
	chainSeed     [32]byte
	walletFunding int64
}

// newFundingChain is a chain whose wallet holds one coin.
func newFundingChain(t testing.TB, seed [32]byte, amount int64) (*chainsim.Chain, *chainsim.Wallet, btcwire.OutPoint) {
	t.Helper()
	c := chainsim.New(chainsim.WithSeed(seed))
	w := c.NewWallet()
	op, err := w.Fund(context.Background(), btcAmount(amount))
	if err != nil {
		t.Fatal(err)
	}
	return c, w, op
}

// runFunding drives a negotiation to the end and broadcasts and confirms
// the funding transaction.
func runFunding(t testing.TB, acfg, bcfg FundingConfig, req OpenRequest) *fundingRun {
	t.Helper()
	ctx := context.Background()
	r := &fundingRun{chainSeed: sha256.Sum256([]byte(t.Name())), walletFunding: 50_000_000}
	r.chain, r.wallet, r.walletCoin = newFundingChain(t, r.chainSeed, r.walletFunding)

	a, acts, err := NewOutboundFunding(acfg, req)
	if err != nil {
		t.Fatalf("NewOutboundFunding: %v", err)
	}
	r.a = a
	r.open = wireTrip(t, sentMsg[*wire.OpenChannel](t, acts)).(*wire.OpenChannel)

	b, acts, err := NewInboundFunding(bcfg, r.open, testFeeEstimate)
	if err != nil {
		t.Fatalf("NewInboundFunding: %v", err)
	}
	r.b = b
	r.accept = wireTrip(t, sentMsg[*wire.AcceptChannel](t, acts)).(*wire.AcceptChannel)

	acts, err = a.ReceiveMessage(ctx, r.accept)
	if err != nil {
		t.Fatalf("accept_channel: %v", err)
	}
	need := actionOf[*FundingTxNeeded](t, acts)
	if len(acts) != 1 {
		t.Fatalf("accept_channel: %s", describeActions(acts))
	}
	r.funded, err = r.wallet.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{need.Output}, FeeRate: need.FeeRate})
	if err != nil {
		t.Fatal(err)
	}
	acts, err = a.FundingTxBuilt(ctx, r.funded.Packet.UnsignedTx)
	if err != nil {
		t.Fatalf("FundingTxBuilt: %v", err)
	}
	r.created = wireTrip(t, sentMsg[*wire.FundingCreated](t, acts)).(*wire.FundingCreated)

	r.bDone, err = b.ReceiveMessage(ctx, r.created)
	if err != nil {
		t.Fatalf("funding_created: %v", err)
	}
	checkWritesFirst(t, r.bDone, func(x Action) bool {
		s, ok := x.(*Send)
		return ok && s.Msg.MsgType() == wire.MsgFundingSigned
	})
	var signed *wire.FundingSigned
	for _, x := range r.bDone {
		if s, ok := x.(*Send); ok {
			if m, ok := s.Msg.(*wire.FundingSigned); ok {
				signed = m
			}
		}
	}
	r.signed = wireTrip(t, signed).(*wire.FundingSigned)

	r.aDone, err = a.ReceiveMessage(ctx, r.signed)
	if err != nil {
		t.Fatalf("funding_signed: %v", err)
	}
	checkWritesFirst(t, r.aDone, func(x Action) bool { _, ok := x.(*BroadcastFunding); return ok })

	// The host performs the broadcast.
	if err := r.wallet.SignPsbt(ctx, r.funded.Packet); err != nil {
		t.Fatal(err)
	}
	r.fundingTx, err = psbt.Extract(r.funded.Packet)
	if err != nil {
		t.Fatal(err)
	}
	if r.fundingTx.TxHash() != r.funded.Packet.UnsignedTx.TxHash() {
		t.Fatal("signing changed the funding txid")
	}
	if err := r.chain.Broadcast(ctx, r.fundingTx); err != nil {
		t.Fatalf("broadcast funding: %v", err)
	}
	if _, err := r.chain.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return r
}
