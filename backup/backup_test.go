package backup_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

func basepoints(label string) channel.Basepoints {
	return channel.Basepoints{
		Funding: scripttest.Key(label + " f").PubKey(), Revocation: scripttest.Key(label + " r").PubKey(),
		Payment: scripttest.Key(label + " p").PubKey(), DelayedPayment: scripttest.Key(label + " d").PubKey(),
		HTLC: scripttest.Key(label + " h").PubKey(),
	}
}

// randomSingle returns a valid Single with fields drawn from r.
func randomSingle(r *rand.Rand, i int) backup.Single {
	label := fmt.Sprintf("single %d %d", i, r.Int63())
	s := backup.Single{
		ChainHash:      *chaincfg.RegressionNetParams.GenesisHash,
		PeerNodeID:     scripttest.Key(label + " node").PubKey(),
		ShortChannelID: wire.NewShortChannelIDFromUint64(r.Uint64()),
		FundingAmount:  btcutil.Amount(1 + r.Int63n(int64(btcutil.MaxSatoshi))),
		Type:           script.ChannelType(1 + r.Intn(2)),
		Opener:         channel.Side(r.Intn(2)),
		Local:          channel.PartyParams{Basepoints: basepoints(label + " local"), ToSelfDelay: uint16(1 + r.Intn(0xffff)), DustLimit: btcutil.Amount(354 + r.Int63n(100000))},
		Remote:         channel.PartyParams{Basepoints: basepoints(label + " remote"), ToSelfDelay: uint16(1 + r.Intn(0xffff)), DustLimit: btcutil.Amount(354 + r.Int63n(100000))},
	}
	r.Read(s.FundingOutpoint.Hash[:])
	s.FundingOutpoint.Index = r.Uint32()
	for n := r.Intn(backup.MaxAddresses + 1); n > 0; n-- {
		s.PeerAddresses = append(s.PeerAddresses, fmt.Sprintf("%d.%d.%d.%d:%d", r.Intn(256), r.Intn(256), r.Intn(256), r.Intn(256), 1+r.Intn(65535)))
	}
	if n := r.Intn(64); n > 0 {
		s.KeyInfo = make([]byte, n)
		r.Read(s.KeyInfo)
	}
	return s
}

func testKey(t testing.TB, label string) backup.Key {
	t.Helper()
	seed := sha256.Sum256([]byte(label))
	k, err := backup.DeriveKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestBackupRoundTripProperty encodes, decodes, encrypts and decrypts
// 50 random Multis of 0 to 6 channels: each comes back equal.
func TestBackupRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	key := testKey(t, "round trip")
	for iter := 0; iter < 50; iter++ {
		m := &backup.Multi{}
		for i := r.Intn(7); i > 0; i-- {
			m.Singles = append(m.Singles, randomSingle(r, iter))
		}
		pt, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := backup.DecodeMulti(pt)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		if len(m.Singles) == 0 {
			m.Singles = []backup.Single{}
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("iteration %d: decoded differs", iter)
		}
		again, _ := got.Encode()
		if !bytes.Equal(again, pt) {
			t.Fatalf("iteration %d: re-encoding differs", iter)
		}
		ct, err := backup.EncryptMulti(key, m, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != len(pt)+backup.Overhead {
			t.Fatalf("ciphertext %d bytes for %d", len(ct), len(pt))
		}
		opened, err := backup.DecryptMulti(key, ct)
		if err != nil || !reflect.DeepEqual(opened, m) {
			t.Fatalf("iteration %d: decrypt: %v", iter, err)
		}
		for i := range m.Singles {
			ct, err := backup.EncryptSingle(key, &m.Singles[i], r)
			if err != nil {
				t.Fatal(err)
			}
			s, err := backup.DecryptSingle(key, ct)
			if err != nil || !reflect.DeepEqual(s, &m.Singles[i]) {
				t.Fatalf("iteration %d single %d: %v", iter, i, err)
			}
		}
	}
}

// TestBackupDecryptFailures: another seed's key, every flipped bit and
// every truncation fail with a clear error; a Single is not a Multi.
func TestBackupDecryptFailures(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	key := testKey(t, "seed one")
	m := &backup.Multi{Singles: []backup.Single{randomSingle(r, 0), randomSingle(r, 1)}}
	ct, err := backup.EncryptMulti(key, m, r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = backup.DecryptMulti(testKey(t, "seed two"), ct)
	if !errors.Is(err, backup.ErrDecrypt) || !strings.Contains(err.Error(), "wrong key or damaged backup") {
		t.Fatalf("wrong key: %v", err)
	}
	for i := 0; i < len(ct)*8; i++ {
		bad := append([]byte(nil), ct...)
		bad[i/8] ^= 1 << (i % 8)
		_, err := backup.DecryptMulti(key, bad)
		switch {
		case i/8 < 6: // magic, version, kind
			if !errors.Is(err, backup.ErrFormat) {
				t.Fatalf("flip of header bit %d: %v", i, err)
			}
		case !errors.Is(err, backup.ErrDecrypt):
			t.Fatalf("flip of bit %d: %v", i, err)
		}
	}
	for n := 0; n < len(ct); n++ {
		if _, err := backup.DecryptMulti(key, ct[:n]); err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		}
	}
	single, _ := backup.EncryptSingle(key, &m.Singles[0], r)
	if _, err := backup.DecryptMulti(key, single); !errors.Is(err, backup.ErrFormat) {
		t.Fatalf("single as multi: %v", err)
	}
	if _, err := backup.DeriveKey([]byte("short")); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}
}

