package backup

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

var (
	// ErrMalformed is wrapped when a decrypted backup does not decode:
	// a truncated field, a length beyond what is left, a value out of
	// range, trailing bytes.
	ErrMalformed = errors.New("backup: malformed backup")
	// ErrDecrypt is wrapped when a backup does not authenticate: the key
	// is not the one it was made with (another seed), or it was damaged.
	ErrDecrypt = errors.New("backup: wrong key or damaged backup")
	// ErrFormat is wrapped when the envelope is not a backup of this
	// package: another magic, an unknown version, the wrong kind.
	ErrFormat = errors.New("backup: not an lnkit channel backup")
	// ErrTooLarge is wrapped when a backup passes a limit: more than
	// MaxChannels channels, a field too long, or, for peer storage, a
	// blob over MaxPeerStorageBlob bytes.
	ErrTooLarge = errors.New("backup: backup too large")
	// ErrInvalid is wrapped for a Single that cannot describe a channel
	// (missing keys, invalid parameters) and for recovery inputs that do
	// not fit the backup.
	ErrInvalid = errors.New("backup: invalid channel backup")
)

// Limits of the format.
const (
	// MaxAddresses is the most peer addresses a Single keeps.
	MaxAddresses = 8
	// MaxAddressLen is the longest address ("host:port").
	MaxAddressLen = 255
	// MaxKeyInfo is the longest KeyInfo.
	MaxKeyInfo = 1024
	// MaxChannels is the most channels a Multi holds.
	MaxChannels = 0xffff
)

// Single is the static backup of one channel: what recovering its funds
// needs after total loss of the channel's state, and nothing that changes
// from one commitment to the next. It lets a restored node find the peer,
// make it close the channel (Reestablish) and sweep this node's output of
// the commitment the peer broadcasts (SweepToRemote). HTLCs in flight at
// the loss are not recovered: that needs the lost state.
type Single struct {
	// ChainHash is the genesis hash of the channel's chain.
	ChainHash wire.ChainHash
	// PeerNodeID is the peer's node key.
	PeerNodeID *btcec.PublicKey
	// PeerAddresses are where the peer was reached, as "host:port".
	PeerAddresses []string
	// ShortChannelID is the channel's short_channel_id (zero when not
	// yet confirmed or not known).
	ShortChannelID wire.ShortChannelID
	// FundingOutpoint is the funding output.
	FundingOutpoint btcwire.OutPoint
	// FundingAmount is the funding output's value.
	FundingAmount btcutil.Amount
	// Type is the channel type (option_static_remotekey or
	// option_anchors: the types whose to_remote output a restored node
	// can spend without the peer's per-commitment point).
	Type script.ChannelType
	// Opener is the side that opened the channel.
	Opener channel.Side
	// Local and Remote are both parties' basepoints, to_self_delay and
	// dust limit, as in channel.Params.
	Local, Remote channel.PartyParams
	// KeyInfo is opaque to this package: the host's key manager puts
	// there how it derived this channel's basepoint secrets and its
	// per-commitment seed from the node seed (a key family and index, a
	// derivation path), so that a restored node derives the same keys
	// again. The public Local basepoints let it check that it did
	// (VerifyBasepoints). At most MaxKeyInfo bytes.
	KeyInfo []byte
}

