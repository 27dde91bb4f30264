package testutil

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	btcwire "github.com/btcsuite/btcd/wire"
)

// Hex decodes s, hex digits of either case with an optional 0x prefix, and
// fails the test if it is not valid hex.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Hex32 decodes s as Hex does and fails the test unless it is 32 bytes.
func Hex32(t testing.TB, s string) [32]byte {
	t.Helper()
	b := Hex(t, s)
	if len(b) != 32 {
		t.Fatalf("hex %q: want 32 bytes, got %d", s, len(b))
	}
	return [32]byte(b)
}

// MustHex decodes s as Hex does, for package-level values and other places
// without a testing.TB; it panics if s is not valid hex.
func MustHex(s string) []byte {
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		panic("testutil: bad hex " + s + ": " + err.Error())
	}
	return b
}

// PubKey parses a public key given in hex (33 bytes compressed, or 65
// uncompressed) and fails the test if it is not a valid point.
func PubKey(t testing.TB, s string) *btcec.PublicKey {
	t.Helper()
	k, err := btcec.ParsePubKey(Hex(t, s))
	if err != nil {
		t.Fatalf("bad public key %q: %v", s, err)
	}
	return k
}

// PrivKey parses a private key as the BOLTs write it: 32 bytes in hex,
// optionally followed by the 01 compressed-key marker.
func PrivKey(t testing.TB, s string) *btcec.PrivateKey {
	t.Helper()
	b := Hex(t, s)
	if len(b) == 33 && b[32] == 1 {
		b = b[:32]
	}
	if len(b) != 32 {
		t.Fatalf("bad private key %q: %d bytes", s, len(b))
	}
	k, _ := btcec.PrivKeyFromBytes(b)
	return k
}

// Tx deserializes a transaction given in hex and fails the test if it does
// not parse.
func Tx(t testing.TB, s string) *btcwire.MsgTx {
	t.Helper()
	tx := new(btcwire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(Hex(t, s))); err != nil {
		t.Fatalf("bad transaction: %v", err)
	}
	return tx
}

// LoadJSON decodes the JSON file testdata/name, relative to the directory
// of the package under test (go test's working directory), into v, and
// fails the test if the file is missing or does not decode.
func LoadJSON(t testing.TB, name string, v any) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("vector file: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("vector file %s: %v", path, err)
	}
}
