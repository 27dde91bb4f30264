package store

import (
	"errors"
	"strings"
	"testing"
)

func TestBatch(t *testing.T) {
	var b Batch
	v := []byte("value")
	b.Put("k", v)
	v[0] = 'X'
	b.Delete("d")
	b.Put("n", nil)
	if b.Len() != 3 || b.Err() != nil {
		t.Fatalf("Len %d Err %v", b.Len(), b.Err())
	}
	ops := b.Ops()
	if string(ops[0].Value) != "value" || ops[0].Delete || !ops[1].Delete || ops[1].Value != nil ||
		ops[2].Value == nil || len(ops[2].Value) != 0 {
		t.Fatalf("ops %+v", ops)
	}
	if want := 3*BatchOpOverhead + len("k") + len("value") + len("d") + len("n"); b.Size() != want {
		t.Fatalf("Size %d, want %d", b.Size(), want)
	}
}

func TestBatchErrors(t *testing.T) {
	cases := []struct {
		add  func(*Batch)
		want error
	}{
		{func(b *Batch) { b.Put("", nil) }, ErrInvalidKey},
		{func(b *Batch) { b.Delete("") }, ErrInvalidKey},
		{func(b *Batch) { b.Put(strings.Repeat("k", MaxKeySize+1), nil) }, ErrInvalidKey},
		{func(b *Batch) { b.Put("k", make([]byte, MaxValueSize+1)) }, ErrValueTooLarge},
	}
	for i, c := range cases {
		var b Batch
		b.Put("ok", []byte("1"))
		c.add(&b)
		b.Put("later", []byte("2")) // refused too: the batch is already invalid
		if !errors.Is(b.Err(), c.want) || b.Len() != 1 {
			t.Fatalf("case %d: Err %v Len %d", i, b.Err(), b.Len())
		}
		b.Reset()
		if b.Err() != nil || b.Len() != 0 || b.Size() != 0 {
			t.Fatalf("case %d: Reset left Err %v Len %d", i, b.Err(), b.Len())
		}
	}
	// Many small ops pass MaxBatchSize without any value being large.
	var b Batch
	v := make([]byte, 1<<20)
	for b.Err() == nil {
		b.Delete("d")
		b.Put("k", v)
	}
	if !errors.Is(b.Err(), ErrBatchTooLarge) || b.Size() > MaxBatchSize {
		t.Fatalf("Err %v Size %d", b.Err(), b.Size())
	}
}

func TestCheckKey(t *testing.T) {
	if CheckKey("k") != nil || CheckKey(strings.Repeat("\xff", MaxKeySize)) != nil {
		t.Fatal("valid keys refused")
	}
	if !errors.Is(CheckKey(""), ErrInvalidKey) || !errors.Is(CheckKey(strings.Repeat("k", MaxKeySize+1)), ErrInvalidKey) {
		t.Fatal("invalid keys accepted")
	}
	err := error(&CorruptError{Path: "p", Offset: 7, Reason: "r"})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "offset 7") {
		t.Fatalf("CorruptError: %v", err)
	}
}
