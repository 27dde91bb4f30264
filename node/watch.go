package node

import (
	"context"
	"errors"
	"fmt"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/monitor"
	"github.com/lnkit/lnkit/script"
)

// The on-chain side of channels: the latest local commitment broadcast in
// a force close, and the monitors that resolve a closed channel.

// signedCommitment completes the latest local commitment (loop).
func (n *Node) signedCommitment(cs *chanState) (*btcwire.MsgTx, error) {
	c, err := cs.m.LocalCommitment()
	if err != nil {
		return nil, err
	}
	return channel.SignedCommitmentTx(context.Background(), n.machineConfig(cs.keyIndex).Signer, cs.m.Params(), c, cs.m.LocalSigs().CommitSig)
}

// fundingPkScript is the channel's funding output script.
func fundingPkScript(cs *chanState) []byte {
	pk, _ := fundingScriptOf(cs.m.Params())
	return pk
}

func fundingScriptOf(p *channel.Params) ([]byte, error) {
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return nil, err
	}
	return script.P2WSH(ws), nil
}

// executeOther handles actions of other producers (loop).
func (n *Node) executeOther(cs *chanState, a channel.Action) {}

var _ = chain.Block{}

// The monitors.
//
// Every channel has a monitor (package monitor), registered when the
// channel opens, restored from the store at start. A channel's monitor
// updates of one turn are prepared together and their writes join the
// turn's batch, so the channel's records and its monitor's are durable
// together, before any message the updates cover leaves; the monitor
// commits them once the batch is durable. Blocks reach the monitors in
// the same call that gives them to the channels. The monitors' events
// (a close confirmed, a preimage learned on chain, an HTLC resolved on
// chain, funds swept) are handled and acknowledged on the node loop.

func (n *Node) monitorConfig(cs *chanState) monitor.Config {
	return monitor.Config{
		Store: n.st, Signer: n.machineConfig(cs.keyIndex).Signer, Broadcaster: n.cfg.Broadcaster,
		Fees: n.cfg.FeeEstimator, Wallet: n.cfg.Wallet, Filter: n.filter(), Logger: n.log,
		OnEvent: func(ev monitor.Event) { n.monEvents = append(n.monEvents, monEvent{cs, ev}) },
	}
}

type monEvent struct {
	cs *chanState
	ev monitor.Event
}

// registerMonitor creates the monitor of a new channel (loop).
func (n *Node) registerMonitor(cs *chanState) {
	mon, err := monitor.New(n.ctx, n.monitorConfig(cs), cs.m.Params())
	if err != nil {
		n.log.Error("monitor registration failed: the channel is not watched", "channel", cs.id, "err", err)
		return
	}
	cs.mon = mon
}

// openMonitor restores a channel's monitor (before the loop).
func (n *Node) openMonitor(ctx context.Context, cs *chanState) error {
	mon, err := monitor.Open(ctx, n.monitorConfig(cs), cs.id)
	if err != nil {
		return fmt.Errorf("node: monitor of %v: %w", cs.id, err)
	}
	cs.mon = mon
	for _, ev := range mustEvents(ctx, mon) {
		n.monEvents = append(n.monEvents, monEvent{cs, ev})
	}
	return nil
}

func mustEvents(ctx context.Context, mon *monitor.Monitor) []monitor.Event {
	evs, err := mon.Events(ctx)
	if err != nil {
		return nil
	}
	return evs
}

// monitorUpdate queues a channel's monitor update for the turn (loop).
func (n *Node) monitorUpdate(cs *chanState, u *channel.MonitorUpdate) {
	cs.monUpdates = append(cs.monUpdates, u)
	n.monDirty[cs] = true
}

// prepareMonitors adds the turn's monitor writes to the batch (loop). It
// reports false when the node is stopping and a monitor could not answer:
// the turn is then neither written nor sent.
func (n *Node) prepareMonitors() bool {
	for cs := range n.monDirty {
		ups := cs.monUpdates
		if cs.mon == nil || len(ups) == 0 {
			delete(n.monDirty, cs)
			cs.monUpdates = nil
			continue
		}
		pr, err := cs.mon.Prepare(n.ctx, ups...)
		if err != nil && n.ctx.Err() != nil {
			return false
		}
		delete(n.monDirty, cs)
		cs.monUpdates = nil
		if err != nil {
			n.monitorRefused(cs, err)
			continue
		}
		for _, op := range pr.Batch().Ops() {
			if op.Delete {
				n.batch.Delete(op.Key)
			} else {
				n.batch.Put(op.Key, op.Value)
			}
		}
		n.monPrepared = append(n.monPrepared, preparedUpdate{cs, pr, ups})
	}
	return true
}

