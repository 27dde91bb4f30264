package chainsim_test

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
)

func TestBroadcastThenMine(t *testing.T) {
	c := chainsim.New()
	require.Equal(t, uint32(chainsim.DefaultStartHeight), c.Height())
	w := c.NewWallet()
	coin, err := w.Fund(ctx, 100_000)
	require.NoError(t, err)
	require.Equal(t, uint32(101), c.Height(), "the faucet mines a block")
	require.Equal(t, 1, c.Confirmations(coin.Hash))
	require.Equal(t, btcutil.Amount(100_000), w.Balance())

	dest := []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	tx, _ := pay(t, w, 1000, btcwire.NewTxOut(40_000, dest))
	require.Equal(t, -1, c.Confirmations(tx.TxHash()))
	require.NoError(t, c.Broadcast(ctx, tx))
	require.Equal(t, 0, c.Confirmations(tx.TxHash()))
	spender, confs, spent := c.SpentBy(coin)
	require.True(t, spent)
	require.Equal(t, tx.TxHash(), spender)
	require.Equal(t, 0, confs)
	require.Len(t, c.Mempool(), 1)

	require.NoError(t, c.Broadcast(ctx, tx), "rebroadcasting a mempool transaction is a no-op")
	hashes, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Len(t, hashes, 1)
	require.Equal(t, 1, c.Confirmations(tx.TxHash()))
	require.Empty(t, c.Mempool())
	require.Equal(t, btcutil.Amount(40_000), c.Balance(dest))
	require.NoError(t, c.Broadcast(ctx, tx), "rebroadcasting a confirmed transaction is a no-op")
	_, err = c.Mine(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, 3, c.Confirmations(tx.TxHash()))
	got, confs, ok := c.Transaction(tx.TxHash())
	require.True(t, ok)
	require.Equal(t, 3, confs)
	require.Equal(t, tx.TxHash(), got.TxHash())
	_, confs, ok = c.Transaction(chainhash.Hash{7})
	require.False(t, ok)
	require.Equal(t, -1, confs)
}

func TestDoubleSpend(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 50_000, 50_000)
	first := spendAnyone(ins[:1], 49_000)
	require.NoError(t, c.Broadcast(ctx, first))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)

	// Against the chain: the output is spent by a confirmed transaction.
	again := spendAnyone(ins[:1], 48_000)
	rej := requireReject(t, c.Broadcast(ctx, again), chain.ErrDoubleSpend, again.TxHash())
	require.Equal(t, 0, rej.Input)
	require.Contains(t, rej.Reason, first.TxHash().String())

	// Within a package.
	a := spendAnyone(ins[1:], 49_000)
	b := spendAnyone(ins[1:], 48_000)
	rej = requireReject(t, c.Broadcast(ctx, a, b), chain.ErrDoubleSpend, b.TxHash())
	require.Equal(t, 1, rej.Index)
	require.Empty(t, c.Mempool(), "a refused package leaves nothing behind")

	// Within a block.
	_, err = c.MineTx(ctx, a, b)
	requireReject(t, err, chain.ErrDoubleSpend, b.TxHash())
	require.Equal(t, -1, c.Confirmations(a.TxHash()), "an invalid block is not mined")

	// The same transaction alone is fine.
	_, err = c.MineTx(ctx, a)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(a.TxHash()))
}

