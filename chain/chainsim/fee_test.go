package chainsim_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// anchorWitnessWeight is the weight of `<sig> <anchor script>`.
const anchorWitnessWeight = 1 + 1 + 73 + 1 + script.AnchorScriptSize

// zeroFeeWithAnchor spends coin (worth value) into an anyone-can-spend
// output and an anchor output for key, paying no fee, like a commitment
// transaction whose fee is left to CPFP.
func zeroFeeWithAnchor(t *testing.T, coin btcwire.OutPoint, value btcutil.Amount, anchorWS []byte) *btcwire.MsgTx {
	tx := spendAnyone([]btcwire.OutPoint{coin}, value-script.AnchorOutputValue)
	tx.AddTxOut(btcwire.NewTxOut(int64(script.AnchorOutputValue), script.P2WSH(anchorWS)))
	return tx
}

// cpfpChild has w fund a child spending parent's anchor (output 1) at
// rate, signs the anchor input with key and the rest with the wallet.
func cpfpChild(t *testing.T, w *chainsim.Wallet, parent *btcwire.MsgTx, anchorWS []byte, rate wire.SatPerKWeight) *btcwire.MsgTx {
	t.Helper()
	key := scripttest.Key("anchor")
	anchor := parent.TxOut[1]
	f, err := w.FundPsbt(ctx, &chain.FundRequest{
		Inputs: []chain.Input{{
			OutPoint: op(parent, 1), Prev: anchor,
			Sequence: btcwire.MaxTxInSequenceNum, WitnessWeight: anchorWitnessWeight,
		}},
		FeeRate: rate,
	})
	require.NoError(t, err)
	require.Equal(t, 0, f.ChangeIndex, "no outputs were asked for, so change comes first")
	require.NoError(t, w.SignPsbt(ctx, f.Packet))
	require.Nil(t, f.Packet.Inputs[0].FinalScriptWitness, "the wallet leaves the anchor alone")

	// Sign the anchor as its owner would and finalize it in the PSBT.
	tx := f.Packet.UnsignedTx
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range f.Packet.Inputs {
		fetcher.AddPrevOut(tx.TxIn[i].PreviousOutPoint, in.WitnessUtxo)
	}
	sig, err := txscript.RawTxInWitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, anchor.Value, anchorWS, txscript.SigHashAll, key)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, psbt.WriteTxWitness(&buf, script.AnchorWitness(sig, anchorWS)))
	f.Packet.Inputs[0].FinalScriptWitness = buf.Bytes()
	child, err := psbt.Extract(f.Packet)
	require.NoError(t, err)
	return child
}

func TestMinRelayFeeAndCPFPPackage(t *testing.T) {
	c := chainsim.New()
	w := c.NewWallet()
	_, err := w.Fund(ctx, 1_000_000)
	require.NoError(t, err)
	anchorWS, err := script.AnchorScript(scripttest.Key("anchor").PubKey())
	require.NoError(t, err)
	coins := faucetAnyone(t, c, 100_000, 100_000)

	parent := zeroFeeWithAnchor(t, coins[0], 100_000, anchorWS)
	rej := requireReject(t, c.Broadcast(ctx, parent), chain.ErrFeeTooLow, parent.TxHash())
	require.Contains(t, rej.Reason, "minimum relay fee rate 253 sat/kw")

	// A child paying too little for both: the package is refused.
	poor := cpfpChild(t, w, parent, anchorWS, 253)
	rej = requireReject(t, c.Broadcast(ctx, parent, poor), chain.ErrFeeTooLow, parent.TxHash())
	require.Contains(t, rej.Reason, "no descendant in the package pays enough")
	require.Empty(t, c.Mempool())
	require.NoError(t, w.ReleaseInputs(ctx, mustPacket(t, poor)))

	// The child alone is missing its parent.
	child := cpfpChild(t, w, parent, anchorWS, 2000)
	requireReject(t, c.Broadcast(ctx, child), chain.ErrMissingInput, child.TxHash())

	// Together they pass: the package pays the rate on their total weight.
	fee := btcutil.Amount(0)
	for _, prev := range child.TxIn[1:] {
		out, ok := c.UTXO(prev.PreviousOutPoint)
		require.True(t, ok)
		fee += btcutil.Amount(out.Value)
	}
	fee += script.AnchorOutputValue
	for _, out := range child.TxOut {
		fee -= btcutil.Amount(out.Value)
	}
	require.GreaterOrEqual(t, fee, chain.FeeRateFloor.FeeForWeight(weight(parent)+weight(child)))
	require.Less(t, fee, chain.FeeRateFloor.FeeForWeight(weight(parent)+weight(child))*10, "a sane fee")
	require.NoError(t, c.Broadcast(ctx, parent, child))
	require.Len(t, c.Mempool(), 2)
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(parent.TxHash()))
	require.Equal(t, 1, c.Confirmations(child.TxHash()))

	// Without a minimum relay fee, a zero-fee transaction is accepted.
	free := chainsim.New(chainsim.WithMinRelayFeeRate(0))
	coins = faucetAnyone(t, free, 100_000)
	require.NoError(t, free.Broadcast(ctx, zeroFeeWithAnchor(t, coins[0], 100_000, anchorWS)))
}

