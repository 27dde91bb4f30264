package chainsim_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
)

func TestReorgUnconfirmsAndNotifiesBoth(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000) // block 101
	var j journal
	l := &listener{j: &j, name: "l"}
	cf := newConfirmer(&j, "cf")
	c.AddListener(l)
	f := c.AddConfirmer(cf)

	funding := spendAnyone(coins, 99_000)
	f.RegisterTx(funding.TxHash(), funding.TxOut[0].PkScript)
	require.NoError(t, c.Broadcast(ctx, funding))
	_, err := c.Mine(ctx, 2) // funding in 102, then 103
	require.NoError(t, err)
	require.Equal(t, 2, c.Confirmations(funding.TxHash()))
	oldTip, _ := c.Tip()
	old102, _ := c.Block(102)

	// The funding transaction's block is reorganised out, and the new
	// branch leaves it out: it is back in the mempool.
	hashes, err := c.Reorg(ctx, 2, chainsim.ReorgExclude(funding.TxHash()))
	require.NoError(t, err)
	require.Len(t, hashes, 2)
	require.Equal(t, 0, c.Confirmations(funding.TxHash()))
	require.Equal(t, uint32(103), c.Height())
	newTip, _ := c.Tip()
	require.NotEqual(t, oldTip.BlockHash(), newTip.BlockHash())
	require.Equal(t, hashes[1], newTip.BlockHash())
	new102, _ := c.Block(102)
	require.NotEqual(t, old102.BlockHash(), new102.BlockHash())
	short := funding.TxHash().String()[:8]
	require.Equal(t, []string{
		"l connect 102", "cf confirmed " + short + " at 102#1", "cf best 102",
		"l connect 103", "cf best 103",
		// The reorganisation: the old tip first, then the new branch.
		"l disconnect 103", "cf best 102",
		"l disconnect 102", "cf unconfirmed " + short, "cf best 101",
		"l connect 102", "cf best 102",
		"l connect 103", "cf best 103",
	}, j.all())
	require.Empty(t, cf.confirmed)

	// Mining again confirms it, in a block of the new branch.
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(funding.TxHash()))
	require.Equal(t, uint32(104), cf.confirmed[funding.TxHash()].Height)
	require.Equal(t, newTip.BlockHash(), l.blocks[len(l.blocks)-1].Header.PrevBlock)
}

func TestReorgReconfirmsInNewBlock(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000)
	var j journal
	cf := newConfirmer(&j, "cf")
	f := c.AddConfirmer(cf)
	tx := spendAnyone(coins, 99_000)
	f.RegisterTx(tx.TxHash(), tx.TxOut[0].PkScript)
	require.NoError(t, c.Broadcast(ctx, tx))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	before := cf.confirmed[tx.TxHash()]

	// A longer branch that confirms the same transaction again.
	_, err = c.Reorg(ctx, 1, chainsim.ReorgLength(3))
	require.NoError(t, err)
	require.Equal(t, uint32(104), c.Height())
	require.Equal(t, 3, c.Confirmations(tx.TxHash()))
	after := cf.confirmed[tx.TxHash()]
	require.Equal(t, before.Height, after.Height)
	require.NotEqual(t, before.BlockHash, after.BlockHash, "same height, another block")
	short := tx.TxHash().String()[:8]
	require.Equal(t, []string{"cf unconfirmed " + short, "cf best 101", "cf confirmed " + short + " at 102#1"}, j.all()[2:5])
}

func TestReorgWithConflictingReplacement(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000)
	var j journal
	l := &listener{j: &j, name: "l"}
	c.AddListener(l)
	payAlice := spendAnyone(coins, 99_000)
	child := spendAnyone([]btcwire.OutPoint{op(payAlice, 0)}, 98_000)
	require.NoError(t, c.Broadcast(ctx, payAlice, child))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)

	// The new branch confirms a double spend of the same coin, which pays
	// far less fee than payAlice: a miner's choice, no relay rules.
	payMallory := spendAnyone(coins, 99_999)
	payMallory.TxOut[0].PkScript = []byte{0x00, 0x14, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}
	hashes, err := c.Reorg(ctx, 1, chainsim.ReorgInclude(payMallory))
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(payMallory.TxHash()))
	require.Equal(t, -1, c.Confirmations(payAlice.TxHash()), "conflicted out")
	require.Equal(t, -1, c.Confirmations(child.TxHash()), "its descendant too")
	require.Empty(t, c.Mempool())
	spender, confs, spent := c.SpentBy(coins[0])
	require.True(t, spent)
	require.Equal(t, payMallory.TxHash(), spender)
	require.Equal(t, 1, confs)
	blk := l.blocks[len(l.blocks)-1]
	require.Equal(t, hashes[0], blk.Header.BlockHash())
	require.Equal(t, payMallory.TxHash(), blk.Txs[1].Tx.TxHash())

	// payAlice cannot come back now.
	requireReject(t, c.Broadcast(ctx, payAlice), chain.ErrDoubleSpend, payAlice.TxHash())
}

func TestReorgRefusedIncludeLeavesChainAlone(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000)
	tx := spendAnyone(coins, 99_000)
	require.NoError(t, c.Broadcast(ctx, tx))
	pending := spendAnyone([]btcwire.OutPoint{op(tx, 0)}, 98_000)
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, pending))
	var j journal
	c.AddListener(&listener{j: &j, name: "l"})
	tipBefore, _ := c.Tip()

	bogus := spendAnyone([]btcwire.OutPoint{{Hash: chainhash.Hash{5}}}, 1)
	_, err = c.Reorg(ctx, 1, chainsim.ReorgInclude(bogus))
	requireReject(t, err, chain.ErrMissingInput, bogus.TxHash())
	tipAfter, _ := c.Tip()
	require.Equal(t, tipBefore.BlockHash(), tipAfter.BlockHash())
	require.Equal(t, 1, c.Confirmations(tx.TxHash()))
	require.Equal(t, 0, c.Confirmations(pending.TxHash()))
	require.Empty(t, j.all(), "nobody is told of a reorganisation that did not happen")

	_, err = c.Reorg(ctx, 3)
	require.ErrorIs(t, err, chainsim.ErrBadRequest, "cannot disconnect the start block")
	_, err = c.Reorg(ctx, 1, chainsim.ReorgLength(0))
	require.ErrorIs(t, err, chainsim.ErrBadRequest, "the branch may not be shorter")
	_, err = c.Reorg(ctx, 0)
	require.ErrorIs(t, err, chainsim.ErrBadRequest)
}

func TestReorgDropsWhatIsNoLongerValid(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000, 100_000) // 101
	_, err := c.MineEmpty(ctx, 2)                 // 103
	require.NoError(t, err)
	// Final in block 104 only because the tip is 103.
	locked := spendAnyone(coins[:1], 99_000)
	locked.LockTime = 103
	require.NoError(t, c.Broadcast(ctx, locked))
	// A transaction without a lock time survives the reorganisation.
	plain := spendAnyone(coins[1:], 99_000)
	require.NoError(t, c.Broadcast(ctx, plain))

	// Disconnecting 103 makes the next block 103, where locked is not
	// final: it leaves the mempool and the new branch.
	_, err = c.Reorg(ctx, 1, chainsim.ReorgExclude(plain.TxHash()))
	require.NoError(t, err)
	require.Equal(t, -1, c.Confirmations(locked.TxHash()))
	require.Equal(t, 0, c.Confirmations(plain.TxHash()))
	require.NoError(t, c.Broadcast(ctx, locked), "valid again at the new tip")
}
