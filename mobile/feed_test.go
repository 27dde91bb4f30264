package mobile

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// A host that hands in whole serialized blocks (BlockConnectedRaw) and
// reports a reorganisation (BlockDisconnected) moves the node's height
// as the chain does.
func TestRawBlockFeed(t *testing.T) {
	sim := NewSimulatedChain()
	cfg := NewConfig("regtest", t.TempDir())
	cfg.Seed = bytes.Repeat([]byte{7}, 32)
	n, err := NewNode(cfg, sim, sim.NewWallet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(10_000); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := sim.Mine(2); err != nil {
		t.Fatal(err)
	}
	for h := sim.Height() - 1; h <= sim.Height(); h++ {
		blk, ok := sim.sim.Block(uint32(h))
		if !ok {
			t.Fatalf("no block %d", h)
		}
		var buf bytes.Buffer
		if err := blk.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		if err := n.BlockConnectedRaw(hex.EncodeToString(buf.Bytes()), h, 5000); err != nil {
			t.Fatal(err)
		}
	}
	height := func() int32 {
		info, err := n.Info(5000)
		if err != nil {
			t.Fatal(err)
		}
		return info.Height
	}
	if got := height(); got != sim.Height() {
		t.Fatalf("height %d, chain at %d", got, sim.Height())
	}
	tip, _ := sim.sim.Block(uint32(sim.Height()))
	if err := n.BlockDisconnected(headerHex(&tip.Header), sim.Height(), 5000); err != nil {
		t.Fatal(err)
	}
	if got := height(); got != sim.Height()-1 {
		t.Fatalf("height %d after disconnecting %d", got, sim.Height())
	}
	if err := n.BlockConnectedRaw("00", 1, 1000); ErrorCode(err.Error()) != CodeInvalidArgument {
		t.Fatalf("bad block: %v", err)
	}
	if err := n.BlockDisconnected(headerHex(&tip.Header), -1, 1000); ErrorCode(err.Error()) != CodeInvalidArgument {
		t.Fatalf("negative height: %v", err)
	}
}
