package invoice

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/lnkit/lnkit/wire"
)

// maxFieldWords is the largest data_length a 10-bit length can express.
const maxFieldWords = 1023

// maxHopsPerHint is how many 51-byte hops fit in one r field.
const maxHopsPerHint = maxFieldWords * 5 / 8 / hopBytes

// Encode validates inv, signs it with signer and returns its canonical
// lower-case encoding. It stores the signature and recovery id in inv, sets
// Destination to the signer's key when it is nil (and fails with
// ErrSignerMismatch when it is another key), truncates Timestamp to whole
// seconds in UTC, and records the field layout, so that Decode of the result
// equals inv. A decoded invoice keeps its field order, amount multiplier and
// field widths, so re-signing it with the same key reproduces the same
// string. Encode is not safe for concurrent use on the same Invoice.
func (inv *Invoice) Encode(ctx context.Context, signer Signer) (string, error) {
	if signer == nil {
		return "", errf(ErrSignerMismatch, "nil signer")
	}
	return inv.encode(ctx, signer)
}

// Sign is Encode without the string: it validates and signs inv in place.
func (inv *Invoice) Sign(ctx context.Context, signer Signer) error {
	_, err := inv.Encode(ctx, signer)
	return err
}

// Text returns the encoding of an invoice that is already signed (decoded,
// or signed with Sign or Encode), using the stored signature.
func (inv *Invoice) Text() (string, error) { return inv.encode(context.Background(), nil) }

// String returns the canonical lower-case encoding of a signed invoice, like
// Text. If the invoice cannot be encoded it returns "invalid invoice: " and
// the reason, which is not a valid invoice.
func (inv *Invoice) String() string {
	s, err := inv.Text()
	if err != nil {
		return "invalid invoice: " + err.Error()
	}
	return s
}

func (inv *Invoice) encode(ctx context.Context, signer Signer) (string, error) {
	if signer != nil {
		pub := signer.PubKey()
		if pub == nil {
			return "", errf(ErrSignerMismatch, "signer has no public key")
		}
		if inv.Destination == nil {
			inv.Destination = pub
		} else if !inv.Destination.IsEqual(pub) {
			return "", errf(ErrSignerMismatch, "destination %x, signer %x", inv.Destination.SerializeCompressed(), pub.SerializeCompressed())
		}
	}
	if err := inv.validate(); err != nil {
		return "", err
	}
	currency, err := CurrencyPrefix(inv.Network)
	if err != nil {
		return "", err
	}
	mult := inv.amountMult
	var amount uint64
	if inv.Amount != nil {
		amount = uint64(*inv.Amount)
		if _, ok := amountDigits(nil, *inv.Amount, mult); !ok {
			mult = shortestMultiplier(*inv.Amount)
			if _, ok := amountDigits(nil, *inv.Amount, mult); !ok {
				return "", errf(ErrInvalidAmount, "%d msat cannot be written with any multiplier", amount)
			}
		}
	}
	layout := inv.layout
	if !inv.layoutFits() {
		layout = inv.canonicalLayout()
	}

	var hrpBuf [48]byte
	hrp := appendHRP(hrpBuf[:0], currency, wire.MilliSatoshi(amount), mult)
	var wordBuf [1024]byte
	words := appendUint(wordBuf[:0], uint64(inv.Timestamp.Unix()), timestampWords)
	for i, sl := range layout {
		var width int
		words, width, err = inv.appendField(words, sl)
		if err != nil {
			return "", err
		}
		if signer != nil && !sl.extra {
			layout[i].words = uint16(width)
		}
	}

	sig := inv.Signature
	recID := inv.RecoveryID
	if signer != nil {
		var msgBuf [1024]byte
		msg := packWords(append(msgBuf[:0], hrp...), words)
		hash := sha256.Sum256(msg)
		out, err := signer.SignInvoiceHash(ctx, hash)
		if err != nil {
			return "", err
		}
		copy(sig[:], out[:64])
		recID = out[64]
		var r, s btcec.ModNScalar
		if recID > 3 || r.SetByteSlice(sig[:32]) || r.IsZero() || s.SetByteSlice(sig[32:]) || s.IsZero() {
			return "", errf(ErrSignerMismatch, "signer returned a malformed signature")
		}
		if s.IsOverHalfOrder() {
			// Readers verifying against n require low S; the same
			// signature with -s is valid for the other parity of R.
			s.Negate()
			s.PutBytesUnchecked(sig[32:])
			recID ^= 1
		}
		inv.Signature, inv.RecoveryID = sig, recID
		inv.layout = layout
		inv.amountMult = mult
		inv.Timestamp = time.Unix(inv.Timestamp.Unix(), 0).UTC()
	}
	var sig65 [SignatureSize]byte
	copy(sig65[:], sig[:])
	sig65[64] = recID
	words = appendWords(words, sig65[:])
	words = bech32AppendChecksum(hrp, words)

	var outBuf [2048]byte
	out := append(outBuf[:0], hrp...)
	out = append(out, '1')
	for _, w := range words {
		out = append(out, bech32Charset[w])
	}
	return string(out), nil
}