func TestMissingInput(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 50_000)

	unknown := spendAnyone([]btcwire.OutPoint{{Hash: chainhash.Hash{9}, Index: 0}}, 1000)
	requireReject(t, c.Broadcast(ctx, unknown), chain.ErrMissingInput, unknown.TxHash())

	noSuchIndex := spendAnyone([]btcwire.OutPoint{{Hash: ins[0].Hash, Index: 5}}, 1000)
	requireReject(t, c.Broadcast(ctx, noSuchIndex), chain.ErrMissingInput, noSuchIndex.TxHash())

	// A child broadcast before its parent is missing its input; after the
	// parent, it spends the parent's mempool output.
	parent := spendAnyone(ins, 49_000)
	child := spendAnyone([]btcwire.OutPoint{op(parent, 0)}, 48_000)
	requireReject(t, c.Broadcast(ctx, child), chain.ErrMissingInput, child.TxHash())
	require.NoError(t, c.Broadcast(ctx, parent))
	require.NoError(t, c.Broadcast(ctx, child))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(child.TxHash()))
	require.Equal(t, 1, c.Confirmations(parent.TxHash()))
	// Parent and child out of order in one package: the child is missing
	// its input.
	ins = faucetAnyone(t, c, 50_000)
	parent = spendAnyone(ins, 49_000)
	child = spendAnyone([]btcwire.OutPoint{op(parent, 0)}, 48_000)
	requireReject(t, c.Broadcast(ctx, child, parent), chain.ErrMissingInput, child.TxHash())
	require.NoError(t, c.Broadcast(ctx, parent, child))
}

func TestBadSignature(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 100_000)
	require.NoError(t, err)
	good, _ := pay(t, w, 1000, btcwire.NewTxOut(50_000, anyonePkScript))

	// Flip a bit of the signature's s value.
	bad := good.Copy()
	sig := bad.TxIn[0].Witness[0]
	sig[len(sig)-3] ^= 1
	rej := requireReject(t, c.Broadcast(ctx, bad), chain.ErrScript, bad.TxHash())
	require.Equal(t, 0, rej.Input)
	var se txscript.Error
	require.True(t, errors.As(rej, &se), "the txscript error is reachable: %v", rej)

	// Another wallet's key.
	other := c.NewWallet()
	_, err = other.Fund(ctx, 100_000)
	require.NoError(t, err)
	otherTx, _ := pay(t, other, 1000, btcwire.NewTxOut(50_000, anyonePkScript))
	stolen := good.Copy()
	stolen.TxIn[0].Witness = otherTx.TxIn[0].Witness
	requireReject(t, c.Broadcast(ctx, stolen), chain.ErrScript, stolen.TxHash())

	// Changing an output after signing breaks the signature too.
	changed := good.Copy()
	changed.TxOut[0].Value--
	requireReject(t, c.Broadcast(ctx, changed), chain.ErrScript, changed.TxHash())

	require.NoError(t, c.Broadcast(ctx, good))
}

func TestMalformed(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 10_000)

	tooMuch := spendAnyone(ins, 10_001)
	rej := requireReject(t, c.Broadcast(ctx, tooMuch), chain.ErrInvalidTx, tooMuch.TxHash())
	require.Contains(t, rej.Reason, "exceed inputs")

	negative := spendAnyone(ins, 5000)
	negative.TxOut[0].Value = -1
	requireReject(t, c.Broadcast(ctx, negative), chain.ErrInvalidTx, negative.TxHash())

	noOutputs := spendAnyone(ins)
	requireReject(t, c.Broadcast(ctx, noOutputs), chain.ErrInvalidTx, noOutputs.TxHash())

	noInputs := spendAnyone(nil, 1000)
	requireReject(t, c.Broadcast(ctx, noInputs), chain.ErrInvalidTx, noInputs.TxHash())

	twice := spendAnyone([]btcwire.OutPoint{ins[0], ins[0]}, 1000)
	requireReject(t, c.Broadcast(ctx, twice), chain.ErrInvalidTx, twice.TxHash())

	coinbaseLike := spendAnyone([]btcwire.OutPoint{{Index: btcwire.MaxPrevOutIndex}}, 1000)
	requireReject(t, c.Broadcast(ctx, coinbaseLike), chain.ErrInvalidTx, coinbaseLike.TxHash())

	require.ErrorIs(t, c.Broadcast(ctx, nil), chainsim.ErrBadRequest)

	exact := spendAnyone(ins, 10_000-1000)
	require.NoError(t, c.Broadcast(ctx, exact))
}
