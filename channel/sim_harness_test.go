package channel

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// This file is the host of the state machine tests: two Machines in one
// process, a network of two ordered queues, and per node a store with the
// crash semantics of a real one (writes are durable only at a flush; a
// crash loses everything after the last flush).

var simTrace = os.Getenv("LNKIT_SIM_TRACE") != ""

// memKV is a durable map with an unflushed batch in front of it.
type memKV struct {
	durable map[string][]byte
	pending []PersistOp
	flushes int
}

func newMemKV() *memKV { return &memKV{durable: map[string][]byte{}} }

func (kv *memKV) flush() {
	if len(kv.pending) == 0 {
		return
	}
	for _, op := range kv.pending {
		if op.Delete {
			delete(kv.durable, op.Key)
		} else {
			kv.durable[op.Key] = append([]byte(nil), op.Value...)
		}
	}
	kv.pending = nil
	kv.flushes++
}

func (kv *memKV) Get(_ context.Context, key string) ([]byte, error) {
	v, ok := kv.durable[key]
	if !ok {
		return nil, fmt.Errorf("not found: %s", key)
	}
	return v, nil
}

func (kv *memKV) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	for k := range kv.durable {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// simNode is one side: its Machine and the host around it.
type simNode struct {
	name   string
	cfg    MachineConfig
	m      *Machine
	kv     *memKV
	held   []Action // actions waiting for the next flush
	out    []wire.Message
	t      testing.TB
	peer   *simNode
	events []Action // released events, in order
	// monitor: what a watcher would have durably.
	monPreimages map[htlc.PaymentHash]htlc.Preimage
	monSecrets   map[uint64]revocation.Secret
	monPending   []*MonitorUpdate
	failed       *ChannelFailed
	// allowFail lets a test expect the channel to fail.
	allowFail bool
	points    map[uint64]*btcec.PublicKey
	// Crash injection: crash at flush number crashAt (1-based).
	crashAt                    int
	crashDurable, crashPending bool
	flushIndex                 int
}

// apply takes a step's actions: writes go to the unflushed batch; the rest
// waits for the flush, in order.
func (n *simNode) apply(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *Persist:
			if len(n.held) > 0 {
				// A persist after held sends: those sends must not
				// wait for this write (they did not depend on it), but
				// they also may not pass the earlier writes. Flush
				// what we have first, then continue.
				n.flush()
			}
			n.kv.pending = append(n.kv.pending, a.Ops...)
		case *MonitorUpdate:
			n.monPending = append(n.monPending, a)
		default:
			n.held = append(n.held, a)
		}
	}
}

// flush makes the batch durable and releases what waited for it. A node
// told to crash at its k-th flush stops there (after making the batch
// durable when crashDurable is set) and releases nothing.
func (n *simNode) flush() {
	if n.crashPending {
		return
	}
	if len(n.kv.pending) > 0 || len(n.monPending) > 0 {
		n.flushIndex++
		if n.crashAt > 0 && n.flushIndex == n.crashAt {
			if n.crashDurable {
				n.kv.flush()
			}
			n.crashPending = true
			return
		}
	}
	n.kv.flush()
	for _, u := range n.monPending {
		if u.Preimage != nil {
			n.monPreimages[u.Preimage.Hash()] = *u.Preimage
		}
		if u.Revocation != nil {
			n.monSecrets[u.Revocation.Number] = u.Revocation.Secret
		}
	}
	n.monPending = nil
	held := n.held
	n.held = nil
	for _, a := range held {
		switch a := a.(type) {
		case *Send:
			n.out = append(n.out, roundTrip(n.t, a.Msg))
		case *ChannelFailed:
			if !n.allowFail {
				n.t.Fatalf("%s: channel failed: %v", n.name, a.Err)
			}
			n.failed = a
		default:
			n.events = append(n.events, a)
		}
	}
}

// crash loses everything not flushed and rebuilds the Machine from the
// durable records.
func (n *simNode) crash() {
	n.crashPending = false
	n.kv.pending = nil
	n.held = nil
	n.monPending = nil
	n.out = nil
	m, err := RestoreMachine(context.Background(), n.kv, n.m.ChannelID(), n.cfg)
	if err != nil {
		n.t.Fatalf("%s: restore: %v", n.name, err)
	}
	n.m = m
}

// roundTrip encodes and decodes a message, as the wire would.
func roundTrip(t testing.TB, msg wire.Message) wire.Message {
	b, err := wire.EncodeMessage(msg)
	if err != nil {
		t.Fatalf("encode %v: %v", msg.MsgType(), err)
	}
	out, err := wire.DecodeMessage(b)
	if err != nil {
		t.Fatalf("decode %v: %v", msg.MsgType(), err)
	}
	return out
}

