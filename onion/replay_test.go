package onion

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// TestNilReplayCheckerDetectsReplays is the regression test for replay
// protection that a nil ReplayChecker silently turned off: NewProcessor
// with nil must refuse the second peel of a packet.
func TestNilReplayCheckerDetectsReplays(t *testing.T) {
	node := scalarKey("replay node")
	s := newSealer(node, "replay", nil)
	plain := make([]byte, HopPayloadsSize)
	copy(plain, []byte{0x04, 0x02, 0x02, 0x01, 0x01})
	pkt := s.packet(s.encrypt(plain), nil)
	for name, key := range map[string]wire.NodeKey{
		"in-memory key": wire.NewPrivateNodeKey(node),
		"opaque key":    plainECDH{node},
	} {
		proc := NewProcessor(key, nil)
		if _, err := proc.Process(context.Background(), pkt, nil, nil); err != nil {
			t.Fatalf("%s: first peel: %v", name, err)
		}
		_, err := proc.Process(context.Background(), pkt, nil, nil)
		var pe *ProcessError
		if !errors.Is(err, ErrReplayedPacket) || !errors.As(err, &pe) || pe.Code != CodeTemporaryNodeFailure {
			t.Fatalf("%s: replay: %v", name, err)
		}
		if log, ok := proc.replay.(*MemoryReplayLog); !ok || log.size != DefaultReplayLogSize {
			t.Fatalf("%s: default replay log is %T", name, proc.replay)
		}
	}
}

// TestNoReplayCheck checks the explicit way to turn replay detection
// off: the same packet peels every time.
func TestNoReplayCheck(t *testing.T) {
	node := scalarKey("no replay node")
	s := newSealer(node, "no replay", nil)
	plain := make([]byte, HopPayloadsSize)
	copy(plain, []byte{0x04, 0x02, 0x02, 0x01, 0x01})
	pkt := s.packet(s.encrypt(plain), nil)
	proc := NewProcessor(wire.NewPrivateNodeKey(node), NoReplayCheck{})
	for i := range 3 {
		if _, err := proc.Process(context.Background(), pkt, nil, nil); err != nil {
			t.Fatalf("peel %d: %v", i, err)
		}
	}
}

func replayTag(i int) [32]byte { return sha256.Sum256([]byte{byte(i), byte(i >> 8)}) }

// TestBoundedReplayLog checks that a sized log holds at most its size,
// forgets the oldest entry first, and keeps what is still in it.
func TestBoundedReplayLog(t *testing.T) {
	ctx := context.Background()
	l := NewMemoryReplayLogSize(3)
	for i := range 5 {
		if seen, _ := l.CheckAndRecord(ctx, replayTag(i), 100); seen {
			t.Fatalf("tag %d reported seen on first record", i)
		}
		if l.Len() > 3 {
			t.Fatalf("log of size 3 holds %d", l.Len())
		}
	}
	// 2..4 are kept (checking records nothing new for them).
	for i := 2; i < 5; i++ {
		if seen, _ := l.CheckAndRecord(ctx, replayTag(i), 100); !seen {
			t.Fatalf("tag %d forgotten", i)
		}
	}
	// 0 and 1, the oldest, were forgotten.
	if seen, _ := l.CheckAndRecord(ctx, replayTag(0), 100); seen {
		t.Fatal("the oldest tag was not forgotten")
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d", l.Len())
	}
}

// TestBoundedReplayLogPrune checks that a tag pruned and recorded again
// is not forgotten early when the ring reaches its first record.
func TestBoundedReplayLogPrune(t *testing.T) {
	ctx := context.Background()
	l := NewMemoryReplayLogSize(3)
	l.CheckAndRecord(ctx, replayTag(0), 10) // slot 0
	if l.Prune(11) != 1 {
		t.Fatal("expired entry not pruned")
	}
	l.CheckAndRecord(ctx, replayTag(1), 0) // slot 1
	l.CheckAndRecord(ctx, replayTag(0), 0) // recorded again, slot 2
	l.CheckAndRecord(ctx, replayTag(2), 0) // evicts slot 0: the old record of tag 0
	if seen, _ := l.CheckAndRecord(ctx, replayTag(0), 0); !seen {
		t.Fatal("tag 0 forgotten through its pruned record")
	}
	if n := NewMemoryReplayLogSize(0).size; n != 1 {
		t.Fatalf("size 0 gives %d", n)
	}
}

// TestUnboundedReplayLog checks that NewMemoryReplayLog keeps everything
// until pruned.
func TestUnboundedReplayLog(t *testing.T) {
	ctx := context.Background()
	l := NewMemoryReplayLog()
	for i := range 1000 {
		l.CheckAndRecord(ctx, replayTag(i), uint32(i+1))
	}
	if l.Len() != 1000 {
		t.Fatalf("Len = %d", l.Len())
	}
	if seen, _ := l.CheckAndRecord(ctx, replayTag(0), 1); !seen {
		t.Fatal("first tag forgotten")
	}
	if n := l.Prune(501); n != 500 || l.Len() != 500 {
		t.Fatalf("pruned %d, %d left", n, l.Len())
	}
}
