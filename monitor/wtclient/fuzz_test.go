package wtclient_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/monitor/wtclient"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecodeMessage: no input panics or decodes to a message that does
// not encode back to the same bytes.
func FuzzDecodeMessage(f *testing.F) {
	for _, v := range messageVectors() {
		f.Add(h(v.hex))
	}
	f.Add(h("0259 0028 fd0400 62757379"))
	f.Add(h("025b 0000 0000 fdffff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := wtclient.DecodeMessage(b)
		if err != nil {
			if m != nil {
				t.Fatal("message and error")
			}
			if !errors.Is(err, wtclient.ErrMalformed) && !errors.Is(err, wtclient.ErrUnknownMessage) && !errors.Is(err, wtclient.ErrMessageTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		out, err := wtclient.EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip\n %x\n %x", b, out)
		}
	})
}

// FuzzDecodeJusticeKit: plaintexts decode to kits that encode back to the
// same bytes.
func FuzzDecodeJusticeKit(f *testing.F) {
	good, _ := (&wtclient.JusticeKit{SweepScript: []byte{0, 0x14, 1, 2, 3}}).Encode()
	f.Add(good)
	f.Add(make([]byte, wtclient.KitSize))
	f.Add(append([]byte{42}, make([]byte, wtclient.KitSize-1)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		k, err := wtclient.DecodeJusticeKit(p)
		if err != nil {
			if !errors.Is(err, wtclient.ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		out, err := k.Encode()
		if err != nil || !bytes.Equal(out, p) {
			t.Fatalf("round trip: %v\n %x\n %x", err, p, out)
		}
	})
}

// FuzzDecryptJusticeKit: blobs under a fixed breach key either fail
// (ErrDecrypt, ErrMalformed) or open to a kit that, encrypted again with
// the blob's own nonce, gives the blob back.
func FuzzDecryptJusticeKit(f *testing.F) {
	txid := chainhash.HashH([]byte("fuzz breach"))
	key := wtclient.NewBreachKey(&txid)
	kit := &wtclient.JusticeKit{SweepScript: []byte{0, 0x14, 9, 9}, CSVDelay: 6}
	kit.ToRemoteKey[0] = 0x03
	for i := 0; i < 3; i++ {
		blob, err := kit.Encrypt(key, bytes.NewReader(bytes.Repeat([]byte{byte(i)}, wtclient.NonceSize)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	f.Add(readTestdata(f, "blob.hex")) // another key: does not open
	f.Add(make([]byte, wtclient.EncryptedBlobSize))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		k, err := wtclient.DecryptJusticeKit(key, blob)
		if err != nil {
			if !errors.Is(err, wtclient.ErrDecrypt) && !errors.Is(err, wtclient.ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		again, err := k.Encrypt(key, bytes.NewReader(blob[:wtclient.NonceSize]))
		if err != nil || !bytes.Equal(again, blob) {
			t.Fatalf("re-encryption differs: %v", err)
		}
		k2, err := wtclient.DecryptJusticeKit(key, again)
		if err != nil || !reflect.DeepEqual(k, k2) {
			t.Fatalf("second decryption: %v", err)
		}
	})
}
