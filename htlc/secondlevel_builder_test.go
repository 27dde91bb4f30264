package htlc

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

func txBytes(t *testing.T, tx *btcwire.MsgTx) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSecondLevelBuilderMatchesNewSecondLevelTx builds random HTLC
// transactions both ways, for both channel types, past the builder's
// reserved count, including HTLCs below the fee and a bad direction.
func TestSecondLevelBuilderMatchesNewSecondLevelTx(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, ct := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		p := &SecondLevelParams{
			ChannelType:   ct,
			CommitTxHash:  chainhash.HashH([]byte("builder commitment")),
			FeeRate:       wire.SatPerKWeight(253 + rng.Intn(5000)),
			RevocationKey: testKey("builder revocation").PubKey(),
			DelayedKey:    testKey("builder delayed").PubKey(),
			ToSelfDelay:   uint16(rng.Intn(2000)),
		}
		b, err := NewSecondLevelBuilder(p, 20)
		if err != nil {
			t.Fatal(err)
		}
		var built, refused int
		for i := 0; i < 60; i++ {
			h := HTLC{ID: uint64(i), Direction: Offered, CLTVExpiry: rng.Uint32(),
				Amount: wire.MilliSatoshi(rng.Int63n(20_000_000))}
			if i%2 == 1 {
				h.Direction = Received
			}
			if i%10 == 3 { // below the fee (under anchors: below 1 sat)
				h.Amount = wire.MilliSatoshi(rng.Intn(1000))
			}
			if i == 59 {
				h.Direction = 0
			}
			idx := rng.Uint32()
			want, werr := NewSecondLevelTx(p, &h, idx)
			got, gerr := b.Build(&h, idx)
			if werr != nil || gerr != nil {
				if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
					t.Fatalf("%v HTLC %d: error %v, NewSecondLevelTx %v", ct, i, gerr, werr)
				}
				if !errors.Is(gerr, ErrBelowFee) && !errors.Is(gerr, ErrInvalidParams) {
					t.Fatalf("unexpected error %v", gerr)
				}
				refused++
				continue
			}
			if !bytes.Equal(txBytes(t, got), txBytes(t, want)) {
				t.Fatalf("%v HTLC %d differs", ct, i)
			}
			built++
		}
		if built <= 20 || refused < 2 {
			t.Fatalf("%v: %d built, %d refused: not every path covered", ct, built, refused)
		}
	}
	if _, err := NewSecondLevelBuilder(&SecondLevelParams{ChannelType: script.Anchors}, 1); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("missing keys: %v", err)
	}
}
