package routing

import (
	"bytes"
	"math"
	"sync"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// DefaultHalfLife is how fast mission control forgets when
// NewMissionControl is given 0: a result counts half after an hour.
const DefaultHalfLife = time.Hour

// Unattributed is Failure.ErringNode for a failure that could not be
// decrypted, so that no hop can be blamed.
const Unattributed = -1

// BOLT 4 failure_code flags and the codes mission control tells apart
// ("Failure Messages"). The caller passes onion.FailureCode values as
// uint16.
const (
	flagBadOnion = 0x8000
	flagPerm     = 0x4000
	flagNode     = 0x2000
	flagUpdate   = 0x1000

	codeInvalidRealm             = flagPerm | 1
	codeTemporaryChannelFailure  = flagUpdate | 7
	codePermanentChannelFailure  = flagPerm | 8
	codeRequiredChannelFeature   = flagPerm | 9
	codeUnknownNextPeer          = flagPerm | 10
	codeAmountBelowMinimum       = flagUpdate | 11
	codeFeeInsufficient          = flagUpdate | 12
	codeIncorrectCLTVExpiry      = flagUpdate | 13
	codeExpiryTooSoon            = flagUpdate | 14
	codeIncorrectPaymentDetails  = flagPerm | 15
	codeFinalIncorrectCLTVExpiry = 18
	codeFinalIncorrectHTLCAmount = 19
	codeChannelDisabled          = flagUpdate | 20
	codeExpiryTooFar             = 21
	codeInvalidOnionPayload      = flagPerm | 22
	codeMPPTimeout               = 23
)

// Failure is a failed attempt as the payer decoded it from
// update_fail_htlc (or update_fail_malformed_htlc).
type Failure struct {
	// ErringNode is the position of the node that reported the failure:
	// 0 for the payer itself (its own channel refused the HTLC), i for
	// Route.Hops[i-1], len(Route.Hops) for the payee; Unattributed when
	// the failure could not be decrypted.
	ErringNode int
	// Code is the BOLT 4 failure_code.
	Code uint16
	// Update is the channel_update the failure carried, if any, and only
	// if the caller verified its signature against the erring node's key;
	// otherwise nil.
	Update *wire.ChannelUpdate
}

// Outcome tells the payer what to do after a failure.
type Outcome int

const (
	// Retry means a different route may succeed: find one and try it.
	Retry Outcome = iota
	// Final means the payment cannot succeed on any route: the payee
	// rejected it (incorrect_or_unknown_payment_details or another
	// permanent failure of the final node).
	Final
)

// String returns "retry" or "final".
func (o Outcome) String() string {
	if o == Final {
		return "final"
	}
	return "retry"
}

// MissionControl remembers what past payment attempts showed about
// channels and nodes, and turns it into success probabilities for the
// pathfinder. Per channel direction it keeps a liquidity range: a success
// of amount a shows at least a (a lower bound), a temporary channel
// failure of amount a shows less than a (an upper bound), a failure that
// says the channel is unusable sets the upper bound to 0. Per node it
// keeps the time of its last node failure. Each memory fades with the
// half-life: a lower bound lo counts as lo·2^(-t/h) after time t, an
// upper bound relaxes towards the capacity by the same factor, and a
// failed node's probabilities are scaled by 1-2^(-t/h). Times come from
// the caller.
//
// MissionControl is safe for concurrent use. It is kept in memory only:
// its memories are worth little after a restart that took longer than a
// few half-lives.
type MissionControl struct {
	mu       sync.Mutex
	halfLife float64 // nanoseconds
	chans    map[dirKey]chanResult
	nodes    map[wire.Point]int64 // time of the last node failure (UnixNano)
	sweepAt  int
	swept    int64 // time of the last sweep

	// The last snapshot, reused by queries at the same time while
	// nothing was recorded (the parts of a split, say).
	version  uint64
	view     *mcView
	viewAt   int64
	viewVers uint64
}

// dirKey is a channel direction: dir 0 is from node_id_1 (the lesser id).
type dirKey struct {
	scid uint64
	dir  uint8
}

func keyFor(scid wire.ShortChannelID, from, to wire.Point) dirKey {
	k := dirKey{scid: scid.ToUint64()}
	if bytes.Compare(from[:], to[:]) > 0 {
		k.dir = 1
	}
	return k
}

// chanResult is what is known of one channel direction's liquidity.
type chanResult struct {
	lo     uint64 // succeeded with at least lo msat
	loTime int64
	hi     uint64 // failed with more than hi msat
	hiTime int64
	hasHi  bool
}

// NewMissionControl returns an empty memory whose results decay with
// halfLife (DefaultHalfLife when 0 or negative).
func NewMissionControl(halfLife time.Duration) *MissionControl {
	if halfLife <= 0 {
		halfLife = DefaultHalfLife
	}
	return &MissionControl{
		halfLife: float64(halfLife),
		chans:    make(map[dirKey]chanResult),
		nodes:    make(map[wire.Point]int64),
		sweepAt:  1024,
		swept:    math.MinInt64 / 2,
	}
}

// keep returns the weight 2^(-t/h) of a memory from then at now.
func (m *MissionControl) keep(now, then int64) float64 {
	dt := now - then
	if dt <= 0 {
		return 1
	}
	return math.Exp2(-float64(dt) / m.halfLife)
}

// ReportSuccess records that r delivered its payment (or that the payee
// received it and failed it for its own reasons): every channel carried
// its amount.
func (m *MissionControl) ReportSuccess(now time.Time, r *Route) {
	if r == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.successes(now.UnixNano(), r, len(r.Hops))
}

// successes records that the first n channels of r carried their HTLCs.
func (m *MissionControl) successes(now int64, r *Route, n int) {
	m.version++
	for i := 0; i < n && i < len(r.Hops); i++ {
		k := keyFor(r.Hops[i].ShortChannelID, r.nodeAt(i), r.Hops[i].NodeID)
		amt := uint64(r.amountInto(i))
		c := m.chans[k]
		lo := uint64(float64(c.lo) * m.keep(now, c.loTime))
		c.lo, c.loTime = max(lo, amt), now
		if c.hasHi && c.hi < c.lo {
			c.hasHi = false // the new observation wins
		}
		m.chans[k] = c
	}
	m.sweep(now)
}

// failChannel records that channel i of r could not carry more than hi.
func (m *MissionControl) failChannel(now int64, r *Route, i int, hi uint64) {
	if i < 0 || i >= len(r.Hops) {
		return
	}
	m.version++
	k := keyFor(r.Hops[i].ShortChannelID, r.nodeAt(i), r.Hops[i].NodeID)
	c := m.chans[k]
	c.hi, c.hiTime, c.hasHi = hi, now, true
	if c.lo > hi {
		c.lo = hi
	}
	m.chans[k] = c
}

// failNode records a node failure of the node at position i of r (not
// the payer).
func (m *MissionControl) failNode(now int64, r *Route, i int) {
	if i <= 0 || i > len(r.Hops) {
		return
	}
	m.version++
	m.nodes[r.nodeAt(i)] = now
}

// ReportFailure records a failed attempt over r and says whether to try
// another route. The failure blames, by its code (BOLT 4):
//
//   - temporary_channel_failure: the erring node's outgoing channel lacks
//     liquidity for the amount: its upper bound becomes amount-1;
//   - channel_disabled, unknown_next_peer, permanent_channel_failure,
//     required_channel_feature_missing, and the BADONION codes (the next
//     node could not read the onion): that channel direction is unusable
//     (upper bound 0) until the memory fades;
//   - amount_below_minimum, fee_insufficient, incorrect_cltv_expiry,
//     expiry_too_soon: the policy the payer used was not the node's. The
//     enclosed channel_update (f.Update, verified by the caller) is
//     applied to g; if it changed nothing the channel is made unusable,
//     since the node contradicts its own update;
//   - node failures (the NODE flag), invalid_realm, invalid_onion_payload,
//     expiry_too_far, and incorrect_or_unknown_payment_details from an
//     intermediate node: the erring node is penalised;
//   - from the payee: incorrect_or_unknown_payment_details and every other
//     permanent failure are Final; final_incorrect_cltv_expiry and
//     final_incorrect_htlc_amount blame the last channel; mpp_timeout and
//     temporary failures blame nothing.
//
// Every channel before the erring node carried the HTLC, which is
// recorded as a success. An Unattributed failure penalises every
// intermediate node. Any enclosed update is applied to g whatever the
// code (g may be nil).
func (m *MissionControl) ReportFailure(now time.Time, r *Route, f Failure, g *Graph) Outcome {
	if r == nil || len(r.Hops) == 0 {
		return Retry
	}
	changed := false
	if f.Update != nil && g != nil {
		changed, _ = g.ApplyChannelUpdate(f.Update)
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.sweep(t)

	n := len(r.Hops)
	i := f.ErringNode
	if i < 0 || i > n {
		for j := 1; j < n; j++ {
			m.failNode(t, r, j)
		}
		return Retry
	}
	m.successes(t, r, i)
	code := f.Code

	if i == n { // the payee
		switch {
		case code == codeFinalIncorrectCLTVExpiry || code == codeFinalIncorrectHTLCAmount:
			m.failChannel(t, r, n-1, 0)
			return Retry
		case code&flagPerm != 0:
			return Final
		default:
			return Retry
		}
	}

	// An intermediate node (or the payer, i == 0) failed to forward over
	// channel i.
	amt := uint64(r.amountInto(i))
	switch {
	case code&flagBadOnion != 0:
		m.failChannel(t, r, i, 0)
	case code == codeTemporaryChannelFailure:
		m.failChannel(t, r, i, max(amt, 1)-1)
	case code == codeChannelDisabled, code == codeUnknownNextPeer,
		code == codePermanentChannelFailure, code == codeRequiredChannelFeature:
		m.failChannel(t, r, i, 0)
	case code == codeAmountBelowMinimum, code == codeFeeInsufficient,
		code == codeIncorrectCLTVExpiry, code == codeExpiryTooSoon:
		if !changed {
			m.failChannel(t, r, i, 0)
		}
	case code&flagNode != 0, code == codeInvalidRealm, code == codeInvalidOnionPayload,
		code == codeExpiryTooFar, code == codeIncorrectPaymentDetails,
		code == codeMPPTimeout, code == codeFinalIncorrectCLTVExpiry,
		code == codeFinalIncorrectHTLCAmount:
		// Codes meant for the final node, or about the node itself.
		m.failNode(t, r, i)
	case code&flagPerm != 0:
		m.failChannel(t, r, i, 0)
	default:
		m.failChannel(t, r, i, max(amt, 1)-1)
	}
	return Retry
}

// sweep drops memories faded below 1/1024 (ten half-lives) once the maps
// have doubled or ten half-lives have passed since the last sweep, so that
// a long-running payer's memory stays bounded by recent activity at an
// amortised constant cost per report.
func (m *MissionControl) sweep(now int64) {
	if len(m.chans)+len(m.nodes) < m.sweepAt && float64(now-m.swept) < 10*m.halfLife {
		return
	}
	m.swept = now
	m.version++
	const faded = 1.0 / 1024
	for k, c := range m.chans {
		if m.keep(now, max(c.loTime, c.hiTime)) < faded {
			delete(m.chans, k)
		}
	}
	for k, t := range m.nodes {
		if m.keep(now, t) < faded {
			delete(m.nodes, k)
		}
	}
	m.sweepAt = max(1024, 2*(len(m.chans)+len(m.nodes)))
}

// Len returns the number of channel directions and nodes remembered.
func (m *MissionControl) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.chans) + len(m.nodes)
}

