package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/wire"
)

// Closing channels.
//
// A cooperative close sends shutdown (with a fresh script from the
// wallet), waits for the channel to drain of HTLCs, then runs the closing
// negotiation (channel.CoopClose: option_simple_close when both nodes
// support it, else closing_signed with fee_range), whose signed
// transactions are persisted before any signature leaves and broadcast
// when complete. A force close fails the channel, which broadcasts the
// latest local commitment; the monitor resolves it on chain.

// coopClosing is a cooperative close in progress.
type coopClosing struct {
	c       *channel.CoopClose
	started bool
	// script is this node's closing script, while shutdown waits for
	// this node's pending updates to be committed.
	script  []byte
	txid    chainhash.Hash
	waiters []chan closeResult
}

type closeResult struct {
	txid chainhash.Hash
	err  error
}

// CloseChannel closes a channel: cooperatively (returning the closing
// transaction's id once it is signed by both and broadcast), or with
// force, broadcasting this node's commitment (the returned id is then
// that commitment's).
func (n *Node) CloseChannel(ctx context.Context, id wire.ChannelID, force bool) (chainhash.Hash, error) {
	if force {
		var txid chainhash.Hash
		err := n.do(ctx, func() error {
			cs, ok := n.channels[id]
			if !ok {
				return ErrUnknownChannel
			}
			c, err := cs.m.LocalCommitment()
			if err != nil {
				return err
			}
			txid = c.TxHash
			// The channel's failure reaches onChannelFailed, which
			// hands the close to the monitor: it broadcasts, bumps
			// and rebroadcasts the commitment until it confirms.
			n.execute(cs, cs.m.Fail(errors.New("force close requested by the host")))
			return nil
		})
		return txid, err
	}
	script, err := n.cfg.Wallet.NewScript(ctx)
	if err != nil {
		return chainhash.Hash{}, err
	}
	done := make(chan closeResult, 1)
	err = n.do(ctx, func() error {
		cs, ok := n.channels[id]
		if !ok {
			return ErrUnknownChannel
		}
		if cs.closing == nil {
			cs.closing = &coopClosing{}
		}
		cs.closing.waiters = append(cs.closing.waiters, done)
		if local, _ := cs.m.ShutdownScripts(); local == nil {
			// Shutdown waits for this node's pending updates to be
			// committed (BOLT 2); execute tries again after each step.
			cs.closing.script = script
			n.trySh(cs)
		}
		cs.status = chanClosing
		n.saveChan(cs)
		n.maybeStartClose(cs)
		return nil
	})
	if err != nil {
		return chainhash.Hash{}, err
	}
	select {
	case r := <-done:
		return r.txid, r.err
	case <-ctx.Done():
		return chainhash.Hash{}, ctx.Err()
	case <-n.quit:
		return chainhash.Hash{}, ErrStopped
	}
}

// trySh sends shutdown once the channel allows it (loop).
func (n *Node) trySh(cs *chanState) {
	if cs.closing == nil || cs.closing.script == nil {
		return
	}
	if local, _ := cs.m.ShutdownScripts(); local != nil {
		cs.closing.script = nil
		return
	}
	acts, err := cs.m.Shutdown(cs.closing.script)
	if err != nil {
		if !errors.Is(err, channel.ErrShuttingDown) && !errors.Is(err, channel.ErrDisconnected) {
			n.closeDone(cs, chainhash.Hash{}, err)
		}
		return
	}
	cs.closing.script = nil
	n.execute(cs, acts)
	n.maybeStartClose(cs)
}

