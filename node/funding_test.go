package node

import (
	"context"
	"crypto/sha256"
	"net"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// TestZeroConfOpen opens a zero-conf channel (option_zeroconf, the fundee
// trusting the opener) and pays over it before the funding transaction
// confirms.
func TestZeroConfOpen(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := &testNode{name: "bob", wallet: tn.chain.NewWallet(), dir: t.TempDir(), events: make(chan Event, 1024), acceptZeroConf: true}
	seed := sha256.Sum256([]byte("node seed bob"))
	b.seed = seed[:]
	tn.start(b)
	tn.chain.AddListener(b)
	tn.connect(a, b)
	id, err := a.OpenChannel(tn.ctx, OpenChannelRequest{Peer: b.NodeID(), Amount: 1_000_000, Private: true, ZeroConf: true})
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("ready without a confirmation", func() bool { return a.channel(t, id).Ready && b.channel(t, id).Ready })
	if n := len(tn.chain.Mempool()); n != 1 {
		t.Fatalf("%d transactions in the mempool, want the unconfirmed funding", n)
	}
	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000_000, PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		t.Fatalf("pay over a zero-conf channel: %v", err)
	}
	// A node that does not trust alice refuses zero-conf.
	c := tn.addNode("carol", 0)
	tn.connect(a, c)
	if _, err := a.OpenChannel(tn.ctx, OpenChannelRequest{Peer: c.NodeID(), Amount: 500_000, Private: true, ZeroConf: true}); err == nil {
		t.Fatal("carol accepted a zero-conf channel")
	}
}

// TestReorgFunding confirms a funding transaction, reorganizes it out
// before lock-in, and locks in only once it has three confirmations in the
// new chain.
func TestReorgFunding(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id, err := a.OpenChannel(tn.ctx, OpenChannelRequest{Peer: b.NodeID(), Amount: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	funding := tn.chain.Mempool()[0].TxHash()
	tn.mine(2)
	time.Sleep(100 * time.Millisecond)
	if a.channel(t, id).Ready {
		t.Fatal("ready at 2 confirmations")
	}
	// Replace both blocks with two that leave the funding out.
	if _, err := tn.chain.Reorg(tn.ctx, 2, chainsim.ReorgExclude(funding)); err != nil {
		t.Fatal(err)
	}
	if tn.chain.Confirmations(funding) != 0 {
		t.Fatalf("funding has %d confirmations after the reorg", tn.chain.Confirmations(funding))
	}
	tn.waitFor("short_channel_id forgotten", func() bool { return a.channel(t, id).ShortChannelID == (wire.ShortChannelID{}) })
	tn.mine(1) // the funding again, one confirmation
	tn.mine(1)
	time.Sleep(100 * time.Millisecond)
	if a.channel(t, id).Ready || b.channel(t, id).Ready {
		t.Fatal("ready before three confirmations in the new chain")
	}
	tn.mine(1)
	tn.waitFor("ready", func() bool { return a.channel(t, id).Ready && b.channel(t, id).Ready })
	_, h := tn.chain.Tip()
	if got := a.channel(t, id).ShortChannelID.BlockHeight; got != h-2 {
		t.Fatalf("short_channel_id at height %d, funding confirmed at %d", got, h-2)
	}
}

// TestFundingPeerStopsMidFlow opens a channel to a peer that accepts and
// then goes silent: the opener abandons the establishment after
// FundingTimeout and its wallet's coin is free again.
func TestFundingPeerStopsMidFlow(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	// A raw peer that answers open_channel with accept_channel and then
	// says nothing.
	key, _ := btcec.NewPrivateKey()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := peer.Config{HandshakeConfig: peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(key)}, Features: a.features()}
	l, err := peer.Listen(ln, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		p, err := l.Accept(tn.ctx)
		if err != nil {
			return
		}
		defer p.Close()
		for {
			msg, err := p.Receive(tn.ctx)
			if err != nil {
				return
			}
			open, ok := msg.(*wire.OpenChannel)
			if !ok {
				continue
			}
			signer := channel.NewMemorySigner(channel.BasepointSecrets{Funding: key, Revocation: key, Payment: key, DelayedPayment: key, HTLC: key})
			_, acts, err := channel.NewInboundFunding(channel.FundingConfig{
				ChainHash: wire.ChainHash(*chaincfg.RegressionNetParams.GenesisHash), LocalFeatures: a.features(), RemoteFeatures: a.features(),
				Basepoints: signer.Basepoints(), Signer: signer, Secrets: revocation.NewProducer([32]byte{7}),
			}, open, 1000)
			if err != nil {
				return
			}
			for _, act := range acts {
				if s, ok := act.(*channel.Send); ok {
					p.Send(tn.ctx, s.Msg)
				}
			}
		}
	}()
	if err := a.Connect(tn.ctx, key.PubKey(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tn.ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := a.OpenChannel(ctx, OpenChannelRequest{Peer: key.PubKey(), Amount: 1_000_000}); err == nil {
		t.Fatal("an open with a silent peer succeeded")
	}
	if el := time.Since(start); el > 8*time.Second {
		t.Fatalf("abandoned after %v", el)
	}
	if chs, _ := a.ListChannels(tn.ctx); len(chs) != 0 {
		t.Fatalf("%d channels left half-open", len(chs))
	}
	// The wallet's single coin must be free: a real channel can be funded.
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	tn.openChannel(a, b, 4_000_000, 0)
}