// mustPacket wraps tx's outpoints for ReleaseInputs.
func mustPacket(t *testing.T, tx *btcwire.MsgTx) *psbt.Packet {
	bare := tx.Copy()
	for _, in := range bare.TxIn {
		in.Witness = nil
	}
	p, err := psbt.NewFromUnsignedTx(bare)
	require.NoError(t, err)
	return p
}

func TestFeeRateAtFloor(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000, 100_000)
	probe := spendAnyone(coins[:1], 99_000)
	need := feeFor(probe, chain.FeeRateFloor)

	under := spendAnyone(coins[:1], 100_000-need+1)
	requireReject(t, c.Broadcast(ctx, under), chain.ErrFeeTooLow, under.TxHash())
	at := spendAnyone(coins[:1], 100_000-need)
	require.NoError(t, c.Broadcast(ctx, at))

	// A higher floor applies to the same transaction.
	strict := chainsim.New(chainsim.WithMinRelayFeeRate(1000))
	coins = faucetAnyone(t, strict, 100_000)
	tx := spendAnyone(coins, 100_000-need)
	requireReject(t, strict.Broadcast(ctx, tx), chain.ErrFeeTooLow, tx.TxHash())
}

func TestReplaceByFee(t *testing.T) {
	c := chainsim.New()
	coins := faucetAnyone(t, c, 100_000, 100_000)
	coin := coins[0]

	a := spendAnyone([]btcwire.OutPoint{coin}, 99_000)      // fee 1000
	a2 := spendAnyone([]btcwire.OutPoint{op(a, 0)}, 98_000) // fee 1000
	require.NoError(t, c.Broadcast(ctx, a, a2))

	// b evicts a and a2 (2000 sat): it must pay more than that plus the
	// relay fee on its own weight.
	incr := feeFor(spendAnyone([]btcwire.OutPoint{coin}, 1), chain.FeeRateFloor)
	low := spendAnyone([]btcwire.OutPoint{coin}, 100_000-1500)
	rej := requireReject(t, c.Broadcast(ctx, low), chain.ErrFeeTooLow, low.TxHash())
	require.Contains(t, rej.Reason, "replacement")
	require.ElementsMatch(t, []chainhash.Hash{a.TxHash(), a2.TxHash()}, rej.Conflicts)
	justShort := spendAnyone([]btcwire.OutPoint{coin}, 100_000-2000-incr+1)
	requireReject(t, c.Broadcast(ctx, justShort), chain.ErrFeeTooLow, justShort.TxHash())

	b := spendAnyone([]btcwire.OutPoint{coin}, 100_000-2000-incr)
	require.NoError(t, c.Broadcast(ctx, b))
	require.Equal(t, -1, c.Confirmations(a.TxHash()), "replaced")
	require.Equal(t, -1, c.Confirmations(a2.TxHash()), "descendant of the replaced")
	require.Equal(t, 0, c.Confirmations(b.TxHash()))
	spender, _, _ := c.SpentBy(coin)
	require.Equal(t, b.TxHash(), spender)

	// More absolute fee but a lower fee rate than b: refused.
	bFee := 2000 + incr
	outs := make([]btcutil.Amount, 60)
	for i := range outs {
		outs[i] = 1000
	}
	big := spendAnyone([]btcwire.OutPoint{coin}, outs...)
	bigFee := bFee + feeFor(big, chain.FeeRateFloor) + 10
	big.TxOut[0].Value = int64(100_000 - 59*1000 - bigFee)
	rej = requireReject(t, c.Broadcast(ctx, big), chain.ErrFeeTooLow, big.TxHash())
	require.Contains(t, rej.Reason, "sat/kw, not more than")

	// A replacement may not spend the output of what it replaces.
	both := spendAnyone([]btcwire.OutPoint{coin, op(b, 0)}, 100_000)
	requireReject(t, c.Broadcast(ctx, both), chain.ErrDoubleSpend, both.TxHash())

	// A replacement too poor on its own is carried by its child.
	e := spendAnyone([]btcwire.OutPoint{coin}, 100_000-bFee-1)
	requireReject(t, c.Broadcast(ctx, e), chain.ErrFeeTooLow, e.TxHash())
	eChild := spendAnyone([]btcwire.OutPoint{op(e, 0)}, btcutil.Amount(e.TxOut[0].Value)-5000)
	require.NoError(t, c.Broadcast(ctx, e, eChild))
	require.Equal(t, -1, c.Confirmations(b.TxHash()))

	_, err := c.Mine(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, c.Confirmations(e.TxHash()))
	require.Equal(t, 1, c.Confirmations(eChild.TxHash()))
	require.Equal(t, -1, c.Confirmations(a.TxHash()))
}

