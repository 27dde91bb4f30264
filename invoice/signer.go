package invoice

import (
	"context"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// Signer signs invoices with the payee's node key. Implement it to keep the
// key in an HSM or a remote signer.
type Signer interface {
	// PubKey returns the node id the signatures verify against.
	PubKey() *btcec.PublicKey

	// SignInvoiceHash signs the 32-byte SHA256 of an invoice's signing
	// data and returns r (32 bytes) || s (32 bytes) || recovery id (0-3),
	// the layout BOLT 11 writes. A high-S signature is accepted and
	// normalised (s to n-s, recovery id flipped) by the caller.
	SignInvoiceHash(ctx context.Context, hash [32]byte) ([SignatureSize]byte, error)
}

// KeySigner is the in-memory Signer: it holds a private key and signs with
// RFC 6979 deterministic nonces, as the BOLT 11 examples do. It is safe for
// concurrent use.
type KeySigner struct {
	key *btcec.PrivateKey
	pub *btcec.PublicKey
}

// NewKeySigner returns a Signer for key.
func NewKeySigner(key *btcec.PrivateKey) *KeySigner {
	return &KeySigner{key: key, pub: key.PubKey()}
}

// PubKey returns the public key of the signer.
func (k *KeySigner) PubKey() *btcec.PublicKey { return k.pub }

// SignInvoiceHash signs hash (see Signer).
func (k *KeySigner) SignInvoiceHash(ctx context.Context, hash [32]byte) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	if err := ctx.Err(); err != nil {
		return out, err
	}
	// SignCompact returns the header byte 27 + 4 (compressed) + recovery
	// id, then r and s.
	c := ecdsa.SignCompact(k.key, hash[:], true)
	copy(out[:64], c[1:])
	out[64] = c[0] - 27 - 4
	return out, nil
}
