package onion

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lnkit/lnkit/wire"
)

// TLV types of the payment onion payload (BOLT 4 "payload format").
const (
	TypeAmountToForward        = 2
	TypeOutgoingCLTV           = 4
	TypeShortChannelID         = 6
	TypePaymentData            = 8
	TypeEncryptedRecipientData = 10
	TypeCurrentPathKey         = 12
	TypePaymentMetadata        = 16
	TypeTotalAmount            = 18
	// MinCustomRecordType is the first type of the custom range:
	// applications may define records at or above it.
	MinCustomRecordType = 65536
)

// PaymentData is the payment_data record: the invoice's payment_secret and
// the total amount of the (possibly multi-part) payment.
type PaymentData struct {
	PaymentSecret [32]byte
	TotalMsat     wire.MilliSatoshi
}

// HopPayload is a decoded payment onion payload. Optional records are nil
// when absent.
type HopPayload struct {
	// AmountToForward is amt_to_forward.
	AmountToForward *wire.MilliSatoshi
	// OutgoingCLTV is outgoing_cltv_value.
	OutgoingCLTV *uint32
	// ShortChannelID is the outgoing channel of a forwarding hop.
	ShortChannelID *wire.ShortChannelID
	// PaymentData carries payment_secret and total_msat to the final hop.
	PaymentData *PaymentData
	// EncryptedRecipientData is the blob a blinded route's creator made
	// for this hop.
	EncryptedRecipientData []byte
	// CurrentPathKey is the first path key of a blinded route, given to
	// its introduction node.
	CurrentPathKey *wire.Point
	// PaymentMetadata is the invoice's payment_metadata.
	PaymentMetadata []byte
	// TotalAmount is total_amount_msat, the total of a payment to a
	// blinded route.
	TotalAmount *wire.MilliSatoshi
	// CustomRecords are the records of type 65536 and above, of either
	// parity, in type order. The application decides which it
	// understands; it must reject the HTLC if an even one is unknown to it
	// (see UnknownEvenCustomRecord).
	CustomRecords []wire.TLVRecord
	// Extra holds unknown odd records below 65536.
	Extra wire.ExtraTLVs
}

// Amount returns a pointer to a copy of v, for filling optional fields.
func Amount(v wire.MilliSatoshi) *wire.MilliSatoshi { return &v }

// U32 returns a pointer to a copy of v, for filling optional fields.
func U32(v uint32) *uint32 { return &v }

// SCID returns a pointer to a copy of v, for filling optional fields.
func SCID(v wire.ShortChannelID) *wire.ShortChannelID { return &v }

// PayloadError reports an invalid payload, with the type and byte offset
// an invalid_onion_payload failure carries.
type PayloadError struct {
	// Type is the TLV type at fault (0 when none in particular).
	Type uint64
	// Offset is the byte offset of that record in the decrypted payload.
	Offset uint16
	// Err is the cause; it wraps ErrInvalidPayload.
	Err error
}

// Error implements error.
func (e *PayloadError) Error() string {
	return fmt.Sprintf("%v (type %d at offset %d)", e.Err, e.Type, e.Offset)
}

// Unwrap returns the cause.
func (e *PayloadError) Unwrap() error { return e.Err }

// FailureMessage returns the invalid_onion_payload failure to send back.
func (e *PayloadError) FailureMessage() *FailureMessage {
	return &FailureMessage{Code: CodeInvalidOnionPayload, PayloadType: e.Type, PayloadOffset: e.Offset}
}

func payloadErr(typ uint64, off int, format string, args ...any) *PayloadError {
	if off > 0xffff {
		off = 0xffff
	}
	return &PayloadError{Type: typ, Offset: uint16(off), Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidPayload}, args...)...)}
}

