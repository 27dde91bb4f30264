package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Forwarding.
//
// A forwarded HTLC is a link from an incoming HTLC to the outgoing one,
// written in the same batch as the outgoing add, before update_add_htlc
// leaves. The outgoing HTLC's outcome (channel.HTLCSettled/HTLCFailed,
// replayed by Machine.PendingResolutions after a restart) settles or fails
// the incoming one, and the link is deleted in the same batch as that
// removal and the outcome's acknowledgement.

const keyForward = "node/fwd/"

type fwdKey struct {
	ch wire.ChannelID
	id uint64
}

// forwardLink ties an outgoing HTLC to the incoming one it forwards.
type forwardLink struct {
	in, out      fwdKey
	secret       [32]byte
	amtIn        wire.MilliSatoshi
	amtOut       wire.MilliSatoshi
	incomingCLTV uint32
	// role is this node's place in a blinded route the HTLC is in
	// (blindNone outside one); onionHash is sha256 of the incoming
	// onion, for invalid_onion_blinding.
	role      blindRole
	onionHash [32]byte
	// arrived is when the incoming HTLC was forwarded, for hold times
	// (not persisted: zero after a restart).
	arrived time.Time
}

type forwards struct {
	n     *Node
	byOut map[fwdKey]*forwardLink
	byIn  map[fwdKey]*forwardLink
	// held marks incoming HTLCs being collected as parts of a payment to
	// this node (not persisted: they are rebuilt from PendingIncoming).
	held map[fwdKey]bool
	// delayed are failures from inside blinded routes held back before
	// they go upstream (Policy.BlindedFailureDelay), run by tick. Not
	// persisted: the outgoing resolution is acknowledged only once the
	// failure is sent, so a restart replays it.
	delayed []delayedFail
}

// delayedFail is a failure to send upstream once due.
type delayedFail struct {
	due  time.Time
	send func()
}

// delay runs send after a random time in [d/2, d) (at once when d is 0),
// at the next tick after it is due (loop).
func (f *forwards) delay(d time.Duration, send func()) {
	if d <= 0 {
		send()
		return
	}
	wait := d/2 + time.Duration(mrand.Int64N(int64(d-d/2)))
	f.delayed = append(f.delayed, delayedFail{due: f.n.now().Add(wait), send: send})
}

// tick sends the delayed failures that are due (loop).
func (f *forwards) tick() {
	if len(f.delayed) == 0 {
		return
	}
	now := f.n.now()
	keep := f.delayed[:0]
	var due []func()
	for _, d := range f.delayed {
		if now.Before(d.due) {
			keep = append(keep, d)
		} else {
			due = append(due, d.send)
		}
	}
	clear(f.delayed[len(keep):])
	f.delayed = keep
	for _, send := range due {
		send()
	}
}

func newForwards(n *Node) *forwards {
	return &forwards{n: n, byOut: map[fwdKey]*forwardLink{}, byIn: map[fwdKey]*forwardLink{}, held: map[fwdKey]bool{}}
}

func (f *forwards) key(l *forwardLink) string {
	return fmt.Sprintf("%s%s/%016x", keyForward, hex.EncodeToString(l.out.ch[:]), l.out.id)
}

func (f *forwards) save(l *forwardLink) {
	b := []byte{1}
	if l.role != blindNone {
		b[0] = 2
	}
	b = append(b, l.in.ch[:]...)
	b = binary.BigEndian.AppendUint64(b, l.in.id)
	b = append(b, l.secret[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(l.amtIn))
	b = binary.BigEndian.AppendUint64(b, uint64(l.amtOut))
	b = binary.BigEndian.AppendUint32(b, l.incomingCLTV)
	if l.role != blindNone {
		b = append(b, byte(l.role))
		b = append(b, l.onionHash[:]...)
	}
	f.n.batch.Put(f.key(l), b)
}

func (f *forwards) load(ctx context.Context) error {
	keys, err := f.n.st.List(ctx, keyForward)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := f.n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		parts := strings.Split(strings.TrimPrefix(k, keyForward), "/")
		raw, herr := hex.DecodeString(parts[0])
		const v1Len = 1 + 32 + 8 + 32 + 8 + 8 + 4
		if len(parts) != 2 || herr != nil || len(raw) != 32 || len(v) == 0 ||
			!(v[0] == 1 && len(v) == v1Len || v[0] == 2 && len(v) == v1Len+1+32) {
			return fmt.Errorf("node: corrupt forward record %s", k)
		}
		l := &forwardLink{}
		copy(l.out.ch[:], raw)
		fmt.Sscanf(parts[1], "%x", &l.out.id)
		r := wire.NewReader(v[1:])
		r.Copy(l.in.ch[:], "in")
		l.in.id = r.U64("id")
		r.Copy(l.secret[:], "secret")
		l.amtIn = wire.MilliSatoshi(r.U64("in"))
		l.amtOut = wire.MilliSatoshi(r.U64("out"))
		l.incomingCLTV = r.U32("cltv")
		if v[0] == 2 {
			l.role = blindRole(r.U8("role"))
			r.Copy(l.onionHash[:], "onion hash")
			if l.role != blindIntro && l.role != blindRelay {
				return fmt.Errorf("node: corrupt forward record %s: role %d", k, l.role)
			}
		}
		f.byOut[l.out], f.byIn[l.in] = l, l
	}
	return nil
}

