package mobile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// The embedded word list is BIP 39's english.txt byte for byte.
func TestBIP39WordList(t *testing.T) {
	sum := sha256.Sum256([]byte(englishText))
	const want = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("english.txt sha256 %s, want %s", got, want)
	}
	list, index := words()
	if len(list) != 2048 || len(index) != 2048 || list[0] != "abandon" || list[2047] != "zoo" {
		t.Fatalf("%d words, %d distinct, first %q, last %q", len(list), len(index), list[0], list[2047])
	}
}

type bip39Vectors struct {
	Passphrase string `json:"passphrase"`
	Vectors    []struct {
		Entropy  string `json:"entropy"`
		Mnemonic string `json:"mnemonic"`
		Seed     string `json:"seed"`
	} `json:"vectors"`
}

// TestBIP39Vectors runs the Trezor vectors (testdata/bip39_vectors.json):
// entropy to mnemonic, mnemonic to entropy, and the seed with the
// passphrase "TREZOR".
func TestBIP39Vectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/bip39_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs bip39Vectors
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs.Vectors) != 24 {
		t.Fatalf("%d vectors", len(vs.Vectors))
	}
	for _, v := range vs.Vectors {
		entropy, _ := hex.DecodeString(v.Entropy)
		m, err := MnemonicFromEntropy(entropy)
		if err != nil || m != v.Mnemonic {
			t.Errorf("entropy %s: %q, %v; want %q", v.Entropy, m, err, v.Mnemonic)
		}
		back, err := MnemonicToEntropy(v.Mnemonic)
		if err != nil || hex.EncodeToString(back) != v.Entropy {
			t.Errorf("mnemonic %q: entropy %x, %v", v.Mnemonic, back, err)
		}
		seed, err := SeedFromMnemonic(v.Mnemonic, vs.Passphrase)
		if err != nil || hex.EncodeToString(seed) != v.Seed {
			t.Errorf("mnemonic %q: seed %x, %v", v.Mnemonic, seed, err)
		}
	}
}

func TestMnemonicRefusals(t *testing.T) {
	const valid = "legal winner thank year wave sausage worth useful legal winner thank yellow"
	if err := ValidateMnemonic(valid); err != nil {
		t.Fatal(err)
	}
	// Case and spacing do not matter, and give the same seed.
	a, _ := SeedFromMnemonic(valid, "")
	b, err := SeedFromMnemonic("  LEGAL winner\tthank year wave sausage worth useful legal winner thank yellow\n", "")
	if err != nil || hex.EncodeToString(a) != hex.EncodeToString(b) {
		t.Fatalf("normalised mnemonic: %v", err)
	}
	bad := map[string]string{
		"checksum":    "legal winner thank year wave sausage worth useful legal winner thank thank",
		"swap":        "winner legal thank year wave sausage worth useful legal winner thank yellow",
		"unknown":     "legal winner thank year wave sausage worth useful legal winner thank yellowish",
		"11 words":    "legal winner thank year wave sausage worth useful legal winner thank",
		"13 words":    valid + " abandon",
		"empty":       "",
		"27 words":    strings.Repeat("abandon ", 26) + "about",
		"not ascii":   "légal winner thank year wave sausage worth useful legal winner thank yellow",
		"24 checksum": strings.Repeat("abandon ", 23) + "about", // the valid one ends in "art"
	}
	for name, m := range bad {
		err := ValidateMnemonic(m)
		var ce *CodedError
		if !errors.As(err, &ce) || ce.Code != CodeInvalidMnemonic {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := SeedFromMnemonic(m, ""); err == nil {
			t.Errorf("%s: seed derived", name)
		}
	}
	if _, err := SeedFromMnemonic(valid, "pässword"); ErrorCode(err.Error()) != CodeInvalidArgument {
		t.Errorf("non-ASCII passphrase: %v", err)
	}
	for _, n := range []int{0, 11, 13, 27, -3} {
		if _, err := NewMnemonic(n); err == nil {
			t.Errorf("NewMnemonic(%d) succeeded", n)
		}
	}
	for _, n := range []int{0, 15, 17, 33} {
		if _, err := MnemonicFromEntropy(make([]byte, n)); err == nil {
			t.Errorf("entropy of %d bytes accepted", n)
		}
	}
}

// A new mnemonic of each length round-trips and differs from the next.
func TestNewMnemonic(t *testing.T) {
	for _, n := range []int{12, 15, 18, 21, 24} {
		m, err := NewMnemonic(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(strings.Fields(m)); got != n {
			t.Fatalf("%d words, want %d", got, n)
		}
		e, err := MnemonicToEntropy(m)
		if err != nil || len(e) != n*4/3 {
			t.Fatalf("%q: %x, %v", m, e, err)
		}
		again, _ := MnemonicFromEntropy(e)
		other, _ := NewMnemonic(n)
		if again != m || other == m {
			t.Fatalf("round trip %q vs %q; next %q", again, m, other)
		}
	}
}
