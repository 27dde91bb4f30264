package monitor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// This file is the host of the tests: two channel.Machines (alice, the
// opener, and bob) built from channel's exported API, a chainsim chain
// holding their real funding output, and per node optionally a Monitor fed
// with that node's monitor updates. Messages between the Machines are
// delivered in order by settle; a node's sends can be dropped, to leave
// updates unsent when the channel goes on chain.

func testKey(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("monitor test " + label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

func testSecrets(name string) channel.BasepointSecrets {
	return channel.BasepointSecrets{
		Funding:        testKey(name + " funding"),
		Revocation:     testKey(name + " revocation"),
		Payment:        testKey(name + " payment"),
		DelayedPayment: testKey(name + " delayed"),
		HTLC:           testKey(name + " htlc"),
	}
}

func swapParams(p *channel.Params) *channel.Params {
	q := *p
	q.Local, q.Remote = p.Remote, p.Local
	q.Opener = p.Opener.Other()
	return &q
}

// proxy is the Listener registered with the chain; its target can change
// when a test restarts a monitor.
type proxy struct {
	mu sync.Mutex
	l  chain.Listener
}

func (p *proxy) set(l chain.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
}

func (p *proxy) get() chain.Listener {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.l
}

func (p *proxy) BlockConnected(ctx context.Context, b *chain.Block) error {
	if l := p.get(); l != nil {
		return l.BlockConnected(ctx, b)
	}
	return nil
}

func (p *proxy) BlockDisconnected(ctx context.Context, h btcwire.BlockHeader, height uint32) error {
	if l := p.get(); l != nil {
		return l.BlockDisconnected(ctx, h, height)
	}
	return nil
}

type tnode struct {
	name    string
	signer  *channel.MemorySigner
	secrets *revocation.Producer
	params  *channel.Params
	m       *channel.Machine
	out     []wire.Message
	drop    bool // drop sends
	updates []*channel.MonitorUpdate
	events  []channel.Action
	failed  *channel.ChannelFailed

	mon    *Monitor
	proxy  *proxy
	store  store.Store
	wallet *chainsim.Wallet
	dest   []byte
	// applyErr is set instead of failing the test when tolerate is set
	// (crash tests).
	tolerate bool
	applyErr error
}

type harness struct {
	t   testing.TB
	ctx context.Context
	ch  *chainsim.Chain
	typ script.ChannelType
	a   *tnode
	b   *tnode
	pol Policy
	pre map[htlc.PaymentHash]htlc.Preimage
	n   int
	// funding is the funding transaction.
	funding *btcwire.MsgTx

	// Crash tests: alice's store is fi until it crashes; forced records
	// that the scenario asked for a force close; restarts counts the
	// restarts; start is the height alice's monitor was registered at.
	fi       *store.FaultInjector
	forced   bool
	restarts int
	start    uint32
}

type hopts struct {
	typ      script.ChannelType
	funding  btcutil.Amount
	push     wire.MilliSatoshi
	feeRate  wire.SatPerKWeight
	delayA   uint16 // alice's to_self_delay (on her own outputs)
	delayB   uint16
	policy   Policy
	noBobMon bool
	aliceSt  store.Store
	seed     byte
	// fault, when set, puts alice's store behind a FaultInjector that
	// fault configures.
	fault func(*store.FaultInjector)
}

func testPolicy() Policy {
	return Policy{ResolveDepth: 2, IrrevocableDepth: 4}
}

func newHarness(t testing.TB, o hopts) *harness {
	t.Helper()
	ctx := context.Background()
	if o.typ == 0 {
		o.typ = script.Anchors
	}
	if o.funding == 0 {
		o.funding = 10_000_000
	}
	if o.push == 0 {
		o.push = 3_000_000_000
	}
	if o.feeRate == 0 {
		o.feeRate = 2500
	}
	if o.delayA == 0 {
		o.delayA = 10
	}
	if o.delayB == 0 {
		o.delayB = 12
	}
	if o.policy == (Policy{}) {
		o.policy = testPolicy()
	}
	var seed [32]byte
	seed[0] = o.seed
	ch := chainsim.New(chainsim.WithSeed(seed))
	h := &harness{t: t, ctx: ctx, ch: ch, typ: o.typ, pol: o.policy, pre: map[htlc.PaymentHash]htlc.Preimage{}}

	aSig := channel.NewMemorySigner(testSecrets("alice"))
	bSig := channel.NewMemorySigner(testSecrets("bob"))
	_, fundOut, err := script.FundingOutput(aSig.Basepoints().Funding, bSig.Basepoints().Funding, o.funding)
	if err != nil {
		t.Fatal(err)
	}
	h.funding, err = ch.Faucet(ctx, fundOut)
	if err != nil {
		t.Fatal(err)
	}
	ap := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: h.funding.TxHash(), Index: 0},
		FundingAmount:   o.funding,
		Type:            o.typ,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: aSig.Basepoints(), ToSelfDelay: o.delayA, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: bSig.Basepoints(), ToSelfDelay: o.delayB, DustLimit: 354},
	}
	bp := swapParams(ap)
	aSec := revocation.NewProducer(sha256.Sum256([]byte("alice shachain")))
	bSec := revocation.NewProducer(sha256.Sum256([]byte("bob shachain")))
	cons := channel.Constraints{
		MaxHTLCValueInFlight: wire.MilliSatoshi(o.funding) * 1000,
		ChannelReserve:       o.funding / 100,
		HTLCMinimum:          1,
		MaxAcceptedHTLCs:     channel.MaxHTLCs,
	}
	total := wire.MilliSatoshi(o.funding) * 1000
	aBal, bBal := total-o.push, o.push
	a0, _ := aSec.Point(0)
	b0, _ := bSec.Point(0)
	sign0 := func(p *channel.Params, s channel.Signer, st *channel.State, theirPoint *btcec.PublicKey) wire.Signature {
		c, err := channel.NewCommitment(p, channel.Remote, st, theirPoint)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := channel.SignCommitment(ctx, s, p, c)
		if err != nil {
			t.Fatal(err)
		}
		return sigs.CommitSig
	}
	sigForA := sign0(bp, bSig, &channel.State{FeeRate: o.feeRate, LocalBalance: bBal, RemoteBalance: aBal}, a0)
	sigForB := sign0(ap, aSig, &channel.State{FeeRate: o.feeRate, LocalBalance: aBal, RemoteBalance: bBal}, b0)
	height := ch.Height()
	mk := func(name string, sig *channel.MemorySigner, sec *revocation.Producer, p *channel.Params, init *channel.InitialState) (*tnode, []channel.Action) {
		m, acts, err := channel.NewMachine(channel.MachineConfig{
			Params: p, LocalConstraints: cons, RemoteConstraints: cons, Signer: sig, Secrets: sec,
		}, init)
		if err != nil {
			t.Fatalf("%s: NewMachine: %v", name, err)
		}
		w := ch.NewWallet()
		if _, err := w.Fund(ctx, 5_000_000); err != nil {
			t.Fatal(err)
		}
		n := &tnode{name: name, signer: sig, secrets: sec, params: m.Params(), m: m, wallet: w,
			dest: script.P2WPKH(testKey(name + " sweep").PubKey())}
		return n, acts
	}
	var aActs, bActs []channel.Action
	h.a, aActs = mk("alice", aSig, aSec, ap, &channel.InitialState{LocalBalance: aBal, RemoteBalance: bBal, FeeRate: o.feeRate, RemoteSig: sigForA, RemotePoint: b0, LockIn: channel.LockIn{CreatedAt: height}, Connected: true})
	h.b, bActs = mk("bob", bSig, bSec, bp, &channel.InitialState{LocalBalance: bBal, RemoteBalance: aBal, FeeRate: o.feeRate, RemoteSig: sigForB, RemotePoint: a0, LockIn: channel.LockIn{CreatedAt: height}, Connected: true})
	st := o.aliceSt
	if st == nil {
		st = store.NewMemory()
	}
	if o.fault != nil {
		h.fi = store.NewFaultInjector(st)
		o.fault(h.fi)
		st = h.fi
		h.a.tolerate = true
	}
	h.start = ch.Height()
	h.a.mon = h.newMonitor(h.a, st, ModeFull)
	h.a.store = st
	h.a.proxy = &proxy{}
	if h.a.mon != nil {
		h.a.proxy.set(h.a.mon)
	}
	ch.AddListener(h.a.proxy)
	if !o.noBobMon {
		h.b.store = store.NewMemory()
		h.b.mon = h.newMonitor(h.b, h.b.store, ModeFull)
		h.b.proxy = &proxy{l: h.b.mon}
		ch.AddListener(h.b.proxy)
	}
	h.apply(h.a, aActs)
	h.apply(h.b, bActs)
	h.settle()
	// Both monitors start at the current tip.
	h.mine(1)
	return h
}

