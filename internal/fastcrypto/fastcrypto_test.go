package fastcrypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

func newRand(seed byte) *rand.Rand { return rand.New(rand.NewChaCha8([32]byte{seed})) }

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randPoint returns k·G for a random k, in Jacobian form with Z ≠ 1.
func randPoint(r *rand.Rand) btcec.JacobianPoint {
	var k btcec.ModNScalar
	k.SetByteSlice(randBytes(r, 32))
	var p, q, sum btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &p)
	btcec.DoubleNonConst(&p, &q)
	btcec.AddNonConst(&p, &q, &sum) // 3kG, far from affine
	return sum
}

func stdHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// TestHMACMatchesStdlib compares HMACSHA256 and HMACKey with crypto/hmac
// for keys up to beyond one block and messages on both sides of the
// stack-buffer limit, split at every kind of place between a and b.
func TestHMACMatchesStdlib(t *testing.T) {
	r := newRand(1)
	for _, kl := range []int{0, 1, 3, 32, 63, 64, 65, 100, 200} {
		key := randBytes(r, kl)
		var k HMACKey
		k.Init(key)
		for _, ml := range []int{0, 1, 31, 32, 33, 64, 127, 128, 129, 300, 1332} {
			msg := randBytes(r, ml)
			want := stdHMAC(key, msg)
			for _, cut := range []int{0, ml / 3, ml} {
				var got, got2 [32]byte
				HMACSHA256(&got, key, msg[:cut], msg[cut:])
				k.Sum(&got2, msg[:cut], msg[cut:])
				if !bytes.Equal(got[:], want) || !bytes.Equal(got2[:], want) {
					t.Fatalf("key %d bytes, message %d bytes split at %d: differs from crypto/hmac", kl, ml, cut)
				}
			}
			h := sha256.New()
			h.Write(k.InnerPad())
			h.Write(msg)
			var mac [32]byte
			h.Sum(mac[:0])
			k.Finish(&mac, &mac)
			if !bytes.Equal(mac[:], want) {
				t.Fatalf("key %d bytes, message %d bytes: InnerPad/Finish differs from crypto/hmac", kl, ml)
			}
		}
	}
	// RFC 4231 test case 2.
	var mac [32]byte
	HMACSHA256(&mac, []byte("Jefe"), []byte("what do ya want "), []byte("for nothing?"))
	if hex.EncodeToString(mac[:]) != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("RFC 4231 case 2: %x", mac)
	}
}

func TestHash2AndScalars(t *testing.T) {
	r := newRand(2)
	for _, n := range []int{0, 33, 65, 66, 128, 129, 500} {
		msg := randBytes(r, n)
		for _, cut := range []int{0, n / 2, n} {
			if got, want := Hash2(msg[:cut], msg[cut:]), sha256.Sum256(msg); got != want {
				t.Fatalf("Hash2 of %d bytes split at %d differs from SHA256", n, cut)
			}
			k := HashToScalar(msg[:cut], msg[cut:])
			var want btcec.ModNScalar
			d := sha256.Sum256(msg)
			want.SetByteSlice(d[:])
			if !k.Equals(&want) {
				t.Fatalf("HashToScalar of %d bytes is not SHA256 mod n", n)
			}
		}
	}
	// A hash at or above n is reduced: n itself gives zero, n+1 one.
	n := [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}
	if s := ScalarFromHash(&n); !s.IsZero() {
		t.Fatal("ScalarFromHash(n) is not zero")
	}
	n[31]++
	var one btcec.ModNScalar
	one.SetInt(1)
	if s := ScalarFromHash(&n); !s.Equals(&one) {
		t.Fatal("ScalarFromHash(n+1) is not one")
	}
}

func TestPointEncoding(t *testing.T) {
	r := newRand(3)
	for i := 0; i < 50; i++ {
		p := randPoint(r)
		p.ToAffine()
		pub := btcec.NewPublicKey(&p.X, &p.Y)
		want := pub.SerializeCompressed()
		var c, c2 [33]byte
		Compress(&c, &p)
		CompressPubKey(&c2, pub)
		if !bytes.Equal(c[:], want) || c2 != c {
			t.Fatalf("point %d: compression differs from SerializeCompressed", i)
		}
		if HashPoint(&p) != sha256.Sum256(want) {
			t.Fatalf("point %d: HashPoint is not SHA256 of the compressed point", i)
		}
		var q btcec.JacobianPoint
		var k btcec.PublicKey
		if !ParsePoint(c[:], &q) || !ParsePubKey(&k, c[:]) {
			t.Fatalf("point %d: valid encoding refused", i)
		}
		if !q.X.Equals(&p.X) || !q.Y.Equals(&p.Y) || !q.Z.IsOne() || !k.IsEqual(pub) {
			t.Fatalf("point %d: parse does not give the point back", i)
		}
	}
}