// maybeStartClose answers a peer's shutdown and starts the negotiation
// once both shutdowns are exchanged and the channel is drained (loop).
func (n *Node) maybeStartClose(cs *chanState) {
	local, remote := cs.m.ShutdownScripts()
	if remote == nil {
		return
	}
	if local == nil {
		if cs.closing != nil && cs.closing.started {
			return
		}
		// Answer with our own shutdown: get a script off the loop.
		if cs.closing == nil {
			cs.closing = &coopClosing{}
		}
		cs.status = chanClosing
		n.saveChan(cs)
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			script, err := n.cfg.Wallet.NewScript(n.ctx)
			n.post(func() {
				if err != nil {
					n.log.Error("no closing script", "err", err)
					return
				}
				if cs.closing.script == nil {
					cs.closing.script = script
				}
				n.trySh(cs)
			})
		}()
		return
	}
	if !cs.m.Drained() || (cs.closing != nil && cs.closing.started) {
		return
	}
	if cs.closing == nil {
		cs.closing = &coopClosing{}
	}
	pc, ok := n.peers[cs.peer]
	if !ok {
		return
	}
	feats := pc.p.Features()
	c, err := channel.NewCoopClose(channel.CoopCloseConfig{
		Params:      cs.m.Params(),
		Signer:      n.machineConfig(cs.keyIndex).Signer,
		SimpleClose: feats.Local.HasFeature(wire.FeatureSimpleClose) && feats.Remote.HasFeature(wire.FeatureSimpleClose),
		AnySegwit:   feats.Local.HasFeature(wire.FeatureShutdownAnySegwit) && feats.Remote.HasFeature(wire.FeatureShutdownAnySegwit),
	})
	if err != nil {
		n.log.Error("coop close", "err", err)
		return
	}
	cs.closing.c = c
	cs.closing.started = true
	st := cs.m.LocalState()
	rate := n.feeEstimate()
	acts, err := c.Start(n.ctx, channel.CoopCloseStart{
		LocalBalance: st.LocalBalance, RemoteBalance: st.RemoteBalance,
		LocalScript: local, RemoteScript: remote,
		Fees:     channel.CloseFeePolicy{FeeRate: rate, MinFeeRate: chain.FeeRateFloor, MaxFeeRate: rate * 10},
		LockTime: n.height,
	})
	if err != nil {
		n.log.Error("coop close start", "err", err)
	}
	n.executeClose(cs, acts)
}

// receiveClosing hands a closing message to the negotiation (loop).
func (n *Node) receiveClosing(cs *chanState, msg wire.Message) {
	if cs.closing == nil || cs.closing.c == nil {
		n.maybeStartClose(cs)
	}
	if cs.closing == nil || cs.closing.c == nil {
		n.sendTo(cs.peer, &wire.Warning{ChannelID: cs.id, Data: []byte("closing message before shutdown completed")})
		return
	}
	acts, err := cs.closing.c.ReceiveMessage(n.ctx, msg)
	if err != nil {
		n.log.Warn("closing negotiation", "channel", cs.id, "err", err)
	}
	n.executeClose(cs, acts)
}

// executeClose carries out the negotiation's actions (loop).
func (n *Node) executeClose(cs *chanState, acts []channel.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
			n.persist(a)
		case *channel.Send:
			n.sendTo(cs.peer, a.Msg)
		case *channel.BroadcastClose:
			tx := a.Tx
			cs.closing.txid = tx.TxHash()
			n.afterCommit(func() {
				n.wg.Add(1)
				go func() {
					defer n.wg.Done()
					err := n.cfg.Broadcaster.Broadcast(n.ctx, tx)
					n.post(func() { n.closeDone(cs, tx.TxHash(), err) })
				}()
			})
		case *channel.CoopCloseSigned:
			cs.closing.txid = a.TxID
		case *channel.ChannelFailed:
			n.afterCommit(func() { n.onChannelFailed(cs, a) })
		case *channel.Disconnect:
			n.afterCommit(func() {
				if pc, ok := n.peers[cs.peer]; ok {
					n.removePeer(pc)
					pc.close()
				}
			})
		}
	}
	if err := cs.closing.c.Failed(); err != nil {
		n.closeDone(cs, chainhash.Hash{}, err)
	}
}

func (n *Node) closeDone(cs *chanState, txid chainhash.Hash, err error) {
	if cs.closing == nil {
		return
	}
	if err != nil && errors.Is(err, chain.ErrDoubleSpend) {
		err = nil // the peer broadcast it first
	}
	for _, w := range cs.closing.waiters {
		w <- closeResult{txid: txid, err: err}
	}
	cs.closing.waiters = nil
}

// restoreClosing rebuilds a negotiation from its records after a
// restart (before the loop runs).
func (n *Node) restoreClosing(ctx context.Context, cs *chanState) {
	if cs.status != chanClosing {
		return
	}
	c, err := channel.RestoreCoopClose(ctx, n.st, channel.CoopCloseConfig{
		Params: cs.m.Params(), Signer: n.machineConfig(cs.keyIndex).Signer,
	})
	if err != nil || c == nil {
		return
	}
	cs.closing = &coopClosing{c: c, started: true}
	acts := c.Rebroadcast()
	n.post(func() { n.executeClose(cs, acts) })
}

var _ = fmt.Sprint
