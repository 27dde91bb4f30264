package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/monitor"
	"github.com/lnkit/lnkit/wire"
)

// Node record keys.
const (
	keyChan    = "node/chan/"
	keyPeer    = "node/peer/"
	keyNextKey = "node/next_key"
	keyHeight  = "node/height"
)

// chanStatus is a channel's life-cycle stage as the node sees it.
type chanStatus uint8

const (
	chanOpen chanStatus = iota
	chanClosing
	chanForceClosed
	// chanClosed: the closing transaction confirmed; outputs may still be
	// waiting for claims, so the channel and its monitor stay loaded.
	chanClosed
	// chanResolved: every output is irrevocably resolved
	// (monitor.ClaimsResolved), or the funding never confirmed. Only
	// these channels are left out at load.
	chanResolved
)

func (s chanStatus) String() string {
	if s > chanResolved {
		return fmt.Sprintf("chanStatus(%d)", uint8(s))
	}
	return [...]string{"open", "closing", "force-closed", "closed", "closed"}[s]
}

// chanState is one channel the node has.
type chanState struct {
	id       wire.ChannelID
	m        *channel.Machine
	peer     [33]byte
	keyIndex uint32
	status   chanStatus
	opener   bool
	closing  *coopClosing
	// mon watches the channel on chain; monUpdates are its updates of
	// the current turn.
	mon        *monitor.Monitor
	monUpdates []*channel.MonitorUpdate
	ann        announceState
	// deferred are removals waiting for the channel to reconnect.
	deferred []func() error
	// readyReported records that ChannelReady was reported.
	readyReported bool
	// closeTx is the transaction that closed the channel, once known.
	closeTx string
	// owed are incoming HTLCs whose preimage this node holds but whose
	// fulfill is not yet in the channel (the peer is away): id to
	// cltv_expiry. See claimIncoming.
	owed map[uint64]uint32
	// peerUpdate is the peer's latest channel_update for its direction
	// of this channel (signature checked): its fee and cltv_expiry_delta
	// go into route hints. Not persisted: peers send it on reconnect.
	peerUpdate *wire.ChannelUpdate
}

func (n *Node) chanRecord(cs *chanState) []byte {
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, cs.keyIndex)
	b = append(b, cs.peer[:]...)
	b = append(b, byte(cs.status))
	return b
}

func (n *Node) saveChan(cs *chanState) {
	n.batch.Put(keyChan+hex.EncodeToString(cs.id[:]), n.chanRecord(cs))
}

func (n *Node) saveNodeRecord(id [33]byte, addr string) {
	n.batch.Put(keyPeer+hex.EncodeToString(id[:]), []byte(addr))
}

// machineConfig is the configuration of channel key index i, with the
// negotiated parts (Params, constraints) to be filled in.
func (n *Node) machineConfig(i uint32) channel.MachineConfig {
	return channel.MachineConfig{
		Policy:  n.cfg.Policy.Channel,
		Signer:  channel.NewMemorySigner(n.keys.channelSecrets(i)),
		Secrets: n.keys.shachain(i),
	}
}

// load restores the node's state from its store (before the loop runs).
func (n *Node) load(ctx context.Context) error {
	if v, err := n.st.Get(ctx, keyNextKey); err == nil && len(v) == 4 {
		n.nextKey = binary.BigEndian.Uint32(v)
	}
	if v, err := n.st.Get(ctx, keyHeight); err == nil && len(v) == 4 {
		n.height = binary.BigEndian.Uint32(v)
	}
	keys, err := n.st.List(ctx, keyChan)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		if len(v) != 1+4+33+1 || v[0] != 1 {
			return fmt.Errorf("node: corrupt channel record %s", k)
		}
		raw, err := hex.DecodeString(strings.TrimPrefix(k, keyChan))
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("node: corrupt channel key %s", k)
		}
		cs := &chanState{keyIndex: binary.BigEndian.Uint32(v[1:5]), status: chanStatus(v[38])}
		copy(cs.id[:], raw)
		copy(cs.peer[:], v[5:38])
		if cs.status > chanResolved {
			return fmt.Errorf("node: channel record %s: unknown status %d", k, v[38])
		}
		if cs.status == chanResolved {
			continue
		}
		m, err := channel.RestoreMachine(ctx, n.st, cs.id, n.machineConfig(cs.keyIndex))
		if err != nil {
			return fmt.Errorf("node: channel %v: %w", cs.id, err)
		}
		cs.m = m
		cs.opener = m.Params().Opener == channel.Local
		if err := n.openMonitor(ctx, cs); err != nil {
			return err
		}
		n.loadAnnounce(ctx, cs)
		n.channels[cs.id] = cs
		n.indexChannel(cs)
		n.restoreClosing(ctx, cs)
		cs.readyReported = m.Ready()
		n.registerChannel(cs)
	}
	if err := n.loadGraph(ctx); err != nil {
		return err
	}
	if err := n.loadRecoveries(ctx); err != nil {
		return err
	}
	if err := n.pays.load(ctx); err != nil {
		return err
	}
	if err := n.pays.loadSummaries(ctx); err != nil {
		return err
	}
	if err := n.invs.load(ctx); err != nil {
		return err
	}
	if err := n.fwd.load(ctx); err != nil {
		return err
	}
	return nil
}

