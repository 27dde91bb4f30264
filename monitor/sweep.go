package monitor

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Claim groups and fees.
//
// Every transaction the monitor broadcasts belongs to a group, named by
// what it resolves (the to_local output of a commitment, one HTLC output,
// the revoked outputs of a commitment, ...). A group's transaction is
// rebuilt and broadcast every block until its inputs are spent by a
// confirmed transaction; its history (the last fee rate and fee, the
// height of the first and last broadcast, the wallet inputs of a fee
// bump) is stored under g/<group>, so that a replacement after a restart
// still outbids the transaction in the mempool.
//
// The fee rate of a group comes from the FeeEstimator for the number of
// blocks left before its deadline (Policy.RelaxedTarget when it has
// none), and never falls below the rate of the group's last broadcast.
// When a transaction is still unconfirmed within Policy.BumpWindow blocks
// of its deadline, every block raises its rate by a quarter, and at least
// by the minimum relay fee rate, so that the replacement pays what BIP 125
// asks (more absolute fee than the original plus the relay fee of its own
// size, and a higher rate). A replacement the chain still refuses as too
// cheap is bumped again, up to three times per block. Rates are capped by
// Policy.MaxFeeRate and, for sweeps, by what leaves the output at dust.

type planKind uint8

const (
	// planSweep spends claims to the sweep script.
	planSweep planKind = iota + 1
	// planHTLCTx broadcasts this node's HTLC-timeout or HTLC-success
	// transaction of the local commitment.
	planHTLCTx
	// planCommit broadcasts the local commitment (with a CPFP child).
	planCommit
)

type plan struct {
	kind  planKind
	group string
	// claims of a sweep, all valid in the next block.
	claims []channel.Claim
	// contested: the peer can spend the outputs too.
	contested bool
	// splittable: a batch of revoked outputs, split when pinned.
	splittable bool
	// replaceFee is the fee of another transaction this one replaces (a
	// split batch): its fee must exceed it.
	replaceFee btcutil.Amount
	// deadline is the height by which it should confirm; 0 for none.
	deadline uint32
	// lc and htlcs name the HTLC transactions of a planHTLCTx.
	lc    *localCommit
	htlcs []htlcInput
}

// group returns the state of a group for this step (a copy, written at
// the end of the step).
func (s *step) group(name string) *groupState {
	if g, ok := s.groups[name]; ok {
		return g
	}
	g := &groupState{}
	if old, ok := s.m.groups[name]; ok {
		*g = *old
		g.wallet = append([]channel.WalletInput(nil), old.wallet...)
	}
	s.groups[name] = g
	return g
}

// peekGroup returns a group's state without marking it changed.
func (s *step) peekGroup(name string) *groupState {
	if g, ok := s.groups[name]; ok {
		return g
	}
	if g, ok := s.m.groups[name]; ok {
		return g
	}
	return &groupState{}
}

// validAt is the first height of a block that may hold a spend of cl: its
// CSV delay counted from its transaction's block (BIP 68), its locktime
// (BIP 65: nLockTime below the block height).
func (s *step) validAt(cl *channel.Claim) uint32 {
	src, ok := s.byTxid[cl.OutPoint.Hash]
	if !ok {
		return math.MaxUint32
	}
	h := src.height + 1
	if cl.Sequence&btcwire.SequenceLockTimeDisabled == 0 && cl.Sequence&btcwire.SequenceLockTimeIsSeconds == 0 {
		h = max(h, src.height+(cl.Sequence&btcwire.SequenceLockTimeMask))
	}
	if cl.LockTime > 0 {
		h = max(h, cl.LockTime+1)
	}
	return h
}