func TestRejectErrorFormat(t *testing.T) {
	c := chainsim.New()
	tx := spendAnyone([]btcwire.OutPoint{{Hash: chainhash.Hash{1}}}, 1)
	err := c.Broadcast(ctx, spendAnyone(faucetAnyone(t, c, 5000), 4000), tx)
	var rej *chainsim.RejectError
	require.True(t, errors.As(err, &rej))
	require.Equal(t, 1, rej.Index)
	require.Equal(t, 0, rej.Input)
	require.Equal(t, "chainsim: tx "+tx.TxHash().String()+" (#1) input 0: chain: input spends an unknown output: spends "+
		tx.TxIn[0].PreviousOutPoint.String()+", an output of a transaction the chain does not know", err.Error())
	require.Empty(t, c.Mempool(), "all or nothing")
}

func TestFeeEstimator(t *testing.T) {
	c := chainsim.New()
	var est chain.FeeEstimator = c
	rate, err := est.EstimateFeeRate(ctx, 6)
	require.NoError(t, err)
	require.Equal(t, chainsim.DefaultFeeRate, rate)

	c.SetFeeRate(1000)
	c.SetFeeRateFor(1, 20_000)
	c.SetFeeRateFor(6, 5000)
	for target, want := range map[uint32]wire.SatPerKWeight{0: 20_000, 1: 20_000, 5: 20_000, 6: 5000, 144: 5000} {
		got, err := est.EstimateFeeRate(ctx, target)
		require.NoError(t, err)
		require.Equal(t, want, got, "target %d", target)
	}
	c.SetFeeRateFor(1, 100)
	got, err := est.EstimateFeeRate(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, wire.SatPerKWeight(100), got, "answered as set")
	require.Equal(t, chain.FeeRateFloor, chain.ClampFeeRate(got))

	cancelled, cancel := contextWithCancel()
	cancel()
	_, err = est.EstimateFeeRate(cancelled, 1)
	require.Error(t, err)
}
