package node

import (
	"sync"

	"github.com/lnkit/lnkit/wire"
)

// Event is something that happened on the node. The concrete types are
// *ChannelReady, *ChannelClosed, *PaymentSucceeded, *PaymentFailed,
// *PaymentReceived and *HTLCForwarded.
//
// Events are delivered in order, either to Config.OnEvent on the node's
// goroutine or through Events. The queue behind Events is unbounded: a
// consumer that falls behind costs memory, never a lost event or a
// stalled node; one that never reads should set OnEvent instead. Events
// are not persisted: after a restart, the node's lists (ListPayments,
// ListInvoices, ListChannels) are the record of what happened.
type Event interface{ event() }

// ChannelReady reports a channel that can carry payments.
type ChannelReady struct {
	ChannelID wire.ChannelID
	Peer      [33]byte
}

// ChannelClosed reports a channel closed on chain (or forgotten).
type ChannelClosed struct {
	ChannelID wire.ChannelID
	Peer      [33]byte
	// Reason says why.
	Reason string
}

// PaymentSucceeded reports an outgoing payment that completed.
type PaymentSucceeded struct {
	Payment Payment
}

// PaymentFailed reports an outgoing payment that failed for good.
type PaymentFailed struct {
	Payment Payment
}

// PaymentReceived reports an incoming payment that was settled.
type PaymentReceived struct {
	PaymentHash wire.PaymentHash
	Amount      wire.MilliSatoshi
	// Keysend is set for a spontaneous payment (no invoice).
	Keysend bool
	// CustomRecords are the payment's TLV records of type 65536 and up.
	CustomRecords map[uint64][]byte
}

// HTLCForwarded reports an HTLC this node forwarded and settled.
type HTLCForwarded struct {
	InChannel, OutChannel wire.ChannelID
	AmountIn, AmountOut   wire.MilliSatoshi
}

func (*ChannelReady) event()     {}
func (*ChannelClosed) event()    {}
func (*PaymentSucceeded) event() {}
func (*PaymentFailed) event()    {}
func (*PaymentReceived) event()  {}
func (*HTLCForwarded) event()    {}

// eventQueue delivers events in order without blocking the node loop.
type eventQueue struct {
	cb   func(Event)
	mu   sync.Mutex
	q    []Event
	wake chan struct{}
	out  chan Event
}

func newEventQueue(cb func(Event)) *eventQueue {
	return &eventQueue{cb: cb, wake: make(chan struct{}, 1), out: make(chan Event)}
}

// push queues e (loop goroutine).
func (e *eventQueue) push(ev Event) {
	if e.cb != nil {
		e.cb(ev)
		return
	}
	e.mu.Lock()
	e.q = append(e.q, ev)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *eventQueue) start(wg *sync.WaitGroup, quit <-chan struct{}) {
	if e.cb != nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			e.mu.Lock()
			var next Event
			if len(e.q) > 0 {
				next = e.q[0]
				e.q[0] = nil
				e.q = e.q[1:]
			}
			e.mu.Unlock()
			if next == nil {
				select {
				case <-e.wake:
					continue
				case <-quit:
					return
				}
			}
			select {
			case e.out <- next:
			case <-quit:
				return
			}
		}
	}()
}

// Events returns the node's event stream (see Event). It is nil when
// Config.OnEvent is set.
func (n *Node) Events() <-chan Event {
	if n.events.cb != nil {
		return nil
	}
	return n.events.out
}
