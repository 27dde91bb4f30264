package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/keysend"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Sending.
//
// A payment is a record (keyed by its payment id) and its attempts, each
// an HTLC (or, for a multi-part payment, one of several) on a route. An
// attempt's record is written in the same batch as the channel's add, so
// a restart never forgets an HTLC in flight and never pays twice: the
// outcomes of in-flight HTLCs come back from the channels
// (Machine.PendingResolutions) and finish the payment. A failed attempt
// is retried on another route, the failing channel or node penalised,
// until the payment succeeds, a failure is final (the payee refused), or
// Policy.PaymentTimeout passes.

const keyPayment = "node/pay/"

// PaymentStatus is where a payment stands.
type PaymentStatus uint8

const (
	// PaymentStatusInFlight: HTLCs are out, or a retry is due.
	PaymentStatusInFlight PaymentStatus = iota
	// PaymentStatusSucceeded: the preimage came back.
	PaymentStatusSucceeded
	// PaymentStatusFailed: it will not complete; no HTLC is out.
	PaymentStatusFailed
)

// String names the status.
func (s PaymentStatus) String() string {
	if s > PaymentStatusFailed {
		return fmt.Sprintf("PaymentStatus(%d)", uint8(s))
	}
	return [...]string{"in-flight", "succeeded", "failed"}[s]
}

// PaymentID identifies a payment; the caller may choose it (idempotency
// key) or let the node draw one.
type PaymentID [32]byte

// String returns the id in hex.
func (id PaymentID) String() string { return hex.EncodeToString(id[:]) }

// RouteHop is one hop of a route a payment took.
type RouteHop struct {
	// Node is the hop's node id.
	Node [33]byte
	// ShortChannelID is the channel into Node.
	ShortChannelID wire.ShortChannelID
	// Amount is what Node receives.
	Amount wire.MilliSatoshi
	// CLTV is the cltv_expiry of the HTLC Node receives.
	CLTV uint32
}

// Payment is an outgoing payment and its outcome.
type Payment struct {
	ID          PaymentID
	PaymentHash htlc.PaymentHash
	Destination [33]byte
	// Amount is what the payee receives.
	Amount wire.MilliSatoshi
	// Fee is the routing fee of the successful parts.
	Fee    wire.MilliSatoshi
	Status PaymentStatus
	// Preimage is the proof of payment (set on success; never printed).
	Preimage htlc.Preimage
	// Failure says why it failed.
	Failure string
	// Route is the route of each successful part.
	Route [][]RouteHop
	// Attempts counts the HTLCs sent.
	Attempts int
	Keysend  bool
	// Blinded is set for a payment over blinded paths (PayBlinded):
	// Destination is then zero, and the Route's hops past each path's
	// introduction node carry blinded node ids and no channel.
	Blinded   bool
	CreatedAt time.Time
	// Pruned is set once PrunePayments has dropped the payment's route
	// and attempts; the rest stays.
	Pruned bool
}

// attempt is one HTLC of a payment.
type attempt struct {
	n       int
	ch      wire.ChannelID
	htlcID  uint64
	route   []RouteHop
	secrets onion.SharedSecrets
	amount  wire.MilliSatoshi // what the payee gets from this part
	settled bool
	done    bool
	// attribution is what the outcome's attribution_data told (hold
	// times, the first hop whose HMAC failed); nil when none came. Not
	// persisted.
	attribution *onion.Attribution
}

// payment is the node's working state of a Payment.
type payment struct {
	Payment
	secret      [32]byte // payment_secret (invoice) or the payer's (keysend MPP)
	total       wire.MilliSatoshi
	finalCLTV   uint16
	hints       []invoice.RouteHint
	maxFee      wire.MilliSatoshi
	deadline    time.Time
	keysendPre  *htlc.Preimage
	custom      []wire.TLVRecord
	attempts    []*attempt
	nextAttempt int
	waiters     []chan struct{}
	retryAt     time.Time
	excluded    map[wire.ShortChannelID]bool
	// blinded are the payee's blinded paths (PayBlinded); blindedOut
	// marks those that failed (not persisted: a restart tries them
	// all again).
	blinded    []BlindedPaymentPath
	blindedOut map[int]bool
}

