package monitor

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
)

// spendRef is a confirmed spend of an output.
type spendRef struct {
	c  *confTx
	in int
}

// step is one resolution pass: from the confirmed transactions and the
// height, what is resolved, what to broadcast, what to report.
type step struct {
	m      *Monitor
	ctx    context.Context
	height uint32
	conf   []*confTx
	spent  map[btcwire.OutPoint]spendRef
	byTxid map[chainhash.Hash]*confTx

	ci      *closeInfo
	plans   []*plan
	events  []pendingEvent
	watched map[btcwire.OutPoint][]byte
	groups  map[string]*groupState
	meta    meta
	// metaChanged: meta is to be written.
	metaChanged bool
	// learned are preimages first seen in this step.
	learned    map[htlc.PaymentHash]htlc.Preimage
	emittedNow map[string]bool

	// pending counts outputs not resolved yet; minDepth is the smallest
	// depth among the transactions that resolved the others.
	pending  int
	minDepth uint32
	err      error
}

func (m *Monitor) newStep(ctx context.Context, conf []*confTx, height uint32) *step {
	s := &step{
		m: m, ctx: ctx, height: height, conf: conf,
		spent:   map[btcwire.OutPoint]spendRef{},
		byTxid:  map[chainhash.Hash]*confTx{},
		watched: map[btcwire.OutPoint][]byte{},
		groups:  map[string]*groupState{},
		meta:    m.meta,
		learned: map[htlc.PaymentHash]htlc.Preimage{},
	}
	for _, c := range conf {
		s.byTxid[c.txid] = c
		for i, in := range c.tx.TxIn {
			if _, dup := s.spent[in.PreviousOutPoint]; !dup {
				s.spent[in.PreviousOutPoint] = spendRef{c: c, in: i}
			}
		}
	}
	return s
}

// depth is c's number of confirmations.
func (s *step) depth(c *confTx) uint32 {
	if c.height > s.height {
		return 0
	}
	return s.height - c.height + 1
}

func (s *step) resolvedBy(c *confTx) { s.minDepth = min(s.minDepth, s.depth(c)) }

func (s *step) open() { s.pending++ }

func (s *step) watch(op btcwire.OutPoint, pk []byte) { s.watched[op] = pk }

// preimage returns a known preimage of h, including those learned in this
// step.
func (s *step) preimage(h htlc.PaymentHash) *htlc.Preimage {
	if p, ok := s.learned[h]; ok {
		return &p
	}
	p, err := s.m.preimage(s.ctx, h)
	if err != nil && s.err == nil {
		s.err = err
	}
	return p
}

// learn records a preimage read from the witness of tx, reporting it when
// it is new.
func (s *step) learn(pre htlc.Preimage, tx *confTx) {
	h := pre.Hash()
	if s.preimage(h) != nil {
		return
	}
	s.learned[h] = pre
	s.emit("pre/"+h.String(), &PreimageLearned{ChannelID: s.m.id, Preimage: pre, Txid: tx.txid})
}

func (s *step) alert(kind AlertKind, id, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	s.m.log.Warn("monitor alert", "kind", kind.String(), "detail", detail)
	s.emit("alert/"+id, &Alert{ChannelID: s.m.id, Kind: kind, Detail: detail})
}

// witnessOf parses the witness of a spend, nil when it is not a BOLT 3
// script spend (a P2WPKH to_remote, say).
func witnessOf(sp spendRef) *script.ParsedWitness {
	pw, err := script.ParseWitness(sp.c.tx.TxIn[sp.in].Witness)
	if err != nil {
		return nil
	}
	return pw
}

func pathOf(sp spendRef) script.SpendPath {
	if pw := witnessOf(sp); pw != nil {
		return pw.Path
	}
	return 0
}

func outpointOf(c *channel.Commitment, index int) btcwire.OutPoint {
	return btcwire.OutPoint{Hash: c.TxHash, Index: uint32(index)}
}

// htlcID names an HTLC for event deduplication, by this node's direction.
func htlcID(h htlc.HTLC) string {
	d := "o"
	if h.Direction == htlc.Received {
		d = "r"
	}
	return fmt.Sprintf("htlc/%s/%d", d, h.ID)
}

// settle reports an HTLC (this node's direction) paid.
func (s *step) settle(h htlc.HTLC, pre htlc.Preimage, txid chainhash.Hash) {
	p := pre
	s.emit(htlcID(h), &HTLCResolved{ChannelID: s.m.id, HTLC: h, Outcome: Settled, Preimage: &p, Txid: txid})
}

