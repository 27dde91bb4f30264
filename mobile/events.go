package mobile

import (
	"encoding/hex"
	"sort"
	"time"

	"github.com/lnkit/lnkit/node"
)

// EventListener is implemented by the host to hear what happens on the
// node. Its methods are called one at a time, in order, on one goroutine
// of the node's (never on the caller's thread of a Node method), and may
// call the Node, except Stop. Events are not stored: after a restart,
// ListPayments, ListInvoices and ListChannels are the record.
type EventListener interface {
	// OnChannelReady: the channel can carry payments.
	OnChannelReady(channelID string, peerID string)
	// OnChannelClosed: the channel closed on chain (or was forgotten);
	// reason says why.
	OnChannelClosed(channelID string, peerID string, reason string)
	// OnPaymentSucceeded: an outgoing payment completed; payment.Preimage
	// is the proof of payment.
	OnPaymentSucceeded(payment *Payment)
	// OnPaymentFailed: an outgoing payment failed for good;
	// payment.Failure says why.
	OnPaymentFailed(payment *Payment)
	// OnPaymentReceived: an incoming payment settled, by invoice or by
	// keysend, with the custom records (TLV types 65536 and up) it
	// carried.
	OnPaymentReceived(paymentHash string, amountMsat int64, keysend bool, records *CustomRecords)
}

// readyPoll is how often the node's channels are checked for readiness.
const readyPoll = time.Second

// deliverEvents hands the node's events to the listener until Stop.
//
// OnChannelReady is derived from the channels' state as well as from the
// node's ChannelReady events: the node reports a channel only when a
// block makes it ready, not when the peer's channel_ready is what
// completes it (the usual order), so the channels are checked every
// readyPoll and before each other event. Each channel is reported once
// per Node; channels already ready at Start are not reported.
func (n *Node) deliverEvents() {
	defer n.pump.Done()
	events := n.n.Events()
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		select {
		case ev := <-events:
			if n.listener == nil {
				continue
			}
			if e, ok := ev.(*node.ChannelReady); ok {
				n.reportReady(e.ChannelID.String(), hex.EncodeToString(e.Peer[:]))
				continue
			}
			n.checkReady()
			n.deliver(ev)
		case <-t.C:
			if n.listener != nil {
				n.checkReady()
			}
		case <-n.quit:
			return
		}
	}
}

// readyChannels returns the ids and peers of the ready, open channels.
func (n *Node) readyChannels() (map[string]string, error) {
	ctx, cancel := timeout(int64(readyPoll / time.Millisecond))
	defer cancel()
	chs, err := n.n.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range chs {
		if c.Ready && c.Status == "open" {
			out[c.ChannelID.String()] = hex.EncodeToString(c.Peer[:])
		}
	}
	return out, nil
}

// checkReady reports the channels that became ready (pump goroutine).
func (n *Node) checkReady() {
	ready, err := n.readyChannels()
	if err != nil {
		return // stopping, or the loop is busy: the next check sees it
	}
	ids := make([]string, 0, len(ready))
	for id := range ready {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n.reportReady(id, ready[id])
	}
}

// reportReady calls OnChannelReady once per channel (pump goroutine).
func (n *Node) reportReady(id, peer string) {
	if n.reported[id] {
		return
	}
	n.reported[id] = true
	n.listener.OnChannelReady(id, peer)
}

func (n *Node) deliver(ev node.Event) {
	l := n.listener
	switch e := ev.(type) {
	case *node.ChannelClosed:
		l.OnChannelClosed(e.ChannelID.String(), hex.EncodeToString(e.Peer[:]), e.Reason)
	case *node.PaymentSucceeded:
		l.OnPaymentSucceeded(newPayment(&e.Payment))
	case *node.PaymentFailed:
		l.OnPaymentFailed(newPayment(&e.Payment))
	case *node.PaymentReceived:
		recs := &CustomRecords{}
		types := make([]uint64, 0, len(e.CustomRecords))
		for t := range e.CustomRecords {
			types = append(types, t)
		}
		sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
		for _, t := range types {
			recs.items = append(recs.items, &CustomRecord{Type: int64(t), Value: append([]byte(nil), e.CustomRecords[t]...)})
		}
		l.OnPaymentReceived(e.PaymentHash.String(), int64(e.Amount), e.Keysend, recs)
	}
	// HTLCForwarded has no listener method: a phone's node rarely
	// forwards (see the package doc).
}