func (h *harness) newMonitor(n *tnode, st store.Store, mode Mode) *Monitor {
	h.t.Helper()
	m, err := New(h.ctx, h.monConfig(n, st, mode), n.params)
	if err != nil {
		if h.fi != nil && errors.Is(err, store.ErrCrashed) {
			return nil // restarted by recover
		}
		h.t.Fatalf("%s: monitor: %v", n.name, err)
	}
	return m
}

func (h *harness) monConfig(n *tnode, st store.Store, mode Mode) Config {
	dest := n.dest
	return Config{
		Store: st, Signer: n.signer, Broadcaster: h.ch, Fees: h.ch, Wallet: n.wallet,
		SweepScript: func(context.Context) ([]byte, error) { return dest, nil },
		Mode:        mode, Policy: h.pol,
	}
}

// apply performs a step's actions as a host would: monitor updates reach
// the node's monitor at once (durably before anything else), sends are
// queued for the peer.
func (h *harness) apply(n *tnode, acts []channel.Action) {
	h.t.Helper()
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
		case *channel.MonitorUpdate:
			n.updates = append(n.updates, a)
			if n.mon != nil {
				if err := n.mon.Apply(h.ctx, a); err != nil {
					if !n.tolerate {
						h.t.Fatalf("%s: monitor Apply: %v", n.name, err)
					}
					if n.applyErr == nil {
						n.applyErr = err
					}
				}
			}
		case *channel.Send:
			if !n.drop {
				n.out = append(n.out, a.Msg)
			}
		case *channel.ChannelFailed:
			n.failed = a
		default:
			n.events = append(n.events, a)
		}
	}
}

