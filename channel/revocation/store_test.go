package revocation

import (
	"errors"
	"testing"
)

func TestStoreOrderAndLookup(t *testing.T) {
	p := NewProducer([32]byte{0xaa})
	s := NewStore()
	if _, err := s.Lookup(MaxIndex); !errors.Is(err, ErrUnknownSecret) {
		t.Fatalf("empty store lookup: %v", err)
	}
	first, _ := p.Secret(0)
	if err := s.Insert(MaxIndex-1, first); !errors.Is(err, ErrUnexpectedIndex) {
		t.Fatalf("first insert must be at 2^48-1: %v", err)
	}
	const n = 3000
	for c := uint64(0); c < n; c++ {
		sec, _ := p.Secret(c)
		if err := s.InsertCommitment(c, sec); err != nil {
			t.Fatalf("insert %d: %v", c, err)
		}
		// Never more than 49 slots, and the store's count is right.
		if s.Received() != c+1 {
			t.Fatal("Received is wrong")
		}
	}
	// Replaying or skipping an index is refused.
	old, _ := p.Secret(5)
	if err := s.InsertCommitment(5, old); !errors.Is(err, ErrUnexpectedIndex) {
		t.Fatalf("replayed index accepted: %v", err)
	}
	skip, _ := p.Secret(n + 1)
	if err := s.InsertCommitment(n+1, skip); !errors.Is(err, ErrUnexpectedIndex) {
		t.Fatalf("skipped index accepted: %v", err)
	}
	for c := uint64(0); c < n; c++ {
		want, _ := p.Secret(c)
		got, err := s.LookupCommitment(c)
		if err != nil || got != want {
			t.Fatalf("lookup %d: %v", c, err)
		}
	}
	if _, err := s.LookupCommitment(n); !errors.Is(err, ErrUnknownSecret) {
		t.Fatalf("future secret: %v", err)
	}
	if _, err := s.Lookup(MaxIndex + 1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatalf("index past 48 bits: %v", err)
	}
	if _, err := s.LookupCommitment(MaxIndex + 1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatalf("commitment past 48 bits: %v", err)
	}
}

// TestStoreRejectsForgery inserts, at every position of a long sequence, a
// secret from a different seed and checks that it is refused exactly when it
// must derive something already stored, and that the store is unchanged.
func TestStoreRejectsForgery(t *testing.T) {
	good := NewProducer([32]byte{1})
	evil := NewProducer([32]byte{2})
	s := NewStore()
	for c := uint64(0); c < 300; c++ {
		bad, _ := evil.Secret(c)
		idx := MaxIndex - c
		before := *s
		err := s.InsertCommitment(c, bad)
		if bucketFor(idx) > 0 && c > 0 {
			if !errors.Is(err, ErrInconsistentSecret) {
				t.Fatalf("commitment %d: forged secret accepted: %v", c, err)
			}
			if *s != before {
				t.Fatal("refused insert changed the store")
			}
		} else if err == nil {
			// A secret in slot 0 derives nothing, so it is only caught
			// by the next insert; undo it for the rest of the test.
			*s = before
		}
		sec, _ := good.Secret(c)
		if err := s.InsertCommitment(c, sec); err != nil {
			t.Fatalf("commitment %d: %v", c, err)
		}
	}
}

func TestProducerPoint(t *testing.T) {
	p := NewProducer([32]byte{3})
	sec, _ := p.Secret(10)
	pt, err := p.Point(10)
	if err != nil || !pt.IsEqual(sec.PrivKey().PubKey()) {
		t.Fatal("Point is not secret·G")
	}
	if _, err := p.Secret(MaxIndex + 1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatal("commitment number past 2^48-1 accepted")
	}
	if _, err := GenerateFromSeed([32]byte{}, MaxIndex+1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatal("index past 2^48-1 accepted")
	}
	if _, err := p.Point(MaxIndex + 1); err == nil {
		t.Fatal("Point past range accepted")
	}
}

