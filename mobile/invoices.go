package mobile

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// InvoiceRequest asks for a new BOLT 11 invoice.
type InvoiceRequest struct {
	// AmountMsat is the amount asked; 0 makes an invoice for any amount.
	AmountMsat int64
	// Description is the d field.
	Description string
	// DescriptionHash (64 hex digits), when set, is the h field instead
	// of Description: the hash of a description given elsewhere, as
	// LNURL does.
	DescriptionHash string
	// ExpirySeconds is how long the invoice can be paid (0: 1 hour).
	ExpirySeconds int64
	// Preimage (64 hex digits), when set, is the payment preimage instead
	// of a random one.
	Preimage string
	// OmitRouteHints leaves out the route hints. By default the invoice
	// carries a hint for each of the node's ready channels, without which
	// nobody finds a phone's unannounced channels.
	OmitRouteHints bool
}

// NewInvoiceRequest returns a request for amountMsat with description.
func NewInvoiceRequest(amountMsat int64, description string) *InvoiceRequest {
	return &InvoiceRequest{AmountMsat: amountMsat, Description: description}
}

// Invoice is an invoice this node issued.
type Invoice struct {
	// Bolt11 is the encoded invoice, to show as text or QR code.
	Bolt11 string
	// PaymentHash is its payment hash (hex).
	PaymentHash string
	// AmountMsat is 0 for an any-amount invoice.
	AmountMsat int64
	// Description is the d field ("" with a description hash).
	Description string
	// CreatedAtMs and ExpiresAtMs bound when it can be paid (unix ms).
	CreatedAtMs, ExpiresAtMs int64
	// State is "open", "settled" or "canceled".
	State string
	// ReceivedMsat is what was paid; SettledAtMs when (0 before).
	ReceivedMsat, SettledAtMs int64
}

func newInvoice(inv *node.Invoice) *Invoice {
	out := &Invoice{
		Bolt11: inv.Bolt11, PaymentHash: inv.PaymentHash.String(), AmountMsat: int64(inv.Amount),
		Description: inv.Description, CreatedAtMs: unixMs(inv.CreatedAt), ExpiresAtMs: unixMs(inv.ExpiresAt),
		State: inv.State.String(), ReceivedMsat: int64(inv.Received),
	}
	if inv.State == node.InvoiceSettled {
		out.SettledAtMs = unixMs(inv.SettledAt)
	}
	return out
}

// InvoiceList is a read-only list of invoices, newest first.
type InvoiceList struct{ items []*Invoice }

// Len returns the number of invoices.
func (l *InvoiceList) Len() int { return len(l.items) }

// Get returns the i-th invoice, or nil when i is out of range.
func (l *InvoiceList) Get(i int) *Invoice {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// CreateInvoice issues a BOLT 11 invoice signed with the node key and
// stores it; OnPaymentReceived reports its payment.
func (n *Node) CreateInvoice(req *InvoiceRequest, timeoutMs int64) (*Invoice, error) {
	if req == nil {
		return nil, newError(CodeInvalidArgument, "no request")
	}
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	if req.AmountMsat < 0 || req.ExpirySeconds < 0 {
		return nil, newError(CodeInvalidArgument, "negative amount or expiry")
	}
	nr := node.InvoiceRequest{
		Amount: wire.MilliSatoshi(req.AmountMsat), Description: req.Description,
		Expiry: time.Duration(req.ExpirySeconds) * time.Second, PrivateRouteHints: !req.OmitRouteHints,
	}
	if req.DescriptionHash != "" {
		raw, err := hex.DecodeString(req.DescriptionHash)
		if err != nil || len(raw) != 32 {
			return nil, newError(CodeInvalidArgument, fmt.Sprintf("description hash %q: want 64 hex digits", req.DescriptionHash))
		}
		var h [32]byte
		copy(h[:], raw)
		nr.DescriptionHash = &h
	}
	if req.Preimage != "" {
		pre, err := htlc.ParsePreimage(req.Preimage)
		if err != nil {
			return nil, wrapCode(CodeInvalidArgument, err)
		}
		nr.Preimage = &pre
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	inv, err := nd.CreateInvoice(ctx, nr)
	if err != nil {
		return nil, mapError(err)
	}
	return newInvoice(inv), nil
}

// ListInvoices returns every invoice the node issued, newest first.
func (n *Node) ListInvoices(timeoutMs int64) (*InvoiceList, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	invs, err := nd.ListInvoices(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	l := &InvoiceList{}
	for i := range invs {
		l.items = append(l.items, newInvoice(&invs[i]))
	}
	return l, nil
}

// CancelInvoice cancels an open invoice (payment hash in hex): payments
// for it are refused.
func (n *Node) CancelInvoice(paymentHash string, timeoutMs int64) error {
	nd, err := n.running()
	if err != nil {
		return err
	}
	h, err := htlc.ParsePaymentHash(paymentHash)
	if err != nil {
		return wrapCode(CodeInvalidArgument, err)
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.CancelInvoice(ctx, h))
}
