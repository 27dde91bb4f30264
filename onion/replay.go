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

// NoReplayCheck is the ReplayChecker that finds no packet replayed and
// records nothing. Passing it to NewProcessor is how a host turns the
// Processor's replay detection off, because it detects replays itself
// (for example from the HTLCs it stores); a nil ReplayChecker does not
// turn it off.
type NoReplayCheck struct{}

// CheckAndRecord implements ReplayChecker: it reports every packet as new.
func (NoReplayCheck) CheckAndRecord(context.Context, [32]byte, uint32) (bool, error) {
	return false, nil
}

// DefaultReplayLogSize is how many packets the replay log that
// NewProcessor makes for a nil ReplayChecker remembers. The log grows as
// packets arrive, to about 8.5 MB when full (some 130 bytes an entry,
// measured with Go 1.26 on amd64).
const DefaultReplayLogSize = 1 << 16

// MemoryReplayLog is an in-memory ReplayChecker. It is safe for concurrent
// use. It is lost when the process ends, so it protects against replays
// within one run only; a node that must refuse a packet seen before a
// restart needs a persistent ReplayChecker.
//
// A log made by NewMemoryReplayLog keeps entries until Prune removes
// them. One made by NewMemoryReplayLogSize holds at most its size: when
// full, recording a packet forgets the oldest recorded one, whose replay
// then goes unnoticed, so the size should exceed the number of packets
// the node processes within an HTLC's lifetime.
type MemoryReplayLog struct {
	mu      sync.Mutex
	entries map[[32]byte]replayEntry
	// With a size, order is a ring of the recorded tags, oldest at next
	// once the ring is full.
	size  int
	order [][32]byte
	next  int
}

type replayEntry struct {
	expiry uint32
	slot   uint32 // the entry's place in order, when the log is bounded
}

// NewMemoryReplayLog returns an empty log that keeps its entries until
// Prune removes them.
func NewMemoryReplayLog() *MemoryReplayLog {
	return &MemoryReplayLog{entries: make(map[[32]byte]replayEntry)}
}

// NewMemoryReplayLogSize returns an empty log that remembers at most size
// packets, forgetting the oldest first. A size below 1 means 1.
func NewMemoryReplayLogSize(size int) *MemoryReplayLog {
	return &MemoryReplayLog{entries: make(map[[32]byte]replayEntry), size: max(size, 1)}
}

// CheckAndRecord implements ReplayChecker.
func (l *MemoryReplayLog) CheckAndRecord(_ context.Context, tag [32]byte, cltvExpiry uint32) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.entries[tag]; ok {
		return true, nil
	}
	e := replayEntry{expiry: cltvExpiry}
	if l.size > 0 {
		if len(l.order) < l.size {
			l.order = append(l.order, tag)
			e.slot = uint32(len(l.order) - 1)
		} else {
			// Forget the oldest tag, unless Prune already removed it
			// and it was recorded again in a newer slot.
			old := l.order[l.next]
			if o, ok := l.entries[old]; ok && o.slot == uint32(l.next) {
				delete(l.entries, old)
			}
			l.order[l.next] = tag
			e.slot = uint32(l.next)
			l.next = (l.next + 1) % l.size
		}
	}
	l.entries[tag] = e
	return false, nil
}

// Prune forgets entries whose expiry is below height (entries recorded with
// expiry 0 are kept). It returns how many were removed.
func (l *MemoryReplayLog) Prune(height uint32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for tag, e := range l.entries {
		if e.expiry != 0 && e.expiry < height {
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
