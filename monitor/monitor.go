package monitor

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Monitor watches the chain for one channel and resolves its outputs when
// the channel closes (BOLT 5). See the package documentation.
//
// A Monitor is safe for concurrent use: the host may call Apply from the
// channel's goroutine while blocks arrive on another. Calls are
// serialised by one mutex, held while the monitor broadcasts, estimates
// fees and uses the wallet, so those host implementations must not call
// back into the Monitor.
type Monitor struct {
	mu     sync.Mutex
	cfg    Config
	pol    Policy
	log    *slog.Logger
	id     wire.ChannelID
	prefix string

	p             *channel.Params
	dest          []byte
	obscuring     uint64
	fundingScript []byte

	meta            meta
	local, localOld *localCommit
	// remotes are the unrevoked remote commitments (numbers at or above
	// secrets.Received()), lowest number first.
	remotes []*remoteCommit
	secrets *revocation.Store

	tip     tip
	conf    []*confTx
	groups  map[string]*groupState
	emitted map[string]bool
	seq     uint64

	// preimages caches store lookups; a nil value means known absent.
	preimages map[htlc.PaymentHash]*htlc.Preimage
	// built caches commitments rebuilt from stored records, by txid.
	built map[chainhash.Hash]*channel.Commitment
	// registered are the outputs given to the Filter by this process.
	registered map[btcwire.OutPoint]bool
	// gen counts committed changes, for Prepared.
	gen uint64
}

type localCommit struct {
	info *channel.LocalCommitmentInfo
	c    *channel.Commitment
}

type remoteCommit struct {
	info *channel.RemoteCommitmentInfo
	c    *channel.Commitment
}

// New registers the channel with parameters p (from channel.Machine.Params)
// and returns its monitor. It asks for the sweep script (Config.SweepScript
// or Wallet.NewScript) and writes the monitor's first records; the host
// then hands it the channel's monitor updates, starting with the two of
// channel.NewMachine. Registering a channel that is already registered
// with the same parameters opens it instead (see Open), so a host that
// crashed while registering may simply register again.
//
// Register the channel before its funding transaction can be spent; the
// first block delivered to BlockConnected starts the watch.
func New(ctx context.Context, cfg Config, p *channel.Params) (*Monitor, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil Params", ErrInvalidConfig)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := cfg.validate(p); err != nil {
		return nil, err
	}
	id := wire.NewChannelID(p.FundingOutpoint)
	prefix := KeyPrefix(id)
	old, err := cfg.Store.Get(ctx, prefix+keyParams)
	switch {
	case err == nil:
		op, _, derr := decodeStatic(old)
		if derr != nil {
			return nil, corrupt(prefix+keyParams, derr)
		}
		if !bytes.Equal(encodeStatic(op, nil), encodeStatic(p, nil)) {
			return nil, fmt.Errorf("%w: channel %x is registered with other parameters", ErrInvalidConfig, id)
		}
		return Open(ctx, cfg, id)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("monitor: reading %s: %w", prefix+keyParams, err)
	}
	var dest []byte
	switch {
	case cfg.SweepScript != nil:
		dest, err = cfg.SweepScript(ctx)
	case cfg.Wallet != nil:
		dest, err = cfg.Wallet.NewScript(ctx)
	default:
		err = fmt.Errorf("%w: no SweepScript and no Wallet", ErrInvalidConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: sweep script: %w", err)
	}
	if len(dest) == 0 {
		return nil, fmt.Errorf("%w: empty sweep script", ErrInvalidConfig)
	}
	m := newMonitor(cfg, p, dest)
	var b store.Batch
	b.Put(prefix+keyParams, encodeStatic(p, dest))
	b.Put(prefix+keyMeta, m.meta.encode())
	sec, _ := m.secrets.MarshalBinary()
	b.Put(prefix+keySecrets, sec)
	b.Put(IndexPrefix+idHex(id), nil)
	if err := cfg.Store.Write(ctx, &b); err != nil {
		return nil, fmt.Errorf("monitor: registering channel: %w", err)
	}
	m.registerFilter()
	return m, nil
}

func idHex(id wire.ChannelID) string { return hex.EncodeToString(id[:]) }

func newMonitor(cfg Config, p *channel.Params, dest []byte) *Monitor {
	id := wire.NewChannelID(p.FundingOutpoint)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	fundingScript, _ := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	m := &Monitor{
		cfg: cfg, pol: cfg.Policy.withDefaults(), id: id, prefix: KeyPrefix(id),
		log:           logger.With("channel", idHex(id)),
		p:             p,
		dest:          dest,
		obscuring:     script.ObscuringFactor(p.Party(p.Opener).Payment, p.Party(p.Opener.Other()).Payment),
		fundingScript: script.P2WSH(fundingScript),
		secrets:       revocation.NewStore(),
		groups:        map[string]*groupState{},
		emitted:       map[string]bool{},
		preimages:     map[htlc.PaymentHash]*htlc.Preimage{},
		built:         map[chainhash.Hash]*channel.Commitment{},
		registered:    map[btcwire.OutPoint]bool{},
	}
	return m
}

