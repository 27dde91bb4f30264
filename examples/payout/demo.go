package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
)

// demo is two nodes on a simulated chain with a channel from payer to
// payee.
type demo struct {
	sim          *chainsim.Chain
	payer, payee *node.Node
	dir          string
}

func newDemo(ctx context.Context) (*demo, error) {
	d := &demo{sim: chainsim.New(chainsim.WithStartHeight(500))}
	var err error
	if d.dir, err = os.MkdirTemp("", "lnkit-payout-"); err != nil {
		return nil, err
	}
	addrs := map[*node.Node]string{}
	mk := func(name string, fund bool) (*node.Node, error) {
		w := d.sim.NewWallet()
		if fund {
			if _, err := w.Fund(ctx, 5_000_000); err != nil {
				return nil, err
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		seed := sha256.Sum256([]byte("payout demo " + name))
		n, err := node.New(node.Config{Seed: seed[:], Network: &chaincfg.RegressionNetParams, DataDir: d.dir + "/" + name,
			Broadcaster: d.sim, FeeEstimator: d.sim, Wallet: w, Listener: ln, OnEvent: func(node.Event) {}})
		if err != nil {
			return nil, err
		}
		if err := n.Start(ctx); err != nil {
			return nil, err
		}
		d.sim.AddListener(n)
		addrs[n] = ln.Addr().String()
		return n, nil
	}
	if d.payer, err = mk("payer", true); err != nil {
		return nil, err
	}
	if d.payee, err = mk("payee", false); err != nil {
		return nil, err
	}
	if err := d.payer.Connect(ctx, d.payee.NodeID(), addrs[d.payee]); err != nil {
		return nil, err
	}
	id, err := d.payer.OpenChannel(ctx, node.OpenChannelRequest{Peer: d.payee.NodeID(), Amount: 1_000_000})
	if err != nil {
		return nil, err
	}
	if _, err := d.sim.Mine(ctx, 3); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := 0
		for _, n := range []*node.Node{d.payer, d.payee} {
			chs, _ := n.ListChannels(ctx)
			for _, c := range chs {
				if c.ChannelID == id && c.Ready {
					ready++
				}
			}
		}
		if ready == 2 {
			return d, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("channel not ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *demo) close() {
	d.payer.Stop()
	d.payee.Stop()
	os.RemoveAll(d.dir)
}
