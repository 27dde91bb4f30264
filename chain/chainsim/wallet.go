package chainsim

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/script"
)

// P2WPKHWitnessWeight is the weight of a P2WPKH input's witness as the
// wallet budgets it: the item count, a 73-byte signature (the longest DER
// encoding plus the sighash byte) and a 33-byte key, each with its length.
const P2WPKHWitnessWeight = 1 + 1 + 73 + 1 + 33

// Wallet is an on-chain wallet of P2WPKH keys over a Chain, implementing
// chain.Wallet. Its coins are the confirmed outputs of the chain paying
// its scripts, so it follows reorganisations without bookkeeping; coins
// spent by a mempool transaction, immature coinbase outputs and coins
// locked by FundPsbt are not spent again. Several wallets may share a
// chain, one per simulated node.
//
// A Wallet is safe for concurrent use. Its methods other than Fund may be
// called from inside a consumer's callback.
type Wallet struct {
	c *Chain

	mu      sync.Mutex
	keys    map[string]*btcec.PrivateKey // by P2WPKH script
	scripts [][]byte                     // in creation order
	locked  map[btcwire.OutPoint]struct{}
}

var _ chain.Wallet = (*Wallet)(nil)

// NewWallet returns an empty wallet whose keys come from the chain's
// randomness.
func (c *Chain) NewWallet() *Wallet {
	return &Wallet{c: c, keys: make(map[string]*btcec.PrivateKey), locked: make(map[btcwire.OutPoint]struct{})}
}

// NewScript returns a fresh P2WPKH script of the wallet.
func (w *Wallet) NewScript(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.newScript(), nil
}

// newScript creates a key; the caller holds w.mu.
func (w *Wallet) newScript() []byte {
	w.c.mu.Lock()
	key := w.c.newKey()
	w.c.mu.Unlock()
	s := script.P2WPKH(key.PubKey())
	w.keys[string(s)] = key
	w.scripts = append(w.scripts, s)
	return s
}

// Fund gives the wallet amount from the chain's faucet, paid to a fresh
// script and confirmed in a new block (see Chain.Faucet), and returns the
// new coin. It mines, so it must not be called from a consumer's callback.
func (w *Wallet) Fund(ctx context.Context, amount btcutil.Amount) (btcwire.OutPoint, error) {
	s, err := w.NewScript(ctx)
	if err != nil {
		return btcwire.OutPoint{}, err
	}
	tx, err := w.c.Faucet(ctx, btcwire.NewTxOut(int64(amount), s))
	if tx == nil {
		return btcwire.OutPoint{}, err
	}
	return btcwire.OutPoint{Hash: tx.TxHash(), Index: 0}, err
}

// walletCoin is a coin the wallet may spend.
type walletCoin struct {
	op  btcwire.OutPoint
	out *btcwire.TxOut
}

