package chainsim_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
)

// TestBlocksAreValid checks every block against btcd's own validation
// code as an independent oracle: merkle root, witness commitment, proof of
// work, BIP 34 height, transaction sanity, links and timestamps.
func TestBlocksAreValid(t *testing.T) {
	const start = 700_000
	c := chainsim.New(chainsim.WithStartHeight(start))
	require.Equal(t, uint32(start), c.Height())
	w := c.NewWallet()
	_, err := w.Fund(ctx, 1_000_000)
	require.NoError(t, err)
	coins := faucetAnyone(t, c, 10_000, 10_000, 10_000)
	// Blocks with 1, 2, 3 and 4 transactions besides the coinbase, so the
	// merkle trees have odd and even levels.
	for n := 1; n <= 3; n++ {
		for i := range n {
			if i < len(coins) {
				require.NoError(t, c.Broadcast(ctx, spendAnyone(coins[i:i+1], 9000)))
			}
		}
		if n == 3 {
			tx, _ := pay(t, w, 2000, btcwire.NewTxOut(5000, anyonePkScript))
			require.NoError(t, c.Broadcast(ctx, tx))
		}
		coins = coins[min(n, len(coins)):]
		_, err := c.Mine(ctx, 1)
		require.NoError(t, err)
	}
	_, err = c.MineEmpty(ctx, 2)
	require.NoError(t, err)
	_, err = c.Reorg(ctx, 2, chainsim.ReorgLength(3))
	require.NoError(t, err)

	var prev *btcwire.MsgBlock
	for h := uint32(start); h <= c.Height(); h++ {
		blk, ok := c.Block(h)
		require.True(t, ok, "block %d", h)
		b := btcutil.NewBlock(blk)
		require.Equal(t, blockchain.CalcMerkleRoot(b.Transactions(), false), blk.Header.MerkleRoot, "merkle root of %d", h)
		require.NoError(t, blockchain.ValidateWitnessCommitment(b), "witness commitment of %d", h)
		require.NoError(t, blockchain.CheckProofOfWork(b, chaincfg.RegressionNetParams.PowLimit), "proof of work of %d", h)
		got, err := blockchain.ExtractCoinbaseHeight(b.Transactions()[0])
		require.NoError(t, err)
		require.Equal(t, int32(h), got, "BIP 34 height")
		require.True(t, blockchain.IsCoinBase(b.Transactions()[0]))
		for _, tx := range b.Transactions() {
			require.NoError(t, blockchain.CheckTransactionSanity(tx))
		}
		require.Equal(t, int64(chainsim.StartTime+int64(h)*chainsim.BlockInterval), blk.Header.Timestamp.Unix())
		if prev != nil {
			require.Equal(t, prev.BlockHash(), blk.Header.PrevBlock, "block %d links to %d", h, h-1)
		}
		var buf bytes.Buffer
		require.NoError(t, blk.Serialize(&buf))
		var back btcwire.MsgBlock
		require.NoError(t, back.Deserialize(&buf))
		require.Equal(t, blk.BlockHash(), back.BlockHash())
		prev = blk
	}
	_, ok := c.Block(start - 1)
	require.False(t, ok)
	_, ok = c.Block(c.Height() + 1)
	require.False(t, ok)
}

func TestCoinbasePaysFees(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 10_000, 10_000)
	require.NoError(t, c.Broadcast(ctx, spendAnyone(coins[:1], 9000), spendAnyone(coins[1:], 8500)))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	blk, _ := c.Block(c.Height())
	require.Len(t, blk.Transactions, 3)
	require.Equal(t, int64(1000+1500), blk.Transactions[0].TxOut[0].Value)
}

