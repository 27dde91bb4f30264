package script

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestAppendHTLCScriptsMatchBuilder compares the directly written HTLC
// scripts with the script-builder ones for random keys and hashes, both
// channel types, and cltv_expiry values around every push-size boundary.
func TestAppendHTLCScriptsMatchBuilder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cltvs := []uint32{0, 1, 16, 17, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
		1<<23 - 1, 1 << 23, 1<<24 - 1, 1 << 24, 1<<31 - 1, 1 << 31, 1<<32 - 1, 500_000, 840_000}
	for i := 0; i < 200; i++ {
		var p HTLCScriptParams
		rng.Read(p.RevocationKeyHash[:])
		rng.Read(p.RemoteHTLCKey[:])
		rng.Read(p.LocalHTLCKey[:])
		rng.Read(p.PaymentHashLock[:])
		if i < len(cltvs) {
			p.CLTVExpiry = cltvs[i]
		} else {
			p.CLTVExpiry = rng.Uint32() >> uint(rng.Intn(32))
		}
		prefix := []byte{0xde, 0xad}
		for _, anchors := range []bool{false, true} {
			want := OfferedHTLCScriptFromParams(anchors, &p)
			if got := AppendOfferedHTLCScript(nil, anchors, &p); !bytes.Equal(got, want) {
				t.Fatalf("offered (anchors %v):\n got %x\nwant %x", anchors, got, want)
			}
			if got := AppendOfferedHTLCScript(prefix, anchors, &p); !bytes.Equal(got, append(prefix[:2:2], want...)) {
				t.Fatal("offered: prefix not kept")
			}
			want = ReceivedHTLCScriptFromParams(anchors, &p)
			if got := AppendReceivedHTLCScript(nil, anchors, &p); !bytes.Equal(got, want) {
				t.Fatalf("received (anchors %v, cltv %d):\n got %x\nwant %x", anchors, p.CLTVExpiry, got, want)
			}
			if got := AppendP2WSH(prefix, want); !bytes.Equal(got, append(prefix[:2:2], P2WSH(want)...)) {
				t.Fatal("P2WSH differs")
			}
		}
	}
}
