package monitor

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Prepared is the record of one or more monitor updates, checked and
// encoded but not yet written: the host writes Batch durably, alone or in
// one atomic batch with the channel's *channel.Persist ops (the keys do
// not overlap), and then calls Commit.
type Prepared struct {
	m     *Monitor
	gen   uint64
	batch store.Batch

	meta            meta
	local, localOld *localCommit
	remotes         []*remoteCommit
	secrets         *revocation.Store
	preimages       []htlc.Preimage
}

// Batch returns the writes that record the updates.
func (p *Prepared) Batch() *store.Batch { return &p.batch }

// Prepare checks updates, in order, against the monitor and each other
// and returns their writes. It changes nothing: Commit does, after the
// host has written the batch. A Local commitment must build to its txid
// and carry valid signatures of the peer; a Remote one must build to its
// txid; a Revocation must be the next per_commitment_secret and match the
// point of the commitment it revokes. Updates already applied (a replay
// after a crash) are accepted and write nothing new. Errors wrap
// ErrWrongChannel or ErrInvalidUpdate.
func (m *Monitor) Prepare(ctx context.Context, updates ...*channel.MonitorUpdate) (*Prepared, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.prepare(ctx, updates)
}

func (m *Monitor) prepare(ctx context.Context, updates []*channel.MonitorUpdate) (*Prepared, error) {
	pr := &Prepared{
		m: m, gen: m.gen, meta: m.meta, local: m.local, localOld: m.localOld,
		remotes: append([]*remoteCommit(nil), m.remotes...), secrets: m.secrets,
	}
	secretsCopied := false
	for i, u := range updates {
		if u == nil {
			return nil, fmt.Errorf("%w: update %d is nil", ErrInvalidUpdate, i)
		}
		if u.ChannelID != m.id {
			return nil, fmt.Errorf("%w: update %d is for %x, this monitor watches %x", ErrWrongChannel, i, u.ChannelID, m.id)
		}
		set := 0
		for _, b := range []bool{u.Local != nil, u.Remote != nil, u.Revocation != nil, u.Preimage != nil} {
			if b {
				set++
			}
		}
		if set != 1 {
			return nil, fmt.Errorf("%w: update %d sets %d fields, want 1", ErrInvalidUpdate, i, set)
		}
		var err error
		switch {
		case u.Local != nil:
			err = pr.addLocal(ctx, u.Local)
		case u.Remote != nil:
			err = pr.addRemote(ctx, u.Remote)
		case u.Revocation != nil:
			if !secretsCopied {
				b, _ := pr.secrets.MarshalBinary()
				pr.secrets, _ = revocation.DecodeStore(b)
				secretsCopied = true
			}
			err = pr.addRevocation(u.Revocation)
		default:
			pr.preimages = append(pr.preimages, *u.Preimage)
			pr.batch.Put(m.prefix+preimageKey(u.Preimage.Hash()), u.Preimage[:])
		}
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", i, err)
		}
	}
	if pr.meta != m.meta {
		pr.batch.Put(m.prefix+keyMeta, pr.meta.encode())
	}
	return pr, nil
}

func (pr *Prepared) addLocal(ctx context.Context, li *channel.LocalCommitmentInfo) error {
	m := pr.m
	if li.Point == nil {
		return fmt.Errorf("%w: local commitment without a per-commitment point", ErrInvalidUpdate)
	}
	if pr.local != nil {
		switch {
		case li.State.Number < pr.local.info.State.Number:
			// An older update replayed: the latest stays.
			return nil
		case li.State.Number == pr.local.info.State.Number && li.TxID == pr.local.info.TxID:
			return nil
		}
	}
	cp := *li
	cp.State.HTLCs = append([]htlc.HTLC(nil), li.State.HTLCs...)
	cp.Sigs.HTLCSigs = append([]wire.Signature(nil), li.Sigs.HTLCSigs...)
	lc, err := m.buildLocal(ctx, &cp, true)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", ErrInvalidUpdate, err)
	}
	if pr.local != nil && li.State.Number > pr.local.info.State.Number {
		pr.localOld = pr.local
		pr.batch.Put(m.prefix+keyLocalOld, encodeLocal(pr.localOld.info))
	}
	pr.local = lc
	pr.batch.Put(m.prefix+keyLocal, encodeLocal(lc.info))
	return nil
}

