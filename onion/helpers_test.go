package onion

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// testNode is a hop with its key, for tests.
type testNode struct {
	priv *btcec.PrivateKey
	proc *Processor
}

func newTestNodes(t testing.TB, rng *rand.ChaCha8, n int) []testNode {
	t.Helper()
	nodes := make([]testNode, n)
	for i := range nodes {
		var b [32]byte
		rng.Read(b[:])
		b[0] &= 0x7f
		b[31] |= 1
		priv, _ := btcec.PrivKeyFromBytes(b[:])
		nodes[i] = testNode{priv: priv, proc: NewProcessor(wire.NewPrivateNodeKey(priv), NewMemoryReplayLog())}
	}
	return nodes
}

// peelAll processes pkt through every node and returns the payloads seen.
func peelAll(t testing.TB, nodes []testNode, pkt *Packet, assoc []byte) [][]byte {
	t.Helper()
	var out [][]byte
	cur := pkt
	for i, n := range nodes {
		res, err := n.proc.Process(context.Background(), cur, assoc, nil)
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		out = append(out, res.Payload)
		if res.Final != (i == len(nodes)-1) {
			t.Fatalf("hop %d: final=%v", i, res.Final)
		}
		if !res.Final {
			next := res.Next
			cur = &next
		}
	}
	return out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// stdHMAC is HMAC-SHA256 by crypto/hmac: the independent reference the
// tests check fastcrypto's against, and the floor of the HMAC benchmarks.
func stdHMAC(key, msg []byte) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// newTestProcessor returns a Processor for k with its own replay log.
func newTestProcessor(k *btcec.PrivateKey) *Processor {
	return NewProcessor(wire.NewPrivateNodeKey(k), NewMemoryReplayLog())
}
