package wire

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// FeatureBit numbers a feature flag from the least significant bit, bit 0
// (BOLT 9). Features come in pairs: the even bit means "required", the odd
// bit "optional".
type FeatureBit uint16

// IsRequired reports whether the bit is the even (required) bit of its pair.
func (b FeatureBit) IsRequired() bool { return b%2 == 0 }

// Required returns the even bit of b's pair.
func (b FeatureBit) Required() FeatureBit { return b &^ 1 }

// Optional returns the odd bit of b's pair.
func (b FeatureBit) Optional() FeatureBit { return b | 1 }

// FeatureVector is a set of feature bits in its wire form: a big-endian
// byte string in which bit 0 is the lowest bit of the last byte. Keeping the
// wire form means a decoded vector, including any leading zero bytes a peer
// sent, encodes back to the same bytes. The zero value is the empty set.
type FeatureVector []byte

// NewFeatureVector returns a minimal vector with the given bits set.
func NewFeatureVector(fbits ...FeatureBit) FeatureVector {
	var f FeatureVector
	for _, b := range fbits {
		f.Set(b)
	}
	return f
}

// IsSet reports whether bit is set.
func (f FeatureVector) IsSet(bit FeatureBit) bool {
	i := len(f) - 1 - int(bit/8)
	return i >= 0 && f[i]&(1<<(bit%8)) != 0
}

// Set sets bit, growing the vector as needed.
func (f *FeatureVector) Set(bit FeatureBit) {
	need := int(bit/8) + 1
	if grow := need - len(*f); grow > 0 {
		n := make(FeatureVector, need)
		copy(n[grow:], *f)
		*f = n
	}
	(*f)[len(*f)-1-int(bit/8)] |= 1 << (bit % 8)
}

// Unset clears bit. The vector keeps its length.
func (f FeatureVector) Unset(bit FeatureBit) {
	if i := len(f) - 1 - int(bit/8); i >= 0 {
		f[i] &^= 1 << (bit % 8)
	}
}

// HasFeature reports whether either bit of b's pair is set.
func (f FeatureVector) HasFeature(b FeatureBit) bool {
	return f.IsSet(b.Required()) || f.IsSet(b.Optional())
}

// RequiresFeature reports whether the required (even) bit of b's pair is
// set.
func (f FeatureVector) RequiresFeature(b FeatureBit) bool { return f.IsSet(b.Required()) }

// maxFeatureBytes is how many trailing bytes of a vector FeatureBit (a
// uint16) can name: bits 0 to 65535.
const maxFeatureBytes = 8192

// Bits returns the set bits in increasing order, up to 65535: a FeatureBit
// cannot name higher ones (see UnknownRequired for how they are judged).
func (f FeatureVector) Bits() []FeatureBit {
	var out []FeatureBit
	for i := len(f) - 1; i >= 0 && len(f)-1-i < maxFeatureBytes; i-- {
		c := f[i]
		for c != 0 {
			j := bits.TrailingZeros8(c)
			out = append(out, FeatureBit((len(f)-1-i)*8+j))
			c &^= 1 << j
		}
	}
	return out
}

// Minimal returns the vector without leading zero bytes.
func (f FeatureVector) Minimal() FeatureVector {
	i := 0
	for i < len(f) && f[i] == 0 {
		i++
	}
	return slices.Clone(f[i:])
}

// IsEmpty reports whether no bit is set.
func (f FeatureVector) IsEmpty() bool {
	for _, c := range f {
		if c != 0 {
			return false
		}
	}
	return true
}

// Equal reports whether f and g have the same bits set, ignoring leading
// zero bytes.
func (f FeatureVector) Equal(g FeatureVector) bool {
	for len(f) > len(g) {
		if f[0] != 0 {
			return false
		}
		f = f[1:]
	}
	for len(g) > len(f) {
		if g[0] != 0 {
			return false
		}
		g = g[1:]
	}
	return slices.Equal(f, g)
}

// Union returns a new minimal vector with the bits of f and g.
func (f FeatureVector) Union(g FeatureVector) FeatureVector {
	if len(g) > len(f) {
		f, g = g, f
	}
	out := slices.Clone(f)
	off := len(f) - len(g)
	for i, c := range g {
		out[off+i] |= c
	}
	return out.Minimal()
}

// highRequired reports whether an even bit above 65535 is set.
func (f FeatureVector) highRequired() bool {
	for i := 0; i < len(f)-maxFeatureBytes; i++ {
		if f[i]&0x55 != 0 {
			return true
		}
	}
	return false
}

// String lists the set bits, naming the known ones.
func (f FeatureVector) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, b := range f.Bits() {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(b.String())
	}
	if len(f) > maxFeatureBytes {
		sb.WriteString(" (and bits above 65535)")
	}
	sb.WriteByte(']')
	return sb.String()
}

// String returns "name(bit)" for a known feature, or the bare bit number.
func (b FeatureBit) String() string {
	if name := b.Name(); name != "" {
		return fmt.Sprintf("%s(%d)", name, uint16(b))
	}
	return fmt.Sprintf("%d", uint16(b))
}

// Name returns the BOLT 9 name of the feature that b belongs to, or "" if
// the bit is not a known feature.
func (b FeatureBit) Name() string {
	if k, ok := knownFeatures[b.Required()]; ok {
		return k.Name
	}
	return ""
}

// AppendFeatureVector appends f with its u16 length prefix.
func AppendFeatureVector(b []byte, f FeatureVector) ([]byte, error) {
	return AppendVarBytes16(b, f)
}

// FeatureVector reads a u16-length-prefixed feature vector.
func (r *Reader) FeatureVector(field string) FeatureVector {
	return FeatureVector(r.VarBytes16(field))
}