type payments struct {
	n      *Node
	byID   map[PaymentID]*payment
	byHTLC map[fwdKey]*attempt
	owner  map[*attempt]*payment
}

func newPayments(n *Node) *payments {
	return &payments{n: n, byID: map[PaymentID]*payment{}, byHTLC: map[fwdKey]*attempt{}, owner: map[*attempt]*payment{}}
}

// PayInvoiceRequest asks to pay a BOLT 11 invoice.
type PayInvoiceRequest struct {
	// Invoice is the encoded invoice.
	Invoice string
	// Amount is required for an invoice without one, else ignored.
	Amount wire.MilliSatoshi
	// MaxFee bounds the routing fee (default Policy.MaxFeePercent).
	MaxFee wire.MilliSatoshi
	// ID, when set, makes the call idempotent: paying again with the same
	// id returns the first payment.
	ID *PaymentID
}

// KeysendRequest asks for a spontaneous payment (bLIP 3).
type KeysendRequest struct {
	// Destination is the payee's node id.
	Destination *btcec.PublicKey
	// Amount is what the payee receives.
	Amount wire.MilliSatoshi
	// CustomRecords go to the payee (types 65536 and up).
	CustomRecords []wire.TLVRecord
	// MaxFee bounds the routing fee.
	MaxFee wire.MilliSatoshi
	// ID, when set, makes the call idempotent.
	ID *PaymentID
	// FinalCLTVDelta is the payee's required final delta (default 40).
	FinalCLTVDelta uint16
}

// PayInvoice pays a BOLT 11 invoice and returns the payment once it has
// succeeded or failed (or ctx ends: the payment then goes on; see
// ListPayments).
func (n *Node) PayInvoice(ctx context.Context, req PayInvoiceRequest) (*Payment, error) {
	inv, err := invoice.Decode(req.Invoice)
	if err != nil {
		return nil, err
	}
	if inv.Network.Name != n.cfg.Network.Name {
		return nil, fmt.Errorf("%w: invoice for %s", ErrInvalidRequest, inv.Network.Name)
	}
	amount := req.Amount
	if inv.Amount != nil {
		amount = *inv.Amount
	}
	if amount == 0 {
		return nil, fmt.Errorf("%w: the invoice has no amount; give one", ErrInvalidRequest)
	}
	if inv.Expired(n.now()) {
		return nil, fmt.Errorf("%w: the invoice expired", ErrInvalidRequest)
	}
	p := &payment{total: amount, hints: inv.RouteHints, secret: inv.PaymentSecret, finalCLTV: uint16(inv.MinFinalCLTVExpiryDelta())}
	p.PaymentHash = inv.PaymentHash
	copy(p.Destination[:], inv.Destination.SerializeCompressed())
	p.Amount = amount
	return n.startPayment(ctx, p, req.ID, req.MaxFee)
}

// SendKeysend sends a spontaneous payment: the payer picks the preimage
// and carries it in the onion (bLIP 3), with the caller's custom records.
func (n *Node) SendKeysend(ctx context.Context, req KeysendRequest) (*Payment, error) {
	if req.Destination == nil || req.Amount == 0 {
		return nil, fmt.Errorf("%w: destination and amount are required", ErrInvalidRequest)
	}
	var pre htlc.Preimage
	if _, err := io.ReadFull(n.rand, pre[:]); err != nil {
		return nil, err
	}
	p := &payment{total: req.Amount, keysendPre: &pre, custom: req.CustomRecords, finalCLTV: req.FinalCLTVDelta}
	if p.finalCLTV == 0 {
		p.finalCLTV = 40
	}
	if _, err := io.ReadFull(n.rand, p.secret[:]); err != nil {
		return nil, err
	}
	p.PaymentHash = pre.Hash()
	p.Keysend = true
	copy(p.Destination[:], req.Destination.SerializeCompressed())
	p.Amount = req.Amount
	return n.startPayment(ctx, p, req.ID, req.MaxFee)
}