// fail reports an HTLC (this node's direction) failed on chain, unless
// the preimage of an HTLC this node offered is known: then it was paid.
func (s *step) fail(h htlc.HTLC, txid chainhash.Hash) {
	if h.Direction == htlc.Offered {
		if pre := s.preimage(h.PaymentHash); pre != nil {
			s.settle(h, *pre, txid)
			return
		}
	}
	s.emit(htlcID(h), &HTLCResolved{ChannelID: s.m.id, HTLC: h, Outcome: Failed, Txid: txid})
}

// expired handles an HTLC the peer offered whose output is unspent past
// its cltv_expiry with no preimage known: BOLT 5 considers it irrevocably
// resolved (the peer's to take); it is reported failed once it has been
// expired ResolveDepth blocks, unless the peer's timeout is seen first.
func (s *step) expired(h htlc.HTLC, commit chainhash.Hash) {
	if uint64(s.height)+1 >= uint64(h.CLTVExpiry)+uint64(s.m.pol.ResolveDepth) {
		s.fail(h, commit)
	}
}

// offeredAtStake returns the HTLCs this node offered that some commitment
// it holds (the latest two local ones, the unrevoked remote ones) still
// carries, by id.
func (m *Monitor) offeredAtStake() []htlc.HTLC {
	seen := map[uint64]htlc.HTLC{}
	add := func(st *channel.State) {
		for _, h := range st.HTLCs {
			if h.Direction == htlc.Offered {
				seen[h.ID] = h
			}
		}
	}
	for _, lc := range []*localCommit{m.local, m.localOld} {
		if lc != nil {
			add(&lc.info.State)
		}
	}
	for _, rc := range m.remotes {
		add(&rc.info.State)
	}
	out := make([]htlc.HTLC, 0, len(seen))
	for _, h := range seen {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// failMissing handles the HTLCs this node offered that have no output in
// the confirmed commitment (trimmed, or not in that commitment): BOLT 5
// "once the commitment transaction has reached reasonable depth: MUST
// fail the corresponding incoming HTLC".
func (s *step) failMissing(present map[uint64]bool) {
	if s.depth(s.ci.tx) < s.m.pol.ResolveDepth {
		return
	}
	for _, h := range s.m.offeredAtStake() {
		if !present[h.ID] {
			s.fail(h, s.ci.tx.txid)
		}
	}
}

// analyze works out the step.
func (s *step) analyze() {
	m := s.m
	f := m.fundingSpender(s.conf)
	if f == nil {
		s.preClose()
		return
	}
	ci := m.classify(s.ctx, f)
	if ci.err != nil {
		s.err = ci.err
		return
	}
	s.ci = ci
	s.minDepth = s.depth(f)
	s.emit("closed/"+f.txid.String(), &ChannelClosed{
		ChannelID: m.id, Kind: ci.kind, Txid: f.txid, Height: f.height, CommitmentNumber: ci.number,
	})
	full := m.cfg.Mode == ModeFull
	switch {
	case ci.kind == CloseRevoked:
		s.resolveRevoked()
	case ci.kind == CloseLocal && full:
		s.resolveLocal()
	case ci.kind == CloseRemote && full:
		s.resolveRemote()
	case ci.kind == CloseUnknown && full:
		s.resolveUnknown()
	}
	if ci.kind != CloseCooperative && (full || ci.kind == CloseRevoked) {
		s.learnAll()
	}
	s.reportSwept()
	if s.err == nil && s.pending == 0 && len(s.plans) == 0 && s.minDepth >= m.pol.IrrevocableDepth {
		s.emit("resolved", &ClaimsResolved{ChannelID: m.id, Height: s.height})
	}
}

// learnAll reads the preimage of every success-path witness spending an
// output of the commitment: whoever spent an HTLC output with its
// preimage told it.
func (s *step) learnAll() {
	f := s.ci.tx
	for _, c := range s.conf {
		for i, in := range c.tx.TxIn {
			if in.PreviousOutPoint.Hash != f.txid {
				continue
			}
			if pw := witnessOf(spendRef{c: c, in: i}); pw != nil && pw.HasPreimage {
				s.learn(htlc.Preimage(pw.Preimage), c)
			}
		}
	}
}

// preClose runs while the funding output is unspent: it keeps the local
// commitment broadcast once the host force-closed, and force-closes itself
// at the HTLC deadlines (Policy.OfferedGrace, Policy.FulfillDeadline).
func (s *step) preClose() {
	m := s.m
	if m.canBroadcastLocal() != nil {
		return
	}
	if !s.meta.forceClose {
		reason := s.deadlineReached()
		if reason == "" {
			return
		}
		m.log.Warn("broadcasting the local commitment", "reason", reason, "height", s.height)
		s.meta.forceClose, s.metaChanged = true, true
	}
	s.plans = append(s.plans, &plan{
		kind: planCommit, group: "cm/" + m.local.info.TxID.String(), deadline: s.commitDeadline(),
	})
}

// deadlineReached says why the channel must go on chain now, or "".
func (s *step) deadlineReached() string {
	m := s.m
	check := func(h htlc.HTLC, where string) string {
		switch h.Direction {
		case htlc.Offered:
			if uint64(s.height) >= uint64(h.CLTVExpiry)+uint64(m.pol.OfferedGrace) {
				return fmt.Sprintf("offered HTLC %d (%s) expired at %d", h.ID, where, h.CLTVExpiry)
			}
		case htlc.Received:
			if uint64(s.height)+uint64(m.pol.FulfillDeadline) >= uint64(h.CLTVExpiry) && s.preimage(h.PaymentHash) != nil {
				return fmt.Sprintf("fulfilled HTLC %d (%s) expires at %d", h.ID, where, h.CLTVExpiry)
			}
		}
		return ""
	}
	for _, h := range m.local.c.HTLCs {
		if r := check(h.HTLC, "local commitment"); r != "" {
			return r
		}
	}
	for _, rc := range m.remotes {
		for _, h := range rc.c.HTLCs {
			if r := check(h.HTLC.Flip(), fmt.Sprintf("remote commitment %d", rc.info.State.Number)); r != "" {
				return r
			}
		}
	}
	return ""
}

// commitDeadline is the height by which the local commitment must
// confirm so that its HTLC transactions can confirm in time; 0 if no HTLC
// makes it urgent.
func (s *step) commitDeadline() uint32 {
	var d uint32
	take := func(v uint32) {
		if d == 0 || v < d {
			d = v
		}
	}
	for _, h := range s.m.local.c.HTLCs {
		switch {
		case h.Direction == htlc.Offered:
			take(h.CLTVExpiry + s.m.pol.TimeoutDeadline - 1)
		case s.preimage(h.PaymentHash) != nil:
			take(h.CLTVExpiry - 1)
		}
	}
	return d
}

// resolveLocal: BOLT 5 "Unilateral Close Handling: Local Commitment
// Transaction".
func (s *step) resolveLocal() {
	c, lc := s.ci.c, s.ci.local
	if c.ToLocal.Present() {
		op := outpointOf(c, c.ToLocal.Index)
		s.watch(op, c.ToLocal.PkScript)
		if sp, ok := s.spent[op]; ok {
			s.resolvedBy(sp.c)
			if pathOf(sp) == script.PathToLocalRevoke {
				s.alert(AlertFundsLost, "lost/"+op.String(), "the peer took to_local of local commitment %d with the revocation key", c.Number)
			}
		} else if cl, err := channel.ToLocalClaim(c); err == nil {
			s.open()
			s.sweep(&plan{group: "tl/" + c.TxHash.String(), claims: []channel.Claim{cl}})
		}
	}
	present := map[uint64]bool{}
	var due []htlcDue
	seen := map[chainhash.Hash]bool{}
	for i := range c.HTLCs {
		h := &c.HTLCs[i]
		op := outpointOf(c, h.Output.Index)
		s.watch(op, h.Output.PkScript)
		sp, spent := s.spent[op]
		if h.Direction == htlc.Offered {
			present[h.ID] = true
			if !spent {
				s.open()
				// BOLT 5: timed out once the latest block is at or above
				// cltv_expiry; the HTLC-timeout transaction's locktime
				// is cltv_expiry, final in the next block.
				if s.height >= h.CLTVExpiry {
					due = append(due, htlcDue{in: htlcInput{index: i, sig: lc.info.Sigs.HTLCSigs[i]}, deadline: h.CLTVExpiry + s.m.pol.TimeoutDeadline})
				}
				continue
			}
			s.resolvedBy(sp.c)
			pw := witnessOf(sp)
			switch {
			case pw != nil && pw.Path == script.PathOfferedRemoteSuccess:
				s.learn(htlc.Preimage(pw.Preimage), sp.c)
				s.settle(h.HTLC, htlc.Preimage(pw.Preimage), sp.c.txid)
			case pw != nil && pw.Path == script.PathOfferedLocalTimeout:
				if !seen[sp.c.txid] {
					seen[sp.c.txid] = true
					s.ourSecondLevel(c, sp.c)
				}
				if s.depth(sp.c) >= s.m.pol.ResolveDepth {
					s.fail(h.HTLC, sp.c.txid)
				}
			case pw != nil && pw.Path == script.PathHTLCRevoke:
				s.alert(AlertFundsLost, "lost/"+op.String(), "the peer took offered HTLC %d of local commitment %d with the revocation key", h.ID, c.Number)
			}
			continue
		}
		if !spent {
			pre := s.preimage(h.PaymentHash)
			switch {
			case pre != nil:
				s.open()
				// Before cltv_expiry, when the peer can take it back.
				due = append(due, htlcDue{in: htlcInput{index: i, sig: lc.info.Sigs.HTLCSigs[i], preimage: pre}, deadline: h.CLTVExpiry})
			case s.height < h.CLTVExpiry:
				s.open()
			default:
				s.expired(h.HTLC, c.TxHash)
			}
			continue
		}
		s.resolvedBy(sp.c)
		pw := witnessOf(sp)
		switch {
		case pw != nil && pw.Path == script.PathReceivedLocalSuccess:
			if !seen[sp.c.txid] {
				seen[sp.c.txid] = true
				s.ourSecondLevel(c, sp.c)
			}
			if s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.settle(h.HTLC, htlc.Preimage(pw.Preimage), sp.c.txid)
			}
		case pw != nil && pw.Path == script.PathReceivedRemoteTimeout:
			if s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.fail(h.HTLC, sp.c.txid)
			}
		case pw != nil && pw.Path == script.PathHTLCRevoke:
			s.alert(AlertFundsLost, "lost/"+op.String(), "the peer took received HTLC %d of local commitment %d with the revocation key", h.ID, c.Number)
		}
	}
	s.planHTLCTxs(lc, due)
	s.failMissing(present)
}

