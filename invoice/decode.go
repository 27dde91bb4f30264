package invoice

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
)

const (
	timestampWords = 7   // 35 bits
	signatureWords = 104 // 520 bits
	hopBytes       = 51  // pubkey 33, scid 8, fee base 4, proportional 4, cltv 2

	// maxExpirySeconds is the largest expiry a time.Duration holds.
	maxExpirySeconds = uint64(math.MaxInt64 / int64(time.Second))
)

// decoded holds an Invoice together with the storage its optional fields
// point into, so that decoding makes one allocation for all of them.
type decoded struct {
	inv      Invoice
	amount   wire.MilliSatoshi
	expiry   time.Duration
	cltv     uint64
	descHash [32]byte
	desc     string
	slots    [12]slot
	hints    [1]RouteHint
	hops     [4]HopHint
	keys     [5]btcec.PublicKey // up to 4 hops, then the n field
	nhops    int
	features [16]byte
}

// Decode parses a BOLT 11 invoice and checks it as a reader must: bech32
// (any length, either case but not mixed) with a valid checksum, a known
// currency prefix and a valid amount, well-formed tagged fields, exactly one
// of d and h, a payment hash and a payment secret, no unknown even feature
// bit, and a valid signature. The payee is taken from the n field (the
// signature must then verify against it in low-S form) or recovered from the
// signature.
//
// Fields a reader must skip (unknown types, p/h/s/n of the wrong length,
// unknown fallback versions) and repeats of single fields are kept in
// ExtraFields. The returned invoice re-encodes (String) to s in lower case.
//
// Decode does not check expiry or the network; compare Network and call
// Expired. A failure wraps one of the package's sentinel errors.
func Decode(s string) (*Invoice, error) {
	sep, err := bech32Split(s)
	if err != nil {
		return nil, err
	}
	var hrpBuf [24]byte
	hrp := hrpBuf[:0]
	if sep > len(hrpBuf) {
		hrp = make([]byte, 0, sep)
	}
	for i := 0; i < sep; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		hrp = append(hrp, c)
	}
	dataLen := len(s) - sep - 1
	var wordBuf [1024]byte
	words := wordBuf[:]
	if dataLen > len(wordBuf) {
		words = make([]byte, dataLen)
	}
	words, err = bech32DecodeData(hrp, s[sep+1:], words)
	if err != nil {
		return nil, err
	}
	net, amount, mult, err := parseHRP(hrp)
	if err != nil {
		return nil, err
	}
	if len(words) < timestampWords+signatureWords {
		return nil, errf(ErrTooShort, "%d data words cannot hold the timestamp and the signature", len(words))
	}

	d := new(decoded)
	inv := &d.inv
	inv.Network = net
	if amount != 0 {
		d.amount = amount
		inv.Amount = &d.amount
		inv.amountMult = mult
	}
	ts, _ := wordsToUint(words[:timestampWords])
	inv.Timestamp = time.Unix(int64(ts), 0).UTC()
	inv.layout = d.slots[:0]

	signed := words[:len(words)-signatureWords]
	if err := d.parseFields(signed[timestampWords:]); err != nil {
		return nil, err
	}

	// Signature: r (32 bytes), s (32 bytes), recovery id, exactly 520 bits.
	var sig [SignatureSize]byte
	if _, err := wordsToBytes(sig[:0], words[len(signed):]); err != nil {
		return nil, err
	}
	copy(inv.Signature[:], sig[:64])
	inv.RecoveryID = sig[64]

	// The signed message: the human-readable part as UTF-8 bytes, then the
	// data part before the signature, zero-padded to a byte boundary.
	var msgBuf [1024]byte
	msg := msgBuf[:0]
	if n := len(hrp) + (len(signed)*5+7)/8; n > len(msgBuf) {
		msg = make([]byte, 0, n)
	}
	msg = append(msg, hrp...)
	msg = packWords(msg, signed)
	hash := sha256.Sum256(msg)
	if err := d.checkSignature(&hash); err != nil {
		return nil, err
	}
	return inv, nil
}

// packWords appends words as bytes, padding the last byte with zero bits.
func packWords(dst []byte, words []byte) []byte {
	var acc uint32
	var n uint
	for _, w := range words {
		acc = acc<<5 | uint32(w)
		n += 5
		if n >= 8 {
			n -= 8
			dst = append(dst, byte(acc>>n))
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(8-n)))
	}
	return dst
}

