package monitor

import (
	"context"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// filterHost is a block-oriented host that hands its Listener only the
// transactions matching the Filter registrations, and delivers a block
// again when the Listener registered something new while taking it in.
type filterHost struct {
	mu     sync.Mutex
	outs   map[btcwire.OutPoint]bool
	txids  map[chainhash.Hash]bool
	gen    int
	target chain.Listener
	calls  int
}

func (f *filterHost) RegisterTx(txid chainhash.Hash, _ []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txids[txid] = true
	f.gen++
}

func (f *filterHost) RegisterOutput(o chain.WatchedOutput) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.outs[o.OutPoint] {
		f.outs[o.OutPoint] = true
		f.gen++
	}
}

func (f *filterHost) matches(tx *btcwire.MsgTx) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.txids[tx.TxHash()] {
		return true
	}
	for _, in := range tx.TxIn {
		if f.outs[in.PreviousOutPoint] {
			return true
		}
	}
	return false
}

func (f *filterHost) generation() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

func (f *filterHost) BlockConnected(ctx context.Context, b *chain.Block) error {
	for {
		gen := f.generation()
		sub := &chain.Block{Header: b.Header, Height: b.Height}
		for _, itx := range b.Txs {
			if f.matches(itx.Tx) {
				sub.Txs = append(sub.Txs, itx)
			}
		}
		f.calls++
		if err := f.target.BlockConnected(ctx, sub); err != nil {
			return err
		}
		if f.generation() == gen {
			return nil
		}
	}
}

func (f *filterHost) BlockDisconnected(ctx context.Context, h btcwire.BlockHeader, height uint32) error {
	return f.target.BlockDisconnected(ctx, h, height)
}

// TestFilteringHostSameBlockSpend: behind a host that passes only the
// transactions matching the Filter, bob's commitment and his HTLC-success
// transaction (no CSV without anchors) confirm in the same block. The
// monitor registers the commitment's outputs, the host looks at the block
// again, and the monitor learns the preimage from the HTLC-success it
// would otherwise have missed.
func TestFilteringHostSameBlockSpend(t *testing.T) {
	h := newHarness(t, hopts{typ: script.StaticRemoteKey, noBobMon: true})
	a, b := h.a, h.b
	base := h.ch.Height()
	id, pre := h.add(a, 200_000_000, base+30)
	host := &filterHost{outs: map[btcwire.OutPoint]bool{}, txids: map[chainhash.Hash]bool{}}
	cfg := h.monConfig(a, a.store, ModeFull)
	cfg.Filter = host
	mon, err := Open(h.ctx, cfg, a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	if !host.outs[a.params.FundingOutpoint] {
		t.Fatal("the funding outpoint is not registered")
	}
	host.target = mon
	a.mon = mon
	a.proxy.set(host)

	bc, sigs := h.localCommitment(b)
	idx := -1
	for i := range bc.HTLCs {
		if bc.HTLCs[i].Direction == htlc.Received && bc.HTLCs[i].ID == id {
			idx = i
		}
	}
	success, err := channelSignedHTLC(h, bc, idx, sigs.HTLCSigs[idx], &pre)
	if err != nil {
		t.Fatal(err)
	}
	h.mineTx(h.signedCommitment(b, bc, sigs), success)
	if host.calls < 2 {
		t.Fatal("the host did not deliver the block again")
	}
	evs := h.events(a)
	learned := eventsOf[*PreimageLearned](evs)
	if len(learned) != 1 || learned[0].Preimage != pre {
		t.Fatalf("events:%s", describe(evs))
	}
	expectOutcome(t, evs, htlc.Offered, id, Settled)
	h.mineUntilResolved(40, nil)
	swept, fees := h.checkSweeps(a)
	if swept+fees != bc.ToRemote.Value {
		t.Fatal("to_remote not swept")
	}
}

// channelSignedHTLC signs bob's HTLC transaction of his commitment.
func channelSignedHTLC(h *harness, c *channel.Commitment, i int, sig wire.Signature, pre *htlc.Preimage) (*btcwire.MsgTx, error) {
	return channel.SignedHTLCTx(h.ctx, h.b.signer, c, i, sig, pre)
}

// TestOpenRegistersWatchedOutputs: a monitor reopened after a close
// registers every output it watches with the Filter at once, before the
// host replays any block.
func TestOpenRegistersWatchedOutputs(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a, b := h.a, h.b
	base := h.ch.Height()
	h.add(a, 200_000_000, base+30)
	bc, sigs := h.localCommitment(b)
	h.mineTx(h.signedCommitment(b, bc, sigs))
	host := &filterHost{outs: map[btcwire.OutPoint]bool{}, txids: map[chainhash.Hash]bool{}}
	cfg := h.monConfig(a, a.store, ModeFull)
	cfg.Filter = host
	if _, err := Open(h.ctx, cfg, a.m.ChannelID()); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*channel.Output{&bc.ToRemote, &bc.HTLCs[0].Output} {
		if !host.outs[opOf(bc, o)] {
			t.Fatalf("output %d of the confirmed commitment not registered", o.Index)
		}
	}
}
