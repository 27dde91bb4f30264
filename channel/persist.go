package channel

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Records.
//
// A channel is stored as a few records under KeyPrefix(channel_id), each
// rewritten only when its content changes, so that a state change costs a
// write of what it changed:
//
//	params      the static parameters and both parties' constraints (once)
//	head        counters, the three commitments' balances and fee rates,
//	            the peer's points, flags, and the pending update log
//	            (without HTLC add contents); rewritten on every change,
//	            its size is bounded by the pending updates, not the channel
//	lsig        the peer's signatures of the latest local commitment
//	rsig        this node's commitment_signed awaiting revoke_and_ack
//	h/<o><id>   one HTLC (o: l offered by this node, r by the peer), with
//	            its onion: written once, deleted when it is resolved
//	rev/<nn>    the per-commitment secret in slot nn of the compact
//	            secret store (BOLT 3): one 32-byte write per revocation
//
// The peer's updates that no commitment_signed covered yet are not stored
// (BOLT 2: the peer retransmits them after a reconnection).

// Record keys under the channel prefix.
const (
	keyParams    = "params"
	keyHead      = "head"
	keyLocalSigs = "lsig"
	keySentSig   = "rsig"
	keyHTLC      = "h/"
	keyRev       = "rev/"
)

// Record format versions.
const (
	staticVersion = 1
	headVersion   = 1
	htlcVersion   = 1
)

// KeyPrefix returns the prefix of every store key of a channel.
func KeyPrefix(id wire.ChannelID) string { return "ch/" + hex.EncodeToString(id[:]) + "/" }

func (m *Machine) htlcKey(origin Side, id uint64) string {
	o := "l"
	if origin == Remote {
		o = "r"
	}
	return fmt.Sprintf("%s%s%s%016x", m.prefix, keyHTLC, o, id)
}

// revocationKey is the key of the compact-store slot the secret of a
// remote commitment number goes to.
func (m *Machine) revocationKey(number uint64) string {
	return fmt.Sprintf("%s%s%02d", m.prefix, keyRev, secretSlot(number))
}

