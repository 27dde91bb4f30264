package wtclient

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Defaults of Config.
const (
	// DefaultMaxUpdates is lnd's default session size.
	DefaultMaxUpdates = 1024
	// DefaultSweepFeeRate is lnd's default sweep fee rate.
	DefaultSweepFeeRate wire.SatPerKWeight = 2500
	// DefaultReplyTimeout bounds each message exchange with a tower.
	DefaultReplyTimeout = 30 * time.Second
	// DefaultPrefix is the store prefix of the client's records.
	DefaultPrefix = "wtclient/"
)

// Config is what a Client needs from the host.
type Config struct {
	// Store keeps towers, channels, sessions and queued updates, so that a
	// restarted client resumes where it stopped. Required.
	Store store.Store
	// Prefix starts every key the client writes; DefaultPrefix when
	// empty. Two clients sharing a store need different prefixes.
	Prefix string
	// Signer signs the justice transactions in advance: the to_local
	// input with KeyRevocation and the revealed per_commitment_secret,
	// the to_remote input with KeyPayment. Required.
	Signer channel.Signer
	// SessionKeys gives the BOLT 8 key of each session. Required.
	SessionKeys SessionKeys
	// ChainHash is the genesis hash of the chain, checked against the
	// tower's Init. Required.
	ChainHash wire.ChainHash
	// MaxUpdates is the number of updates a new session asks for;
	// DefaultMaxUpdates when 0.
	MaxUpdates uint16
	// SweepFeeRate is the fee rate of the justice transactions of new
	// sessions; DefaultSweepFeeRate when 0, at least MinSweepFeeRate.
	SweepFeeRate wire.SatPerKWeight
	// Dial opens the TCP (or Tor, or in-memory) connection to a tower's
	// address; a net.Dialer when nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HandshakeTimeout bounds the BOLT 8 handshake (peer's default when
	// 0); ReplyTimeout bounds each message read or write
	// (DefaultReplyTimeout when 0).
	HandshakeTimeout, ReplyTimeout time.Duration
	// Rand gives the blob nonces and the handshakes' ephemeral keys;
	// crypto/rand when nil.
	Rand io.Reader
	// Logger receives the client's logs; nil discards them.
	Logger *slog.Logger
}

// Client backs up the revoked states of channels to towers that run lnd's
// watchtower server. For each revoked commitment of a peer it signs, in
// advance, the justice transaction the tower will build if the commitment
// ever confirms, encrypts the justice kit with a key only the commitment
// gives, and uploads it with the commitment's breach hint.
//
// BackupState only records: the work that needs a tower is done by Flush
// (one pass, for hosts with their own scheduling) or Run (a loop with
// backoff, in a goroutine of the host's). A Client starts no goroutine of
// its own and is safe for concurrent use; Flush calls are serialised.
type Client struct {
	cfg    Config
	prefix string
	log    *slog.Logger

	// mu serialises store read-modify-writes; flushMu serialises Flush
	// and RemoveTower, which both change sessions and their updates.
	mu      sync.Mutex
	flushMu sync.Mutex
	wake    chan struct{}
}

// New returns a client over cfg. It reads nothing yet: state is loaded
// from the store as it is needed.
func New(cfg Config) (*Client, error) {
	if cfg.Store == nil || cfg.Signer == nil || cfg.SessionKeys == nil {
		return nil, fmt.Errorf("%w: Store, Signer and SessionKeys are required", ErrInvalidConfig)
	}
	if cfg.ChainHash == (wire.ChainHash{}) {
		return nil, fmt.Errorf("%w: ChainHash is required", ErrInvalidConfig)
	}
	if cfg.MaxUpdates == 0 {
		cfg.MaxUpdates = DefaultMaxUpdates
	}
	if cfg.SweepFeeRate == 0 {
		cfg.SweepFeeRate = DefaultSweepFeeRate
	}
	if cfg.SweepFeeRate < MinSweepFeeRate {
		return nil, fmt.Errorf("%w: sweep fee rate %v below lnd's minimum %v", ErrInvalidConfig, cfg.SweepFeeRate, MinSweepFeeRate)
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = DefaultReplyTimeout
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, prefix: cfg.Prefix, log: log, wake: make(chan struct{}, 1)}, nil
}