func (f *forwards) isIncomingKnown(ch wire.ChannelID, id uint64) bool {
	k := fwdKey{ch, id}
	_, fwd := f.byIn[k]
	return fwd || f.held[k]
}

func (f *forwards) holdIncoming(ch wire.ChannelID, id uint64) { f.held[fwdKey{ch, id}] = true }

func (f *forwards) drop(l *forwardLink) {
	delete(f.byOut, l.out)
	delete(f.byIn, l.in)
	f.n.batch.Delete(f.key(l))
}

// channelBySCID finds the channel a forward names (by alias or real id).
func (n *Node) channelBySCID(scid wire.ShortChannelID) *chanState {
	return n.byAlias[scid.ToUint64()]
}

// forward handles an HTLC to pass on outside a blinded route (loop).
func (n *Node) forward(in *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, p *onion.HopPayload) {
	h := ev.HTLC
	fail := func(code onion.FailureCode) {
		n.failBack(in, h.ID, res.SharedSecret, &onion.FailureMessage{Code: code, HTLCAmount: h.Amount, CLTVExpiry: h.CLTVExpiry})
	}
	if p.ShortChannelID == nil || p.AmountToForward == nil || p.OutgoingCLTV == nil {
		fail(onion.CodeInvalidOnionPayload)
		return
	}
	amt, cltv := *p.AmountToForward, *p.OutgoingCLTV
	n.forwardOn(in, ev, res, n.channelBySCID(*p.ShortChannelID), amt, cltv, nil, blindNone, fail)
}

// forwardOn checks an HTLC against this node's policy and adds it, for amt
// and cltv, on the channel out, linked to the incoming one (loop). pathKey
// goes in update_add_htlc (blinded routes); fail answers a refusal.
func (n *Node) forwardOn(in *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, out *chanState,
	amt wire.MilliSatoshi, cltv uint32, pathKey *wire.Point, role blindRole, fail func(onion.FailureCode)) {
	h := ev.HTLC
	if out == nil || out == in {
		fail(onion.CodeUnknownNextPeer)
		return
	}
	if !out.m.Ready() || out.status != chanOpen {
		fail(onion.CodeChannelDisabled)
		return
	}
	if _, ok := n.peers[out.peer]; !ok {
		fail(onion.CodeTemporaryChannelFailure)
		return
	}
	pol := n.cfg.Policy
	fee := pol.FeeBase + amt*wire.MilliSatoshi(pol.FeePPM)/1_000_000
	if h.Amount < amt || h.Amount-amt < fee {
		fail(onion.CodeFeeInsufficient)
		return
	}
	if h.CLTVExpiry < cltv || h.CLTVExpiry-cltv < uint32(pol.CLTVDelta) {
		fail(onion.CodeIncorrectCLTVExpiry)
		return
	}
	if cltv <= n.height+uint32(pol.CLTVDelta)/4 {
		fail(onion.CodeExpiryTooSoon)
		return
	}
	if cltv > n.height+2016*2 {
		fail(onion.CodeExpiryTooFar)
		return
	}
	next := res.Next.Encode()
	if len(next) != wire.OnionPacketSize {
		fail(onion.CodeTemporaryNodeFailure)
		return
	}
	var pkt [wire.OnionPacketSize]byte
	copy(pkt[:], next)
	id, acts, err := out.m.AddHTLC(&channel.AddHTLC{Amount: amt, PaymentHash: h.PaymentHash, Expiry: cltv, Onion: &pkt, PathKey: pathKey})
	if err != nil {
		n.log.Info("forward refused", "out", out.id, "err", err)
		fail(onion.CodeTemporaryChannelFailure)
		return
	}
	l := &forwardLink{in: fwdKey{in.id, h.ID}, out: fwdKey{out.id, id}, secret: res.SharedSecret, amtIn: h.Amount, amtOut: amt, incomingCLTV: h.CLTVExpiry, arrived: n.now(), role: role}
	if role != blindNone {
		l.onionHash = sha256Onion(ev.Onion)
	}
	n.fwd.byOut[l.out], n.fwd.byIn[l.in] = l, l
	n.fwd.save(l)
	n.execute(out, acts)
	n.signSoon(out)
}

