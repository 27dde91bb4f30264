package wire

import (
	"math/rand"
	"reflect"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
)

// This file holds a seeded generator of random message values for the
// round-trip, truncation and fuzz-seed tests. It fills exported fields by
// reflection; messages whose fields are constrained by one another register
// a fixup in msgFixups (from their own _test.go file).

// msgFixups adjusts a generated message so that it satisfies the invariants
// its encoder relies on.
var msgFixups = map[MessageType]func(rng *rand.Rand, m Message){}

var (
	typPoint     = reflect.TypeOf(Point{})
	typSignature = reflect.TypeOf(Signature{})
	typSCID      = reflect.TypeOf(ShortChannelID{})
	typExtra     = reflect.TypeOf(ExtraTLVs{})
	typFeatures  = reflect.TypeOf(FeatureVector{})
	typAmount    = reflect.TypeOf(btcutil.Amount(0))
)

// randomPoint returns a valid compressed point.
func randomPoint(rng *rand.Rand) Point {
	var k [32]byte
	rng.Read(k[:])
	k[0] &= 0x7f
	k[31] |= 1
	priv, _ := btcec.PrivKeyFromBytes(k[:])
	return NewPoint(priv.PubKey())
}

// randomSignature returns 64 bytes with r and s below the group order.
func randomSignature(rng *rand.Rand) Signature {
	var s Signature
	rng.Read(s[:])
	s[0] &= 0x7f
	s[32] &= 0x7f
	return s
}

// randomSCID returns a short channel id whose parts fit their bit widths.
func randomSCID(rng *rand.Rand) ShortChannelID {
	return ShortChannelID{
		BlockHeight: uint32(rng.Intn(1 << 24)),
		TxIndex:     uint32(rng.Intn(1 << 24)),
		OutputIndex: uint16(rng.Intn(1 << 16)),
	}
}

// randomExtra returns 0 to 3 unknown odd records above every type a message
// in this package defines.
func randomExtra(rng *rand.Rand) ExtraTLVs {
	n := rng.Intn(4)
	if n == 0 {
		return nil
	}
	var e ExtraTLVs
	typ := uint64(1_000_001)
	for i := 0; i < n; i++ {
		typ += 2 * uint64(1+rng.Intn(1000))
		e = append(e, TLVRecord{Type: typ, Value: randomBytes(rng, 40)})
	}
	return e
}

// randomBytes returns nil or 1..max random bytes.
func randomBytes(rng *rand.Rand, max int) []byte {
	n := rng.Intn(max + 1)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	rng.Read(b)
	return b
}

// randomMessage returns a random message of type t, or nil if t is unknown.
func randomMessage(rng *rand.Rand, t MessageType) Message {
	m := NewMessage(t)
	if m == nil {
		return nil
	}
	fill(rng, reflect.ValueOf(m).Elem(), 0)
	if fix := msgFixups[t]; fix != nil {
		fix(rng, m)
	}
	return m
}

// fill sets v to a random value.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Type() {
	case typPoint:
		v.Set(reflect.ValueOf(randomPoint(rng)))
		return
	case typSignature:
		v.Set(reflect.ValueOf(randomSignature(rng)))
		return
	case typSCID:
		v.Set(reflect.ValueOf(randomSCID(rng)))
		return
	case typExtra:
		v.Set(reflect.ValueOf(randomExtra(rng)))
		return
	case typFeatures:
		v.Set(reflect.ValueOf(FeatureVector(randomBytes(rng, 8))))
		return
	case typAmount:
		// Within the bitcoin supply, as encoders require. The s64
		// fields get a random sign from their fixups.
		v.SetInt(rng.Int63n(btcutil.MaxSatoshi + 1))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(rng.Intn(2) == 1)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(rng.Uint64())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(int64(rng.Uint64()))
	case reflect.String:
		v.SetString(string(randomBytes(rng, 20)))
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			rng.Read(b)
			reflect.Copy(v, reflect.ValueOf(b))
			return
		}
		for i := 0; i < v.Len(); i++ {
			fill(rng, v.Index(i), depth+1)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes(randomBytes(rng, 64))
			return
		}
		n := rng.Intn(4)
		if depth > 3 || n == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fill(rng, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Pointer:
		if depth > 3 || rng.Intn(2) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(rng, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), depth+1)
			}
		}
	}
}
