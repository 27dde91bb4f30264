package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lnkit/lnkit/store"
)

// dsnEnv names the variable that holds the test database's DSN; ./run
// sets it after starting its server.
const dsnEnv = "LNKIT_POSTGRES_DSN"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	flag.Parse()
	if os.Getenv(dsnEnv) == "" && !dsnRequired() {
		// The tests skip without a database; an Example cannot skip, so
		// leave the Examples out of this run unless the caller chose what
		// to run.
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			_ = flag.Set("test.run", "^(Test|Fuzz)")
		}
	}
	os.Exit(m.Run())
}

// dsnRequired reports whether a missing DSN must fail the tests: under CI
// (CI=true, as .ci/run runs), a suite that skipped would look like a pass.
func dsnRequired() bool {
	b, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && b
}

// testDSN returns the test database's DSN, or skips the test (fails it
// under CI) when there is none.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn != "" {
		return dsn
	}
	if dsnRequired() {
		t.Fatalf("%s is not set and CI=%s requires the Postgres tests: run store/postgres/run, "+
			"which starts a server and then runs these tests", dsnEnv, os.Getenv("CI"))
	}
	t.Skipf("%s is not set: run store/postgres/run to test against a real PostgreSQL", dsnEnv)
	return ""
}

// newNamespace returns a namespace that no other test uses.
func newNamespace(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "test/" + t.Name() + "/" + hex.EncodeToString(b[:])
}

var bg = context.Background()

// mustOpen opens ns and closes it when the test ends (unless the test
// closed it first).
func mustOpen(t testing.TB, ns string, opts ...Option) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	s, err := Open(ctx, testDSN(t), append([]Option{WithNamespace(ns)}, opts...)...)
	if err != nil {
		t.Fatalf("Open(%q): %v", ns, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openWhenUnlocked opens ns, retrying while it is locked: after a client
// process is killed, the server releases its lock when it notices the
// closed connection, which takes a moment.
func openWhenUnlocked(t testing.TB, ns string) *Store {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := Open(bg, testDSN(t), WithNamespace(ns))
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("Open(%q) after the holder died: %v", ns, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// adminConn is a plain connection to the test database, for inspecting
// and changing server state.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(bg, testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(bg) })
	return c
}

func mustWrite(t testing.TB, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Write(bg, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// countKeys returns the number of keys under prefix.
func countKeys(t testing.TB, s store.Store, prefix string) int {
	t.Helper()
	keys, err := s.List(bg, prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return len(keys)
}

func key(format string, args ...any) string { return fmt.Sprintf(format, args...) }
