package backup

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// Envelope constants.
const (
	// Magic starts every encrypted backup.
	Magic = "LNKB"
	// Version is the envelope and plaintext version this package writes
	// and reads.
	Version = 1
	// KeyInfoString is the HKDF-SHA256 info string of the backup key.
	KeyInfoString = "lnkit static channel backup v1"
	// MinSeedSize is the shortest seed DeriveKey accepts.
	MinSeedSize = 16
	// headerSize is magic, version and kind.
	headerSize = len(Magic) + 2
	// Overhead is what encryption adds to a plaintext: header, 24-byte
	// nonce and 16-byte tag.
	Overhead = headerSize + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

// Kind says what an encrypted backup holds.
type Kind uint8

// Kinds of backups.
const (
	// KindSingle holds one Single.
	KindSingle Kind = 1
	// KindMulti holds a Multi.
	KindMulti Kind = 2
)

// Key encrypts and authenticates backups.
type Key [chacha20poly1305.KeySize]byte

// DeriveKey derives the backup key from the node seed:
// HKDF-SHA256(seed, no salt, KeyInfoString). The same seed always gives
// the same key, so a node restored from its seed opens its backups.
func DeriveKey(seed []byte) (Key, error) {
	var k Key
	if len(seed) < MinSeedSize {
		return k, fmt.Errorf("%w: seed of %d bytes, at least %d", ErrInvalid, len(seed), MinSeedSize)
	}
	if _, err := io.ReadFull(hkdf.New(sha256.New, seed, nil, []byte(KeyInfoString)), k[:]); err != nil {
		return k, err
	}
	return k, nil
}

// seal encrypts plaintext of kind k:
//
//	magic       4  "LNKB"
//	version     1  1
//	kind        1  1 Single, 2 Multi
//	nonce      24  random (XChaCha20-Poly1305)
//	ciphertext  n  the plaintext encrypted, then its 16-byte tag
//
// The header (magic, version, kind) is the associated data, so it cannot
// be changed either.
func seal(key Key, k Kind, plaintext []byte, rnd io.Reader) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, Overhead+len(plaintext))
	out = append(out, Magic...)
	out = append(out, Version, byte(k))
	nonce := out[headerSize : headerSize+chacha20poly1305.NonceSizeX]
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, fmt.Errorf("backup: nonce: %w", err)
	}
	out = out[:headerSize+len(nonce)]
	return aead.Seal(out, nonce, plaintext, out[:headerSize]), nil
}

// open checks the envelope and decrypts it.
func open(key Key, want Kind, b []byte) ([]byte, error) {
	if len(b) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte envelope", ErrFormat, len(b), Overhead)
	}
	if !bytes.Equal(b[:len(Magic)], []byte(Magic)) {
		return nil, fmt.Errorf("%w: magic %x", ErrFormat, b[:len(Magic)])
	}
	if b[len(Magic)] != Version {
		return nil, fmt.Errorf("%w: version %d (this package reads %d)", ErrFormat, b[len(Magic)], Version)
	}
	if k := Kind(b[len(Magic)+1]); k != want {
		return nil, fmt.Errorf("%w: kind %d, want %d", ErrFormat, k, want)
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	nonce := b[headerSize : headerSize+chacha20poly1305.NonceSizeX]
	pt, err := aead.Open(nil, nonce, b[headerSize+len(nonce):], b[:headerSize])
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// EncryptSingle encrypts s under key, with a nonce read from rnd
// (crypto/rand in production).
func EncryptSingle(key Key, s *Single, rnd io.Reader) ([]byte, error) {
	pt, err := s.Encode()
	if err != nil {
		return nil, err
	}
	return seal(key, KindSingle, pt, rnd)
}

// DecryptSingle opens a backup made by EncryptSingle.
func DecryptSingle(key Key, b []byte) (*Single, error) {
	pt, err := open(key, KindSingle, b)
	if err != nil {
		return nil, err
	}
	return DecodeSingle(pt)
}

// EncryptMulti encrypts m under key, with a nonce read from rnd.
func EncryptMulti(key Key, m *Multi, rnd io.Reader) ([]byte, error) {
	pt, err := m.Encode()
	if err != nil {
		return nil, err
	}
	return seal(key, KindMulti, pt, rnd)
}

// DecryptMulti opens a backup made by EncryptMulti.
func DecryptMulti(key Key, b []byte) (*Multi, error) {
	pt, err := open(key, KindMulti, b)
	if err != nil {
		return nil, err
	}
	return DecodeMulti(pt)
}

// MaxPeerStorageBlob is the largest blob a peer_storage message may carry
// (BOLT 1, "The peer_storage and peer_storage_retrieval Messages").
const MaxPeerStorageBlob = 65531

// PeerStorage returns the peer_storage message that asks a peer offering
// option_provide_storage to keep m, encrypted under key. It fails with
// ErrTooLarge when the encrypted backup is over MaxPeerStorageBlob bytes:
// give the peer fewer channels then (those with it, Multi.WithPeer).
func PeerStorage(key Key, m *Multi, rnd io.Reader) (*wire.PeerStorage, error) {
	b, err := EncryptMulti(key, m, rnd)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPeerStorageBlob {
		return nil, fmt.Errorf("%w: %d bytes for %d channels, peer storage holds %d", ErrTooLarge, len(b), len(m.Singles), MaxPeerStorageBlob)
	}
	return &wire.PeerStorage{Blob: b}, nil
}

// FromPeerStorage opens the backup a peer returned in
// peer_storage_retrieval on reconnection.
func FromPeerStorage(key Key, msg *wire.PeerStorageRetrieval) (*Multi, error) {
	if msg == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalid)
	}
	if len(msg.Blob) > MaxPeerStorageBlob {
		return nil, fmt.Errorf("%w: peer returned %d bytes", ErrTooLarge, len(msg.Blob))
	}
	return DecryptMulti(key, msg.Blob)
}

// WithPeer returns the channels of m with the peer whose node id is
// compressed (33 bytes).
func (m *Multi) WithPeer(nodeID []byte) *Multi {
	out := &Multi{}
	for _, s := range m.Singles {
		if s.PeerNodeID != nil && bytes.Equal(s.PeerNodeID.SerializeCompressed(), nodeID) {
			out.Singles = append(out.Singles, s)
		}
	}
	return out
}