// simPair is two connected nodes.
type simPair struct {
	t          testing.TB
	a, b       *simNode
	preimages  map[htlc.PaymentHash]htlc.Preimage
	connected  bool
	funding    btcutil.Amount
	typ        script.ChannelType
	ctx        context.Context
	msgCounter int
	fullCheck  bool // also compare commitment transactions
}

// sameState compares two commitment contents, HTLCs in any order.
func sameState(a, b *State) bool {
	if a.Number != b.Number || a.FeeRate != b.FeeRate || a.LocalBalance != b.LocalBalance ||
		a.RemoteBalance != b.RemoteBalance || len(a.HTLCs) != len(b.HTLCs) {
		return false
	}
	seen := make(map[htlc.HTLC]int, len(a.HTLCs))
	for _, h := range a.HTLCs {
		seen[h]++
	}
	for _, h := range b.HTLCs {
		if seen[h] == 0 {
			return false
		}
		seen[h]--
	}
	return true
}

type pairOpts struct {
	typ         script.ChannelType
	funding     btcutil.Amount
	push        wire.MilliSatoshi // from a (opener) to b
	feeRate     wire.SatPerKWeight
	constraints Constraints
	policy      Policy
	lockIn      LockIn
	// reestablishFirst starts the channel disconnected, so that the first
	// exchange is channel_reestablish.
	reestablishFirst bool
	// viaFunding opens the channel with two Funding negotiations.
	viaFunding bool
}

func defaultConstraints(funding btcutil.Amount) Constraints {
	return Constraints{
		MaxHTLCValueInFlight: wire.MilliSatoshi(funding) * 1000,
		ChannelReserve:       funding / 100,
		HTLCMinimum:          1,
		MaxAcceptedHTLCs:     MaxHTLCs,
	}
}