func TestStoreCodec(t *testing.T) {
	p := NewProducer([32]byte{4})
	s := NewStore()
	for c := uint64(0); c < 1100; c++ {
		enc, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := DecodeStore(enc)
		if err != nil {
			t.Fatalf("after %d secrets: %v", c, err)
		}
		if *dec != *s {
			t.Fatalf("after %d secrets: decoded store differs", c)
		}
		sec, _ := p.Secret(c)
		if err := s.InsertCommitment(c, sec); err != nil {
			t.Fatal(err)
		}
	}
	enc, _ := s.MarshalBinary()

	// Truncated, extended, bad version, count beyond 2^48.
	for _, bad := range [][]byte{nil, enc[:5], enc[:len(enc)-1], append(append([]byte{}, enc...), 0)} {
		if _, err := DecodeStore(bad); !errors.Is(err, ErrMalformedStore) {
			t.Errorf("len %d accepted: %v", len(bad), err)
		}
	}
	v := append([]byte{}, enc...)
	v[0] = 2
	if _, err := DecodeStore(v); !errors.Is(err, ErrMalformedStore) {
		t.Error("unknown version accepted")
	}
	big := []byte{1, 0, 1, 0, 0, 0, 0, 0, 1}
	if _, err := DecodeStore(big); !errors.Is(err, ErrMalformedStore) {
		t.Error("count above 2^48 accepted")
	}
	// A flipped bit in any stored secret that another secret must derive
	// is caught.
	caught := 0
	for i := storeHeaderLen; i < len(enc); i += 32 {
		c := append([]byte{}, enc...)
		c[i] ^= 1
		if _, err := DecodeStore(c); err != nil {
			if !errors.Is(err, ErrInconsistentSecret) || !errors.Is(err, ErrMalformedStore) {
				t.Fatalf("wrong error: %v", err)
			}
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("no corrupted secret was detected")
	}
	// UnmarshalBinary leaves the store unchanged on error.
	before := *s
	if err := s.UnmarshalBinary(enc[:10]); err == nil || *s != before {
		t.Fatal("failed UnmarshalBinary changed the store")
	}
	// Full store: all 2^48 secrets received encodes every slot.
	full := []byte{1, 0, 1, 0, 0, 0, 0, 0, 0}
	if _, err := DecodeStore(full); !errors.Is(err, ErrMalformedStore) {
		t.Error("full count with no secrets accepted")
	}
}

// TestSlotIndex checks the decoder's slot layout against a store filled by
// Insert.
func TestSlotIndex(t *testing.T) {
	p := NewProducer([32]byte{5})
	s := NewStore()
	for c := uint64(0); c < 5000; c++ {
		sec, _ := p.Secret(c)
		if err := s.InsertCommitment(c, sec); err != nil {
			t.Fatal(err)
		}
		last := MaxIndex - c
		for b := 0; b < storeBuckets; b++ {
			idx, ok := slotIndex(last, b)
			has := s.have&(1<<uint(b)) != 0
			if ok != has || (ok && idx != s.known[b].index) {
				t.Fatalf("after %d: slot %d: computed (%d, %v), store (%d, %v)", c, b, idx, ok, s.known[b].index, has)
			}
		}
	}
	// The last slots: index 1 then 0 fill slot 0 and slot 48.
	if idx, ok := slotIndex(0, 48); !ok || idx != 0 {
		t.Fatal("slot 48 holds index 0 once received")
	}
	if _, ok := slotIndex(1, 48); ok {
		t.Fatal("slot 48 is empty until index 0")
	}
}

func FuzzDecodeStore(f *testing.F) {
	p := NewProducer([32]byte{6})
	s := NewStore()
	for c := uint64(0); c < 70; c++ {
		if c%7 == 0 || c < 5 {
			enc, _ := s.MarshalBinary()
			f.Add(enc)
		}
		sec, _ := p.Secret(c)
		_ = s.InsertCommitment(c, sec)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeStore(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedStore) {
				t.Fatalf("error does not wrap ErrMalformedStore: %v", err)
			}
			return
		}
		enc, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if string(enc) != string(b) {
			t.Fatalf("decode-encode changed the bytes:\n%x\n%x", b, enc)
		}
		// Every received index is looked up without error.
		if st.Received() > 0 {
			last := MaxIndex - (st.Received() - 1)
			for _, idx := range []uint64{last, MaxIndex, last + (MaxIndex-last)/2} {
				if _, err := st.Lookup(idx); err != nil {
					t.Fatalf("lookup of received index %d: %v", idx, err)
				}
			}
		}
	})
}