// validate checks the rules a writer must follow that the encoding itself
// does not enforce.
func (inv *Invoice) validate() error {
	if inv.Amount != nil && *inv.Amount == 0 {
		return errf(ErrInvalidAmount, "zero amount; use a nil Amount for any amount")
	}
	if ts := inv.Timestamp.Unix(); ts < 0 || ts > MaxTimestamp {
		return errf(ErrInvalidField, "timestamp %d does not fit 35 bits", ts)
	}
	switch {
	case inv.Description != nil && inv.DescriptionHash != nil:
		return errf(ErrDescriptionAndHash, "BOLT 11: MUST include either exactly one d or exactly one h field")
	case inv.Description == nil && inv.DescriptionHash == nil:
		return errf(ErrMissingDescription, "BOLT 11: MUST include either exactly one d or exactly one h field")
	case inv.Description != nil && !utf8.ValidString(*inv.Description):
		return errf(ErrInvalidDescription, "BOLT 11: MUST set d to a valid UTF-8 string")
	}
	if inv.Destination == nil {
		return errf(ErrInvalidNodeID, "no destination")
	}
	if inv.Expiry != nil && (*inv.Expiry < 0 || *inv.Expiry%time.Second != 0) {
		return errf(ErrInvalidField, "expiry %v is not a whole, non-negative number of seconds", *inv.Expiry)
	}
	if inv.Features != nil {
		if err := checkFeatures(inv.Features); err != nil {
			return err
		}
	}
	for i, h := range inv.RouteHints {
		if len(h) == 0 || len(h) > maxHopsPerHint {
			return errf(ErrInvalidRouteHint, "route hint %d has %d hops, not 1 to %d", i, len(h), maxHopsPerHint)
		}
		for j, hop := range h {
			switch {
			case hop.NodeID == nil:
				return errf(ErrInvalidNodeID, "route hint %d hop %d has no node id", i, j)
			case hop.FeeBase > math.MaxUint32:
				return errf(ErrInvalidRouteHint, "route hint %d hop %d: fee_base_msat %d exceeds 32 bits", i, j, hop.FeeBase)
			case !hop.ChannelID.Valid():
				return errf(ErrInvalidRouteHint, "route hint %d hop %d: short_channel_id %v out of range", i, j, hop.ChannelID)
			}
		}
	}
	for i, f := range inv.ExtraFields {
		if f.Type > 31 || len(f.Data) > maxFieldWords {
			return errf(ErrInvalidField, "extra field %d: type %d with %d words", i, f.Type, len(f.Data))
		}
		for _, w := range f.Data {
			if w > 31 {
				return errf(ErrInvalidField, "extra field %d: word %d is not 5 bits", i, w)
			}
		}
	}
	return nil
}