// secretSlot is BOLT 3's where_to_put_secret for a commitment number.
func secretSlot(number uint64) int {
	index := revocation.MaxIndex - number
	if index == 0 {
		return 48
	}
	return bits.TrailingZeros64(index)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendKey(b []byte, k *btcec.PublicKey) []byte {
	if k == nil {
		return append(b, make([]byte, 33)...)
	}
	return append(b, k.SerializeCompressed()...)
}

func appendVar(b, v []byte) []byte {
	b = wire.AppendU32(b, uint32(len(v)))
	return append(b, v...)
}

func (m *Machine) encodeStatic() []byte {
	p := m.p
	b := []byte{staticVersion}
	b = append(b, p.FundingOutpoint.Hash[:]...)
	b = wire.AppendU32(b, p.FundingOutpoint.Index)
	b = wire.AppendU64(b, uint64(p.FundingAmount))
	b = append(b, byte(p.Type), byte(p.Opener))
	for _, pp := range []*PartyParams{&p.Local, &p.Remote} {
		for _, k := range []*btcec.PublicKey{pp.Funding, pp.Revocation, pp.Payment, pp.DelayedPayment, pp.HTLC} {
			b = appendKey(b, k)
		}
		b = wire.AppendU16(b, pp.ToSelfDelay)
		b = wire.AppendU64(b, uint64(pp.DustLimit))
	}
	for _, c := range []*Constraints{&m.cfg.LocalConstraints, &m.cfg.RemoteConstraints} {
		b = wire.AppendU64(b, uint64(c.MaxHTLCValueInFlight))
		b = wire.AppendU64(b, uint64(c.ChannelReserve))
		b = wire.AppendU64(b, uint64(c.HTLCMinimum))
		b = wire.AppendU16(b, c.MaxAcceptedHTLCs)
	}
	return b
}

func appendSpec(b []byte, s *commitSpec) []byte {
	b = wire.AppendU64(b, s.number)
	b = wire.AppendU32(b, uint32(s.feeRate))
	b = wire.AppendU64(b, uint64(s.toLocal))
	return wire.AppendU64(b, uint64(s.toRemote))
}

func (m *Machine) encodeHead() []byte {
	b := make([]byte, 0, 256+32*len(m.log))
	b = append(b, headVersion, byte(m.phase))
	errText := ""
	if m.failErr != nil {
		errText = m.failErr.Error()
	}
	b = appendVar(b, []byte(errText))
	b = appendSpec(b, &m.local)
	b = appendSpec(b, &m.remote)
	b = appendBool(b, m.remoteNext != nil)
	if m.remoteNext != nil {
		b = appendSpec(b, m.remoteNext)
	}
	b = appendBool(b, m.revokeAfterSig)
	b = appendBool(b, m.signWant)
	b = appendKey(b, m.remotePoint)
	b = appendKey(b, m.remoteNextPoint)
	// The peer's unstored proposals do not count: after a restart they
	// are gone, as after a disconnection.
	remoteID := m.nextID[Remote]
	for _, e := range m.log {
		if e.origin == Remote && e.stage == stageProposed && e.kind == updAdd {
			remoteID--
		}
	}
	b = wire.AppendU64(b, m.nextID[Local])
	b = wire.AppendU64(b, remoteID)
	b = wire.AppendU32(b, m.height)
	for _, sd := range []*wire.Shutdown{m.localShutdown, m.remoteShutdown} {
		b = appendBool(b, sd != nil)
		if sd != nil {
			b = appendVar(b, sd.ScriptPubKey)
		}
	}
	l := &m.lock
	b = wire.AppendU32(b, l.MinDepth)
	b = wire.AppendU32(b, l.CreatedAt)
	b = appendSCID(b, l.Alias)
	b = appendSCID(b, l.remoteAlias)
	b = appendBool(b, l.localReady)
	b = appendBool(b, l.remoteReady)
	b = wire.AppendU32(b, l.fundingHeight)
	b = wire.AppendU32(b, l.fundingIndex)
	n := 0
	for _, e := range m.log {
		if e.origin == Local || e.stage != stageProposed {
			n++
		}
	}
	b = wire.AppendU32(b, uint32(n))
	for _, e := range m.log {
		if e.origin == Remote && e.stage == stageProposed {
			continue
		}
		b = append(b, byte(e.kind), byte(e.origin), byte(e.stage))
		b = wire.AppendU64(b, e.id)
		switch e.kind {
		case updFee:
			b = wire.AppendU32(b, uint32(e.feeRate))
		case updFulfill:
			b = append(b, e.preimage[:]...)
			b = appendAttribution(b, e.attribution)
		case updFail:
			b = appendVar(b, e.reason)
			b = appendAttribution(b, e.attribution)
		case updFailMalformed:
			b = append(b, e.malformed.OnionSHA256[:]...)
			b = wire.AppendU16(b, e.malformed.FailureCode)
		}
	}
	return b
}

func appendSCID(b []byte, s *wire.ShortChannelID) []byte {
	b = appendBool(b, s != nil)
	if s != nil {
		b = wire.AppendU64(b, s.ToUint64())
	}
	return b
}

func (d *decoder) scid() *wire.ShortChannelID {
	if !d.bool() {
		return nil
	}
	s := wire.NewShortChannelIDFromUint64(d.u64())
	return &s
}

func appendAttribution(b []byte, a *wire.AttributionData) []byte {
	b = appendBool(b, a != nil)
	if a != nil {
		b = append(b, a[:]...)
	}
	return b
}

func encodeHTLC(h *htlcState) []byte {
	b := make([]byte, 0, 64+wire.OnionPacketSize+34)
	b = append(b, htlcVersion, byte(h.origin))
	b = wire.AppendU64(b, h.ID)
	b = wire.AppendU64(b, uint64(h.Amount))
	b = append(b, h.PaymentHash[:]...)
	b = wire.AppendU32(b, h.CLTVExpiry)
	b = append(b, h.onion[:]...)
	b = appendBool(b, h.pathKey != nil)
	if h.pathKey != nil {
		b = append(b, h.pathKey[:]...)
	}
	return appendBool(b, h.dustExcess)
}

func encodeSigs(s *CommitSigs) []byte {
	b := make([]byte, 0, 66+64*len(s.HTLCSigs))
	b = append(b, s.CommitSig[:]...)
	b = wire.AppendU16(b, uint16(len(s.HTLCSigs)))
	for i := range s.HTLCSigs {
		b = append(b, s.HTLCSigs[i][:]...)
	}
	return b
}

// decoder reads a record, remembering the first error.
type decoder struct {
	r    wire.Reader
	what string
}

func (d *decoder) bool() bool  { return d.byte() != 0 }
func (d *decoder) u16() uint16 { return d.r.U16(d.what) }
func (d *decoder) u32() uint32 { return d.r.U32(d.what) }
func (d *decoder) u64() uint64 { return d.r.U64(d.what) }
func (d *decoder) byte() byte {
	b := d.r.Bytes(1, d.what)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
func (d *decoder) bytes(n int) []byte { return d.r.Bytes(n, d.what) }
func (d *decoder) varBytes() []byte {
	n := d.u32()
	if d.r.Err() != nil {
		return nil
	}
	if int64(n) > int64(d.r.Len()) {
		d.r.Bytes(int(d.r.Len())+1, d.what) // records the error
		return nil
	}
	return append([]byte(nil), d.r.Bytes(int(n), d.what)...)
}
func (d *decoder) key() (*btcec.PublicKey, error) {
	b := d.bytes(33)
	if d.r.Err() != nil {
		return nil, d.r.Err()
	}
	var zero [33]byte
	if string(b) == string(zero[:]) {
		return nil, nil
	}
	return btcec.ParsePubKey(b)
}
func (d *decoder) err() error {
	if err := d.r.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorruptRecord, d.what, err)
	}
	return nil
}
func (d *decoder) done() error {
	if err := d.err(); err != nil {
		return err
	}
	if n := d.r.Len(); n != 0 {
		return fmt.Errorf("%w: %s: %d trailing bytes", ErrCorruptRecord, d.what, n)
	}
	return nil
}

