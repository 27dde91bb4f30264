package peer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// BOLT 1 matches a pong to its ping only by order and length: the pongs
// come back in the order the pings went out, each num_pong_bytes long. So
// a ping of ours is registered as outstanding by the writer goroutine at
// the moment it writes the ping, never by the caller before queueing it:
// otherwise two concurrent Ping calls (or a Ping and the keepalive) could
// register in one order and reach the wire in the other, and the first
// pong would then have the wrong length and fail the connection.
//
// Our pongs are written by the writer goroutine too. The reader only
// records that a pong is owed: a reader that wrote pongs itself would
// block on the connection while the remote's reader, doing the same, is
// blocked on ours, and on a connection without buffering (net.Pipe) both
// nodes would stop for good.

// maxOwedPongs bounds the pongs the reader may owe the peer before the
// writer has sent them. Each costs two bytes; the bound is reached only by
// a peer that keeps pinging while it does not read our pongs.
const maxOwedPongs = 256

// pendingPing is a ping of ours awaiting its pong.
type pendingPing struct {
	n    uint16
	sent time.Time // set by the writer, under Peer.mu
	rtt  chan time.Duration
}

// Ping sends a ping asking for numPongBytes bytes of pong and returns the
// round-trip time once the pong arrives, measured from the moment the
// ping was written to the connection. numPongBytes must be below 65532,
// since BOLT 1 tells the peer to ignore larger requests.
//
// Ping is safe for concurrent use, with other Ping calls and with the
// peer's own keepalive pings: each call gets the pong that answers its
// ping. If ctx ends after the ping was queued, the ping is still sent and
// its pong still expected (and then dropped); it counts towards the
// pings outstanding until the pong comes.
func (p *Peer) Ping(ctx context.Context, numPongBytes uint16) (time.Duration, error) {
	if numPongBytes > wire.MaxPongBytes {
		return 0, ErrPongNotRequested
	}
	b, err := wire.EncodeMessage(&wire.Ping{NumPongBytes: numPongBytes})
	if err != nil {
		return 0, err
	}
	pp := &pendingPing{n: numPongBytes, rtt: make(chan time.Duration, 1)}
	p.mu.Lock()
	if p.pingsQueued+len(p.pings) >= maxOutstandingPings {
		p.mu.Unlock()
		return 0, ErrTooManyPings
	}
	p.pingsQueued++
	p.mu.Unlock()

	if err := p.enqueue(ctx, outFrame{b: b, ping: pp}); err != nil {
		p.mu.Lock()
		p.pingsQueued--
		p.mu.Unlock()
		return 0, err
	}
	select {
	case d := <-pp.rtt:
		return d, nil
	case <-ctx.Done():
		// The pong may still come; handlePong then drops it.
		return 0, ctx.Err()
	case <-p.done:
		return 0, p.err
	}
}

// pingWritten moves a queued ping to the outstanding list. The writer
// calls it just before it writes the ping, so that the list is in wire
// order.
func (p *Peer) pingWritten(pp *pendingPing) {
	p.mu.Lock()
	p.pingsQueued--
	pp.sent = time.Now()
	p.pings = append(p.pings, pp)
	p.mu.Unlock()
}

// handlePong matches a pong to our oldest outstanding ping. Pongs come
// back in order, so any other pong is a protocol violation.
func (p *Peer) handlePong(m *wire.Pong) error {
	p.mu.Lock()
	if len(p.pings) == 0 {
		p.mu.Unlock()
		return fmt.Errorf("%w: no ping outstanding", ErrUnexpectedPong)
	}
	pp := p.pings[0]
	p.pings[0] = nil
	p.pings = p.pings[1:]
	p.mu.Unlock()
	if len(m.Padding) != int(pp.n) {
		return fmt.Errorf("%w: %d bytes, asked for %d", ErrUnexpectedPong, len(m.Padding), pp.n)
	}
	pp.rtt <- time.Since(pp.sent)
	return nil
}

// owePong records, from the reader goroutine, that the peer's ping asks
// for a pong of n bytes, and wakes the writer. It never blocks.
func (p *Peer) owePong(n uint16) error {
	p.mu.Lock()
	if len(p.pongsOwed) >= maxOwedPongs {
		p.mu.Unlock()
		return fmt.Errorf("%w: %d pongs owed that the peer does not read", ErrPingFlood, maxOwedPongs)
	}
	p.pongsOwed = append(p.pongsOwed, n)
	p.pongsUnwritten++
	p.mu.Unlock()
	select {
	case p.pongReady <- struct{}{}:
	default: // the writer is already woken
	}
	return nil
}

// writePongs writes, from the writer goroutine, every pong owed, in the
// order of the pings they answer.
func (p *Peer) writePongs() error {
	p.mu.Lock()
	owed := p.pongsOwed
	p.pongsOwed = p.pongsSpare[:0]
	p.mu.Unlock()
	for _, n := range owed {
		if err := p.tr.WriteMessage(&wire.Pong{Padding: zeroPadding[:n]}); err != nil {
			return err
		}
		p.log.Debug("answered ping", "num_pong_bytes", n)
	}
	p.mu.Lock()
	p.pongsSpare = owed[:0]
	p.pongsUnwritten -= len(owed)
	if p.pongsUnwritten == 0 && p.pongsDrained != nil {
		close(p.pongsDrained)
		p.pongsDrained = nil
	}
	p.mu.Unlock()
	return nil
}

// drainPongs waits, on the reader goroutine, until the writer has sent
// every pong owed, or warningTimeout passes. The reader calls it before the
// warning that ends a connection for a protocol violation, so that the
// pings the peer sent before the violation are still answered.
func (p *Peer) drainPongs() {
	p.mu.Lock()
	if p.pongsUnwritten == 0 {
		p.mu.Unlock()
		return
	}
	drained := make(chan struct{})
	p.pongsDrained = drained
	p.mu.Unlock()
	t := time.NewTimer(warningTimeout)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
	case <-p.done:
	}
}

// warn sends, from the reader goroutine, the warning that precedes the
// close of the connection for a protocol violation, after the pongs owed.
func (p *Peer) warn(text string) {
	p.drainPongs()
	sendWarning(p.tr, wire.ChannelID{}, text)
}

// pingLoop pings the peer every PingInterval and fails the connection if a
// pong takes longer than PingTimeout. While our own reader is stalled by a
// full queue it cannot see the pong, so the wait is extended.
func (p *Peer) pingLoop() {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-p.done:
			return
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), p.cfg.PingTimeout)
			rtt, err := p.Ping(ctx, 0)
			cancel()
			if err == nil {
				p.log.Debug("ping", "rtt", rtt)
				break
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				// The connection is down, or too many pings are
				// outstanding; the former ends the loop below.
				break
			}
			if p.delivering.Load() {
				continue
			}
			p.fail(fmt.Errorf("%w: no pong within %s", ErrPingTimeout, p.cfg.PingTimeout))
			return
		}
	}
}
