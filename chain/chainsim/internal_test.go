package chainsim

import (
	"sort"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/script"
)

func TestMerkleRootMatchesBtcd(t *testing.T) {
	for n := 1; n <= 9; n++ {
		var txs []*btcutil.Tx
		var hashes []chainhash.Hash
		for i := range n {
			tx := btcwire.NewMsgTx(2)
			tx.LockTime = uint32(i)
			tx.AddTxOut(btcwire.NewTxOut(int64(i), nil))
			txs = append(txs, btcutil.NewTx(tx))
			hashes = append(hashes, tx.TxHash())
		}
		require.Equal(t, blockchain.CalcMerkleRoot(txs, false), merkleRoot(hashes), "%d transactions", n)
	}
}

func TestMedianTimePast(t *testing.T) {
	for _, h := range []uint32{0, 1, 2, 3, 9, 10, 11, 100, 700_000} {
		var times []int64
		for k := int64(h); k >= 0 && k > int64(h)-11; k-- {
			times = append(times, blockTime(uint32(k)))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		require.Equal(t, times[len(times)/2], medianTimePast(h), "height %d", h)
	}
}

func TestCoinbaseMaturity(t *testing.T) {
	ws := []byte{txscript.OP_TRUE}
	prev := &btcwire.TxOut{Value: 50_000, PkScript: script.P2WSH(ws)}
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(btcwire.NewTxIn(&btcwire.OutPoint{Index: 0}, nil, btcwire.TxWitness{ws}))
	tx.AddTxOut(btcwire.NewTxOut(40_000, prev.PkScript))
	coinbaseAt := func(h uint32) []prevCoin { return []prevCoin{{out: prev, height: h, coinbase: true}} }

	_, rej := checkContext(tx, coinbaseAt(200), 299, medianTimePast(298))
	require.NotNil(t, rej)
	require.ErrorIs(t, rej, chain.ErrSequenceLock)
	require.Contains(t, rej.Reason, "maturity")
	fee, rej := checkContext(tx, coinbaseAt(200), 300, medianTimePast(299))
	require.Nil(t, rej)
	require.Equal(t, btcutil.Amount(10_000), fee)
	// A coin that is not a coinbase output has no such wait.
	_, rej = checkContext(tx, []prevCoin{{out: prev, height: 299}}, 300, medianTimePast(299))
	require.Nil(t, rej)
}

func TestIsFinal(t *testing.T) {
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(&btcwire.TxIn{Sequence: 0})
	for _, c := range []struct {
		lock   uint32
		height uint32
		mtp    int64
		final  bool
	}{
		{0, 1, 0, true},
		{100, 100, 0, false},
		{100, 101, 0, true},
		{txscript.LockTimeThreshold, 1_000_000, txscript.LockTimeThreshold, false},
		{txscript.LockTimeThreshold, 1, txscript.LockTimeThreshold + 1, true},
		{txscript.LockTimeThreshold - 1, txscript.LockTimeThreshold, 0, true},
	} {
		tx.LockTime = c.lock
		require.Equal(t, c.final, isFinal(tx, c.height, c.mtp), "%+v", c)
	}
	tx.LockTime = 1000
	tx.TxIn[0].Sequence = btcwire.MaxTxInSequenceNum
	require.True(t, isFinal(tx, 1, 0), "final sequences disable the lock time")
}