// DecodeHopPayload decodes a payment onion payload. It enforces the TLV
// rules (order, canonical encodings, the parity rule below 65536) and the
// sizes of the known records; which records a hop needs is checked by
// Validate. A failure is a *PayloadError.
func DecodeHopPayload(b []byte) (*HopPayload, error) {
	p := &HopPayload{}
	tr := wire.NewTLVReader(b)
	off := 0
	for tr.Next() {
		typ, v := tr.Type(), tr.Value()
		start := off
		off += wire.BigSizeLen(typ) + wire.BigSizeLen(uint64(len(v))) + len(v)
		var err error
		switch typ {
		case TypeAmountToForward:
			var a uint64
			a, err = wire.DecodeTruncated(v, 8)
			p.AmountToForward = Amount(wire.MilliSatoshi(a))
		case TypeOutgoingCLTV:
			var c uint64
			c, err = wire.DecodeTruncated(v, 4)
			p.OutgoingCLTV = U32(uint32(c))
		case TypeShortChannelID:
			if len(v) != 8 {
				err = errors.New("short_channel_id is not 8 bytes")
				break
			}
			r := wire.NewReader(v)
			p.ShortChannelID = SCID(r.ShortChannelID("short_channel_id"))
		case TypePaymentData:
			if len(v) < 32 {
				err = errors.New("payment_data shorter than 32 bytes")
				break
			}
			pd := &PaymentData{}
			copy(pd.PaymentSecret[:], v[:32])
			var t uint64
			t, err = wire.DecodeTruncated(v[32:], 8)
			pd.TotalMsat = wire.MilliSatoshi(t)
			p.PaymentData = pd
		case TypeEncryptedRecipientData:
			p.EncryptedRecipientData = slices.Clone(v)
			if p.EncryptedRecipientData == nil {
				p.EncryptedRecipientData = []byte{}
			}
		case TypeCurrentPathKey:
			var pt wire.Point
			if len(v) != len(pt) {
				err = errors.New("current_path_key is not 33 bytes")
				break
			}
			copy(pt[:], v)
			if err = pt.Validate(); err == nil {
				p.CurrentPathKey = &pt
			}
		case TypePaymentMetadata:
			p.PaymentMetadata = slices.Clone(v)
			if p.PaymentMetadata == nil {
				p.PaymentMetadata = []byte{}
			}
		case TypeTotalAmount:
			var a uint64
			a, err = wire.DecodeTruncated(v, 8)
			p.TotalAmount = Amount(wire.MilliSatoshi(a))
		default:
			if typ >= MinCustomRecordType {
				p.CustomRecords = append(p.CustomRecords, wire.TLVRecord{Type: typ, Value: slices.Clone(v)})
			} else {
				err = p.Extra.Keep(typ, v)
			}
		}
		if err != nil {
			return nil, payloadErr(typ, start, "type %d: %v", typ, err)
		}
	}
	if err := tr.Err(); err != nil {
		return nil, payloadErr(0, off, "%v", err)
	}
	return p, nil
}

// Encode returns the payload as a TLV stream.
func (p *HopPayload) Encode() ([]byte, error) {
	extra := p.Extra
	if len(p.CustomRecords) > 0 {
		for _, r := range p.CustomRecords {
			if r.Type < MinCustomRecordType {
				return nil, fmt.Errorf("%w: custom record type %d below %d", ErrInvalidPayload, r.Type, MinCustomRecordType)
			}
		}
		extra = append(slices.Clone([]wire.TLVRecord(p.Extra)), p.CustomRecords...)
	}
	w := wire.NewTLVWriter(make([]byte, 0, 64), extra)
	if p.AmountToForward != nil {
		w.Truncated(TypeAmountToForward, uint64(*p.AmountToForward))
	}
	if p.OutgoingCLTV != nil {
		w.Truncated(TypeOutgoingCLTV, uint64(*p.OutgoingCLTV))
	}
	if p.ShortChannelID != nil {
		w.Func(TypeShortChannelID, func(b []byte) []byte { return wire.AppendShortChannelID(b, *p.ShortChannelID) })
	}
	if p.PaymentData != nil {
		w.Func(TypePaymentData, func(b []byte) []byte {
			return wire.AppendTruncated(append(b, p.PaymentData.PaymentSecret[:]...), uint64(p.PaymentData.TotalMsat))
		})
	}
	if p.EncryptedRecipientData != nil {
		w.Bytes(TypeEncryptedRecipientData, p.EncryptedRecipientData)
	}
	if p.CurrentPathKey != nil {
		w.Bytes(TypeCurrentPathKey, p.CurrentPathKey[:])
	}
	if p.PaymentMetadata != nil {
		w.Bytes(TypePaymentMetadata, p.PaymentMetadata)
	}
	if p.TotalAmount != nil {
		w.Truncated(TypeTotalAmount, uint64(*p.TotalAmount))
	}
	b, err := w.Finish()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	return b, nil
}

// CustomRecord returns the value of the custom record of type typ.
func (p *HopPayload) CustomRecord(typ uint64) ([]byte, bool) {
	for _, r := range p.CustomRecords {
		if r.Type == typ {
			return r.Value, true
		}
	}
	return nil, false
}

// UnknownEvenCustomRecord returns the first even custom record whose type
// is not in known. An application must fail an HTLC carrying one ("it's OK
// to be odd"), with invalid_onion_payload.
func (p *HopPayload) UnknownEvenCustomRecord(known ...uint64) (uint64, bool) {
	for _, r := range p.CustomRecords {
		if r.Type%2 == 0 && !slices.Contains(known, r.Type) {
			return r.Type, true
		}
	}
	return 0, false
}
