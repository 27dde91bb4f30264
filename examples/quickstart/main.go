// Command quickstart runs three lnkit nodes in one process on a simulated
// chain and walks through what a wallet does: open channels, pay an
// invoice, send a keysend with a custom record, pay through the middle
// node, and close cooperatively. It needs nothing but Go and finishes in
// seconds:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// peer is one node of the demo with its wallet and address.
type peer struct {
	*node.Node
	name   string
	addr   string
	wallet *chainsim.Wallet
	stop   func()
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	say("1. A simulated bitcoin chain (regtest rules, every transaction checked by txscript).")
	sim := chainsim.New(chainsim.WithStartHeight(500))

	dir, err := os.MkdirTemp("", "lnkit-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := func(name string, funds btcutil.Amount) (*peer, error) {
		p := &peer{name: name, wallet: sim.NewWallet()}
		if funds > 0 {
			if _, err := p.wallet.Fund(ctx, funds); err != nil {
				return nil, err
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		p.addr = ln.Addr().String()
		seed := sha256.Sum256([]byte("quickstart " + name))
		n, err := node.New(node.Config{
			Seed: seed[:], Network: &chaincfg.RegressionNetParams, DataDir: dir + "/" + name,
			Broadcaster: sim, FeeEstimator: sim, Wallet: p.wallet, Listener: ln, Alias: name,
			OnEvent: func(node.Event) {},
		})
		if err != nil {
			return nil, err
		}
		if err := n.Start(ctx); err != nil {
			return nil, err
		}
		p.Node = n
		p.stop = func() { n.Stop() }
		sim.AddListener(n)
		return p, nil
	}
	alice, err := start("alice", 5_000_000)
	if err != nil {
		return err
	}
	defer alice.stop()
	bob, err := start("bob", 5_000_000)
	if err != nil {
		return err
	}
	defer bob.stop()
	carol, err := start("carol", 0)
	if err != nil {
		return err
	}
	defer carol.stop()
	say("2. Three nodes, each with a store on disk: alice %x..., bob %x..., carol %x...",
		alice.NodeID().SerializeCompressed()[:4], bob.NodeID().SerializeCompressed()[:4], carol.NodeID().SerializeCompressed()[:4])

	if err := alice.Connect(ctx, bob.NodeID(), bob.addr); err != nil {
		return err
	}
	if err := bob.Connect(ctx, carol.NodeID(), carol.addr); err != nil {
		return err
	}
	if err := waitPeers(ctx, carol); err != nil {
		return err
	}
	say("3. alice connects to bob and bob to carol (BOLT 8 over TCP).")

	ab, err := alice.OpenChannel(ctx, node.OpenChannelRequest{Peer: bob.NodeID(), Amount: 1_000_000})
	if err != nil {
		return err
	}
	bc, err := bob.OpenChannel(ctx, node.OpenChannelRequest{Peer: carol.NodeID(), Amount: 1_000_000, Private: true})
	if err != nil {
		return err
	}
	if _, err := sim.Mine(ctx, 3); err != nil {
		return err
	}
	for _, w := range []struct {
		p  *peer
		id wire.ChannelID
	}{{alice, ab}, {bob, ab}, {bob, bc}, {carol, bc}} {
		if err := waitReady(ctx, w.p, w.id); err != nil {
			return err
		}
	}
	say("4. Channels alice->bob (public) and bob->carol (private) of 1,000,000 sat each are funded, mined and ready.")

	inv, err := bob.CreateInvoice(ctx, node.InvoiceRequest{Amount: 25_000_000, Description: "a coffee"})
	if err != nil {
		return err
	}
	pay, err := alice.PayInvoice(ctx, node.PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		return err
	}
	say("5. bob issues an invoice for 25,000 sat; alice pays it: %v, payment hash %v...", pay.Status, pay.PaymentHash.String()[:16])

	ks, err := alice.SendKeysend(ctx, node.KeysendRequest{Destination: bob.NodeID(), Amount: 5_000_000,
		CustomRecords: []wire.TLVRecord{{Type: 696969, Value: []byte("thanks for the coffee")}}})
	if err != nil {
		return err
	}
	say("6. alice sends bob 5,000 sat by keysend (no invoice) with a custom record: %v.", ks.Status)

	inv2, err := carol.CreateInvoice(ctx, node.InvoiceRequest{Amount: 40_000_000, Description: "via bob", PrivateRouteHints: true})
	if err != nil {
		return err
	}
	pay2, err := alice.PayInvoice(ctx, node.PayInvoiceRequest{Invoice: inv2.Bolt11})
	if err != nil {
		return err
	}
	say("7. carol's invoice for 40,000 sat carries a route hint for her private channel; alice pays through bob: %v, %d hops, bob's fee %v.",
		pay2.Status, len(pay2.Route[0]), pay2.Fee)

	txid, err := alice.CloseChannel(ctx, ab, false)
	if err != nil {
		return err
	}
	if _, err := sim.Mine(ctx, 1); err != nil {
		return err
	}
	say("8. alice closes her channel with bob cooperatively: transaction %v... confirmed (%d confirmation).", txid.String()[:16], sim.Confirmations(txid))

	say("9. Final balances:")
	for _, p := range []*peer{alice, bob, carol} {
		chs, err := p.ListChannels(ctx)
		if err != nil {
			return err
		}
		var local wire.MilliSatoshi
		for _, c := range chs {
			if c.Status == "open" {
				local += c.Local
			}
		}
		say("   %-5s on-chain wallet %v, in open channels %v", p.name, p.wallet.Balance(), local)
	}
	return nil
}

func waitPeers(ctx context.Context, p *peer) error {
	for {
		ps, err := p.ListPeers(ctx)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			return nil
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
}

func waitReady(ctx context.Context, p *peer, id wire.ChannelID) error {
	for {
		chs, err := p.ListChannels(ctx)
		if err != nil {
			return err
		}
		for _, c := range chs {
			if c.ChannelID == id && c.Ready {
				return nil
			}
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
}

func pause(ctx context.Context) error {
	select {
	case <-time.After(10 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return errors.New("timed out")
	}
}
