// Package postgres is a store.Store on PostgreSQL, for hosts that keep
// their state in a database they already run. It lives in its own module
// (github.com/lnkit/lnkit/store/postgres) so that the pgx driver is pulled
// in only by hosts that import it. It implements no BOLT; like store.File
// it is what makes a node's BOLT 2 and BOLT 5 persistence rules hold
// across crashes.
//
// # Opening
//
// Open(ctx, dsn, opts...) takes a postgres:// URL or a key=value string,
// as pgx accepts (search_path and other settings may be given in it). A
// database can hold several nodes, each in its own namespace
// (WithNamespace; the default is DefaultNamespace).
//
// # Data and durability
//
// Every key-value pair is one row of lnkit_kv (ns text, k bytea, v bytea),
// primary key (ns, k). bytea compares bytewise (memcmp, then length), so
// List's order is store.Store's order whatever the database's collation,
// and a prefix scan is an index range scan from the prefix to the prefix's
// successor (the prefix with trailing 0xff bytes dropped and its last byte
// raised), with no upper bound for a prefix of 0xff bytes only.
//
// Write collapses the batch to the last op on each key and applies it in
// one transaction: one DELETE ... = ANY and one INSERT ... ON CONFLICT DO
// UPDATE over unnest'ed arrays, pipelined with BEGIN and the fence check
// below in one round trip, then COMMIT in a second. The
// transaction is all or nothing after any crash of the client or the
// server. Every connection runs with synchronous_commit on (set at
// connection start-up, so a database or role default of off does not
// apply), so when COMMIT returns the commit record is flushed; Open refuses
// a server with fsync off (ErrNotDurable) unless WithoutDurabilityCheck is
// given. Writes are serialised inside a Store; reads use a pool.
//
// # Schema
//
// Open creates the tables, or migrates them, in one transaction under a
// transaction-level advisory lock, and records each applied version in
// lnkit_schema_version. A schema newer than SchemaVersion is refused with
// an error wrapping store.ErrVersion.
//
// # One writer
//
// A node's state must never be driven by two processes at once. Open takes
// a session-level advisory lock for the namespace on a dedicated
// connection, held until Close; a second Open, from this process or
// another, fails at once with an error wrapping store.ErrLocked that names
// the server process holding it. The server drops the lock when the
// holder's session ends, so a node that crashed or was killed frees its
// namespace without a lease to expire (the reason for this choice over a
// lease row with heartbeats, which would also need a renewing goroutine
// and trust in clocks).
//
// A lock connection can die while its process lives on (a server restart,
// a cut connection), and then a second process may open the namespace. To
// fence the first, Open writes a fresh random token into the namespace's
// row of lnkit_owner, and every Write takes a share lock on that row with
// its own token in the same transaction. A takeover replaces the token
// and so waits for a Write in flight to commit; afterwards the old Store's
// Writes find no row and fail with ErrLockLost (which also matches
// store.ErrLocked), changing nothing.
//
// # Testing
//
// The tests run against a real server: ./run installs PostgreSQL from the
// distribution's packages if needed, starts a throwaway server and runs go
// test with its DSN in LNKIT_POSTGRES_DSN. Without that variable the tests
// skip, except under CI=true, where they fail.
package postgres