// coins returns the wallet's confirmed, mature coins that no mempool
// transaction spends, largest first. The caller holds w.mu.
func (w *Wallet) coins() []walletCoin {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	next := w.c.height() + 1
	var out []walletCoin
	for _, s := range w.scripts {
		for op := range w.c.byScript[string(s)] {
			k := w.c.coins[op]
			if _, spent := w.c.pool.spends[op]; spent {
				continue
			}
			if k.coinbase && next < k.height+CoinbaseMaturity {
				continue
			}
			out = append(out, walletCoin{op: op, out: copyTxOut(&k.out)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].out.Value != out[j].out.Value {
			return out[i].out.Value > out[j].out.Value
		}
		return outPointLess(out[i].op, out[j].op)
	})
	return out
}

// Balance returns the value of the wallet's confirmed coins, including
// those locked or spent by a mempool transaction.
func (w *Wallet) Balance() btcutil.Amount {
	w.mu.Lock()
	scripts := append([][]byte(nil), w.scripts...)
	w.mu.Unlock()
	var sum btcutil.Amount
	for _, s := range scripts {
		sum += w.c.Balance(s)
	}
	return sum
}

// FundPsbt implements chain.Wallet. It adds the wallet's spendable coins
// that are not locked, largest first, until they pay req's outputs and the
// fee at req.FeeRate on the weight of the signed transaction (its own
// inputs' witnesses budgeted at P2WPKHWitnessWeight, the caller's at
// their WitnessWeight), plus a change output to a fresh script after
// req's outputs if the remainder is at least the P2WPKH dust limit (294
// sat); a smaller remainder goes to the fee. With no outputs asked for (a
// CPFP child) the change output is always made. Its inputs have sequence
// 0xfffffffd, so that a lock time applies and the transaction is
// replaceable. The coins it adds are locked until ReleaseInputs.
func (w *Wallet) FundPsbt(ctx context.Context, req *chain.FundRequest) (*chain.Funded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Outputs)+len(req.Inputs) == 0 {
		return nil, fmt.Errorf("chainsim: fund: nothing to fund: %w", ErrBadRequest)
	}
	version := req.Version
	if version == 0 {
		version = 2
	}
	tx := btcwire.NewMsgTx(version)
	tx.LockTime = req.LockTime
	var have, witness int64
	for i, in := range req.Inputs {
		if in.Prev == nil {
			return nil, fmt.Errorf("chainsim: fund: input %d has no previous output: %w", i, ErrBadRequest)
		}
		txin := btcwire.NewTxIn(&in.OutPoint, nil, nil)
		txin.Sequence = in.Sequence
		tx.AddTxIn(txin)
		have += in.Prev.Value
		witness += in.WitnessWeight
	}
	var need int64
	for i, o := range req.Outputs {
		if o == nil || o.Value < 0 {
			return nil, fmt.Errorf("chainsim: fund: output %d is missing or negative: %w", i, ErrBadRequest)
		}
		tx.AddTxOut(copyTxOut(o))
		need += o.Value
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	var picked []walletCoin
	candidates := w.coins()
	changeWeight := int64(8+1+script.P2WPKHSize) * witnessScale
	// A transaction needs an output: with none asked for, change is one.
	mustChange := len(tx.TxOut) == 0
	for {
		if len(tx.TxIn) > 0 {
			weight := int64(tx.SerializeSizeStripped()*witnessScale) + 2 + witness
			fee := int64(req.FeeRate.FeeForWeight(weight))
			feeWithChange := int64(req.FeeRate.FeeForWeight(weight + changeWeight))
			if change := have - need - feeWithChange; change >= int64(script.DustP2WPKH) {
				tx.AddTxOut(btcwire.NewTxOut(change, w.newScript()))
				return w.packet(tx, req.Inputs, picked, len(tx.TxOut)-1, btcutil.Amount(feeWithChange))
			}
			if have >= need+fee && !mustChange {
				return w.packet(tx, req.Inputs, picked, -1, btcutil.Amount(have-need))
			}
		}
		// Not enough yet: take the next unlocked coin.
		for len(candidates) > 0 {
			if _, locked := w.locked[candidates[0].op]; !locked {
				break
			}
			candidates = candidates[1:]
		}
		if len(candidates) == 0 {
			return nil, fmt.Errorf("chainsim: fund %v of outputs at %v: the wallet's spendable coins and the given inputs hold %v: %w",
				btcutil.Amount(need), req.FeeRate, btcutil.Amount(have), chain.ErrInsufficientFunds)
		}
		next := candidates[0]
		candidates = candidates[1:]
		picked = append(picked, next)
		txin := btcwire.NewTxIn(&next.op, nil, nil)
		txin.Sequence = btcwire.MaxTxInSequenceNum - 2
		tx.AddTxIn(txin)
		have += next.out.Value
		witness += P2WPKHWitnessWeight
	}
}

// packet wraps the funded transaction in a PSBT, records every input's
// previous output, and locks the wallet's coins. The caller holds w.mu.
func (w *Wallet) packet(tx *btcwire.MsgTx, given []chain.Input, picked []walletCoin, changeIndex int, fee btcutil.Amount) (*chain.Funded, error) {
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		return nil, fmt.Errorf("chainsim: fund: %w", err)
	}
	for i, in := range given {
		p.Inputs[i].WitnessUtxo = copyTxOut(in.Prev)
	}
	for i, k := range picked {
		p.Inputs[len(given)+i].WitnessUtxo = k.out
		w.locked[k.op] = struct{}{}
	}
	return &chain.Funded{Packet: p, ChangeIndex: changeIndex, Fee: fee}, nil
}

// SignPsbt implements chain.Wallet: it signs, with SIGHASH_ALL, and
// finalizes every input of p whose previous output (its WitnessUtxo)
// pays one of the wallet's scripts and that is not final yet. Other inputs
// are left as they are; every input needs its WitnessUtxo for the
// signature hashes.
func (w *Wallet) SignPsbt(ctx context.Context, p *psbt.Packet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil || p.UnsignedTx == nil || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return fmt.Errorf("chainsim: sign: malformed PSBT: %w", ErrBadRequest)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	tx := p.UnsignedTx
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range p.Inputs {
		if in.WitnessUtxo != nil {
			fetcher.AddPrevOut(tx.TxIn[i].PreviousOutPoint, in.WitnessUtxo)
		}
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	u, err := psbt.NewUpdater(p)
	if err != nil {
		return fmt.Errorf("chainsim: sign: %w", err)
	}
	for i, in := range p.Inputs {
		if in.WitnessUtxo == nil || in.FinalScriptWitness != nil {
			continue
		}
		key, ok := w.keys[string(in.WitnessUtxo.PkScript)]
		if !ok {
			continue
		}
		sig, err := txscript.RawTxInWitnessSignature(tx, hashes, i, in.WitnessUtxo.Value, in.WitnessUtxo.PkScript, txscript.SigHashAll, key)
		if err != nil {
			return fmt.Errorf("chainsim: sign input %d: %w", i, err)
		}
		if _, err := u.Sign(i, sig, key.PubKey().SerializeCompressed(), nil, nil); err != nil {
			return fmt.Errorf("chainsim: sign input %d: %w", i, err)
		}
		if err := psbt.Finalize(p, i); err != nil {
			return fmt.Errorf("chainsim: finalize input %d: %w", i, err)
		}
	}
	return nil
}

// ReleaseInputs implements chain.Wallet: it unlocks the inputs of p that
// FundPsbt locked.
func (w *Wallet) ReleaseInputs(ctx context.Context, p *psbt.Packet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil || p.UnsignedTx == nil {
		return fmt.Errorf("chainsim: release: malformed PSBT: %w", ErrBadRequest)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range p.UnsignedTx.TxIn {
		delete(w.locked, in.PreviousOutPoint)
	}
	return nil
}
