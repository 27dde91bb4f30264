package channel

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// TestKeyVerifierMatchesECDSA compares keyVerifier with ToECDSA + Verify
// on valid signatures, their high-S twins, signatures of other digests or
// keys, corrupted bytes, and r or s zero, at n or above, or small enough
// to take the r + n branch.
func TestKeyVerifierMatchesECDSA(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var nBytes [32]byte
	var nMinus1 btcec.ModNScalar
	nMinus1.SetInt(1).Negate()
	nMinus1.PutBytes(&nBytes)
	nBytes[31]++ // n
	var accepted, rejected int
	for k := 0; k < 8; k++ {
		key := scripttest.Key(fmt.Sprint("verifier ", k))
		v := newKeyVerifier(key.PubKey())
		other := scripttest.Key(fmt.Sprint("other ", k))
		for i := 0; i < 25; i++ {
			var digest, wrong [32]byte
			rng.Read(digest[:])
			rng.Read(wrong[:])
			good := wire.NewSignature(ecdsa.Sign(key, digest[:]))
			highS := good
			var s btcec.ModNScalar
			s.SetByteSlice(good[32:])
			s.Negate().PutBytesUnchecked(highS[32:])
			flipped := good
			flipped[rng.Intn(64)] ^= byte(1 << rng.Intn(8))
			var small wire.Signature
			copy(small[32-8:32], good[:8]) // r < 2^64, far below p - n
			copy(small[32:], good[32:])
			zeroR, zeroS, bigR, bigS, maxR := good, good, good, good, good
			clear(zeroR[:32])
			clear(zeroS[32:])
			copy(bigR[:32], nBytes[:])
			copy(bigS[32:], nBytes[:])
			for j := 0; j < 32; j++ {
				maxR[j] = 0xff
			}
			var garbage wire.Signature
			rng.Read(garbage[:])
			for _, c := range []struct {
				sig    wire.Signature
				digest [32]byte
			}{
				{good, digest}, {highS, digest}, {good, wrong}, {flipped, digest}, {small, digest},
				{zeroR, digest}, {zeroS, digest}, {bigR, digest}, {bigS, digest}, {maxR, digest},
				{garbage, digest}, {wire.NewSignature(ecdsa.Sign(other, digest[:])), digest},
			} {
				want := verifySig(c.sig, c.digest[:], key.PubKey())
				if got := v.verify(c.sig, &c.digest); got != want {
					t.Fatalf("key %d case %d: keyVerifier %v, ecdsa %v for %x", k, i, got, want, c.sig)
				}
				if want {
					accepted++
				} else {
					rejected++
				}
			}
		}
	}
	// The same cases in batches, with their s inverted together.
	for k := 0; k < 3; k++ {
		key := scripttest.Key(fmt.Sprint("batch verifier ", k))
		v := newKeyVerifier(key.PubKey())
		sigs := make([]wire.Signature, 40)
		digests := make([][32]byte, len(sigs))
		for i := range sigs {
			rng.Read(digests[i][:])
			sigs[i] = wire.NewSignature(ecdsa.Sign(key, digests[i][:]))
			switch i % 5 {
			case 1:
				clear(sigs[i][32:]) // s = 0: skipped by the shared inversion
			case 2:
				copy(sigs[i][:32], nBytes[:]) // r = n
			case 3:
				sigs[i][40] ^= 4
			}
		}
		parsed := parseSigs(sigs)
		for i := range sigs {
			want := verifySig(sigs[i], digests[i][:], key.PubKey())
			if got := v.verifyParsed(&parsed[i], &digests[i]); got != want {
				t.Fatalf("batch %d signature %d: keyVerifier %v, ecdsa %v", k, i, got, want)
			}
		}
	}
	if len(parseSigs(nil)) != 0 {
		t.Fatal("parseSigs(nil)")
	}
	if accepted < 2*8*25 || rejected == 0 {
		t.Fatalf("%d accepted, %d rejected: valid and high-S signatures must pass", accepted, rejected)
	}
}