func (n *Node) startPayment(ctx context.Context, p *payment, id *PaymentID, maxFee wire.MilliSatoshi) (*Payment, error) {
	if id != nil {
		p.ID = *id
	} else if _, err := io.ReadFull(n.rand, p.ID[:]); err != nil {
		return nil, err
	}
	p.maxFee = maxFee
	if p.maxFee == 0 {
		p.maxFee = wire.MilliSatoshi(float64(p.Amount) * n.cfg.Policy.MaxFeePercent / 100)
		if p.maxFee < 1000 {
			p.maxFee = 1000
		}
	}
	p.CreatedAt = n.now()
	p.deadline = p.CreatedAt.Add(n.cfg.Policy.PaymentTimeout)
	p.excluded = map[wire.ShortChannelID]bool{}
	p.blindedOut = map[int]bool{}
	done := make(chan struct{})
	var existing *payment
	err := n.do(ctx, func() error {
		if old, ok := n.pays.byID[p.ID]; ok {
			existing = old
			if old.Status == PaymentStatusInFlight {
				old.waiters = append(old.waiters, done)
			} else {
				close(done)
			}
			return nil
		}
		for _, old := range n.pays.byID {
			if old.PaymentHash == p.PaymentHash && old.Status != PaymentStatusFailed {
				return fmt.Errorf("%w: hash %v is already paid or in flight (payment %v)", ErrDuplicatePayment, p.PaymentHash, old.ID)
			}
		}
		n.pays.byID[p.ID] = p
		p.waiters = append(p.waiters, done)
		n.pays.save(p)
		n.pays.launch(p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if existing != nil {
		p = existing
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.quit:
		return nil, ErrStopped
	}
	var out Payment
	if err := n.do(ctx, func() error { out = p.snapshot(); return nil }); err != nil {
		return nil, err
	}
	if out.Status == PaymentStatusFailed {
		return &out, fmt.Errorf("%w: %s", ErrPaymentFailed, out.Failure)
	}
	return &out, nil
}

func (p *payment) snapshot() Payment {
	out := p.Payment
	out.Route = append([][]RouteHop(nil), p.Route...)
	return out
}

// ListPayments returns every payment, newest first.
func (n *Node) ListPayments(ctx context.Context) ([]Payment, error) {
	var out []Payment
	err := n.do(ctx, func() error {
		for _, p := range n.pays.byID {
			out = append(out, p.snapshot())
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}

// inFlight is what the payment's parts in flight carry to the payee.
func (p *payment) inFlight() (amt wire.MilliSatoshi, settled wire.MilliSatoshi) {
	for _, a := range p.attempts {
		switch {
		case a.settled:
			settled += a.amount
		case !a.done:
			amt += a.amount
		}
	}
	return amt, settled
}

// startupGrace is how long after Start a payment with no route waits for
// one (channels reconnecting, gossip syncing) before failing, if it has
// sent no HTLC yet: after a failed HTLC, no route is an answer. A payment
// whose route's first hop could not take the HTLC at the moment also
// waits, until its deadline.
const startupGrace = 30 * time.Second

// launch sends HTLCs until the amount still missing is in flight (loop).
func (ps *payments) launch(p *payment) {
	n := ps.n
	if p.Status != PaymentStatusInFlight {
		return
	}
	// Channels an attempt could not be put on now (peer not connected,
	// balance taken by other HTLCs) are left out for this round only.
	var notSent []wire.ShortChannelID
	defer func() {
		for _, scid := range notSent {
			delete(p.excluded, scid)
		}
	}()
	for tries := 0; tries < 8; tries++ {
		inflight, settled := p.inFlight()
		missing := p.total - inflight - settled
		if settled >= p.total || missing == 0 {
			return
		}
		if n.now().After(p.deadline) {
			ps.finishIfIdle(p, "timed out")
			return
		}
		waitable := len(notSent) > 0 || p.Attempts == 0 && n.now().Sub(n.startedAt) < startupGrace
		if p.allBlindedOut() {
			waitable = false // every path failed or is unusable: nothing to wait for
		}
		if inflight == 0 {
			// Parts that cannot add up to the amount would only be
			// held by the payee until its MPP timeout.
			if have, settled := n.outboundCapacity(); have < missing {
				if !settled || waitable {
					p.retryAt = n.now().Add(time.Second)
					return
				}
				ps.fail(p, fmt.Sprintf("%v: %v to send, %v spendable over this node's channels", ErrNoRoute, missing, have))
				return
			}
		}
		r, err := n.findRoute(p, missing)
		if err != nil {
			if inflight == 0 && errors.Is(err, ErrNoRoute) && waitable {
				// A first hop could not take the HTLC now, or the
				// node just started (channels reconnecting, the
				// graph syncing): try again shortly, until the
				// payment's deadline, instead of failing it.
				p.retryAt = n.now().Add(time.Second)
				return
			}
			if inflight == 0 {
				if p.Failure != "" {
					// Keep what the last attempt learned.
					ps.fail(p, fmt.Sprintf("%s; %v", p.Failure, err))
				} else {
					ps.fail(p, err.Error())
				}
			}
			return
		}
		if err := ps.send(p, r); err != nil {
			n.log.Info("payment attempt not sent", "payment", p.ID, "err", err)
			if scid := r.hops[0].ShortChannelID; !p.excluded[scid] {
				p.excluded[scid] = true
				notSent = append(notSent, scid)
			}
			continue
		}
	}
	p.retryAt = n.now().Add(time.Second)
}

// send puts one attempt on its first channel (loop).
func (ps *payments) send(p *payment, r *route) error {
	n := ps.n
	// A keysend carries payment_data only when it is split: lnd (v0.21)
	// refuses a keysend with payment_data ("no mpp keysend supported").
	mpp := r.amount < p.total
	hops := make([]onion.Hop, len(r.hops))
	bi, intro := p.blindedOf(r.hops)
	for i, h := range r.hops {
		pub, err := parseNodeID(h.Node)
		if err != nil {
			return err
		}
		var payload *onion.HopPayload
		if bi >= 0 && i >= intro {
			payload = blindedPayload(&p.blinded[bi], i-intro, h, p.total, i == len(r.hops)-1)
		} else if i == len(r.hops)-1 {
			if p.keysendPre != nil {
				kp, err := keysend.NewPayment(keysend.Params{Amount: h.Amount, FinalCLTV: h.CLTV, CustomRecords: p.custom, Rand: fixedReader(*p.keysendPre)})
				if err != nil {
					return err
				}
				payload = kp.Payload
				if mpp {
					payload.PaymentData = &onion.PaymentData{PaymentSecret: p.secret, TotalMsat: p.total}
				}
			} else {
				payload = &onion.HopPayload{AmountToForward: onion.Amount(h.Amount), OutgoingCLTV: onion.U32(h.CLTV),
					PaymentData: &onion.PaymentData{PaymentSecret: p.secret, TotalMsat: p.total}}
			}
		} else {
			next := r.hops[i+1]
			payload = &onion.HopPayload{AmountToForward: onion.Amount(next.Amount), OutgoingCLTV: onion.U32(next.CLTV), ShortChannelID: onion.SCID(next.ShortChannelID)}
		}
		b, err := payload.Encode()
		if err != nil {
			return err
		}
		hops[i] = onion.Hop{PubKey: pub, Payload: b}
	}
	pkt, secrets, err := onion.NewPacket(n.rand, hops, p.PaymentHash[:])
	if err != nil {
		return err
	}
	var raw [wire.OnionPacketSize]byte
	copy(raw[:], pkt.Encode())
	first := r.hops[0]
	id, acts, err := r.first.m.AddHTLC(&channel.AddHTLC{Amount: first.Amount, PaymentHash: p.PaymentHash, Expiry: first.CLTV, Onion: &raw, PathKey: r.pathKey})
	if err != nil {
		return err
	}
	p.nextAttempt++
	a := &attempt{n: p.nextAttempt, ch: r.first.id, htlcID: id, route: r.hops, secrets: secrets, amount: r.amount}
	p.attempts = append(p.attempts, a)
	p.Attempts++
	ps.byHTLC[fwdKey{a.ch, a.htlcID}] = a
	ps.owner[a] = p
	ps.save(p)
	n.execute(r.first, acts)
	n.signSoon(r.first)
	return nil
}

// settled handles the success of one of our HTLCs (loop).
func (ps *payments) settled(cs *chanState, ev *channel.HTLCSettled) {
	n := ps.n
	defer n.execute(cs, cs.m.AckResolution(ev.ID))
	a, ok := ps.byHTLC[fwdKey{cs.id, ev.ID}]
	if !ok {
		return
	}
	p := ps.owner[a]
	if a.done {
		return
	}
	a.done, a.settled = true, true
	if ev.AttributionData != nil {
		a.attribution = a.secrets.VerifyFulfillAttribution(ev.AttributionData)
	}
	bi, intro := p.blindedOf(a.route)
	n.graphSuccess(clearPart(a.route, bi, intro))
	p.Preimage = ev.Preimage
	p.Fee += a.route[0].Amount - a.amount
	p.Route = append(p.Route, a.route)
	_, settled := p.inFlight()
	if settled >= p.total {
		p.Status = PaymentStatusSucceeded
	}
	ps.save(p)
	ps.finishIfIdle(p, "")
}

// failed handles the failure of one of our HTLCs (loop).
func (ps *payments) failed(cs *chanState, ev *channel.HTLCFailed) {
	n := ps.n
	defer n.execute(cs, cs.m.AckResolution(ev.ID))
	a, ok := ps.byHTLC[fwdKey{cs.id, ev.ID}]
	if !ok || a.done {
		return
	}
	p := ps.owner[a]
	a.done = true
	final := false
	reason := "local failure"
	switch {
	case ev.Reason != nil:
		var df *onion.DecryptedFailure
		var err error
		if ev.AttributionData != nil {
			// Attributable failure: a garbled one is pinned on a
			// pair of hops, whose channel is left out of retries.
			var at *onion.Attribution
			df, at, err = a.secrets.DecryptAttributedFailure(ev.Reason, ev.AttributionData)
			a.attribution = at
			if err != nil && at != nil {
				k := at.FirstInvalid
				if k < 0 || k >= len(a.route) {
					k = len(a.route) - 1
				}
				if bi, intro := p.blindedOf(a.route); bi >= 0 && k > intro {
					// Inside a blinded path: no channel to name.
					p.blindedOut[bi] = true
				} else {
					p.excluded[a.route[k].ShortChannelID] = true
				}
			}
		} else {
			df, err = a.secrets.DecryptFailure(ev.Reason)
		}
		if err != nil {
			reason = "undecryptable failure"
			break
		}
		reason = df.Code.String()
		at := df.SourceIndex
		bi, intro := p.blindedOf(a.route)
		switch {
		case bi >= 0 && at >= intro && !(at == len(a.route)-1 && at == intro && df.Code != onion.CodeInvalidOnionBlinding):
			// From inside a blinded path (the introduction node
			// speaks for it): that path is left out of retries.
			p.blindedOut[bi] = true
		case at == len(a.route)-1:
			// The payee refused: final unless it is an MPP timeout.
			final = df.Code != onion.CodeMPPTimeout
		case at+1 < len(a.route) && (bi < 0 || at+1 <= intro):
			p.excluded[a.route[at+1].ShortChannelID] = true
		}
		if bi < 0 || at < intro {
			n.penalize(clearPart(a.route, bi, intro), df)
		}
	case ev.Malformed != nil:
		reason = onion.FailureCode(ev.Malformed.FailureCode).String()
		if bi, intro := p.blindedOf(a.route); bi >= 0 && intro < 0 {
			// This node is the introduction node: the first hop
			// is inside the blinded path, whose relays fail as
			// malformed (BOLT 4); the path is left out.
			p.blindedOut[bi] = true
			reason = onion.CodeInvalidOnionBlinding.String()
			break
		}
		p.excluded[a.route[0].ShortChannelID] = true
	default:
		p.excluded[a.route[0].ShortChannelID] = true
	}
	n.log.Debug("payment attempt failed", "payment", p.ID, "channel", cs.id, "reason", reason)
	if _, settled := p.inFlight(); settled > 0 {
		// A part already succeeded: the payee has the preimage; keep
		// trying to complete.
		final = false
	}
	if final {
		p.Failure = reason
		ps.failNow(p)
		return
	}
	p.Failure = reason
	ps.save(p)
	ps.launch(p)
}

// fail marks a payment failed once no part is in flight.
func (ps *payments) fail(p *payment, reason string) {
	p.Failure = reason
	ps.failNow(p)
}

func (ps *payments) failNow(p *payment) {
	if inflight, _ := p.inFlight(); inflight > 0 {
		p.deadline = time.Time{} // no more attempts; finish when idle
		ps.save(p)
		return
	}
	p.Status = PaymentStatusFailed
	ps.save(p)
	ps.finishIfIdle(p, p.Failure)
}

// finishIfIdle reports a payment that is done and has no part in flight.
func (ps *payments) finishIfIdle(p *payment, reason string) {
	inflight, _ := p.inFlight()
	if inflight > 0 {
		return
	}
	if p.Status == PaymentStatusInFlight {
		if reason == "" {
			return
		}
		p.Status = PaymentStatusFailed
		p.Failure = reason
		ps.save(p)
	}
	n := ps.n
	snap := p.snapshot()
	waiters := p.waiters
	p.waiters = nil
	n.afterCommit(func() {
		for _, w := range waiters {
			close(w)
		}
		if snap.Status == PaymentStatusSucceeded {
			n.events.push(&PaymentSucceeded{Payment: snap})
		} else {
			n.events.push(&PaymentFailed{Payment: snap})
		}
	})
}

func (ps *payments) tick() {
	now := ps.n.now()
	for _, p := range ps.byID {
		if p.Status != PaymentStatusInFlight {
			continue
		}
		if !p.retryAt.IsZero() && now.After(p.retryAt) {
			p.retryAt = time.Time{}
			ps.launch(p)
		}
		if inflight, _ := p.inFlight(); inflight == 0 && now.After(p.deadline) {
			ps.finishIfIdle(p, "timed out")
		}
	}
}

// fixedReader reads the same 32 bytes: it hands keysend.NewPayment the
// payment's preimage for every part.
type fixedReader [32]byte

func (f fixedReader) Read(b []byte) (int, error) { return copy(b, f[:]), nil }

// Payment records.
func (ps *payments) save(p *payment) {
	ps.n.batch.Put(keyPayment+p.ID.String(), encodePayment(p))
}

// encodePayment is the stored form of p (decodePayment reads it).
func encodePayment(p *payment) []byte {
	b := []byte{1}
	b = append(b, p.PaymentHash[:]...)
	b = append(b, p.Destination[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(p.total))
	b = binary.BigEndian.AppendUint64(b, uint64(p.Fee))
	b = append(b, byte(p.Status))
	b = append(b, p.Preimage[:]...)
	b = append(b, p.secret[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.CreatedAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(p.deadline.UnixNano()))
	b = appendBool(b, p.Keysend)
	var kp htlc.Preimage
	if p.keysendPre != nil {
		kp = *p.keysendPre
	}
	b = append(b, kp[:]...)
	b = binary.BigEndian.AppendUint16(b, p.finalCLTV)
	b = binary.BigEndian.AppendUint64(b, uint64(p.maxFee))
	b = appendVar(b, []byte(p.Failure))
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.custom)))
	for _, c := range p.custom {
		b = binary.BigEndian.AppendUint64(b, c.Type)
		b = appendVar(b, c.Value)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.attempts)))
	for _, a := range p.attempts {
		b = append(b, a.ch[:]...)
		b = binary.BigEndian.AppendUint64(b, a.htlcID)
		b = binary.BigEndian.AppendUint64(b, uint64(a.amount))
		b = appendBool(b, a.done)
		b = appendBool(b, a.settled)
		b = binary.BigEndian.AppendUint32(b, uint32(len(a.route)))
		for _, h := range a.route {
			b = append(b, h.Node[:]...)
			b = binary.BigEndian.AppendUint64(b, h.ShortChannelID.ToUint64())
			b = binary.BigEndian.AppendUint64(b, uint64(h.Amount))
			b = binary.BigEndian.AppendUint32(b, h.CLTV)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(a.secrets)))
		for _, s := range a.secrets {
			b = append(b, s[:]...)
		}
	}
	// Optional trailing sections, each behind a tag byte (records
	// written before them end here).
	if len(p.hints) > 0 {
		b = append(b, payTagHints)
		b = appendRouteHints(b, p.hints)
	}
	if len(p.blinded) > 0 {
		b = append(b, payTagBlinded)
		b = appendBlindedPaths(b, p.blinded)
	}
	return b
}

// Tags of a payment record's trailing sections.
const (
	payTagHints   = 1
	payTagBlinded = 2
)

func appendRouteHints(b []byte, hints []invoice.RouteHint) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(hints)))
	for _, hint := range hints {
		b = binary.BigEndian.AppendUint16(b, uint16(len(hint)))
		for _, h := range hint {
			b = append(b, h.NodeID.SerializeCompressed()...)
			b = binary.BigEndian.AppendUint64(b, h.ChannelID.ToUint64())
			b = binary.BigEndian.AppendUint64(b, uint64(h.FeeBase))
			b = binary.BigEndian.AppendUint32(b, h.FeeProportionalMillionths)
			b = binary.BigEndian.AppendUint16(b, h.CLTVExpiryDelta)
		}
	}
	return b
}