func newDecoder(b []byte, what string, version byte) (*decoder, error) {
	if len(b) == 0 || b[0] != version {
		return nil, fmt.Errorf("%w: %s: unknown version", ErrCorruptRecord, what)
	}
	return &decoder{r: wire.NewReader(b[1:]), what: what}, nil
}

func decodeStatic(b []byte, cfg *MachineConfig) error {
	d, err := newDecoder(b, "params", staticVersion)
	if err != nil {
		return err
	}
	p := new(Params)
	var h chainhash.Hash
	copy(h[:], d.bytes(32))
	p.FundingOutpoint = btcwire.OutPoint{Hash: h, Index: d.u32()}
	p.FundingAmount = btcutil.Amount(d.u64())
	p.Type = script.ChannelType(d.byte())
	p.Opener = Side(d.byte())
	for _, pp := range []*PartyParams{&p.Local, &p.Remote} {
		for _, k := range []**btcec.PublicKey{&pp.Funding, &pp.Revocation, &pp.Payment, &pp.DelayedPayment, &pp.HTLC} {
			if *k, err = d.key(); err != nil {
				return fmt.Errorf("%w: params: %v", ErrCorruptRecord, err)
			}
		}
		pp.ToSelfDelay = d.u16()
		pp.DustLimit = btcutil.Amount(d.u64())
	}
	for _, c := range []*Constraints{&cfg.LocalConstraints, &cfg.RemoteConstraints} {
		c.MaxHTLCValueInFlight = wire.MilliSatoshi(d.u64())
		c.ChannelReserve = btcutil.Amount(d.u64())
		c.HTLCMinimum = wire.MilliSatoshi(d.u64())
		c.MaxAcceptedHTLCs = d.u16()
	}
	if err := d.done(); err != nil {
		return err
	}
	cfg.Params = p
	return nil
}

func (d *decoder) spec() commitSpec {
	return commitSpec{number: d.u64(), feeRate: wire.SatPerKWeight(d.u32()), toLocal: wire.MilliSatoshi(d.u64()), toRemote: wire.MilliSatoshi(d.u64())}
}

func (d *decoder) attribution() *wire.AttributionData {
	if !d.bool() {
		return nil
	}
	a := new(wire.AttributionData)
	copy(a[:], d.bytes(wire.AttributionDataSize))
	return a
}