// NewSingle returns the backup of the channel with parameters p (from
// this node's view) with the peer peerID at addrs.
func NewSingle(chain wire.ChainHash, peerID *btcec.PublicKey, addrs []string, p *channel.Params, keyInfo []byte) (*Single, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil params", ErrInvalid)
	}
	s := &Single{
		ChainHash: chain, PeerNodeID: peerID, PeerAddresses: append([]string(nil), addrs...),
		FundingOutpoint: p.FundingOutpoint, FundingAmount: p.FundingAmount, Type: p.Type, Opener: p.Opener,
		Local: p.Local, Remote: p.Remote, KeyInfo: append([]byte(nil), keyInfo...),
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Params returns the channel's parameters, from this node's view.
func (s *Single) Params() *channel.Params {
	return &channel.Params{
		FundingOutpoint: s.FundingOutpoint, FundingAmount: s.FundingAmount, Type: s.Type, Opener: s.Opener,
		Local: s.Local, Remote: s.Remote,
	}
}

// ChannelID returns the channel's channel_id.
func (s *Single) ChannelID() wire.ChannelID { return wire.NewChannelID(s.FundingOutpoint) }

// Validate checks that s describes a channel: a peer, valid channel
// parameters (channel.Params.Validate) and fields within the format's
// limits.
func (s *Single) Validate() error {
	if s.PeerNodeID == nil {
		return fmt.Errorf("%w: no peer node id", ErrInvalid)
	}
	if err := s.Params().Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(s.PeerAddresses) > MaxAddresses {
		return fmt.Errorf("%w: %d addresses, at most %d", ErrTooLarge, len(s.PeerAddresses), MaxAddresses)
	}
	for _, a := range s.PeerAddresses {
		if len(a) == 0 || len(a) > MaxAddressLen {
			return fmt.Errorf("%w: address of %d bytes", ErrInvalid, len(a))
		}
	}
	if len(s.KeyInfo) > MaxKeyInfo {
		return fmt.Errorf("%w: key info of %d bytes, at most %d", ErrTooLarge, len(s.KeyInfo), MaxKeyInfo)
	}
	return nil
}

// VerifyBasepoints checks that b, the basepoints a restored node derived
// from its seed and KeyInfo, are the channel's.
func (s *Single) VerifyBasepoints(b channel.Basepoints) error {
	l := &s.Local.Basepoints
	for _, k := range [][2]*btcec.PublicKey{
		{l.Funding, b.Funding}, {l.Revocation, b.Revocation}, {l.Payment, b.Payment},
		{l.DelayedPayment, b.DelayedPayment}, {l.HTLC, b.HTLC},
	} {
		if k[0] == nil || k[1] == nil || !k[0].IsEqual(k[1]) {
			return fmt.Errorf("%w: the derived basepoints are not the channel's", ErrInvalid)
		}
	}
	return nil
}

// singleMinSize is the smallest encoded Single (no addresses, no key
// info), which bounds how many entries a Multi of a given size can hold.
const singleMinSize = 32 + 33 + 1 + 8 + 32 + 4 + 8 + 1 + 1 + 2*(5*33+2+8) + 2

// Encode returns the plaintext encoding of s:
//
//	chain_hash          32
//	peer node id        33
//	address count        1, then per address: length 1, "host:port"
//	short_channel_id     8
//	funding txid        32
//	funding index        4
//	funding amount       8 (satoshis)
//	channel type         1 (1 static_remotekey, 2 anchors)
//	opener               1 (0 this node, 1 the peer)
//	local party        175: funding, revocation, payment, delayed payment
//	                        and htlc basepoints (33 each), to_self_delay 2,
//	                        dust limit 8
//	remote party       175: the same for the peer
//	key info             2-byte length, then the bytes
//
// Integers are big-endian.
func (s *Single) Encode() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.append(make([]byte, 0, singleMinSize+64+len(s.KeyInfo))), nil
}

func (s *Single) append(b []byte) []byte {
	b = append(b, s.ChainHash[:]...)
	b = append(b, s.PeerNodeID.SerializeCompressed()...)
	b = append(b, byte(len(s.PeerAddresses)))
	for _, a := range s.PeerAddresses {
		b = append(b, byte(len(a)))
		b = append(b, a...)
	}
	b = wire.AppendU64(b, s.ShortChannelID.ToUint64())
	b = append(b, s.FundingOutpoint.Hash[:]...)
	b = wire.AppendU32(b, s.FundingOutpoint.Index)
	b = wire.AppendU64(b, uint64(s.FundingAmount))
	b = append(b, byte(s.Type), byte(s.Opener))
	for _, pp := range []*channel.PartyParams{&s.Local, &s.Remote} {
		for _, k := range []*btcec.PublicKey{pp.Funding, pp.Revocation, pp.Payment, pp.DelayedPayment, pp.HTLC} {
			b = append(b, k.SerializeCompressed()...)
		}
		b = wire.AppendU16(b, pp.ToSelfDelay)
		b = wire.AppendU64(b, uint64(pp.DustLimit))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.KeyInfo)))
	return append(b, s.KeyInfo...)
}

// DecodeSingle decodes the plaintext of one Single and validates it.
func DecodeSingle(b []byte) (*Single, error) {
	r := wire.NewReader(b)
	s, err := decodeSingle(&r)
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.Len())
	}
	return s, nil
}

