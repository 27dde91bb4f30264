package peer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// pendingPing is a ping of ours awaiting its pong.
type pendingPing struct {
	n    uint16
	sent time.Time
	rtt  chan time.Duration
}

// Ping sends a ping asking for numPongBytes bytes of pong and returns the
// round-trip time once the pong arrives. numPongBytes must be below 65532,
// since BOLT 1 tells the peer to ignore larger requests.
func (p *Peer) Ping(ctx context.Context, numPongBytes uint16) (time.Duration, error) {
	if numPongBytes > wire.MaxPongBytes {
		return 0, ErrPongNotRequested
	}
	pp := &pendingPing{n: numPongBytes, rtt: make(chan time.Duration, 1)}
	p.mu.Lock()
	if len(p.pings) >= maxOutstandingPings {
		p.mu.Unlock()
		return 0, ErrTooManyPings
	}
	pp.sent = time.Now()
	p.pings = append(p.pings, pp)
	p.mu.Unlock()

	if err := p.Send(ctx, &wire.Ping{NumPongBytes: numPongBytes}); err != nil {
		p.mu.Lock()
		for i, q := range p.pings {
			if q == pp {
				p.pings = append(p.pings[:i], p.pings[i+1:]...)
				break
			}
		}
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

// handlePong matches a pong to our oldest outstanding ping. Pongs come
// back in order, so any other pong is a protocol violation.
func (p *Peer) handlePong(m *wire.Pong) error {
	p.mu.Lock()
	if len(p.pings) == 0 {
		p.mu.Unlock()
		return fmt.Errorf("%w: no ping outstanding", ErrUnexpectedPong)
	}
	pp := p.pings[0]
	p.pings = p.pings[1:]
	p.mu.Unlock()
	if len(m.Padding) != int(pp.n) {
		return fmt.Errorf("%w: %d bytes, asked for %d", ErrUnexpectedPong, len(m.Padding), pp.n)
	}
	pp.rtt <- time.Since(pp.sent)
	return nil
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
