package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Opening channels.
//
// The funding negotiation (channel.Funding) runs on the node loop; the
// wallet calls (funding and signing the transaction) run on their own
// goroutines and post their result back. The funding transaction is kept
// in the store from the moment its outpoint is sent in funding_created,
// and broadcast only after funding_signed is verified and the channel is
// durable; after a crash, a channel whose funding has not confirmed has
// its funding transaction signed and broadcast again.

const keyFundingTx = "node/fundtx/"

// opening is a channel establishment in progress.
type opening struct {
	f        *channel.Funding
	tempID   wire.ChannelID
	peer     [33]byte
	outbound bool
	amount   btcutil.Amount
	keyIndex uint32
	pkt      *psbt.Packet
	done     chan openResult
	started  time.Time
}

type openResult struct {
	id  wire.ChannelID
	err error
}

// OpenChannelRequest asks to open a channel.
type OpenChannelRequest struct {
	// Peer is the connected peer to open with.
	Peer *btcec.PublicKey
	// Amount is the channel's capacity, paid by this node's wallet.
	Amount btcutil.Amount
	// Push gives the peer this much at once.
	Push wire.MilliSatoshi
	// Type is the commitment format (zero: anchors when the peer supports
	// them, else static_remotekey).
	Type script.ChannelType
	// Private keeps the channel unannounced and uses an alias
	// (option_scid_alias) when the peer supports it.
	Private bool
	// ZeroConf asks the peer to use the channel before the funding
	// confirms (option_zeroconf; the peer must trust this node).
	ZeroConf bool
	// FeeRate is the funding transaction's fee rate (default: the
	// FeeEstimator's for 6 blocks).
	FeeRate wire.SatPerKWeight
}

// OpenChannel opens a channel to a connected peer and returns its channel
// id once the funding transaction is broadcast. A ChannelReady event
// follows when it can be used.
func (n *Node) OpenChannel(ctx context.Context, req OpenChannelRequest) (wire.ChannelID, error) {
	if req.Peer == nil || req.Amount <= 0 {
		return wire.ChannelID{}, fmt.Errorf("%w: peer and amount are required", ErrInvalidRequest)
	}
	commitRate, err := n.cfg.FeeEstimator.EstimateFeeRate(ctx, 6)
	if err != nil {
		return wire.ChannelID{}, err
	}
	commitRate = chain.ClampFeeRate(commitRate)
	fundRate := req.FeeRate
	if fundRate == 0 {
		fundRate = commitRate
	}
	var id [33]byte
	copy(id[:], req.Peer.SerializeCompressed())
	done := make(chan openResult, 1)
	err = n.do(ctx, func() error {
		pc, ok := n.peers[id]
		if !ok {
			return ErrUnknownPeer
		}
		op := &opening{peer: id, outbound: true, amount: req.Amount, done: done, started: n.now()}
		cfg := n.fundingConfig(pc, op)
		f, acts, err := channel.NewOutboundFunding(cfg, channel.OpenRequest{
			FundingAmount: req.Amount, PushAmount: req.Push, FeeRate: commitRate, FundingFeeRate: fundRate,
			Type: req.Type, SCIDAlias: req.Private && cfg.LocalFeatures.HasFeature(wire.FeatureSCIDAlias) && pc.p.Features().Remote.HasFeature(wire.FeatureSCIDAlias),
			ZeroConf: req.ZeroConf, Announce: !req.Private,
		})
		if err != nil {
			return err
		}
		op.f, op.tempID = f, f.TemporaryChannelID()
		n.byTemp[op.tempID] = op
		n.executeFunding(op, acts)
		return nil
	})
	if err != nil {
		return wire.ChannelID{}, err
	}
	select {
	case r := <-done:
		return r.id, r.err
	case <-ctx.Done():
		return wire.ChannelID{}, ctx.Err()
	case <-n.quit:
		return wire.ChannelID{}, ErrStopped
	}
}

// fundingConfig is the FundingConfig of a new negotiation with pc; it
// allocates the channel's key index (loop).
func (n *Node) fundingConfig(pc *peerConn, op *opening) channel.FundingConfig {
	op.keyIndex = n.nextKey
	n.nextKey++
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n.nextKey)
	n.batch.Put(keyNextKey, b[:])
	signer := channel.NewMemorySigner(n.keys.channelSecrets(op.keyIndex))
	pol := n.cfg.Policy
	alias := n.newAlias()
	return channel.FundingConfig{
		ChainHash:      wire.ChainHash(*n.cfg.Network.GenesisHash),
		LocalFeatures:  n.features(),
		RemoteFeatures: pc.p.Features().Remote,
		Basepoints:     signer.Basepoints(),
		Signer:         signer,
		Secrets:        n.keys.shachain(op.keyIndex),
		Alias:          &alias,
		BlockHeight:    n.height,
		Policy: channel.FundingPolicy{
			MaxToSelfDelay: pol.MaxToSelfDelay, DustLimit: pol.DustLimit, ToSelfDelay: pol.ToSelfDelay,
			HTLCMinimum: pol.HTLCMinimum, MaxAcceptedHTLCs: pol.MaxAcceptedHTLCs,
			ReservePercent: uint32(pol.ReservePercent), MinimumDepth: pol.MinDepth,
			AcceptZeroConf: pol.AcceptZeroConf,
		},
		MachinePolicy: pol.Channel,
		ChannelIDInUse: func(id wire.ChannelID) bool {
			_, ok := n.channels[id]
			return ok
		},
		Rand: n.rand,
	}
}