// indexChannel records the channel's aliases and short channel id for
// forwarding lookups.
func (n *Node) indexChannel(cs *chanState) {
	local, _ := cs.m.Aliases()
	if local != nil {
		n.byAlias[local.ToUint64()] = cs
	}
	if scid, ok := cs.m.ShortChannelID(); ok {
		n.byAlias[scid.ToUint64()] = cs
	}
}

// receive hands a peer message to a channel (loop).
func (n *Node) receive(cs *chanState, msg wire.Message) {
	switch msg.(type) {
	case *wire.ClosingSigned, *wire.ClosingComplete, *wire.ClosingSig:
		n.receiveClosing(cs, msg)
		return
	case *wire.AnnouncementSignatures:
		n.receiveAnnouncementSignatures(cs, msg.(*wire.AnnouncementSignatures))
		return
	}
	acts, err := cs.m.ReceiveMessage(n.ctx, msg)
	if err != nil {
		n.log.Warn("channel message refused", "channel", cs.id, "msg", msg.MsgType(), "err", err)
	}
	n.execute(cs, acts)
	switch msg.(type) {
	case *wire.Shutdown:
		n.maybeStartClose(cs)
	case *wire.ChannelReestablish, *wire.ChannelReady:
		n.runDeferred(cs)
		n.advanceAnnouncement(cs)
	}
}

// persist adds a *channel.Persist's writes to the turn's batch (loop).
func (n *Node) persist(a *channel.Persist) {
	for _, op := range a.Ops {
		if op.Delete {
			n.batch.Delete(op.Key)
		} else {
			n.batch.Put(op.Key, op.Value)
		}
	}
}

// execute carries out a Machine's actions (loop): writes join the turn's
// batch; sends and events wait until it is durable.
func (n *Node) execute(cs *chanState, acts []channel.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
			n.persist(a)
		case *channel.MonitorUpdate:
			n.monitorUpdate(cs, a)
		case *channel.Send:
			n.sendTo(cs.peer, a.Msg)
		case *channel.HTLCLockedIn:
			n.afterCommit(func() { n.onLockedIn(cs, a) })
		case *channel.HTLCSettled:
			n.afterCommit(func() { n.onOutgoingSettled(cs, a) })
		case *channel.HTLCFailed:
			n.afterCommit(func() { n.onOutgoingFailed(cs, a) })
		case *channel.ChannelFailed:
			n.afterCommit(func() { n.onChannelFailed(cs, a) })
		case *channel.Disconnect:
			n.afterCommit(func() {
				if pc, ok := n.peers[cs.peer]; ok {
					n.removePeer(pc)
					pc.close()
				}
			})
		case *channel.Quiescent:
		default:
			n.executeOther(cs, a)
		}
	}
	if cs.m.Ready() {
		n.indexChannel(cs)
		if !cs.readyReported {
			n.channelBecameReady(cs)
		}
	}
	if cs.closing != nil {
		if cs.closing.script != nil {
			n.trySh(cs)
		} else if !cs.closing.started {
			n.maybeStartClose(cs)
		}
	}
}

