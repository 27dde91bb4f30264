package revocation

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// storeVersion is the first byte of an encoded Store.
const storeVersion = 1

// storeHeaderLen is the version byte plus the 8-byte count of secrets.
const storeHeaderLen = 1 + 8

// MaxEncodedStoreLen is the length of the largest encoded Store.
const MaxEncodedStoreLen = storeHeaderLen + storeBuckets*32

// The encoding of a Store is:
//
//	version (1 byte, 1) || received (8 bytes, big-endian, at most 2^48)
//	|| the secret of every occupied slot, slot 0 first (32 bytes each)
//
// The occupied slots and their indexes follow from received alone, because
// secrets are inserted at consecutive indexes counting down from 2^48-1, so
// the encoding is canonical: decoding and encoding again gives the same bytes.

// MarshalBinary implements encoding.BinaryMarshaler.
func (s *Store) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, storeHeaderLen+bits.OnesCount64(s.have)*32))
}

// AppendBinary appends the encoding of the store to b.
func (s *Store) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, storeVersion)
	b = binary.BigEndian.AppendUint64(b, s.received)
	for i := 0; i < storeBuckets; i++ {
		if s.have&(1<<uint(i)) != 0 {
			b = append(b, s.known[i].secret[:]...)
		}
	}
	return b, nil
}

// DecodeStore parses an encoded Store. It rejects a wrong version, a count
// above 2^48, a length that does not match the slots the count implies, and
// secrets that are not consistent with one another (the checks Insert makes
// on every secret). Errors wrap ErrMalformedStore or ErrInconsistentSecret.
func DecodeStore(b []byte) (*Store, error) {
	s := new(Store)
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return s, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler; see DecodeStore. On
// error the store is left unchanged.
func (s *Store) UnmarshalBinary(b []byte) error {
	if len(b) < storeHeaderLen {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformedStore, len(b), storeHeaderLen)
	}
	if b[0] != storeVersion {
		return fmt.Errorf("%w: unknown version %d", ErrMalformedStore, b[0])
	}
	received := binary.BigEndian.Uint64(b[1:storeHeaderLen])
	if received > MaxIndex+1 {
		return fmt.Errorf("%w: %d secrets exceed 2^48", ErrMalformedStore, received)
	}
	var out Store
	out.received = received
	if received > 0 {
		last := MaxIndex - (received - 1) // lowest index received
		for i := 0; i < storeBuckets; i++ {
			if idx, ok := slotIndex(last, i); ok {
				out.known[i].index = idx
				out.have |= 1 << uint(i)
			}
		}
	}
	body := b[storeHeaderLen:]
	if want := bits.OnesCount64(out.have) * 32; len(body) != want {
		return fmt.Errorf("%w: %d bytes of secrets for %d secrets received, want %d",
			ErrMalformedStore, len(body), received, want)
	}
	for i := 0; i < storeBuckets; i++ {
		if out.have&(1<<uint(i)) != 0 {
			copy(out.known[i].secret[:], body[:32])
			body = body[32:]
		}
	}
	// Every stored secret must derive each stored secret that was inserted
	// before it and lies in its subtree: exactly the checks Insert made.
	for i := 1; i < storeBuckets; i++ {
		if out.have&(1<<uint(i)) == 0 {
			continue
		}
		for j := 0; j < i; j++ {
			if out.have&(1<<uint(j)) == 0 || out.known[j].index < out.known[i].index {
				continue
			}
			if !deriveSecret(out.known[i].secret, i, out.known[j].index).Equal(out.known[j].secret) {
				return fmt.Errorf("%w: %w", ErrMalformedStore,
					&InconsistentSecretError{Index: out.known[i].index, Conflict: out.known[j].index})
			}
		}
	}
	*s = out
	return nil
}

// slotIndex returns the index held by slot b once every index from MaxIndex
// down to last has been inserted: the lowest such index with exactly b
// trailing zero bits, if there is one.
func slotIndex(last uint64, b int) (uint64, bool) {
	if b == indexBits {
		return 0, last == 0
	}
	m := (last + (1<<uint(b) - 1)) >> uint(b) // ceil(last / 2^b)
	if m&1 == 0 {
		m++
	}
	idx := m << uint(b)
	return idx, idx <= MaxIndex
}