// newAlias draws a short channel id alias (option_scid_alias) that no
// real block height could give.
func (n *Node) newAlias() wire.ShortChannelID {
	var b [8]byte
	n.rand.Read(b[:])
	v := binary.BigEndian.Uint64(b[:])
	// Heights above 16,000,000 are decades away: aliases live there.
	s := wire.NewShortChannelIDFromUint64(v)
	s.BlockHeight = 16_000_000 + s.BlockHeight%700_000
	return s
}

// handleOpenChannel answers a peer's open_channel (loop).
func (n *Node) handleOpenChannel(pc *peerConn, m *wire.OpenChannel) {
	op := &opening{peer: pc.id, amount: m.FundingAmount, started: n.now()}
	cfg := n.fundingConfig(pc, op)
	f, acts, err := channel.NewInboundFunding(cfg, m, n.feeEstimate())
	op.tempID = m.TemporaryChannelID
	if err != nil {
		n.log.Info("open_channel refused", "peer", hex.EncodeToString(pc.id[:]), "err", err)
		n.executeFunding(op, acts)
		return
	}
	op.f = f
	n.byTemp[op.tempID] = op
	n.executeFunding(op, acts)
}

// handleFundingMessage hands accept_channel or funding_created to its
// negotiation (loop).
func (n *Node) handleFundingMessage(pc *peerConn, temp wire.ChannelID, msg wire.Message) {
	op, ok := n.byTemp[temp]
	if !ok || op.peer != pc.id || op.f == nil {
		n.sendTo(pc.id, &wire.Error{ChannelID: temp, Data: []byte("unknown temporary_channel_id")})
		return
	}
	acts, err := op.f.ReceiveMessage(n.ctx, msg)
	if err != nil {
		n.log.Info("channel establishment failed", "err", err)
	}
	n.executeFunding(op, acts)
	if op.f.Failed() != nil {
		n.finishOpening(op, op.f.Failed())
	}
}

// handleFundingSigned finds the negotiation funding_signed belongs to.
func (n *Node) handleFundingSigned(pc *peerConn, m *wire.FundingSigned) {
	for _, op := range n.byTemp {
		if id, ok := op.f.ChannelID(); ok && id == m.ChannelID && op.peer == pc.id {
			n.handleFundingMessage(pc, op.tempID, m)
			return
		}
	}
	n.sendTo(pc.id, &wire.Error{ChannelID: m.ChannelID, Data: []byte("unknown channel")})
}

// executeFunding carries out a negotiation's actions (loop).
func (n *Node) executeFunding(op *opening, acts []channel.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
			n.persist(a)
		case *channel.Send:
			n.sendTo(op.peer, a.Msg)
		case *channel.FundingTxNeeded:
			n.fundTransaction(op, a)
		case *channel.ReleaseFundingInputs:
			if op.pkt != nil {
				pkt := op.pkt
				n.afterCommit(func() { n.cfg.Wallet.ReleaseInputs(n.ctx, pkt) })
			}
		case *channel.ChannelOpened:
			n.channelOpened(op, a)
		case *channel.BroadcastFunding:
			n.broadcastFunding(op, a.ChannelID)
		case *channel.MonitorUpdate:
			if cs, ok := n.channels[a.ChannelID]; ok {
				n.monitorUpdate(cs, a)
			} else {
				n.pendingMonitor = append(n.pendingMonitor, a)
			}
		}
	}
}