// onChannelFailed handles a failed channel: a unilateral close, unless
// this node lost state.
func (n *Node) onChannelFailed(cs *chanState, ev *channel.ChannelFailed) {
	n.log.Warn("channel failed", "channel", cs.id, "err", ev.Err, "broadcast", ev.Broadcast)
	if errors.Is(ev.Err, channel.ErrFundingTimeout) {
		// The funding never confirmed: there is nothing to watch.
		cs.status = chanResolved
		n.saveChan(cs)
		n.events.push(&ChannelClosed{ChannelID: cs.id, Peer: cs.peer, Reason: ev.Err.Error()})
		return
	}
	if cs.status >= chanForceClosed {
		return
	}
	cs.status = chanForceClosed
	n.saveChan(cs)
	if cs.mon != nil {
		// The monitor broadcasts the commitment (and bumps it), or,
		// after data loss, never does and waits for the peer's.
		if err := cs.mon.HandleChannelFailed(n.ctx, ev); err != nil {
			n.log.Error("monitor force close", "channel", cs.id, "err", err)
		}
		return
	}
	if ev.Broadcast {
		n.forceClose(cs)
	}
}

// forceClose broadcasts the latest local commitment (with the monitor
// taking over its resolution).
func (n *Node) forceClose(cs *chanState) {
	tx, err := n.signedCommitment(cs)
	if err != nil {
		n.log.Error("cannot build the local commitment", "channel", cs.id, "err", err)
		return
	}
	n.afterCommit(func() {
		if err := n.cfg.Broadcaster.Broadcast(n.ctx, tx); err != nil && !errors.Is(err, chain.ErrDoubleSpend) {
			n.log.Error("broadcasting the commitment", "channel", cs.id, "err", err)
		}
	})
}

// ChannelInfo describes a channel.
type ChannelInfo struct {
	ChannelID wire.ChannelID
	// FundingOutpoint is the channel's funding output.
	FundingOutpoint btcwire.OutPoint
	Peer            [33]byte
	// ShortChannelID is the confirmed short_channel_id (zero before).
	ShortChannelID wire.ShortChannelID
	Capacity       btcutil.Amount
	// Ready reports that the channel carries payments.
	Ready bool
	// Status is "opening", "open", "closing", "force-closed" or "closed".
	Status string
	// Initiator is set when this node opened the channel.
	Initiator bool
	// Local and Remote are the balances of this node's latest
	// commitment, outside HTLCs.
	Local, Remote wire.MilliSatoshi
	// Outbound is what this node can send now (balance minus its
	// reserve and, as opener, the commitment fee); Inbound what it can
	// receive.
	Outbound, Inbound wire.MilliSatoshi
	// LocalReserve and RemoteReserve are the reserves each side keeps.
	LocalReserve, RemoteReserve btcutil.Amount
	// InFlightOut and InFlightIn are the HTLCs outstanding each way.
	InFlightOut, InFlightIn wire.MilliSatoshi
	// CommitmentNumber is the local commitment's number.
	CommitmentNumber uint64
}

// ListChannels returns every channel with its balances.
func (n *Node) ListChannels(ctx context.Context) ([]ChannelInfo, error) {
	var out []ChannelInfo
	err := n.do(ctx, func() error {
		for _, cs := range n.channels {
			out = append(out, n.channelInfo(cs))
		}
		for _, op := range n.byTemp {
			out = append(out, ChannelInfo{ChannelID: op.tempID, Peer: op.peer, Capacity: op.amount, Status: "opening", Initiator: op.outbound})
		}
		return nil
	})
	return out, err
}

func (n *Node) channelInfo(cs *chanState) ChannelInfo {
	b := cs.m.Balance()
	p := cs.m.Params()
	info := ChannelInfo{
		ChannelID: cs.id, FundingOutpoint: p.FundingOutpoint, Peer: cs.peer, Capacity: p.FundingAmount, Ready: cs.m.Ready(),
		Status: cs.status.String(), Initiator: p.Opener == channel.Local,
		Local: b.Local, Remote: b.Remote, InFlightOut: b.OfferedInFlight, InFlightIn: b.ReceivedInFlight,
		CommitmentNumber: cs.m.LocalCommitmentNumber(),
		LocalReserve:     cs.m.Reserve(channel.Local), RemoteReserve: cs.m.Reserve(channel.Remote),
	}
	if scid, ok := cs.m.ShortChannelID(); ok {
		info.ShortChannelID = scid
	}
	info.Outbound = cs.m.Spendable(channel.Local)
	info.Inbound = cs.m.Spendable(channel.Remote)
	return info
}
