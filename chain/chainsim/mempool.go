package chainsim

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// poolTx is a mempool transaction.
type poolTx struct {
	tx     *btcwire.MsgTx
	txid   chainhash.Hash
	fee    btcutil.Amount
	weight int64
	seq    uint64 // acceptance order
}

// mempool holds unconfirmed transactions, each valid in the next block
// together with the ones accepted before it, and none in conflict with
// another.
type mempool struct {
	txs     map[chainhash.Hash]*poolTx
	spends  map[btcwire.OutPoint]chainhash.Hash
	nextSeq uint64
}

func newMempool() *mempool {
	return &mempool{txs: make(map[chainhash.Hash]*poolTx), spends: make(map[btcwire.OutPoint]chainhash.Hash)}
}

func (m *mempool) add(p *poolTx) {
	p.seq = m.nextSeq
	m.nextSeq++
	m.txs[p.txid] = p
	for _, in := range p.tx.TxIn {
		m.spends[in.PreviousOutPoint] = p.txid
	}
}

// remove drops txid alone; its descendants stay (used when it confirms).
func (m *mempool) remove(txid chainhash.Hash) {
	p, ok := m.txs[txid]
	if !ok {
		return
	}
	delete(m.txs, txid)
	for _, in := range p.tx.TxIn {
		if m.spends[in.PreviousOutPoint] == txid {
			delete(m.spends, in.PreviousOutPoint)
		}
	}
}

// descendants adds to set every mempool transaction in roots and all that
// spend their outputs, directly or not.
func (m *mempool) descendants(roots []chainhash.Hash, set map[chainhash.Hash]struct{}) {
	stack := append([]chainhash.Hash(nil), roots...)
	for len(stack) > 0 {
		txid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, done := set[txid]; done {
			continue
		}
		p, ok := m.txs[txid]
		if !ok {
			continue
		}
		set[txid] = struct{}{}
		for i := range p.tx.TxOut {
			if child, ok := m.spends[btcwire.OutPoint{Hash: txid, Index: uint32(i)}]; ok {
				stack = append(stack, child)
			}
		}
	}
}

// removeWithDescendants drops txid and everything that spends from it.
func (m *mempool) removeWithDescendants(txid chainhash.Hash) {
	set := make(map[chainhash.Hash]struct{})
	m.descendants([]chainhash.Hash{txid}, set)
	for d := range set {
		m.remove(d)
	}
}

