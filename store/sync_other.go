//go:build !linux

package store

import "os"

// datasync flushes f to the disk. Outside Linux it is f.Sync: fsync(2), or
// on macOS fcntl F_FULLFSYNC, which also flushes the drive's cache.
func datasync(f *os.File) error { return f.Sync() }
