package chainsim

import (
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// blockRec is a block of the best chain with what disconnecting it needs.
type blockRec struct {
	block  *btcwire.MsgBlock
	hash   chainhash.Hash
	height uint32
	// undo holds the coins the block spent, in the order it spent them.
	undo []undoCoin
}

type undoCoin struct {
	op   btcwire.OutPoint
	coin *coin
}

// Blocks carry regtest's minimum difficulty; mining tries nonces until the
// header hash meets it, which takes two tries on average.
var (
	powBits   = chaincfg.RegressionNetParams.PowLimitBits
	powTarget = chaincfg.RegressionNetParams.PowLimit
)

// witnessMagic starts the BIP 141 witness commitment output.
var witnessMagic = []byte{txscript.OP_RETURN, txscript.OP_DATA_36, 0xaa, 0x21, 0xa9, 0xed}

// blockTime is the timestamp of the block at height h.
func blockTime(h uint32) int64 { return StartTime + int64(h)*BlockInterval }

// medianTimePast is the median of the timestamps of the block at height h
// and the ten before it (BIP 113), from the formula of blockTime.
func medianTimePast(h uint32) int64 {
	n := min(h+1, 11)
	return blockTime(h + 1 - n + n/2)
}

// coinbase returns a coinbase for a block at height paying outs, with the
// height (BIP 34) and a fresh extra nonce in its script, so that no two
// blocks the chain mines are alike. The caller holds mu.
func (c *Chain) coinbase(height uint32, outs []*btcwire.TxOut) *btcwire.MsgTx {
	c.extraNonce++
	sig, err := txscript.NewScriptBuilder().AddInt64(int64(height)).AddInt64(int64(c.extraNonce)).Script()
	if err != nil {
		panic("chainsim: coinbase script: " + err.Error())
	}
	tx := btcwire.NewMsgTx(1)
	tx.AddTxIn(&btcwire.TxIn{
		PreviousOutPoint: btcwire.OutPoint{Index: btcwire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         btcwire.MaxTxInSequenceNum,
	})
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	return tx
}

// assemble completes a block at height on top of prev: it adds the BIP 141
// witness commitment to cb (the coinbase), computes the merkle root and
// finds a nonce meeting the target.
func (c *Chain) assemble(height uint32, prev chainhash.Hash, cb *btcwire.MsgTx, txs []*btcwire.MsgTx) *btcwire.MsgBlock {
	all := append([]*btcwire.MsgTx{cb}, txs...)

	// The coinbase's witness is the 32-byte reserved value; its wtxid
	// counts as zero in the witness tree.
	var reserved [32]byte
	cb.TxIn[0].Witness = btcwire.TxWitness{reserved[:]}
	wtxids := make([]chainhash.Hash, len(all))
	for i, tx := range all[1:] {
		wtxids[i+1] = tx.WitnessHash()
	}
	wroot := merkleRoot(wtxids)
	commitment := chainhash.DoubleHashB(append(wroot[:], reserved[:]...))
	cb.AddTxOut(btcwire.NewTxOut(0, append(append([]byte(nil), witnessMagic...), commitment...)))

	txids := make([]chainhash.Hash, len(all))
	for i, tx := range all {
		txids[i] = tx.TxHash()
	}
	blk := &btcwire.MsgBlock{
		Header: btcwire.BlockHeader{
			Version:    0x20000000,
			PrevBlock:  prev,
			MerkleRoot: merkleRoot(txids),
			Timestamp:  time.Unix(blockTime(height), 0),
			Bits:       powBits,
		},
		Transactions: all,
	}
	for !meetsTarget(blk.Header.BlockHash()) {
		blk.Header.Nonce++
	}
	return blk
}

func meetsTarget(h chainhash.Hash) bool {
	var be [32]byte
	for i := range h {
		be[31-i] = h[i]
	}
	return new(big.Int).SetBytes(be[:]).Cmp(powTarget) <= 0
}

// merkleRoot is the Bitcoin merkle root of hashes: pairs are hashed with
// double SHA-256 level by level, an odd last element paired with itself.
func merkleRoot(hashes []chainhash.Hash) chainhash.Hash {
	level := append([]chainhash.Hash(nil), hashes...)
	var buf [64]byte
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[i+1][:])
			next = append(next, chainhash.DoubleHashH(buf[:]))
		}
		level = next
	}
	return level[0]
}

// apply connects blk, already checked, at height: it moves coins and
// records spends, and then clears the mempool of the block's transactions
// and of everything that conflicts with them. base marks the chain's
// first block, whose coinbase counts as mature. The caller holds mu.
func (c *Chain) apply(blk *btcwire.MsgBlock, height uint32, base bool) *blockRec {
	rec := &blockRec{block: blk, hash: blk.BlockHash(), height: height}
	for i, tx := range blk.Transactions {
		txid := tx.TxHash()
		if i > 0 {
			for _, in := range tx.TxIn {
				op := in.PreviousOutPoint
				rec.undo = append(rec.undo, undoCoin{op: op, coin: c.coins[op]})
				c.removeCoin(op)
				c.spends[op] = txid
			}
		}
		for j, out := range tx.TxOut {
			if len(out.PkScript) > 0 && out.PkScript[0] == txscript.OP_RETURN {
				continue // provably unspendable
			}
			c.addCoin(btcwire.OutPoint{Hash: txid, Index: uint32(j)},
				&coin{out: *copyTxOut(out), height: height, coinbase: i == 0 && !base})
		}
		c.txs[txid] = txLoc{height: height, index: uint32(i)}
	}
	c.blocks = append(c.blocks, rec)

	for _, tx := range blk.Transactions[1:] {
		c.pool.remove(tx.TxHash())
	}
	for _, tx := range blk.Transactions[1:] {
		for _, in := range tx.TxIn {
			if other, ok := c.pool.spends[in.PreviousOutPoint]; ok {
				c.pool.removeWithDescendants(other)
			}
		}
	}
	return rec
}