func (h *harness) peer(n *tnode) *tnode {
	if n == h.a {
		return h.b
	}
	return h.a
}

// settle delivers messages both ways until none is left.
func (h *harness) settle() {
	h.t.Helper()
	for i := 0; i < 10000; i++ {
		progress := false
		for _, n := range []*tnode{h.a, h.b} {
			if len(n.out) == 0 {
				continue
			}
			msg := n.out[0]
			n.out = n.out[1:]
			to := h.peer(n)
			acts, err := to.m.ReceiveMessage(h.ctx, msg)
			if err != nil {
				h.t.Fatalf("%s receiving %v: %v", to.name, msg.MsgType(), err)
			}
			h.apply(to, acts)
			progress = true
		}
		if !progress {
			return
		}
	}
	h.t.Fatal("messages did not settle")
}

func (h *harness) sign(n *tnode) {
	h.t.Helper()
	acts, err := n.m.SignCommitment(h.ctx)
	h.apply(n, acts)
	if err != nil && !errors.Is(err, channel.ErrAwaitingRevocation) && !errors.Is(err, channel.ErrNothingToSign) {
		h.t.Fatalf("%s: sign: %v", n.name, err)
	}
}

// add offers an HTLC from n, commits it in both commitments and returns
// its id and preimage.
func (h *harness) add(n *tnode, amount wire.MilliSatoshi, expiry uint32) (uint64, htlc.Preimage) {
	h.t.Helper()
	h.n++
	pre := htlc.Preimage(sha256.Sum256([]byte(fmt.Sprintf("preimage %d", h.n))))
	h.pre[pre.Hash()] = pre
	var onion [wire.OnionPacketSize]byte
	id, acts, err := n.m.AddHTLC(&channel.AddHTLC{Amount: amount, PaymentHash: pre.Hash(), Expiry: expiry, Onion: &onion})
	if err != nil {
		h.t.Fatalf("%s: add: %v", n.name, err)
	}
	h.apply(n, acts)
	h.sign(n)
	h.settle()
	h.recover()
	return id, pre
}