// ordered returns the transactions in acceptance order, parents before
// children.
func (m *mempool) ordered() []*poolTx {
	out := make([]*poolTx, 0, len(m.txs))
	for _, p := range m.txs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// Broadcast submits txs to the mempool, one transaction or a package
// ordered parents first, and implements chain.Broadcaster.
//
// Every transaction is checked by the consensus rules against the UTXO
// set, the mempool and the transactions before it in the call, for the
// next block (see the package documentation). Transactions already in the
// mempool or confirmed are skipped without error. The fee rules then
// apply:
//
//   - a transaction pays at least the minimum relay fee rate on its own,
//     or, if it does not, a later transaction of the same call that spends
//     it pays for both: the fee of the child and its unaccepted in-package
//     ancestors together must meet the rate over their total weight
//     (package evaluation, as anchor outputs need);
//   - a transaction (or such a group) that spends an input a mempool
//     transaction spends replaces it if it pays more absolute fee than
//     everything it evicts (the conflicts and their descendants) by at
//     least the minimum relay fee rate times its own weight, and a higher
//     fee rate than each evicted transaction, evicting at most 100; it may
//     not spend an output of a transaction it evicts. No BIP 125 signal is
//     needed (full RBF).
//
// The call is all or nothing: on the first failure nothing enters the
// mempool and the error is a *RejectError naming the transaction, the
// input and the broken rule.
func (c *Chain) Broadcast(ctx context.Context, txs ...*btcwire.MsgTx) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	copies := make([]*btcwire.MsgTx, len(txs))
	for i, tx := range txs {
		if tx == nil {
			return fmt.Errorf("chainsim: broadcast: transaction %d is nil: %w", i, ErrBadRequest)
		}
		copies[i] = tx.Copy()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rej := c.accept(copies, false); rej != nil {
		return rej
	}
	return nil
}

// candidate is a transaction of a package being evaluated.
type candidate struct {
	idx        int // position in the call
	tx         *btcwire.MsgTx
	txid       chainhash.Hash
	fee        btcutil.Amount
	weight     int64
	pkgParents []int            // candidates it spends
	poolParent []chainhash.Hash // mempool transactions it spends
	conflicts  []chainhash.Hash // mempool transactions spending its inputs
}

// accept evaluates txs as a package and, if all pass, adds them to the
// mempool. With restore set (re-adding transactions after a block was
// disconnected) the fee rules are skipped and conflicts are refused, as
// the mempool held no conflicts before. The caller holds mu.
func (c *Chain) accept(txs []*btcwire.MsgTx, restore bool) *RejectError {
	height := c.height() + 1
	mtp := medianTimePast(c.height())
	var cands []*candidate
	byTxid := make(map[chainhash.Hash]int)
	pkgSpent := make(map[btcwire.OutPoint]int)

	for i, tx := range txs {
		txid := tx.TxHash()
		if _, dup := byTxid[txid]; dup {
			continue
		}
		if _, ok := c.pool.txs[txid]; ok {
			continue
		}
		if _, ok := c.txs[txid]; ok {
			continue
		}
		if rej := checkSanity(tx); rej != nil {
			return rej.at(txid, i)
		}
		cd := &candidate{idx: i, tx: tx, txid: txid, weight: txWeight(tx)}
		if cd.weight > MaxStandardTxWeight {
			return reject(chain.ErrInvalidTx, -1, "weight %d above the standard limit %d", cd.weight, MaxStandardTxWeight).at(txid, i)
		}
		prevs := make([]prevCoin, len(tx.TxIn))
		for j, in := range tx.TxIn {
			op := in.PreviousOutPoint
			if k, ok := pkgSpent[op]; ok {
				return reject(chain.ErrDoubleSpend, j, "spends %v, which transaction #%d of the package spends too", op, cands[k].idx).at(txid, i)
			}
			if k, ok := byTxid[op.Hash]; ok {
				p := cands[k]
				if op.Index >= uint32(len(p.tx.TxOut)) {
					return reject(chain.ErrMissingInput, j, "spends %v: package transaction #%d has no such output", op, p.idx).at(txid, i)
				}
				prevs[j] = prevCoin{out: p.tx.TxOut[op.Index], height: height}
				cd.pkgParents = appendUnique(cd.pkgParents, k)
			} else if p, ok := c.pool.txs[op.Hash]; ok {
				if op.Index >= uint32(len(p.tx.TxOut)) {
					return reject(chain.ErrMissingInput, j, "spends %v: mempool transaction has no such output", op).at(txid, i)
				}
				prevs[j] = prevCoin{out: p.tx.TxOut[op.Index], height: height}
				cd.poolParent = append(cd.poolParent, op.Hash)
			} else if k, ok := c.coins[op]; ok {
				prevs[j] = prevCoin{out: &k.out, height: k.height, coinbase: k.coinbase}
			} else {
				return c.missing(op, j).at(txid, i)
			}
			if other, ok := c.pool.spends[op]; ok {
				if restore {
					return reject(chain.ErrDoubleSpend, j, "spends %v, which mempool transaction %s spends", op, other).at(txid, i)
				}
				cd.conflicts = appendUnique(cd.conflicts, other)
			}
			pkgSpent[op] = len(cands)
		}
		fee, rej := checkContext(tx, prevs, height, mtp)
		if rej != nil {
			return rej.at(txid, i)
		}
		cd.fee = fee
		byTxid[txid] = len(cands)
		cands = append(cands, cd)
	}

	// Nothing may spend from a transaction that the package evicts.
	allEvicted := make(map[chainhash.Hash]struct{})
	for _, cd := range cands {
		c.pool.descendants(cd.conflicts, allEvicted)
	}
	for _, cd := range cands {
		for _, p := range cd.poolParent {
			if _, ok := allEvicted[p]; ok {
				return reject(chain.ErrDoubleSpend, -1, "spends an output of %s, which the package replaces", p).at(cd.txid, cd.idx)
			}
		}
	}

	if !restore {
		if rej := c.checkFees(cands); rej != nil {
			return rej
		}
	}
	for txid := range allEvicted {
		c.pool.remove(txid)
	}
	for _, cd := range cands {
		c.pool.add(&poolTx{tx: cd.tx, txid: cd.txid, fee: cd.fee, weight: cd.weight})
	}
	return nil
}

// checkFees applies the minimum relay fee rate and the replacement rules
// to the candidates of a package, in order. A candidate that fails them
// alone waits for a descendant in the package to carry it: the next
// candidate is judged together with all its waiting ancestors. The caller
// holds mu.
func (c *Chain) checkFees(cands []*candidate) *RejectError {
	waiting := make(map[int]*RejectError)
	var order []int // waiting candidates in package order
	evicted := make(map[chainhash.Hash]struct{})
	for k := range cands {
		unit := c.withWaitingAncestors(cands, k, waiting)
		var fee btcutil.Amount
		var weight int64
		var roots []chainhash.Hash
		for _, u := range unit {
			fee += cands[u].fee
			weight += cands[u].weight
			roots = append(roots, cands[u].conflicts...)
		}
		evict := make(map[chainhash.Hash]struct{})
		c.pool.descendants(roots, evict)
		for txid := range evicted {
			delete(evict, txid)
		}
		if rej := c.feeRule(fee, weight, len(unit), evict); rej != nil {
			waiting[k] = rej.at(cands[k].txid, cands[k].idx)
			order = append(order, k)
			continue
		}
		for _, u := range unit {
			delete(waiting, u)
		}
		for txid := range evict {
			evicted[txid] = struct{}{}
		}
	}
	for _, k := range order {
		if rej, ok := waiting[k]; ok {
			for _, later := range cands[k+1:] {
				if slices.Contains(later.pkgParents, k) {
					rej.Reason += "; no descendant in the package pays enough for it"
					break
				}
			}
			return rej
		}
	}
	return nil
}

// withWaitingAncestors returns k and its in-package ancestors that are
// still waiting, in package order.
func (c *Chain) withWaitingAncestors(cands []*candidate, k int, waiting map[int]*RejectError) []int {
	in := map[int]bool{k: true}
	stack := []int{k}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range cands[x].pkgParents {
			if _, w := waiting[p]; w && !in[p] {
				in[p] = true
				stack = append(stack, p)
			}
		}
	}
	unit := make([]int, 0, len(in))
	for x := range in {
		unit = append(unit, x)
	}
	sort.Ints(unit)
	return unit
}

