package channel

import (
	"context"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// FundingTerms are the options a channel establishment agreed that the
// channel's Machine does not keep: the host needs them for as long as the
// channel lives (which scid to route and announce by, the peer's
// committed closing script). The step that opens the channel writes them
// in its *Persist, in the same batch as the channel's first records, so
// they are durable before funding_signed is sent or the funding
// transaction broadcast; LoadFundingTerms reads them back.
type FundingTerms struct {
	// TemporaryChannelID is the negotiation's temporary_channel_id.
	TemporaryChannelID wire.ChannelID
	// ChannelType is the channel_type in its smallest encoding (as sent,
	// or the type BOLT 2 implies when open_channel had none).
	ChannelType wire.FeatureVector
	// SCIDAlias is its option_scid_alias bit: the channel must not be
	// used, or disclosed, by its real short_channel_id (BOLT 2
	// channel_ready).
	SCIDAlias bool
	// ZeroConf is its option_zeroconf bit.
	ZeroConf bool
	// MinimumDepth is accept_channel's minimum_depth.
	MinimumDepth uint32
	// LocalShutdownScript is this node's upfront_shutdown_script, nil
	// when empty: its shutdown must use it (BOLT 2, when both nodes
	// advertised option_upfront_shutdown_script).
	LocalShutdownScript []byte
	// RemoteShutdownScript is the peer's upfront_shutdown_script when
	// both nodes advertised option_upfront_shutdown_script and it is not
	// empty, else nil: a shutdown from the peer with another script must
	// fail the connection (BOLT 2).
	RemoteShutdownScript []byte
	// Announce is open_channel's announce_channel bit.
	Announce bool
}

// keyFundingTerms is the record of FundingTerms under the channel prefix.
const keyFundingTerms = "funding"

// fundingTermsVersion is the record's format version.
const fundingTermsVersion = 1

const (
	termsSCIDAlias = 1 << iota
	termsZeroConf
	termsAnnounce
)

// encode is the record: version, temporary_channel_id, channel_type
// (u16 length), flags, minimum_depth, both shutdown scripts (u16 length).
func (t *FundingTerms) encode() ([]byte, error) {
	b := []byte{fundingTermsVersion}
	b = append(b, t.TemporaryChannelID[:]...)
	b, err := wire.AppendVarBytes16(b, t.ChannelType)
	if err != nil {
		return nil, err
	}
	var flags byte
	if t.SCIDAlias {
		flags |= termsSCIDAlias
	}
	if t.ZeroConf {
		flags |= termsZeroConf
	}
	if t.Announce {
		flags |= termsAnnounce
	}
	b = append(b, flags)
	b = wire.AppendU32(b, t.MinimumDepth)
	if b, err = wire.AppendVarBytes16(b, t.LocalShutdownScript); err != nil {
		return nil, err
	}
	return wire.AppendVarBytes16(b, t.RemoteShutdownScript)
}

// decodeFundingTerms reads the record; anything but exactly one record of
// the known version is ErrCorruptRecord.
func decodeFundingTerms(v []byte) (*FundingTerms, error) {
	if len(v) == 0 || v[0] != fundingTermsVersion {
		return nil, fmt.Errorf("%w: funding terms: unknown version", ErrCorruptRecord)
	}
	r := wire.NewReader(v[1:])
	t := &FundingTerms{}
	r.Copy(t.TemporaryChannelID[:], "temporary_channel_id")
	if ct := r.VarBytes16("channel_type"); len(ct) > 0 {
		t.ChannelType = wire.FeatureVector(append([]byte(nil), ct...))
	}
	flags := r.U8("flags")
	t.MinimumDepth = r.U32("minimum_depth")
	if s := r.VarBytes16("local shutdown script"); len(s) > 0 {
		t.LocalShutdownScript = append([]byte(nil), s...)
	}
	if s := r.VarBytes16("remote shutdown script"); len(s) > 0 {
		t.RemoteShutdownScript = append([]byte(nil), s...)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: funding terms: %v", ErrCorruptRecord, err)
	}
	if r.Len() != 0 || flags&^(termsSCIDAlias|termsZeroConf|termsAnnounce) != 0 {
		return nil, fmt.Errorf("%w: funding terms: trailing bytes or unknown flags", ErrCorruptRecord)
	}
	t.SCIDAlias, t.ZeroConf, t.Announce = flags&termsSCIDAlias != 0, flags&termsZeroConf != 0, flags&termsAnnounce != 0
	return t, nil
}

// LoadFundingTerms reads the FundingTerms a Funding stored with channel
// id. A missing record returns src's error (store.ErrNotFound, for a
// store.Store); one that cannot be decoded, ErrCorruptRecord.
func LoadFundingTerms(ctx context.Context, src RecordSource, id wire.ChannelID) (*FundingTerms, error) {
	v, err := src.Get(ctx, KeyPrefix(id)+keyFundingTerms)
	if err != nil {
		return nil, fmt.Errorf("channel: reading the funding terms of %v: %w", id, err)
	}
	return decodeFundingTerms(v)
}

// withTermsRecord adds the terms' record to the first *Persist of acts
// (the batch that creates the channel), or puts a *Persist of its own
// first.
func withTermsRecord(acts []Action, id wire.ChannelID, t *FundingTerms) ([]Action, error) {
	v, err := t.encode()
	if err != nil {
		return nil, err
	}
	op := PersistOp{Key: KeyPrefix(id) + keyFundingTerms, Value: v}
	for _, a := range acts {
		if p, ok := a.(*Persist); ok {
			p.Ops = append(p.Ops, op)
			return acts, nil
		}
	}
	return append([]Action{&Persist{Ops: []PersistOp{op}}}, acts...), nil
}
