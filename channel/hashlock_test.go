package channel

import (
	"fmt"
	"testing"

	"github.com/lnkit/lnkit/script"
)

// TestHashLocker checks the reused RIPEMD-160 state against
// script.PaymentHashLock, and that htlcScriptSizeHint bounds every HTLC
// script.
func TestHashLocker(t *testing.T) {
	var l hashLocker
	for i := 0; i < 50; i++ {
		h := sha([]byte(fmt.Sprint("payment ", i)))
		if got, want := l.lock(h), script.PaymentHashLock(h); got != want {
			t.Fatalf("hash %d: %x, want %x", i, got, want)
		}
	}
	p := script.HTLCScriptParams{CLTVExpiry: 1<<32 - 1}
	for _, anchors := range []bool{false, true} {
		for _, n := range []int{
			len(script.AppendOfferedHTLCScript(nil, anchors, &p)),
			len(script.AppendReceivedHTLCScript(nil, anchors, &p)),
		} {
			if n > htlcScriptSizeHint {
				t.Fatalf("HTLC script of %d bytes, hint %d", n, htlcScriptSizeHint)
			}
		}
	}
}
