package ecmult

import (
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// window is the wNAF width. Width 5 means tables of 8 odd multiples per
// point and, on average, one non-zero digit every 6 bits.
const window = 5

// tableSize is the number of odd multiples (P, 3P, ..., 15P) in a table.
const tableSize = 1 << (window - 2)

// wnafDigits is a scalar in width-5 non-adjacent form, least significant
// digit first. A scalar below 2^256 needs at most 257 digits.
type wnafDigits [257]int8

// recode writes k, read as an integer below 2^256, in width-5 non-adjacent
// form to out (which must be zero on entry) and returns the number of digits
// up to the most significant non-zero one (0 when k is zero). Every non-zero
// digit is odd with |d| < 16, any 5 consecutive digits hold at most one
// non-zero value, and sum(out[i]·2^i) = k.
func recode(k *btcec.ModNScalar, out *wnafDigits) int {
	kl := scalarLimbs(k)
	var ext [5]uint64 // a spare zero limb, so that reads past bit 255 are safe
	copy(ext[:], kl[:])
	bitLen := 0
	for i := 3; i >= 0; i-- {
		if kl[i] != 0 {
			bitLen = 64*i + bits.Len64(kl[i])
			break
		}
	}
	bitsAt := func(pos int) uint32 { // the 5 bits from pos up
		word, shift := pos/64, uint(pos%64)
		v := ext[word] >> shift
		if shift != 0 {
			v |= ext[word+1] << (64 - shift)
		}
		return uint32(v & (1<<window - 1))
	}

	// carry is 1 when the digits so far exceed the bits read so far by
	// 2^pos, which happens after a negative digit.
	n := 0
	carry := uint32(0)
	for pos := 0; pos < bitLen || carry != 0; {
		if uint32(ext[pos/64]>>(pos%64))&1 == carry {
			pos++ // the digit here is zero; the carry (if any) moves up
			continue
		}
		// The window's value plus the carry is odd, at most 31. A window
		// starting at bit 252 or later holds at most 4 bits of k, so its
		// value stays below 16 and it never carries past bit 256.
		w := bitsAt(pos) + carry
		carry = w >> (window - 1)
		out[pos] = int8(int32(w) - int32(carry<<window))
		n = pos + 1
		pos += window
	}
	return n
}
