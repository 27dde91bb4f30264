package channel

import (
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// FundingTimeoutBlocks is how long a fundee waits for the funding
// transaction to confirm before forgetting the channel (BOLT 2
// channel_ready: 2016 blocks).
const FundingTimeoutBlocks = 2016

// ErrFundingTimeout reports a funding transaction that did not confirm
// within FundingTimeoutBlocks: the fundee forgets the channel. Nothing of
// its funds is at stake (it put none in, or only pushed ones).
var ErrFundingTimeout = errors.New("channel: funding transaction not confirmed in time")

// LockIn says when a new channel becomes usable (BOLT 2 channel_ready).
type LockIn struct {
	// MinDepth is the number of confirmations of the funding transaction
	// after which this node sends channel_ready; 0 sends it at once
	// (zero-conf, option_zeroconf: only with a peer that is trusted not to
	// double-spend the funding, or when this node funded).
	MinDepth uint32
	// Alias is this node's alias for the channel (option_scid_alias),
	// sent in channel_ready; the peer uses it in forwards and route hints
	// until (or instead of) the real short_channel_id.
	Alias *wire.ShortChannelID
	// CreatedAt is the block height when the channel was created: a
	// fundee forgets it FundingTimeoutBlocks later if the funding
	// transaction has not confirmed.
	CreatedAt uint32
}

// lockIn is the Machine's lock-in state.
type lockIn struct {
	LockIn
	localReady, remoteReady bool
	remoteAlias             *wire.ShortChannelID
	// fundingHeight is the height of the block holding the funding
	// transaction (0 while unconfirmed), fundingIndex its index there.
	fundingHeight, fundingIndex uint32
}

// Ready reports whether both sides have sent channel_ready: the channel
// carries HTLCs.
func (m *Machine) Ready() bool { return m.lock.localReady && m.lock.remoteReady }

// ShortChannelID returns the channel's short_channel_id once the funding
// transaction has confirmed, and false before.
func (m *Machine) ShortChannelID() (wire.ShortChannelID, bool) {
	if m.lock.fundingHeight == 0 {
		return wire.ShortChannelID{}, false
	}
	return wire.ShortChannelID{BlockHeight: m.lock.fundingHeight, TxIndex: m.lock.fundingIndex, OutputIndex: uint16(m.p.FundingOutpoint.Index)}, true
}

// Aliases returns this node's alias and the peer's (from its
// channel_ready), nil when none.
func (m *Machine) Aliases() (local, remote *wire.ShortChannelID) {
	return m.lock.Alias, m.lock.remoteAlias
}

// FundingConfirmed tells the Machine the funding transaction is in the
// block at height, at index txIndex. It sends channel_ready once the
// funding has MinDepth confirmations (see BlockHeight). Call it again
// after a reorganization puts the transaction in another block.
func (m *Machine) FundingConfirmed(height, txIndex uint32) []Action {
	if m.phase == phaseFailed {
		return nil
	}
	m.lock.fundingHeight, m.lock.fundingIndex = height, txIndex
	m.out.dirty = true
	if height > m.height {
		m.height = height
	}
	m.checkLockIn()
	return m.finish()
}

// FundingUnconfirmed tells the Machine a reorganization took the funding
// transaction out of the chain. Before channel_ready was sent the Machine
// waits for it to confirm again; after, the channel stays in use (as a
// zero-conf one would) and the short_channel_id is unknown until it
// confirms again.
func (m *Machine) FundingUnconfirmed() []Action {
	m.lock.fundingHeight, m.lock.fundingIndex = 0, 0
	m.out.dirty = true
	return m.finish()
}

// checkLockIn sends channel_ready when the funding is deep enough, and
// forgets a fundee's channel whose funding never confirmed.
func (m *Machine) checkLockIn() {
	l := &m.lock
	if l.localReady || m.phase == phaseFailed {
		return
	}
	confirmed := l.fundingHeight > 0 && m.height >= l.fundingHeight && m.height-l.fundingHeight+1 >= l.MinDepth
	if l.MinDepth == 0 || confirmed {
		l.localReady = true
		m.out.dirty = true
		if m.conn == connUp {
			m.out.sends = append(m.out.sends, m.channelReady())
		}
		return
	}
	if m.p.Opener == Remote && l.fundingHeight == 0 && m.height >= l.CreatedAt+FundingTimeoutBlocks {
		err := fmt.Errorf("%w: created at height %d, now %d", ErrFundingTimeout, l.CreatedAt, m.height)
		m.fail(err, true, false, nil)
	}
}

// channelReady is this node's channel_ready.
func (m *Machine) channelReady() *wire.ChannelReady {
	// The point of commitment 1 never fails to derive in practice; a
	// Secrets that fails would already have failed commitment 0.
	pt, err := m.localPoint(1)
	msg := &wire.ChannelReady{ChannelID: m.id, Alias: m.lock.Alias}
	if err == nil {
		msg.SecondPerCommitmentPoint = wire.NewPoint(pt)
	}
	return msg
}

// receiveChannelReady takes the peer's second per-commitment point and
// alias; a repeated channel_ready (after reconnection) is ignored (BOLT 2).
func (m *Machine) receiveChannelReady(msg *wire.ChannelReady) ([]Action, error) {
	if m.lock.remoteReady {
		return nil, nil
	}
	pt, err := msg.SecondPerCommitmentPoint.PublicKey()
	if err != nil {
		return m.violation("channel_ready: %v", err)
	}
	m.lock.remoteReady = true
	if m.remote.number == 0 && m.remoteNextPoint == nil {
		m.remoteNextPoint = pt
	}
	if msg.Alias != nil {
		a := *msg.Alias
		m.lock.remoteAlias = &a
	}
	m.out.dirty = true
	return m.finish(), nil
}
