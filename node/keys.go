package node

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
)

// Key derivation.
//
// Every secret of a node comes from its seed, so that the seed (and a
// static channel backup) are enough to recover funds:
//
//	secret(purpose, index) = HMAC-SHA256(seed, "lnkit/v1/" || purpose || "/" || index as 4 bytes big-endian || counter)
//
// with counter a single byte, 0 unless the result is not a valid secp256k1
// scalar (probability about 2^-128), in which case the next counter is
// used. Purposes: "node" (index 0) is the node key; for channel key index
// i, "funding", "revocation", "payment", "delayed", "htlc" are the five
// basepoint secrets and "shachain" the per-commitment secret seed;
// the static channel backup's key is package backup's DeriveKey of the
// same seed. Channel key indexes are allocated in order and stored with
// each channel (and in its backup).

const keyLabel = "lnkit/v1/"

// keychain derives the node's secrets from its seed.
type keychain struct {
	seed []byte
}

func newKeychain(seed []byte) (*keychain, error) {
	if len(seed) < 16 || len(seed) > 64 {
		return nil, fmt.Errorf("node: seed of %d bytes, want 16 to 64", len(seed))
	}
	return &keychain{seed: append([]byte(nil), seed...)}, nil
}

func (k *keychain) raw(purpose string, index uint32, counter byte) [32]byte {
	mac := hmac.New(sha256.New, k.seed)
	mac.Write([]byte(keyLabel + purpose + "/"))
	var b [5]byte
	binary.BigEndian.PutUint32(b[:4], index)
	b[4] = counter
	mac.Write(b[:])
	var out [32]byte
	copy(out[:], mac.Sum(nil))
	return out
}

// privKey derives a private key for purpose and index.
func (k *keychain) privKey(purpose string, index uint32) *btcec.PrivateKey {
	for c := byte(0); ; c++ {
		b := k.raw(purpose, index, c)
		var s btcec.ModNScalar
		if overflow := s.SetBytes(&b); overflow == 0 && !s.IsZero() {
			return btcec.PrivKeyFromScalar(&s)
		}
	}
}

// nodeKey is the node's identity key.
func (k *keychain) nodeKey() *btcec.PrivateKey { return k.privKey("node", 0) }

// channelSecrets are the basepoint secrets of channel key index i.
func (k *keychain) channelSecrets(i uint32) channel.BasepointSecrets {
	return channel.BasepointSecrets{
		Funding:        k.privKey("funding", i),
		Revocation:     k.privKey("revocation", i),
		Payment:        k.privKey("payment", i),
		DelayedPayment: k.privKey("delayed", i),
		HTLC:           k.privKey("htlc", i),
	}
}

// shachain is the per-commitment secret producer of channel key index i.
func (k *keychain) shachain(i uint32) *revocation.Producer {
	return revocation.NewProducer(k.raw("shachain", i, 0))
}
