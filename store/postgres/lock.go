package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lnkit/lnkit/store"
)

// lock is a namespace's lock: a session-level advisory lock held by a
// dedicated connection for the Store's lifetime, plus the token that the
// Store wrote into the namespace's owner row when it took over.
//
// The advisory lock gives mutual exclusion without timers: the server
// releases it the moment the holding session ends, whether the process
// closed the Store, exited, or was killed (the kernel closes the socket and
// the idle backend reads EOF). A lease row with heartbeats would instead
// keep a crashed node's namespace locked until the lease ran out, need a
// goroutine to renew it, and depend on the clocks involved.
//
// What the advisory lock alone cannot do is fence: if the lock connection
// dies while the process lives on (a server restart, a cut TCP connection),
// the lock is gone and a second process may open the namespace while the
// first still writes. The owner row closes that gap: every Write takes a
// share lock on the row with this Store's token, and an opener that won the
// advisory lock replaces the token, which waits for any such Write to
// commit. So after a takeover the old Store's Writes find no row and fail
// with ErrLockLost; before it, they still hold the only valid token.
type lock struct {
	conn  *pgx.Conn
	ns    string
	id    int32
	token []byte
}

// nsLockID is the second key of the namespace's advisory lock. Two
// namespaces whose hashes collide share a lock: opening both at once then
// fails with ErrLocked, never corrupts data (the owner row is per
// namespace).
func nsLockID(ns string) int32 {
	h := fnv.New32a()
	h.Write([]byte("lnkit/kv/"))
	h.Write([]byte(ns))
	id := int32(h.Sum32())
	if id == migrateLockID {
		id = 1
	}
	return id
}

// acquireLock opens the dedicated connection and takes the namespace's
// advisory lock without waiting.
func acquireLock(ctx context.Context, cfg *pgx.ConnConfig, ns string) (*lock, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, opErr("open: connect", ctx, err)
	}
	l := &lock{conn: conn, ns: ns, id: nsLockID(ns)}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockClass, l.id).Scan(&got); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, opErr("open: lock", ctx, err)
	}
	if !got {
		holder := "another session"
		var pid int32
		// Best effort, for the message: the backend holding the lock.
		// (For the two-key form, objsubid is 2.)
		if conn.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory'
			AND classid = $1::bigint::oid AND objid = ($2::bigint & 4294967295)::oid AND objsubid = 2 AND granted`,
			lockClass, l.id).Scan(&pid) == nil {
			holder = fmt.Sprintf("server process %d", pid)
		}
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres: open namespace %q: held by %s: %w", ns, holder, store.ErrLocked)
	}
	return l, nil
}

// takeOver writes a fresh token into the owner row. If a Store that lost
// its lock connection is inside a Write, this waits for its commit.
func (l *lock) takeOver(ctx context.Context) error {
	l.token = make([]byte, 16)
	if _, err := rand.Read(l.token); err != nil {
		return fmt.Errorf("postgres: open: token: %w", err)
	}
	host, _ := os.Hostname()
	client := fmt.Sprintf("%s pid %d", host, os.Getpid())
	_, err := l.conn.Exec(ctx, `INSERT INTO lnkit_owner (ns, token, pid, client)
		VALUES ($1, $2, pg_backend_pid(), $3)
		ON CONFLICT (ns) DO UPDATE SET token = EXCLUDED.token, pid = EXCLUDED.pid,
			client = EXCLUDED.client, since = now()`, l.ns, l.token, client)
	if err != nil {
		return opErr("open: take over namespace", ctx, err)
	}
	return nil
}

// release unlocks and closes the lock connection. Closing the session
// alone would release the lock; the explicit unlock reports a lock that
// was already lost.
func (l *lock) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var released bool
	err := l.conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, l.id).Scan(&released)
	cerr := l.conn.Close(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: close: unlock namespace %q: %w", l.ns, err)
	case !released:
		return fmt.Errorf("postgres: close: namespace %q: %w: %w", l.ns, ErrLockLost, store.ErrLocked)
	case cerr != nil:
		return fmt.Errorf("postgres: close: %w", cerr)
	}
	return nil
}
