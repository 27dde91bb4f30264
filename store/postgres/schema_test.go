package postgres

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lnkit/lnkit/store"
)

// schemaDSN returns the test DSN with search_path set to a new, empty
// schema, so that a test can change the tables without touching the
// other tests' ones.
func schemaDSN(t *testing.T) string {
	t.Helper()
	dsn := testDSN(t)
	name := "t_" + strings.ToLower(strings.ReplaceAll(newNamespace(t)[len("test/"):], "/", "_"))
	admin := adminConn(t)
	if _, err := admin.Exec(bg, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(bg, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("the test DSN must be a URL here: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestSchemaCreatedAndVersioned(t *testing.T) {
	dsn := schemaDSN(t)
	for i := 0; i < 2; i++ { // create, then find it in place
		s, err := Open(bg, dsn)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		var b store.Batch
		b.Put("k", []byte{byte(i)})
		if err := s.Write(bg, &b); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(bg)
	var versions []int32
	rows, _ := c.Query(bg, `SELECT version FROM lnkit_schema_version ORDER BY version`)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(versions) != SchemaVersion || versions[len(versions)-1] != SchemaVersion {
		t.Fatalf("schema versions %v, %v; want 1..%d once each", versions, err, SchemaVersion)
	}
	var n int
	if err := c.QueryRow(bg, `SELECT count(*) FROM lnkit_kv`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows, %v; want 1", n, err)
	}
}

func TestSchemaNewerRefused(t *testing.T) {
	dsn := schemaDSN(t)
	s, err := Open(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(bg)
	if _, err := c.Exec(bg, `INSERT INTO lnkit_schema_version (version) VALUES ($1)`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bg, dsn); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("Open of a newer schema = %v; want store.ErrVersion", err)
	}
}

// TestConcurrentOpenMigrates opens several namespaces of a new schema at
// once: the migration lock lets exactly one create the tables.
func TestConcurrentOpenMigrates(t *testing.T) {
	dsn := schemaDSN(t)
	errs := make(chan error, 6)
	for i := 0; i < cap(errs); i++ {
		go func() {
			s, err := Open(bg, dsn, WithNamespace(string(rune('a'+i))))
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
}

// TestSynchronousCommitForced: a Store's connections commit synchronously
// even when the database's default says otherwise.
func TestSynchronousCommitForced(t *testing.T) {
	admin := adminConn(t)
	var db string
	if err := admin.QueryRow(bg, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	ident := pgx.Identifier{db}.Sanitize()
	if _, err := admin.Exec(bg, `ALTER DATABASE `+ident+` SET synchronous_commit = off`); err != nil {
		t.Skipf("cannot change the database default (needs ownership): %v", err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(bg, `ALTER DATABASE `+ident+` RESET synchronous_commit`) })
	s := mustOpen(t, newNamespace(t))
	var got string
	if err := s.pool.QueryRow(bg, `SHOW synchronous_commit`).Scan(&got); err != nil || got != "on" {
		t.Fatalf("synchronous_commit = %q, %v on the store's connections; want on", got, err)
	}
}

// TestFsyncOffRefused: a server with fsync off cannot make a batch
// durable, so Open refuses it unless told otherwise.
func TestFsyncOffRefused(t *testing.T) {
	admin := adminConn(t)
	var source string
	if err := admin.QueryRow(bg, `SELECT source FROM pg_settings WHERE name = 'fsync'`).Scan(&source); err != nil {
		t.Fatal(err)
	}
	if source == "command line" {
		t.Skip("the server was started with fsync on its command line, which ALTER SYSTEM cannot override")
	}
	if _, err := admin.Exec(bg, `ALTER SYSTEM SET fsync = off`); err != nil {
		t.Skipf("cannot change fsync (needs superuser): %v", err)
	}
	reload := func() {
		if _, err := admin.Exec(bg, `SELECT pg_reload_conf()`); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(bg, `ALTER SYSTEM RESET fsync`)
		reload()
	})
	reload()
	// A reload reaches the backends asynchronously: wait for a new
	// session to see it.
	waitSetting(t, "fsync", "off")
	ns := newNamespace(t)
	if _, err := Open(bg, testDSN(t), WithNamespace(ns)); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("Open with fsync off = %v; want ErrNotDurable", err)
	}
	s, err := Open(bg, testDSN(t), WithNamespace(ns), WithoutDurabilityCheck())
	if err != nil {
		t.Fatalf("Open WithoutDurabilityCheck: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(bg, `ALTER SYSTEM RESET fsync`); err != nil {
		t.Fatal(err)
	}
	reload()
	waitSetting(t, "fsync", "on")
}

func waitSetting(t *testing.T, name, want string) {
	t.Helper()
	for i := 0; ; i++ {
		c, err := pgx.Connect(bg, testDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = c.QueryRow(bg, `SELECT current_setting($1)`, name).Scan(&got)
		c.Close(bg)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if i == 300 {
			t.Fatalf("%s is still %q after the reload; want %q", name, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
