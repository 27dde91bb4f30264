// Package store is lnkit's durable key-value storage: the Store interface
// that the host supplies, File (the embedded default, a crash-safe log in
// one directory), Memory (for tests and simulations) and FaultInjector
// (crashes and I/O failures at chosen writes, for tests). It implements no
// BOLT; it is what makes the BOLT 2 and BOLT 5 rules hold across crashes:
// channel state that a message commits to is durable before the message is
// sent, so that a node never broadcasts a commitment it has revoked.
//
// # The contract
//
// A Store has three methods. Get returns a value, List the keys under a
// prefix in bytewise order, and Write applies a Batch of puts and deletes
// atomically: after a crash all of a batch is visible or none of it. When
// Write returns nil the batch is durable; only then may the host send what
// commits to it. Within a batch, a later op on a key overrides an earlier
// one; an empty batch costs nothing. Keys are 1 to MaxKeySize bytes, values
// up to MaxValueSize, a batch up to MaxBatchSize; the errors wrap
// ErrInvalidKey, ErrValueTooLarge and ErrBatchTooLarge, and an invalid
// batch is refused whole. Values are copied in (by Batch.Put) and out (by
// Get). Every Store here is safe for concurrent use. When Write fails with
// an I/O error the batch is not visible through that Store, but it may
// have reached the disk: release nothing that commits to it, and read the
// state back after a restart. A failed write is not a reason to close a
// channel: retry later.
//
// A store has one writer. File takes an exclusive lock (flock on Unix) on
// a LOCK file in its directory, so a second OpenFile of the directory, in
// this process or another, fails with ErrLocked.
//
// The conformance suite for any implementation, including adapters in other
// modules, is in package store/storetest.
//
// # File
//
// File keeps the whole live key space in memory (a skip list), so Get and
// List never touch the disk, and appends each Write to a log file,
// store.log, as one record followed by exactly one fdatasync (fsync outside
// Linux; F_FULLFSYNC on macOS). Writes that arrive while a record is being
// committed are committed together in the next record (group commit): never
// more than one fdatasync per batch, often fewer under load. It is meant
// for one node's state, up to a few hundred megabytes: opening reads the
// whole log.
//
// The log starts with a 40-byte file header: the magic "lnkitkv\n", the
// format version (1), the sequence number of the first record, and the
// offset where the snapshot ends, protected by a CRC-32C. Records follow:
// a 24-byte header (payload length, sequence number, flags, the payload's
// CRC-32C, and a CRC-32C of the header itself, so that a damaged length is
// detected before it is used), the payload (the batch's ops), and a 4-byte
// end marker. Sequence numbers rise by one from record to record. See
// format.go for the byte layout.
//
// Compaction rewrites the live key space as the snapshot records of a new
// file, fsyncs it, renames it over store.log and fsyncs the directory. The
// rename is the commit point: before it the old log is the store (a leftover
// temporary file is removed at the next open), after it the new file holds
// the same state. That costs two extra syncs and a rewrite of the live
// data, once the records after the snapshot pass both WithCompactAfter
// bytes (DefaultCompactAfter, 4 MiB) and the snapshot's own size, so it is
// amortised over thousands of batches. A new store is created the same
// way, which also syncs the directory after the file first appears.
//
// # Recovery
//
// OpenFile replays the log. Damage anywhere in the header or the snapshot is
// reported as ErrCorrupt, a *CorruptError carrying the file and the offset.
// After the snapshot, the first record that fails a check starts the tail.
// Because a File writes one record, fdatasyncs it and only then writes the
// next, at most the last record can be unfinished after a crash, and only
// zeros can follow it; an unfinished record is a prefix of the record, or
// a mix of its sectors and zeros. So the tail is truncated away (a torn
// write, whose Write never returned) only if it shows it was never
// completely written: the file ends inside it, its end marker is missing
// (cut or zero), or one of its sectors is zeros. Damage followed by more
// data, and a record that is all there but fails its checksum, are
// ErrCorrupt, never dropped. A batch that Write reported durable was
// covered by an fdatasync and so passes every check; one flipped bit
// anywhere in the log, the last record included, is reported. Lengths are
// checked against the bytes left in the file before anything is allocated.
// The full rule and the argument are in recover.go.
//
// After an fdatasync error a File refuses further writes with ErrFailed
// (the kernel may have dropped the unwritten pages, so a retry could
// falsely succeed); reads go on serving the last durable state, and
// reopening recovers from the disk. A failed write(2) is undone and the
// File goes on.
//
// # Testing a host
//
// FaultInjector wraps a Store and, at the n-th Write that would change it,
// fails transiently (FaultFail), or crashes before the batch is durable
// (FaultCrashBefore: the batch is lost) or after (FaultCrashAfter: the batch
// is kept but Write returns ErrCrashed). After a crash every call returns
// ErrCrashed and the test restarts the host on Inner. Crashing at each count
// in turn visits every persistence point.
package store
