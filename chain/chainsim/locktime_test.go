package chainsim_test

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

// fundScript has the faucet pay value to the P2WSH of ws and returns the
// outpoint and output.
func fundScript(t *testing.T, c *chainsim.Chain, ws []byte, value btcutil.Amount) (btcwire.OutPoint, *btcwire.TxOut) {
	t.Helper()
	out := btcwire.NewTxOut(int64(value), script.P2WSH(ws))
	tx, err := c.Faucet(ctx, out)
	require.NoError(t, err)
	return op(tx, 0), out
}

func TestNLockTimeByHeight(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 10_000)
	tip := c.Height()
	lock := tip + 3
	tx := spendAnyone(ins, 9000)
	tx.LockTime = lock

	// A transaction is final in a block whose height is above its lock
	// time, so it enters the mempool once the tip reaches the lock time.
	for c.Height() < lock {
		rej := requireReject(t, c.Broadcast(ctx, tx), chain.ErrNonFinal, tx.TxHash())
		require.Contains(t, rej.Reason, "nLockTime")
		_, err := c.MineTx(ctx, tx)
		requireReject(t, err, chain.ErrNonFinal, tx.TxHash())
		_, err = c.MineEmpty(ctx, 1)
		require.NoError(t, err)
	}
	require.NoError(t, c.Broadcast(ctx, tx))
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(tx.TxHash()))

	// A lock time with every sequence final does not apply.
	ins = faucetAnyone(t, c, 10_000)
	ignored := spendAnyone(ins, 9000)
	ignored.LockTime = c.Height() + 100
	ignored.TxIn[0].Sequence = btcwire.MaxTxInSequenceNum
	require.NoError(t, c.Broadcast(ctx, ignored))
}

func TestNLockTimeByTime(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 10_000, 10_000)
	mtp := c.MedianTimePast().Unix()
	require.Equal(t, int64(chainsim.StartTime+(int64(c.Height())-5)*chainsim.BlockInterval), mtp)

	// A commitment transaction's lock time: 0x20 in the top byte and the
	// obscured commitment number below, a time in 1987, long past.
	commitLike := spendAnyone(ins[:1], 9000)
	commitLike.LockTime = 0x20_12_34_56
	commitLike.TxIn[0].Sequence = 0x80_ab_cd_ef
	require.NoError(t, c.Broadcast(ctx, commitLike))

	future := spendAnyone(ins[1:], 9000)
	future.LockTime = uint32(mtp + 2*chainsim.BlockInterval)
	rej := requireReject(t, c.Broadcast(ctx, future), chain.ErrNonFinal, future.TxHash())
	require.Contains(t, rej.Reason, "median time past")
	_, err := c.MineEmpty(ctx, 2)
	require.NoError(t, err)
	requireReject(t, c.Broadcast(ctx, future), chain.ErrNonFinal, future.TxHash())
	_, err = c.MineEmpty(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, future), "median time past %d > lock time %d", c.MedianTimePast().Unix(), future.LockTime)
}

// cltvScript is `<expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP OP_TRUE`.
func cltvScript(t *testing.T, expiry uint32) []byte {
	s, err := txscript.NewScriptBuilder().AddInt64(int64(expiry)).
		AddOp(txscript.OP_CHECKLOCKTIMEVERIFY).AddOp(txscript.OP_DROP).AddOp(txscript.OP_TRUE).Script()
	require.NoError(t, err)
	return s
}

func TestCLTV(t *testing.T) {
	c := chainsim.New()
	expiry := c.Height() + 10
	ws := cltvScript(t, expiry)
	prev, prevOut := fundScript(t, c, ws, 20_000)

	spend := func(lockTime uint32) *btcwire.MsgTx {
		s := scripttest.NewSpend(prev, prevOut, btcwire.MaxTxInSequenceNum-1, lockTime)
		s.SetWitness(0, btcwire.TxWitness{ws})
		return s.Tx
	}

	// The right lock time is not final until the tip reaches it.
	onTime := spend(expiry)
	requireReject(t, c.Broadcast(ctx, onTime), chain.ErrNonFinal, onTime.TxHash())
	_, err := c.MineEmpty(ctx, int(expiry-1-c.Height()))
	require.NoError(t, err)
	requireReject(t, c.Broadcast(ctx, onTime), chain.ErrNonFinal, onTime.TxHash())

	// A lock time below the script's expiry is final now, but fails
	// OP_CHECKLOCKTIMEVERIFY.
	early := spend(expiry - 1)
	rej := requireReject(t, c.Broadcast(ctx, early), chain.ErrScript, early.TxHash())
	require.Equal(t, 0, rej.Input)

	_, err = c.MineEmpty(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, onTime))
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(onTime.TxHash()))
}

