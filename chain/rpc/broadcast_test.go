package rpc

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

func isCoinbase(tx *btcwire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == btcwire.MaxPrevOutIndex &&
		tx.TxIn[0].PreviousOutPoint.Hash == chainhash.Hash{}
}

// fundedNode starts btcd with coinbases paid to miner and mines past
// coinbase maturity, so that the coinbases of blocks 1..(count-100) can
// be spent.
func fundedNode(t *testing.T, miner key, count int) *node {
	t.Helper()
	n := startBtcd(t, miner.addr)
	n.generate(t, count)
	return n
}

// TestBroadcastDelivered: a transaction broadcast through the Client is
// accepted, rebroadcasting it is harmless before and after it confirms,
// and the Poller delivers the block that confirms it, with only the
// watched transactions when given a WatchFilter.
func TestBroadcastDelivered(t *testing.T) {
	miner, payee := newKey(t, 1), newKey(t, 2)
	n := fundedNode(t, miner, 101)
	filter := NewWatchFilter()
	r := newRecorder(t)
	r.seed(101, n.hashAt(t, 101))
	p := newPoller(t, n, r, PollerConfig{Filter: filter})
	mustSync(t, p)

	cb, value := n.coinbase(t, 1)
	tx := spend(t, miner, cb, value, 1000, payee.script)
	if err := n.client.Broadcast(bg, tx); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	if err := n.client.Broadcast(bg, tx); err != nil {
		t.Fatalf("rebroadcast of a mempool tx: %v", err)
	}
	filter.RegisterTx(tx.TxHash(), payee.script)
	hash := n.generate(t, 1)[0]
	mustSync(t, p)
	b := r.blocks[hash]
	if b == nil || len(b.Txs) != 1 || b.Txs[0].Index != 1 || b.Txs[0].Tx.TxHash() != tx.TxHash() {
		t.Fatalf("block delivered as %+v; want only the watched tx, at index 1", b)
	}
	if err := n.client.Broadcast(bg, tx); err != nil {
		t.Fatalf("rebroadcast of a confirmed tx: %v", err)
	}

	// A parent and its child in one block, only the parent's output
	// watched by outpoint: the child spends it and is delivered; then a
	// grandchild in the same block is delivered through the same-block
	// rule, and an unrelated spend is not.
	out := btcwire.OutPoint{Hash: tx.TxHash(), Index: 0}
	filter.RegisterOutput(chain.WatchedOutput{OutPoint: out})
	child := spend(t, payee, out, value-1000, 1000, payee.script)
	grandchild := spend(t, payee, btcwire.OutPoint{Hash: child.TxHash()}, value-2000, 1000, miner.script)
	cb2, value2 := n.coinbase(t, 2)
	unrelated := spend(t, miner, cb2, value2, 1000, miner.script)
	if err := n.client.Broadcast(bg, child, grandchild, unrelated); err != nil {
		t.Fatalf("Broadcast of three: %v", err)
	}
	hash = n.generate(t, 1)[0]
	mustSync(t, p)
	b = r.blocks[hash]
	full, err := n.client.Block(bg, hash)
	if err != nil {
		t.Fatal(err)
	}
	var want []chainhash.Hash
	for _, tx := range full.Transactions {
		if h := tx.TxHash(); h == child.TxHash() || h == grandchild.TxHash() {
			want = append(want, h)
		}
	}
	if b == nil || len(b.Txs) != 2 || len(want) != 2 {
		t.Fatalf("block delivered with %d txs; want the child and the grandchild", len(b.Txs))
	}
	for i, itx := range b.Txs {
		if itx.Tx.TxHash() != want[i] || full.Transactions[itx.Index].TxHash() != want[i] {
			t.Fatalf("delivered tx %d: %s at index %d; want %s at its index in the block", i, itx.Tx.TxHash(), itx.Index, want[i])
		}
	}
}

