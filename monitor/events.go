package monitor

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Event is something the host must learn about the channel's on-chain
// resolution. The concrete types are *ChannelClosed, *PreimageLearned,
// *HTLCResolved, *FundsSwept, *ClaimsResolved and *Alert.
//
// Events are durable: each is written in the same batch as the state
// change that produced it, and stays in Events until the host
// acknowledges it with AckEvent, so a crash between the two delivers it
// again. Handlers must therefore be idempotent. An event is produced once
// per fact (a commitment confirming, a preimage, an HTLC outcome, a sweep);
// a reorganisation that changes the facts produces new events and retracts
// none.
type Event interface {
	// EventSeq is the event's sequence number, for AckEvent.
	EventSeq() uint64
	event()
}

// CloseKind says how the funding output was spent.
type CloseKind uint8

const (
	// CloseCooperative is a closing transaction: both outputs went to the
	// shutdown scripts, and there is nothing to claim (BOLT 5 "Mutual
	// Close Handling").
	CloseCooperative CloseKind = iota + 1
	// CloseLocal is this node's commitment.
	CloseLocal
	// CloseRemote is the peer's current or pending commitment.
	CloseRemote
	// CloseRevoked is a commitment of the peer that it revoked: every
	// output is this node's.
	CloseRevoked
	// CloseUnknown is a commitment of the peer that the monitor does not
	// hold (this node lost state): only this node's to_remote output can
	// be claimed (BOLT 5, "in the case of data loss").
	CloseUnknown
)

// String names the close kind.
func (k CloseKind) String() string {
	switch k {
	case CloseCooperative:
		return "cooperative"
	case CloseLocal:
		return "local commitment"
	case CloseRemote:
		return "remote commitment"
	case CloseRevoked:
		return "revoked remote commitment"
	case CloseUnknown:
		return "unknown remote commitment"
	default:
		return fmt.Sprintf("CloseKind(%d)", uint8(k))
	}
}

// ChannelClosed reports the transaction that spent the funding output,
// once it is confirmed.
type ChannelClosed struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Kind is what the transaction is.
	Kind CloseKind
	// Txid is the transaction.
	Txid chainhash.Hash
	// Height is the height of its block.
	Height uint32
	// CommitmentNumber is the commitment's number (all kinds but
	// CloseCooperative).
	CommitmentNumber uint64
}

// PreimageLearned reports a payment preimage read from a witness on chain:
// the peer claimed an HTLC this node offered (its HTLC-success transaction,
// or its claim of an HTLC output of this node's commitment), or the cheater
// of a revoked commitment used it. The host settles the incoming HTLC it
// forwarded with it.
type PreimageLearned struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Preimage is the payment preimage.
	Preimage htlc.Preimage
	// Txid is the transaction whose witness revealed it.
	Txid chainhash.Hash
}

// Outcome is how an HTLC ended on chain.
type Outcome uint8

const (
	// Settled: the HTLC was paid (with its preimage).
	Settled Outcome = iota + 1
	// Failed: the HTLC went back to its offerer.
	Failed
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Settled:
		return "settled"
	case Failed:
		return "failed"
	default:
		return fmt.Sprintf("Outcome(%d)", uint8(o))
	}
}

// HTLCResolved reports the on-chain outcome of an HTLC. For an HTLC this
// node offered, Settled comes with the preimage as soon as it is seen, and
// Failed once the timeout is ResolveDepth deep (BOLT 5: "once the resolving
// transaction has reached reasonable depth: MUST fail the corresponding
// incoming HTLC"), or, for an HTLC without an output in the confirmed
// commitment, once that commitment is ResolveDepth deep. For an HTLC the
// peer offered, it reports which way its output went, at ResolveDepth.
type HTLCResolved struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// HTLC is the HTLC; its Direction is from this node's point of view
	// (htlc.Offered: this node offered it).
	HTLC htlc.HTLC
	// Outcome is Settled or Failed.
	Outcome Outcome
	// Preimage is set for Settled.
	Preimage *htlc.Preimage
	// Txid is the transaction that resolved it: the spend of its output,
	// or the commitment when it had no output.
	Txid chainhash.Hash
}

