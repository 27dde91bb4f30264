package invoice

// Conversions between 5-bit words (one per byte) and bytes or integers, all
// big-endian as BOLT 11 writes them.

// wordsToBytes appends to dst the bytes that words carry. The trailing
// padding must be fewer than 5 bits and all zero, as a writer produces it
// ("MUST pad field data to a multiple of 5 bits, using 0s"); otherwise the
// bytes would not re-encode to the same words and ErrInvalidPadding is
// returned.
func wordsToBytes(dst []byte, words []byte) ([]byte, error) {
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
	if n >= 5 || acc&(1<<n-1) != 0 {
		return dst, errf(ErrInvalidPadding, "%d words leave %d padding bits that are not fewer than 5 zeros", len(words), n)
	}
	return dst, nil
}

// bytesLen returns how many bytes n words carry.
func bytesLen(words int) int { return words * 5 / 8 }

// wordsLen returns how many words n bytes need.
func wordsLen(n int) int { return (n*8 + 4) / 5 }

// appendWords appends the 5-bit words of b, zero-padded.
func appendWords[T string | []byte](dst []byte, b T) []byte {
	var acc uint32
	var n uint
	for i := 0; i < len(b); i++ {
		acc = acc<<8 | uint32(b[i])
		n += 8
		for n >= 5 {
			n -= 5
			dst = append(dst, byte(acc>>n)&31)
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(5-n))&31)
	}
	return dst
}

// wordsToUint reads words as a big-endian integer. It fails if the value
// does not fit in 64 bits.
func wordsToUint(words []byte) (uint64, bool) {
	for len(words) > 0 && words[0] == 0 {
		words = words[1:]
	}
	if len(words) > 13 || len(words) == 13 && words[0] > 15 {
		return 0, false
	}
	var v uint64
	for _, w := range words {
		v = v<<5 | uint64(w)
	}
	return v, true
}

// uintWords returns the number of words needed for v (0 for v == 0).
func uintWords(v uint64) int {
	n := 0
	for v != 0 {
		n++
		v >>= 5
	}
	return n
}

// appendUint appends v as exactly width words (width >= uintWords(v)).
func appendUint(dst []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		if i >= 13 {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, byte(v>>(5*uint(i)))&31)
	}
	return dst
}
