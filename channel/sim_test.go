package channel

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

var (
	simSteps = flag.Int("simsteps", 0, "total steps of TestSimRandom (default 100000; LNKIT_SIM_STEPS also sets it)")
	simSeed  = flag.Int64("simseed", 0, "first seed of TestSimRandom (default: from the clock, printed)")
)

func simStepCount() int {
	if *simSteps > 0 {
		return *simSteps
	}
	if v, err := strconv.Atoi(os.Getenv("LNKIT_SIM_STEPS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// simTracker follows every HTLC a node offered: it must end settled or
// failed, never both.
type simTracker struct {
	offered  map[uint64]bool // ids durably offered
	settled  map[uint64]bool
	failed   map[uint64]bool
	incoming map[uint64]*HTLCLockedIn
}

func newTracker() *simTracker {
	return &simTracker{offered: map[uint64]bool{}, settled: map[uint64]bool{}, failed: map[uint64]bool{}, incoming: map[uint64]*HTLCLockedIn{}}
}

// simRun is one seeded random run.
type simRun struct {
	*simPair
	r     *rand.Rand
	track map[*simNode]*simTracker
	steps int
	stats map[string]int
	// noRandomCrash leaves crashes to the injection of simOpts.
	noRandomCrash bool
}

func (s *simRun) other(n *simNode) *simNode {
	if n == s.a {
		return s.b
	}
	return s.a
}

// flushNode makes n's writes durable and absorbs the events they
// released.
func (s *simRun) flushNode(n *simNode) {
	n.flush()
	if n.crashPending {
		return // nothing became durable
	}
	tr := s.track[n]
	defer func() {
		// The host records each outcome, then acknowledges it.
		for _, r := range n.m.PendingResolutions() {
			s.record(n, r)
			n.apply(n.m.AckResolution(resolutionID(r)))
		}
	}()
	for _, h := range n.m.OfferedHTLCs() {
		tr.offered[h.ID] = true
	}
	for _, ev := range n.takeEvents() {
		switch ev := ev.(type) {
		case *HTLCLockedIn:
			e := *ev
			tr.incoming[ev.HTLC.ID] = &e
		case *HTLCSettled, *HTLCFailed:
			s.record(n, ev)
		case *Quiescent:
			// Quiescence ends by agreement of the protocol that needed
			// it: here, once both sides are quiescent.
			s.stats["quiescent"]++
			if s.a.m.IsQuiescent() && s.b.m.IsQuiescent() {
				s.a.m.EndQuiescence()
				s.b.m.EndQuiescence()
			}
		case *Disconnect:
			s.t.Fatalf("%s: asked to disconnect: %v", n.name, ev.Reason)
		}
	}
}

// record notes an outcome of an offered HTLC.
func (s *simRun) record(n *simNode, ev Action) {
	tr := s.track[n]
	if simTrace {
		s.t.Logf("%s outcome %T %+v", n.name, ev, ev)
	}
	switch ev := ev.(type) {
	case *HTLCSettled:
		if tr.failed[ev.ID] {
			s.t.Fatalf("%s: HTLC %d settled after it failed", n.name, ev.ID)
		}
		if !ev.Preimage.Matches(ev.PaymentHash) {
			s.t.Fatalf("%s: HTLC %d settled with a wrong preimage", n.name, ev.ID)
		}
		tr.settled[ev.ID] = true
	case *HTLCFailed:
		if tr.settled[ev.ID] {
			s.t.Fatalf("%s: HTLC %d failed after it settled", n.name, ev.ID)
		}
		tr.failed[ev.ID] = true
	}
}

func resolutionID(ev Action) uint64 {
	switch ev := ev.(type) {
	case *HTLCSettled:
		return ev.ID
	case *HTLCFailed:
		return ev.ID
	}
	panic("not a resolution")
}

func (s *simRun) flushAll() {
	s.flushNode(s.a)
	s.flushNode(s.b)
}

// crash restarts n from its durable records, losing the rest; the
// connection drops.
func (s *simRun) crash(n *simNode, afterFlush bool) {
	if simTrace {
		s.t.Logf("crash %s (keep batch %v)", n.name, afterFlush)
	}
	if afterFlush {
		n.kv.flush()
	}
	s.disconnect()
	n.crash()
	tr := s.track[n]
	tr.incoming = map[uint64]*HTLCLockedIn{}
	for _, li := range n.m.PendingIncoming() {
		li := li
		tr.incoming[li.HTLC.ID] = &li
	}
	for _, r := range n.m.PendingResolutions() {
		s.record(n, r)
	}
	s.stats["crash"]++
}

func (s *simRun) ignorable(err error) bool {
	return err == nil || errors.Is(err, ErrDisconnected) || errors.Is(err, ErrHTLCLimit) ||
		errors.Is(err, ErrInsufficientBalance) || errors.Is(err, ErrNothingToSign) ||
		errors.Is(err, ErrAwaitingRevocation) || errors.Is(err, ErrQuiescing) || errors.Is(err, ErrUnknownHTLC)
}

func (s *simRun) randomAmount() wire.MilliSatoshi {
	switch s.r.Intn(4) {
	case 0:
		return wire.MilliSatoshi(1 + s.r.Intn(600_000)) // often dust
	case 1:
		return wire.MilliSatoshi(1 + s.r.Intn(5_000_000))
	default:
		return wire.MilliSatoshi(1 + s.r.Intn(200_000_000))
	}
}

func (s *simRun) step() {
	n := s.a
	if s.r.Intn(2) == 1 {
		n = s.b
	}
	s.steps++
	switch k := s.r.Intn(100); {
	case k < 35:
		if s.connected {
			s.deliver(n)
		}
	case k < 47:
		_, err := s.add(n, s.randomAmount())
		if !s.ignorable(err) {
			s.t.Fatalf("%s add: %v", n.name, err)
		}
		if err == nil {
			s.stats["add"]++
		}
	case k < 57:
		if err := s.sign(n); !s.ignorable(err) {
			s.t.Fatalf("%s sign: %v", n.name, err)
		}
	case k < 66:
		s.resolveOne(n)
	case k < 68:
		if n.m.p.Opener == Local {
			acts, err := n.m.UpdateFee(wire.SatPerKWeight(253 + s.r.Intn(10_000)))
			if !s.ignorable(err) {
				s.t.Fatalf("%s update_fee: %v", n.name, err)
			}
			n.apply(acts)
			s.stats["fee"]++
		}
	case k < 85:
		s.flushNode(n)
	case k < 86:
		if s.connected {
			s.disconnect()
			s.stats["disconnect"]++
		} else {
			s.reconnectSim()
		}
	case k < 87:
		if !s.noRandomCrash {
			s.crash(n, s.r.Intn(2) == 0)
		}
	case k < 88:
		if s.connected && !n.m.stfuSent && !n.m.stfuWant {
			acts, err := n.m.Quiesce()
			if !s.ignorable(err) {
				s.t.Fatalf("%s quiesce: %v", n.name, err)
			}
			n.apply(acts)
		}
	default:
		if !s.connected {
			s.reconnectSim()
		} else {
			s.deliver(s.other(n))
		}
	}
	for _, x := range []*simNode{s.a, s.b} {
		if x.crashPending {
			s.crash(x, false)
		}
	}
	s.checkInvariants()
}

func (s *simRun) reconnectSim() {
	s.a.apply(s.a.m.Reconnected())
	s.b.apply(s.b.m.Reconnected())
	s.connected = true
	s.stats["reconnect"]++
}

// resolveOne fulfills or fails one locked-in incoming HTLC of n.
func (s *simRun) resolveOne(n *simNode) {
	tr := s.track[n]
	for id, li := range tr.incoming {
		var acts []Action
		var err error
		switch k := s.r.Intn(10); {
		case li.DustExposureExceeded || k < 3:
			acts, err = n.m.FailHTLC(id, []byte("sim failure"), nil)
		case k < 4:
			acts, err = n.m.FailMalformedHTLC(id, [32]byte{1}, 0x8000|0x4000|5)
		default:
			acts, err = n.m.FulfillHTLC(id, s.preimages[li.HTLC.PaymentHash], nil)
		}
		if !s.ignorable(err) {
			s.t.Fatalf("%s resolve %d: %v", n.name, id, err)
		}
		if err == nil {
			n.apply(acts)
			delete(tr.incoming, id)
		}
		return
	}
}

// quiesce brings the run to rest: connected, everything resolved and
// signed, nothing in flight.
func (s *simRun) quiesce() {
	if !s.connected {
		s.reconnectSim()
	}
	for round := 0; round < 200; round++ {
		s.flushAll()
		for s.deliver(s.a) || s.deliver(s.b) {
			s.flushAll()
		}
		s.flushAll()
		for _, n := range []*simNode{s.a, s.b} {
			for len(s.track[n].incoming) > 0 {
				before := len(s.track[n].incoming)
				s.resolveOne(n)
				if len(s.track[n].incoming) == before {
					break
				}
			}
			if err := s.sign(n); !s.ignorable(err) {
				s.t.Fatalf("%s sign: %v", n.name, err)
			}
		}
		s.flushAll()
		if len(s.a.out)+len(s.b.out) == 0 && len(s.a.m.htlcs)+len(s.b.m.htlcs) == 0 &&
			len(s.a.m.log)+len(s.b.m.log) == 0 {
			s.checkInvariants()
			return
		}
	}
	s.t.Fatalf("the run did not come to rest: %d/%d HTLCs, %d/%d log entries", len(s.a.m.htlcs), len(s.b.m.htlcs), len(s.a.m.log), len(s.b.m.log))
}

// checkResolved checks that every HTLC durably offered ended settled or
// failed.
func (s *simRun) checkResolved() {
	for _, n := range []*simNode{s.a, s.b} {
		tr := s.track[n]
		for id := range tr.offered {
			if tr.settled[id] == tr.failed[id] {
				s.t.Fatalf("%s: HTLC %d settled=%v failed=%v", n.name, id, tr.settled[id], tr.failed[id])
			}
		}
	}
}

type simOpts struct {
	crashNode     int // 1 alice, 2 bob
	crashAt       int
	crashDurable  bool
	noRandomCrash bool
	// viaFunding opens with Funding; closeAtEnd closes with CoopClose.
	viaFunding, closeAtEnd bool
}

func runSim(t *testing.T, seed int64, steps int, typ script.ChannelType) map[string]int {
	return runSimOpts(t, seed, steps, typ, simOpts{})
}

func runSimOpts(t *testing.T, seed int64, steps int, typ script.ChannelType, o simOpts) map[string]int {
	r := newRand(t, seed)
	sp := newSimPair(t, pairOpts{typ: typ, push: 4_000_000_000, viaFunding: o.viaFunding, constraints: Constraints{
		MaxHTLCValueInFlight: 5_000_000_000, ChannelReserve: 100_000, HTLCMinimum: 1, MaxAcceptedHTLCs: 8,
	}})
	s := &simRun{simPair: sp, r: r, track: map[*simNode]*simTracker{sp.a: newTracker(), sp.b: newTracker()}, stats: map[string]int{}, noRandomCrash: o.noRandomCrash}
	switch o.crashNode {
	case 1:
		sp.a.crashAt, sp.a.crashDurable = o.crashAt, o.crashDurable
	case 2:
		sp.b.crashAt, sp.b.crashDurable = o.crashAt, o.crashDurable
	}
	for i := 0; i < steps; i++ {
		sp.fullCheck = i%200 == 0
		s.step()
	}
	sp.fullCheck = true
	for _, x := range []*simNode{s.a, s.b} {
		x.crashAt = 0
		if x.crashPending {
			s.crash(x, false)
		}
	}
	s.quiesce()
	s.checkResolved()
	if o.closeAtEnd {
		closeCoop(t, sp)
		s.stats["closed"]++
	}
	for _, n := range []*simNode{s.a, s.b} {
		tr := s.track[n]
		s.stats["offered"] += len(tr.offered)
		s.stats["settled"] += len(tr.settled)
		s.stats["failed"] += len(tr.failed)
		s.stats["commitments"] += int(n.m.local.number)
	}
	s.stats["steps"] = s.steps
	s.stats["flushes1"] = sp.a.flushIndex
	s.stats["flushes2"] = sp.b.flushIndex
	s.stats["messages"] = s.msgCounter
	return s.stats
}

// TestSimRandom is the deterministic simulation: random commands on both
// sides, random delivery that keeps each direction's order, random
// flushes, disconnects, reconnections and crashes of either side (with the
// unflushed writes lost, or kept but the sends lost), with the invariants
// checked after every step. A failure prints the seed; rerun with
// -simseed to reproduce.
func TestSimRandom(t *testing.T) {
	total := simStepCount()
	seed := *simSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	const perRun = 5000
	start := time.Now()
	var mu sync.Mutex
	sum := map[string]int{}
	t.Run("runs", func(t *testing.T) {
		for i := 0; total > 0; i++ {
			n := perRun
			if n > total {
				n = total
			}
			total -= n
			typ := script.Anchors
			if i%2 == 1 {
				typ = script.StaticRemoteKey
			}
			runSeed := seed + int64(i)
			t.Run(fmt.Sprintf("seed=%d", runSeed), func(t *testing.T) {
				t.Parallel()
				stats := runSim(t, runSeed, n, typ)
				mu.Lock()
				for k, v := range stats {
					sum[k] += v
				}
				mu.Unlock()
			})
		}
	})
	t.Logf("simulation: %v in %v", sum, time.Since(start).Round(time.Millisecond))
}

// TestCrashEveryPersistencePoint replays one seeded run once per
// persistence point of each side, crashing that side there: once losing
// the batch (the crash came before it was durable) and once keeping it
// but losing the messages and events that waited for it. Every run must
// recover through channel_reestablish with all invariants intact and
// every HTLC resolved.
func TestCrashEveryPersistencePoint(t *testing.T) {
	const steps = 250
	const seed = 42
	// Count each side's persistence points in the clean run.
	counts := [3]int{}
	for node := 1; node <= 2; node++ {
		counts[node] = countFlushes(t, seed, steps, node)
	}
	runs := 0
	for node := 1; node <= 2; node++ {
		for k := 1; k <= counts[node]; k++ {
			for _, durable := range []bool{false, true} {
				ok := t.Run(fmt.Sprintf("node=%d/point=%d/durable=%v", node, k, durable), func(t *testing.T) {
					runSimOpts(t, seed, steps, script.Anchors, simOpts{noRandomCrash: true, crashNode: node, crashAt: k, crashDurable: durable})
				})
				runs++
				if !ok {
					return
				}
			}
		}
	}
	t.Logf("%d crash runs over %d+%d persistence points", runs, counts[1], counts[2])
}

// countFlushes runs the clean simulation and returns how many persistence
// points node had.
func countFlushes(t *testing.T, seed int64, steps, node int) int {
	var got int
	o := simOpts{noRandomCrash: true, crashNode: node, crashAt: 1 << 30}
	stats := runSimOpts(t, seed, steps, script.Anchors, o)
	got = stats[fmt.Sprintf("flushes%d", node)]
	return got
}

var _ = htlc.Offered
