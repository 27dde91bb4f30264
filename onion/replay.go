package onion

import (
	"context"
	"sync"
)

// ReplayChecker remembers the packets a node has processed, so that a
// packet with the same routing information is refused (BOLT 4 "Packet
// Forwarding": a node must not forward or redeem the same packet twice;
// the spec suggests a log of shared secrets that can be forgotten once the
// HTLC has expired). The host implements it, for example over its
// database; MemoryReplayLog is an in-memory default.
type ReplayChecker interface {
	// CheckAndRecord records tag, which identifies one packet, and
	// reports whether it was recorded before. cltvExpiry is the incoming
	// HTLC's expiry, after which the entry may be forgotten (0 when
	// unknown, as for onion messages).
	CheckAndRecord(ctx context.Context, tag [32]byte, cltvExpiry uint32) (replayed bool, err error)
}

// MemoryReplayLog is an in-memory ReplayChecker. It is safe for concurrent
// use. Entries stay until Prune removes them.
type MemoryReplayLog struct {
	mu      sync.Mutex
	entries map[[32]byte]uint32
}

// NewMemoryReplayLog returns an empty log.
func NewMemoryReplayLog() *MemoryReplayLog {
	return &MemoryReplayLog{entries: make(map[[32]byte]uint32)}
}

// CheckAndRecord implements ReplayChecker.
func (l *MemoryReplayLog) CheckAndRecord(_ context.Context, tag [32]byte, cltvExpiry uint32) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.entries[tag]; ok {
		return true, nil
	}
	l.entries[tag] = cltvExpiry
	return false, nil
}

// Prune forgets entries whose expiry is below height (entries recorded with
// expiry 0 are kept). It returns how many were removed.
func (l *MemoryReplayLog) Prune(height uint32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for tag, exp := range l.entries {
		if exp != 0 && exp < height {
			delete(l.entries, tag)
			n++
		}
	}
	return n
}

// Len returns the number of entries.
func (l *MemoryReplayLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
