package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/lnkit/lnkit/store"
)

func ExampleOpenFile() {
	dir, err := os.MkdirTemp("", "lnkit-store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.OpenFile(dir)
	if err != nil {
		log.Fatal(err)
	}
	// A channel's new state and its monitor update go in one batch: after a
	// crash both are there or neither is.
	var b store.Batch
	b.Put("channel/1/state", []byte("commitment 42"))
	b.Put("channel/1/monitor/42", []byte("revocation secret 41"))
	b.Put("channel/2/state", []byte("commitment 7"))
	if err := s.Write(ctx, &b); err != nil {
		log.Fatal(err) // nothing may be sent that commits to this batch
	}
	// The batch is durable: now the messages that commit to it may be sent.
	fmt.Println("fdatasyncs for the batch:", s.Stats().RecordSyncs)
	s.Close()

	// After a restart (or a crash), the state is read back.
	s, err = store.OpenFile(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keys, _ := s.List(ctx, "channel/1/")
	fmt.Println(keys)
	v, _ := s.Get(ctx, "channel/2/state")
	fmt.Printf("%s\n", v)
	_, err = s.Get(ctx, "channel/3/state")
	fmt.Println(errors.Is(err, store.ErrNotFound))

	// A second writer on the same directory is refused.
	_, err = store.OpenFile(dir)
	fmt.Println(errors.Is(err, store.ErrLocked))
	// Output:
	// fdatasyncs for the batch: 1
	// [channel/1/monitor/42 channel/1/state]
	// commitment 7
	// true
	// true
}

func ExampleNewFaultInjector() {
	ctx := context.Background()
	mem := store.NewMemory()
	fi := store.NewFaultInjector(mem)
	// Crash at the second Write, after its batch became durable but before
	// Write returned.
	fi.Inject(2, store.FaultCrashAfter)

	for i := 1; i <= 3; i++ {
		var b store.Batch
		b.Put(fmt.Sprintf("step/%d", i), []byte("done"))
		if err := fi.Write(ctx, &b); err != nil {
			fmt.Println("write", i, "crashed:", errors.Is(err, store.ErrCrashed))
			break
		}
	}
	// Restart on what was durable.
	keys, _ := fi.Inner().List(ctx, "step/")
	fmt.Println(keys)
	// Output:
	// write 2 crashed: true
	// [step/1 step/2]
}