// sweep plans pl's claims that are valid in the next block, splitting a
// justice batch when BOLT 5's security_delay is reached unconfirmed.
func (s *step) sweep(pl *plan) {
	pl.kind = planSweep
	valid := pl.claims[:0:0]
	for i := range pl.claims {
		if s.validAt(&pl.claims[i]) <= s.height+1 {
			valid = append(valid, pl.claims[i])
		}
	}
	if len(valid) == 0 {
		return
	}
	pl.claims = valid
	if !pl.splittable || len(valid) < 2 {
		s.addSweep(pl)
		return
	}
	g := s.peekGroup(pl.group)
	waiting := g.inputs == claimsID(valid)
	if !g.split && waiting && g.rate > 0 && g.height < s.height && pl.deadline > 0 &&
		uint64(pl.deadline) <= uint64(s.height)+uint64(s.m.pol.SecurityDelay) {
		g = s.group(pl.group)
		g.split = true
		s.m.log.Info("splitting justice transaction", "group", pl.group, "height", s.height, "deadline", pl.deadline)
	}
	if !g.split {
		s.addSweep(pl)
		return
	}
	// One transaction per output, the largest first; the first outbids
	// the batch, which may still be in the mempool.
	order := make([]int, len(valid))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && valid[order[j]].Value > valid[order[j-1]].Value; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for k, i := range order {
		cl := valid[i]
		single := &plan{
			kind: planSweep, group: pl.group + "/" + cl.OutPoint.String(), claims: []channel.Claim{cl},
			contested: pl.contested, deadline: pl.deadline,
		}
		if k == 0 && waiting && s.peekGroup(single.group).rate == 0 {
			single.replaceFee = g.fee
		}
		s.addSweep(single)
	}
}

// addSweep adds a sweep plan unless its group was abandoned (its claims
// cannot pay for their own spend): those claims count as resolved, as
// BOLT 5 lets an output nobody can economically spend be.
func (s *step) addSweep(pl *plan) {
	if s.peekGroup(pl.group).abandoned {
		s.pending -= len(pl.claims)
		return
	}
	s.plans = append(s.plans, pl)
}

// execute broadcasts the plans.
func (s *step) execute() {
	for _, pl := range s.plans {
		if s.ctx.Err() != nil {
			return
		}
		switch pl.kind {
		case planSweep:
			s.runSweep(pl)
		case planHTLCTx:
			s.runHTLCTx(pl)
		case planCommit:
			s.runCommit(pl)
		}
	}
}

// estimate returns the clamped fee rate for a confirmation target.
func (s *step) estimate(target uint32) wire.SatPerKWeight {
	r, err := s.m.cfg.Fees.EstimateFeeRate(s.ctx, max(target, 1))
	if err != nil {
		s.m.log.Warn("fee estimate failed", "target", target, "err", err)
		return s.m.pol.FallbackFeeRate
	}
	return chain.ClampFeeRate(r)
}

// bump raises a rate by a quarter and at least by the minimum relay fee
// rate, the increment BIP 125 asks of a replacement of the same size.
func bump(r wire.SatPerKWeight) wire.SatPerKWeight {
	next := uint64(r) + max(uint64(r)/4, uint64(chain.FeeRateFloor)+1)
	if next > math.MaxUint32 {
		next = math.MaxUint32
	}
	return wire.SatPerKWeight(next)
}

// claimsID identifies a set of claims by their outpoints.
func claimsID(claims []channel.Claim) chainhash.Hash {
	ops := make([]btcwire.OutPoint, len(claims))
	for i := range claims {
		ops[i] = claims[i].OutPoint
	}
	return outpointsID(ops)
}

// outpointsID identifies a set of outpoints.
func outpointsID(ops []btcwire.OutPoint) chainhash.Hash {
	sort.Slice(ops, func(i, j int) bool {
		if c := bytes.Compare(ops[i].Hash[:], ops[j].Hash[:]); c != 0 {
			return c < 0
		}
		return ops[i].Index < ops[j].Index
	})
	h := sha256.New()
	for _, op := range ops {
		h.Write(op.Hash[:])
		var idx [4]byte
		idx[0], idx[1], idx[2], idx[3] = byte(op.Index>>24), byte(op.Index>>16), byte(op.Index>>8), byte(op.Index)
		h.Write(idx[:])
	}
	var id chainhash.Hash
	copy(id[:], h.Sum(nil))
	return id
}

