package wire_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

func nodeKeyFromSeed(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// TestPrivateNodeKeyECDH checks the shared secret against its definition,
// SHA256(compressed(k·P)) computed with btcec's big-integer API, and
// that both sides of the exchange agree.
func TestPrivateNodeKeyECDH(t *testing.T) {
	a, b := nodeKeyFromSeed("a"), nodeKeyFromSeed("b")
	ka, kb := wire.NewPrivateNodeKey(a), wire.NewPrivateNodeKey(b)
	if !ka.PubKey().IsEqual(a.PubKey()) {
		t.Fatal("PubKey is not the private key's")
	}
	ab, err := ka.ECDH(b.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	ba, err := kb.ECDH(a.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	x, y := btcec.S256().ScalarMult(b.PubKey().X(), b.PubKey().Y(), a.Serialize())
	var fx, fy btcec.FieldVal
	fx.SetByteSlice(x.Bytes())
	fy.SetByteSlice(y.Bytes())
	want := sha256.Sum256(btcec.NewPublicKey(&fx, &fy).SerializeCompressed())
	if ab != want || ba != want {
		t.Fatalf("ECDH %x / %x, want %x", ab, ba, want)
	}
}

// TestPrivateNodeKeyCopies checks that the key keeps its own copy of the
// scalar, and that PrivKey hands out a copy too.
func TestPrivateNodeKeyCopies(t *testing.T) {
	priv := nodeKeyFromSeed("copy")
	pub := priv.PubKey()
	k := wire.NewPrivateNodeKey(priv)
	priv.Zero()
	got := k.PrivKey()
	if !got.PubKey().IsEqual(pub) || !k.PubKey().IsEqual(pub) {
		t.Fatal("key changed with the caller's private key")
	}
	got.Zero()
	if !k.PrivKey().PubKey().IsEqual(pub) {
		t.Fatal("PrivKey returned the key's own scalar")
	}
}

// TestPrivateNodeKeyInvalid covers the inputs that must fail rather than
// compute a meaningless secret: a nil or zero private key, a nil public
// key, and a public key off the curve.
func TestPrivateNodeKeyInvalid(t *testing.T) {
	for name, k := range map[string]*wire.PrivateNodeKey{
		"nil":  wire.NewPrivateNodeKey(nil),
		"zero": wire.NewPrivateNodeKey(&btcec.PrivateKey{}),
	} {
		if k.PubKey() != nil || k.PrivKey() != nil {
			t.Errorf("%s: has a public key", name)
		}
		if _, err := k.ECDH(nodeKeyFromSeed("x").PubKey()); !errors.Is(err, wire.ErrInvalidNodeKey) {
			t.Errorf("%s: ECDH error %v", name, err)
		}
	}
	k := wire.NewPrivateNodeKey(nodeKeyFromSeed("valid"))
	var x, y btcec.FieldVal
	x.SetInt(1)
	y.SetInt(1)
	for name, pub := range map[string]*btcec.PublicKey{
		"nil public key": nil,
		"off the curve":  btcec.NewPublicKey(&x, &y),
	} {
		if _, err := k.ECDH(pub); !errors.Is(err, wire.ErrInvalidPoint) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkPrivateNodeKeyECDH is one ECDH through the interface.
func BenchmarkPrivateNodeKeyECDH(b *testing.B) {
	var k wire.NodeKey = wire.NewPrivateNodeKey(nodeKeyFromSeed("bench"))
	pub := nodeKeyFromSeed("peer").PubKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.ECDH(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorScalarMultNonConst is the floor of
// BenchmarkPrivateNodeKeyECDH: btcec's variable-base multiplication and
// affine conversion, without hashing.
func BenchmarkFloorScalarMultNonConst(b *testing.B) {
	k := nodeKeyFromSeed("bench")
	var p, r btcec.JacobianPoint
	nodeKeyFromSeed("peer").PubKey().AsJacobian(&p)
	b.ReportAllocs()
	for b.Loop() {
		btcec.ScalarMultNonConst(&k.Key, &p, &r)
		r.ToAffine()
	}
}

// ExampleNewPrivateNodeKey shows two nodes deriving the same shared
// secret, each with its own key and the other's public key.
func ExampleNewPrivateNodeKey() {
	alice := wire.NewPrivateNodeKey(nodeKeyFromSeed("alice"))
	bob := wire.NewPrivateNodeKey(nodeKeyFromSeed("bob"))

	var key wire.NodeKey = alice // what peer and onion take
	s1, _ := key.ECDH(bob.PubKey())
	s2, _ := bob.ECDH(alice.PubKey())
	fmt.Println(s1 == s2)
	// Output: true
}