// fulfill has n (the receiver) fulfill HTLC id; with commit the removal
// is committed both ways, without it the fulfill is never sent (the
// monitor has the preimage, the commitments keep the HTLC).
func (h *harness) fulfill(n *tnode, id uint64, pre htlc.Preimage, commit bool) {
	h.t.Helper()
	drop := n.drop
	n.drop = !commit
	acts, err := n.m.FulfillHTLC(id, pre, nil)
	if err != nil {
		h.t.Fatalf("%s: fulfill %d: %v", n.name, id, err)
	}
	h.apply(n, acts)
	n.drop = drop
	if commit {
		h.sign(n)
		h.settle()
	}
	h.recover()
}

func (h *harness) failHTLC(n *tnode, id uint64) {
	h.t.Helper()
	acts, err := n.m.FailHTLC(id, []byte("no"), nil)
	if err != nil {
		h.t.Fatalf("%s: fail %d: %v", n.name, id, err)
	}
	h.apply(n, acts)
	h.sign(n)
	h.settle()
	h.recover()
}

// mine mines n blocks from the mempool, one at a time.
func (h *harness) mine(n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		_, err := h.ch.Mine(h.ctx, 1)
		h.chainErr("mine", err)
	}
}

func (h *harness) mineEmpty(n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		_, err := h.ch.MineEmpty(h.ctx, 1)
		h.chainErr("mine empty", err)
	}
}

func (h *harness) mineTx(txs ...*btcwire.MsgTx) {
	h.t.Helper()
	_, err := h.ch.MineTx(h.ctx, txs...)
	h.chainErr("mine tx", err)
}

// chainErr fails the test on a mining error, except a consumer's
// simulated crash, after which it restarts alice's monitor.
func (h *harness) chainErr(what string, err error) {
	h.t.Helper()
	if err != nil && !(h.fi != nil && errors.Is(err, store.ErrCrashed)) {
		h.t.Fatalf("%s: %v", what, err)
	}
	h.recover()
}

// forceClose asks n's monitor to force-close, as a host would again after
// a restart if the call failed.
func (h *harness) forceClose(n *tnode) {
	h.t.Helper()
	if n == h.a {
		h.forced = true
	}
	if err := n.mon.ForceClose(h.ctx); err != nil && !(n == h.a && h.fi != nil && errors.Is(err, store.ErrCrashed)) {
		h.t.Fatalf("%s: force close: %v", n.name, err)
	}
	h.recover()
}