// TestParseRefuses checks the encodings ParsePoint must refuse, each
// against btcec.ParsePubKey, and that a refusal leaves the output alone.
func TestParseRefuses(t *testing.T) {
	var g [33]byte
	CompressPubKey(&g, btcec.Generator())
	xTooBig := append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)
	notOnCurve := append([]byte{2}, make([]byte, 32)...)
	notOnCurve[32] = 5 // x = 5: x³ + 7 = 132 is not a square mod p
	for name, b := range map[string][]byte{
		"empty": nil, "short": g[:32], "long": append(g[:], 0), "prefix 04": append([]byte{4}, g[1:]...),
		"prefix 00": append([]byte{0}, g[1:]...), "x >= p": xTooBig, "not on curve": notOnCurve,
	} {
		if _, err := btcec.ParsePubKey(b); err == nil && len(b) == 33 {
			t.Fatalf("%s: test input is valid for btcec", name)
		}
		sentinel := randPoint(newRand(4))
		q := sentinel
		var k btcec.PublicKey
		if ParsePoint(b, &q) || ParsePubKey(&k, b) {
			t.Errorf("%s: accepted", name)
		}
		if q != sentinel || (k != btcec.PublicKey{}) {
			t.Errorf("%s: output changed on refusal", name)
		}
	}
}

func FuzzParsePoint(f *testing.F) {
	var g [33]byte
	CompressPubKey(&g, btcec.Generator())
	f.Add(g[:])
	f.Add(append([]byte{3}, g[1:]...))
	f.Add(append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...))
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p btcec.JacobianPoint
		ok := ParsePoint(b, &p)
		want, err := btcec.ParsePubKey(b)
		wantOK := err == nil && len(b) == 33
		if ok != wantOK {
			t.Fatalf("ParsePoint = %v, btcec.ParsePubKey error %v", ok, err)
		}
		if !ok {
			return
		}
		// Decode then encode gives the same bytes.
		var c [33]byte
		Compress(&c, &p)
		if !bytes.Equal(c[:], b) || !bytes.Equal(want.SerializeCompressed(), b) {
			t.Fatalf("%x re-encodes as %x", b, c)
		}
	})
}

func TestBatchToAffine(t *testing.T) {
	r := newRand(5)
	for _, n := range []int{1, 2, 3, 4, 16, 33} {
		pts := make([]btcec.JacobianPoint, n)
		ptrs := make([]*btcec.JacobianPoint, n)
		want := make([]btcec.JacobianPoint, n)
		for i := range pts {
			pts[i] = randPoint(r)
			if n == 3 && i == 1 {
				pts[i].ToAffine() // an affine point (Z = 1) among others
			}
			want[i] = pts[i]
			want[i].ToAffine()
			ptrs[i] = &pts[i]
		}
		var scratch []btcec.FieldVal // nil for odd n, exact for even
		if n%2 == 0 {
			scratch = make([]btcec.FieldVal, n)
		}
		if got := BatchToAffine(ptrs, scratch); got != -1 {
			t.Fatalf("n=%d: point %d reported at infinity", n, got)
		}
		for i := range pts {
			if !pts[i].X.Equals(&want[i].X) || !pts[i].Y.Equals(&want[i].Y) || !pts[i].Z.IsOne() {
				t.Fatalf("n=%d: point %d differs from ToAffine", n, i)
			}
		}
	}
	if BatchToAffine(nil, nil) != -1 {
		t.Fatal("empty batch failed")
	}
	// A point at infinity is reported by index and nothing changes.
	a, b := randPoint(r), randPoint(r)
	var inf btcec.JacobianPoint
	a0, b0 := a, b
	if got := BatchToAffine([]*btcec.JacobianPoint{&a, &inf, &b}, nil); got != 1 {
		t.Fatalf("infinity at 1 reported at %d", got)
	}
	if a != a0 || b != b0 {
		t.Fatal("points changed by a failed batch")
	}
}

func TestNoAllocs(t *testing.T) {
	r := newRand(6)
	key, long, short := randBytes(r, 32), randBytes(r, 1300), randBytes(r, 33)
	var out [32]byte
	var c [33]byte
	var k HMACKey
	k.Init(key)
	p1, p2 := randPoint(r), randPoint(r)
	var scratch [2]btcec.FieldVal
	var q btcec.JacobianPoint
	var pub btcec.PublicKey
	g := btcec.Generator()
	CompressPubKey(&c, g)
	for name, fn := range map[string]func(){
		"HMACSHA256 short": func() { HMACSHA256(&out, key, short, nil) },
		"HMACSHA256 long":  func() { HMACSHA256(&out, key, long, short) },
		"HMACKey inner": func() {
			h := sha256.New()
			h.Write(k.InnerPad())
			h.Write(long)
			h.Sum(out[:0])
			k.Finish(&out, &out)
		},
		"HashToScalar":   func() { s := HashToScalar(c[:], key); out[0] = byte(s.IsZeroBit()) },
		"CompressPubKey": func() { CompressPubKey(&c, g) },
		"HashPoint":      func() { out = HashPoint(&q) },
		"ParsePubKey":    func() { ParsePubKey(&pub, c[:]) },
		"ParsePoint":     func() { ParsePoint(c[:], &q) },
		"BatchToAffine": func() {
			a, b := p1, p2
			BatchToAffine([]*btcec.JacobianPoint{&a, &b}, scratch[:])
		},
	} {
		if n := testing.AllocsPerRun(20, fn); n != 0 {
			t.Errorf("%s allocates %v times", name, n)
		}
	}
}
