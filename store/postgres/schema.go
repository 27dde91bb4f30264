package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/lnkit/lnkit/store"
)

// SchemaVersion is the schema version this package creates and reads.
const SchemaVersion = 1

// migrations[i] takes the schema from version i to version i+1. A
// migration is applied in the same transaction as the row that records
// it, so a crash leaves the schema at one version or the next.
var migrations = []string{
	// 1: the key-value table and the owner table that fences writers.
	`CREATE TABLE lnkit_kv (
		ns text COLLATE "C" NOT NULL,
		k  bytea NOT NULL,
		v  bytea NOT NULL,
		PRIMARY KEY (ns, k)
	);
	CREATE TABLE lnkit_owner (
		ns     text COLLATE "C" PRIMARY KEY,
		token  bytea NOT NULL,
		pid    integer NOT NULL,
		client text NOT NULL,
		since  timestamptz NOT NULL DEFAULT now()
	);`,
}

// lockClass is the first key of every advisory lock this package takes
// ("lnkt"); the second is the namespace's hash (nsLockID) or migrateLockID.
const (
	lockClass     int32 = 0x6c6e6b74
	migrateLockID int32 = 0
)

// migrate creates the schema, or brings it up to SchemaVersion, in one
// transaction on conn. A transaction-level advisory lock serialises
// concurrent openers (of any namespace), since two concurrent CREATE TABLE
// IF NOT EXISTS of one table can both fail.
func migrate(ctx context.Context, conn *pgx.Conn) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return opErr("migrate: begin", ctx, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, migrateLockID); err != nil {
		return opErr("migrate: lock", ctx, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS lnkit_schema_version (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return opErr("migrate: version table", ctx, err)
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM lnkit_schema_version`).Scan(&version); err != nil {
		return opErr("migrate: read version", ctx, err)
	}
	if version > SchemaVersion {
		return fmt.Errorf("postgres: schema version %d is newer than this package's %d: %w",
			version, SchemaVersion, store.ErrVersion)
	}
	for v := version; v < SchemaVersion; v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return opErr(fmt.Sprintf("migrate to version %d", v+1), ctx, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lnkit_schema_version (version) VALUES ($1)`, v+1); err != nil {
			return opErr(fmt.Sprintf("migrate: record version %d", v+1), ctx, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return opErr("migrate: commit", ctx, err)
	}
	return nil
}