// recover restarts alice's monitor after its store crashed: it opens what
// was durable (registering again if even that was lost), applies every
// monitor update of alice's again (updates are idempotent), repeats the
// force close if one was asked, and replays the blocks from SyncedTo on.
// Later writes go to the store directly.
func (h *harness) recover() {
	h.t.Helper()
	if h.fi == nil || !h.fi.Crashed() {
		return
	}
	a := h.a
	st := h.fi.Inner()
	h.fi = nil
	a.tolerate, a.applyErr = false, nil
	h.restarts++
	cfg := h.monConfig(a, st, ModeFull)
	mon, err := Open(h.ctx, cfg, wire.NewChannelID(a.params.FundingOutpoint))
	if errors.Is(err, ErrNotRegistered) {
		mon, err = New(h.ctx, cfg, a.params)
	}
	if err != nil {
		h.t.Fatalf("restart: %v", err)
	}
	if err := mon.Apply(h.ctx, a.updates...); err != nil {
		h.t.Fatalf("restart: replaying updates: %v", err)
	}
	if h.forced {
		if err := mon.ForceClose(h.ctx); err != nil {
			h.t.Fatalf("restart: force close: %v", err)
		}
	}
	from := h.start + 1
	if height, _, ok := mon.SyncedTo(); ok {
		from = height + 1
	}
	for height := from; height <= h.ch.Height(); height++ {
		blk, ok := h.ch.Block(height)
		if !ok {
			h.t.Fatalf("no block %d", height)
		}
		b := &chain.Block{Header: blk.Header, Height: height}
		for i, tx := range blk.Transactions {
			b.Txs = append(b.Txs, chain.IndexedTx{Index: uint32(i), Tx: tx})
		}
		if err := mon.BlockConnected(h.ctx, b); err != nil {
			h.t.Fatalf("restart: replaying block %d: %v", height, err)
		}
	}
	a.mon, a.store = mon, st
	a.proxy.set(mon)
}

// localCommitment returns n's latest commitment and the peer's
// signatures.
func (h *harness) localCommitment(n *tnode) (*channel.Commitment, channel.CommitSigs) {
	h.t.Helper()
	c, err := n.m.LocalCommitment()
	if err != nil {
		h.t.Fatal(err)
	}
	return c, n.m.LocalSigs()
}

// signedCommitment completes one of n's commitments for broadcast.
func (h *harness) signedCommitment(n *tnode, c *channel.Commitment, sigs channel.CommitSigs) *btcwire.MsgTx {
	h.t.Helper()
	tx, err := channel.SignedCommitmentTx(h.ctx, n.signer, n.params, c, sigs.CommitSig)
	if err != nil {
		h.t.Fatal(err)
	}
	return tx
}

// oldCommitments returns every commitment of n's that n's monitor
// updates carried, oldest first, with its signatures.
func (h *harness) oldCommitments(n *tnode) []*channel.LocalCommitmentInfo {
	var out []*channel.LocalCommitmentInfo
	for _, u := range n.updates {
		if u.Local != nil {
			out = append(out, u.Local)
		}
	}
	return out
}