// htlcDue is an HTLC transaction of the local commitment to broadcast.
type htlcDue struct {
	in       htlcInput
	deadline uint32
}

// planHTLCTxs plans the due HTLC transactions: under option_anchors those
// with the same locktime go out as one transaction paid by one set of
// wallet coins (deadline: the earliest of theirs); without anchors each is
// the transaction the peer signed.
func (s *step) planHTLCTxs(lc *localCommit, due []htlcDue) {
	c := lc.c
	if !c.Type.HasAnchors() {
		for _, d := range due {
			s.plans = append(s.plans, &plan{
				kind: planHTLCTx, group: fmt.Sprintf("ht/%s/%d", c.TxHash, c.HTLCs[d.in.index].Output.Index),
				lc: lc, htlcs: []htlcInput{d.in}, deadline: d.deadline,
			})
		}
		return
	}
	byLock := map[uint32]*plan{}
	for _, d := range due {
		lt := c.HTLCs[d.in.index].SecondLevelTx.LockTime
		pl := byLock[lt]
		if pl == nil {
			pl = &plan{kind: planHTLCTx, group: fmt.Sprintf("ht/%s/lt%d", c.TxHash, lt), lc: lc, deadline: d.deadline}
			byLock[lt] = pl
			s.plans = append(s.plans, pl)
		}
		pl.htlcs = append(pl.htlcs, d.in)
		pl.deadline = min(pl.deadline, d.deadline)
	}
}

