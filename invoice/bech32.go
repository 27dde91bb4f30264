package invoice

// This file holds a bech32 (BIP 173) codec specialised for invoices: it has
// no 90-character limit (BOLT 11 lifts it), works on 5-bit words in
// caller-supplied buffers so that decoding allocates nothing, and computes
// the checksum with a table instead of the bit-by-bit generator loop.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Rev maps a character (either case) to its 5-bit value, or 0xff.
var bech32Rev = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(bech32Charset); i++ {
		c := bech32Charset[i]
		t[c] = byte(i)
		if c >= 'a' && c <= 'z' {
			t[c-'a'+'A'] = byte(i)
		}
	}
	return t
}()

// bech32Gen is the BIP 173 generator; polyTable[v] is the xor of the
// generator terms selected by the five bits v that leave the top of the
// 30-bit checksum state on each step.
var bech32Gen = [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}

var polyTable = func() (t [32]uint32) {
	for v := range t {
		for i := 0; i < 5; i++ {
			if v>>i&1 == 1 {
				t[v] ^= bech32Gen[i]
			}
		}
	}
	return t
}()

// polyStep feeds one 5-bit value into the checksum state.
func polyStep(chk uint32, v byte) uint32 {
	return (chk&0x1ffffff)<<5 ^ uint32(v) ^ polyTable[chk>>25]
}

// hrpChecksumState returns the checksum state after the expanded
// human-readable part. hrp must be lower case.
func hrpChecksumState(hrp []byte) uint32 {
	chk := uint32(1)
	for _, c := range hrp {
		chk = polyStep(chk, c>>5)
	}
	chk = polyStep(chk, 0)
	for _, c := range hrp {
		chk = polyStep(chk, c&31)
	}
	return chk
}

// bech32Split validates the characters of s as bech32 (case rules, the
// separator, character set) and returns the index of the separator. The
// checksum is not checked here.
func bech32Split(s string) (int, error) {
	var lower, upper bool
	sep := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 33 || c > 126:
			return 0, errf(ErrInvalidCharacter, "byte %#x at offset %d is outside the bech32 range (BIP 173)", c, i)
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c == '1':
			sep = i
		}
	}
	if lower && upper {
		return 0, errf(ErrMixedCase, "BIP 173 forbids mixing upper and lower case")
	}
	if sep < 1 {
		return 0, errf(ErrMissingSeparator, "no '1' separates a non-empty human-readable part (BIP 173)")
	}
	if len(s)-sep-1 < 6 {
		return 0, errf(ErrTooShort, "data part has %d characters, fewer than the 6 of the checksum (BIP 173)", len(s)-sep-1)
	}
	return sep, nil
}

// bech32DecodeData converts the data part (after the separator, checksum
// included) into 5-bit words written to dst, verifies the checksum given the
// lower-case human-readable part, and returns the words without the
// checksum. dst must have room for len(data) words.
func bech32DecodeData(hrp []byte, data string, dst []byte) ([]byte, error) {
	chk := hrpChecksumState(hrp)
	dst = dst[:len(data)]
	for i := 0; i < len(data); i++ {
		v := bech32Rev[data[i]]
		if v == 0xff {
			return nil, errf(ErrInvalidCharacter, "%q is not a bech32 character (BIP 173)", data[i])
		}
		dst[i] = v
		chk = polyStep(chk, v)
	}
	if chk != 1 {
		return nil, errf(ErrInvalidChecksum, "bech32 checksum does not verify (BIP 173)")
	}
	return dst[:len(data)-6], nil
}

// bech32AppendChecksum appends the six checksum words for hrp (lower case)
// and the 5-bit words data to data.
func bech32AppendChecksum(hrp []byte, data []byte) []byte {
	chk := hrpChecksumState(hrp)
	for _, v := range data {
		chk = polyStep(chk, v)
	}
	for i := 0; i < 6; i++ {
		chk = polyStep(chk, 0)
	}
	chk ^= 1
	for i := 0; i < 6; i++ {
		data = append(data, byte(chk>>(5*(5-i))&31))
	}
	return data
}