// fundTransaction asks the wallet for the funding transaction off the
// loop and hands it to the negotiation.
func (n *Node) fundTransaction(op *opening, need *channel.FundingTxNeeded) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		funded, err := n.cfg.Wallet.FundPsbt(n.ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{need.Output}, FeeRate: need.FeeRate})
		n.post(func() {
			if n.byTemp[op.tempID] != op {
				if err == nil {
					n.cfg.Wallet.ReleaseInputs(n.ctx, funded.Packet)
				}
				return
			}
			if err != nil {
				n.executeFunding(op, op.f.Abandon(err))
				n.finishOpening(op, err)
				return
			}
			op.pkt = funded.Packet
			tx := funded.Packet.UnsignedTx
			acts, err := op.f.FundingTxBuilt(n.ctx, tx)
			if err != nil {
				n.executeFunding(op, op.f.Abandon(err))
				n.cfg.Wallet.ReleaseInputs(n.ctx, funded.Packet)
				n.finishOpening(op, err)
				return
			}
			// Keep the transaction: it must be broadcast even after a
			// crash once the channel is durable.
			if id, ok := op.f.ChannelID(); ok {
				var buf bytes.Buffer
				if err := funded.Packet.Serialize(&buf); err == nil {
					n.batch.Put(keyFundingTx+hex.EncodeToString(id[:]), buf.Bytes())
				}
			}
			n.executeFunding(op, acts)
		})
	}()
}

// channelOpened registers the new channel (loop).
func (n *Node) channelOpened(op *opening, a *channel.ChannelOpened) {
	cs := &chanState{id: a.ChannelID, m: a.Machine, peer: op.peer, keyIndex: op.keyIndex, opener: op.outbound}
	if a.Result != nil {
		cs.ann.public = a.Result.Announce
	}
	n.channels[cs.id] = cs
	n.saveChan(cs)
	n.indexChannel(cs)
	n.registerMonitor(cs)
	for _, u := range n.pendingMonitor {
		if u.ChannelID == cs.id {
			n.monitorUpdate(cs, u)
		}
	}
	n.pendingMonitor = nil
	n.registerChannel(cs)
	n.peerStorageChanged(cs.peer)
	delete(n.byTemp, op.tempID)
	if !op.outbound {
		n.finishOpening(op, nil)
	}
}

// broadcastFunding signs and broadcasts the funding transaction off the
// loop, then answers the caller of OpenChannel.
func (n *Node) broadcastFunding(op *opening, id wire.ChannelID) {
	pkt := op.pkt
	n.afterCommit(func() {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			err := n.signAndBroadcast(pkt)
			n.post(func() {
				if err != nil {
					n.log.Error("funding broadcast", "channel", id, "err", err)
				}
				select {
				case op.done <- openResult{id: id, err: err}:
				default: // the opening already reported its outcome
				}
			})
		}()
	})
}

func (n *Node) signAndBroadcast(pkt *psbt.Packet) error {
	if err := n.cfg.Wallet.SignPsbt(n.ctx, pkt); err != nil {
		return err
	}
	tx, err := psbt.Extract(pkt)
	if err != nil {
		return err
	}
	return n.cfg.Broadcaster.Broadcast(n.ctx, tx)
}

// rebroadcastFunding re-signs and broadcasts funding transactions of
// channels that have not confirmed (after a restart).
func (n *Node) rebroadcastFunding(ctx context.Context) {
	keys, err := n.st.List(ctx, keyFundingTx)
	if err != nil {
		return
	}
	for _, k := range keys {
		raw, err := hex.DecodeString(strings.TrimPrefix(k, keyFundingTx))
		if err != nil || len(raw) != 32 {
			continue
		}
		var id wire.ChannelID
		copy(id[:], raw)
		cs, ok := n.channels[id]
		if !ok {
			continue
		}
		if _, confirmed := cs.m.ShortChannelID(); confirmed {
			continue
		}
		v, err := n.st.Get(ctx, k)
		if err != nil {
			continue
		}
		pkt, err := psbt.NewFromRawBytes(bytes.NewReader(v), false)
		if err != nil {
			continue
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.signAndBroadcast(pkt); err != nil && !errors.Is(err, chain.ErrDoubleSpend) {
				n.log.Warn("funding rebroadcast", "channel", id, "err", err)
			}
		}()
	}
}

// abandonOpening ends a negotiation that the peer left (loop).
func (n *Node) abandonOpening(op *opening, reason error) {
	if op.f != nil {
		n.executeFunding(op, op.f.Abandon(reason))
	}
	n.finishOpening(op, reason)
}

func (n *Node) finishOpening(op *opening, err error) {
	delete(n.byTemp, op.tempID)
	if op.done != nil && err != nil {
		select {
		case op.done <- openResult{err: fmt.Errorf("node: channel establishment failed: %w", err)}:
		default:
		}
	}
}

// fundingTick abandons establishments the peer left hanging (loop).
func (n *Node) fundingTick() {
	for id, op := range n.byTemp {
		if n.now().Sub(op.started) > n.cfg.Policy.FundingTimeout {
			n.abandonOpening(op, fmt.Errorf("the peer did not answer within %v", n.cfg.Policy.FundingTimeout))
			delete(n.byTemp, id)
		}
	}
}

// feeEstimate is the last fee estimate for 6 blocks (loop).
func (n *Node) feeEstimate() wire.SatPerKWeight {
	if n.feeRate == 0 {
		return chain.FeeRateFloor
	}
	return n.feeRate
}