// ourSecondLevel sweeps the output of this node's HTLC transaction t
// after to_self_delay.
func (s *step) ourSecondLevel(c *channel.Commitment, t *confTx) {
	cls, err := channel.SecondLevelClaims(c, t.tx)
	if err != nil {
		return
	}
	var open []channel.Claim
	for _, cl := range cls {
		s.watch(cl.OutPoint, cl.PkScript)
		if sp, ok := s.spent[cl.OutPoint]; ok {
			s.resolvedBy(sp.c)
			if pathOf(sp) == script.PathToLocalRevoke {
				s.alert(AlertFundsLost, "lost/"+cl.OutPoint.String(), "the peer took an HTLC transaction output of local commitment %d with the revocation key", c.Number)
			}
			continue
		}
		s.open()
		open = append(open, cl)
	}
	if len(open) > 0 {
		s.sweep(&plan{group: "sl/" + t.txid.String(), claims: open})
	}
}

// resolveRemote: BOLT 5 "Unilateral Close Handling: Remote Commitment
// Transaction", for the peer's current or pending commitment.
func (s *step) resolveRemote() {
	c := s.ci.c
	s.claimToRemote(c)
	present := map[uint64]bool{}
	for i := range c.HTLCs {
		h := &c.HTLCs[i]
		ours := h.HTLC.Flip()
		op := outpointOf(c, h.Output.Index)
		s.watch(op, h.Output.PkScript)
		sp, spent := s.spent[op]
		group := fmt.Sprintf("rh/%s/%d", c.TxHash, h.Output.Index)
		if ours.Direction == htlc.Offered {
			present[h.ID] = true
			if !spent {
				s.open()
				if s.height >= h.CLTVExpiry {
					if cl, err := channel.RemoteHTLCClaim(c, i, nil); err == nil {
						s.sweep(&plan{group: group, claims: []channel.Claim{cl}, contested: true, deadline: h.CLTVExpiry + s.m.pol.TimeoutDeadline})
					}
				}
				continue
			}
			s.resolvedBy(sp.c)
			pw := witnessOf(sp)
			switch {
			case pw != nil && pw.Path == script.PathReceivedLocalSuccess:
				s.learn(htlc.Preimage(pw.Preimage), sp.c)
				s.settle(ours, htlc.Preimage(pw.Preimage), sp.c.txid)
			case pw != nil && pw.Path == script.PathReceivedRemoteTimeout:
				if s.depth(sp.c) >= s.m.pol.ResolveDepth {
					s.fail(ours, sp.c.txid)
				}
			}
			continue
		}
		if !spent {
			pre := s.preimage(h.PaymentHash)
			switch {
			case pre != nil:
				s.open()
				if cl, err := channel.RemoteHTLCClaim(c, i, pre); err == nil {
					s.sweep(&plan{group: group, claims: []channel.Claim{cl}, contested: true, deadline: h.CLTVExpiry})
				}
			case s.height < h.CLTVExpiry:
				s.open()
			default:
				s.expired(ours, c.TxHash)
			}
			continue
		}
		s.resolvedBy(sp.c)
		pw := witnessOf(sp)
		switch {
		case pw != nil && pw.Path == script.PathOfferedRemoteSuccess:
			if s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.settle(ours, htlc.Preimage(pw.Preimage), sp.c.txid)
			}
		case pw != nil && pw.Path == script.PathOfferedLocalTimeout:
			if s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.fail(ours, sp.c.txid)
			}
		}
	}
	s.failMissing(present)
}