// Open restores the monitor of channel id from the store, as it was after
// its last durable write. The host then replays blocks from SyncedTo on.
func Open(ctx context.Context, cfg Config, id wire.ChannelID) (*Monitor, error) {
	if err := cfg.validate(nil); err != nil {
		return nil, err
	}
	prefix := KeyPrefix(id)
	st := cfg.Store
	get := func(key string) ([]byte, error) {
		b, err := st.Get(ctx, prefix+key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("monitor: reading %s: %w", prefix+key, err)
		}
		return b, err
	}
	raw, err := get(keyParams)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %x", ErrNotRegistered, id)
	}
	if err != nil {
		return nil, err
	}
	p, dest, err := decodeStatic(raw)
	if err != nil {
		return nil, corrupt(prefix+keyParams, err)
	}
	if err := cfg.validate(p); err != nil {
		return nil, err
	}
	m := newMonitor(cfg, p, dest)

	if raw, err = get(keyMeta); err != nil {
		return nil, err
	}
	if m.meta, err = decodeMeta(raw); err != nil {
		return nil, corrupt(prefix+keyMeta, err)
	}
	if raw, err = get(keySecrets); err != nil {
		return nil, err
	}
	if m.secrets, err = revocation.DecodeStore(raw); err != nil {
		return nil, corrupt(prefix+keySecrets, err)
	}
	for _, k := range []string{keyLocalOld, keyLocal} {
		raw, err := get(k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		li, err := decodeLocal(raw)
		if err != nil {
			return nil, corrupt(prefix+k, err)
		}
		lc, err := m.buildLocal(ctx, li, false)
		if err != nil {
			return nil, corrupt(prefix+k, err)
		}
		if k == keyLocal {
			m.local = lc
		} else {
			m.localOld = lc
		}
	}
	if m.meta.hasRemote {
		for n := m.secrets.Received(); n <= m.meta.maxRemote; n++ {
			infos, err := m.loadRemotes(ctx, n)
			if err != nil {
				return nil, err
			}
			for _, ri := range infos {
				rc, err := m.buildRemote(ri)
				if err != nil {
					return nil, corrupt(prefix+remoteKey(n, ri.TxID), err)
				}
				m.remotes = append(m.remotes, rc)
			}
		}
	}
	raw, err = get(keyTip)
	switch {
	case err == nil:
		if m.tip, err = decodeTip(raw); err != nil {
			return nil, corrupt(prefix+keyTip, err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	raw, err = get(keySeq)
	switch {
	case err == nil:
		d := newDec(raw)
		m.seq = d.u64()
		if err := d.done(); err != nil {
			return nil, corrupt(prefix+keySeq, err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if err := m.loadList(ctx, keyConf, func(k string, b []byte) error {
		c, err := decodeConf(b)
		if err == nil {
			m.conf = append(m.conf, c)
		}
		return err
	}); err != nil {
		return nil, err
	}
	sortConf(m.conf)
	if err := m.loadList(ctx, keyGroup, func(k string, b []byte) error {
		g, err := decodeGroup(b)
		if err == nil {
			m.groups[k[len(prefix+keyGroup):]] = g
		}
		return err
	}); err != nil {
		return nil, err
	}
	keys, err := st.List(ctx, prefix+keyEmitted)
	if err != nil {
		return nil, fmt.Errorf("monitor: listing %s: %w", prefix+keyEmitted, err)
	}
	for _, k := range keys {
		m.emitted[k[len(prefix+keyEmitted):]] = true
	}
	m.registerFilter()
	if m.tip.set && cfg.Filter != nil {
		// A host that filters blocks must know every output watched
		// before it replays the blocks since SyncedTo.
		s := m.newStep(ctx, m.conf, m.tip.height)
		s.analyze()
		m.register(s.watched)
	}
	return m, nil
}

// loadList reads every record under prefix+sub.
func (m *Monitor) loadList(ctx context.Context, sub string, fn func(key string, b []byte) error) error {
	keys, err := m.cfg.Store.List(ctx, m.prefix+sub)
	if err != nil {
		return fmt.Errorf("monitor: listing %s: %w", m.prefix+sub, err)
	}
	for _, k := range keys {
		b, err := m.cfg.Store.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("monitor: reading %s: %w", k, err)
		}
		if err := fn(k, b); err != nil {
			return corrupt(k, err)
		}
	}
	return nil
}

// loadRemotes reads the stored remote commitments with number n.
func (m *Monitor) loadRemotes(ctx context.Context, n uint64) ([]*channel.RemoteCommitmentInfo, error) {
	var out []*channel.RemoteCommitmentInfo
	err := m.loadList(ctx, remoteKeyPrefix(n), func(_ string, b []byte) error {
		ri, err := decodeRemote(b)
		if err == nil {
			out = append(out, ri)
		}
		return err
	})
	return out, err
}

func sortConf(c []*confTx) {
	sort.SliceStable(c, func(i, j int) bool {
		if c[i].height != c[j].height {
			return c[i].height < c[j].height
		}
		return c[i].index < c[j].index
	})
}

// Channels lists the channels registered in st, in the order of their
// ids.
func Channels(ctx context.Context, st store.Store) ([]wire.ChannelID, error) {
	keys, err := st.List(ctx, IndexPrefix)
	if err != nil {
		return nil, fmt.Errorf("monitor: listing monitors: %w", err)
	}
	out := make([]wire.ChannelID, 0, len(keys))
	for _, k := range keys {
		var id wire.ChannelID
		b, err := hex.DecodeString(k[len(IndexPrefix):])
		if err != nil || len(b) != len(id) {
			return nil, corrupt(k, errors.New("not a channel id"))
		}
		copy(id[:], b)
		out = append(out, id)
	}
	return out, nil
}

// ChannelID returns the channel's id.
func (m *Monitor) ChannelID() wire.ChannelID { return m.id }

// Params returns the channel's parameters. The caller must not modify
// them.
func (m *Monitor) Params() *channel.Params { return m.p }

// SweepScript returns the script claims pay.
func (m *Monitor) SweepScript() []byte { return append([]byte(nil), m.dest...) }

// SyncedTo returns the last block the monitor processed durably: the host
// delivers blocks from height+1 on (after disconnecting this one if it
// left the best chain). ok is false before the first block.
func (m *Monitor) SyncedTo() (height uint32, hash chainhash.Hash, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tip.height, m.tip.hash, m.tip.set
}

// buildLocal rebuilds a local commitment from its record; verify also
// checks the peer's signatures.
func (m *Monitor) buildLocal(ctx context.Context, li *channel.LocalCommitmentInfo, verify bool) (*localCommit, error) {
	c, err := channel.NewCommitment(m.p, channel.Local, &li.State, li.Point)
	if err != nil {
		return nil, err
	}
	if c.TxHash != li.TxID {
		return nil, fmt.Errorf("local commitment %d builds as %v, the update says %v", li.State.Number, c.TxHash, li.TxID)
	}
	if verify {
		if err := channel.VerifyCommitSigs(ctx, m.p, c, &li.Sigs); err != nil {
			return nil, fmt.Errorf("local commitment %d: %w", li.State.Number, err)
		}
	} else if len(li.Sigs.HTLCSigs) != len(c.HTLCs) {
		return nil, fmt.Errorf("local commitment %d: %d HTLC signatures for %d HTLCs", li.State.Number, len(li.Sigs.HTLCSigs), len(c.HTLCs))
	}
	return &localCommit{info: li, c: c}, nil
}

func (m *Monitor) buildRemote(ri *channel.RemoteCommitmentInfo) (*remoteCommit, error) {
	c, err := channel.NewCommitment(m.p, channel.Remote, &ri.State, ri.Point)
	if err != nil {
		return nil, err
	}
	if c.TxHash != ri.TxID {
		return nil, fmt.Errorf("remote commitment %d builds as %v, the update says %v", ri.State.Number, c.TxHash, ri.TxID)
	}
	return &remoteCommit{info: ri, c: c}, nil
}

// registerFilter gives the Filter the funding outpoint.
func (m *Monitor) registerFilter() {
	m.register(map[btcwire.OutPoint][]byte{m.p.FundingOutpoint: m.fundingScript})
}

func (m *Monitor) register(outs map[btcwire.OutPoint][]byte) {
	if m.cfg.Filter == nil {
		return
	}
	ops := make([]btcwire.OutPoint, 0, len(outs))
	for op := range outs {
		if !m.registered[op] {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Hash != ops[j].Hash {
			return bytes.Compare(ops[i].Hash[:], ops[j].Hash[:]) < 0
		}
		return ops[i].Index < ops[j].Index
	})
	for _, op := range ops {
		m.cfg.Filter.RegisterOutput(chain.WatchedOutput{OutPoint: op, PkScript: outs[op]})
		m.registered[op] = true
	}
}

// ForceClose broadcasts the latest local commitment (under option_anchors
// with a child paying for it through this node's anchor, when its own fee
// is not enough) and keeps it broadcast, bumping the child's fee as
// deadlines near, until a commitment confirms. It refuses with
// ErrNoBroadcast when the channel reported data loss or the monitor is
// justice-only, and with ErrNoCommitment before the first local
// commitment. The broadcast itself may fail (the host's node may be
// down); it is retried every block.
func (m *Monitor) ForceClose(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.canBroadcastLocal(); err != nil {
		return err
	}
	if !m.meta.forceClose {
		nm := m.meta
		nm.forceClose = true
		var b store.Batch
		b.Put(m.prefix+keyMeta, nm.encode())
		if err := m.cfg.Store.Write(ctx, &b); err != nil {
			return fmt.Errorf("monitor: recording force close: %w", err)
		}
		m.meta = nm
		m.gen++
	}
	if !m.tip.set {
		return nil
	}
	return m.run(ctx, m.conf, m.tip, nil, true)
}

func (m *Monitor) canBroadcastLocal() error {
	switch {
	case m.cfg.Mode == ModeJusticeOnly:
		return fmt.Errorf("%w: justice-only monitor", ErrNoBroadcast)
	case m.meta.dataLoss:
		return fmt.Errorf("%w: the channel reported data loss", ErrNoBroadcast)
	case m.local == nil:
		return ErrNoCommitment
	}
	return nil
}

// MarkDataLoss records that this node lost channel state (the peer proved
// it in channel_reestablish, channel.ChannelFailed with Broadcast false):
// from now on the monitor never broadcasts its local commitment, which the
// peer may hold the revocation secret of, and waits for the peer's
// commitment to claim its to_remote output. point is the peer's
// my_current_per_commitment_point (channel.ChannelFailed.RemotePoint); it
// may be nil.
func (m *Monitor) MarkDataLoss(ctx context.Context, point *btcec.PublicKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	nm := m.meta
	nm.dataLoss, nm.forceClose = true, false
	if point != nil {
		nm.dataLossPoint = point
	}
	var b store.Batch
	b.Put(m.prefix+keyMeta, nm.encode())
	if err := m.cfg.Store.Write(ctx, &b); err != nil {
		return fmt.Errorf("monitor: recording data loss: %w", err)
	}
	m.meta = nm
	m.gen++
	return nil
}

// HandleChannelFailed acts on the channel Machine's *channel.ChannelFailed:
// ForceClose when it asks for a broadcast, MarkDataLoss when it does not.
func (m *Monitor) HandleChannelFailed(ctx context.Context, cf *channel.ChannelFailed) error {
	if cf == nil {
		return fmt.Errorf("%w: nil ChannelFailed", ErrInvalidUpdate)
	}
	if cf.ChannelID != m.id {
		return fmt.Errorf("%w: ChannelFailed for %x", ErrWrongChannel, cf.ChannelID)
	}
	if cf.Broadcast {
		return m.ForceClose(ctx)
	}
	return m.MarkDataLoss(ctx, cf.RemotePoint)
}

// Forget deletes every record of the monitor, once ClaimsResolved has
// been reported. The Monitor must not be used afterwards.
func (m *Monitor) Forget(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys, err := m.cfg.Store.List(ctx, m.prefix)
	if err != nil {
		return fmt.Errorf("monitor: listing records: %w", err)
	}
	var b store.Batch
	for _, k := range keys {
		if strings.HasPrefix(k, m.prefix) {
			b.Delete(k)
		}
	}
	b.Delete(IndexPrefix + idHex(m.id))
	if err := m.cfg.Store.Write(ctx, &b); err != nil {
		return fmt.Errorf("monitor: deleting records: %w", err)
	}
	return nil
}

// preimage returns the known preimage of h, or nil.
func (m *Monitor) preimage(ctx context.Context, h htlc.PaymentHash) (*htlc.Preimage, error) {
	if p, ok := m.preimages[h]; ok {
		return p, nil
	}
	b, err := m.cfg.Store.Get(ctx, m.prefix+preimageKey(h))
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.preimages[h] = nil
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("monitor: reading preimage: %w", err)
	}
	var p htlc.Preimage
	if len(b) != len(p) {
		return nil, corrupt(m.prefix+preimageKey(h), errors.New("not a preimage"))
	}
	copy(p[:], b)
	if !p.Matches(h) {
		return nil, corrupt(m.prefix+preimageKey(h), errors.New("preimage does not match its hash"))
	}
	m.preimages[h] = &p
	return &p, nil
}
