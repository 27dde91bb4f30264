package revocation

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// MaxIndex is the first and highest shachain index, 2^48-1. Commitment number
// n uses index MaxIndex-n: indexes count down as the channel advances.
const MaxIndex uint64 = 1<<48 - 1

// indexBits is the width of a shachain index.
const indexBits = 48

// Secret is a 32-byte per-commitment secret (BOLT 3, "Per-commitment Secret
// Requirements"). Its String method does not reveal it.
type Secret [32]byte

// String implements fmt.Stringer without printing the secret itself.
func (s Secret) String() string { return "revocation.Secret(redacted)" }

// Hex returns the secret in hex. Use it only where revealing the secret is
// intended, for example when sending it in revoke_and_ack.
func (s Secret) Hex() string { return hex.EncodeToString(s[:]) }

// Equal reports whether two secrets are equal, in constant time.
func (s Secret) Equal(o Secret) bool { return subtle.ConstantTimeCompare(s[:], o[:]) == 1 }

// PrivKey returns the secret as a private key (reduced mod n, as every
// implementation does when it turns a per-commitment secret into a key).
func (s Secret) PrivKey() *btcec.PrivateKey {
	k, _ := btcec.PrivKeyFromBytes(s[:])
	return k
}

// Point returns the per-commitment point secret·G.
func (s Secret) Point() *btcec.PublicKey {
	var k btcec.ModNScalar
	k.SetBytes((*[32]byte)(&s))
	var p btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &p)
	p.ToAffine()
	return btcec.NewPublicKey(&p.X, &p.Y)
}

// IndexForCommitment maps a commitment number (0 for the first commitment) to
// its shachain index, MaxIndex - n.
func IndexForCommitment(commitmentNumber uint64) (uint64, error) {
	if commitmentNumber > MaxIndex {
		return 0, fmt.Errorf("%w: commitment number %d", ErrIndexOutOfRange, commitmentNumber)
	}
	return MaxIndex - commitmentNumber, nil
}

// GenerateFromSeed is the spec's generate_from_seed(seed, I): starting from
// the seed, for every bit B of I from bit 47 down to bit 0 that is set, flip
// bit B of the value (bit B%8 of byte B/8) and hash it with SHA256.
func GenerateFromSeed(seed [32]byte, index uint64) (Secret, error) {
	if index > MaxIndex {
		return Secret{}, fmt.Errorf("%w: %d", ErrIndexOutOfRange, index)
	}
	return deriveSecret(Secret(seed), indexBits, index), nil
}

// deriveSecret applies the generation steps for the bits of index below bits
// to base. It derives the secret at index from the secret at the index whose
// low `bits` bits are zero and whose higher bits equal those of index.
func deriveSecret(base Secret, bits int, index uint64) Secret {
	v := base
	for b := bits - 1; b >= 0; b-- {
		if index>>uint(b)&1 == 1 {
			v[b/8] ^= 1 << uint(b%8)
			v = sha256.Sum256(v[:])
		}
	}
	return v
}

// Producer generates this node's per-commitment secrets and points from a
// 32-byte seed. It holds no other state and is safe for concurrent use.
type Producer struct {
	seed [32]byte
}

// NewProducer returns a Producer for seed. The seed must be secret and
// unique per channel.
func NewProducer(seed [32]byte) *Producer { return &Producer{seed: seed} }

// SecretAtIndex returns the secret at a shachain index.
func (p *Producer) SecretAtIndex(index uint64) (Secret, error) {
	return GenerateFromSeed(p.seed, index)
}

// Secret returns per_commitment_secret for a commitment number.
func (p *Producer) Secret(commitmentNumber uint64) (Secret, error) {
	idx, err := IndexForCommitment(commitmentNumber)
	if err != nil {
		return Secret{}, err
	}
	return GenerateFromSeed(p.seed, idx)
}

// Point returns per_commitment_point for a commitment number.
func (p *Producer) Point(commitmentNumber uint64) (*btcec.PublicKey, error) {
	s, err := p.Secret(commitmentNumber)
	if err != nil {
		return nil, err
	}
	return s.Point(), nil
}
