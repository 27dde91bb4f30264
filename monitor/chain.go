package monitor

import (
	"context"
	"fmt"
	"sort"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/store"
)

var _ chain.Listener = (*Monitor)(nil)

// BlockConnected implements chain.Listener. It records the block's
// transactions that spend an output of the channel (the funding output,
// the confirmed commitment's outputs, the outputs of HTLC transactions
// spending it), works out what is to be claimed at the new height,
// broadcasts it (again, every block, until it confirms), and writes what
// changed, with the new tip and any events, in one batch before it
// returns.
//
// A block below the tip is a no-op. The tip itself delivered again is
// scanned for transactions the monitor does not have yet: a host that
// hands in only the transactions matching the Filter registrations
// delivers the block again after the monitor registered new outputs
// during the call (a commitment and a spend of one of its outputs may
// confirm in the same block), as chain.Confirmer asks of hosts. A block
// that does not extend the tip (a gap, another parent) gives
// ErrChainMismatch. A store failure is returned, and the host delivers the
// block again later.
func (m *Monitor) BlockConnected(ctx context.Context, b *chain.Block) error {
	if b == nil {
		return fmt.Errorf("%w: nil block", ErrChainMismatch)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	hash := b.Header.BlockHash()
	again := false
	if m.tip.set {
		switch {
		case b.Height < m.tip.height:
			return nil
		case b.Height == m.tip.height:
			if hash != m.tip.hash {
				return fmt.Errorf("%w: block %d is %v, the monitor's tip at that height is %v", ErrChainMismatch, b.Height, hash, m.tip.hash)
			}
			again = true
		case b.Height != m.tip.height+1:
			return fmt.Errorf("%w: block %d after tip %d", ErrChainMismatch, b.Height, m.tip.height)
		case b.Header.PrevBlock != m.tip.hash:
			return fmt.Errorf("%w: block %d's parent is %v, the monitor's tip is %v", ErrChainMismatch, b.Height, b.Header.PrevBlock, m.tip.hash)
		}
	}
	conf := append([]*confTx(nil), m.conf...)
	var batch store.Batch
	known := make(map[string]bool, len(conf))
	for _, c := range conf {
		known[c.txid.String()] = true
	}
	watched := m.relevantOutputs(ctx, conf)
	for _, itx := range b.Txs {
		tx := itx.Tx
		if tx == nil || !spendsAny(tx, watched) {
			continue
		}
		c := &confTx{tx: tx.Copy(), txid: tx.TxHash(), height: b.Height, index: itx.Index, block: hash}
		if known[c.txid.String()] {
			continue
		}
		known[c.txid.String()] = true
		conf = append(conf, c)
		batch.Put(m.prefix+confKey(c.height, c.txid), c.encode())
		watched = m.relevantOutputs(ctx, conf)
	}
	if again && batch.Len() == 0 {
		return nil
	}
	return m.run(ctx, conf, tip{set: true, height: b.Height, hash: hash}, &batch, true)
}

// BlockDisconnected implements chain.Listener: the transactions the
// monitor recorded from the block are unconfirmed again. Claims spending
// them are not broadcast until they confirm again; the next block
// connected works out the claims anew, so a reorganisation that replaces
// the confirmed commitment with another is followed. A block above the
// tip is ignored; one below it, or another block at its height, gives
// ErrChainMismatch.
func (m *Monitor) BlockDisconnected(ctx context.Context, header btcwire.BlockHeader, height uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.tip.set || height > m.tip.height {
		return nil
	}
	if height < m.tip.height {
		return fmt.Errorf("%w: disconnecting block %d below the tip %d", ErrChainMismatch, height, m.tip.height)
	}
	if h := header.BlockHash(); h != m.tip.hash {
		return fmt.Errorf("%w: disconnecting block %v at %d, the monitor's tip is %v", ErrChainMismatch, h, height, m.tip.hash)
	}
	var batch store.Batch
	conf := make([]*confTx, 0, len(m.conf))
	for _, c := range m.conf {
		if c.height >= height {
			batch.Delete(m.prefix + confKey(c.height, c.txid))
			continue
		}
		conf = append(conf, c)
	}
	return m.run(ctx, conf, tip{set: true, height: height - 1, hash: header.PrevBlock}, &batch, false)
}

func spendsAny(tx *btcwire.MsgTx, set map[btcwire.OutPoint][]byte) bool {
	for _, in := range tx.TxIn {
		if _, ok := set[in.PreviousOutPoint]; ok {
			return true
		}
	}
	return false
}

// fundingSpender returns the confirmed transaction spending the funding
// output, if any.
func (m *Monitor) fundingSpender(conf []*confTx) *confTx {
	for _, c := range conf {
		for _, in := range c.tx.TxIn {
			if in.PreviousOutPoint == m.p.FundingOutpoint {
				return c
			}
		}
	}
	return nil
}

// relevantOutputs returns the outputs whose spends the monitor records:
// the funding output; every output of the commitment that spent it; and
// the outputs of transactions spending the commitment that pay its
// second-stage script (HTLC transactions, batched or not).
func (m *Monitor) relevantOutputs(ctx context.Context, conf []*confTx) map[btcwire.OutPoint][]byte {
	set := map[btcwire.OutPoint][]byte{m.p.FundingOutpoint: m.fundingScript}
	f := m.fundingSpender(conf)
	if f == nil {
		return set
	}
	ci := m.classify(ctx, f)
	if ci.kind == CloseCooperative {
		return set
	}
	for k, out := range f.tx.TxOut {
		set[btcwire.OutPoint{Hash: f.txid, Index: uint32(k)}] = out.PkScript
	}
	if ci.c == nil || len(ci.c.SecondLevelScript) == 0 {
		return set
	}
	second := string(p2wsh(ci.c.SecondLevelScript))
	for _, c := range conf {
		if c == f || !spendsTx(c.tx, f.txid) {
			continue
		}
		for k, out := range c.tx.TxOut {
			if string(out.PkScript) == second {
				set[btcwire.OutPoint{Hash: c.txid, Index: uint32(k)}] = out.PkScript
			}
		}
	}
	return set
}

// run analyses conf at tip t, broadcasts what is due when broadcast is
// set, and writes the step's changes with extra (the block's records) in
// one batch; the monitor's memory follows once the batch is durable.
func (m *Monitor) run(ctx context.Context, conf []*confTx, t tip, extra *store.Batch, broadcast bool) error {
	s := m.newStep(ctx, conf, t.height)
	s.analyze()
	if s.err != nil {
		return s.err
	}
	if broadcast {
		s.execute()
	}
	b := extra
	if b == nil {
		b = &store.Batch{}
	}
	if t != m.tip {
		b.Put(m.prefix+keyTip, t.encode())
	}
	names := make([]string, 0, len(s.groups))
	for name := range s.groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.Put(m.prefix+keyGroup+name, s.groups[name].encode())
	}
	if s.metaChanged {
		b.Put(m.prefix+keyMeta, s.meta.encode())
	}
	for h, p := range s.learned {
		b.Put(m.prefix+preimageKey(h), p[:])
	}
	seq := m.writeEvents(b, s.events)
	if err := m.cfg.Store.Write(ctx, b); err != nil {
		return fmt.Errorf("monitor: writing block %d: %w", t.height, err)
	}
	m.conf, m.tip, m.seq = conf, t, seq
	for name, g := range s.groups {
		m.groups[name] = g
	}
	if s.metaChanged {
		m.meta = s.meta
		m.gen++
	}
	for h, p := range s.learned {
		pre := p
		m.preimages[h] = &pre
	}
	for _, pe := range s.events {
		m.emitted[pe.id] = true
	}
	m.register(s.watched)
	if m.cfg.OnEvent != nil {
		for _, pe := range s.events {
			m.cfg.OnEvent(pe.ev)
		}
	}
	return nil
}