// rateFor is a group's fee rate at this step (see the comment above).
// waiting says that the group's last transaction claimed the same outputs
// and may still be in the mempool: the rate then never falls below its
// rate, and rises by bump within BumpWindow of the deadline.
func (s *step) rateFor(deadline uint32, g *groupState, waiting bool) wire.SatPerKWeight {
	pol := &s.m.pol
	target := pol.RelaxedTarget
	if deadline > 0 {
		target = 1
		if deadline > s.height {
			target = deadline - s.height
		}
	}
	rate := s.estimate(target)
	if g.rate > 0 && waiting {
		rate = max(rate, g.rate)
		if g.height < s.height && deadline > 0 && target <= pol.BumpWindow {
			rate = max(rate, bump(g.rate))
		}
	}
	return min(rate, pol.MaxFeeRate)
}

// sweepWeight is the weight SweepClaims computes for claims paying dest.
func sweepWeight(claims []channel.Claim, dest []byte) int64 {
	n := len(claims)
	stripped := 4 + int64(btcwire.VarIntSerializeSize(uint64(n))) + 41*int64(n) +
		1 + 8 + int64(btcwire.VarIntSerializeSize(uint64(len(dest)))) + int64(len(dest)) + 4
	w := stripped*4 + 2
	for i := range claims {
		w += int64(claims[i].WitnessSize())
	}
	return w
}

// rateForFee is the lowest rate at which weight pays more than fee.
func rateForFee(fee btcutil.Amount, weight int64) wire.SatPerKWeight {
	if weight <= 0 {
		return chain.FeeRateFloor
	}
	r := (int64(fee)*1000)/weight + 1
	for wire.SatPerKWeight(r).FeeForWeight(weight) <= fee {
		r++
	}
	if r > math.MaxUint32 {
		return math.MaxUint32
	}
	return wire.SatPerKWeight(r)
}

// broadcast publishes txs and logs the outcome.
func (s *step) broadcast(group string, txs ...*btcwire.MsgTx) error {
	err := s.m.cfg.Broadcaster.Broadcast(s.ctx, txs...)
	last := txs[len(txs)-1].TxHash()
	if err != nil {
		s.m.log.Debug("broadcast refused", "group", group, "txid", last, "err", err)
		if errors.Is(err, chain.ErrScript) || errors.Is(err, chain.ErrInvalidTx) {
			s.alert(AlertRejected, "rejected/"+last.String(), "%s: transaction %v refused: %v", group, last, err)
		}
		return err
	}
	s.m.log.Debug("broadcast", "group", group, "txid", last)
	return nil
}

func (g *groupState) record(height uint32, rate wire.SatPerKWeight, fee btcutil.Amount, txid, inputs chainhash.Hash) {
	if g.first == 0 {
		g.first = height
	}
	g.rate, g.fee, g.height, g.txid, g.inputs = rate, fee, height, txid, inputs
}

// runSweep builds, signs and broadcasts a sweep.
func (s *step) runSweep(pl *plan) {
	m := s.m
	if s.peekGroup(pl.group).abandoned {
		return
	}
	g := s.group(pl.group)
	var total btcutil.Amount
	for i := range pl.claims {
		total += pl.claims[i].Value
	}
	w := sweepWeight(pl.claims, m.dest)
	dust := script.DustThreshold(m.dest)
	// The highest rate that leaves the output at dust.
	maxRate := wire.SatPerKWeight(0)
	if total > dust {
		mr := int64(total-dust) * 1000 / w
		if mr > math.MaxUint32 {
			mr = math.MaxUint32
		}
		maxRate = wire.SatPerKWeight(mr)
	}
	if maxRate < chain.FeeRateFloor {
		g.abandoned = true
		s.alert(AlertUneconomic, "uneconomic/"+pl.group, "%s: %v cannot pay for its own spend (%d weight units) at %v", pl.group, total, w, chain.FeeRateFloor)
		return
	}
	id := claimsID(pl.claims)
	rate := s.rateFor(pl.deadline, g, g.inputs == id)
	if pl.replaceFee > 0 {
		rate = max(rate, rateForFee(pl.replaceFee+chain.FeeRateFloor.FeeForWeight(w), w))
	}
	for attempt := 0; ; attempt++ {
		rate = min(rate, maxRate)
		if txs := g.cached(rate, id); txs != nil {
			if s.broadcast(pl.group, txs...) == nil {
				g.record(s.height, rate, g.fee, txs[0].TxHash(), id)
				return
			}
			g.built = nil
		}
		st, err := channel.SweepClaims(s.ctx, m.cfg.Signer, pl.claims, m.dest, rate)
		if err != nil {
			s.alert(AlertRejected, "build/"+pl.group, "%s: cannot build the sweep: %v", pl.group, err)
			return
		}
		err = s.broadcast(pl.group, st.Tx)
		if err == nil {
			g.record(s.height, rate, st.Fee, st.Tx.TxHash(), id)
			g.keep(rate, id, st.Tx)
			return
		}
		if !errors.Is(err, chain.ErrFeeTooLow) || attempt == 3 || rate >= maxRate {
			if errors.Is(err, chain.ErrFeeTooLow) && pl.splittable && len(pl.claims) > 1 && !g.split {
				// A conflicting transaction the batch cannot outbid
				// (a pin): claim the outputs one by one from the next
				// block on.
				g.split = true
				m.log.Info("splitting justice transaction after a refusal", "group", pl.group, "err", err)
			}
			return
		}
		rate = bump(rate)
	}
}

