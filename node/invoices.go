package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

const keyInvoice = "node/inv/"

// InvoiceState is where an invoice stands.
type InvoiceState uint8

const (
	// InvoiceOpen: it can be paid.
	InvoiceOpen InvoiceState = iota
	// InvoiceSettled: it was paid.
	InvoiceSettled
	// InvoiceCanceled: it was canceled and will not be paid.
	InvoiceCanceled
)

// String names the state.
func (s InvoiceState) String() string {
	return [...]string{"open", "settled", "canceled"}[s]
}

// InvoiceRequest asks for a new BOLT 11 invoice.
type InvoiceRequest struct {
	// Amount is the amount asked; 0 makes an invoice for any amount.
	Amount wire.MilliSatoshi
	// Description is the d field; DescriptionHash the h field (give one).
	Description     string
	DescriptionHash *[32]byte
	// Expiry defaults to Policy.InvoiceExpiry.
	Expiry time.Duration
	// Preimage, when set, is used instead of a random one.
	Preimage *htlc.Preimage
	// PrivateRouteHints adds a route hint for each private channel that
	// can receive, so payers find this node without public channels.
	PrivateRouteHints bool
}

// Invoice is an invoice this node issued.
type Invoice struct {
	// Bolt11 is the encoded invoice.
	Bolt11      string
	PaymentHash htlc.PaymentHash
	// Amount is 0 for an any-amount invoice.
	Amount      wire.MilliSatoshi
	Description string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	State       InvoiceState
	// Received is what was paid (more than Amount when the payer paid
	// more); SettledAt when.
	Received  wire.MilliSatoshi
	SettledAt time.Time

	preimage htlc.Preimage
	secret   [32]byte
	// parts are the HTLCs that paid it; keysend marks the record of a
	// keysend payment (not listed as an invoice).
	parts   []fwdKey
	keysend bool
}

func (inv *Invoice) hasPart(ch wire.ChannelID, id uint64) bool {
	for _, p := range inv.parts {
		if p.ch == ch && p.id == id {
			return true
		}
	}
	return false
}

type invoices struct {
	n    *Node
	byID map[htlc.PaymentHash]*Invoice
	// sets are multi-part payments being collected, by payment hash.
	sets map[htlc.PaymentHash]*partSet
}

func newInvoices(n *Node) *invoices {
	return &invoices{n: n, byID: map[htlc.PaymentHash]*Invoice{}, sets: map[htlc.PaymentHash]*partSet{}}
}

