package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/store"
)

var (
	// ErrNotDurable is wrapped by Open when the server runs with fsync off,
	// so a committed batch would not survive a power failure. Pass
	// WithoutDurabilityCheck to open such a server anyway (for throwaway
	// test databases only).
	ErrNotDurable = errors.New("postgres: server does not make commits durable (fsync is off)")

	// ErrLockLost is wrapped (together with store.ErrLocked) by Write when
	// another Store has taken over the namespace since this one opened it:
	// this Store's lock connection was lost (the server restarted, or the
	// connection was cut) and a second process opened the namespace. The
	// batch was not applied. Close the Store; the process that took over is
	// now the only writer.
	ErrLockLost = errors.New("postgres: namespace lock lost to another store")
)

// ctxErr returns an error wrapping ctx's error if ctx is done, and nil
// otherwise, so that errors.Is(err, context.Canceled) (or
// DeadlineExceeded) holds for calls made with a done context.
func ctxErr(op string, ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

// opErr wraps a database error of op. If ctx is done, the context's error
// is wrapped too, since pgx reports a cancelled query as a closed
// connection or a server-side cancellation rather than as ctx.Err().
func opErr(op string, ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// closedErr is the error of every method of a closed Store.
func closedErr(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
}
