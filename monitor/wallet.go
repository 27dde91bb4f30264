package monitor

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// The bridge between channel's fee bumps, which take the wallet's coins as
// channel.WalletInputs and leave them unsigned, and chain.Wallet, which
// selects coins through FundPsbt and signs through SignPsbt.

// walletCoins asks the wallet for coins worth at least amount beyond the
// fee of spending them at rate: a funding request for one output of amount
// to the group's change script, of which only the inputs are kept. The
// coins stay locked by the wallet.
func (s *step) walletCoins(amount btcutil.Amount, rate wire.SatPerKWeight, g *groupState) ([]channel.WalletInput, error) {
	w := s.m.cfg.Wallet
	funded, err := w.FundPsbt(s.ctx, &chain.FundRequest{
		Outputs: []*btcwire.TxOut{{Value: int64(amount), PkScript: g.change}},
		FeeRate: rate,
	})
	if err != nil {
		return nil, err
	}
	have := map[btcwire.OutPoint]bool{}
	for _, in := range g.wallet {
		have[in.OutPoint] = true
	}
	var out []channel.WalletInput
	for i, in := range funded.Packet.UnsignedTx.TxIn {
		prev := funded.Packet.Inputs[i].WitnessUtxo
		if prev == nil || have[in.PreviousOutPoint] {
			continue
		}
		size, ok := walletWitnessSize(prev.PkScript)
		if !ok {
			continue
		}
		have[in.PreviousOutPoint] = true
		out = append(out, channel.WalletInput{
			OutPoint: in.PreviousOutPoint, Value: btcutil.Amount(prev.Value),
			PkScript: append([]byte(nil), prev.PkScript...), WitnessSize: size,
		})
	}
	if len(out) == 0 {
		_ = w.ReleaseInputs(s.ctx, funded.Packet)
		return nil, errors.New("the wallet offered no usable coin")
	}
	return out, nil
}

// walletWitnessSize is the largest witness of a wallet coin's spend.
func walletWitnessSize(pk []byte) (int, bool) {
	switch {
	case txscript.IsPayToWitnessPubKeyHash(pk):
		return channel.P2WPKHWitnessSize, true
	case txscript.IsPayToTaproot(pk):
		return channel.TaprootKeySpendWitnessSize, true
	}
	return 0, false
}

// walletSign has the wallet sign the inputs of w that are its own, through
// a PSBT of the transaction, and copies their witnesses into w.Tx.
func (s *step) walletSign(w *channel.WalletFundedTx) error {
	unsigned := w.Tx.Copy()
	for _, in := range unsigned.TxIn {
		in.Witness, in.SignatureScript = nil, nil
	}
	p, err := psbt.NewFromUnsignedTx(unsigned)
	if err != nil {
		return err
	}
	if len(w.PrevOuts) != len(p.Inputs) {
		return fmt.Errorf("%d previous outputs for %d inputs", len(w.PrevOuts), len(p.Inputs))
	}
	for i := range p.Inputs {
		p.Inputs[i].WitnessUtxo = w.PrevOuts[i]
	}
	if err := s.m.cfg.Wallet.SignPsbt(s.ctx, p); err != nil {
		return err
	}
	for _, idx := range w.WalletInputs {
		in := &p.Inputs[idx]
		if len(in.FinalScriptSig) != 0 || len(in.FinalScriptWitness) == 0 {
			return fmt.Errorf("the wallet did not sign input %d as a native segwit input", idx)
		}
		wit, err := parseWitnessStack(in.FinalScriptWitness)
		if err != nil {
			return fmt.Errorf("input %d: %w", idx, err)
		}
		w.Tx.TxIn[idx].Witness = wit
	}
	return nil
}

// parseWitnessStack decodes a serialized witness (a PSBT's
// FinalScriptWitness): an item count, then each item with its length.
func parseWitnessStack(b []byte) (btcwire.TxWitness, error) {
	r := bytes.NewReader(b)
	n, err := btcwire.ReadVarInt(r, 0)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("witness of %d items in %d bytes", n, len(b))
	}
	wit := make(btcwire.TxWitness, n)
	for i := range wit {
		item, err := btcwire.ReadVarBytes(r, 0, uint32(len(b)), "witness item")
		if err != nil {
			return nil, err
		}
		wit[i] = item
	}
	if r.Len() != 0 {
		return nil, errors.New("trailing bytes after the witness")
	}
	return wit, nil
}

// releaseWallet forgets a group's wallet inputs (one was spent elsewhere)
// and unlocks them.
func (s *step) releaseWallet(g *groupState) {
	g.built = nil
	if len(g.wallet) == 0 || s.m.cfg.Wallet == nil {
		g.wallet = nil
		return
	}
	tx := btcwire.NewMsgTx(2)
	for _, in := range g.wallet {
		op := in.OutPoint
		tx.AddTxIn(btcwire.NewTxIn(&op, nil, nil))
	}
	tx.AddTxOut(btcwire.NewTxOut(0, g.change))
	if p, err := psbt.NewFromUnsignedTx(tx); err == nil {
		_ = s.m.cfg.Wallet.ReleaseInputs(s.ctx, p)
	}
	g.wallet = nil
}

func amount(v int64) btcutil.Amount { return btcutil.Amount(v) }

func p2wsh(ws []byte) []byte { return script.P2WSH(ws) }

// spendsTx reports whether tx spends an output of txid.
func spendsTx(tx *btcwire.MsgTx, txid chainhash.Hash) bool {
	for _, in := range tx.TxIn {
		if in.PreviousOutPoint.Hash == txid {
			return true
		}
	}
	return false
}
