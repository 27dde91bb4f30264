package wtclient

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// BlobType is the 16-bit field of flags that names a justice kit format
// and how the tower turns it into a justice transaction (lnd's
// watchtower/blob/type.go).
type BlobType uint16

// Flags of a BlobType.
const (
	// FlagReward: the justice transaction pays the tower a reward.
	FlagReward BlobType = 1 << 0
	// FlagCommitOutputs: the kit sweeps the commitment's to_local and
	// to_remote outputs.
	FlagCommitOutputs BlobType = 1 << 1
	// FlagAnchorChannel: the commitment is an anchor channel's, whose
	// to_remote output is the CSV-1 P2WSH.
	FlagAnchorChannel BlobType = 1 << 2
	// FlagTaprootChannel: the commitment is a taproot channel's.
	FlagTaprootChannel BlobType = 1 << 3
)

// The blob types this package builds.
const (
	// BlobTypeAltruistCommit sweeps to_local and a P2WPKH to_remote
	// (option_static_remotekey) with no reward: lnd's "legacy" type, 2.
	BlobTypeAltruistCommit = FlagCommitOutputs
	// BlobTypeAltruistAnchorCommit sweeps to_local and the CSV-1 P2WSH
	// to_remote of option_anchors with no reward: lnd's "anchor" type, 6.
	BlobTypeAltruistAnchorCommit = FlagCommitOutputs | FlagAnchorChannel
)

// Has reports whether all of flag's bits are set in t.
func (t BlobType) Has(flag BlobType) bool { return t&flag == flag }

// Supported reports whether this package builds and reads t.
func (t BlobType) Supported() bool {
	return t == BlobTypeAltruistCommit || t == BlobTypeAltruistAnchorCommit
}

// String names the type as lnd's Identifier does.
func (t BlobType) String() string {
	switch t {
	case BlobTypeAltruistCommit:
		return "legacy"
	case BlobTypeAltruistAnchorCommit:
		return "anchor"
	case FlagCommitOutputs | FlagReward:
		return "reward"
	case FlagCommitOutputs | FlagTaprootChannel:
		return "taproot"
	default:
		return fmt.Sprintf("BlobType(%#x)", uint16(t))
	}
}

// BlobTypeFor returns the blob type that protects channels of type t.
func BlobTypeFor(t script.ChannelType) (BlobType, error) {
	switch t {
	case script.StaticRemoteKey:
		return BlobTypeAltruistCommit, nil
	case script.Anchors:
		return BlobTypeAltruistAnchorCommit, nil
	default:
		return 0, fmt.Errorf("%w: channel type %v", ErrUnknownBlobType, t)
	}
}

// BreachHintSize is the length of a breach hint.
const BreachHintSize = 16

// BreachHint identifies a breach without revealing it: the first 16 bytes
// of SHA256(txid), over the txid's internal byte order. A tower matches it
// against every transaction it sees.
type BreachHint [BreachHintSize]byte

// BreachKey is the key that encrypts a justice kit: SHA256(txid || txid).
// Only someone who has seen the revoked commitment can derive it.
type BreachKey [chacha20poly1305.KeySize]byte

// NewBreachHint returns the hint of the commitment with the given txid.
func NewBreachHint(txid *chainhash.Hash) BreachHint {
	sum := sha256.Sum256(txid[:])
	var h BreachHint
	copy(h[:], sum[:BreachHintSize])
	return h
}

// NewBreachKey returns the encryption key of the kit for the commitment
// with the given txid.
func NewBreachKey(txid *chainhash.Hash) BreachKey {
	var b [2 * chainhash.HashSize]byte
	copy(b[:], txid[:])
	copy(b[chainhash.HashSize:], txid[:])
	return sha256.Sum256(b[:])
}

// Sizes of the version 0 justice kit, the plaintext of both supported blob
// types, and of its encryption.
const (
	// MaxSweepScriptSize is the room a kit has for the sweep script.
	MaxSweepScriptSize = 42
	// KitSize is the plaintext size: 1 + 42 + 33 + 33 + 4 + 64 + 33 + 64.
	KitSize = 274
	// NonceSize is the XChaCha20-Poly1305 nonce that starts a blob.
	NonceSize = chacha20poly1305.NonceSizeX
	// TagSize is the Poly1305 tag that ends a blob.
	TagSize = chacha20poly1305.Overhead
	// EncryptedBlobSize is the size of every encrypted kit.
	EncryptedBlobSize = NonceSize + KitSize + TagSize
)

