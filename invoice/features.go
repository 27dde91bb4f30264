package invoice

import (
	"math/bits"

	"github.com/lnkit/lnkit/wire"
)

// The 9 field is a big-endian bit string in 5-bit words; bit 0 is the lowest
// bit of the last word (BOLT 11, "Feature Bits"). wire.FeatureVector is the
// same bit string in 8-bit bytes, so the conversion only regroups bits. The
// number of words written is kept in the invoice's layout, so leading zero
// words survive a round trip.

// featuresFromWords returns the minimal FeatureVector (no leading zero
// bytes) with the bits of words, in buf when it has the capacity. It is never
// nil, so that an all-zero 9 field is still told apart from an absent one.
func featuresFromWords(buf []byte, words []byte) wire.FeatureVector {
	for len(words) > 0 && words[0] == 0 {
		words = words[1:]
	}
	if len(words) == 0 {
		return wire.FeatureVector{}
	}
	nbits := (len(words)-1)*5 + bits.Len8(words[0])
	var out wire.FeatureVector
	if n := (nbits + 7) / 8; n <= cap(buf) {
		out = buf[:n:n]
	} else {
		out = make(wire.FeatureVector, n)
	}
	pos := len(out) - 1
	var acc uint32
	var n uint
	for i := len(words) - 1; i >= 0; i-- {
		acc |= uint32(words[i]) << n
		n += 5
		if n >= 8 {
			out[pos] = byte(acc)
			pos--
			acc >>= 8
			n -= 8
		}
	}
	if pos >= 0 {
		out[pos] = byte(acc)
	}
	return out
}

// featureWords returns the minimal number of words for f.
func featureWords(f wire.FeatureVector) int {
	for i, c := range f {
		if c != 0 {
			nbits := (len(f)-i-1)*8 + bits.Len8(c)
			return (nbits + 4) / 5
		}
	}
	return 0
}

// appendFeatureWords appends f as exactly width words (width >=
// featureWords(f)).
func appendFeatureWords(dst []byte, f wire.FeatureVector, width int) []byte {
	start := len(dst)
	for i := 0; i < width; i++ {
		dst = append(dst, 0)
	}
	w := dst[start:]
	pos := len(w) - 1
	var acc uint32
	var n uint
	for i := len(f) - 1; i >= 0 && pos >= 0; i-- {
		acc |= uint32(f[i]) << n
		n += 8
		for n >= 5 && pos >= 0 {
			w[pos] = byte(acc) & 31
			pos--
			acc >>= 5
			n -= 5
		}
	}
	if pos >= 0 && n > 0 {
		w[pos] = byte(acc) & 31
	}
	return dst
}

// checkFeatures applies BOLT 11's reader rules to the 9 field: an even bit
// of a feature that is unknown, or not one BOLT 9 allows in invoices (context
// "9"), fails the invoice; odd unknown bits are ignored. It also checks BOLT
// 9's dependencies ("MUST NOT attempt the payment" without them); a
// dependency on a feature BOLT 9 marks ASSUMED counts as met, as in
// wire.FeatureVector.ValidateDependencies. It does not allocate unless it
// fails.
func checkFeatures(f wire.FeatureVector) error {
	for i := len(f) - 1; i >= 0; i-- {
		c := f[i]
		for c != 0 {
			j := bits.TrailingZeros8(c)
			c &^= 1 << j
			b := wire.FeatureBit((len(f)-1-i)*8 + j)
			k, ok := wire.LookupFeature(b)
			known := ok && k.Contexts&wire.ContextInvoice != 0
			if !known {
				if b.IsRequired() {
					return errf(ErrUnknownRequiredFeature, "bit %d is even and not a known invoice feature (BOLT 11: the reader MUST fail the payment)", b)
				}
				continue
			}
			for _, d := range k.DependsOn {
				if f.HasFeature(d) {
					continue
				}
				if dk, ok := wire.LookupFeature(d); ok && dk.Assumed {
					continue
				}
				return errf(ErrMissingFeatureDependency, "%v needs %v (BOLT 9)", b, d)
			}
		}
	}
	return nil
}