// appendField appends one tagged field and returns the number of data words
// written.
func (inv *Invoice) appendField(words []byte, sl slot) ([]byte, int, error) {
	start := len(words)
	words = append(words, sl.tag, 0, 0)
	if sl.extra {
		words = append(words, inv.ExtraFields[sl.idx].Data...)
	} else {
		switch sl.tag {
		case TagPaymentHash:
			words = appendWords(words, inv.PaymentHash[:])
		case TagPaymentSecret:
			words = appendWords(words, inv.PaymentSecret[:])
		case TagDescriptionHash:
			words = appendWords(words, inv.DescriptionHash[:])
		case TagNodeID:
			words = appendWords(words, inv.Destination.SerializeCompressed())
		case TagDescription:
			words = appendWords(words, *inv.Description)
		case TagMetadata:
			words = appendWords(words, inv.Metadata)
		case TagExpiry:
			v := uint64(*inv.Expiry / time.Second)
			words = appendUint(words, v, max(uintWords(v), int(sl.words)))
		case TagMinFinalCLTV:
			v := *inv.MinFinalCLTV
			words = appendUint(words, v, max(uintWords(v), int(sl.words)))
		case TagFeatures:
			words = appendFeatureWords(words, inv.Features, max(featureWords(inv.Features), int(sl.words)))
		case TagFallback:
			version, prog, err := fallbackProgram(inv.Network, inv.Fallbacks[sl.idx])
			if err != nil {
				return nil, 0, err
			}
			words = append(words, version)
			words = appendWords(words, prog)
		case TagRouteHint:
			var buf [maxHopsPerHint * hopBytes]byte
			b := buf[:0]
			for _, hop := range inv.RouteHints[sl.idx] {
				b = append(b, hop.NodeID.SerializeCompressed()...)
				b = binary.BigEndian.AppendUint64(b, hop.ChannelID.ToUint64())
				b = binary.BigEndian.AppendUint32(b, uint32(hop.FeeBase))
				b = binary.BigEndian.AppendUint32(b, hop.FeeProportionalMillionths)
				b = binary.BigEndian.AppendUint16(b, hop.CLTVExpiryDelta)
			}
			words = appendWords(words, b)
		}
	}
	n := len(words) - start - 3
	if n > maxFieldWords {
		return nil, 0, errf(ErrInvalidField, "field type %d needs %d words, more than data_length can hold", sl.tag, n)
	}
	words[start+1] = byte(n >> 5)
	words[start+2] = byte(n & 31)
	return words, n, nil
}

// layoutFits reports whether the recorded layout describes exactly the
// fields the invoice now holds, each once, with f, r and extra fields in
// index order.
func (inv *Invoice) layoutFits() bool {
	if inv.layout == nil {
		return false
	}
	var seen uint32
	var nextF, nextR, nextX int
	for _, sl := range inv.layout {
		switch {
		case sl.extra:
			if int(sl.idx) != nextX || nextX >= len(inv.ExtraFields) || inv.ExtraFields[nextX].Type != sl.tag {
				return false
			}
			nextX++
		case sl.tag == TagFallback:
			if int(sl.idx) != nextF {
				return false
			}
			nextF++
		case sl.tag == TagRouteHint:
			if int(sl.idx) != nextR {
				return false
			}
			nextR++
		default:
			if sl.tag > 31 || seen&(1<<sl.tag) != 0 {
				return false
			}
			seen |= 1 << sl.tag
		}
	}
	want := inv.singleFields()
	return seen == want && nextF == len(inv.Fallbacks) && nextR == len(inv.RouteHints) && nextX == len(inv.ExtraFields)
}

// singleFields returns the set (bit per tag) of single-valued fields that
// inv holds.
func (inv *Invoice) singleFields() uint32 {
	set := uint32(1<<TagPaymentHash | 1<<TagPaymentSecret)
	add := func(ok bool, tag int) {
		if ok {
			set |= 1 << tag
		}
	}
	add(inv.Description != nil, TagDescription)
	add(inv.DescriptionHash != nil, TagDescriptionHash)
	add(inv.ExplicitDestination, TagNodeID)
	add(inv.Expiry != nil, TagExpiry)
	add(inv.MinFinalCLTV != nil, TagMinFinalCLTV)
	add(inv.Features != nil, TagFeatures)
	add(inv.Metadata != nil, TagMetadata)
	return set
}

// canonicalLayout is the field order this package writes: p, s, d or h, n,
// x, c, f..., r..., 9, m, then extra fields.
func (inv *Invoice) canonicalLayout() []slot {
	set := inv.singleFields()
	l := make([]slot, 0, 10+len(inv.Fallbacks)+len(inv.RouteHints)+len(inv.ExtraFields))
	for _, tag := range [...]byte{TagPaymentHash, TagPaymentSecret, TagDescription, TagDescriptionHash, TagNodeID, TagExpiry, TagMinFinalCLTV} {
		if set&(1<<tag) != 0 {
			l = append(l, slot{tag: tag})
		}
	}
	for i := range inv.Fallbacks {
		l = append(l, slot{tag: TagFallback, idx: uint16(i)})
	}
	for i := range inv.RouteHints {
		l = append(l, slot{tag: TagRouteHint, idx: uint16(i)})
	}
	for _, tag := range [...]byte{TagFeatures, TagMetadata} {
		if set&(1<<tag) != 0 {
			l = append(l, slot{tag: tag})
		}
	}
	for i, f := range inv.ExtraFields {
		l = append(l, slot{tag: f.Type, extra: true, idx: uint16(i)})
	}
	return l
}