// JusticeKit is what a tower needs to punish one revoked commitment, in
// lnd's version 0 plaintext (watchtower/blob/justice_kit_packet.go):
//
//	sweep script length   1 byte
//	sweep script         42 bytes, zero padded
//	revocation pubkey    33 bytes
//	local delay pubkey   33 bytes (the cheater's delayed key)
//	csv delay             4 bytes, big-endian (the cheater's to_self_delay)
//	to_local signature   64 bytes (compact r || s)
//	to_remote pubkey     33 bytes, all zero when there is no to_remote
//	to_remote signature  64 bytes, all zero when there is no to_remote
//
// Keys are kept as the raw 33 bytes so that decoding and encoding give back
// the same bytes; lnd treats the to_remote part as present when its key
// starts with 0x02 or 0x03.
type JusticeKit struct {
	// SweepScript is the output script the justice transaction pays.
	SweepScript []byte
	// RevocationKey is revocationpubkey of the revoked commitment.
	RevocationKey [33]byte
	// DelayedKey is the cheater's local_delayedpubkey.
	DelayedKey [33]byte
	// CSVDelay is the cheater's to_self_delay.
	CSVDelay uint32
	// ToLocalSig signs the justice transaction's to_local input with the
	// revocation private key (SIGHASH_ALL).
	ToLocalSig wire.Signature
	// ToRemoteKey is this node's to_remote key of the commitment.
	ToRemoteKey [33]byte
	// ToRemoteSig signs the to_remote input (SIGHASH_ALL).
	ToRemoteSig wire.Signature
}

// HasToRemote reports whether the kit sweeps the to_remote output too.
func (k *JusticeKit) HasToRemote() bool {
	return k.ToRemoteKey[0] == 0x02 || k.ToRemoteKey[0] == 0x03
}

// Encode returns the 274-byte plaintext. It fails (ErrSweepScript) when
// the sweep script is longer than 42 bytes.
func (k *JusticeKit) Encode() ([]byte, error) {
	if len(k.SweepScript) > MaxSweepScriptSize {
		return nil, fmt.Errorf("%w: %d bytes, a kit holds %d", ErrSweepScript, len(k.SweepScript), MaxSweepScriptSize)
	}
	b := make([]byte, 0, KitSize)
	b = append(b, byte(len(k.SweepScript)))
	var pad [MaxSweepScriptSize]byte
	copy(pad[:], k.SweepScript)
	b = append(b, pad[:]...)
	b = append(b, k.RevocationKey[:]...)
	b = append(b, k.DelayedKey[:]...)
	b = binary.BigEndian.AppendUint32(b, k.CSVDelay)
	b = append(b, k.ToLocalSig[:]...)
	b = append(b, k.ToRemoteKey[:]...)
	b = append(b, k.ToRemoteSig[:]...)
	return b, nil
}

// DecodeJusticeKit decodes a 274-byte plaintext. The sweep script length
// must be at most 42 and, unlike lnd, which ignores them, the padding
// bytes after the script must be zero, as every encoder writes them.
func DecodeJusticeKit(p []byte) (*JusticeKit, error) {
	if len(p) != KitSize {
		return nil, malformed("justice kit of %d bytes, want %d", len(p), KitSize)
	}
	n := int(p[0])
	if n > MaxSweepScriptSize {
		return nil, malformed("sweep script length %d, at most %d", n, MaxSweepScriptSize)
	}
	for _, c := range p[1+n : 1+MaxSweepScriptSize] {
		if c != 0 {
			return nil, malformed("non-zero sweep script padding")
		}
	}
	k := &JusticeKit{}
	if n > 0 {
		k.SweepScript = append([]byte(nil), p[1:1+n]...)
	}
	r := reader{b: p[1+MaxSweepScriptSize:]}
	r.copyTo(k.RevocationKey[:], "revocation pubkey")
	r.copyTo(k.DelayedKey[:], "local delay pubkey")
	k.CSVDelay = r.u32("csv delay")
	r.copyTo(k.ToLocalSig[:], "to_local signature")
	r.copyTo(k.ToRemoteKey[:], "to_remote pubkey")
	r.copyTo(k.ToRemoteSig[:], "to_remote signature")
	if r.err != nil {
		return nil, r.err
	}
	return k, nil
}

// Encrypt returns the encrypted kit as lnd lays it out: a random 24-byte
// nonce read from rnd, then XChaCha20-Poly1305 of the plaintext under key
// with no associated data (ciphertext and 16-byte tag). The result is
// EncryptedBlobSize bytes.
func (k *JusticeKit) Encrypt(key BreachKey, rnd io.Reader) ([]byte, error) {
	pt, err := k.Encode()
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, NonceSize, EncryptedBlobSize)
	if _, err := io.ReadFull(rnd, out); err != nil {
		return nil, fmt.Errorf("wtclient: nonce: %w", err)
	}
	return aead.Seal(out, out[:NonceSize], pt, nil), nil
}

// DecryptJusticeKit opens an encrypted kit with key and decodes it. A blob
// that does not authenticate gives ErrDecrypt; one of the wrong size or
// whose plaintext does not decode gives ErrMalformed.
func DecryptJusticeKit(key BreachKey, blob []byte) (*JusticeKit, error) {
	if len(blob) != EncryptedBlobSize {
		return nil, malformed("encrypted kit of %d bytes, want %d", len(blob), EncryptedBlobSize)
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(make([]byte, 0, KitSize), blob[:NonceSize], blob[NonceSize:], nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return DecodeJusticeKit(pt)
}
