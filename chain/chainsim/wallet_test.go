package chainsim_test

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// TestFundChannelThenSpendWithBothKeys is the funding flow: the wallet
// funds a BOLT 3 2-of-2 P2WSH output, the funding outpoint is known from
// the unsigned PSBT (where the commitment transactions would be signed),
// the wallet signs, the transaction confirms, and a cooperative close
// spends the output with both keys through txscript.
func TestFundChannelThenSpendWithBothKeys(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 300_000)
	require.NoError(t, err)
	_, err = w.Fund(ctx, 200_000)
	require.NoError(t, err)

	local, remote := scripttest.Key("local funding"), scripttest.Key("remote funding")
	ws, fundingOut, err := script.FundingOutput(local.PubKey(), remote.PubKey(), 400_000)
	require.NoError(t, err)
	f, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{fundingOut}, FeeRate: 2500})
	require.NoError(t, err)

	// Before anything is signed: output 0 is the funding output and the
	// txid is final.
	unsigned := f.Packet.UnsignedTx
	require.Equal(t, fundingOut.PkScript, unsigned.TxOut[0].PkScript)
	require.Equal(t, fundingOut.Value, unsigned.TxOut[0].Value)
	fundingOutPoint := btcwire.OutPoint{Hash: unsigned.TxHash(), Index: 0}
	require.Len(t, unsigned.TxIn, 2, "needs both coins")
	require.Equal(t, 1, f.ChangeIndex)

	require.NoError(t, w.SignPsbt(ctx, f.Packet))
	require.True(t, f.Packet.IsComplete())
	fundingTx, err := psbt.Extract(f.Packet)
	require.NoError(t, err)
	require.Equal(t, fundingOutPoint.Hash, fundingTx.TxHash(), "signing did not change the txid")

	// The fee is what FundPsbt said, and pays at least the rate asked.
	require.Equal(t, btcutil.Amount(500_000-fundingTx.TxOut[0].Value-fundingTx.TxOut[1].Value), f.Fee)
	require.GreaterOrEqual(t, f.Fee, wire.SatPerKWeight(2500).FeeForWeight(weight(fundingTx)))
	require.Less(t, f.Fee, wire.SatPerKWeight(2600).FeeForWeight(weight(fundingTx)), "the estimate is close")

	require.NoError(t, c.Broadcast(ctx, fundingTx))
	_, err = c.Mine(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, 3, c.Confirmations(fundingTx.TxHash()))
	require.Equal(t, btcutil.Amount(400_000), c.Balance(fundingOut.PkScript))
	require.Equal(t, btcutil.Amount(fundingTx.TxOut[1].Value), w.Balance(), "only the change is left")

	// Cooperative close: both keys sign.
	closeTx := func(a, b *btcec.PrivateKey) *btcwire.MsgTx {
		s := scripttest.NewSpend(fundingOutPoint, fundingOut, btcwire.MaxTxInSequenceNum, 0)
		sigA := s.MustSign(0, ws, a, txscript.SigHashAll)
		sigB := s.MustSign(0, ws, b, txscript.SigHashAll)
		wit, err := script.FundingWitness(local.PubKey(), remote.PubKey(), sigA, sigB)
		require.NoError(t, err)
		s.SetWitness(0, wit)
		return s.Tx
	}
	// The engine agrees directly, outside the chain.
	direct := scripttest.ForTx(closeTx(local, remote), map[btcwire.OutPoint]*btcwire.TxOut{fundingOutPoint: fundingOut})
	require.NoError(t, direct.ExecuteAll())
	forged := closeTx(local, scripttest.Key("mallory"))
	requireReject(t, c.Broadcast(ctx, forged), chain.ErrScript, forged.TxHash())
	coop := closeTx(local, remote)
	require.NoError(t, c.Broadcast(ctx, coop))
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	spender, confs, spent := c.SpentBy(fundingOutPoint)
	require.True(t, spent)
	require.Equal(t, coop.TxHash(), spender)
	require.Equal(t, 1, confs)
}

func TestWalletInsufficientFunds(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	out := btcwire.NewTxOut(10_000, anyonePkScript)
	_, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{out}, FeeRate: 1000})
	require.ErrorIs(t, err, chain.ErrInsufficientFunds, "an empty wallet")
	_, err = w.Fund(ctx, 10_000)
	require.NoError(t, err)
	_, err = w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{out}, FeeRate: 1000})
	require.ErrorIs(t, err, chain.ErrInsufficientFunds, "enough for the output, not for the fee")
	out.Value = 9000
	_, err = w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{out}, FeeRate: 1000})
	require.NoError(t, err)

	_, err = w.FundPsbt(ctx, &chain.FundRequest{})
	require.ErrorIs(t, err, chainsim.ErrBadRequest)
	_, err = w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{{Value: -1}}})
	require.ErrorIs(t, err, chainsim.ErrBadRequest)
}