func TestMineTxConfirmsExactlyWhatItIsGiven(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 10_000, 10_000, 10_000)
	a := spendAnyone(coins[:1], 9000)
	b := spendAnyone(coins[1:2], 9000)
	require.NoError(t, c.Broadcast(ctx, a, b))

	// A zero-fee transaction the mempool would refuse, and a conflict
	// with b: the block holds them, b leaves the mempool, a stays.
	free := spendAnyone(coins[2:], 10_000)
	requireReject(t, c.Broadcast(ctx, free), chain.ErrFeeTooLow, free.TxHash())
	bConflict := spendAnyone(coins[1:2], 9999)
	hash, err := c.MineTx(ctx, free, bConflict)
	require.NoError(t, err)
	blk, _ := c.Block(c.Height())
	require.Equal(t, hash, blk.BlockHash())
	require.Len(t, blk.Transactions, 3)
	require.Equal(t, 1, c.Confirmations(free.TxHash()))
	require.Equal(t, 1, c.Confirmations(bConflict.TxHash()))
	require.Equal(t, -1, c.Confirmations(b.TxHash()))
	require.Equal(t, 0, c.Confirmations(a.TxHash()))
	require.Len(t, c.Mempool(), 1)

	_, err = c.MineTx(ctx, nil)
	require.ErrorIs(t, err, chainsim.ErrBadRequest)
	// An empty MineTx is an empty block.
	_, err = c.MineTx(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, c.Confirmations(a.TxHash()))
}

func TestDeterministic(t *testing.T) {
	run := func(opts ...chainsim.Option) []byte {
		c := chainsim.New(opts...)
		w := c.NewWallet()
		_, err := w.Fund(ctx, 50_000)
		require.NoError(t, err)
		tx, _ := pay(t, w, 1000, btcwire.NewTxOut(10_000, anyonePkScript))
		require.NoError(t, c.Broadcast(ctx, tx))
		_, err = c.Mine(ctx, 1)
		require.NoError(t, err)
		tip, _ := c.Tip()
		h := tip.BlockHash()
		return h[:]
	}
	require.Equal(t, run(), run(), "same default seed, same chain")
	require.Equal(t, run(chainsim.WithSeed([32]byte{1})), run(chainsim.WithSeed([32]byte{1})))
	require.NotEqual(t, run(), run(chainsim.WithSeed([32]byte{1})), "another seed, other keys")
}

func TestMineRespectsBlockWeight(t *testing.T) {
	c := chainsim.New()
	values := make([]btcutil.Amount, 11)
	for i := range values {
		values[i] = 200_000
	}
	coins := faucetAnyone(t, c, values...)
	// Eleven transactions of about 390,000 weight units each: ten fit in
	// a block, the eleventh waits for the next.
	var txs []*btcwire.MsgTx
	for i := range coins {
		tx := spendAnyone(coins[i:i+1], 100_000)
		tx.TxOut[0].PkScript = make([]byte, 97_000)
		require.Less(t, weight(tx), int64(chainsim.MaxStandardTxWeight))
		txs = append(txs, tx)
	}
	require.NoError(t, c.Broadcast(ctx, txs...))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	blk, _ := c.Block(c.Height())
	require.Len(t, blk.Transactions, 11, "coinbase and ten")
	require.LessOrEqual(t, weight(blk.Transactions[0])+func() int64 {
		var w int64
		for _, tx := range blk.Transactions[1:] {
			w += weight(tx)
		}
		return w
	}(), int64(chainsim.MaxBlockWeight))
	require.Equal(t, 0, c.Confirmations(txs[10].TxHash()), "FIFO: the last one waits")
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(txs[10].TxHash()))

	// Too heavy for the mempool.
	more := faucetAnyone(t, c, 200_000)
	heavy := spendAnyone(more, 100_000)
	heavy.TxOut[0].PkScript = make([]byte, 101_000)
	requireReject(t, c.Broadcast(ctx, heavy), chain.ErrInvalidTx, heavy.TxHash())
}

func TestMineTxExplainsMempoolParent(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 10_000)
	parent := spendAnyone(coins, 9000)
	child := spendAnyone([]btcwire.OutPoint{op(parent, 0)}, 8000)
	require.NoError(t, c.Broadcast(ctx, parent, child))
	_, err := c.MineTx(ctx, child)
	rej := requireReject(t, err, chain.ErrMissingInput, child.TxHash())
	require.Contains(t, rej.Reason, "mempool transaction")
	_, err = c.MineTx(ctx, parent, child)
	require.NoError(t, err)
	_, err = c.MineTx(ctx, parent)
	requireReject(t, err, chain.ErrInvalidTx, parent.TxHash())

	require.Panics(t, func() { chainsim.New(chainsim.WithStartHeight(chainsim.MaxStartHeight + 1)) })
}