func decodeSingle(r *wire.Reader) (*Single, error) {
	s := &Single{}
	r.Copy(s.ChainHash[:], "chain_hash")
	key := func(field string) *btcec.PublicKey {
		b := r.Bytes(33, field)
		if b == nil {
			return nil
		}
		k, err := btcec.ParsePubKey(b)
		if err != nil || b[0] == 0x04 || b[0] == 0x06 || b[0] == 0x07 {
			r.Fail(fmt.Errorf("%s: not a compressed public key", field))
			return nil
		}
		return k
	}
	s.PeerNodeID = key("peer node id")
	n := int(r.U8("address count"))
	if n > MaxAddresses {
		return nil, fmt.Errorf("%w: %d addresses, at most %d", ErrMalformed, n, MaxAddresses)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		a := r.Bytes(int(r.U8("address length")), "address")
		if r.Err() == nil && len(a) == 0 {
			r.Fail(errors.New("empty address"))
		}
		if r.Err() == nil {
			s.PeerAddresses = append(s.PeerAddresses, string(a))
		}
	}
	s.ShortChannelID = wire.NewShortChannelIDFromUint64(r.U64("short_channel_id"))
	r.Copy(s.FundingOutpoint.Hash[:], "funding txid")
	s.FundingOutpoint.Index = r.U32("funding index")
	s.FundingAmount = btcutil.Amount(r.U64("funding amount"))
	s.Type = script.ChannelType(r.U8("channel type"))
	s.Opener = channel.Side(r.U8("opener"))
	for _, pp := range []*channel.PartyParams{&s.Local, &s.Remote} {
		pp.Funding, pp.Revocation, pp.Payment = key("funding_pubkey"), key("revocation_basepoint"), key("payment_basepoint")
		pp.DelayedPayment, pp.HTLC = key("delayed_payment_basepoint"), key("htlc_basepoint")
		pp.ToSelfDelay = r.U16("to_self_delay")
		pp.DustLimit = btcutil.Amount(r.U64("dust limit"))
	}
	ki := r.Bytes(int(r.U16("key info length")), "key info")
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(ki) > 0 {
		s.KeyInfo = append([]byte(nil), ki...)
	}
	if s.FundingAmount > btcutil.MaxSatoshi || s.Local.DustLimit > btcutil.MaxSatoshi || s.Remote.DustLimit > btcutil.MaxSatoshi {
		return nil, fmt.Errorf("%w: amount out of range", ErrMalformed)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return s, nil
}

// Multi is the backup of many channels.
type Multi struct {
	// Singles are the channels.
	Singles []Single
}

// Encode returns the plaintext encoding of m: a 2-byte count, then each
// Single with a 2-byte length in front.
func (m *Multi) Encode() ([]byte, error) {
	if len(m.Singles) > MaxChannels {
		return nil, fmt.Errorf("%w: %d channels, at most %d", ErrTooLarge, len(m.Singles), MaxChannels)
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(m.Singles)))
	for i := range m.Singles {
		s := &m.Singles[i]
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("channel %d: %w", i, err)
		}
		at := len(b)
		b = append(b, 0, 0)
		b = s.append(b)
		n := len(b) - at - 2
		if n > 0xffff {
			return nil, fmt.Errorf("%w: channel %d encodes to %d bytes", ErrTooLarge, i, n)
		}
		binary.BigEndian.PutUint16(b[at:], uint16(n))
	}
	return b, nil
}

// DecodeMulti decodes the plaintext of a Multi. The count is checked
// against the bytes present before anything is allocated for it.
func DecodeMulti(b []byte) (*Multi, error) {
	r := wire.NewReader(b)
	n := int(r.U16("count"))
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if n > r.Len()/(2+singleMinSize) {
		return nil, fmt.Errorf("%w: %d channels cannot fit in %d bytes", ErrMalformed, n, r.Len())
	}
	m := &Multi{Singles: make([]Single, 0, n)}
	for i := 0; i < n; i++ {
		entry := r.Bytes(int(r.U16("entry length")), "entry")
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("%w: channel %d: %w", ErrMalformed, i, err)
		}
		s, err := DecodeSingle(entry)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", i, err)
		}
		m.Singles = append(m.Singles, *s)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.Len())
	}
	return m, nil
}