func (m *Machine) decodeHead(b []byte) error {
	d, err := newDecoder(b, "head", headVersion)
	if err != nil {
		return err
	}
	m.phase = phase(d.byte())
	if m.phase > phaseFailed {
		return fmt.Errorf("%w: head: unknown phase %d", ErrCorruptRecord, m.phase)
	}
	if text := d.varBytes(); m.phase == phaseFailed {
		m.failErr = fmt.Errorf("%w: %s", ErrChannelFailed, text)
	}
	m.local = d.spec()
	m.remote = d.spec()
	if d.bool() {
		s := d.spec()
		m.remoteNext = &s
	}
	m.revokeAfterSig = d.bool()
	m.signWant = d.bool()
	if m.remotePoint, err = d.key(); err != nil {
		return fmt.Errorf("%w: head: %v", ErrCorruptRecord, err)
	}
	if m.remoteNextPoint, err = d.key(); err != nil {
		return fmt.Errorf("%w: head: %v", ErrCorruptRecord, err)
	}
	m.nextID[Local] = d.u64()
	m.nextID[Remote] = d.u64()
	m.height = d.u32()
	for _, sd := range []**wire.Shutdown{&m.localShutdown, &m.remoteShutdown} {
		if d.bool() {
			*sd = &wire.Shutdown{ChannelID: m.id, ScriptPubKey: d.varBytes()}
		}
	}
	l := &m.lock
	l.MinDepth = d.u32()
	l.CreatedAt = d.u32()
	l.Alias = d.scid()
	l.remoteAlias = d.scid()
	l.localReady = d.bool()
	l.remoteReady = d.bool()
	l.fundingHeight = d.u32()
	l.fundingIndex = d.u32()
	n := d.u32()
	if err := d.err(); err != nil {
		return err
	}
	if int64(n)*11 > int64(d.r.Len()) {
		return fmt.Errorf("%w: head: %d log entries in %d bytes", ErrCorruptRecord, n, d.r.Len())
	}
	m.log = make([]*logEntry, 0, n)
	for i := uint32(0); i < n; i++ {
		e := &logEntry{kind: updateKind(d.byte()), origin: Side(d.byte()), stage: stage(d.byte()), id: d.u64()}
		switch e.kind {
		case updAdd:
		case updFee:
			e.feeRate = wire.SatPerKWeight(d.u32())
		case updFulfill:
			copy(e.preimage[:], d.bytes(32))
			e.attribution = d.attribution()
		case updFail:
			e.reason = d.varBytes()
			e.attribution = d.attribution()
		case updFailMalformed:
			copy(e.malformed.OnionSHA256[:], d.bytes(32))
			e.malformed.FailureCode = d.u16()
		default:
			return fmt.Errorf("%w: head: update kind %d", ErrCorruptRecord, e.kind)
		}
		if e.origin > Remote || e.stage > stageAcked {
			return fmt.Errorf("%w: head: bad log entry", ErrCorruptRecord)
		}
		m.log = append(m.log, e)
	}
	return d.done()
}

func decodeHTLC(b []byte) (*htlcState, error) {
	d, err := newDecoder(b, "htlc", htlcVersion)
	if err != nil {
		return nil, err
	}
	h := &htlcState{persisted: true}
	h.origin = Side(d.byte())
	h.ID = d.u64()
	h.Amount = wire.MilliSatoshi(d.u64())
	copy(h.PaymentHash[:], d.bytes(32))
	h.CLTVExpiry = d.u32()
	h.onion = new([wire.OnionPacketSize]byte)
	copy(h.onion[:], d.bytes(wire.OnionPacketSize))
	if d.bool() {
		h.pathKey = new(wire.Point)
		copy(h.pathKey[:], d.bytes(33))
	}
	h.dustExcess = d.bool()
	if err := d.done(); err != nil {
		return nil, err
	}
	if h.origin > Remote {
		return nil, fmt.Errorf("%w: htlc origin %d", ErrCorruptRecord, h.origin)
	}
	h.Direction = htlc.Offered
	if h.origin == Remote {
		h.Direction = htlc.Received
	}
	return h, nil
}

func decodeSigs(b []byte) (*CommitSigs, error) {
	d := &decoder{r: wire.NewReader(b), what: "signatures"}
	s := new(CommitSigs)
	copy(s.CommitSig[:], d.bytes(64))
	n := d.u16()
	if err := d.err(); err != nil {
		return nil, err
	}
	if int(n)*64 != d.r.Len() {
		return nil, fmt.Errorf("%w: %d HTLC signatures in %d bytes", ErrCorruptRecord, n, d.r.Len())
	}
	s.HTLCSigs = make([]wire.Signature, n)
	for i := range s.HTLCSigs {
		copy(s.HTLCSigs[i][:], d.bytes(64))
	}
	return s, d.done()
}

