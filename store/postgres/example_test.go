package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/store/postgres"
)

// Opening a node's namespace, writing a batch that is durable when Write
// returns, and the lock that keeps a second process out. (The example runs
// against the database in LNKIT_POSTGRES_DSN, as store/postgres/run sets
// it.)
func Example() {
	ctx := context.Background()
	dsn := os.Getenv("LNKIT_POSTGRES_DSN")
	ns := fmt.Sprintf("example/%d", os.Getpid())

	s, err := postgres.Open(ctx, dsn, postgres.WithNamespace(ns))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	var b store.Batch
	b.Put("channel/1/state", []byte("commitment 42"))
	b.Put("channel/1/monitor/42", []byte("revocation secret 41"))
	if err := s.Write(ctx, &b); err != nil {
		log.Fatal(err) // nothing that commits to the batch may be sent
	}
	keys, _ := s.List(ctx, "channel/1/")
	fmt.Println(keys)

	_, err = postgres.Open(ctx, dsn, postgres.WithNamespace(ns))
	fmt.Println("second open locked out:", errors.Is(err, store.ErrLocked))
	// Output:
	// [channel/1/monitor/42 channel/1/state]
	// second open locked out: true
}
