package peer

import (
	"context"
	"errors"
	"sync"

	"github.com/lnkit/lnkit/wire"
)

// ErrMailboxClosed means the mailbox was closed (unsubscribed).
var ErrMailboxClosed = errors.New("peer: mailbox closed")

// ErrAlreadySubscribed means a mailbox for the channel exists already.
var ErrAlreadySubscribed = errors.New("peer: channel already has a mailbox")

// Mailbox is a bounded queue of inbound messages: the host's (Peer.Receive)
// or one channel's (Peer.Subscribe). When it is full the peer stops reading
// from the connection until the consumer catches up, so a slow consumer
// slows the remote node down instead of growing memory.
//
// A Mailbox is safe for concurrent use.
type Mailbox struct {
	p    *Peer
	id   wire.ChannelID
	host bool
	ch   chan wire.Message

	closeOnce sync.Once
	closed    chan struct{}
}

func newMailbox(p *Peer, id wire.ChannelID, host bool) *Mailbox {
	return &Mailbox{p: p, id: id, host: host, ch: make(chan wire.Message, p.cfg.QueueSize), closed: make(chan struct{})}
}

// ChannelID returns the channel the mailbox receives for (all zeros for
// the host's mailbox).
func (m *Mailbox) ChannelID() wire.ChannelID { return m.id }

// Receive returns the next message. It blocks until one arrives, ctx ends,
// the mailbox is closed (ErrMailboxClosed) or the peer disconnects; after a
// disconnect it still returns the messages already queued, then the
// peer's error (Peer.Err).
func (m *Mailbox) Receive(ctx context.Context) (wire.Message, error) {
	select {
	case msg := <-m.ch:
		return msg, nil
	default:
	}
	select {
	case msg := <-m.ch:
		return msg, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.closed:
		return nil, ErrMailboxClosed
	case <-m.p.done:
		select {
		case msg := <-m.ch:
			return msg, nil
		default:
			return nil, m.p.Err()
		}
	}
}

// Close removes a channel's mailbox from the peer; later messages for the
// channel go to the host's mailbox. Closing the host's mailbox makes the
// peer drop messages no channel claims. Close is idempotent.
func (m *Mailbox) Close() {
	m.closeOnce.Do(func() {
		close(m.closed)
		if !m.host {
			m.p.mu.Lock()
			if m.p.channels[m.id] == m {
				delete(m.p.channels, m.id)
			}
			m.p.mu.Unlock()
		}
	})
}

// deliver queues msg, blocking while the mailbox is full. It returns false
// if the peer shut down first. A message for a closed mailbox is dropped.
func (m *Mailbox) deliver(msg wire.Message) bool {
	select {
	case m.ch <- msg:
		return true
	default:
	}
	m.p.delivering.Store(true)
	defer m.p.delivering.Store(false)
	select {
	case m.ch <- msg:
		return true
	case <-m.closed:
		return true
	case <-m.p.done:
		return false
	}
}