func readRouteHints(r *wire.Reader) ([]invoice.RouteHint, error) {
	const hopLen = 33 + 8 + 8 + 4 + 2
	nh := int(r.U16("hints"))
	if nh*2 > r.Len() {
		return nil, errors.New("route hint count")
	}
	out := make([]invoice.RouteHint, 0, nh)
	for i := 0; i < nh; i++ {
		n := int(r.U16("hint hops"))
		if n*hopLen > r.Len() {
			return nil, errors.New("route hint hop count")
		}
		hint := make(invoice.RouteHint, 0, n)
		for j := 0; j < n; j++ {
			var id [33]byte
			r.Copy(id[:], "hint node")
			h := invoice.HopHint{ChannelID: wire.NewShortChannelIDFromUint64(r.U64("hint scid"))}
			h.FeeBase = wire.MilliSatoshi(r.U64("hint fee base"))
			h.FeeProportionalMillionths = r.U32("hint fee ppm")
			h.CLTVExpiryDelta = r.U16("hint cltv delta")
			if err := r.Err(); err != nil {
				return nil, err
			}
			pk, err := btcec.ParsePubKey(id[:])
			if err != nil {
				return nil, fmt.Errorf("hint node: %w", err)
			}
			h.NodeID = pk
			hint = append(hint, h)
		}
		out = append(out, hint)
	}
	return out, r.Err()
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendVar(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func readVar(r *wire.Reader, what string) []byte {
	n := r.U32(what)
	if int64(n) > int64(r.Len()) {
		r.Fail(fmt.Errorf("node: %s length %d", what, n))
		return nil
	}
	return append([]byte(nil), r.Bytes(int(n), what)...)
}

func (ps *payments) load(ctx context.Context) error {
	keys, err := ps.n.st.List(ctx, keyPayment)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := ps.n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		p, err := decodePayment(v)
		if err != nil {
			return fmt.Errorf("node: payment %s: %w", k, err)
		}
		raw, err := hex.DecodeString(k[len(keyPayment):])
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("node: payment key %s", k)
		}
		copy(p.ID[:], raw)
		ps.byID[p.ID] = p
		for _, a := range p.attempts {
			ps.owner[a] = p
			if !a.done {
				ps.byHTLC[fwdKey{a.ch, a.htlcID}] = a
			}
		}
		if p.Status == PaymentStatusInFlight {
			p.retryAt = ps.n.now()
		}
	}
	return nil
}