func pubBytes(k *btcec.PublicKey) [33]byte {
	var b [33]byte
	copy(b[:], k.SerializeCompressed())
	return b
}

// AddTower adds a tower (or changes its address): its static public key
// and its "host:port" address. New sessions are negotiated with the towers
// in the order of their keys.
func (c *Client) AddTower(ctx context.Context, pub *btcec.PublicKey, addr string) error {
	if pub == nil {
		return fmt.Errorf("%w: nil tower key", ErrInvalidConfig)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: tower address %q: %w", ErrInvalidConfig, addr, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b store.Batch
	b.Put(c.towerKey(pubBytes(pub)), []byte(addr))
	return c.cfg.Store.Write(ctx, &b)
}

// RemoveTower forgets a tower. Its sessions are closed and the updates it
// had not acknowledged go back to the queue, for a session with another
// tower. It waits for a Flush in progress to finish.
func (c *Client) RemoveTower(ctx context.Context, pub *btcec.PublicKey) error {
	if pub == nil {
		return fmt.Errorf("%w: nil tower key", ErrInvalidConfig)
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	id := pubBytes(pub)
	sessions, err := c.sessions(ctx)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.Tower == id && s.Status != sessionClosed {
			if err := c.closeSession(ctx, s); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b store.Batch
	b.Delete(c.towerKey(id))
	return c.cfg.Store.Write(ctx, &b)
}

// RegisterChannel tells the client about a channel: its parameters, from
// this node's view, and the script the justice transactions pay this
// node's funds to (P2WPKH, P2WSH or P2TR; lnd's client uses a fresh wallet
// address per channel). Registering again replaces both.
func (c *Client) RegisterChannel(ctx context.Context, id wire.ChannelID, p *channel.Params, sweep []byte) error {
	if p == nil {
		return fmt.Errorf("%w: nil params", ErrInvalidConfig)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := BlobTypeFor(p.Type); err != nil {
		return err
	}
	if _, err := sweepOutputSize(sweep); err != nil {
		return err
	}
	if wire.NewChannelID(p.FundingOutpoint) != id {
		return fmt.Errorf("%w: channel id %x is not that of funding outpoint %v", ErrInvalidConfig, id[:], p.FundingOutpoint)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b store.Batch
	b.Put(c.chanKey(id), encodeChannel(p, sweep))
	return c.cfg.Store.Write(ctx, &b)
}

// channel reads a registered channel.
func (c *Client) channel(ctx context.Context, id wire.ChannelID) (*channelRecord, error) {
	v, err := c.cfg.Store.Get(ctx, c.chanKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %x", ErrUnknownChannel, id[:])
	}
	if err != nil {
		return nil, err
	}
	return decodeChannel(v)
}

// BackupState records a channel.Machine monitor update. A new commitment
// of the peer (Remote) is kept until its revocation arrives; a revocation
// (Revocation) turns it into a queued backup, which Flush or Run sends. The
// update is durable when BackupState returns, so the host may release the
// actions that follow it. Updates of other kinds (Local, Preimage) are not
// a tower's business and are ignored. A revocation of a commitment the
// client never saw is logged and skipped: it cannot be backed up.
func (c *Client) BackupState(ctx context.Context, u *channel.MonitorUpdate) error {
	if u == nil {
		return fmt.Errorf("%w: nil update", ErrInvalidConfig)
	}
	if u.Remote == nil && u.Revocation == nil {
		return nil
	}
	rec, err := c.channel(ctx, u.ChannelID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b store.Batch
	if r := u.Remote; r != nil {
		com, err := channel.NewCommitment(rec.params, channel.Remote, &r.State, r.Point)
		if err != nil {
			return err
		}
		if com.TxHash != r.TxID {
			return fmt.Errorf("%w: commitment %d rebuilds to %v, the update says %v: the registered parameters are not the channel's",
				ErrInvalidConfig, r.State.Number, com.TxHash, r.TxID)
		}
		b.Put(c.pendingKey(u.ChannelID, r.State.Number), encodeBreach(breachFromCommitment(u.ChannelID, com)))
	}
	if r := u.Revocation; r != nil {
		key := c.pendingKey(u.ChannelID, r.Number)
		v, err := c.cfg.Store.Get(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c.log.Warn("wtclient: revocation of an unknown commitment", "channel", hex.EncodeToString(u.ChannelID[:]), "number", r.Number)
		case err != nil:
			return err
		default:
			br, err := decodeBreach(v)
			if err != nil {
				return err
			}
			if !r.Secret.Point().IsEqual(br.Point) {
				return fmt.Errorf("%w: per_commitment_secret %d does not match the commitment's point", ErrInvalidConfig, r.Number)
			}
			br.Secret = r.Secret
			seq, err := c.nextCounter(ctx, keyTaskSeq, &b)
			if err != nil {
				return err
			}
			b.Put(c.taskKey(seq), encodeBreach(br))
			b.Delete(key)
		}
	}
	if err := c.cfg.Store.Write(ctx, &b); err != nil {
		return err
	}
	c.signal()
	return nil
}

func (c *Client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// nextCounter reads counter name, adds the increment to b and returns
// the value before it. c.mu must be held, and b written before it is
// released.
func (c *Client) nextCounter(ctx context.Context, name string, b *store.Batch) (uint64, error) {
	key := c.prefix + name
	var n uint64
	v, err := c.cfg.Store.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return 0, err
	case len(v) != 8:
		return 0, fmt.Errorf("%w: counter %s", ErrCorruptStore, name)
	default:
		n = binary.BigEndian.Uint64(v)
	}
	// A batch keeps the last put of a key, so two allocations in one
	// batch must see each other: look for an earlier put in b.
	for _, op := range b.Ops() {
		if op.Key == key && !op.Delete {
			n = binary.BigEndian.Uint64(op.Value)
		}
	}
	b.Put(key, binary.BigEndian.AppendUint64(nil, n+1))
	return n, nil
}

// list returns the values under prefix, in key order.
func (c *Client) list(ctx context.Context, prefix string) ([]string, [][]byte, error) {
	keys, err := c.cfg.Store.List(ctx, prefix)
	if err != nil {
		return nil, nil, err
	}
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		if vals[i], err = c.cfg.Store.Get(ctx, k); err != nil {
			return nil, nil, err
		}
	}
	return keys, vals, nil
}

// sessions returns every session record.
func (c *Client) sessions(ctx context.Context) ([]*session, error) {
	_, vals, err := c.list(ctx, c.prefix+keySession)
	if err != nil {
		return nil, err
	}
	out := make([]*session, 0, len(vals))
	for _, v := range vals {
		s, err := decodeSession(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// tower is a tower record.
type tower struct {
	ID   [33]byte
	Pub  *btcec.PublicKey
	Addr string
}

func (c *Client) towers(ctx context.Context) ([]tower, error) {
	keys, vals, err := c.list(ctx, c.prefix+keyTower)
	if err != nil {
		return nil, err
	}
	out := make([]tower, 0, len(keys))
	for i, k := range keys {
		raw, err := hex.DecodeString(strings.TrimPrefix(k, c.prefix+keyTower))
		if err != nil || len(raw) != 33 {
			return nil, fmt.Errorf("%w: tower key %q", ErrCorruptStore, k)
		}
		pub, err := btcec.ParsePubKey(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: tower key %q: %w", ErrCorruptStore, k, err)
		}
		out = append(out, tower{ID: [33]byte(raw), Pub: pub, Addr: string(vals[i])})
	}
	return out, nil
}

func (c *Client) towerByID(ctx context.Context, id [33]byte) (*tower, error) {
	v, err := c.cfg.Store.Get(ctx, c.towerKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pub, err := btcec.ParsePubKey(id[:])
	if err != nil {
		return nil, fmt.Errorf("%w: tower key: %w", ErrCorruptStore, err)
	}
	return &tower{ID: id, Pub: pub, Addr: string(v)}, nil
}

// Flush sends everything queued: it binds each revoked state waiting for
// a session to one (negotiating a new session with a tower when none has
// room), signs and encrypts its justice kit, commits the update to the
// store under its sequence number, and sends the committed updates of
// every session until the tower acknowledges them. A state update that was
// committed is sent again, byte for byte, after a failure or a restart, so
// a tower that applied it before acknowledges it again.
//
// It returns nil when nothing is left to send. Otherwise the error says
// what failed (every session that could not be served is tried); what
// failed stays queued for the next call. A tower that refuses a session's
// updates for good (a permanent failure, a sequence number out of order, a
// session full) closes the session: its unacknowledged updates are queued
// again, for another session.
func (c *Client) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	var errs []error
	for round := 0; round < 3; round++ {
		if err := c.assignTasks(ctx); err != nil {
			errs = append(errs, err)
		}
		again, err := c.deliverAll(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		if !again || ctx.Err() != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A connection deadline taken from ctx can fire a moment before
	// ctx reports it: the failure is then the deadline's.
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && len(errs) > 0 {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, errors.Join(errs...))
	}
	return errors.Join(errs...)
}

// Run flushes whenever BackupState queued something, and retries failures
// with a backoff from one second to five minutes, until ctx ends. It
// returns ctx's error.
func (c *Client) Run(ctx context.Context) error {
	const minBackoff, maxBackoff = time.Second, 5 * time.Minute
	backoff := time.Duration(0)
	c.signal()
	for {
		var retry <-chan time.Time
		var timer *time.Timer
		if backoff > 0 {
			timer = time.NewTimer(backoff)
			retry = timer.C
		}
		select {
		case <-ctx.Done():
		case <-c.wake:
		case <-retry:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := c.Flush(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.Warn("wtclient: flush failed", "err", err)
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			continue
		}
		backoff = 0
	}
}

// task is a queued revoked state.
type task struct {
	key string
	b   *breach
	ch  *channelRecord
	bt  BlobType
}

// assignTasks binds queued states to sessions, oldest first.
func (c *Client) assignTasks(ctx context.Context) error {
	keys, vals, err := c.list(ctx, c.prefix+keyTask)
	if err != nil || len(keys) == 0 {
		return err
	}
	byType := map[BlobType][]*task{}
	var order []BlobType
	for i, k := range keys {
		br, err := decodeBreach(vals[i])
		if err != nil {
			return err
		}
		ch, err := c.channel(ctx, br.ChannelID)
		if errors.Is(err, ErrUnknownChannel) {
			c.log.Warn("wtclient: dropping a state of an unregistered channel", "channel", hex.EncodeToString(br.ChannelID[:]))
			if err := c.deleteKey(ctx, k); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		bt, err := BlobTypeFor(ch.params.Type)
		if err != nil {
			return err
		}
		if _, ok := byType[bt]; !ok {
			order = append(order, bt)
		}
		byType[bt] = append(byType[bt], &task{key: k, b: br, ch: ch, bt: bt})
	}
	var errs []error
	for _, bt := range order {
		if err := c.assign(ctx, bt, byType[bt]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Client) deleteKey(ctx context.Context, k string) error {
	var b store.Batch
	b.Delete(k)
	return c.cfg.Store.Write(ctx, &b)
}

// assign binds tasks of blob type bt to sessions.
func (c *Client) assign(ctx context.Context, bt BlobType, tasks []*task) error {
	for len(tasks) > 0 {
		s, err := c.openSession(ctx, bt)
		if err != nil {
			return err
		}
		for len(tasks) > 0 && s.SeqNum < s.Max {
			t := tasks[0]
			hint, blob, err := craftUpdate(ctx, c.cfg.Signer, t.ch.params, t.b, t.ch.sweep, bt, s.FeeRate, c.cfg.Rand)
			if errors.Is(err, ErrNotEligible) {
				c.log.Info("wtclient: revoked state not backed up", "channel", hex.EncodeToString(t.b.ChannelID[:]), "number", t.b.Number, "err", err)
				if err := c.deleteKey(ctx, t.key); err != nil {
					return err
				}
				tasks = tasks[1:]
				continue
			}
			if err != nil {
				return err
			}
			s.SeqNum++
			var b store.Batch
			b.Put(c.updateKey(s.ID, s.SeqNum), encodeUpdate(&update{SeqNum: s.SeqNum, Hint: hint, Blob: blob, Breach: t.b}))
			b.Put(c.sessionKey(s.ID), encodeSession(s))
			b.Delete(t.key)
			if err := c.cfg.Store.Write(ctx, &b); err != nil {
				return err
			}
			tasks = tasks[1:]
		}
	}
	return nil
}

// openSession returns an active session of blob type bt at this client's
// fee rate with room for an update, on a tower still present, negotiating
// one when there is none.
func (c *Client) openSession(ctx context.Context, bt BlobType) (*session, error) {
	sessions, err := c.sessions(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		if s.Status != sessionActive || s.BlobType != bt || s.FeeRate != c.cfg.SweepFeeRate || s.SeqNum >= s.Max {
			continue
		}
		if t, err := c.towerByID(ctx, s.Tower); err != nil {
			return nil, err
		} else if t != nil {
			return s, nil
		}
	}
	return c.negotiate(ctx, bt)
}

// negotiate creates a session of blob type bt with the first tower that
// accepts one.
func (c *Client) negotiate(ctx context.Context, bt BlobType) (*session, error) {
	towers, err := c.towers(ctx)
	if err != nil {
		return nil, err
	}
	if len(towers) == 0 {
		return nil, fmt.Errorf("%w: no tower added", ErrNoTower)
	}
	var errs []error
	for i := range towers {
		t := &towers[i]
		for attempt := 0; attempt < 3; attempt++ {
			s, err := c.createSession(ctx, t, bt)
			if err == nil {
				return s, nil
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var rej *RejectError
			if errors.As(err, &rej) && rej.Code == CreateSessionCodeAlreadyExists {
				continue // that key is used: take the next one
			}
			errs = append(errs, fmt.Errorf("tower %x: %w", t.ID[:], err))
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: every session key tried was already in use", ErrNoTower)
	}
	return nil, fmt.Errorf("%w: %w", ErrNoTower, errors.Join(errs...))
}

// createSession takes a fresh session key and asks tower t for a session.
func (c *Client) createSession(ctx context.Context, t *tower, bt BlobType) (*session, error) {
	c.mu.Lock()
	var b store.Batch
	idx, err := c.nextCounter(ctx, keyKeyIdx, &b)
	if err == nil && idx > 0xffffffff {
		err = fmt.Errorf("%w: session key indexes exhausted", ErrInvalidConfig)
	}
	if err == nil {
		// The index is taken before it is used, so that no key serves
		// two sessions even after a crash.
		err = c.cfg.Store.Write(ctx, &b)
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	key, err := c.cfg.SessionKeys.SessionKey(ctx, uint32(idx))
	if err != nil {
		return nil, err
	}
	tc, err := c.dialTower(ctx, t.Addr, t.Pub, key)
	if err != nil {
		return nil, err
	}
	defer tc.close()
	features := wire.NewFeatureVector(FeatureAltruistSessionsRequired)
	if bt.Has(FlagAnchorChannel) {
		features.Set(FeatureAnchorCommitRequired)
	}
	if err := c.exchangeInit(ctx, tc, features); err != nil {
		return nil, err
	}
	req := &CreateSession{BlobType: bt, MaxUpdates: c.cfg.MaxUpdates, SweepFeeRate: c.cfg.SweepFeeRate}
	if err := tc.send(ctx, req); err != nil {
		return nil, err
	}
	m, err := tc.recv(ctx)
	if err != nil {
		return nil, err
	}
	var reply *CreateSessionReply
	switch m := m.(type) {
	case *CreateSessionReply:
		reply = m
	case *Error:
		return nil, &RejectError{Msg: MsgError, Code: m.Code}
	default:
		return nil, fmt.Errorf("%w: %v in reply to CreateSession", ErrTowerReply, m.MsgType())
	}
	if reply.Code != CodeOK {
		return nil, &RejectError{Msg: MsgCreateSessionReply, Code: reply.Code, LastApplied: reply.LastApplied}
	}
	if reply.LastApplied != 0 {
		return nil, fmt.Errorf("%w: new session accepted with last applied %d", ErrTowerReply, reply.LastApplied)
	}
	s := &session{
		ID: pubBytes(key.PubKey()), Tower: t.ID, KeyIndex: uint32(idx), BlobType: bt,
		Max: c.cfg.MaxUpdates, FeeRate: c.cfg.SweepFeeRate,
	}
	var sb store.Batch
	sb.Put(c.sessionKey(s.ID), encodeSession(s))
	if err := c.cfg.Store.Write(ctx, &sb); err != nil {
		return nil, err
	}
	c.log.Info("wtclient: session negotiated", "tower", hex.EncodeToString(t.ID[:]), "blob_type", bt, "max_updates", s.Max)
	return s, nil
}

// deliverAll sends the committed updates of every session. again reports
// that a session was closed and its updates queued again.
func (c *Client) deliverAll(ctx context.Context) (again bool, err error) {
	sessions, err := c.sessions(ctx)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, s := range sessions {
		keys, vals, err := c.list(ctx, c.updatePrefix(s.ID))
		if err != nil {
			return again, err
		}
		if len(keys) == 0 {
			continue
		}
		ups := make([]*update, len(vals))
		for i, v := range vals {
			if ups[i], err = decodeUpdate(v); err != nil {
				return again, err
			}
		}
		t, err := c.towerByID(ctx, s.Tower)
		if err != nil {
			return again, err
		}
		if t == nil || s.Status == sessionClosed {
			if err := c.closeSession(ctx, s); err != nil {
				return again, err
			}
			again = true
			continue
		}
		err = c.deliver(ctx, s, t, ups)
		var rej *RejectError
		if errors.As(err, &rej) && rej.Msg == MsgStateUpdateReply && rej.Code != CodeTemporaryFailure {
			c.log.Warn("wtclient: tower refused the session's updates; queueing them again", "tower", hex.EncodeToString(t.ID[:]), "err", err)
			if cerr := c.closeSession(ctx, s); cerr != nil {
				return again, cerr
			}
			again = true
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("session %x: %w", s.ID[:], err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return again, errors.Join(errs...)
}

// deliver sends ups (in sequence order) on one connection and records each
// acknowledgement.
func (c *Client) deliver(ctx context.Context, s *session, t *tower, ups []*update) error {
	key, err := c.cfg.SessionKeys.SessionKey(ctx, s.KeyIndex)
	if err != nil {
		return err
	}
	if pk := key.PubKey(); pk == nil || pubBytes(pk) != s.ID {
		return fmt.Errorf("%w: SessionKeys gives another key for session index %d", ErrInvalidConfig, s.KeyIndex)
	}
	tc, err := c.dialTower(ctx, t.Addr, t.Pub, key)
	if err != nil {
		return err
	}
	defer tc.close()
	// lnd's session queue presents only the altruist sessions bit here.
	if err := c.exchangeInit(ctx, tc, wire.NewFeatureVector(FeatureAltruistSessionsRequired)); err != nil {
		return err
	}
	for i, u := range ups {
		msg := &StateUpdate{SeqNum: u.SeqNum, LastApplied: s.LastApplied, Hint: u.Hint, EncryptedBlob: u.Blob}
		if i == len(ups)-1 {
			msg.IsComplete = 1
		}
		if err := tc.send(ctx, msg); err != nil {
			return err
		}
		m, err := tc.recv(ctx)
		if err != nil {
			return err
		}
		var reply *StateUpdateReply
		switch m := m.(type) {
		case *StateUpdateReply:
			reply = m
		case *Error:
			return &RejectError{Msg: MsgError, Code: m.Code}
		default:
			return fmt.Errorf("%w: %v in reply to StateUpdate", ErrTowerReply, m.MsgType())
		}
		if reply.Code != CodeOK {
			return &RejectError{Msg: MsgStateUpdateReply, Code: reply.Code, LastApplied: reply.LastApplied}
		}
		switch {
		case reply.LastApplied > s.SeqNum:
			return fmt.Errorf("%w: tower acknowledges sequence number %d, only %d were sent", ErrTowerReply, reply.LastApplied, s.SeqNum)
		case reply.LastApplied < s.LastApplied:
			return fmt.Errorf("%w: tower's last applied went back from %d to %d", ErrTowerReply, s.LastApplied, reply.LastApplied)
		case reply.LastApplied != u.SeqNum:
			return fmt.Errorf("%w: update %d answered with last applied %d", ErrTowerReply, u.SeqNum, reply.LastApplied)
		}
		s.LastApplied = reply.LastApplied
		var b store.Batch
		b.Delete(c.updateKey(s.ID, u.SeqNum))
		b.Put(c.sessionKey(s.ID), encodeSession(s))
		if err := c.cfg.Store.Write(ctx, &b); err != nil {
			return err
		}
	}
	return nil
}

// closeSession marks s closed and queues its unacknowledged updates again.
func (c *Client) closeSession(ctx context.Context, s *session) error {
	keys, vals, err := c.list(ctx, c.updatePrefix(s.ID))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b store.Batch
	for i, k := range keys {
		u, err := decodeUpdate(vals[i])
		if err != nil {
			return err
		}
		seq, err := c.nextCounter(ctx, keyTaskSeq, &b)
		if err != nil {
			return err
		}
		b.Put(c.taskKey(seq), encodeBreach(u.Breach))
		b.Delete(k)
	}
	s.Status = sessionClosed
	b.Put(c.sessionKey(s.ID), encodeSession(s))
	return c.cfg.Store.Write(ctx, &b)
}

// Stats counts the client's records.
type Stats struct {
	// Towers is the number of towers added.
	Towers int
	// ActiveSessions and ClosedSessions count sessions.
	ActiveSessions, ClosedSessions int
	// Waiting is the number of commitments of peers not yet revoked.
	Waiting int
	// Queued is the number of revoked states waiting for a session.
	Queued int
	// Unacked is the number of updates committed to a session and not
	// yet acknowledged by its tower.
	Unacked int
	// Acked is the number of updates towers acknowledged.
	Acked int
}

// Stats reads the counts from the store.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	count := func(p string) (int, error) {
		keys, err := c.cfg.Store.List(ctx, c.prefix+p)
		return len(keys), err
	}
	var err error
	if st.Towers, err = count(keyTower); err != nil {
		return st, err
	}
	if st.Waiting, err = count(keyPending); err != nil {
		return st, err
	}
	if st.Queued, err = count(keyTask); err != nil {
		return st, err
	}
	if st.Unacked, err = count(keyUpdate); err != nil {
		return st, err
	}
	sessions, err := c.sessions(ctx)
	if err != nil {
		return st, err
	}
	for _, s := range sessions {
		if s.Status == sessionClosed {
			st.ClosedSessions++
		} else {
			st.ActiveSessions++
		}
		st.Acked += int(s.LastApplied)
	}
	return st, nil
}