// parseFields reads the tagged fields between the timestamp and the
// signature and applies the reader requirements of BOLT 11 "Tagged Fields".
func (d *decoded) parseFields(fields []byte) error {
	inv := &d.inv
	// Count the fields first, so that storage for many fields (a hostile
	// invoice may have thousands) is allocated once, at its final size.
	total := 0
	for rest := fields; len(rest) > 0; total++ {
		if len(rest) < 3 {
			return errf(ErrTruncatedField, "%d words left before the signature cannot hold a field header", len(rest))
		}
		n := int(rest[1])<<5 | int(rest[2])
		if n > len(rest)-3 {
			return errf(ErrTruncatedField, "field type %d has data_length %d but only %d words remain", rest[0], n, len(rest)-3)
		}
		rest = rest[3+n:]
	}
	if total > cap(inv.layout) {
		inv.layout = make([]slot, 0, total)
	}
	var extraData []byte // shared backing store of ExtraFields' data
	var haveP, haveS, haveD, haveH, haveN, haveX, haveC, have9, haveM bool
	for len(fields) > 0 {
		// The loop above checked that the fields tile exactly.
		tag := fields[0]
		n := int(fields[1])<<5 | int(fields[2])
		data := fields[3 : 3+n]
		fields = fields[3+n:]
		known, err := d.parseField(tag, data, &haveP, &haveS, &haveD, &haveH, &haveN, &haveX, &haveC, &have9, &haveM)
		if err != nil {
			return err
		}
		if !known {
			if inv.ExtraFields == nil {
				inv.ExtraFields = make([]TaggedField, 0, total-len(inv.layout))
				extraData = make([]byte, 0, len(data)+len(fields))
			}
			start := len(extraData)
			extraData = append(extraData, data...)
			inv.ExtraFields = append(inv.ExtraFields, TaggedField{Type: tag, Data: extraData[start:len(extraData):len(extraData)]})
			inv.layout = append(inv.layout, slot{tag: tag, extra: true, idx: uint16(len(inv.ExtraFields) - 1)})
		}
	}
	switch {
	case !haveP:
		return errf(ErrMissingPaymentHash, "no p field of data_length 52 (BOLT 11: MUST include exactly one p field)")
	case !haveS:
		return errf(ErrMissingPaymentSecret, "no s field of data_length 52 (BOLT 11: a reader MUST fail the payment without a valid s field)")
	case haveD && haveH:
		return errf(ErrDescriptionAndHash, "BOLT 11: MUST include either exactly one d or exactly one h field")
	case !haveD && !haveH:
		return errf(ErrMissingDescription, "BOLT 11: MUST include either exactly one d or exactly one h field")
	}
	return nil
}

// parseField interprets one tagged field. It returns false for a field the
// reader skips, which the caller keeps as an extra field.
func (d *decoded) parseField(tag byte, data []byte, haveP, haveS, haveD, haveH, haveN, haveX, haveC, have9, haveM *bool) (bool, error) {
	inv := &d.inv
	put := func(idx int) {
		inv.layout = append(inv.layout, slot{tag: tag, idx: uint16(idx), words: uint16(len(data))})
	}
	switch tag {
	case TagPaymentHash, TagPaymentSecret, TagDescriptionHash:
		have, dst := haveP, (*[32]byte)(&inv.PaymentHash)
		if tag == TagPaymentSecret {
			have, dst = haveS, &inv.PaymentSecret
		} else if tag == TagDescriptionHash {
			have, dst = haveH, &d.descHash
		}
		// A reader MUST skip p, h and s fields whose data_length is not 52.
		if *have || len(data) != 52 {
			return false, nil
		}
		if _, err := wordsToBytes(dst[:0], data); err != nil {
			return false, err
		}
		if tag == TagDescriptionHash {
			inv.DescriptionHash = &d.descHash
		}
		*have = true

	case TagNodeID:
		// A reader MUST skip n fields whose data_length is not 53.
		if *haveN || len(data) != 53 {
			return false, nil
		}
		var key [33]byte
		if _, err := wordsToBytes(key[:0], data); err != nil {
			return false, err
		}
		if !fastcrypto.ParsePubKey(&d.keys[len(d.keys)-1], key[:]) {
			return false, errf(ErrInvalidNodeID, "n field: %x is not a compressed public key", key)
		}
		inv.Destination = &d.keys[len(d.keys)-1]
		inv.ExplicitDestination = true
		*haveN = true

	case TagDescription:
		if *haveD {
			return false, nil
		}
		var buf [640]byte
		b, err := wordsToBytes(buf[:0], data)
		if err != nil {
			return false, err
		}
		if !utf8.Valid(b) {
			return false, errf(ErrInvalidDescription, "BOLT 11: MUST set d to a valid UTF-8 string")
		}
		d.desc = string(b)
		inv.Description = &d.desc
		*haveD = true

	case TagMetadata:
		if *haveM {
			return false, nil
		}
		m, err := wordsToBytes(make([]byte, 0, bytesLen(len(data))), data)
		if err != nil {
			return false, err
		}
		inv.Metadata = m
		*haveM = true

	case TagExpiry:
		if *haveX {
			return false, nil
		}
		v, ok := wordsToUint(data)
		if !ok || v > maxExpirySeconds {
			return false, errf(ErrInvalidField, "x field: expiry does not fit a time.Duration")
		}
		d.expiry = time.Duration(v) * time.Second
		inv.Expiry = &d.expiry
		*haveX = true

	case TagMinFinalCLTV:
		if *haveC {
			return false, nil
		}
		v, ok := wordsToUint(data)
		if !ok {
			return false, errf(ErrInvalidField, "c field: min_final_cltv_expiry_delta exceeds 64 bits")
		}
		d.cltv = v
		inv.MinFinalCLTV = &d.cltv
		*haveC = true

	case TagFeatures:
		if *have9 {
			return false, nil
		}
		f := featuresFromWords(d.features[:0], data)
		if err := checkFeatures(f); err != nil {
			return false, err
		}
		inv.Features = f
		*have9 = true

	case TagFallback:
		addr, err := decodeFallback(inv.Network, data)
		if err != nil || addr == nil {
			return false, err
		}
		inv.Fallbacks = append(inv.Fallbacks, addr)
		put(len(inv.Fallbacks) - 1)
		return true, nil

	case TagRouteHint:
		hint, err := d.parseRouteHint(data)
		if err != nil {
			return false, err
		}
		if inv.RouteHints == nil {
			inv.RouteHints = d.hints[:0:1]
		}
		inv.RouteHints = append(inv.RouteHints, hint)
		put(len(inv.RouteHints) - 1)
		return true, nil

	default:
		return false, nil
	}
	put(0)
	return true, nil
}