// feeRule checks n transactions paying fee for weight against the minimum
// relay fee rate and, if they evict mempool transactions, the replacement
// rules.
func (c *Chain) feeRule(fee btcutil.Amount, weight int64, n int, evict map[chainhash.Hash]struct{}) *RejectError {
	what := "the transaction"
	if n > 1 {
		what = fmt.Sprintf("the package of %d transactions", n)
	}
	if need := c.minRelay.FeeForWeight(weight); fee < need {
		return reject(chain.ErrFeeTooLow, -1, "%s pays %v for %d weight units, below the minimum relay fee rate %v (%v)", what, fee, weight, c.minRelay, need)
	}
	if len(evict) == 0 {
		return nil
	}
	conflicts := make([]chainhash.Hash, 0, len(evict))
	var evictFee btcutil.Amount
	for txid := range evict {
		conflicts = append(conflicts, txid)
		evictFee += c.pool.txs[txid].fee
	}
	sort.Slice(conflicts, func(i, j int) bool { return conflicts[i].String() < conflicts[j].String() })
	fail := func(format string, args ...any) *RejectError {
		r := reject(chain.ErrFeeTooLow, -1, "replacement: "+format, args...)
		r.Conflicts = conflicts
		return r
	}
	if len(evict) > maxReplacements {
		return fail("would evict %d transactions, more than %d", len(evict), maxReplacements)
	}
	if need := evictFee + c.minRelay.FeeForWeight(weight); fee <= evictFee || fee < need {
		return fail("%s pays %v, must pay more than the %v of the %d transactions it evicts plus %v (the minimum relay fee rate on its weight)",
			what, fee, evictFee, len(evict), c.minRelay.FeeForWeight(weight))
	}
	for _, txid := range conflicts {
		e := c.pool.txs[txid]
		// fee/weight > e.fee/e.weight, without rounding.
		if int64(fee)*e.weight <= int64(e.fee)*weight {
			return fail("%s pays %d sat/kw, not more than the %d sat/kw of %s it evicts",
				what, int64(fee)*1000/weight, int64(e.fee)*1000/e.weight, txid)
		}
	}
	return nil
}

func appendUnique[T comparable](s []T, v T) []T {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