// RecordSource reads what a Machine persisted. store.Store implements it.
type RecordSource interface {
	// Get returns the value stored under key.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys that start with prefix, in ascending order.
	List(ctx context.Context, prefix string) ([]string, error)
}

// RestoreMachine rebuilds a channel's Machine from its records. The
// static parameters and constraints come from the store (cfg.Params and
// the constraints are ignored); cfg gives the signer, the secrets and the
// policy. The Machine starts disconnected: call Reconnected when the peer
// is back. A record that cannot be decoded returns ErrCorruptRecord.
func RestoreMachine(ctx context.Context, src RecordSource, id wire.ChannelID, cfg MachineConfig) (*Machine, error) {
	prefix := KeyPrefix(id)
	keys, err := src.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("channel: listing %s: %w", prefix, err)
	}
	recs := make(map[string][]byte, len(keys))
	for _, k := range keys {
		v, err := src.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("channel: reading %s: %w", k, err)
		}
		recs[strings.TrimPrefix(k, prefix)] = v
	}
	static, ok := recs[keyParams]
	if !ok {
		return nil, fmt.Errorf("%w: channel %v has no params record", ErrCorruptRecord, id)
	}
	if err := decodeStatic(static, &cfg); err != nil {
		return nil, err
	}
	m, err := newMachine(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptRecord, err)
	}
	if m.id != id {
		return nil, fmt.Errorf("%w: params are of channel %v", ErrCorruptRecord, m.id)
	}
	head, ok := recs[keyHead]
	if !ok {
		return nil, fmt.Errorf("%w: channel %v has no head record", ErrCorruptRecord, id)
	}
	if err := m.decodeHead(head); err != nil {
		return nil, err
	}
	ls, ok := recs[keyLocalSigs]
	if !ok {
		return nil, fmt.Errorf("%w: no local signatures", ErrCorruptRecord)
	}
	sigs, err := decodeSigs(ls)
	if err != nil {
		return nil, err
	}
	m.localSigs = *sigs
	if rs, ok := recs[keySentSig]; ok {
		if m.remoteNext == nil {
			return nil, fmt.Errorf("%w: a sent commitment_signed without a pending commitment", ErrCorruptRecord)
		}
		sigs, err := decodeSigs(rs)
		if err != nil {
			return nil, err
		}
		m.sentSig = &wire.CommitmentSigned{ChannelID: m.id, Signature: sigs.CommitSig, HTLCSignatures: sigs.HTLCSigs}
	} else if m.remoteNext != nil {
		return nil, fmt.Errorf("%w: a pending commitment without its commitment_signed", ErrCorruptRecord)
	}

	// HTLCs, in canonical order (keys sort by origin, then id).
	var hkeys []string
	for k := range recs {
		if strings.HasPrefix(k, keyHTLC) {
			hkeys = append(hkeys, k)
		}
	}
	sort.Strings(hkeys)
	for _, k := range hkeys {
		h, err := decodeHTLC(recs[k])
		if err != nil {
			return nil, err
		}
		m.htlcs = append(m.htlcs, h)
	}
	for _, e := range m.log {
		switch e.kind {
		case updAdd:
			h := m.findHTLC(e.origin, e.id)
			if h == nil {
				return nil, fmt.Errorf("%w: pending add of HTLC %d has no record", ErrCorruptRecord, e.id)
			}
			h.add = e
		case updFulfill, updFail, updFailMalformed:
			h := m.findHTLC(e.origin.Other(), e.id)
			if h == nil {
				return nil, fmt.Errorf("%w: pending removal of HTLC %d has no record", ErrCorruptRecord, e.id)
			}
			h.remove = e
		}
	}

	if err := m.restoreResolutions(recs); err != nil {
		return nil, err
	}

	// The compact store of the peer's secrets: its encoding is the
	// version, the count, then the occupied slots in order, which are
	// exactly the slots written.
	enc := []byte{1}
	enc = wire.AppendU64(enc, m.remote.number)
	var rkeys []string
	for k := range recs {
		if strings.HasPrefix(k, keyRev) {
			rkeys = append(rkeys, k)
		}
	}
	sort.Strings(rkeys)
	for _, k := range rkeys {
		enc = append(enc, recs[k]...)
	}
	if m.remoteSecrets, err = revocation.DecodeStore(enc); err != nil {
		return nil, fmt.Errorf("%w: revocation secrets: %v", ErrCorruptRecord, err)
	}
	return m, nil
}