// claimToRemote sweeps this node's to_remote output of the peer's
// commitment: P2WPKH to its payment basepoint under
// option_static_remotekey (at once), CSV 1 under option_anchors.
func (s *step) claimToRemote(c *channel.Commitment) {
	if !c.ToRemote.Present() {
		return
	}
	op := outpointOf(c, c.ToRemote.Index)
	s.watch(op, c.ToRemote.PkScript)
	if sp, ok := s.spent[op]; ok {
		s.resolvedBy(sp.c)
		return
	}
	if cl, err := channel.ToRemoteClaim(c); err == nil {
		s.open()
		s.sweep(&plan{group: "tr/" + c.TxHash.String(), claims: []channel.Claim{cl}})
	}
}

// resolveUnknown: a commitment of the peer the monitor has no record of
// (data loss): only to_remote is recognisable (BOLT 5 rationale of
// "Unilateral Close Handling: Remote Commitment Transaction").
func (s *step) resolveUnknown() {
	c := s.ci.c
	s.claimToRemote(c)
	s.alert(AlertFundsLost, "unknown/"+c.TxHash.String(),
		"the peer's commitment %d is unknown to the monitor: only to_remote can be claimed, its HTLC outputs cannot", c.Number)
	// HTLCs offered by this node may be in it: none is reported failed,
	// since the peer may still claim them (their preimages are read from
	// the chain all the same).
}

