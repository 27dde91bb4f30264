package interop

import (
	"testing"
	"time"
)

// TestHarness starts the chain and one lnd and checks that lnd reports a
// node key and sees the chain tip.
func TestHarness(t *testing.T) {
	begin := time.Now()
	chain := NewChain(t)
	l := StartLnd(t, chain)
	var info struct {
		BlockHeight uint32 `json:"block_height"`
		Chains      []struct {
			Network string `json:"network"`
		} `json:"chains"`
	}
	l.CLI(t, &info, "getinfo")
	if int(info.BlockHeight) != chain.Height(t) {
		t.Fatalf("lnd at height %d, chain at %d", info.BlockHeight, chain.Height(t))
	}
	if len(l.PubKey) != 66 {
		t.Fatalf("bad identity pubkey %q", l.PubKey)
	}
	t.Logf("btcd + lnd up in %v; lnd %s", time.Since(begin), l.PubKey)
}