// FundsSwept reports a claim transaction of this node confirmed
// ResolveDepth deep: Amount reached the sweep script, Fee went to miners.
type FundsSwept struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Txid is the sweep transaction.
	Txid chainhash.Hash
	// Height is the height of its block.
	Height uint32
	// Amount is what the sweep paid to the sweep script.
	Amount btcutil.Amount
	// Fee is the sweep's inputs minus its outputs.
	Fee btcutil.Amount
}

// ClaimsResolved reports that every output of the channel is irrevocably
// resolved (IrrevocableDepth deep): the host may Forget the monitor.
type ClaimsResolved struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Height is the tip when it was reported.
	Height uint32
}

// AlertKind classifies an Alert.
type AlertKind uint8

const (
	// AlertFundsLost: funds of this node went elsewhere: the peer took an
	// output with the revocation key (a revoked local commitment
	// confirmed), or the confirmed commitment has HTLC outputs the monitor
	// cannot claim (it does not know the commitment). BOLT 5: "MUST send a
	// warning regarding lost funds".
	AlertFundsLost AlertKind = iota + 1
	// AlertUneconomic: an output is worth less than the fee of claiming
	// it at the lowest fee rate; it is left unclaimed.
	AlertUneconomic
	// AlertFeeBump: the wallet could not pay for a fee bump (the anchor
	// child or an option_anchors HTLC transaction); the monitor retries
	// every block.
	AlertFeeBump
	// AlertRejected: the chain refused a transaction of the monitor as
	// invalid (ErrScript, ErrInvalidTx): a bug or a mismatch between the
	// monitor's data and the chain.
	AlertRejected
)

// String names the alert kind.
func (k AlertKind) String() string {
	switch k {
	case AlertFundsLost:
		return "funds lost"
	case AlertUneconomic:
		return "uneconomic output"
	case AlertFeeBump:
		return "fee bump failed"
	case AlertRejected:
		return "transaction rejected"
	default:
		return fmt.Sprintf("AlertKind(%d)", uint8(k))
	}
}

// Alert reports a condition the operator should see.
type Alert struct {
	// Seq is the event's sequence number (see AckEvent).
	Seq uint64
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Kind classifies the alert.
	Kind AlertKind
	// Detail says what happened.
	Detail string
}

// EventSeq implements Event.
func (e *ChannelClosed) EventSeq() uint64 { return e.Seq }

// EventSeq implements Event.
func (e *PreimageLearned) EventSeq() uint64 { return e.Seq }

// EventSeq implements Event.
func (e *HTLCResolved) EventSeq() uint64 { return e.Seq }

// EventSeq implements Event.
func (e *FundsSwept) EventSeq() uint64 { return e.Seq }

// EventSeq implements Event.
func (e *ClaimsResolved) EventSeq() uint64 { return e.Seq }

// EventSeq implements Event.
func (e *Alert) EventSeq() uint64 { return e.Seq }

func (*ChannelClosed) event()   {}
func (*PreimageLearned) event() {}
func (*HTLCResolved) event()    {}
func (*FundsSwept) event()      {}
func (*ClaimsResolved) event()  {}
func (*Alert) event()           {}

// Event type tags in records.
const (
	tagClosed uint8 = iota + 1
	tagPreimage
	tagHTLC
	tagSwept
	tagResolved
	tagAlert
)

func encodeEvent(ev Event) []byte {
	e := newEnc()
	switch ev := ev.(type) {
	case *ChannelClosed:
		e.u8(tagClosed)
		e.u8(uint8(ev.Kind))
		e.hash(ev.Txid)
		e.u32(ev.Height)
		e.u64(ev.CommitmentNumber)
	case *PreimageLearned:
		e.u8(tagPreimage)
		e.bytes(ev.Preimage[:])
		e.hash(ev.Txid)
	case *HTLCResolved:
		e.u8(tagHTLC)
		e.htlc(&ev.HTLC)
		e.u8(uint8(ev.Outcome))
		e.bool(ev.Preimage != nil)
		if ev.Preimage != nil {
			e.bytes(ev.Preimage[:])
		}
		e.hash(ev.Txid)
	case *FundsSwept:
		e.u8(tagSwept)
		e.hash(ev.Txid)
		e.u32(ev.Height)
		e.amount(ev.Amount)
		e.amount(ev.Fee)
	case *ClaimsResolved:
		e.u8(tagResolved)
		e.u32(ev.Height)
	case *Alert:
		e.u8(tagAlert)
		e.u8(uint8(ev.Kind))
		e.varBytes([]byte(ev.Detail))
	}
	return e.b
}