// runHTLCTx broadcasts this node's HTLC-timeout or HTLC-success
// transaction: as signed under option_static_remotekey, with wallet fee
// inputs under option_anchors (BOLT 5 "Generation of HTLC Transactions":
// "MUST contribute sufficient fee").
func (s *step) runHTLCTx(pl *plan) {
	m := s.m
	c := pl.lc.c
	if !c.Type.HasAnchors() {
		in := pl.htlcs[0]
		h := &c.HTLCs[in.index]
		tx, err := channel.SignedHTLCTx(s.ctx, m.cfg.Signer, c, in.index, in.sig, in.preimage)
		if err != nil {
			s.alert(AlertRejected, "build/"+pl.group, "%s: %v", pl.group, err)
			return
		}
		if s.broadcast(pl.group, tx) == nil {
			fee := h.Output.Value - btcutil.Amount(tx.TxOut[0].Value)
			s.group(pl.group).record(s.height, c.FeeRate, fee, tx.TxHash(), chainhash.Hash{})
		}
		return
	}
	ops := make([]btcwire.OutPoint, len(pl.htlcs))
	for k, in := range pl.htlcs {
		ops[k] = outpointOf(c, c.HTLCs[in.index].Output.Index)
	}
	id := outpointsID(ops)
	g := s.group(pl.group)
	rate := s.rateFor(pl.deadline, g, g.inputs == id)
	for attempt := 0; ; attempt++ {
		if txs := g.cached(rate, id); txs != nil {
			if s.broadcast(pl.group, txs...) == nil {
				g.record(s.height, rate, g.fee, txs[0].TxHash(), id)
				return
			}
			g.built = nil
		}
		w, err := s.walletFunded(pl.group, g, rate, func(f *channel.WalletFunding) (*channel.WalletFundedTx, error) {
			if len(pl.htlcs) == 1 {
				in := pl.htlcs[0]
				return channel.BumpHTLCTx(s.ctx, m.cfg.Signer, c, in.index, in.sig, in.preimage, f)
			}
			return bumpHTLCBatch(s.ctx, m.cfg.Signer, c, pl.htlcs, f)
		})
		if err != nil {
			return
		}
		err = s.broadcast(pl.group, w.Tx)
		if err == nil {
			g.record(s.height, rate, w.Fee, w.Tx.TxHash(), id)
			g.keep(rate, id, w.Tx)
			return
		}
		if !errors.Is(err, chain.ErrFeeTooLow) || attempt == 3 || rate >= m.pol.MaxFeeRate {
			if errors.Is(err, chain.ErrMissingInput) || errors.Is(err, chain.ErrDoubleSpend) {
				// A wallet input is gone: fund afresh next time.
				s.releaseWallet(g)
			}
			return
		}
		rate = min(bump(rate), m.pol.MaxFeeRate)
	}
}

