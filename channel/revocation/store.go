package revocation

import (
	"fmt"
	"math/bits"
)

// storeBuckets is the number of slots of the compact store: one per possible
// count of trailing zero bits of a 48-bit index (0 to 48).
const storeBuckets = indexBits + 1

type storeEntry struct {
	index  uint64
	secret Secret
}

// Store keeps the per-commitment secrets received from the counterparty in at
// most 49 slots (BOLT 3, "Efficient Per-commitment Secret Storage"). A secret
// whose index has b trailing zero bits can derive every secret whose index
// differs from it only in those b bits, so keeping the latest secret for each
// b is enough to recover every secret received so far.
//
// Secrets must be inserted in the order the channel reveals them: index
// 2^48-1 (commitment 0) first, then each index one below the previous. Insert
// checks every new secret against the stored secrets it must derive.
//
// The zero value is an empty store ready to use. A Store is not safe for
// concurrent use.
type Store struct {
	known    [storeBuckets]storeEntry
	have     uint64 // bit b set when known[b] holds a secret
	received uint64 // number of secrets inserted so far
}

// NewStore returns an empty store.
func NewStore() *Store { return new(Store) }

// bucketFor is the spec's where_to_put_secret: the number of trailing zero
// bits of index, 48 for index 0.
func bucketFor(index uint64) int {
	if index == 0 {
		return indexBits
	}
	return bits.TrailingZeros64(index)
}

// Received returns how many secrets have been inserted.
func (s *Store) Received() uint64 { return s.received }

// NextIndex returns the shachain index the next inserted secret must have,
// and false once all 2^48 secrets have been received.
func (s *Store) NextIndex() (uint64, bool) {
	if s.received > MaxIndex {
		return 0, false
	}
	return MaxIndex - s.received, true
}

// Insert is the spec's insert_secret: it stores the secret at index after
// checking that it derives every stored secret with an index below the
// spec's bucket for it. A secret that fails the check is refused with an
// *InconsistentSecretError (errors.Is ErrInconsistentSecret) and the store is
// left unchanged; the peer has sent a bad per_commitment_secret. An index
// other than NextIndex returns ErrUnexpectedIndex.
func (s *Store) Insert(index uint64, secret Secret) error {
	next, ok := s.NextIndex()
	if !ok || index != next {
		return fmt.Errorf("%w: got index %d, want %d", ErrUnexpectedIndex, index, next)
	}
	b := bucketFor(index)
	for i := 0; i < b; i++ {
		if s.have&(1<<uint(i)) == 0 {
			continue
		}
		if !deriveSecret(secret, b, s.known[i].index).Equal(s.known[i].secret) {
			return &InconsistentSecretError{Index: index, Conflict: s.known[i].index}
		}
	}
	s.known[b] = storeEntry{index: index, secret: secret}
	s.have |= 1 << uint(b)
	s.received++
	return nil
}

// InsertCommitment inserts the per_commitment_secret of a commitment number.
func (s *Store) InsertCommitment(commitmentNumber uint64, secret Secret) error {
	idx, err := IndexForCommitment(commitmentNumber)
	if err != nil {
		return err
	}
	return s.Insert(idx, secret)
}

// Lookup is the spec's derive_old_secret: it returns the secret at any index
// received so far, derived from the stored secret that covers it. Indexes
// not received yet return ErrUnknownSecret.
func (s *Store) Lookup(index uint64) (Secret, error) {
	if index > MaxIndex {
		return Secret{}, fmt.Errorf("%w: %d", ErrIndexOutOfRange, index)
	}
	for b := 0; b < storeBuckets; b++ {
		if s.have&(1<<uint(b)) == 0 {
			continue
		}
		mask := ^(uint64(1)<<uint(b) - 1)
		if index&mask == s.known[b].index {
			return deriveSecret(s.known[b].secret, b, index), nil
		}
	}
	return Secret{}, fmt.Errorf("%w: index %d", ErrUnknownSecret, index)
}

// LookupCommitment returns the per_commitment_secret of a revoked commitment
// number.
func (s *Store) LookupCommitment(commitmentNumber uint64) (Secret, error) {
	idx, err := IndexForCommitment(commitmentNumber)
	if err != nil {
		return Secret{}, err
	}
	return s.Lookup(idx)
}