// unapply disconnects the tip and returns it; the mempool is the caller's
// business. The caller holds mu.
func (c *Chain) unapply() *blockRec {
	rec := c.tip()
	c.blocks = c.blocks[:len(c.blocks)-1]
	txs := rec.block.Transactions
	for i := len(txs) - 1; i >= 0; i-- {
		txid := txs[i].TxHash()
		for j := range txs[i].TxOut {
			c.removeCoin(btcwire.OutPoint{Hash: txid, Index: uint32(j)})
		}
		delete(c.txs, txid)
	}
	for i := len(rec.undo) - 1; i >= 0; i-- {
		u := rec.undo[i]
		c.addCoin(u.op, u.coin)
		delete(c.spends, u.op)
	}
	return rec
}

func (c *Chain) addCoin(op btcwire.OutPoint, k *coin) {
	c.coins[op] = k
	key := string(k.out.PkScript)
	set := c.byScript[key]
	if set == nil {
		set = make(map[btcwire.OutPoint]struct{})
		c.byScript[key] = set
	}
	set[op] = struct{}{}
}

func (c *Chain) removeCoin(op btcwire.OutPoint) {
	k, ok := c.coins[op]
	if !ok {
		return
	}
	delete(c.coins, op)
	key := string(k.out.PkScript)
	delete(c.byScript[key], op)
	if len(c.byScript[key]) == 0 {
		delete(c.byScript, key)
	}
}

// checkBlockTxs checks txs, in order, as the non-coinbase transactions of
// the next block: each against the UTXO set and the outputs of the
// transactions before it. It returns their total fee. The caller holds mu.
func (c *Chain) checkBlockTxs(txs []*btcwire.MsgTx) (int64, *RejectError) {
	height := c.height() + 1
	mtp := medianTimePast(c.height())
	created := make(map[chainhash.Hash]*btcwire.MsgTx)
	spent := make(map[btcwire.OutPoint]int)
	var fees, weight int64
	for i, tx := range txs {
		txid := tx.TxHash()
		if rej := checkSanity(tx); rej != nil {
			return 0, rej.at(txid, i)
		}
		if _, dup := created[txid]; dup {
			return 0, reject(chain.ErrInvalidTx, -1, "appears twice in the block").at(txid, i)
		}
		if _, ok := c.txs[txid]; ok {
			return 0, reject(chain.ErrInvalidTx, -1, "already confirmed").at(txid, i)
		}
		weight += txWeight(tx)
		if weight > MaxBlockWeight-coinbaseReserve {
			return 0, reject(chain.ErrInvalidTx, -1, "block weight above %d", MaxBlockWeight).at(txid, i)
		}
		prevs := make([]prevCoin, len(tx.TxIn))
		for j, in := range tx.TxIn {
			op := in.PreviousOutPoint
			if k, ok := spent[op]; ok {
				return 0, reject(chain.ErrDoubleSpend, j, "spends %v, which transaction %d of the block spends too", op, k).at(txid, i)
			}
			switch parent, inBlock := created[op.Hash]; {
			case inBlock && op.Index < uint32(len(parent.TxOut)):
				prevs[j] = prevCoin{out: parent.TxOut[op.Index], height: height}
			case c.coins[op] != nil:
				k := c.coins[op]
				prevs[j] = prevCoin{out: &k.out, height: k.height, coinbase: k.coinbase}
			default:
				return 0, c.missing(op, j).at(txid, i)
			}
			spent[op] = i
		}
		fee, rej := checkContext(tx, prevs, height, mtp)
		if rej != nil {
			return 0, rej.at(txid, i)
		}
		fees += int64(fee)
		created[txid] = tx
	}
	return fees, nil
}

// missing explains why op, spent by input j, is not a coin: spent by a
// confirmed transaction, an output of a mempool transaction (when a block
// is checked), or unknown. The caller holds mu.
func (c *Chain) missing(op btcwire.OutPoint, j int) *RejectError {
	if s, ok := c.spends[op]; ok {
		return reject(chain.ErrDoubleSpend, j, "spends %v, already spent by %s in block %d", op, s, c.txs[s].height)
	}
	if _, ok := c.pool.txs[op.Hash]; ok {
		return reject(chain.ErrMissingInput, j, "spends %v of mempool transaction %s, which is not in the block before it", op, op.Hash)
	}
	if _, ok := c.txs[op.Hash]; ok {
		return reject(chain.ErrMissingInput, j, "spends %v: transaction %s is confirmed but has no such unspent output", op, op.Hash)
	}
	return reject(chain.ErrMissingInput, j, "spends %v, an output of a transaction the chain does not know", op)
}

// coinbaseReserve is the weight kept free for the coinbase when filling a
// block.
const coinbaseReserve = 4000

// mineLocked checks txs as the next block, builds it with a coinbase
// paying their fees to the faucet, and connects it. The caller holds mu.
func (c *Chain) mineLocked(txs []*btcwire.MsgTx) (*blockRec, *RejectError) {
	fees, rej := c.checkBlockTxs(txs)
	if rej != nil {
		return nil, rej
	}
	height := c.height() + 1
	cb := c.coinbase(height, []*btcwire.TxOut{btcwire.NewTxOut(fees, c.faucetScript)})
	blk := c.assemble(height, c.tip().hash, cb, txs)
	return c.apply(blk, height, false), nil
}
