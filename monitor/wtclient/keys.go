package wtclient

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// SessionKeys gives the client one static BOLT 8 key per session. lnd's
// tower knows a session only by the public key the client connects with
// (its session id), so every session needs its own key, and a key must
// never be used for two sessions: the client takes each index once and
// persists the next index before it uses one. lnd derives them from its
// key family 8 (KeyFamilyTowerSession); a host that wants its own
// derivation implements this interface.
type SessionKeys interface {
	// SessionKey returns the key of session index. The same index must
	// always give the same key.
	SessionKey(ctx context.Context, index uint32) (wire.NodeKey, error)
}

// SeedSessionKeys derives session keys from a 32-byte seed:
// HMAC-SHA256(seed, "lnkit wtclient session key" || index || counter), the
// first value that is a valid private key, with index a 4-byte and counter
// a 1-byte big-endian integer starting at 0. It is safe for concurrent
// use.
type SeedSessionKeys struct {
	seed [32]byte
}

// NewSeedSessionKeys returns keys derived from seed. Use a seed of its own,
// derived from the node seed, not the node seed itself.
func NewSeedSessionKeys(seed [32]byte) *SeedSessionKeys { return &SeedSessionKeys{seed: seed} }

// sessionKeyLabel is the derivation's label.
const sessionKeyLabel = "lnkit wtclient session key"

// SessionKey implements SessionKeys.
func (s *SeedSessionKeys) SessionKey(ctx context.Context, index uint32) (wire.NodeKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for counter := 0; ; counter++ {
		mac := hmac.New(sha256.New, s.seed[:])
		mac.Write([]byte(sessionKeyLabel))
		var n [5]byte
		binary.BigEndian.PutUint32(n[:4], index)
		n[4] = byte(counter)
		mac.Write(n[:])
		var k btcec.ModNScalar
		if overflow := k.SetByteSlice(mac.Sum(nil)); overflow || k.IsZero() {
			continue // probability about 2^-128
		}
		return wire.NewPrivateNodeKey(btcec.PrivKeyFromScalar(&k)), nil
	}
}
