package keysend

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// RecordType is the TLV type of keysend_preimage in the payment onion
// payload (bLIP-3).
const RecordType uint64 = 5482373484

// PreimageSize is the length of the keysend_preimage value: equal to
// wire.PreimageSize, of which it is an alias.
const PreimageSize = wire.PreimageSize

// Feature bits of keysend (bLIP-2 feature table): aliases of
// wire.FeatureKeysend (bit 54) and of its optional bit (55).
const (
	FeatureRequired = wire.FeatureKeysend
	FeatureOptional = wire.FeatureKeysend | 1
)

// varOnionOptin is the feature keysend depends on (BOLT 9 bits 8/9).
const varOnionOptin = wire.FeatureVarOnionOptin

// Sentinel errors; all errors of this package wrap one of them.
var (
	// ErrCustomRecord means a custom record is in the range reserved for
	// the spec (below 65536), uses the keysend type, or repeats a type.
	ErrCustomRecord = errors.New("keysend: invalid custom record")
	// ErrNotKeysend means the payload has no keysend_preimage record.
	ErrNotKeysend = errors.New("keysend: no keysend_preimage record")
	// ErrDisabled means the receiver does not accept keysend payments.
	ErrDisabled = errors.New("keysend: keysend not enabled")
	// ErrPreimageLength means keysend_preimage is not 32 bytes.
	ErrPreimageLength = errors.New("keysend: keysend_preimage is not 32 bytes")
	// ErrHashMismatch means SHA256(preimage) is not the HTLC's payment
	// hash.
	ErrHashMismatch = errors.New("keysend: preimage does not hash to the payment hash")
	// ErrHTLC means the HTLC breaks BOLT 4's amount or CLTV rules for a
	// final node.
	ErrHTLC = errors.New("keysend: HTLC does not satisfy the final hop payload")
	// ErrUnknownEvenRecord means the payload has an even custom record the
	// receiver does not understand.
	ErrUnknownEvenRecord = errors.New("keysend: unknown even custom record")
	// ErrMissingFeature means a feature vector sets keysend without the
	// var_onion_optin feature it depends on.
	ErrMissingFeature = errors.New("keysend: keysend requires var_onion_optin")
)

// MPP adds multi-part payment fields to a keysend payment: every part
// carries the same preimage, payment_secret and total.
type MPP struct {
	// PaymentSecret is chosen by the payer and shared by all parts.
	PaymentSecret [32]byte
	// Total is the amount of all parts together.
	Total wire.MilliSatoshi
}

// Params describes a keysend payment's final hop.
type Params struct {
	// Amount is amt_to_forward for the final hop.
	Amount wire.MilliSatoshi
	// FinalCLTV is outgoing_cltv_value for the final hop: the current
	// block height plus the payee's final CLTV delta (plus any random
	// offset).
	FinalCLTV uint32
	// CustomRecords are extra records for the payee, types 65536 and up,
	// not RecordType. They need not be sorted.
	CustomRecords []wire.TLVRecord
	// MPP, when set, adds payment_data.
	MPP *MPP
	// Rand is the source of the preimage; crypto/rand when nil.
	Rand io.Reader
}

// Payment is a keysend payment ready to route.
type Payment struct {
	// Preimage is the fresh preimage the payer chose. It never prints
	// (see wire.Preimage).
	Preimage wire.Preimage
	// Hash is SHA256(Preimage), the payment_hash of update_add_htlc and
	// the associated data of the onion.
	Hash wire.PaymentHash
	// Payload is the final hop's payload; encode it with Payload.Encode
	// for the onion. Its keysend record holds the preimage as plain
	// bytes, so do not log it.
	Payload *onion.HopPayload
}

// NewPayment draws a fresh preimage and builds the final hop payload of a
// keysend payment (bLIP-3 sender requirements).
func NewPayment(p Params) (*Payment, error) {
	recs, err := checkCustomRecords(p.CustomRecords)
	if err != nil {
		return nil, err
	}
	pre, err := wire.NewPreimage(p.Rand)
	if err != nil {
		return nil, fmt.Errorf("keysend: %w", err)
	}
	pay := &Payment{Preimage: pre, Hash: pre.Hash()}
	recs = append(recs, wire.TLVRecord{Type: RecordType, Value: slices.Clone(pay.Preimage[:])})
	slices.SortFunc(recs, func(a, b wire.TLVRecord) int {
		switch {
		case a.Type < b.Type:
			return -1
		case a.Type > b.Type:
			return 1
		}
		return 0
	})
	pay.Payload = &onion.HopPayload{
		AmountToForward: onion.Amount(p.Amount),
		OutgoingCLTV:    onion.U32(p.FinalCLTV),
		CustomRecords:   recs,
	}
	if p.MPP != nil {
		pay.Payload.PaymentData = &onion.PaymentData{PaymentSecret: p.MPP.PaymentSecret, TotalMsat: p.MPP.Total}
	}
	return pay, nil
}

// checkCustomRecords copies the records after checking their types.
func checkCustomRecords(in []wire.TLVRecord) ([]wire.TLVRecord, error) {
	out := make([]wire.TLVRecord, 0, len(in)+1)
	seen := make(map[uint64]bool, len(in))
	for _, r := range in {
		switch {
		case r.Type < onion.MinCustomRecordType:
			return nil, fmt.Errorf("%w: type %d is in the reserved range below %d", ErrCustomRecord, r.Type, onion.MinCustomRecordType)
		case r.Type == RecordType:
			return nil, fmt.Errorf("%w: type %d is the keysend record", ErrCustomRecord, r.Type)
		case seen[r.Type]:
			return nil, fmt.Errorf("%w: type %d repeated", ErrCustomRecord, r.Type)
		}
		seen[r.Type] = true
		out = append(out, wire.TLVRecord{Type: r.Type, Value: slices.Clone(r.Value)})
	}
	return out, nil
}

// Features returns a feature vector with keysend (optional, or required)
// and the var_onion_optin feature it depends on, both in the same form.
func Features(required bool) wire.FeatureVector {
	if required {
		return wire.NewFeatureVector(varOnionOptin, FeatureRequired)
	}
	return wire.NewFeatureVector(varOnionOptin.Optional(), FeatureOptional)
}

// Supported reports whether a node's features advertise keysend, which
// bLIP-3 says a sender should check before sending.
func Supported(f wire.FeatureVector) bool { return f.HasFeature(FeatureRequired) }

// CheckFeatures returns ErrMissingFeature when f advertises keysend
// without var_onion_optin.
func CheckFeatures(f wire.FeatureVector) error {
	if f.HasFeature(FeatureRequired) && !f.HasFeature(varOnionOptin) {
		return ErrMissingFeature
	}
	return nil
}
