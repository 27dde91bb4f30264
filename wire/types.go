package wire

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
)

// ChainHash identifies a chain by its genesis block hash, in the byte order
// the hash function produced it (the order BOLT messages carry it, and the
// reverse of the order block explorers display).
type ChainHash = chainhash.Hash

// Chain hashes of the networks btcd knows about.
var (
	MainnetChainHash = *chaincfg.MainNetParams.GenesisHash
	TestnetChainHash = *chaincfg.TestNet3Params.GenesisHash
	SignetChainHash  = *chaincfg.SigNetParams.GenesisHash
	RegtestChainHash = *chaincfg.RegressionNetParams.GenesisHash
	SimnetChainHash  = *chaincfg.SimNetParams.GenesisHash
)

// ShortChannelID locates a channel's funding output on chain: the block
// height, the transaction's index in that block and the output index (BOLT 7,
// "Definition of short_channel_id"). On the wire it is 8 bytes: 3 for the
// block, 3 for the transaction and 2 for the output.
type ShortChannelID struct {
	BlockHeight uint32 // 24 bits
	TxIndex     uint32 // 24 bits
	OutputIndex uint16
}

// NewShortChannelIDFromUint64 unpacks the 8-byte integer form.
func NewShortChannelIDFromUint64(v uint64) ShortChannelID {
	return ShortChannelID{
		BlockHeight: uint32(v >> 40),
		TxIndex:     uint32(v>>16) & 0xffffff,
		OutputIndex: uint16(v),
	}
}

// ToUint64 packs the ID into its 8-byte integer form. Heights and indexes
// beyond 24 bits are truncated; Valid reports whether that would happen.
func (s ShortChannelID) ToUint64() uint64 {
	return uint64(s.BlockHeight&0xffffff)<<40 | uint64(s.TxIndex&0xffffff)<<16 | uint64(s.OutputIndex)
}

// Valid reports whether the block height and transaction index fit in their
// 24 bits.
func (s ShortChannelID) Valid() bool {
	return s.BlockHeight <= 0xffffff && s.TxIndex <= 0xffffff
}

// String returns the human form "BLOCKxTXxOUT", for example "539268x845x1".
func (s ShortChannelID) String() string {
	return fmt.Sprintf("%dx%dx%d", s.BlockHeight, s.TxIndex, s.OutputIndex)
}

// ErrInvalidShortChannelID is returned by ParseShortChannelID.
var ErrInvalidShortChannelID = errors.New("wire: invalid short channel id")

// ParseShortChannelID parses the "BLOCKxTXxOUT" form.
func ParseShortChannelID(s string) (ShortChannelID, error) {
	parts := strings.Split(s, "x")
	if len(parts) != 3 {
		return ShortChannelID{}, fmt.Errorf("%w: %q", ErrInvalidShortChannelID, s)
	}
	var n [3]uint64
	limits := [3]int{24, 24, 16}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, limits[i])
		if err != nil {
			return ShortChannelID{}, fmt.Errorf("%w: %q", ErrInvalidShortChannelID, s)
		}
		n[i] = v
	}
	return ShortChannelID{BlockHeight: uint32(n[0]), TxIndex: uint32(n[1]), OutputIndex: uint16(n[2])}, nil
}

// AppendShortChannelID appends the 8-byte wire form of s.
func AppendShortChannelID(b []byte, s ShortChannelID) []byte { return AppendU64(b, s.ToUint64()) }

// ChannelID is the 32-byte channel_id of BOLT 2.
type ChannelID [32]byte

// NewChannelID derives the channel_id of a funded channel: the funding txid
// with the output index XORed into its last two bytes, big-endian (BOLT 2,
// "Definition of channel_id"). The txid is taken in its internal byte order,
// the order in which it appears in serialized transactions.
func NewChannelID(funding btcwire.OutPoint) ChannelID {
	var id ChannelID
	copy(id[:], funding.Hash[:])
	id[30] ^= byte(funding.Index >> 8)
	id[31] ^= byte(funding.Index)
	return id
}

// IsAll reports whether the ID is all zeros, which error and warning
// messages use to refer to every channel.
func (c ChannelID) IsAll() bool { return c == ChannelID{} }

// String returns the ID in hex, in wire order.
func (c ChannelID) String() string { return hex.EncodeToString(c[:]) }

// Point is a 33-byte compressed secp256k1 public key as carried in messages.
// The decoders in this package accept only points on the curve.
type Point [33]byte

// NewPoint returns the compressed encoding of pub.
func NewPoint(pub *btcec.PublicKey) Point {
	var p Point
	copy(p[:], pub.SerializeCompressed())
	return p
}

// Validate checks that p is a compressed point on the curve.
func (p *Point) Validate() error {
	if p[0] != 0x02 && p[0] != 0x03 {
		return fmt.Errorf("%w: prefix %#x", ErrInvalidPoint, p[0])
	}
	if _, err := btcec.ParsePubKey(p[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPoint, err)
	}
	return nil
}

// PublicKey parses the point.
func (p Point) PublicKey() (*btcec.PublicKey, error) {
	k, err := btcec.ParsePubKey(p[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPoint, err)
	}
	return k, nil
}

// String returns the point in hex.
func (p Point) String() string { return hex.EncodeToString(p[:]) }

// Signature is the 64-byte compact ECDSA signature of BOLT 1: r and s, each
// 32 bytes big-endian.
type Signature [64]byte

// NewSignature converts an ECDSA signature to its 64-byte form.
func NewSignature(sig *ecdsa.Signature) Signature {
	var out Signature
	r, s := sig.R(), sig.S()
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

// checkRange rejects r or s at or above the group order, which would make
// the encoding ambiguous modulo n. The order begins 0xffff..., so a value
// whose first byte is below 0xff is in range without further work; this
// matters for commitment_signed, which carries up to 966 signatures.
func (s *Signature) checkRange() error {
	if s[0] != 0xff && s[32] != 0xff {
		return nil
	}
	var v btcec.ModNScalar
	if v.SetByteSlice(s[:32]) {
		return fmt.Errorf("%w: r >= n", ErrInvalidSignature)
	}
	if v.SetByteSlice(s[32:]) {
		return fmt.Errorf("%w: s >= n", ErrInvalidSignature)
	}
	return nil
}

// ToECDSA converts the signature to a btcec ECDSA signature. It fails when r
// or s is zero or not below the group order.
func (s Signature) ToECDSA() (*ecdsa.Signature, error) {
	var r, sv btcec.ModNScalar
	if r.SetByteSlice(s[:32]) || r.IsZero() {
		return nil, fmt.Errorf("%w: r out of range", ErrInvalidSignature)
	}
	if sv.SetByteSlice(s[32:]) || sv.IsZero() {
		return nil, fmt.Errorf("%w: s out of range", ErrInvalidSignature)
	}
	return ecdsa.NewSignature(&r, &sv), nil
}

// String returns the signature in hex.
func (s Signature) String() string { return hex.EncodeToString(s[:]) }
