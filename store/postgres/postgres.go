package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lnkit/lnkit/store"
)

// commitTimeout bounds the wait for the answer to COMMIT.
const commitTimeout = time.Minute

// DefaultNamespace is the namespace of a Store opened without
// WithNamespace.
const DefaultNamespace = "default"

// maxNamespaceLen bounds a namespace, in bytes.
const maxNamespaceLen = 200

// Option configures Open.
type Option func(*options)

type options struct {
	namespace   string
	maxConns    int32
	skipDurable bool
	appName     string
}

// WithNamespace selects the key space of one node: several nodes can share
// one database, each in its own namespace, each locked separately. A
// namespace is 1 to 200 bytes of UTF-8 text. The default is
// DefaultNamespace.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithMaxConns bounds the pool of connections used for reads and writes
// (the lock connection comes on top). The default is pgxpool's: 4, or the
// number of CPUs if larger.
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// WithoutDurabilityCheck lets Open accept a server that runs with fsync
// off, on which a committed batch can be lost in a power failure or an
// operating system crash. For throwaway test databases only.
func WithoutDurabilityCheck() Option { return func(o *options) { o.skipDurable = true } }

// WithApplicationName sets the application_name the Store's connections
// report in pg_stat_activity. The default is "lnkit".
func WithApplicationName(name string) Option { return func(o *options) { o.appName = name } }

// Store is a store.Store in one namespace of a PostgreSQL database. It is
// safe for concurrent use. Writes are serialised inside the Store (a store
// has one writer) and each is one transaction; reads run concurrently on a
// connection pool.
type Store struct {
	ns   string
	pool *pgxpool.Pool
	lock *lock

	// wmu serialises Write and Close.
	wmu    sync.Mutex
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// testHookBeforeCommit and testHookAfterCommit, when set, run inside Write
// just before the transaction's COMMIT is sent and just after it returns,
// so that the crash tests can kill the process at those points.
var testHookBeforeCommit, testHookAfterCommit func()

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string, as pgx accepts), takes the namespace's
// lock, creates or migrates the schema, and returns the Store. ctx bounds
// the connection, the lock and the migration, not the Store's lifetime.
//
// If another Store (in this process or another) holds the namespace, Open
// fails at once with an error wrapping store.ErrLocked. Every connection
// runs with synchronous_commit on; a server with fsync off is refused with
// ErrNotDurable unless WithoutDurabilityCheck is given. A schema newer
// than SchemaVersion is refused with an error wrapping store.ErrVersion.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{namespace: DefaultNamespace, appName: "lnkit"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.namespace == "" || len(o.namespace) > maxNamespaceLen || strings.ContainsRune(o.namespace, 0) {
		return nil, fmt.Errorf("postgres: namespace must be 1 to %d bytes without NUL, got %d bytes", maxNamespaceLen, len(o.namespace))
	}
	if err := ctxErr("open", ctx); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	// Durable at commit, whatever the server's or the role's default.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = o.appName
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}

	l, err := acquireLock(ctx, cfg.ConnConfig.Copy(), o.namespace)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Store, error) {
		l.release()
		return nil, err
	}
	if !o.skipDurable {
		var fsync string
		if err := l.conn.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil {
			return fail(opErr("open: show fsync", ctx, err))
		}
		if fsync != "on" {
			return fail(fmt.Errorf("postgres: open: fsync = %s: %w", fsync, ErrNotDurable))
		}
	}
	if err := migrate(ctx, l.conn); err != nil {
		return fail(err)
	}
	if err := l.takeOver(ctx); err != nil {
		return fail(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fail(fmt.Errorf("postgres: open pool: %w", err))
	}
	return &Store{ns: o.namespace, pool: pool, lock: l}, nil
}

// Namespace returns the Store's namespace.
func (s *Store) Namespace() string { return s.ns }