// onOutgoingSettled handles an outgoing HTLC's settlement (loop).
func (n *Node) onOutgoingSettled(cs *chanState, ev *channel.HTLCSettled) {
	if l, ok := n.fwd.byOut[fwdKey{cs.id, ev.ID}]; ok {
		in, ok := n.channels[l.in.ch]
		if !ok {
			return
		}
		// The link and the outcome are kept until the incoming HTLC's
		// fulfill is recorded in its channel: a crash before then
		// replays the outcome, never a second forward.
		pre, id := ev.Preimage, ev.ID
		if _, still := n.fwd.byOut[l.out]; !still {
			return
		}
		linked := func() bool { _, ok := n.fwd.byOut[l.out]; return ok }
		at := attribution{secret: l.secret, downstream: ev.AttributionData, arrived: l.arrived}
		n.claimIncoming(in, l.in.id, l.incomingCLTV, pre, at, linked, func() {
			n.fwd.drop(l)
			n.execute(cs, cs.m.AckResolution(id))
			ev := &HTLCForwarded{InChannel: l.in.ch, OutChannel: l.out.ch, AmountIn: l.amtIn, AmountOut: l.amtOut}
			n.afterCommit(func() { n.events.push(ev) })
		})
		return
	}
	n.pays.settled(cs, ev)
}

// onOutgoingFailed handles an outgoing HTLC's failure (loop).
func (n *Node) onOutgoingFailed(cs *chanState, ev *channel.HTLCFailed) {
	if l, ok := n.fwd.byOut[fwdKey{cs.id, ev.ID}]; ok {
		in, ok := n.channels[l.in.ch]
		if !ok {
			return
		}
		id := ev.ID
		hold := attribution{arrived: l.arrived}.hold(n.now())
		if l.role == blindRelay {
			// Inside a blinded route any failure goes back as
			// update_fail_malformed_htlc with invalid_onion_blinding
			// (BOLT 2, BOLT 4), which says nothing of where it
			// happened.
			n.whenConnected(in, func() error {
				if _, still := n.fwd.byOut[l.out]; !still {
					return nil
				}
				if err := n.failMalformedNow(in, l.in.id, l.onionHash, uint16(onion.CodeInvalidOnionBlinding)); err != nil {
					return err
				}
				n.fwd.drop(l)
				n.execute(cs, cs.m.AckResolution(id))
				return nil
			})
			return
		}
		var reason []byte
		var ad *wire.AttributionData
		var err error
		switch {
		case l.role == blindIntro:
			// The introduction node replaces whatever failed inside
			// the blinded route with invalid_onion_blinding.
			reason, ad, err = onion.NewAttributedFailure(l.secret, &onion.FailureMessage{Code: onion.CodeInvalidOnionBlinding, OnionHash: l.onionHash}, hold)
		case ev.Malformed != nil:
			// BOLT 4: the node before the one that could not read
			// the onion builds the failure.
			reason, ad, err = onion.NewAttributedFailure(l.secret, &onion.FailureMessage{Code: onion.FailureCode(ev.Malformed.FailureCode), OnionHash: ev.Malformed.OnionSHA256}, hold)
		case ev.Local != nil || ev.Reason == nil:
			reason, ad, err = onion.NewAttributedFailure(l.secret, &onion.FailureMessage{Code: onion.CodeTemporaryChannelFailure}, hold)
		default:
			// Downstream's failure: add this hop's attribution entry
			// (over what was received) and obfuscation layer.
			reason = append([]byte(nil), ev.Reason...)
			if ev.AttributionData != nil {
				c := *ev.AttributionData
				ad = &c
			}
			ad = onion.ObfuscateAttributedFailure(l.secret, hold, reason, ad)
		}
		if err != nil {
			n.log.Error("building a failure", "err", err)
			return
		}
		send := func() {
			n.whenConnected(in, func() error {
				if _, still := n.fwd.byOut[l.out]; !still {
					return nil
				}
				if err := n.failRaw(in, l.in.id, reason, ad); err != nil {
					return err
				}
				n.fwd.drop(l)
				n.execute(cs, cs.m.AckResolution(id))
				return nil
			})
		}
		if l.role == blindIntro {
			// A failure from inside a blinded route waits a random
			// while, so that its timing does not tell how far the
			// payee is.
			n.fwd.delay(n.cfg.Policy.BlindedFailureDelay, send)
			return
		}
		send()
		return
	}
	n.pays.failed(cs, ev)
}