func TestWalletDustChangeGoesToFee(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 10_000)
	require.NoError(t, err)
	// Find the output value that leaves 100 sat beyond the fee without
	// change: the remainder is too small for change and goes to the fee.
	probe, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(1000, anyonePkScript)}, FeeRate: 1000})
	require.NoError(t, err)
	require.NoError(t, w.ReleaseInputs(ctx, probe.Packet))
	noChangeFee := probe.Fee - wire.SatPerKWeight(1000).FeeForWeight(int64(8+1+script.P2WPKHSize)*4)
	value := 10_000 - noChangeFee - 100
	f, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(int64(value), anyonePkScript)}, FeeRate: 1000})
	require.NoError(t, err)
	require.Equal(t, -1, f.ChangeIndex)
	require.Len(t, f.Packet.UnsignedTx.TxOut, 1)
	require.Equal(t, noChangeFee+100, f.Fee)
}

func TestWalletLocksInputs(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	for range 2 {
		_, err := w.Fund(ctx, 50_000)
		require.NoError(t, err)
	}
	req := &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(20_000, anyonePkScript)}, FeeRate: 1000}
	a, err := w.FundPsbt(ctx, req)
	require.NoError(t, err)
	b, err := w.FundPsbt(ctx, req)
	require.NoError(t, err)
	require.NotEqual(t, a.Packet.UnsignedTx.TxIn[0].PreviousOutPoint, b.Packet.UnsignedTx.TxIn[0].PreviousOutPoint, "concurrent requests get different coins")
	_, err = w.FundPsbt(ctx, req)
	require.ErrorIs(t, err, chain.ErrInsufficientFunds, "both coins are locked")

	require.NoError(t, w.ReleaseInputs(ctx, a.Packet))
	again, err := w.FundPsbt(ctx, req)
	require.NoError(t, err)
	require.Equal(t, a.Packet.UnsignedTx.TxIn[0].PreviousOutPoint, again.Packet.UnsignedTx.TxIn[0].PreviousOutPoint)

	// A coin spent in the mempool is not offered even when released.
	require.NoError(t, w.SignPsbt(ctx, again.Packet))
	tx, err := psbt.Extract(again.Packet)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, tx))
	require.NoError(t, w.ReleaseInputs(ctx, again.Packet))
	require.NoError(t, w.ReleaseInputs(ctx, b.Packet))
	c2, err := w.FundPsbt(ctx, req)
	require.NoError(t, err)
	require.Equal(t, b.Packet.UnsignedTx.TxIn[0].PreviousOutPoint, c2.Packet.UnsignedTx.TxIn[0].PreviousOutPoint)
}

func TestWalletsShareAChain(t *testing.T) {
	c := chainsim.New()
	alice, bob := c.NewWallet(), c.NewWallet()
	_, err := alice.Fund(ctx, 100_000)
	require.NoError(t, err)
	bobScript, err := bob.NewScript(ctx)
	require.NoError(t, err)
	require.True(t, txscript.IsPayToWitnessPubKeyHash(bobScript))
	tx, f := pay(t, alice, 1000, btcwire.NewTxOut(30_000, bobScript))
	require.NoError(t, c.Broadcast(ctx, tx))
	require.Equal(t, btcutil.Amount(100_000), alice.Balance(), "unconfirmed spends do not count")
	require.Zero(t, bob.Balance())
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, btcutil.Amount(30_000), bob.Balance())
	require.Equal(t, btcutil.Amount(70_000)-f.Fee, alice.Balance())

	// Bob spends what he received, and a reorganisation that drops his
	// coin's transaction takes it back out of his balance.
	back, _ := pay(t, bob, 1000, btcwire.NewTxOut(10_000, anyonePkScript))
	require.NoError(t, c.Broadcast(ctx, back))
	_, err = c.Reorg(ctx, 1, chainsim.ReorgExclude(tx.TxHash()))
	require.NoError(t, err)
	require.Zero(t, bob.Balance())
	require.Equal(t, 0, c.Confirmations(tx.TxHash()))
	require.Equal(t, 0, c.Confirmations(back.TxHash()), "still in the mempool behind its parent")

	// Only a wallet's own inputs are signed.
	_, err = alice.Fund(ctx, 5000)
	require.NoError(t, err)
	other, err := alice.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(1000, anyonePkScript)}, FeeRate: 1000})
	require.NoError(t, err)
	require.NoError(t, bob.SignPsbt(ctx, other.Packet))
	require.False(t, other.Packet.IsComplete())
	require.NoError(t, alice.SignPsbt(ctx, other.Packet))
	require.True(t, other.Packet.IsComplete())
	require.NoError(t, alice.SignPsbt(ctx, other.Packet), "signing again is a no-op")
}

func TestWalletHonoursVersionAndLockTime(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 100_000)
	require.NoError(t, err)
	lock := c.Height() + 2
	f, err := w.FundPsbt(ctx, &chain.FundRequest{
		Outputs:  []*btcwire.TxOut{btcwire.NewTxOut(1000, anyonePkScript)},
		FeeRate:  1000,
		Version:  3,
		LockTime: lock,
	})
	require.NoError(t, err)
	require.Equal(t, int32(3), f.Packet.UnsignedTx.Version)
	require.NoError(t, w.SignPsbt(ctx, f.Packet))
	tx, err := psbt.Extract(f.Packet)
	require.NoError(t, err)
	requireReject(t, c.Broadcast(ctx, tx), chain.ErrNonFinal, tx.TxHash())
	_, err = c.MineEmpty(ctx, 2)
	require.NoError(t, err)
	require.NoError(t, c.Broadcast(ctx, tx))
}