// mcBounds is a channel direction's memory as of the query time.
type mcBounds struct {
	lo     float64 // decayed lower bound, msat
	hi     float64 // upper bound when hasHi
	hiKeep float64 // weight of the upper bound
	hasHi  bool
}

// view is a snapshot of the memory for one query.
type mcView struct {
	chans map[dirKey]mcBounds
	nodes map[wire.Point]float64 // probability factor of a failed node
}

// snapshot decays the memory to now. The view is shared and read-only.
func (m *MissionControl) snapshot(now time.Time) *mcView {
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.view != nil && m.viewAt == t && m.viewVers == m.version {
		return m.view
	}
	defer func() { m.viewAt, m.viewVers = t, m.version }()
	v := &mcView{chans: make(map[dirKey]mcBounds, len(m.chans)), nodes: make(map[wire.Point]float64, len(m.nodes))}
	for k, c := range m.chans {
		b := mcBounds{lo: float64(c.lo) * m.keep(t, c.loTime)}
		if c.hasHi {
			b.hasHi, b.hi, b.hiKeep = true, float64(c.hi), m.keep(t, c.hiTime)
		}
		v.chans[k] = b
	}
	for k, ft := range m.nodes {
		v.nodes[k] = 1 - m.keep(t, ft)
	}
	m.view = v
	return v
}

// probability returns the liquidity part of a hop's probability for amt
// given the capacity bound capMsat (0 when unknown).
func (b *mcBounds) probability(amt, capMsat float64) float64 {
	if capMsat == 0 {
		if b.hasHi && amt > b.hi {
			return 1 - b.hiKeep
		}
		return 1
	}
	hi := capMsat
	if b.hasHi && b.hi < capMsat {
		hi = capMsat - (capMsat-b.hi)*b.hiKeep
	}
	lo := min(b.lo, hi)
	return uniformProbability(amt, lo, hi)
}
