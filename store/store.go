package store

import (
	"context"
	"errors"
	"fmt"
)

// Store is the host's durable key-value storage. Keys are non-empty byte
// strings of at most MaxKeySize bytes, compared bytewise; values are byte
// strings of at most MaxValueSize bytes.
//
// Every implementation in this package is safe for concurrent use.
type Store interface {
	// Get returns a copy of the value under key, or an error wrapping
	// ErrNotFound. A key that is empty or longer than MaxKeySize gives an
	// error wrapping ErrInvalidKey.
	Get(ctx context.Context, key string) ([]byte, error)

	// List returns every key that starts with prefix, in ascending bytewise
	// order. The empty prefix lists every key. A prefix of any length is
	// accepted.
	List(ctx context.Context, prefix string) ([]string, error)

	// Write applies b atomically: after a crash, either all of its puts and
	// deletes are visible or none. When Write returns nil the batch is
	// durable. Later ops in b override earlier ones on the same key. An empty
	// (or nil) batch is a no-op (it costs no sync). A batch whose Err is not nil is
	// refused whole with that error.
	//
	// When Write returns an error the batch is not visible to later reads
	// through the same Store value. If the error came from the storage
	// medium (not from validation or ctx), the batch may still have reached
	// the medium and may be visible after the store is reopened: the caller
	// must not act on the batch (send what it commits to), and must read the
	// state back after a restart.
	Write(ctx context.Context, b *Batch) error
}

// Size limits that every Store enforces.
const (
	// MaxKeySize is the largest key, in bytes.
	MaxKeySize = 1 << 10
	// MaxValueSize is the largest value, in bytes.
	MaxValueSize = 64 << 20
	// MaxBatchSize bounds a batch: the sum over its ops of the key length,
	// the value length and BatchOpOverhead.
	MaxBatchSize = 128 << 20
	// BatchOpOverhead is what each op adds to a batch's size, on top of its
	// key and value.
	BatchOpOverhead = 16
)

var (
	// ErrNotFound is wrapped by Get when the key has no value.
	ErrNotFound = errors.New("store: key not found")

	// ErrClosed is returned by every method of a closed store.
	ErrClosed = errors.New("store: closed")

	// ErrLocked is wrapped by OpenFile when another File (in this process or
	// another) holds the directory's lock.
	ErrLocked = errors.New("store: directory is locked by another writer")

	// ErrCorrupt is matched (errors.Is) by every *CorruptError: the store's
	// file holds damaged data that recovery must not drop silently.
	ErrCorrupt = errors.New("store: corrupt data")

	// ErrVersion is wrapped by OpenFile for a file written in a format
	// version this package does not read.
	ErrVersion = errors.New("store: unsupported file format version")

	// ErrInvalidKey is wrapped when a key is empty or longer than MaxKeySize.
	ErrInvalidKey = errors.New("store: key is empty or longer than MaxKeySize")

	// ErrValueTooLarge is wrapped when a value is longer than MaxValueSize.
	ErrValueTooLarge = errors.New("store: value longer than MaxValueSize")

	// ErrBatchTooLarge is wrapped when a batch's size passes MaxBatchSize.
	ErrBatchTooLarge = errors.New("store: batch larger than MaxBatchSize")

	// ErrFailed is wrapped by File.Write once the file is in an unknown
	// state: an fdatasync failed (on Linux the kernel may have dropped the
	// dirty pages, so a retry could report success for data that never
	// reached the disk), or undoing a failed append did not work. Reads
	// still serve the last durable state; Close the File and open it again
	// to continue from what is on disk.
	ErrFailed = errors.New("store: storage failed; close and reopen")
)

// CorruptError reports damaged data in a File's log. It matches ErrCorrupt
// with errors.Is.
type CorruptError struct {
	// Path is the file that holds the damage.
	Path string
	// Offset is the byte offset of the damaged record (or header) in Path.
	Offset int64
	// Reason says what check failed.
	Reason string
}

// Error implements error.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d: %s", ErrCorrupt, e.Path, e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// CheckKey returns nil for a valid key and otherwise an error wrapping
// ErrInvalidKey. Store implementations outside this package use it to apply
// the same rule.
func CheckKey(key string) error {
	if len(key) == 0 || len(key) > MaxKeySize {
		return fmt.Errorf("%w (length %d)", ErrInvalidKey, len(key))
	}
	return nil
}

// ctxErr wraps a context error so that errors.Is(err, context.Canceled)
// (or DeadlineExceeded) holds.
func ctxErr(op string, ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}