// TestBackupDecodeBounds: counts and lengths beyond the bytes present are
// refused before anything is allocated for them.
func TestBackupDecodeBounds(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	s := randomSingle(r, 0)
	pt, _ := s.Encode()
	for name, b := range map[string][]byte{
		"no count":                {0x00},
		"count without entries":   {0xff, 0xff},
		"count beyond the bytes":  append([]byte{0x00, 0x02, byte(len(pt) >> 8), byte(len(pt))}, pt...),
		"entry length beyond":     append([]byte{0x00, 0x01, 0xff, 0xff}, pt...),
		"trailing bytes":          append(append([]byte{0x00, 0x01, byte(len(pt) >> 8), byte(len(pt))}, pt...), 0),
		"single with extra bytes": append([]byte{0x00, 0x01, byte((len(pt) + 1) >> 8), byte(len(pt) + 1)}, append(append([]byte(nil), pt...), 0)...),
	} {
		if _, err := backup.DecodeMulti(b); !errors.Is(err, backup.ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for n := 0; n < len(pt); n++ {
		if _, err := backup.DecodeSingle(pt[:n]); !errors.Is(err, backup.ErrMalformed) {
			t.Fatalf("single truncated to %d: %v", n, err)
		}
	}
	// A count of 65535 in a short input allocates nothing for it (65535
	// Singles would take megabytes).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		backup.DecodeMulti([]byte{0xff, 0xff, 0, 0})
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > 4096 {
		t.Fatalf("%d bytes allocated for a lying count", per)
	}
	bad := s
	bad.KeyInfo = make([]byte, backup.MaxKeyInfo+1)
	if _, err := bad.Encode(); !errors.Is(err, backup.ErrTooLarge) {
		t.Fatal(err)
	}
	bad = s
	bad.PeerNodeID = nil
	if _, err := bad.Encode(); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}
	bad = s
	bad.Type = 9
	if _, err := bad.Encode(); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}
}

// TestBackupPeerStorage sends a Multi through peer_storage and back
// through peer_storage_retrieval, as wire messages, and refuses one over
// the 65531-byte limit.
func TestBackupPeerStorage(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	key := testKey(t, "peer storage")
	m := &backup.Multi{}
	for i := 0; i < 40; i++ {
		m.Singles = append(m.Singles, randomSingle(r, i))
	}
	ps, err := backup.PeerStorage(key, m, r)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wire.EncodeMessage(ps)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wire.DecodeMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The peer keeps the blob and returns it unchanged.
	back := &wire.PeerStorageRetrieval{Blob: got.(*wire.PeerStorage).Blob}
	raw, _ = wire.EncodeMessage(back)
	msg, err := wire.DecodeMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	restored, err := backup.FromPeerStorage(key, msg.(*wire.PeerStorageRetrieval))
	if err != nil || !reflect.DeepEqual(restored, m) {
		t.Fatalf("peer storage round trip: %v", err)
	}
	peer := m.Singles[3].PeerNodeID.SerializeCompressed()
	if w := m.WithPeer(peer); len(w.Singles) != 1 || !reflect.DeepEqual(w.Singles[0], m.Singles[3]) {
		t.Fatalf("WithPeer: %d channels", len(w.Singles))
	}

	big := &backup.Multi{}
	for i := 0; len(big.Singles) < 80; i++ {
		s := randomSingle(r, i)
		s.KeyInfo = make([]byte, backup.MaxKeyInfo)
		big.Singles = append(big.Singles, s)
	}
	if _, err := backup.PeerStorage(key, big, r); !errors.Is(err, backup.ErrTooLarge) {
		t.Fatalf("oversized peer storage: %v", err)
	}
	if _, err := backup.FromPeerStorage(key, &wire.PeerStorageRetrieval{Blob: make([]byte, 65532)}); !errors.Is(err, backup.ErrTooLarge) {
		t.Fatal(err)
	}
}

func FuzzDecodeMulti(f *testing.F) {
	r := rand.New(rand.NewSource(5))
	for n := 0; n < 3; n++ {
		m := &backup.Multi{}
		for i := 0; i < n; i++ {
			m.Singles = append(m.Singles, randomSingle(r, i))
		}
		pt, _ := m.Encode()
		f.Add(pt)
	}
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := backup.DecodeMulti(b)
		if err != nil {
			if !errors.Is(err, backup.ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		out, err := m.Encode()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzDecodeSingle(f *testing.F) {
	r := rand.New(rand.NewSource(6))
	for i := 0; i < 3; i++ {
		s := randomSingle(r, i)
		pt, _ := s.Encode()
		f.Add(pt)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := backup.DecodeSingle(b)
		if err != nil {
			if !errors.Is(err, backup.ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		out, err := s.Encode()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzDecryptMulti(f *testing.F) {
	r := rand.New(rand.NewSource(7))
	key := testKey(f, "fuzz")
	m := &backup.Multi{Singles: []backup.Single{randomSingle(r, 0)}}
	ct, _ := backup.EncryptMulti(key, m, r)
	f.Add(ct)
	empty, _ := backup.EncryptMulti(key, &backup.Multi{}, r)
	f.Add(empty)
	f.Add([]byte("LNKB\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := backup.DecryptMulti(key, b)
		if err != nil {
			if !errors.Is(err, backup.ErrDecrypt) && !errors.Is(err, backup.ErrFormat) && !errors.Is(err, backup.ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		// Only authentic backups open: encrypting again with the same
		// nonce gives the input back.
		again, err := backup.EncryptMulti(key, got, bytes.NewReader(b[6:30]))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encryption differs: %v", err)
		}
	})
}
