package routing

import (
	"context"
	"errors"
	"fmt"
	"math/bits"

	"github.com/lnkit/lnkit/wire"
)

// SplitOptions tunes FindRoutes.
type SplitOptions struct {
	// MinPartSize is the smallest part the splitter makes by halving
	// (the last part, the remainder, may be smaller). 0 means
	// DefaultMinPartSize.
	MinPartSize wire.MilliSatoshi
	// MaxParts bounds the number of parts; 0 means DefaultMaxParts.
	MaxParts int
	// SplitBelow is the probability under which a single route is
	// compared with a split (ignored when the cost model ignores
	// probabilities, where only a payment no single route can carry is
	// split). 0 means DefaultSplitBelow.
	SplitBelow float64
}

// Defaults of SplitOptions.
const (
	DefaultMinPartSize wire.MilliSatoshi = 10_000_000 // 10,000 sat
	DefaultMaxParts                      = 16
	DefaultSplitBelow                    = 0.5
)

// FindRoutes returns the routes of a payment of req.Amount: one route when
// a single route can carry it likely enough, otherwise parts over several
// routes whose amounts sum exactly to req.Amount (a basic_mpp payment,
// BOLT 4 "Basic Multi-Part Payments": each part's final hop carries the
// same payment_secret and total_msat = req.Amount). The payee must
// support basic_mpp for more than one route to be usable; that is for the
// caller to check in the invoice's features.
//
// Splitting is greedy: a part of half the remaining amount is routed
// against the residual capacities that earlier parts left (their amounts
// are subtracted from every channel and local balance they cross); when
// no route carries it likely enough (MinProbability), the part is halved
// again, down to MinPartSize. MaxFee is shared out between the parts in
// proportion to their amounts. A split is preferred to a single route
// only if the product of its parts' probabilities is higher.
func (g *Graph) FindRoutes(ctx context.Context, req *Request, opt *SplitOptions) ([]*Route, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", ErrInvalidRequest)
	}
	o := SplitOptions{}
	if opt != nil {
		o = *opt
	}
	if o.MinPartSize == 0 {
		o.MinPartSize = DefaultMinPartSize
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.SplitBelow == 0 {
		o.SplitBelow = DefaultSplitBelow
	}
	ignoreProb := req.Cost != nil && req.Cost.IgnoreProbability

	g.mu.RLock()
	defer g.mu.RUnlock()
	single, err := g.findRoute(ctx, req, nil)
	if err != nil && !errors.Is(err, ErrNoRoute) {
		return nil, err
	}
	if err == nil && (ignoreProb || single.Probability >= o.SplitBelow || o.MaxParts == 1) {
		return []*Route{single}, nil
	}
	parts, serr := g.split(ctx, req, &o)
	if serr != nil && !errors.Is(serr, ErrNoRoute) {
		return nil, serr
	}
	if single != nil {
		if serr != nil || jointProbability(parts) <= single.Probability {
			return []*Route{single}, nil
		}
		return parts, nil
	}
	if serr != nil {
		return nil, serr
	}
	return parts, nil
}

func jointProbability(rs []*Route) float64 {
	p := 1.0
	for _, r := range rs {
		p *= r.Probability
	}
	return p
}

// split routes req.Amount in parts; the caller holds the read lock.
func (g *Graph) split(ctx context.Context, req *Request, o *SplitOptions) ([]*Route, error) {
	use := &usage{dirs: make(map[dirKey]uint64), local: make(map[uint64]uint64)}
	remaining := req.Amount
	part := req.Amount / 2
	if part < o.MinPartSize {
		part = min(o.MinPartSize, req.Amount)
	}
	var fees wire.MilliSatoshi
	var parts []*Route
	sub := *req
	for remaining > 0 {
		if len(parts) == o.MaxParts {
			return nil, fmt.Errorf("%w: %v left unrouted after %d parts", ErrNoRoute, remaining, len(parts))
		}
		size := min(part, remaining)
		if left := remaining - size; left > 0 && left < o.MinPartSize {
			size = remaining
		}
		sub.Amount = size
		sub.MaxFee = req.MaxFee
		if req.MaxFee != NoFeeLimit {
			// The budget left, shared in proportion to the amounts.
			budget := uint64(req.MaxFee - fees)
			sub.MaxFee = wire.MilliSatoshi(mulDiv(budget, uint64(size), uint64(remaining)))
		}
		r, err := g.findRoute(ctx, &sub, use)
		if err == nil {
			parts = append(parts, r)
			use.add(r)
			remaining -= size
			fees += r.TotalFees
			continue
		}
		if !errors.Is(err, ErrNoRoute) {
			return nil, err
		}
		if part/2 < o.MinPartSize {
			return nil, fmt.Errorf("%w: %v left unrouted with parts of %v", ErrNoRoute, remaining, part)
		}
		part /= 2
	}
	return parts, nil
}

// add commits r's amounts to the channels it crosses.
func (u *usage) add(r *Route) {
	for i, h := range r.Hops {
		amt := uint64(r.amountInto(i))
		if i == 0 && h.Private {
			u.local[h.ShortChannelID.ToUint64()] += amt
		}
		u.dirs[keyFor(h.ShortChannelID, r.nodeAt(i), h.NodeID)] += amt
	}
}

// mulDiv returns a*b/c rounded down, for b <= c.
func mulDiv(a, b, c uint64) uint64 {
	if c == 0 {
		return 0
	}
	// a*b/c without overflow: b/c <= 1.
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}