// newSimPair opens a channel between a (the opener) and b at commitment
// 0, both connected.
func newSimPair(t testing.TB, o pairOpts) *simPair {
	t.Helper()
	if o.funding == 0 {
		o.funding = 10_000_000
	}
	if o.typ == 0 {
		o.typ = script.Anchors
	}
	if o.feeRate == 0 {
		o.feeRate = 2500
	}
	if o.constraints == (Constraints{}) {
		o.constraints = defaultConstraints(o.funding)
	}
	if o.viaFunding {
		sp := &simPair{t: t, preimages: map[htlc.PaymentHash]htlc.Preimage{}, funding: o.funding, typ: o.typ, ctx: context.Background()}
		mkNode := func(name string) *simNode {
			return &simNode{name: name, kv: newMemKV(), t: t,
				monPreimages: map[htlc.PaymentHash]htlc.Preimage{}, monSecrets: map[uint64]revocation.Secret{}}
		}
		sp.a, sp.b = mkNode("alice"), mkNode("bob")
		openByFunding(t, sp, o)
		return sp
	}
	aSig := NewMemorySigner(secretsFor("alice"))
	bSig := NewMemorySigner(secretsFor("bob"))
	ap := &Params{
		FundingOutpoint: scripttest.FakeOutPoint("sim funding", 0),
		FundingAmount:   o.funding,
		Type:            o.typ,
		Opener:          Local,
		Local:           PartyParams{Basepoints: aSig.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          PartyParams{Basepoints: bSig.Basepoints(), ToSelfDelay: 144, DustLimit: 354},
	}
	bp := swapView(ap)
	aSec := revocation.NewProducer(sha256.Sum256([]byte("alice shachain")))
	bSec := revocation.NewProducer(sha256.Sum256([]byte("bob shachain")))
	acfg := MachineConfig{Params: ap, LocalConstraints: o.constraints, RemoteConstraints: o.constraints, Policy: o.policy, Signer: aSig, Secrets: aSec}
	bcfg := MachineConfig{Params: bp, LocalConstraints: o.constraints, RemoteConstraints: o.constraints, Policy: o.policy, Signer: bSig, Secrets: bSec}

	total := wire.MilliSatoshi(o.funding) * 1000
	aBal, bBal := total-o.push, o.push
	a0, _ := aSec.Point(0)
	b0, _ := bSec.Point(0)
	ctx := context.Background()
	// Each signs the other's commitment 0.
	sign0 := func(p *Params, s Signer, st *State, theirPoint *btcec.PublicKey) wire.Signature {
		c, err := NewCommitment(p, Remote, st, theirPoint)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := SignCommitment(ctx, s, p, c)
		if err != nil {
			t.Fatal(err)
		}
		return sigs.CommitSig
	}
	aState := &State{FeeRate: o.feeRate, LocalBalance: aBal, RemoteBalance: bBal}
	bState := &State{FeeRate: o.feeRate, LocalBalance: bBal, RemoteBalance: aBal}
	sigForA := sign0(bp, bSig, bState, a0)
	sigForB := sign0(ap, aSig, aState, b0)

	sp := &simPair{t: t, preimages: map[htlc.PaymentHash]htlc.Preimage{}, funding: o.funding, typ: o.typ, ctx: ctx}
	mk := func(name string, cfg MachineConfig, init *InitialState) *simNode {
		m, acts, err := NewMachine(cfg, init)
		if err != nil {
			t.Fatalf("%s: NewMachine: %v", name, err)
		}
		n := &simNode{name: name, cfg: cfg, m: m, kv: newMemKV(), t: t,
			monPreimages: map[htlc.PaymentHash]htlc.Preimage{}, monSecrets: map[uint64]revocation.Secret{}}
		n.apply(acts)
		n.flush()
		return n
	}
	sp.a = mk("alice", acfg, &InitialState{LocalBalance: aBal, RemoteBalance: bBal, FeeRate: o.feeRate, RemoteSig: sigForA, RemotePoint: b0, LockIn: o.lockIn, Connected: !o.reestablishFirst})
	sp.b = mk("bob", bcfg, &InitialState{LocalBalance: bBal, RemoteBalance: aBal, FeeRate: o.feeRate, RemoteSig: sigForB, RemotePoint: a0, LockIn: o.lockIn, Connected: !o.reestablishFirst})
	sp.a.peer, sp.b.peer = sp.b, sp.a
	sp.connected = !o.reestablishFirst
	if o.reestablishFirst {
		sp.reconnect()
	}
	sp.settle()
	return sp
}

// reconnect runs channel_reestablish both ways and delivers everything.
func (sp *simPair) reconnect() {
	sp.t.Helper()
	sp.a.out, sp.b.out = nil, nil
	sp.a.apply(sp.a.m.Reconnected())
	sp.b.apply(sp.b.m.Reconnected())
	sp.a.flush()
	sp.b.flush()
	sp.connected = true
}

// disconnect drops what is in flight both ways.
func (sp *simPair) disconnect() {
	sp.a.out, sp.b.out = nil, nil
	sp.a.apply(sp.a.m.Disconnected())
	sp.b.apply(sp.b.m.Disconnected())
	sp.a.held, sp.b.held = dropSends(sp.a.held), dropSends(sp.b.held)
	sp.connected = false
}

func dropSends(acts []Action) []Action {
	var kept []Action
	for _, a := range acts {
		if _, ok := a.(*Send); !ok {
			kept = append(kept, a)
		}
	}
	return kept
}

// deliver hands from's oldest message to its peer; false when none.
func (sp *simPair) deliver(from *simNode) bool {
	sp.t.Helper()
	if len(from.out) == 0 {
		return false
	}
	msg := from.out[0]
	from.out = from.out[1:]
	to := from.peer
	if simTrace {
		sp.t.Logf("%s -> %s: %v", from.name, to.name, msg.MsgType())
	}
	acts, err := to.m.ReceiveMessage(sp.ctx, msg)
	if err != nil && !to.allowFail {
		sp.t.Fatalf("%s receiving %v: %v", to.name, msg.MsgType(), err)
	}
	to.apply(acts)
	sp.msgCounter++
	return true
}

// settle delivers and flushes until nothing is left.
func (sp *simPair) settle() {
	sp.t.Helper()
	for i := 0; i < 100000; i++ {
		sp.a.flush()
		sp.b.flush()
		if !sp.deliver(sp.a) && !sp.deliver(sp.b) {
			sp.a.flush()
			sp.b.flush()
			if len(sp.a.out) == 0 && len(sp.b.out) == 0 {
				return
			}
		}
	}
	sp.t.Fatal("network did not settle")
}

// add offers an HTLC from n with a fresh preimage.
func (sp *simPair) add(n *simNode, amount wire.MilliSatoshi) (uint64, error) {
	var pre htlc.Preimage
	copy(pre[:], fmt.Sprintf("%s %d %d", n.name, n.m.NextHTLCID(), sp.msgCounter))
	sp.preimages[pre.Hash()] = pre
	var onion [wire.OnionPacketSize]byte
	copy(onion[:], pre[:])
	id, acts, err := n.m.AddHTLC(&AddHTLC{Amount: amount, PaymentHash: pre.Hash(), Expiry: 800_000, Onion: &onion})
	if err != nil {
		return 0, err
	}
	if simTrace {
		sp.t.Logf("%s adds %d (%v)", n.name, id, amount)
	}
	n.apply(acts)
	return id, nil
}

func (sp *simPair) sign(n *simNode) error {
	acts, err := n.m.SignCommitment(sp.ctx)
	n.apply(acts)
	if errors.Is(err, ErrAwaitingRevocation) {
		return nil
	}
	return err
}

// lockedIn returns n's released HTLCLockedIn events and forgets them.
func (n *simNode) takeEvents() []Action {
	ev := n.events
	n.events = nil
	return ev
}

// checkInvariants checks what must hold at any point.
func (sp *simPair) checkInvariants() {
	sp.t.Helper()
	total := wire.MilliSatoshi(sp.funding) * 1000
	for _, n := range []*simNode{sp.a, sp.b} {
		m := n.m
		check := func(what string, st *State) {
			sum := st.LocalBalance + st.RemoteBalance
			for _, h := range st.HTLCs {
				sum += h.Amount
			}
			if sum != total {
				sp.t.Fatalf("%s %s commitment %d: balances + HTLCs = %v, funding %v", n.name, what, st.Number, sum, total)
			}
		}
		check("local", m.LocalState())
		check("remote", m.RemoteState())
		if m.remoteNext != nil {
			check("remote next", m.stateOf(inRemoteNext, *m.remoteNext))
		}
	}
	// Each side's view of the other's commitment matches the other's own:
	// the same content and per-commitment point (so the same transaction;
	// sp.fullCheck also compares the transactions).
	for _, pair := range [][2]*simNode{{sp.a, sp.b}, {sp.b, sp.a}} {
		x, y := pair[0].m, pair[1].m
		yst := y.LocalState()
		ypt := pair[1].point(sp.t, y.local.number)
		compare := func(spec commitSpec, in inFunc, pt *btcec.PublicKey) {
			xst := swapState(x.stateOf(in, spec))
			if !sameState(xst, yst) || !pt.IsEqual(ypt) {
				sp.t.Fatalf("%s's view of %s's commitment %d differs from %s's own:\n%+v\n%+v", pair[0].name, pair[1].name, y.local.number, pair[1].name, xst, yst)
			}
			if sp.fullCheck {
				c, err := NewCommitment(x.p, Remote, x.stateOf(in, spec), pt)
				if err != nil {
					sp.t.Fatal(err)
				}
				yl, err := y.LocalCommitment()
				if err != nil {
					sp.t.Fatal(err)
				}
				if c.TxHash != yl.TxHash {
					sp.t.Fatalf("%s's commitment %d transactions differ", pair[1].name, y.local.number)
				}
			}
		}
		if x.remote.number == y.local.number {
			compare(x.remote, inRemote, x.remotePoint)
		}
		if x.remoteNext != nil && x.remoteNext.number == y.local.number {
			compare(*x.remoteNext, inRemoteNext, x.remoteNextPoint)
		}
		// No honest side's latest commitment is revoked: the peer holds
		// secrets only for commitments below it.
		if x.remote.number > y.local.number {
			sp.t.Fatalf("%s holds %d revocations of %s, whose latest commitment is %d", pair[0].name, x.remote.number, pair[1].name, y.local.number)
		}
		// Also for y's durable state: after a crash y must not come
		// back with a revoked commitment.
		if durable := durableLocalNumber(sp.t, pair[1]); x.remote.number > durable {
			sp.t.Fatalf("%s's durable commitment %d is revoked (%s holds %d secrets)", pair[1].name, durable, pair[0].name, x.remote.number)
		}
	}
}

// durableLocalNumber is the local commitment number a node would restore.
func durableLocalNumber(t testing.TB, n *simNode) uint64 {
	t.Helper()
	head, ok := n.kv.durable[n.m.prefix+keyHead]
	if !ok {
		t.Fatalf("%s: no durable head", n.name)
	}
	// version, phase, failure text (u32 length), then the local
	// commitment's number.
	r := wire.NewReader(head[2:])
	r.Bytes(int(r.U32("len")), "err")
	num := r.U64("number")
	if r.Err() != nil {
		t.Fatalf("%s: head: %v", n.name, r.Err())
	}
	return num
}

// cachedPoint returns a node's per-commitment point, memoized.
func (n *simNode) point(t testing.TB, num uint64) *btcec.PublicKey {
	if n.points == nil {
		n.points = map[uint64]*btcec.PublicKey{}
	}
	if p, ok := n.points[num]; ok {
		return p
	}
	p, err := n.cfg.Secrets.Point(num)
	if err != nil {
		t.Fatal(err)
	}
	n.points[num] = p
	return p
}

// rng returns a seeded source and logs the seed for reproduction.
func newRand(t testing.TB, seed int64) *rand.Rand {
	t.Logf("seed %d", seed)
	return rand.New(rand.NewSource(seed))
}