// Get returns a copy of the value under key, or an error wrapping
// store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if s.closed.Load() {
		return nil, closedErr("get")
	}
	if err := store.CheckKey(key); err != nil {
		return nil, fmt.Errorf("postgres: get: %w", err)
	}
	if err := ctxErr("get", ctx); err != nil {
		return nil, err
	}
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT v FROM lnkit_kv WHERE ns = $1 AND k = $2`, s.ns, []byte(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: get %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.readErr("get", ctx, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// List returns every key that starts with prefix, in ascending bytewise
// order (bytea comparison is memcmp, then length).
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if s.closed.Load() {
		return nil, closedErr("list")
	}
	if err := ctxErr("list", ctx); err != nil {
		return nil, err
	}
	var rows pgx.Rows
	var err error
	switch upper, bounded := prefixEnd(prefix); {
	case prefix == "":
		rows, err = s.pool.Query(ctx, `SELECT k FROM lnkit_kv WHERE ns = $1 ORDER BY k`, s.ns)
	case !bounded:
		rows, err = s.pool.Query(ctx, `SELECT k FROM lnkit_kv WHERE ns = $1 AND k >= $2 ORDER BY k`, s.ns, []byte(prefix))
	default:
		rows, err = s.pool.Query(ctx, `SELECT k FROM lnkit_kv WHERE ns = $1 AND k >= $2 AND k < $3 ORDER BY k`,
			s.ns, []byte(prefix), upper)
	}
	if err != nil {
		return nil, s.readErr("list", ctx, err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var k []byte
		err := r.Scan(&k)
		return string(k), err
	})
	if err != nil {
		return nil, s.readErr("list", ctx, err)
	}
	return keys, nil
}

// prefixEnd returns the smallest byte string greater than every string
// that starts with prefix, and false if there is none (prefix is empty or
// all 0xff bytes).
func prefixEnd(prefix string) ([]byte, bool) {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}

// readErr wraps a read error, as ErrClosed if the Store was closed while
// the call ran.
func (s *Store) readErr(op string, ctx context.Context, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrClosed, err)
	}
	return opErr(op, ctx, err)
}

// Write applies b in one transaction, which is durable when Write returns
// nil: the server has flushed its commit record (synchronous_commit on).
// Later ops on a key override earlier ones. If another Store has taken
// over the namespace since this one was opened, Write fails with an error
// wrapping ErrLockLost and store.ErrLocked, and applies nothing.
//
// An error that wraps ctx's error means the batch was not applied: ctx is
// heeded only until COMMIT is sent. If the connection fails while the
// COMMIT is in flight (or its answer takes longer than a minute), Write
// returns an error although the transaction may have committed, as the
// store.Store contract allows for storage errors.
func (s *Store) Write(ctx context.Context, b *store.Batch) error {
	if s.closed.Load() {
		return closedErr("write")
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("postgres: write: %w", err)
	}
	if err := ctxErr("write", ctx); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	putKeys, putVals, delKeys := collapse(b.Ops())

	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed.Load() {
		return closedErr("write")
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return opErr("write: acquire connection", ctx, err)
	}
	// A connection released inside a transaction (a failed ROLLBACK, or a
	// broken connection) is closed by the pool, not reused.
	defer conn.Release()
	rollback := func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK") }

	// Two round trips: BEGIN, the fence and the changes pipelined in one,
	// then COMMIT, so that nothing is committed before every statement
	// has succeeded.
	var q pgx.Batch
	q.Queue("BEGIN")
	// The fence: a share lock on the owner row, which a Store taking over
	// the namespace must update, so that it waits for this transaction and
	// this one sees its token if it came first.
	q.Queue(`SELECT 1 FROM lnkit_owner WHERE ns = $1 AND token = $2 FOR SHARE`, s.ns, s.lock.token)
	if len(delKeys) > 0 {
		q.Queue(`DELETE FROM lnkit_kv WHERE ns = $1 AND k = ANY($2::bytea[])`, s.ns, delKeys)
	}
	if len(putKeys) > 0 {
		q.Queue(`INSERT INTO lnkit_kv (ns, k, v)
			SELECT $1, t.k, t.v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v)
			ON CONFLICT (ns, k) DO UPDATE SET v = EXCLUDED.v`, s.ns, putKeys, putVals)
	}
	br := conn.SendBatch(ctx, &q)
	if _, err := br.Exec(); err != nil {
		br.Close()
		rollback()
		return opErr("write: begin", ctx, err)
	}
	var one int
	if err := br.QueryRow().Scan(&one); err != nil {
		br.Close()
		rollback()
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: write: namespace %q: %w: %w", s.ns, ErrLockLost, store.ErrLocked)
		}
		return opErr("write: fence", ctx, err)
	}
	for i := 2; i < q.Len(); i++ {
		if _, err := br.Exec(); err != nil {
			br.Close()
			rollback()
			return opErr("write", ctx, err)
		}
	}
	if err := br.Close(); err != nil {
		rollback()
		return opErr("write", ctx, err)
	}
	if testHookBeforeCommit != nil {
		testHookBeforeCommit()
	}
	// Once COMMIT is sent the outcome is the server's: ctx no longer
	// interrupts it (an error that wraps ctx's means the batch was not
	// applied), only commitTimeout bounds the wait for the answer.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	tag, err := conn.Exec(cctx, "COMMIT")
	if err != nil {
		return fmt.Errorf("postgres: write: commit (outcome unknown: read the state back after reopening): %w", err)
	}
	if tag.String() != "COMMIT" { // an aborted transaction "commits" as ROLLBACK
		return fmt.Errorf("postgres: write: commit answered %q", tag.String())
	}
	if testHookAfterCommit != nil {
		testHookAfterCommit()
	}
	return nil
}

// collapse reduces ops to the last op on each key, as puts (keys and
// values) and deletes, each sorted by key so that the statements touch
// rows in a fixed order.
func collapse(ops []store.Op) (putKeys, putVals, delKeys [][]byte) {
	last := make(map[string]int, len(ops))
	for i, op := range ops {
		last[op.Key] = i
	}
	idx := make([]int, 0, len(last))
	for _, i := range last {
		idx = append(idx, i)
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(ops[a].Key, ops[b].Key) })
	for _, i := range idx {
		op := ops[i]
		if op.Delete {
			delKeys = append(delKeys, []byte(op.Key))
			continue
		}
		v := op.Value
		if v == nil {
			v = []byte{} // nil would be sent as NULL
		}
		putKeys = append(putKeys, []byte(op.Key))
		putVals = append(putVals, v)
	}
	return putKeys, putVals, delKeys
}

// Close waits for a Write in progress, releases the namespace's lock and
// closes the connections. Reads in progress finish first. Every method
// returns an error wrapping store.ErrClosed afterwards, Close included.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed.Swap(true) {
		return closedErr("close")
	}
	s.pool.Close()
	return s.lock.release()
}
