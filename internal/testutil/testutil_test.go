package testutil

import (
	"fmt"
	"strings"
	"testing"
)

// fakeTB records the first Fatalf and stops the helper there, as
// testing.T's FailNow would, by panicking with errFatal.
type fakeTB struct {
	testing.TB
	msg string
}

type fatal struct{}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatal{})
}

// fails runs fn against a fakeTB and returns the message it failed with,
// or "" if it did not fail.
func fails(fn func(tb testing.TB)) (msg string) {
	tb := &fakeTB{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatal); !ok {
				panic(r)
			}
			msg = tb.msg
		}
	}()
	fn(tb)
	return ""
}

func TestHex(t *testing.T) {
	if got := Hex(t, "00Ff"); string(got) != "\x00\xff" {
		t.Fatalf("Hex = %x", got)
	}
	if got := Hex(t, "0x0102"); string(got) != "\x01\x02" {
		t.Fatalf("Hex with 0x = %x", got)
	}
	if got := Hex32(t, strings.Repeat("ab", 32)); got[31] != 0xab {
		t.Fatalf("Hex32 = %x", got)
	}
	if got := MustHex("0x0a"); string(got) != "\n" {
		t.Fatalf("MustHex = %x", got)
	}
	for name, fn := range map[string]func(testing.TB){
		"odd":   func(tb testing.TB) { Hex(tb, "abc") },
		"digit": func(tb testing.TB) { Hex(tb, "zz") },
		"short": func(tb testing.TB) { Hex32(tb, "00") },
	} {
		if fails(fn) == "" {
			t.Errorf("%s: bad hex accepted", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustHex accepted bad hex")
		}
	}()
	MustHex("g")
}

func TestKeysAndTx(t *testing.T) {
	// BOLT 3 Appendix E's base secret and point.
	priv := PrivKey(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01")
	pub := PubKey(t, "036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2")
	if !priv.PubKey().IsEqual(pub) {
		t.Fatal("PrivKey and PubKey disagree with Appendix E")
	}
	if fails(func(tb testing.TB) { PubKey(tb, "02"+strings.Repeat("00", 32)) }) == "" {
		t.Error("invalid point accepted")
	}
	if fails(func(tb testing.TB) { PrivKey(tb, "0001") }) == "" {
		t.Error("short private key accepted")
	}
	// A version-2 transaction with one input and no outputs.
	tx := Tx(t, "02000000"+"01"+strings.Repeat("00", 32)+"ffffffff"+"00"+"fdffffff"+"00"+"00000000")
	if tx.Version != 2 || len(tx.TxIn) != 1 || tx.TxIn[0].Sequence != 0xfffffffd || len(tx.TxOut) != 0 {
		t.Fatalf("Tx = %+v", tx)
	}
	if fails(func(tb testing.TB) { Tx(tb, "0200") }) == "" {
		t.Error("truncated transaction accepted")
	}
}

func TestLoadJSON(t *testing.T) {
	var v struct {
		Name string `json:"name"`
		Hex  string `json:"hex"`
	}
	LoadJSON(t, "sample.json", &v)
	if v.Name != "vector" || string(Hex(t, v.Hex)) != "\x00\xff" {
		t.Fatalf("LoadJSON = %+v", v)
	}
	if msg := fails(func(tb testing.TB) { LoadJSON(tb, "missing.json", &v) }); !strings.Contains(msg, "missing.json") {
		t.Errorf("missing file: %q", msg)
	}
	if msg := fails(func(tb testing.TB) { LoadJSON(tb, "sample.json", new(int)) }); !strings.Contains(msg, "sample.json") {
		t.Errorf("wrong shape: %q", msg)
	}
}
