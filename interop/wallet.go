package interop

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/script"
)

// Wallet is a small P2WPKH on-chain wallet for the lnkit node under test,
// implementing chain.Wallet over a btcd chain. Its keys derive from a seed
// and live in memory; its coins are the outputs paying its scripts in the
// blocks it is fed as a chain.Listener (the harness puts it before the
// node in a chain.Listeners fan-out, so that the node's wallet calls see a
// block's coins). It follows reorganisations by undoing what each block
// added and spent. Coin selection takes the largest unlocked mature coins
// first; FundPsbt locks what it picks until ReleaseInputs or until a block
// spends it. It is safe for concurrent use.
type Wallet struct {
	params *chaincfg.Params
	seed   [32]byte

	mu      sync.Mutex
	keys    map[string]*btcec.PrivateKey // by P2WPKH script
	next    uint32
	coins   map[btcwire.OutPoint]walletCoin
	locked  map[btcwire.OutPoint]bool
	undo    map[uint32]blockUndo
	height  uint32
	tipHash chainhash.Hash
}

type walletCoin struct {
	out      btcwire.TxOut
	height   uint32
	coinbase bool
}

// blockUndo is what a block changed, to undo it on a disconnection.
type blockUndo struct {
	hash  chainhash.Hash
	added []btcwire.OutPoint
	spent map[btcwire.OutPoint]walletCoin
}

// p2wpkhWitnessWeight budgets a P2WPKH witness: item count, a 73-byte
// signature and a 33-byte key with their lengths.
const p2wpkhWitnessWeight = 1 + 1 + 73 + 1 + 33

const coinbaseMaturity = 100

var (
	_ chain.Wallet   = (*Wallet)(nil)
	_ chain.Listener = (*Wallet)(nil)
)

// NewWallet returns an empty wallet whose keys derive from seed.
func NewWallet(params *chaincfg.Params, seed [32]byte) *Wallet {
	return &Wallet{
		params: params, seed: seed,
		keys:   map[string]*btcec.PrivateKey{},
		coins:  map[btcwire.OutPoint]walletCoin{},
		locked: map[btcwire.OutPoint]bool{},
		undo:   map[uint32]blockUndo{},
	}
}

// key derives key i: HMAC-SHA256(seed, "interop/wallet/" || i), with a
// counter byte bumped in the (negligible) case of an invalid scalar.
func (w *Wallet) key(i uint32) *btcec.PrivateKey {
	for c := byte(0); ; c++ {
		mac := hmac.New(sha256.New, w.seed[:])
		mac.Write([]byte("interop/wallet/"))
		var b [5]byte
		binary.BigEndian.PutUint32(b[:4], i)
		b[4] = c
		mac.Write(b[:])
		var raw [32]byte
		copy(raw[:], mac.Sum(nil))
		var s btcec.ModNScalar
		if overflow := s.SetBytes(&raw); overflow == 0 && !s.IsZero() {
			return btcec.PrivKeyFromScalar(&s)
		}
	}
}

// newScript creates the next key's script; w.mu is held.
func (w *Wallet) newScript() []byte {
	k := w.key(w.next)
	w.next++
	s := script.P2WPKH(k.PubKey())
	w.keys[string(s)] = k
	return s
}

// NewScript implements chain.Wallet: a fresh P2WPKH script.
func (w *Wallet) NewScript(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.newScript(), nil
}

// NewAddress returns a fresh address of the wallet.
func (w *Wallet) NewAddress() (btcutil.Address, error) {
	s, err := w.NewScript(context.Background())
	if err != nil {
		return nil, err
	}
	return btcutil.NewAddressWitnessPubKeyHash(s[2:], w.params)
}

// Owns reports whether pkScript is one of the wallet's scripts.
func (w *Wallet) Owns(pkScript []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.keys[string(pkScript)]
	return ok
}

// Balance returns the value of the wallet's confirmed coins (locked ones
// included) and how many there are.
func (w *Wallet) Balance() (btcutil.Amount, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var sum btcutil.Amount
	for _, c := range w.coins {
		sum += btcutil.Amount(c.out.Value)
	}
	return sum, len(w.coins)
}

// Height returns the height of the last block the wallet was fed.
func (w *Wallet) Height() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.height
}

// BlockConnected implements chain.Listener. A block at or below the
// wallet's height is one it has seen (the Poller delivers a block again
// when another listener failed it) and changes nothing.
func (w *Wallet) BlockConnected(ctx context.Context, b *chain.Block) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.height != 0 && b.Height <= w.height {
		return nil
	}
	u := blockUndo{hash: b.Header.BlockHash(), spent: map[btcwire.OutPoint]walletCoin{}}
	for _, itx := range b.Txs {
		tx := itx.Tx
		coinbase := itx.Index == 0
		if !coinbase {
			for _, in := range tx.TxIn {
				if c, ok := w.coins[in.PreviousOutPoint]; ok {
					u.spent[in.PreviousOutPoint] = c
					delete(w.coins, in.PreviousOutPoint)
					delete(w.locked, in.PreviousOutPoint)
				}
			}
		}
		txid := tx.TxHash()
		for i, out := range tx.TxOut {
			if _, ours := w.keys[string(out.PkScript)]; !ours {
				continue
			}
			op := btcwire.OutPoint{Hash: txid, Index: uint32(i)}
			w.coins[op] = walletCoin{out: *out, height: b.Height, coinbase: coinbase}
			u.added = append(u.added, op)
		}
	}
	w.undo[b.Height] = u
	delete(w.undo, b.Height-200)
	w.height = b.Height
	w.tipHash = u.hash
	return nil
}