func (h *harness) build(n *tnode, li *channel.LocalCommitmentInfo) *channel.Commitment {
	h.t.Helper()
	c, err := channel.NewCommitment(n.params, channel.Local, &li.State, li.Point)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// events returns the monitor's pending events.
func (h *harness) events(n *tnode) []Event {
	h.t.Helper()
	evs, err := n.mon.Events(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func eventsOf[T Event](evs []Event) []T {
	var out []T
	for _, e := range evs {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// resolved reports whether n's monitor reported ClaimsResolved.
func (h *harness) resolved(n *tnode) bool {
	return len(eventsOf[*ClaimsResolved](h.events(n))) > 0
}

// mineUntilResolved mines block by block (calling each before every
// block) until alice's monitor reports ClaimsResolved.
func (h *harness) mineUntilResolved(limit int, each func()) {
	h.t.Helper()
	for i := 0; i < limit; i++ {
		if h.resolved(h.a) {
			return
		}
		if each != nil {
			each()
		}
		h.mine(1)
	}
	h.t.Fatalf("alice's claims not resolved after %d blocks; events: %v", limit, describe(h.events(h.a)))
}

func describe(evs []Event) string {
	s := ""
	for _, e := range evs {
		s += fmt.Sprintf("\n  %T %+v", e, e)
	}
	return s
}

// inMempool reports whether a mempool transaction spends op.
func (h *harness) spendInMempool(op btcwire.OutPoint) *btcwire.MsgTx {
	for _, tx := range h.ch.Mempool() {
		for _, in := range tx.TxIn {
			if in.PreviousOutPoint == op {
				return tx
			}
		}
	}
	return nil
}

// spender returns the confirmed transaction spending op, or nil.
func (h *harness) spender(op btcwire.OutPoint) *btcwire.MsgTx {
	txid, confs, spent := h.ch.SpentBy(op)
	if !spent || confs == 0 {
		return nil
	}
	tx, _, _ := h.ch.Transaction(txid)
	return tx
}

// prevValue returns the value of the output op (confirmed or spent).
func (h *harness) prevValue(op btcwire.OutPoint) btcutil.Amount {
	tx, _, ok := h.ch.Transaction(op.Hash)
	if !ok {
		h.t.Fatalf("no transaction %v", op.Hash)
	}
	return btcutil.Amount(tx.TxOut[op.Index].Value)
}

// checkSweeps checks every FundsSwept event of n against the chain: the
// transaction pays Amount to the sweep script and Fee is its inputs minus
// its outputs, at least maxRate... and returns the totals.
func (h *harness) checkSweeps(n *tnode) (amount, fee btcutil.Amount) {
	h.t.Helper()
	for _, ev := range eventsOf[*FundsSwept](h.events(n)) {
		tx, _, ok := h.ch.Transaction(ev.Txid)
		if !ok {
			h.t.Fatalf("%s: swept by %v, not on chain", n.name, ev.Txid)
		}
		var in, out, paid btcutil.Amount
		for _, txin := range tx.TxIn {
			in += h.prevValue(txin.PreviousOutPoint)
		}
		for _, o := range tx.TxOut {
			out += btcutil.Amount(o.Value)
			if string(o.PkScript) == string(n.dest) {
				paid += btcutil.Amount(o.Value)
			}
		}
		if paid != ev.Amount || in-out != ev.Fee {
			h.t.Fatalf("%s: sweep %v pays %v with fee %v, event says %v and %v", n.name, ev.Txid, paid, in-out, ev.Amount, ev.Fee)
		}
		h.verifyTx(tx)
		amount += ev.Amount
		fee += ev.Fee
	}
	return amount, fee
}

// verifyTx runs every input of a confirmed transaction through txscript
// again, against its previous outputs on chain.
func (h *harness) verifyTx(tx *btcwire.MsgTx) {
	h.t.Helper()
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, in := range tx.TxIn {
		ptx, _, ok := h.ch.Transaction(in.PreviousOutPoint.Hash)
		if !ok {
			h.t.Fatalf("no parent %v", in.PreviousOutPoint.Hash)
		}
		fetcher.AddPrevOut(in.PreviousOutPoint, ptx.TxOut[in.PreviousOutPoint.Index])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := fetcher.FetchPrevOutput(in.PreviousOutPoint)
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prev.Value, fetcher)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			h.t.Fatalf("tx %v input %d: %v", tx.TxHash(), i, err)
		}
	}
}

// htlcTxFees sums the fees that n's HTLC transactions of commitment c took
// from the HTLC values (option_static_remotekey; 0 under anchors, whose
// HTLC transactions are paid by the wallet).
func (h *harness) htlcTxFees(c *channel.Commitment) btcutil.Amount {
	var fee btcutil.Amount
	for _, ch := range c.HTLCs {
		tx := h.spender(btcwire.OutPoint{Hash: c.TxHash, Index: uint32(ch.Output.Index)})
		if tx == nil || !c.Type.HasAnchors() && len(tx.TxIn) != 1 {
			continue
		}
		pw, err := script.ParseWitness(tx.TxIn[0].Witness)
		if err != nil || (pw.Path != script.PathOfferedLocalTimeout && pw.Path != script.PathReceivedLocalSuccess) {
			continue
		}
		if !c.Type.HasAnchors() {
			fee += ch.Output.Value - btcutil.Amount(tx.TxOut[0].Value)
		}
	}
	return fee
}

func txidOf(tx *btcwire.MsgTx) chainhash.Hash { return tx.TxHash() }