// resolveRevoked: BOLT 5 "Revoked Transaction Close Handling".
func (s *step) resolveRevoked() {
	c, secret := s.ci.c, s.ci.secret
	claims, err := channel.RevokedClaims(c, secret)
	if err != nil {
		s.err = fmt.Errorf("monitor: revoked commitment %d: %w", c.Number, err)
		return
	}
	if s.ci.synthetic {
		s.alert(AlertFundsLost, "unknown/"+c.TxHash.String(),
			"revoked commitment %d has no record: to_local and to_remote are claimed, HTLC outputs cannot be", c.Number)
	}
	present := map[uint64]bool{}
	for _, h := range c.HTLCs {
		if h.Direction == htlc.Received {
			present[h.ID] = true
		}
	}
	var open []channel.Claim
	var cheater []*confTx
	seen := map[chainhash.Hash]bool{}
	for _, cl := range claims {
		s.watch(cl.OutPoint, cl.PkScript)
		sp, spent := s.spent[cl.OutPoint]
		if !spent {
			s.open()
			open = append(open, cl)
			continue
		}
		s.resolvedBy(sp.c)
		pw := witnessOf(sp)
		switch {
		case pw != nil && (pw.Path == script.PathOfferedLocalTimeout || pw.Path == script.PathReceivedLocalSuccess):
			// The cheater's HTLC transaction: its output is taken
			// through the revocation key below.
			if pw.HasPreimage && cl.HTLC != nil && cl.HTLC.Direction == htlc.Received {
				s.learn(htlc.Preimage(pw.Preimage), sp.c)
				s.settle(cl.HTLC.Flip(), htlc.Preimage(pw.Preimage), sp.c.txid)
			}
			if !seen[sp.c.txid] {
				seen[sp.c.txid] = true
				cheater = append(cheater, sp.c)
			}
		case pw != nil && pw.Path == script.PathToLocalDelayed:
			s.alert(AlertFundsLost, "lost/"+cl.OutPoint.String(), "the cheater swept to_local of revoked commitment %d after to_self_delay", c.Number)
		default:
			// Claimed by this node (revocation path, to_remote).
			if cl.HTLC != nil && cl.HTLC.Direction == htlc.Received && s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.fail(cl.HTLC.Flip(), sp.c.txid)
			}
		}
	}
	deadline := s.ci.tx.height + uint32(c.ToSelfDelay)
	if len(open) > 0 {
		s.sweep(&plan{group: "jc/" + c.TxHash.String(), claims: open, contested: true, splittable: true, deadline: deadline})
	}
	sortConf(cheater)
	for _, t := range cheater {
		cls, err := channel.RevokedSecondLevelClaims(c, secret, t.tx)
		if err != nil {
			continue
		}
		var open2 []channel.Claim
		for _, cl := range cls {
			s.watch(cl.OutPoint, cl.PkScript)
			sp, spent := s.spent[cl.OutPoint]
			if !spent {
				s.open()
				open2 = append(open2, cl)
				continue
			}
			s.resolvedBy(sp.c)
			if pathOf(sp) == script.PathToLocalDelayed {
				s.alert(AlertFundsLost, "lost/"+cl.OutPoint.String(), "the cheater swept an HTLC transaction output of revoked commitment %d after to_self_delay", c.Number)
			} else if cl.HTLC != nil && cl.HTLC.Direction == htlc.Received && s.depth(sp.c) >= s.m.pol.ResolveDepth {
				s.fail(cl.HTLC.Flip(), sp.c.txid)
			}
		}
		if len(open2) > 0 {
			s.sweep(&plan{group: "j2/" + t.txid.String(), claims: open2, contested: true, splittable: true, deadline: t.height + uint32(c.ToSelfDelay)})
		}
	}
	s.failMissing(present)
}

// reportSwept reports this node's sweeps once ResolveDepth deep: the
// confirmed transactions paying the sweep script whose inputs all spend
// channel outputs.
func (s *step) reportSwept() {
	m := s.m
	for _, c := range s.conf {
		if s.depth(c) < m.pol.ResolveDepth {
			continue
		}
		var amt, out int64
		for _, o := range c.tx.TxOut {
			out += o.Value
			if bytes.Equal(o.PkScript, m.dest) {
				amt += o.Value
			}
		}
		if amt == 0 {
			continue
		}
		var in int64
		ok := true
		for _, txin := range c.tx.TxIn {
			prev := s.byTxid[txin.PreviousOutPoint.Hash]
			if prev == nil || int(txin.PreviousOutPoint.Index) >= len(prev.tx.TxOut) {
				ok = false
				break
			}
			in += prev.tx.TxOut[txin.PreviousOutPoint.Index].Value
		}
		if !ok {
			continue
		}
		s.emit("swept/"+c.txid.String(), &FundsSwept{
			ChannelID: m.id, Txid: c.txid, Height: c.height, Amount: amount(amt), Fee: amount(in - out),
		})
	}
}
