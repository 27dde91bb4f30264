package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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
}

func TestNewPreimage(t *testing.T) {
	r := bytes.NewReader(bytes.Repeat([]byte{7}, 32))
	p, err := NewPreimage(r)
	if err != nil || p != Preimage(bytes.Repeat([]byte{7}, 32)) {
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

func TestParsePaymentHashPreimage(t *testing.T) {
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
		if _, err := ParsePaymentHash(bad); !errors.Is(err, ErrInvalidHex) {
			t.Errorf("ParsePaymentHash(%q) = %v", bad, err)
		}
	}
}

// secretPreimage is a preimage whose bytes are easy to spot in any
// encoding fmt might use: hex (either case), decimal, octal, binary or a
// quoted string.
var secretPreimage = Preimage{0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe, 0x5a, 0x5a, 0x5a, 0x5a, 0x11, 0x22, 0x33, 0x44,
	0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05}

// revealsPreimage reports whether s contains p in any form fmt can print
// a byte array in.
func revealsPreimage(s string, p Preimage) bool {
	h := hex.EncodeToString(p[:])
	forms := []string{h, strings.ToUpper(h), hex.EncodeToString(p[:4]), strings.ToUpper(hex.EncodeToString(p[:4])),
		fmt.Sprint(p[:4]), fmt.Sprintf("%#v", p[:4]), fmt.Sprintf("%q", p[:4]), fmt.Sprintf("%o", p[:4]), fmt.Sprintf("%b", p[:4])}
	// %x of a [32]byte whose String method returned the hex (a naive
	// redaction that forgot Format) hex-encodes that string again.
	forms = append(forms, hex.EncodeToString([]byte(h[:8])))
	// Inner parts of the bracketed forms, as they appear nested in a
	// struct ("[222 173 190 239 ...").
	forms = append(forms, "222 173 190 239", "0xde, 0xad", `\xde\xad`, "336 255 276", "11011110 10101101")
	for _, f := range forms {
		f = strings.Trim(f, "[]{}\"")
		if f != "" && strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// TestPreimageNeverPrinted prints a preimage, and structs, slices, maps and
// pointers holding one, with every common verb and flag, and checks that
// no output contains its bytes.
func TestPreimageNeverPrinted(t *testing.T) {
	type holder struct {
		Name     string
		Preimage Preimage
		Hash     PaymentHash
		Ptr      *Preimage
	}
	p := secretPreimage
	values := map[string]any{
		"value":         p,
		"pointer":       &p,
		"struct":        holder{Name: "h", Preimage: p, Hash: p.Hash(), Ptr: &p},
		"struct ptr":    &holder{Preimage: p, Ptr: &p},
		"slice":         []Preimage{p, p},
		"array":         [2]Preimage{p, p},
		"map":           map[string]Preimage{"k": p},
		"map key":       map[Preimage]int{p: 1},
		"nested struct": struct{ H holder }{holder{Preimage: p}},
		"message":       &UpdateFulfillHTLC{ID: 1, PaymentPreimage: p},
		"interface":     []any{p, &p},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "% x", "%#x", "%d", "%o", "%b", "%q", "%c", "%U", "%08b", "%-70v", "%.3s", "%t", "%e"}
	for name, v := range values {
		for _, verb := range verbs {
			if out := fmt.Sprintf(verb, v); revealsPreimage(out, p) {
				t.Errorf("%s with %s reveals the preimage: %s", name, verb, out)
			}
		}
		for _, out := range []string{fmt.Sprint(v), fmt.Sprintln(v)} {
			if revealsPreimage(out, p) {
				t.Errorf("%s with Sprint reveals the preimage: %s", name, out)
			}
		}
	}
	if s := p.String() + p.GoString(); revealsPreimage(s, p) || !strings.Contains(s, "redacted") {
		t.Errorf("String/GoString = %q", s)
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("settled", "preimage", p, slog.Any("ptr", &p))
	}
	if out := buf.String(); revealsPreimage(out, p) || !strings.Contains(out, "redacted") {
		t.Errorf("slog reveals the preimage: %s", out)
	}
	// The test itself must be able to see a revealed preimage.
	if !revealsPreimage(fmt.Sprint([32]byte(p)), p) || !revealsPreimage(fmt.Sprintf("%x", [32]byte(p)), p) || !revealsPreimage(p.Hex(), p) {
		t.Fatal("revealsPreimage misses a plain byte array")
	}
}

// TestPaymentHashFormat checks that %x prints the hash's bytes in hex, not
// the hex of its String (which fmt would do for a [32]byte type with only
// a String method), and that the other verbs agree.
func TestPaymentHashFormat(t *testing.T) {
	h := secretPreimage.Hash()
	want := hex.EncodeToString(h[:])
	for verb, exp := range map[string]string{
		"%v": want, "%s": want, "%x": want, "%+v": want,
		"%X":   strings.ToUpper(want),
		"%q":   `"` + want + `"`,
		"%#x":  "0x" + want,
		"% x":  strings.TrimSpace(fmt.Sprintf("% x", h[:])),
		"%70s": strings.Repeat(" ", 6) + want,
		"%d":   fmt.Sprintf("%d", [32]byte(h)),
		"%#v":  fmt.Sprintf("%#v", [32]byte(h)),
	} {
		if got := fmt.Sprintf(verb, h); got != exp {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, got, exp)
		}
	}
	if got := fmt.Sprint(struct{ H PaymentHash }{h}); got != "{"+want+"}" {
		t.Errorf("struct field prints %q", got)
	}
	if got := fmt.Sprintf("%x", UpdateAddHTLC{PaymentHash: h}.PaymentHash); got != want {
		t.Errorf("update_add_htlc payment_hash prints %q", got)
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
			if p != (Preimage{}) || h != (PaymentHash{}) {
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