// parseRouteHint reads an r field: one or more 51-byte hops. The first
// hops of an invoice are stored in d.
func (d *decoded) parseRouteHint(data []byte) (RouteHint, error) {
	var buf [640]byte
	b, err := wordsToBytes(buf[:0], data)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%hopBytes != 0 {
		return nil, errf(ErrInvalidRouteHint, "r field of %d bytes is not one or more %d-byte hops", len(b), hopBytes)
	}
	n := len(b) / hopBytes
	var hops RouteHint
	var keys []btcec.PublicKey
	if d.nhops+n <= len(d.hops) {
		// The first hops and their keys live in d: no allocation.
		hops = d.hops[d.nhops : d.nhops+n : d.nhops+n]
		keys = d.keys[d.nhops : d.nhops+n]
		d.nhops += n
	} else {
		hops = make(RouteHint, n)
		keys = make([]btcec.PublicKey, n)
	}
	for i := range hops {
		h := b[i*hopBytes : (i+1)*hopBytes]
		if !fastcrypto.ParsePubKey(&keys[i], h[:33]) {
			return nil, errf(ErrInvalidNodeID, "route hint hop %d: %x is not a compressed public key", i, [33]byte(h[:33]))
		}
		hops[i] = HopHint{
			NodeID:                    &keys[i],
			ChannelID:                 wire.NewShortChannelIDFromUint64(binary.BigEndian.Uint64(h[33:41])),
			FeeBase:                   wire.MilliSatoshi(binary.BigEndian.Uint32(h[41:45])),
			FeeProportionalMillionths: binary.BigEndian.Uint32(h[45:49]),
			CLTVExpiryDelta:           binary.BigEndian.Uint16(h[49:51]),
		}
	}
	return hops, nil
}

// checkSignature verifies the signature against the n field, or recovers
// the payee from it.
func (d *decoded) checkSignature(hash *[32]byte) error {
	inv := &d.inv
	if inv.RecoveryID > 3 {
		return errf(ErrInvalidRecoveryID, "recovery id %d", inv.RecoveryID)
	}
	var r, s btcec.ModNScalar
	if r.SetByteSlice(inv.Signature[:32]) || r.IsZero() || s.SetByteSlice(inv.Signature[32:]) || s.IsZero() {
		return errf(ErrInvalidSignature, "r or s is not in [1, n-1]")
	}
	if inv.ExplicitDestination {
		// With an n field the signature is verified, not used for
		// recovery, and verification requires the canonical low-S form
		// (the spec's invalid example "Non canonical signature (high-S)
		// with 'n' field defined").
		if s.IsOverHalfOrder() {
			return errf(ErrHighS, "s > n/2")
		}
		if !ecdsa.NewSignature(&r, &s).Verify(hash[:], inv.Destination) {
			return errf(ErrInvalidSignature, "signature does not verify against the n field")
		}
		return nil
	}
	// Recovery accepts a high-S signature. As the spec's example "Public-key
	// recovery with high-S signature" requires (the vectors rule here), s is
	// first replaced by n-s and the recovery id is used as written: that
	// example's recovery id 1 yields its payee only this way.
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	var compact [SignatureSize]byte
	compact[0] = 27 + 4 + inv.RecoveryID
	r.PutBytesUnchecked(compact[1:33])
	s.PutBytesUnchecked(compact[33:65])
	pub, _, err := ecdsa.RecoverCompact(compact[:], hash[:])
	if err != nil {
		return errf(ErrNotRecoverable, "%v", err)
	}
	inv.Destination = pub
	return nil
}
