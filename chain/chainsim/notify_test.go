package chainsim_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
)

func TestListenersGetEveryBlockInOrder(t *testing.T) {
	c := chainsim.New()
	var j journal
	a, b := &listener{j: &j, name: "a"}, &listener{j: &j, name: "b"}
	c.AddListener(a)
	c.AddListener(b)
	coins := faucetAnyone(t, c, 10_000, 10_000)
	tx1 := spendAnyone(coins[:1], 9000)
	tx2 := spendAnyone(coins[1:], 9000)
	require.NoError(t, c.Broadcast(ctx, tx1, tx2))
	_, err := c.Mine(ctx, 2)
	require.NoError(t, err)

	require.Equal(t, []string{
		"a connect 101", "b connect 101",
		"a connect 102", "b connect 102",
		"a connect 103", "b connect 103",
	}, j.all())
	require.Len(t, a.blocks, 3)
	blk := a.blocks[1]
	require.Equal(t, uint32(102), blk.Height)
	require.Len(t, blk.Txs, 3, "a Listener gets every transaction, coinbase first")
	for i, itx := range blk.Txs {
		require.Equal(t, uint32(i), itx.Index)
	}
	require.Equal(t, tx1.TxHash(), blk.Txs[1].Tx.TxHash())
	require.Equal(t, tx2.TxHash(), blk.Txs[2].Tx.TxHash())
	require.Equal(t, a.blocks[0].Header.BlockHash(), blk.Header.PrevBlock)
	stored, ok := c.Block(102)
	require.True(t, ok)
	require.Equal(t, stored.BlockHash(), blk.Header.BlockHash())

	// What a consumer gets is its own copy.
	blk.Txs[1].Tx.TxOut[0].Value = 1
	again, _ := c.Block(102)
	require.Equal(t, int64(9000), again.Transactions[1].TxOut[0].Value)
}

// truthyScript returns a witness script anyone can satisfy, distinct for
// each n in 2..16: OP_n.
func truthyScript(n byte) []byte { return []byte{txscript.OP_2 + n - 2} }

func TestConfirmerGetsWhatItsFilterMatches(t *testing.T) {
	c := chainsim.New()
	var j journal
	cf := newConfirmer(&j, "cf")
	f := c.AddConfirmer(cf)
	coins := faucetAnyone(t, c, 10_000, 10_000, 10_000, 10_000)
	require.Equal(t, []string{"cf best 101"}, j.all(), "the faucet block matches nothing")

	scriptW := script.P2WSH(truthyScript(2))
	watched := spendAnyone(coins[:1], 9000)
	watched.TxOut[0].PkScript = scriptW
	other := spendAnyone(coins[1:2], 9000)
	spender := spendAnyone(coins[2:3], 9000)
	samePayee := spendAnyone(coins[3:4], 8000)
	samePayee.TxOut[0].PkScript = scriptW
	f.RegisterTx(watched.TxHash(), scriptW)
	f.RegisterOutput(chain.WatchedOutput{OutPoint: coins[2], PkScript: anyonePkScript})
	require.True(t, f.Matches(watched))
	require.True(t, f.Matches(spender))
	require.True(t, f.Matches(samePayee), "a host watching by script sees other payments to it")
	require.False(t, f.Matches(other))

	// A consumer that, on seeing watched confirm, asks for the spend of its
	// output: the child in the same block is found by a second look.
	child := btcwire.NewMsgTx(2)
	child.AddTxIn(btcwire.NewTxIn(&btcwire.OutPoint{Hash: watched.TxHash(), Index: 0}, nil, btcwire.TxWitness{truthyScript(2)}))
	child.AddTxOut(btcwire.NewTxOut(8000, anyonePkScript))
	cf.onConfirm = func(tx chain.IndexedTx) {
		if tx.Tx.TxHash() == watched.TxHash() {
			f.RegisterOutput(chain.WatchedOutput{OutPoint: op(tx.Tx, 0), PkScript: scriptW})
		}
	}
	require.NoError(t, c.Broadcast(ctx, watched, other, spender, child))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	short := func(tx *btcwire.MsgTx) string { return tx.TxHash().String()[:8] }
	require.Equal(t, []string{
		"cf best 101",
		"cf confirmed " + short(watched) + " at 102#1",
		"cf confirmed " + short(spender) + " at 102#3",
		"cf confirmed " + short(child) + " at 102#4",
		"cf best 102",
	}, j.all())

	// Every tip is reported, with or without matches; a later payment to
	// the registered script matches.
	require.NoError(t, c.Broadcast(ctx, samePayee))
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	_, err = c.MineEmpty(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []string{
		"cf confirmed " + short(samePayee) + " at 103#1",
		"cf best 103",
		"cf best 104",
	}, j.all()[5:])
	require.Len(t, cf.confirmed, 4)
}

