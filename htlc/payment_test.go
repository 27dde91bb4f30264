package htlc

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// TestPaymentForwarders checks that the htlc names are package wire's: the
// types are identical (assignable both ways without conversion), the
// forwarders return what wire returns, and ErrInvalidHex is wire's value.
// The types themselves are tested in package wire.
func TestPaymentForwarders(t *testing.T) {
	var p Preimage = wire.Preimage{1}
	var h wire.PaymentHash = p.Hash()
	var hh PaymentHash = h
	if hh != (wire.Preimage{1}).Hash() || PreimageSize != wire.PreimageSize {
		t.Fatal("aliases differ from package wire")
	}
	got, err := NewPreimage(bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	want, _ := wire.NewPreimage(bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	if err != nil || got != want {
		t.Fatalf("NewPreimage = %v, %v", got.Hex(), err)
	}
	s := strings.Repeat("ab", 32)
	if p, err := ParsePreimage(s); err != nil || p.Hex() != s {
		t.Fatalf("ParsePreimage: %v", err)
	}
	if h, err := ParsePaymentHash(s); err != nil || h.String() != s {
		t.Fatalf("ParsePaymentHash: %v", err)
	}
	_, err1 := ParsePreimage("zz")
	_, err2 := ParsePaymentHash("zz")
	if !errors.Is(err1, ErrInvalidHex) || !errors.Is(err2, wire.ErrInvalidHex) || ErrInvalidHex != wire.ErrInvalidHex {
		t.Fatalf("errors %v, %v do not wrap ErrInvalidHex", err1, err2)
	}
}

func TestFlip(t *testing.T) {
	h := HTLC{ID: 1, Direction: Offered}
	if h.Flip().Direction != Received || h.Flip().Flip() != h {
		t.Fatal("Flip is wrong")
	}
}
