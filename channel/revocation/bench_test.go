package revocation

import (
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Floors and goals, as ratios within one run:
//
//   - BenchmarkRevocationPubkey ≈ BenchmarkFloorTwoTermMSM plus two SHA256
//     and point (de)serialization; it should be well under
//     2 × BenchmarkFloorScalarMult, the cost of computing the two products
//     separately (BenchmarkRevocationPubkeyTwoMults shows that approach).
//   - BenchmarkShachainDerive is measured in SHA256 compressions
//     (BenchmarkFloorSHA256): about 24 for a random index.

func benchInputs() (rb, pcp *btcec.PublicKey) {
	r := rand.New(rand.NewSource(42))
	var a, b [32]byte
	r.Read(a[:])
	r.Read(b[:])
	_, rb = btcec.PrivKeyFromBytes(a[:])
	_, pcp = btcec.PrivKeyFromBytes(b[:])
	return rb, pcp
}

func BenchmarkRevocationPubkey(b *testing.B) {
	rb, pcp := benchInputs()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DerivePubKey(rb, pcp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRevocationPubkeyTwoMults computes revocationpubkey the way most
// implementations do, with two separate variable-base multiplications and a
// point addition, for comparison.
func BenchmarkRevocationPubkeyTwoMults(b *testing.B) {
	rb, pcp := benchInputs()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h1, h2 := revocationTweaks(rb.SerializeCompressed(), pcp.SerializeCompressed())
		var p, q, sum btcec.JacobianPoint
		rb.AsJacobian(&p)
		pcp.AsJacobian(&q)
		btcec.ScalarMultNonConst(&h1, &p, &p)
		btcec.ScalarMultNonConst(&h2, &q, &q)
		btcec.AddNonConst(&p, &q, &sum)
		sum.ToAffine()
		_ = btcec.NewPublicKey(&sum.X, &sum.Y)
	}
}

func BenchmarkFloorTwoTermMSM(b *testing.B) {
	rb, pcp := benchInputs()
	h1, h2 := revocationTweaks(rb.SerializeCompressed(), pcp.SerializeCompressed())
	var p, q, out btcec.JacobianPoint
	rb.AsJacobian(&p)
	pcp.AsJacobian(&q)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		TwoTermMultiply(&h1, &p, &h2, &q, &out)
	}
}

func BenchmarkFloorScalarMult(b *testing.B) {
	rb, pcp := benchInputs()
	h1, _ := revocationTweaks(rb.SerializeCompressed(), pcp.SerializeCompressed())
	var p, out btcec.JacobianPoint
	rb.AsJacobian(&p)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		btcec.ScalarMultNonConst(&h1, &p, &out)
	}
}

func BenchmarkRevocationPrivkey(b *testing.B) {
	r := rand.New(rand.NewSource(43))
	var a, c [32]byte
	r.Read(a[:])
	r.Read(c[:])
	k1, _ := btcec.PrivKeyFromBytes(a[:])
	k2, _ := btcec.PrivKeyFromBytes(c[:])
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DerivePrivKey(k1, k2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShachainDerive(b *testing.B) {
	p := NewProducer([32]byte{7})
	r := rand.New(rand.NewSource(44))
	idx := make([]uint64, 1024)
	for i := range idx {
		idx[i] = r.Uint64() & MaxIndex
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.SecretAtIndex(idx[i%len(idx)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShachainStore inserts consecutive secrets (each checked against
// the stored ones) and looks up an older one, as a channel does per
// revoke_and_ack and per breach check.
func BenchmarkShachainStore(b *testing.B) {
	p := NewProducer([32]byte{8})
	secrets := make([]Secret, 1<<12)
	for i := range secrets {
		secrets[i], _ = p.Secret(uint64(i))
	}
	s := NewStore()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := uint64(i % len(secrets))
		if c == 0 {
			s = NewStore()
		}
		if err := s.InsertCommitment(c, secrets[c]); err != nil {
			b.Fatal(err)
		}
		if _, err := s.LookupCommitment(c / 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorSHA256(b *testing.B) {
	var v [32]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v = sha256.Sum256(v[:])
	}
}