// BlockDisconnected implements chain.Listener: the block's coins go, the
// coins it spent come back.
func (w *Wallet) BlockDisconnected(ctx context.Context, header btcwire.BlockHeader, height uint32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if height != w.height {
		return nil // not our tip: already undone
	}
	u, ok := w.undo[height]
	if !ok || u.hash != header.BlockHash() {
		return fmt.Errorf("interop wallet: disconnect of block %d (%v) it has no record of", height, header.BlockHash())
	}
	for _, op := range u.added {
		delete(w.coins, op)
		delete(w.locked, op)
	}
	for op, c := range u.spent {
		w.coins[op] = c
	}
	delete(w.undo, height)
	w.height = height - 1
	return nil
}

type spendable struct {
	op  btcwire.OutPoint
	out btcwire.TxOut
}

// spendableCoins are the unlocked mature coins, largest first; w.mu is
// held.
func (w *Wallet) spendableCoins() []spendable {
	var out []spendable
	for op, c := range w.coins {
		if w.locked[op] || c.coinbase && w.height+1 < c.height+coinbaseMaturity {
			continue
		}
		out = append(out, spendable{op, c.out})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].out.Value != out[j].out.Value {
			return out[i].out.Value > out[j].out.Value
		}
		if c := bytes.Compare(out[i].op.Hash[:], out[j].op.Hash[:]); c != 0 {
			return c < 0
		}
		return out[i].op.Index < out[j].op.Index
	})
	return out
}

// FundPsbt implements chain.Wallet: the caller's inputs first, then the
// wallet's largest coins until the outputs and the fee at req.FeeRate on
// the signed weight are paid, with change after the caller's outputs when
// it is not dust (always, when no output was asked for). Inputs have
// sequence 0xfffffffd.
func (w *Wallet) FundPsbt(ctx context.Context, req *chain.FundRequest) (*chain.Funded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Outputs)+len(req.Inputs) == 0 {
		return nil, errors.New("interop wallet: nothing to fund")
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
			return nil, fmt.Errorf("interop wallet: input %d has no previous output", i)
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
			return nil, fmt.Errorf("interop wallet: output %d is missing or negative", i)
		}
		tx.AddTxOut(btcwire.NewTxOut(o.Value, append([]byte(nil), o.PkScript...)))
		need += o.Value
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	candidates := w.spendableCoins()
	var picked []spendable
	changeWeight := int64(8+1+script.P2WPKHSize) * 4
	mustChange := len(tx.TxOut) == 0
	for {
		if len(tx.TxIn) > 0 {
			weight := int64(tx.SerializeSizeStripped()*4) + 2 + witness
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
		if len(candidates) == 0 {
			return nil, fmt.Errorf("interop wallet: fund %v at %v: spendable coins and given inputs hold %v: %w",
				btcutil.Amount(need), req.FeeRate, btcutil.Amount(have), chain.ErrInsufficientFunds)
		}
		next := candidates[0]
		candidates = candidates[1:]
		picked = append(picked, next)
		txin := btcwire.NewTxIn(&next.op, nil, nil)
		txin.Sequence = btcwire.MaxTxInSequenceNum - 2
		tx.AddTxIn(txin)
		have += next.out.Value
		witness += p2wpkhWitnessWeight
	}
}

// packet wraps tx in a PSBT with every input's previous output and locks
// the picked coins; w.mu is held.
func (w *Wallet) packet(tx *btcwire.MsgTx, given []chain.Input, picked []spendable, change int, fee btcutil.Amount) (*chain.Funded, error) {
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		return nil, fmt.Errorf("interop wallet: %w", err)
	}
	for i, in := range given {
		p.Inputs[i].WitnessUtxo = btcwire.NewTxOut(in.Prev.Value, append([]byte(nil), in.Prev.PkScript...))
	}
	for i, k := range picked {
		p.Inputs[len(given)+i].WitnessUtxo = btcwire.NewTxOut(k.out.Value, append([]byte(nil), k.out.PkScript...))
		w.locked[k.op] = true
	}
	return &chain.Funded{Packet: p, ChangeIndex: change, Fee: fee}, nil
}

// SignPsbt implements chain.Wallet: every input whose WitnessUtxo pays one
// of the wallet's scripts, not yet final, is signed with SIGHASH_ALL
// (btcutil/psbt's Updater) and finalized.
func (w *Wallet) SignPsbt(ctx context.Context, p *psbt.Packet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil || p.UnsignedTx == nil || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return errors.New("interop wallet: malformed PSBT")
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
		return fmt.Errorf("interop wallet: %w", err)
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
			return fmt.Errorf("interop wallet: sign input %d: %w", i, err)
		}
		if _, err := u.Sign(i, sig, key.PubKey().SerializeCompressed(), nil, nil); err != nil {
			return fmt.Errorf("interop wallet: sign input %d: %w", i, err)
		}
		if err := psbt.Finalize(p, i); err != nil {
			return fmt.Errorf("interop wallet: finalize input %d: %w", i, err)
		}
	}
	return nil
}

// ReleaseInputs implements chain.Wallet.
func (w *Wallet) ReleaseInputs(ctx context.Context, p *psbt.Packet) error {
	if p == nil || p.UnsignedTx == nil {
		return errors.New("interop wallet: malformed PSBT")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range p.UnsignedTx.TxIn {
		delete(w.locked, in.PreviousOutPoint)
	}
	return nil
}
