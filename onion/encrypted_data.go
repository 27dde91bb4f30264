package onion

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lnkit/lnkit/wire"
)

// TLV types of encrypted_data_tlv (BOLT 4 "Route Blinding").
const (
	TypeEDPadding             = 1
	TypeEDShortChannelID      = 2
	TypeEDNextNodeID          = 4
	TypeEDPathID              = 6
	TypeEDNextPathKeyOverride = 8
	TypeEDPaymentRelay        = 10
	TypeEDPaymentConstraints  = 12
	TypeEDAllowedFeatures     = 14
)

// PaymentRelay is the fee and CLTV policy a blinded hop applies.
type PaymentRelay struct {
	CLTVExpiryDelta           uint16
	FeeProportionalMillionths uint32
	FeeBaseMsat               uint32
}

// PaymentConstraints limit which payments may use a blinded hop.
type PaymentConstraints struct {
	MaxCLTVExpiry   uint32
	HTLCMinimumMsat wire.MilliSatoshi
}

// EncryptedData is a decoded encrypted_data_tlv. Absent records are nil.
type EncryptedData struct {
	Padding             []byte
	ShortChannelID      *wire.ShortChannelID
	NextNodeID          *wire.Point
	PathID              []byte
	NextPathKeyOverride *wire.Point
	PaymentRelay        *PaymentRelay
	PaymentConstraints  *PaymentConstraints
	// AllowedFeatures is allowed_features; BOLT 4 treats absent as empty.
	AllowedFeatures wire.FeatureVector
	// Extra holds unknown odd records.
	Extra wire.ExtraTLVs
}

func tlvPoint(v []byte) (*wire.Point, error) {
	var p wire.Point
	if len(v) != len(p) {
		return nil, errors.New("point is not 33 bytes")
	}
	copy(p[:], v)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// DecodeEncryptedData decodes an encrypted_data_tlv stream. Failures wrap
// ErrInvalidBlinding.
func DecodeEncryptedData(b []byte) (*EncryptedData, error) {
	d := &EncryptedData{}
	tr := wire.NewTLVReader(b)
	for tr.Next() {
		v := tr.Value()
		var err error
		switch tr.Type() {
		case TypeEDPadding:
			d.Padding = slices.Clone(v)
			if d.Padding == nil {
				d.Padding = []byte{}
			}
		case TypeEDShortChannelID:
			if len(v) != 8 {
				err = errors.New("short_channel_id is not 8 bytes")
				break
			}
			r := wire.NewReader(v)
			d.ShortChannelID = SCID(r.ShortChannelID("short_channel_id"))
		case TypeEDNextNodeID:
			d.NextNodeID, err = tlvPoint(v)
		case TypeEDPathID:
			d.PathID = slices.Clone(v)
			if d.PathID == nil {
				d.PathID = []byte{}
			}
		case TypeEDNextPathKeyOverride:
			d.NextPathKeyOverride, err = tlvPoint(v)
		case TypeEDPaymentRelay:
			r := wire.NewReader(v)
			pr := &PaymentRelay{CLTVExpiryDelta: r.U16("cltv_expiry_delta"), FeeProportionalMillionths: r.U32("fee_proportional_millionths")}
			if err = r.Err(); err != nil {
				break
			}
			var base uint64
			base, err = wire.DecodeTruncated(r.Rest(), 4)
			pr.FeeBaseMsat = uint32(base)
			d.PaymentRelay = pr
		case TypeEDPaymentConstraints:
			r := wire.NewReader(v)
			pc := &PaymentConstraints{MaxCLTVExpiry: r.U32("max_cltv_expiry")}
			if err = r.Err(); err != nil {
				break
			}
			var m uint64
			m, err = wire.DecodeTruncated(r.Rest(), 8)
			pc.HTLCMinimumMsat = wire.MilliSatoshi(m)
			d.PaymentConstraints = pc
		case TypeEDAllowedFeatures:
			d.AllowedFeatures = wire.FeatureVector(slices.Clone(v))
			if d.AllowedFeatures == nil {
				d.AllowedFeatures = wire.FeatureVector{}
			}
		default:
			err = d.Extra.Keep(tr.Type(), v)
		}
		if err != nil {
			tr.Fail(fmt.Errorf("type %d: %w", tr.Type(), err))
		}
	}
	if err := tr.Err(); err != nil {
		return nil, fmt.Errorf("%w: encrypted_data_tlv: %v", ErrInvalidBlinding, err)
	}
	return d, nil
}

// Encode returns the encrypted_data_tlv stream.
func (d *EncryptedData) Encode() ([]byte, error) {
	w := wire.NewTLVWriter(nil, d.Extra)
	if d.Padding != nil {
		w.Bytes(TypeEDPadding, d.Padding)
	}
	if d.ShortChannelID != nil {
		w.Func(TypeEDShortChannelID, func(b []byte) []byte { return wire.AppendShortChannelID(b, *d.ShortChannelID) })
	}
	if d.NextNodeID != nil {
		w.Bytes(TypeEDNextNodeID, d.NextNodeID[:])
	}
	if d.PathID != nil {
		w.Bytes(TypeEDPathID, d.PathID)
	}
	if d.NextPathKeyOverride != nil {
		w.Bytes(TypeEDNextPathKeyOverride, d.NextPathKeyOverride[:])
	}
	if r := d.PaymentRelay; r != nil {
		w.Func(TypeEDPaymentRelay, func(b []byte) []byte {
			b = wire.AppendU32(wire.AppendU16(b, r.CLTVExpiryDelta), r.FeeProportionalMillionths)
			return wire.AppendTruncated(b, uint64(r.FeeBaseMsat))
		})
	}
	if c := d.PaymentConstraints; c != nil {
		w.Func(TypeEDPaymentConstraints, func(b []byte) []byte {
			return wire.AppendTruncated(wire.AppendU32(b, c.MaxCLTVExpiry), uint64(c.HTLCMinimumMsat))
		})
	}
	if d.AllowedFeatures != nil {
		w.Bytes(TypeEDAllowedFeatures, d.AllowedFeatures)
	}
	return w.Finish()
}

// CheckConstraints applies payment_constraints and allowed_features to an
// HTLC (BOLT 4 reader rules for encrypted_recipient_data). This package
// knows no features a blinded payment may use, so any bit set in
// allowed_features is unknown and refused.
func (d *EncryptedData) CheckConstraints(amount wire.MilliSatoshi, cltvExpiry uint32) error {
	if c := d.PaymentConstraints; c != nil {
		if cltvExpiry > c.MaxCLTVExpiry {
			return fmt.Errorf("%w: cltv_expiry %d above max_cltv_expiry %d", ErrInvalidBlinding, cltvExpiry, c.MaxCLTVExpiry)
		}
		if amount < c.HTLCMinimumMsat {
			return fmt.Errorf("%w: amount %d below htlc_minimum_msat %d", ErrInvalidBlinding, amount, c.HTLCMinimumMsat)
		}
	}
	if !d.AllowedFeatures.IsEmpty() {
		return fmt.Errorf("%w: allowed_features sets bits (%d bytes), none of which this node allows", ErrInvalidBlinding, len(d.AllowedFeatures))
	}
	return nil
}