func TestConsumerMayBroadcastFromCallback(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 500_000)
	require.NoError(t, err)
	coins := faucetAnyone(t, c, 10_000)
	// Built now, broadcast by the listener when it sees the next block:
	// a monitor reacting to a block with a sweep.
	sweep := spendAnyone(coins, 9000)
	var j journal
	var inside []error
	l := &listener{j: &j, name: "monitor"}
	l.onConnect = func(b *chain.Block) error {
		if b.Height != 104 {
			return nil
		}
		// Everything a consumer may do from inside a callback.
		inside = append(inside, c.Broadcast(ctx, sweep))
		_, err := c.EstimateFeeRate(ctx, 6)
		inside = append(inside, err)
		f, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(50_000, anyonePkScript)}, FeeRate: 1000})
		inside = append(inside, err)
		if err == nil {
			inside = append(inside, w.SignPsbt(ctx, f.Packet))
			tx, err := psbt.Extract(f.Packet)
			inside = append(inside, err, c.Broadcast(ctx, tx))
		}
		require.Equal(t, uint32(104), c.Height(), "queries see the connected block")
		return nil
	}
	c.AddListener(l)
	cf := newConfirmer(&j, "cf")
	c.AddConfirmer(cf).RegisterTx(sweep.TxHash(), sweep.TxOut[0].PkScript)

	_, err = c.Mine(ctx, 3)
	require.NoError(t, err)
	for _, e := range inside {
		require.NoError(t, e)
	}
	require.Len(t, inside, 6)
	require.Equal(t, 1, c.Confirmations(sweep.TxHash()), "mined in block 105, the next of the same Mine call")
	require.Equal(t, uint32(105), c.Height())
	require.Contains(t, cf.confirmed, sweep.TxHash())
	require.Equal(t, uint32(105), cf.confirmed[sweep.TxHash()].Height)
}

func TestConcurrentBroadcastWhileMining(t *testing.T) {
	c := chainsim.New()
	values := make([]btcutil.Amount, 40)
	for i := range values {
		values[i] = 10_000
	}
	coins := faucetAnyone(t, c, values...)
	var l listener
	l.j = &journal{}
	c.AddListener(&l)
	var wg sync.WaitGroup
	errs := make(chan error, len(coins)+5)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(coins); i += 4 {
				errs <- c.Broadcast(ctx, spendAnyone(coins[i:i+1], 9000))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			_, err := c.Mine(ctx, 1)
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Empty(t, c.Mempool())
	for _, coin := range coins {
		_, confs, spent := c.SpentBy(coin)
		require.True(t, spent)
		require.Positive(t, confs)
	}
	for i, b := range l.blocks {
		require.Equal(t, uint32(102+i), b.Height, "delivered in order")
	}
}

func TestConsumerErrorsAreReported(t *testing.T) {
	c := chainsim.New()
	var j journal
	boom := errors.New("disk full")
	bad := &listener{j: &j, name: "bad", onConnect: func(*chain.Block) error { return boom }}
	good := &listener{j: &j, name: "good"}
	c.AddListener(bad)
	c.AddListener(good)
	hashes, err := c.MineEmpty(ctx, 2)
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "consumer 0, connecting block 101")
	require.Len(t, hashes, 2, "the blocks stay mined")
	require.Equal(t, []string{"bad connect 101", "good connect 101", "bad connect 102", "good connect 102"}, j.all())
	require.Equal(t, uint32(102), c.Height())

	cancelled, cancel := contextWithCancel()
	cancel()
	_, err = c.Mine(cancelled, 1)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, uint32(102), c.Height())
	_, err = c.Mine(ctx, -1)
	require.ErrorIs(t, err, chainsim.ErrBadRequest)
}
