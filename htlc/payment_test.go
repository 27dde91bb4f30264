package htlc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPreimageHash(t *testing.T) {
	// BOLT 3 Appendix C: HTLC 0 has preimage 00..00, whose SHA256 is
	// 66687aad...; RIPEMD160 of it appears in the vector scripts.
	var zero Preimage
	want := sha256.Sum256(make([]byte, 32))
	if zero.Hash() != PaymentHash(want) {
		t.Fatal("Hash is not SHA256")
	}
	if zero.Hash().String() != "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925" {
		t.Fatal("unexpected SHA256 of 32 zero bytes")
	}
	if !zero.Matches(zero.Hash()) || (Preimage{1}).Matches(zero.Hash()) {
		t.Fatal("Matches is wrong")
	}
	if !zero.Equal(Preimage{}) || zero.Equal(Preimage{1}) {
		t.Fatal("Equal is wrong")
	}
	if strings.Contains(fmt.Sprint(Preimage{0xab}), "ab") {
		t.Fatal("String reveals the preimage")
	}
}

func TestNewPreimage(t *testing.T) {
	r := bytes.NewReader(bytes.Repeat([]byte{7}, 32))
	p, err := NewPreimage(r)
	if err != nil || p != (Preimage{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}) {
		t.Fatalf("NewPreimage from reader: %v", err)
	}
	if _, err := NewPreimage(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Fatal("short reader accepted")
	}
	a, err1 := NewPreimage(nil)
	b, err2 := NewPreimage(nil)
	if err1 != nil || err2 != nil || a == b {
		t.Fatal("crypto/rand default failed")
	}
}

func TestParse(t *testing.T) {
	h, err := ParsePaymentHash("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
	if err != nil || h != (Preimage{}).Hash() {
		t.Fatalf("ParsePaymentHash: %v", err)
	}
	p, err := ParsePreimage(strings.Repeat("01", 32))
	if err != nil || p.Hex() != strings.Repeat("01", 32) {
		t.Fatalf("ParsePreimage: %v", err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("0", 63), strings.Repeat("zz", 32), strings.Repeat("00", 33)} {
		if _, err := ParsePreimage(bad); !errors.Is(err, ErrInvalidHex) {
			t.Errorf("ParsePreimage(%q) = %v", bad, err)
		}
	}
}

func FuzzParsePreimage(f *testing.F) {
	f.Add(strings.Repeat("01", 32))
	f.Add("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
	f.Add(strings.Repeat("0", 63))
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePreimage(s)
		h, herr := ParsePaymentHash(s)
		if (err == nil) != (herr == nil) {
			t.Fatal("ParsePreimage and ParsePaymentHash disagree")
		}
		if err != nil {
			if p != (Preimage{}) {
				t.Fatal("failed parse returned a value")
			}
			return
		}
		// Round trip: encoding gives back the input, up to letter case.
		if p.Hex() != strings.ToLower(s) || h.String() != strings.ToLower(s) {
			t.Fatalf("round trip %q -> %q", s, p.Hex())
		}
	})
}

func TestFlip(t *testing.T) {
	h := HTLC{ID: 1, Direction: Offered}
	if h.Flip().Direction != Received || h.Flip().Flip() != h {
		t.Fatal("Flip is wrong")
	}
}