func decodePayment(v []byte) (*payment, error) {
	r := wire.NewReader(v)
	if r.U8("version") != 1 {
		return nil, errors.New("unknown version")
	}
	p := &payment{excluded: map[wire.ShortChannelID]bool{}, blindedOut: map[int]bool{}}
	r.Copy(p.PaymentHash[:], "hash")
	r.Copy(p.Destination[:], "dest")
	p.Amount = wire.MilliSatoshi(r.U64("amount"))
	p.total = wire.MilliSatoshi(r.U64("total"))
	p.Fee = wire.MilliSatoshi(r.U64("fee"))
	if p.Status = PaymentStatus(r.U8("status")); p.Status > PaymentStatusFailed {
		return nil, fmt.Errorf("unknown payment status %d", uint8(p.Status))
	}
	r.Copy(p.Preimage[:], "preimage")
	r.Copy(p.secret[:], "secret")
	p.CreatedAt = time.Unix(0, int64(r.U64("created")))
	p.deadline = time.Unix(0, int64(r.U64("deadline")))
	p.Keysend = r.U8("keysend") == 1
	var kp htlc.Preimage
	r.Copy(kp[:], "keysend preimage")
	if p.Keysend {
		p.keysendPre = &kp
	}
	p.finalCLTV = r.U16("final cltv")
	p.maxFee = wire.MilliSatoshi(r.U64("max fee"))
	p.Failure = string(readVar(&r, "failure"))
	nc := r.U32("custom")
	if int64(nc)*12 > int64(r.Len()) {
		return nil, errors.New("custom record count")
	}
	for i := uint32(0); i < nc; i++ {
		t := r.U64("type")
		p.custom = append(p.custom, wire.TLVRecord{Type: t, Value: readVar(&r, "value")})
	}
	na := r.U32("attempts")
	if int64(na)*50 > int64(r.Len()) {
		return nil, errors.New("attempt count")
	}
	for i := uint32(0); i < na; i++ {
		a := &attempt{n: int(i) + 1}
		r.Copy(a.ch[:], "channel")
		a.htlcID = r.U64("htlc")
		a.amount = wire.MilliSatoshi(r.U64("amount"))
		a.done = r.U8("done") == 1
		a.settled = r.U8("settled") == 1
		nh := r.U32("hops")
		if int64(nh)*53 > int64(r.Len()) {
			return nil, errors.New("hop count")
		}
		for j := uint32(0); j < nh; j++ {
			var h RouteHop
			r.Copy(h.Node[:], "node")
			h.ShortChannelID = wire.NewShortChannelIDFromUint64(r.U64("scid"))
			h.Amount = wire.MilliSatoshi(r.U64("amount"))
			h.CLTV = r.U32("cltv")
			a.route = append(a.route, h)
		}
		ns := r.U32("secrets")
		if int64(ns)*32 > int64(r.Len()) {
			return nil, errors.New("secret count")
		}
		for j := uint32(0); j < ns; j++ {
			var s [32]byte
			r.Copy(s[:], "secret")
			a.secrets = append(a.secrets, s)
		}
		if nh == 0 || ns != nh {
			return nil, fmt.Errorf("attempt %d: %d hops and %d onion secrets", i+1, nh, ns)
		}
		if a.settled {
			p.Route = append(p.Route, a.route)
		}
		p.attempts = append(p.attempts, a)
		p.nextAttempt++
	}
	p.Attempts = len(p.attempts)
	for r.Err() == nil && r.Len() > 0 {
		var err error
		switch tag := r.U8("tag"); tag {
		case payTagHints:
			p.hints, err = readRouteHints(&r)
		case payTagBlinded:
			p.blinded, err = readBlindedPaths(&r)
			p.Blinded = true
		default:
			err = fmt.Errorf("unknown section %d", tag)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return p, nil
}
