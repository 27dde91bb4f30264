package channel

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

func sentTypes(n *simNode) []wire.MessageType {
	var out []wire.MessageType
	for _, m := range n.out {
		out = append(out, m.MsgType())
	}
	return out
}

// TestReorgLockIn waits for three confirmations, loses them in a
// reorganization, and locks in after the funding confirms again.
func TestReorgLockIn(t *testing.T) {
	alias := wire.ShortChannelID{BlockHeight: 1, TxIndex: 7, OutputIndex: 3}
	sp := newSimPair(t, pairOpts{push: 1_000_000_000, lockIn: LockIn{MinDepth: 3, CreatedAt: 1000, Alias: &alias}})
	a, b := sp.a, sp.b
	if a.m.Ready() || b.m.Ready() {
		t.Fatal("ready before any confirmation")
	}
	if _, err := sp.add(a, 10_000_000); !errors.Is(err, ErrNotReady) {
		t.Fatalf("add before lock-in: %v", err)
	}
	for _, n := range []*simNode{a, b} {
		n.apply(n.m.FundingConfirmed(1001, 5))
		n.apply(n.m.BlockHeight(1002))
	}
	sp.settle()
	if a.m.Ready() {
		t.Fatal("ready at 2 confirmations")
	}
	// A reorg takes the funding out; the next blocks do not count.
	for _, n := range []*simNode{a, b} {
		n.apply(n.m.FundingUnconfirmed())
		n.apply(n.m.BlockHeight(1003))
	}
	sp.settle()
	if a.m.Ready() || b.m.Ready() {
		t.Fatal("ready after the funding was reorganized out")
	}
	for _, n := range []*simNode{a, b} {
		n.apply(n.m.FundingConfirmed(1003, 9))
		n.apply(n.m.BlockHeight(1005))
	}
	sp.settle()
	if !a.m.Ready() || !b.m.Ready() {
		t.Fatal("not ready at 3 confirmations")
	}
	if scid, ok := a.m.ShortChannelID(); !ok || scid.BlockHeight != 1003 || scid.TxIndex != 9 {
		t.Fatalf("short_channel_id %v %v", scid, ok)
	}
	if _, remote := a.m.Aliases(); remote == nil || *remote != alias {
		t.Fatalf("alice got alias %v", remote)
	}
	payRound(t, sp, 10_000_000)
}

// TestReestablishChannelReady loses channel_ready in a disconnection and
// a crash; channel_reestablish brings it back.
func TestReestablishChannelReady(t *testing.T) {
	sp := newSimPair(t, pairOpts{push: 1_000_000_000, lockIn: LockIn{MinDepth: 1, CreatedAt: 10}})
	a, b := sp.a, sp.b
	a.apply(a.m.FundingConfirmed(11, 0))
	b.apply(b.m.FundingConfirmed(11, 0))
	a.flush()
	b.flush()
	if got := sentTypes(a); len(got) != 1 || got[0] != wire.MsgChannelReady {
		t.Fatalf("alice sent %v", got)
	}
	sp.disconnect()
	a.crash()
	sp.reconnect()
	sp.settle()
	if !a.m.Ready() || !b.m.Ready() {
		t.Fatal("channel_ready not retransmitted")
	}
	payRound(t, sp, 1_000_000)
}

// TestFundingTimeout forgets a fundee's channel whose funding never
// confirmed, without broadcasting anything.
func TestFundingTimeout(t *testing.T) {
	sp := newSimPair(t, pairOpts{lockIn: LockIn{MinDepth: 3, CreatedAt: 500}})
	sp.a.allowFail, sp.b.allowFail = true, true
	sp.b.apply(sp.b.m.BlockHeight(500 + FundingTimeoutBlocks - 1))
	sp.b.flush()
	if sp.b.failed != nil {
		t.Fatal("forgot too early")
	}
	sp.b.apply(sp.b.m.BlockHeight(500 + FundingTimeoutBlocks))
	sp.b.flush()
	if sp.b.failed == nil || !errors.Is(sp.b.failed.Err, ErrFundingTimeout) || sp.b.failed.Broadcast {
		t.Fatalf("bob: %+v", sp.b.failed)
	}
	// The opener does not forget: its funds are in the funding output.
	sp.a.apply(sp.a.m.BlockHeight(500 + 2*FundingTimeoutBlocks))
	sp.a.flush()
	if sp.a.failed != nil {
		t.Fatal("the opener forgot its channel")
	}
}
