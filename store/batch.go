package store

import "fmt"

// Op is one operation of a Batch.
type Op struct {
	// Key is the key the op writes.
	Key string
	// Value is the value a put stores (never nil for a put; nil for a
	// delete). It belongs to the Batch: read it, do not modify it.
	Value []byte
	// Delete is true for a delete and false for a put.
	Delete bool
}

// Batch is an ordered list of puts and deletes that a Store applies
// atomically. Later ops override earlier ones on the same key.
//
// Put copies its value, so the caller may reuse the slice as soon as Put
// returns, and a Batch can be kept, passed around and written later (or
// written again) without sharing memory with its builder. A Store copies the
// values again when it applies the batch, so a Batch can also be changed or
// Reset after Write returns.
//
// A Batch checks each op as it is added. The first invalid op (an empty or
// too long key, a too long value, or a batch passing MaxBatchSize) is not
// recorded; Err reports it from then on, and Write refuses the whole batch.
// A too long value is not copied.
//
// The zero Batch is empty and ready to use. A Batch is not safe for
// concurrent modification; Write only reads it.
type Batch struct {
	ops  []Op
	size int
	err  error
}

// Put adds a put of value under key. A nil value is stored as an empty one.
func (b *Batch) Put(key string, value []byte) {
	if !b.check(key, len(value)) {
		return
	}
	v := make([]byte, len(value))
	copy(v, value)
	b.ops = append(b.ops, Op{Key: key, Value: v})
}

// Delete adds a delete of key. Deleting a key that has no value is not an
// error.
func (b *Batch) Delete(key string) {
	if !b.check(key, 0) {
		return
	}
	b.ops = append(b.ops, Op{Key: key, Delete: true})
}

func (b *Batch) check(key string, valueLen int) bool {
	if b.err != nil {
		return false
	}
	if err := CheckKey(key); err != nil {
		b.err = fmt.Errorf("store: batch op %d: %w", len(b.ops), err)
		return false
	}
	if valueLen > MaxValueSize {
		b.err = fmt.Errorf("store: batch op %d: %w (length %d)", len(b.ops), ErrValueTooLarge, valueLen)
		return false
	}
	n := len(key) + valueLen + BatchOpOverhead
	if b.size+n > MaxBatchSize {
		b.err = fmt.Errorf("store: batch op %d: %w (size %d)", len(b.ops), ErrBatchTooLarge, b.size+n)
		return false
	}
	b.size += n
	return true
}

// Len returns the number of ops recorded. A nil *Batch is empty.
func (b *Batch) Len() int {
	if b == nil {
		return 0
	}
	return len(b.ops)
}

// Size returns the batch's size as MaxBatchSize counts it.
func (b *Batch) Size() int {
	if b == nil {
		return 0
	}
	return b.size
}

// Err returns the error of the first invalid op added, or nil. It wraps
// ErrInvalidKey, ErrValueTooLarge or ErrBatchTooLarge.
func (b *Batch) Err() error {
	if b == nil {
		return nil
	}
	return b.err
}

// Ops returns the batch's ops in order, for Store implementations (such as a
// database adapter) that apply them one by one. The slice and the values
// belong to the Batch: do not modify them.
func (b *Batch) Ops() []Op {
	if b == nil {
		return nil
	}
	return b.ops
}

// Reset empties the batch, clearing Err, so it can be reused.
func (b *Batch) Reset() {
	clear(b.ops)
	b.ops = b.ops[:0]
	b.size = 0
	b.err = nil
}
