package peer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// readLoop reads and dispatches messages until the connection ends.
func (p *Peer) readLoop() {
	defer p.wg.Done()
	defer close(p.events)
	for {
		b, err := p.tr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("peer: remote closed the connection: %w", err)
			}
			p.fail(err)
			return
		}
		if err := p.handle(b); err != nil {
			p.fail(err)
			return
		}
	}
}

// handle processes one inbound message. A non-nil error ends the
// connection. Returning nil after the peer shut down is fine: the next read
// fails.
func (p *Peer) handle(b []byte) error {
	msg, err := wire.DecodeMessage(b)
	if err != nil {
		if errors.Is(err, wire.ErrUnknownEvenMessage) {
			// BOLT 1: an unknown even message type MUST close the
			// connection.
			err = fmt.Errorf("peer: %w", err)
		} else {
			err = fmt.Errorf("%w: %w", ErrMalformedMessage, err)
		}
		p.warn(err.Error())
		return err
	}
	switch m := msg.(type) {
	case *wire.Ping:
		return p.handlePing(m)
	case *wire.Pong:
		return p.handlePong(m)
	case *wire.Error:
		p.emit(Event{Kind: EventError, ChannelID: m.ChannelID, Error: m})
		return nil
	case *wire.Warning:
		p.emit(Event{Kind: EventWarning, ChannelID: m.ChannelID, Warning: m})
		return nil
	case *wire.Init:
		// BOLT 1 has init only as the first message.
		p.log.Warn("ignoring a second init")
		return nil
	}
	if _, unknown := msg.(*wire.UnknownMessage); !unknown {
		if id, ok := channelIDOf(b); ok {
			p.mu.Lock()
			mb := p.channels[id]
			p.mu.Unlock()
			if mb != nil {
				mb.deliver(msg)
				return nil
			}
		}
	}
	p.host.deliver(msg)
	return nil
}

// emit queues an event, blocking while the queue is full.
func (p *Peer) emit(e Event) {
	p.log.Info("peer sent "+e.Kind.String(), "channel", e.ChannelID, "text", e.String())
	select {
	case p.events <- e:
		return
	default:
	}
	p.delivering.Store(true)
	defer p.delivering.Store(false)
	select {
	case p.events <- e:
	case <-p.done:
	}
}

// channelIDOf returns the channel a BOLT 2 message concerns: its
// channel_id, or temporary_channel_id for the opening messages. Those of
// open_channel and open_channel2 follow the 32-byte chain_hash; every
// other channel message starts with it, as does announcement_signatures
// (BOLT 7).
func channelIDOf(b []byte) (wire.ChannelID, bool) {
	var id wire.ChannelID
	t := wire.MessageType(binary.BigEndian.Uint16(b))
	off := 0
	switch {
	case t == wire.MsgOpenChannel || t == wire.MsgOpenChannel2:
		off = 32
	case t == 2 /* stfu */, t >= 33 && t <= 136, t == wire.MsgAnnouncementSignatures:
	default:
		return id, false
	}
	p := b[2:]
	if len(p) < off+32 {
		return id, false
	}
	copy(id[:], p[off:off+32])
	return id, true
}

// zeroPadding backs the ignored bytes of our pongs and pings, which BOLT 1
// says should be zeros.
var zeroPadding [wire.MaxPongBytes]byte

// handlePing answers a ping (BOLT 1, "The ping and pong Messages"): with a
// pong of num_pong_bytes zeros if num_pong_bytes < 65532, otherwise not at
// all. A peer that pings more than PingRateLimit times in 30 seconds is
// failed with ErrPingFlood.
func (p *Peer) handlePing(m *wire.Ping) error {
	now := time.Now()
	keep := p.pingsSeen[:0]
	for _, t := range p.pingsSeen {
		if now.Sub(t) < pingRateWindow {
			keep = append(keep, t)
		}
	}
	p.pingsSeen = append(keep, now)
	if len(p.pingsSeen) > p.cfg.PingRateLimit {
		err := fmt.Errorf("%w: %d in %s", ErrPingFlood, len(p.pingsSeen), pingRateWindow)
		p.warn(err.Error())
		return err
	}
	if m.NumPongBytes > wire.MaxPongBytes {
		p.log.Debug("ignored ping", "num_pong_bytes", m.NumPongBytes)
		return nil
	}
	// The writer sends the pong: see owePong.
	return p.owePong(m.NumPongBytes)
}
