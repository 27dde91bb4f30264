package mobile

import (
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/lnkit/lnkit/keysend"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// CustomRecord is one TLV record a keysend payment carries to its payee.
type CustomRecord struct {
	// Type is the TLV type, 65536 or more. Types of 2^63 and above appear
	// as negative numbers (the same 64 bits read as signed).
	Type int64
	// Value is the record's value.
	Value []byte
}

// ValueHex returns the value in hex.
func (r *CustomRecord) ValueHex() string { return hex.EncodeToString(r.Value) }

// CustomRecords is a list of custom records, types increasing.
type CustomRecords struct{ items []*CustomRecord }

// NewCustomRecords returns an empty list.
func NewCustomRecords() *CustomRecords { return &CustomRecords{} }

// Add appends a record. The type must be 65536 or more (below is the
// spec's range), not keysend's own 5482373484, and not already in the
// list.
func (c *CustomRecords) Add(recordType int64, value []byte) error {
	t := uint64(recordType)
	if t < onion.MinCustomRecordType {
		return newError(CodeInvalidArgument, fmt.Sprintf("custom record type %d is below %d", recordType, onion.MinCustomRecordType))
	}
	if t == keysend.RecordType {
		return newError(CodeInvalidArgument, fmt.Sprintf("custom record type %d is the keysend preimage's", t))
	}
	for _, r := range c.items {
		if r.Type == recordType {
			return newError(CodeInvalidArgument, fmt.Sprintf("custom record type %d repeated", t))
		}
	}
	c.items = append(c.items, &CustomRecord{Type: recordType, Value: append([]byte(nil), value...)})
	sort.Slice(c.items, func(i, j int) bool { return uint64(c.items[i].Type) < uint64(c.items[j].Type) })
	return nil
}

// AddHex appends a record whose value is given in hex.
func (c *CustomRecords) AddHex(recordType int64, valueHex string) error {
	v, err := hex.DecodeString(valueHex)
	if err != nil {
		return newError(CodeInvalidArgument, "custom record value: "+err.Error())
	}
	return c.Add(recordType, v)
}

// Len returns the number of records.
func (c *CustomRecords) Len() int { return len(c.items) }

// Get returns the i-th record, or nil when i is out of range.
func (c *CustomRecords) Get(i int) *CustomRecord {
	if i < 0 || i >= len(c.items) {
		return nil
	}
	r := *c.items[i]
	r.Value = append([]byte(nil), r.Value...)
	return &r
}

// Payment is an outgoing payment and where it stands.
type Payment struct {
	// ID identifies the payment (hex): the caller's idempotency key, or
	// one the node drew.
	ID string
	// PaymentHash is the payment hash (hex).
	PaymentHash string
	// Destination is the payee's node id (hex).
	Destination string
	// AmountMsat is what the payee receives; FeeMsat the routing fee of
	// the parts that succeeded.
	AmountMsat, FeeMsat int64
	// Status is "in-flight", "succeeded" or "failed".
	Status string
	// Preimage is the proof of payment (hex), once it succeeded.
	Preimage string
	// Failure says why it failed.
	Failure string
	// Attempts counts the HTLCs sent; Parts the parts that succeeded and
	// Hops the length of the first part's route.
	Attempts, Parts, Hops int
	// Keysend is set for a spontaneous payment.
	Keysend bool
	// CreatedAtMs is when it started (unix milliseconds).
	CreatedAtMs int64
}

func newPayment(p *node.Payment) *Payment {
	out := &Payment{
		ID: p.ID.String(), PaymentHash: p.PaymentHash.String(), Destination: hex.EncodeToString(p.Destination[:]),
		AmountMsat: int64(p.Amount), FeeMsat: int64(p.Fee), Status: p.Status.String(), Failure: p.Failure,
		Attempts: p.Attempts, Parts: len(p.Route), Keysend: p.Keysend, CreatedAtMs: unixMs(p.CreatedAt),
	}
	if p.Status == node.PaymentStatusSucceeded {
		out.Preimage = p.Preimage.Hex()
	}
	if len(p.Route) > 0 {
		out.Hops = len(p.Route[0])
	}
	return out
}

// PaymentList is a read-only list of payments, newest first.
type PaymentList struct{ items []*Payment }

// Len returns the number of payments.
func (l *PaymentList) Len() int { return len(l.items) }

// Get returns the i-th payment, or nil when i is out of range.
func (l *PaymentList) Get(i int) *Payment {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// PayInvoiceRequest asks to pay a BOLT 11 invoice.
type PayInvoiceRequest struct {
	// Invoice is the encoded invoice.
	Invoice string
	// AmountMsat is required for an invoice without an amount, and
	// ignored otherwise.
	AmountMsat int64
	// MaxFeeMsat bounds the routing fee (0: Config.MaxFeePercent).
	MaxFeeMsat int64
	// PaymentID, when set (64 hex digits), makes the call idempotent:
	// paying again with the same id, after a crash or a timeout, returns
	// the first payment instead of paying twice.
	PaymentID string
}

// NewPayInvoiceRequest returns a request to pay invoice.
func NewPayInvoiceRequest(invoice string) *PayInvoiceRequest {
	return &PayInvoiceRequest{Invoice: invoice}
}

// KeysendRequest asks for a spontaneous payment (bLIP 3): no invoice, the
// payer picks the preimage.
type KeysendRequest struct {
	// Destination is the payee's node id (hex).
	Destination string
	// AmountMsat is what the payee receives.
	AmountMsat int64
	// Records are custom records for the payee (nil for none).
	Records *CustomRecords
	// MaxFeeMsat bounds the routing fee (0: Config.MaxFeePercent).
	MaxFeeMsat int64
	// PaymentID, when set, makes the call idempotent.
	PaymentID string
}

// NewKeysendRequest returns a request to send amountMsat to destination.
func NewKeysendRequest(destination string, amountMsat int64) *KeysendRequest {
	return &KeysendRequest{Destination: destination, AmountMsat: amountMsat}
}

func parsePaymentID(s string) (*node.PaymentID, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, newError(CodeInvalidArgument, fmt.Sprintf("payment id %q: want 64 hex digits", s))
	}
	var id node.PaymentID
	copy(id[:], raw)
	return &id, nil
}

func amounts(amount, maxFee int64) (wire.MilliSatoshi, wire.MilliSatoshi, error) {
	if amount < 0 || maxFee < 0 {
		return 0, 0, newError(CodeInvalidArgument, "negative amount or fee limit")
	}
	return wire.MilliSatoshi(amount), wire.MilliSatoshi(maxFee), nil
}

// PayInvoice pays a BOLT 11 invoice and returns the payment once it has
// succeeded; a failed payment is a PAYMENT_FAILED or NO_ROUTE error. If
// the timeout passes first (TIMEOUT), the payment goes on: see
// ListPayments and the listener.
func (n *Node) PayInvoice(req *PayInvoiceRequest, timeoutMs int64) (*Payment, error) {
	if req == nil {
		return nil, newError(CodeInvalidArgument, "no request")
	}
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	id, err := parsePaymentID(req.PaymentID)
	if err != nil {
		return nil, err
	}
	amt, maxFee, err := amounts(req.AmountMsat, req.MaxFeeMsat)
	if err != nil {
		return nil, err
	}
	if _, err := DecodeInvoice(req.Invoice); err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	p, err := nd.PayInvoice(ctx, node.PayInvoiceRequest{Invoice: req.Invoice, Amount: amt, MaxFee: maxFee, ID: id})
	if err != nil {
		return nil, mapError(err)
	}
	return newPayment(p), nil
}

// SendKeysend sends a spontaneous payment and returns it once it has
// succeeded; errors as for PayInvoice.
func (n *Node) SendKeysend(req *KeysendRequest, timeoutMs int64) (*Payment, error) {
	if req == nil {
		return nil, newError(CodeInvalidArgument, "no request")
	}
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	dest, err := parsePubKey("destination", req.Destination)
	if err != nil {
		return nil, err
	}
	id, err := parsePaymentID(req.PaymentID)
	if err != nil {
		return nil, err
	}
	amt, maxFee, err := amounts(req.AmountMsat, req.MaxFeeMsat)
	if err != nil {
		return nil, err
	}
	if amt == 0 {
		return nil, newError(CodeInvalidArgument, "amount is required")
	}
	var recs []wire.TLVRecord
	if req.Records != nil {
		for _, r := range req.Records.items {
			recs = append(recs, wire.TLVRecord{Type: uint64(r.Type), Value: append([]byte(nil), r.Value...)})
		}
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	p, err := nd.SendKeysend(ctx, node.KeysendRequest{Destination: dest, Amount: amt, CustomRecords: recs, MaxFee: maxFee, ID: id})
	if err != nil {
		return nil, mapError(err)
	}
	return newPayment(p), nil
}

// ListPayments returns every outgoing payment, newest first.
func (n *Node) ListPayments(timeoutMs int64) (*PaymentList, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	ps, err := nd.ListPayments(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	l := &PaymentList{}
	for i := range ps {
		l.items = append(l.items, newPayment(&ps[i]))
	}
	return l, nil
}