func encodeInvoice(inv *Invoice) []byte {
	b := []byte{1}
	b = append(b, inv.preimage[:]...)
	b = append(b, inv.secret[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(inv.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(inv.CreatedAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(inv.ExpiresAt.UnixNano()))
	b = append(b, byte(inv.State))
	b = binary.BigEndian.AppendUint64(b, uint64(inv.Received))
	b = binary.BigEndian.AppendUint64(b, uint64(inv.SettledAt.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(inv.Bolt11)))
	b = append(b, inv.Bolt11...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(inv.Description)))
	b = append(b, inv.Description...)
	b = appendBool(b, inv.keysend)
	b = binary.BigEndian.AppendUint32(b, uint32(len(inv.parts)))
	for _, p := range inv.parts {
		b = append(b, p.ch[:]...)
		b = binary.BigEndian.AppendUint64(b, p.id)
	}
	return b
}

func decodeInvoice(b []byte) (*Invoice, error) {
	r := wire.NewReader(b)
	if r.U8("version") != 1 {
		return nil, fmt.Errorf("node: invoice record version")
	}
	inv := new(Invoice)
	r.Copy(inv.preimage[:], "preimage")
	r.Copy(inv.secret[:], "secret")
	inv.Amount = wire.MilliSatoshi(r.U64("amount"))
	inv.CreatedAt = time.Unix(0, int64(r.U64("created")))
	inv.ExpiresAt = time.Unix(0, int64(r.U64("expires")))
	inv.State = InvoiceState(r.U8("state"))
	inv.Received = wire.MilliSatoshi(r.U64("received"))
	inv.SettledAt = time.Unix(0, int64(r.U64("settled")))
	inv.Bolt11 = string(r.Bytes(int(r.U32("len")), "bolt11"))
	inv.Description = string(r.Bytes(int(r.U32("len")), "description"))
	inv.keysend = r.U8("keysend") == 1
	np := r.U32("parts")
	if int64(np)*40 > int64(r.Len()) {
		return nil, fmt.Errorf("node: invoice record: %d parts", np)
	}
	for i := uint32(0); i < np; i++ {
		var k fwdKey
		r.Copy(k.ch[:], "part channel")
		k.id = r.U64("part id")
		inv.parts = append(inv.parts, k)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("node: invoice record: %w", err)
	}
	inv.PaymentHash = inv.preimage.Hash()
	return inv, nil
}

func (iv *invoices) load(ctx context.Context) error {
	keys, err := iv.n.st.List(ctx, keyInvoice)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := iv.n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		inv, err := decodeInvoice(v)
		if err != nil {
			return err
		}
		iv.byID[inv.PaymentHash] = inv
	}
	return nil
}

func (iv *invoices) save(inv *Invoice) {
	iv.n.batch.Put(keyInvoice+hex.EncodeToString(inv.PaymentHash[:]), encodeInvoice(inv))
}

// CreateInvoice issues a BOLT 11 invoice signed with the node key, with a
// random payment secret, and stores it. The invoice is payable until it
// expires.
func (n *Node) CreateInvoice(ctx context.Context, req InvoiceRequest) (*Invoice, error) {
	var pre htlc.Preimage
	if req.Preimage != nil {
		pre = *req.Preimage
	} else if _, err := io.ReadFull(n.rand, pre[:]); err != nil {
		return nil, err
	}
	var secret [32]byte
	if _, err := io.ReadFull(n.rand, secret[:]); err != nil {
		return nil, err
	}
	expiry := req.Expiry
	if expiry == 0 {
		expiry = n.cfg.Policy.InvoiceExpiry
	}
	now := n.now()
	var hints []invoice.RouteHint
	if req.PrivateRouteHints {
		if err := n.do(ctx, func() error { hints = n.routeHints(); return nil }); err != nil {
			return nil, err
		}
	}
	b := invoice.NewBuilder(n.cfg.Network).Rand(n.rand).Clock(func() time.Time { return now }).
		PaymentHash(pre.Hash()).PaymentSecret(secret).Expiry(expiry).
		MinFinalCLTVExpiryDelta(uint64(n.cfg.Policy.MinFinalCLTVDelta)).
		Features(wire.NewFeatureVector(wire.FeatureVarOnionOptin.Required(), wire.FeaturePaymentSecret.Required(), wire.FeatureBasicMPP.Optional()))
	if req.Amount > 0 {
		b = b.Amount(req.Amount)
	}
	switch {
	case req.DescriptionHash != nil:
		b = b.DescriptionHash(*req.DescriptionHash)
	default:
		b = b.Description(req.Description)
	}
	for _, h := range hints {
		b = b.RouteHint(h...)
	}
	signed, err := b.Build(ctx, invoice.NewKeySigner(n.nodeKey))
	if err != nil {
		return nil, err
	}
	text, err := signed.Text()
	if err != nil {
		return nil, err
	}
	inv := &Invoice{
		Bolt11: text, PaymentHash: pre.Hash(), Amount: req.Amount, Description: req.Description,
		CreatedAt: now, ExpiresAt: now.Add(expiry), State: InvoiceOpen, preimage: pre, secret: secret,
	}
	err = n.do(ctx, func() error {
		if _, dup := n.invs.byID[inv.PaymentHash]; dup {
			return fmt.Errorf("%w: an invoice for this payment hash exists", ErrDuplicatePayment)
		}
		n.invs.byID[inv.PaymentHash] = inv
		n.invs.save(inv)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := *inv
	return &c, nil
}

// ListInvoices returns every invoice, newest first.
func (n *Node) ListInvoices(ctx context.Context) ([]Invoice, error) {
	var out []Invoice
	err := n.do(ctx, func() error {
		for _, inv := range n.invs.byID {
			if !inv.keysend {
				out = append(out, *inv)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}

// CancelInvoice cancels an open invoice: payments for it are refused.
func (n *Node) CancelInvoice(ctx context.Context, hash htlc.PaymentHash) error {
	return n.do(ctx, func() error {
		inv, ok := n.invs.byID[hash]
		if !ok {
			return fmt.Errorf("%w: no invoice %v", ErrInvalidRequest, hash)
		}
		if inv.State != InvoiceOpen {
			return fmt.Errorf("%w: invoice is %v", ErrInvalidRequest, inv.State)
		}
		inv.State = InvoiceCanceled
		n.invs.save(inv)
		return nil
	})
}

// routeHints lists a hint for each private channel that is ready (loop).
func (n *Node) routeHints() []invoice.RouteHint {
	var out []invoice.RouteHint
	for _, cs := range n.channels {
		if hop, ok := n.peerHop(cs); ok {
			out = append(out, invoice.RouteHint{hop})
		}
	}
	return out
}

// peerHop is the hop from a ready channel's peer to this node, as a payer
// (or a blinded path) names it; false when the channel is not ready or
// has no id the peer knows (loop).
func (n *Node) peerHop(cs *chanState) (invoice.HopHint, bool) {
	if !cs.m.Ready() || cs.status != chanOpen {
		return invoice.HopHint{}, false
	}
	// The payer names the channel to the peer, which recognizes the
	// alias it sent us in channel_ready (option_scid_alias), or the real
	// short_channel_id.
	scid, ok := cs.m.ShortChannelID()
	if _, remote := cs.m.Aliases(); remote != nil {
		scid, ok = *remote, true
	}
	if !ok {
		return invoice.HopHint{}, false
	}
	peerKey, err := parseNodeID(cs.peer)
	if err != nil {
		return invoice.HopHint{}, false
	}
	// The hop is the peer forwarding to us: its fee and delta, from its
	// channel_update; without one, ours as a guess (a payer told too
	// little learns the real one from the failure).
	hop := invoice.HopHint{
		NodeID: peerKey, ChannelID: scid, FeeBase: n.cfg.Policy.FeeBase,
		FeeProportionalMillionths: n.cfg.Policy.FeePPM, CLTVExpiryDelta: n.cfg.Policy.CLTVDelta,
	}
	if u := cs.peerUpdate; u != nil {
		hop.FeeBase, hop.FeeProportionalMillionths, hop.CLTVExpiryDelta = u.FeeBase, u.FeeProportionalMillionths, u.CLTVExpiryDelta
	}
	return hop, true
}

// partSet collects the parts of a multi-part payment.
type partSet struct {
	hash    htlc.PaymentHash
	total   wire.MilliSatoshi
	secret  [32]byte
	parts   []heldPart
	sum     wire.MilliSatoshi
	started time.Time
	// keysend parts carry the preimage themselves.
	keysend  *htlc.Preimage
	custom   map[uint64][]byte
	settling bool
}

// heldPart is one incoming HTLC waiting for the rest of its payment.
type heldPart struct {
	cs     *chanState
	id     uint64
	amount wire.MilliSatoshi
	cltv   uint32
	secret [32]byte // the onion shared secret, for the failure
	// inner holds the shared secrets of the dummy layers this node
	// peeled after the first (blinded paths), for the fulfill's
	// attribution data.
	inner [][32]byte
	// relay is set for a part that came over a blinded route with the
	// path key in update_add_htlc: it is failed as malformed with
	// invalid_onion_blinding over onionHash. hidden is set for a part
	// for which this node was the introduction node of its own path
	// with dummy hops: the payer believes the route goes on, and the
	// part fails with invalid_onion_blinding in update_fail_htlc.
	relay, hidden bool
	onionHash     [32]byte
}

func (iv *invoices) tick() {
	now := iv.n.now()
	for hash, set := range iv.sets {
		if !set.settling && now.Sub(set.started) > iv.n.cfg.Policy.MPPTimeout {
			for _, p := range set.parts {
				p.fail(iv.n, mppTimeout())
				delete(iv.n.fwd.held, fwdKey{p.cs.id, p.id})
			}
			delete(iv.sets, hash)
		}
	}
}

var _ = channel.Local