// monitorRefused fails a channel whose monitor refused an update (loop).
// The monitor cannot watch the state the update describes, so nothing
// that commits to that state may reach the peer: the connection is
// dropped before this turn's messages are released (they are bound to
// it), and the channel fails in this same batch, so it never sends them
// after a restart either (a failed channel answers reestablish with its
// error). The monitor's latest commitment stays safe to broadcast: the
// revocation that would make it unsafe has not left.
func (n *Node) monitorRefused(cs *chanState, err error) {
	n.log.Error("the channel's monitor refused its update: failing the channel and dropping the connection before anything of this turn is sent", "channel", cs.id, "err", err)
	if pc, ok := n.peers[cs.peer]; ok {
		n.removePeer(pc)
		pc.close()
	}
	n.execute(cs, cs.m.Fail(fmt.Errorf("node: the channel's monitor refused its update: %w", err)))
}

type preparedUpdate struct {
	cs  *chanState
	pr  *monitor.Prepared
	ups []*channel.MonitorUpdate
}

// commitMonitors tells the monitors their writes are durable (loop).
func (n *Node) commitMonitors() {
	for _, p := range n.monPrepared {
		if err := p.cs.mon.Commit(n.ctx, p.pr); err != nil {
			n.log.Error("monitor commit", "channel", p.cs.id, "err", err)
		}
		if f := n.cfg.OnMonitorUpdate; f != nil {
			for _, u := range p.ups {
				f(p.cs.m.Params(), u)
			}
		}
	}
	n.monPrepared = nil
}

// monitorsBlock feeds a block to every monitor (loop).
func (n *Node) monitorsBlock(b *chain.Block) {
	// Updates of this turn first: the block may spend what they cover.
	n.prepareMonitorsNow()
	for _, cs := range n.channels {
		if cs.mon != nil {
			if err := cs.mon.BlockConnected(n.ctx, b); err != nil {
				n.log.Error("monitor block", "channel", cs.id, "err", err)
			}
		}
	}
	n.handleMonitorEvents()
}

// prepareMonitorsNow makes pending monitor updates durable before the
// monitors see a block (loop).
func (n *Node) prepareMonitorsNow() {
	if len(n.monDirty) == 0 {
		return
	}
	if !n.prepareMonitors() {
		return
	}
	if n.batch.Len() > 0 {
		if err := n.st.Write(n.ctx, &n.batch); err != nil {
			n.log.Error("store write before a block", "err", err)
			return
		}
		n.batch.Reset()
	}
	n.commitMonitors()
}

func (n *Node) monitorsDisconnect(h btcwire.BlockHeader, height uint32) {
	for _, cs := range n.channels {
		if cs.mon != nil {
			if err := cs.mon.BlockDisconnected(n.ctx, h, height); err != nil {
				n.log.Error("monitor disconnect", "channel", cs.id, "err", err)
			}
		}
	}
	n.handleMonitorEvents()
}

// handleMonitorEvents acts on the monitors' events and acknowledges them
// once the node's own record of them is durable (loop).
func (n *Node) handleMonitorEvents() {
	evs := n.monEvents
	n.monEvents = nil
	for _, me := range evs {
		cs, ev := me.cs, me.ev
		switch ev := ev.(type) {
		case *monitor.ClaimsResolved:
			if cs.status != chanResolved {
				cs.status = chanResolved
				n.saveChan(cs)
			}
		case *monitor.ChannelClosed:
			if cs.status < chanClosed {
				cs.status = chanClosed
				n.saveChan(cs)
				e := &ChannelClosed{ChannelID: cs.id, Peer: cs.peer, Reason: "closed on chain: " + ev.Kind.String()}
				n.afterCommit(func() { n.events.push(e) })
			}
		case *monitor.PreimageLearned:
			n.onChainPreimage(cs, ev.Preimage)
		case *monitor.HTLCResolved:
			if ev.HTLC.Direction == htlc.Offered {
				if ev.Outcome == monitor.Settled && ev.Preimage != nil {
					n.onChainPreimage(cs, *ev.Preimage)
				} else if ev.Outcome == monitor.Failed {
					n.onChainFailed(cs, ev.HTLC)
				}
			}
		}
		seq := ev.EventSeq()
		mon := cs.mon
		n.afterCommit(func() {
			if err := mon.AckEvent(n.ctx, seq); err != nil {
				n.log.Warn("monitor ack", "err", err)
			}
		})
	}
}

// onChainPreimage settles upstream what a preimage learned on chain pays
// (loop): forwarded HTLCs into the channel, and our own payments.
func (n *Node) onChainPreimage(cs *chanState, pre htlc.Preimage) {
	hash := pre.Hash()
	for _, h := range cs.m.OfferedHTLCs() {
		if h.PaymentHash != hash {
			continue
		}
		ev := &channel.HTLCSettled{ChannelID: cs.id, ID: h.ID, PaymentHash: hash, Amount: h.Amount, Preimage: pre}
		n.onOutgoingSettled(cs, ev)
	}
}

// onChainFailed fails upstream an offered HTLC that timed out on chain.
func (n *Node) onChainFailed(cs *chanState, h htlc.HTLC) {
	ev := &channel.HTLCFailed{ChannelID: cs.id, ID: h.ID, PaymentHash: h.PaymentHash, Amount: h.Amount,
		Local: errors.New("the HTLC timed out on chain")}
	n.onOutgoingFailed(cs, ev)
}
