package rpc

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/chain"
)

// TestUnspentOutput looks outputs up by position on a real btcd: a
// coinbase and a payment are found with their values and scripts; once
// spent in a block the coinbase is not found (while only in the mempool it
// still is, as gettxout without the mempool says); positions past the
// tip, the block's transactions or the transaction's outputs are not
// found.
func TestUnspentOutput(t *testing.T) {
	miner, payee := newKey(t, 1), newKey(t, 2)
	n := fundedNode(t, miner, 101)
	cb, value := n.coinbase(t, 1)

	out, err := n.client.UnspentOutput(bg, 1, 0, 0)
	if err != nil || out.Value != int64(value) || string(out.PkScript) != string(miner.script) {
		t.Fatalf("coinbase of block 1: %+v, %v", out, err)
	}
	tx := spend(t, miner, cb, value, 1000, payee.script)
	if err := n.client.Broadcast(bg, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.client.UnspentOutput(bg, 1, 0, 0); err != nil {
		t.Fatalf("spent only in the mempool: %v", err)
	}
	n.generate(t, 1)
	notFound := func(what string, h, i uint32, o uint16) {
		t.Helper()
		if _, err := n.client.UnspentOutput(bg, h, i, o); !errors.Is(err, chain.ErrOutputNotFound) {
			t.Fatalf("%s: %v; want ErrOutputNotFound", what, err)
		}
	}
	notFound("spent coinbase", 1, 0, 0)
	out, err = n.client.UnspentOutput(bg, 102, 1, 0)
	if err != nil || out.Value != int64(value-1000) || string(out.PkScript) != string(payee.script) {
		t.Fatalf("payment at 102:1:0: %+v, %v", out, err)
	}
	notFound("output index past the outputs", 102, 1, 1)
	notFound("tx index past the block", 102, 2, 0)
	notFound("height past the tip", 103, 0, 0)
}