func TestCSV(t *testing.T) {
	const delay = 6
	c := chainsim.New()
	revocation, delayed := scripttest.Key("revocation"), scripttest.Key("delayed")
	ws, err := script.ToLocalScript(revocation.PubKey(), delayed.PubKey(), delay)
	require.NoError(t, err)
	prev, prevOut := fundScript(t, c, ws, 50_000)
	confirmedAt := c.Height()

	spend := func(version int32, sequence uint32) *btcwire.MsgTx {
		s := scripttest.NewSpend(prev, prevOut, sequence, 0)
		s.Tx.Version = version
		s.SetWitness(0, script.ToLocalDelayedWitness(s.MustSign(0, ws, delayed, txscript.SigHashAll), ws))
		return s.Tx
	}

	// Version 1 disables BIP 68, so OP_CSV fails at any depth.
	v1 := spend(1, delay)
	requireReject(t, c.Broadcast(ctx, v1), chain.ErrScript, v1.TxHash())

	// The right spend is held by BIP 68 until the output has delay
	// confirmations, i.e. until block confirmedAt+delay.
	good := spend(2, delay)
	for c.Height()+1 < confirmedAt+delay {
		rej := requireReject(t, c.Broadcast(ctx, good), chain.ErrSequenceLock, good.TxHash())
		require.Equal(t, 0, rej.Input)
		_, err := c.MineTx(ctx, good)
		requireReject(t, err, chain.ErrSequenceLock, good.TxHash())
		_, err = c.MineEmpty(ctx, 1)
		require.NoError(t, err)
	}
	// A sequence lower than the script's delay passes BIP 68 now, but
	// fails OP_CHECKSEQUENCEVERIFY.
	short := spend(2, delay-1)
	requireReject(t, c.Broadcast(ctx, short), chain.ErrScript, short.TxHash())

	require.NoError(t, c.Broadcast(ctx, good))
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(good.TxHash()))
	require.Equal(t, confirmedAt+delay, c.Height())

	// The revocation path has no delay.
	prev2, prevOut2 := fundScript(t, c, ws, 50_000)
	s := scripttest.NewSpend(prev2, prevOut2, btcwire.MaxTxInSequenceNum, 0)
	s.SetWitness(0, script.ToLocalRevokeWitness(s.MustSign(0, ws, revocation, txscript.SigHashAll), ws))
	require.NoError(t, c.Broadcast(ctx, s.Tx))
}

func TestSequenceLockOnUnconfirmedParent(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 10_000)
	parent := spendAnyone(ins, 9000)
	require.NoError(t, c.Broadcast(ctx, parent))
	// A relative lock of one block cannot spend an unconfirmed output: it
	// counts as confirmed in the next block, where the child would be too.
	child := spendAnyone([]btcwire.OutPoint{op(parent, 0)}, 8000)
	child.TxIn[0].Sequence = 1
	requireReject(t, c.Broadcast(ctx, child), chain.ErrSequenceLock, child.TxHash())
	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, child))
}

func TestSequenceLockByTime(t *testing.T) {
	c := chainsim.New()
	ins := faucetAnyone(t, c, 10_000)
	h := c.Height() // the output's block
	// Three units of 512 s. The clock starts at the median time past of
	// block h-1 and the lock ends 1536 s later; median time past moves
	// 600 s per block, so the spend may be in block h+3 and enters the
	// mempool once the tip is h+2.
	tx := spendAnyone(ins, 9000)
	tx.TxIn[0].Sequence = btcwire.SequenceLockTimeIsSeconds | 3
	for c.Height() < h+2 {
		rej := requireReject(t, c.Broadcast(ctx, tx), chain.ErrSequenceLock, tx.TxHash())
		require.Contains(t, rej.Reason, "1536 s")
		_, err := c.MineEmpty(ctx, 1)
		require.NoError(t, err)
	}
	require.NoError(t, c.Broadcast(ctx, tx))
	// The disable flag turns the lock off.
	ins = faucetAnyone(t, c, 10_000)
	off := spendAnyone(ins, 9000)
	off.TxIn[0].Sequence = btcwire.SequenceLockTimeDisabled | btcwire.SequenceLockTimeIsSeconds | 0xffff
	require.NoError(t, c.Broadcast(ctx, off))
}
