package mobile_test

import (
	"fmt"
	"os"
	"time"

	"github.com/lnkit/lnkit/mobile"
)

// What an app does, on a simulated chain: two nodes, a channel, an
// invoice decoded and paid, a balance read; errors carry codes.
func Example() {
	sim := mobile.NewSimulatedChain()
	var dirs []string
	defer func() {
		for _, d := range dirs {
			os.RemoveAll(d)
		}
	}()
	start := func(name string, funds int64) *mobile.Node {
		dir, _ := os.MkdirTemp("", "lnkit-mobile-example-")
		dirs = append(dirs, dir)
		entropy := make([]byte, 16)
		copy(entropy, name)
		words, _ := mobile.MnemonicFromEntropy(entropy)
		seed, _ := mobile.SeedFromMnemonic(words, "")
		cfg := mobile.NewConfig("regtest", dir)
		cfg.Seed = seed
		cfg.ListenAddress = "127.0.0.1:0"
		wallet := sim.NewWallet()
		if funds > 0 {
			wallet.Fund(funds)
		}
		n, err := mobile.NewNode(cfg, sim, wallet, nil)
		if err != nil {
			panic(err)
		}
		if err := n.Start(10_000); err != nil {
			panic(err)
		}
		sim.Attach(n)
		return n
	}
	alice, bob := start("alice", 2_000_000), start("bob", 0)
	defer alice.Stop()
	defer bob.Stop()

	alice.Connect(bob.NodeID(), bob.ListenAddress(), 10_000)
	for peers, _ := bob.ListPeers(1000); peers.Len() == 0; peers, _ = bob.ListPeers(1000) {
		time.Sleep(10 * time.Millisecond)
	}
	id, err := alice.OpenChannel(mobile.NewOpenChannelRequest(bob.NodeID(), 500_000), 10_000)
	if err != nil {
		panic(err)
	}
	sim.Mine(3)
	for !ready(alice, id) || !ready(bob, id) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("channel ready")

	inv, _ := bob.CreateInvoice(mobile.NewInvoiceRequest(21_000_000, "a book"), 5000)
	d, _ := mobile.DecodeInvoice(inv.Bolt11)
	fmt.Printf("invoice for %d sat: %q\n", d.AmountMsat/1000, d.Description)
	p, err := alice.PayInvoice(mobile.NewPayInvoiceRequest(inv.Bolt11), 30_000)
	if err != nil {
		panic(err)
	}
	fmt.Println("payment", p.Status)
	// Bob's balance moves once the commitments are updated, just after
	// the payer learns the preimage.
	b, _ := bob.Balances(5000)
	for deadline := time.Now().Add(10 * time.Second); b.LightningMsat == 0 && time.Now().Before(deadline); b, _ = bob.Balances(5000) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("bob has", b.LightningMsat/1000, "sat in channels")

	_, err = alice.PayInvoice(mobile.NewPayInvoiceRequest(inv.Bolt11), 30_000)
	fmt.Println("paying twice:", mobile.ErrorCode(err.Error()))
	// Output:
	// channel ready
	// invoice for 21000 sat: "a book"
	// payment succeeded
	// bob has 21000 sat in channels
	// paying twice: DUPLICATE_PAYMENT
}

func ready(n *mobile.Node, id string) bool {
	chs, err := n.ListChannels(1000)
	if err != nil {
		return false
	}
	for i := 0; i < chs.Len(); i++ {
		if c := chs.Get(i); c.ChannelID == id && c.Ready {
			return true
		}
	}
	return false
}