func (pr *Prepared) addRemote(ctx context.Context, ri *channel.RemoteCommitmentInfo) error {
	m := pr.m
	if ri.Point == nil {
		return fmt.Errorf("%w: remote commitment without a per-commitment point", ErrInvalidUpdate)
	}
	for _, rc := range pr.remotes {
		if rc.info.TxID == ri.TxID {
			return nil
		}
	}
	n := ri.State.Number
	if n < pr.secrets.Received() {
		// Revoked already: a replay of an update the store holds needs
		// no rebuilding.
		if old, err := m.cfg.Store.Get(ctx, m.prefix+remoteKey(n, ri.TxID)); err == nil && bytes.Equal(old, encodeRemote(ri)) {
			return nil
		}
	}
	cp := *ri
	cp.State.HTLCs = append([]htlc.HTLC(nil), ri.State.HTLCs...)
	rc, err := m.buildRemote(&cp)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidUpdate, err)
	}
	pr.batch.Put(m.prefix+remoteKey(n, ri.TxID), encodeRemote(rc.info))
	if !pr.meta.hasRemote || n > pr.meta.maxRemote {
		pr.meta.hasRemote, pr.meta.maxRemote = true, n
	}
	if n >= pr.secrets.Received() {
		pr.remotes = append(pr.remotes, rc)
		sort.SliceStable(pr.remotes, func(i, j int) bool {
			return pr.remotes[i].info.State.Number < pr.remotes[j].info.State.Number
		})
	}
	return nil
}

func (pr *Prepared) addRevocation(rv *channel.RevocationInfo) error {
	m := pr.m
	n := rv.Number
	if n < pr.secrets.Received() {
		old, err := pr.secrets.LookupCommitment(n)
		if err != nil || !old.Equal(rv.Secret) {
			return fmt.Errorf("%w: a different per_commitment_secret for revoked commitment %d", ErrInvalidUpdate, n)
		}
		return nil
	}
	point := rv.Secret.Point()
	for _, rc := range pr.remotes {
		if rc.info.State.Number == n && !rc.info.Point.IsEqual(point) {
			return fmt.Errorf("%w: per_commitment_secret %d does not match the commitment's per_commitment_point", ErrInvalidUpdate, n)
		}
	}
	if err := pr.secrets.InsertCommitment(n, rv.Secret); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidUpdate, err)
	}
	kept := pr.remotes[:0:0]
	for _, rc := range pr.remotes {
		if rc.info.State.Number >= pr.secrets.Received() {
			kept = append(kept, rc)
		}
	}
	pr.remotes = kept
	b, err := pr.secrets.MarshalBinary()
	if err != nil {
		return err
	}
	pr.batch.Put(m.prefix+keySecrets, b)
	return nil
}

// Commit makes a Prepared update the monitor's state, once its Batch is
// durable, and acts on it: after a close, a new preimage or revocation
// may make a new claim possible, which is broadcast at once. It fails with
// ErrStalePrepared when another update was committed since Prepare.
func (m *Monitor) Commit(ctx context.Context, pr *Prepared) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pr == nil || pr.m != m || pr.gen != m.gen {
		return ErrStalePrepared
	}
	m.commit(pr)
	return m.react(ctx)
}

func (m *Monitor) commit(pr *Prepared) {
	m.gen++
	m.meta = pr.meta
	m.local, m.localOld = pr.local, pr.localOld
	m.remotes = pr.remotes
	m.secrets = pr.secrets
	for i := range pr.preimages {
		pre := pr.preimages[i]
		m.preimages[pre.Hash()] = &pre
	}
}

// Apply records updates durably (Prepare, a write of its own, Commit)
// and returns once they are durable: the host calls it before performing
// the actions that follow the updates (sending what they cover).
func (m *Monitor) Apply(ctx context.Context, updates ...*channel.MonitorUpdate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	pr, err := m.prepare(ctx, updates)
	if err != nil {
		return err
	}
	if err := m.cfg.Store.Write(ctx, &pr.batch); err != nil {
		return fmt.Errorf("monitor: writing update: %w", err)
	}
	m.commit(pr)
	return m.react(ctx)
}

// react runs a resolution step at the current tip when the channel is
// closing, so that updates and commands take effect before the next
// block.
func (m *Monitor) react(ctx context.Context) error {
	if !m.tip.set {
		return nil
	}
	if !m.meta.forceClose && m.fundingSpender(m.conf) == nil {
		return nil
	}
	return m.run(ctx, m.conf, m.tip, nil, true)
}