func decodeEvent(b []byte, seq uint64, id wire.ChannelID) (Event, error) {
	d := newDec(b)
	var ev Event
	switch d.u8() {
	case tagClosed:
		e := &ChannelClosed{Seq: seq, ChannelID: id}
		e.Kind = CloseKind(d.u8())
		e.Txid = d.hash()
		e.Height = d.u32()
		e.CommitmentNumber = d.u64()
		ev = e
	case tagPreimage:
		e := &PreimageLearned{Seq: seq, ChannelID: id}
		d.r.Copy(e.Preimage[:], "preimage")
		e.Txid = d.hash()
		ev = e
	case tagHTLC:
		e := &HTLCResolved{Seq: seq, ChannelID: id}
		e.HTLC = d.htlc()
		e.Outcome = Outcome(d.u8())
		if d.bool() {
			var p htlc.Preimage
			d.r.Copy(p[:], "preimage")
			e.Preimage = &p
		}
		e.Txid = d.hash()
		ev = e
	case tagSwept:
		e := &FundsSwept{Seq: seq, ChannelID: id}
		e.Txid = d.hash()
		e.Height = d.u32()
		e.Amount = d.amount()
		e.Fee = d.amount()
		ev = e
	case tagResolved:
		ev = &ClaimsResolved{Seq: seq, ChannelID: id, Height: d.u32()}
	case tagAlert:
		e := &Alert{Seq: seq, ChannelID: id}
		e.Kind = AlertKind(d.u8())
		e.Detail = string(d.varBytes())
		ev = e
	default:
		d.fail(fmt.Errorf("unknown event tag"))
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return ev, nil
}

// pendingEvent is an event produced by a step, with its identity for
// deduplication.
type pendingEvent struct {
	id string
	ev Event
}

// emit queues ev unless an event with the same id was already produced.
func (s *step) emit(id string, ev Event) {
	if s.m.emitted[id] || s.emittedNow[id] {
		return
	}
	if s.emittedNow == nil {
		s.emittedNow = map[string]bool{}
	}
	s.emittedNow[id] = true
	s.events = append(s.events, pendingEvent{id: id, ev: ev})
}

// writeEvents numbers the step's events and adds them to b.
func (m *Monitor) writeEvents(b *store.Batch, evs []pendingEvent) uint64 {
	seq := m.seq
	for _, pe := range evs {
		setSeq(pe.ev, seq)
		b.Put(m.prefix+eventKey(seq), encodeEvent(pe.ev))
		b.Put(m.prefix+keyEmitted+pe.id, nil)
		seq++
	}
	if len(evs) > 0 {
		e := newEnc()
		e.u64(seq)
		b.Put(m.prefix+keySeq, e.b)
	}
	return seq
}

func setSeq(ev Event, seq uint64) {
	switch ev := ev.(type) {
	case *ChannelClosed:
		ev.Seq = seq
	case *PreimageLearned:
		ev.Seq = seq
	case *HTLCResolved:
		ev.Seq = seq
	case *FundsSwept:
		ev.Seq = seq
	case *ClaimsResolved:
		ev.Seq = seq
	case *Alert:
		ev.Seq = seq
	}
}

// Events returns the events not yet acknowledged, oldest first.
func (m *Monitor) Events(ctx context.Context) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys, err := m.cfg.Store.List(ctx, m.prefix+keyEvent)
	if err != nil {
		return nil, fmt.Errorf("monitor: listing events: %w", err)
	}
	out := make([]Event, 0, len(keys))
	for _, k := range keys {
		var seq uint64
		if _, err := fmt.Sscanf(k[len(m.prefix+keyEvent):], "%016x", &seq); err != nil {
			return nil, corrupt(k, err)
		}
		b, err := m.cfg.Store.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("monitor: reading %s: %w", k, err)
		}
		ev, err := decodeEvent(b, seq, m.id)
		if err != nil {
			return nil, corrupt(k, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// AckEvent tells the monitor the host has durably handled the event with
// sequence number seq: it is deleted. Acknowledging an unknown sequence
// number does nothing.
func (m *Monitor) AckEvent(ctx context.Context, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b store.Batch
	b.Delete(m.prefix + eventKey(seq))
	if err := m.cfg.Store.Write(ctx, &b); err != nil {
		return fmt.Errorf("monitor: acknowledging event %d: %w", seq, err)
	}
	return nil
}