// runCommit broadcasts the local commitment; under option_anchors, when
// its own fee rate is below the rate its deadline needs, with a child
// spending this node's anchor and wallet inputs that pays for both
// (CPFP), replaced at higher rates as the deadline nears (BOLT 5 "Failing
// a Channel": "MUST spend any to_local_anchor output, providing
// sufficient fees", "SHOULD use replace-by-fee ... if it proves
// insufficient").
func (s *step) runCommit(pl *plan) {
	m := s.m
	lc := m.local
	c := lc.c
	tx, err := channel.SignedCommitmentTx(s.ctx, m.cfg.Signer, m.p, c, lc.info.Sigs.CommitSig)
	if err != nil {
		s.alert(AlertRejected, "build/"+pl.group, "%s: %v", pl.group, err)
		return
	}
	if !c.Type.HasAnchors() || !c.LocalAnchor.Present() {
		if s.broadcast(pl.group, tx) == nil {
			s.group(pl.group).record(s.height, c.FeeRate, c.Fee, c.TxHash, chainhash.Hash{})
		}
		return
	}
	g := s.group(pl.group)
	rate := s.rateFor(pl.deadline, g, true)
	weight := c.SignedWeight()
	own := wire.SatPerKWeight(int64(c.Fee) * 1000 / weight)
	if own >= rate && (g.txid == (chainhash.Hash{}) || g.txid == c.TxHash) {
		err := s.broadcast(pl.group, tx)
		if err == nil {
			g.record(s.height, own, c.Fee, c.TxHash, chainhash.Hash{})
			return
		}
		if !errors.Is(err, chain.ErrFeeTooLow) {
			return
		}
		rate = max(rate, bump(own))
	}
	for attempt := 0; ; attempt++ {
		if txs := g.cached(rate, c.TxHash); txs != nil {
			if s.broadcast(pl.group, txs...) == nil {
				g.record(s.height, rate, g.fee, txs[1].TxHash(), chainhash.Hash{})
				return
			}
			g.built = nil
		}
		w, err := s.walletFunded(pl.group, g, rate, func(f *channel.WalletFunding) (*channel.WalletFundedTx, error) {
			return channel.AnchorCPFPTx(s.ctx, m.cfg.Signer, c, f)
		})
		if err != nil {
			return
		}
		err = s.broadcast(pl.group, tx, w.Tx)
		if err == nil {
			g.record(s.height, rate, w.Fee, w.Tx.TxHash(), chainhash.Hash{})
			g.keep(rate, c.TxHash, tx, w.Tx)
			return
		}
		if !errors.Is(err, chain.ErrFeeTooLow) || attempt == 3 || rate >= m.pol.MaxFeeRate {
			if errors.Is(err, chain.ErrMissingInput) || errors.Is(err, chain.ErrDoubleSpend) {
				s.releaseWallet(g)
			}
			return
		}
		rate = min(bump(rate), m.pol.MaxFeeRate)
	}
}

// walletFunded builds a fee bump with build, from the group's wallet
// inputs when they suffice, adding coins from the wallet when they do not,
// and has the wallet sign its inputs.
func (s *step) walletFunded(group string, g *groupState, rate wire.SatPerKWeight, build func(*channel.WalletFunding) (*channel.WalletFundedTx, error)) (*channel.WalletFundedTx, error) {
	m := s.m
	if m.cfg.Wallet == nil {
		return nil, fmt.Errorf("%w: no wallet", ErrInvalidConfig)
	}
	if len(g.change) == 0 {
		cs, err := m.cfg.Wallet.NewScript(s.ctx)
		if err != nil {
			s.alert(AlertFeeBump, "feebump/"+group, "%s: wallet script: %v", group, err)
			return nil, err
		}
		g.change = cs
	}
	for try := 0; ; try++ {
		f := &channel.WalletFunding{Inputs: g.wallet, ChangeScript: g.change, FeeRate: rate}
		w, err := build(f)
		var short *channel.InsufficientFundsError
		if err == nil {
			if err := s.walletSign(w); err != nil {
				s.alert(AlertFeeBump, "feebump/"+group, "%s: wallet signing: %v", group, err)
				return nil, err
			}
			return w, nil
		}
		if !errors.As(err, &short) || try == 3 {
			s.alert(AlertFeeBump, "feebump/"+group, "%s: %v", group, err)
			return nil, err
		}
		more, err := s.walletCoins(short.Missing, rate, g)
		if err != nil {
			s.alert(AlertFeeBump, "feebump/"+group, "%s: the wallet cannot add %v at %v: %v", group, short.Missing, rate, err)
			return nil, err
		}
		g.wallet = append(g.wallet, more...)
		g.built = nil
	}
}