// TestBroadcastErrors: refusals are reported as *BroadcastError wrapping
// the matching chain sentinel.
func TestBroadcastErrors(t *testing.T) {
	miner, other := newKey(t, 1), newKey(t, 2)
	n := fundedNode(t, miner, 105)
	cb, value := n.coinbase(t, 1)
	tx := spend(t, miner, cb, value, 1000, other.script)
	if err := n.client.Broadcast(bg, tx); err != nil {
		t.Fatal(err)
	}

	check := func(name string, err error, sentinel error, index int) *BroadcastError {
		t.Helper()
		var be *BroadcastError
		if !errors.As(err, &be) || !errors.Is(err, sentinel) || be.Index != index {
			t.Fatalf("%s: Broadcast = %v; want a *BroadcastError at index %d wrapping %v", name, err, index, sentinel)
		}
		var rerr *btcjson.RPCError
		if !errors.As(err, &rerr) {
			t.Fatalf("%s: %v does not carry the node's RPCError", name, err)
		}
		return be
	}
	// The same coinbase spent again, while tx is in the mempool.
	conflict := spend(t, miner, cb, value, 2000, miner.script)
	check("double spend", n.client.Broadcast(bg, conflict), chain.ErrDoubleSpend, 0)
	// An output that does not exist.
	missing := spend(t, miner, btcwire.OutPoint{Hash: chainhash.Hash{1}, Index: 3}, value, 1000, miner.script)
	check("missing input", n.client.Broadcast(bg, missing), chain.ErrMissingInput, 0)
	// The coinbase of block 105 matures at 205.
	young, youngValue := n.coinbase(t, 105)
	check("immature coinbase", n.client.Broadcast(bg, spend(t, miner, young, youngValue, 1000, miner.script)), chain.ErrSequenceLock, 0)
	// A bad signature: signed by the wrong key.
	cb3, value3 := n.coinbase(t, 3)
	check("bad signature", n.client.Broadcast(bg, spend(t, other, cb3, value3, 1000, miner.script)), chain.ErrScript, 0)

	// A package: a parent paying a fee, a zero-fee child of the unconfirmed
	// parent (btcd's priority of an unconfirmed input is zero, and it has
	// no package relay), and a grandchild paying for both.
	cb4, value4 := n.coinbase(t, 4)
	parent := spend(t, miner, cb4, value4, 1000, other.script)
	zero := spend(t, other, btcwire.OutPoint{Hash: parent.TxHash()}, value4-1000, 0, other.script)
	payer := spend(t, other, btcwire.OutPoint{Hash: zero.TxHash()}, value4-1000, 50000, miner.script)
	err := n.client.Broadcast(bg, parent, zero, payer)
	be := check("zero-fee package", err, chain.ErrFeeTooLow, 1)
	if be.Txid != zero.TxHash() || be.Count != 3 || !errors.Is(err, rpcclient.ErrInsufficientFee) ||
		!strings.Contains(err.Error(), "insufficient priority") || !strings.Contains(err.Error(), "1 later tx(s) not sent") {
		t.Fatalf("zero-fee package: %v (%+v)", err, be)
	}
	// The parent before it was accepted: it is in the next block.
	hash := n.generate(t, 1)[0]
	blk, err := n.client.Block(bg, hash)
	if err != nil {
		t.Fatal(err)
	}
	var mined []chainhash.Hash
	for _, tx := range blk.Transactions[1:] {
		mined = append(mined, tx.TxHash())
	}
	if len(mined) != 2 || !(mined[0] == parent.TxHash() || mined[1] == parent.TxHash()) {
		t.Fatalf("block holds %v; want tx and the package's parent", mined)
	}
}

// TestClassify checks the mapping of node messages (btcd's and bitcoind's
// texts, as their RPC servers word them) to chain sentinels.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		code  btcjson.RPCErrorCode
		msg   string
		want  error
		known bool
	}{
		{btcjson.ErrRPCTxRejected, "TX rejected: transaction 11 has 0 fees which is under the required amount of 190", chain.ErrFeeTooLow, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: transaction 11 has insufficient priority (0 <= 5.76e+07)", chain.ErrFeeTooLow, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: output already spent in mempool: output=22:0, tx=33", chain.ErrDoubleSpend, false},
		{btcjson.ErrRPCTxError, "TX rejected: orphan transaction 11 references outputs of unknown or fully-spent transaction 22", chain.ErrMissingInput, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: already have transaction in mempool 11", nil, true},
		{btcjson.ErrRPCTxAlreadyInChain, "TX rejected: transaction already exists in blockchain", nil, true},
		{btcjson.ErrRPCTxRejected, "TX rejected: tried to spend coinbase transaction output 22:0 from height 105 at height 106 before required maturity of 100 blocks", chain.ErrSequenceLock, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: transaction is not finalized", chain.ErrNonFinal, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: transaction's sequence locks on inputs not met", chain.ErrSequenceLock, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: failed to validate input 11:0 which references output 22:0 - signature not empty on failed checksig", chain.ErrScript, false},
		{btcjson.ErrRPCTxRejected, "TX rejected: transaction has no outputs", chain.ErrInvalidTx, false},
		{-26, "min relay fee not met, 0 < 110", chain.ErrFeeTooLow, false},
		{-26, "mempool min fee not met, 100 < 1000", chain.ErrFeeTooLow, false},
		{-25, "bad-txns-inputs-missingorspent", chain.ErrMissingInput, false},
		{-26, "txn-mempool-conflict", chain.ErrDoubleSpend, false},
		{-26, "non-final", chain.ErrNonFinal, false},
		{-26, "non-BIP68-final", chain.ErrSequenceLock, false},
		{-26, "mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)", chain.ErrScript, false},
		{-27, "Transaction already in block chain", nil, true},
		{-26, "txn-already-known", nil, true},
		{-26, "dust", nil, false},
	} {
		kind, known := classify(&btcjson.RPCError{Code: c.code, Message: c.msg})
		if known != c.known || !errors.Is(kind, c.want) || (c.want == nil && kind != nil) {
			t.Errorf("classify(%q) = %v, known %v; want %v, known %v", c.msg, kind, known, c.want, c.known)
		}
	}
}

// TestBroadcastErrorText: the error names the transaction and what was not
// sent.
func TestBroadcastErrorText(t *testing.T) {
	e := &BroadcastError{Index: 0, Count: 2, Txid: chainhash.Hash{9}, Kind: chain.ErrFeeTooLow,
		Err: &btcjson.RPCError{Code: btcjson.ErrRPCTxRejected, Message: "TX rejected: transaction 11 has insufficient priority (0 <= 5.76e+07)"}}
	got := e.Error()
	for _, want := range []string{"tx 1 of 2", chainhash.Hash{9}.String(), "fee too low", "insufficient priority", "1 later tx(s) not sent"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if !errors.Is(e, chain.ErrFeeTooLow) || !errors.Is(e, rpcclient.ErrInsufficientFee) {
		t.Errorf("%v does not match its sentinels", e)
	}
}
