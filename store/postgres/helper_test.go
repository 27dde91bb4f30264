package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
)

// The crash and lock tests run a second process: this test binary again,
// with helperEnv naming what it does (TestMain dispatches to helperMain).
// It talks to the test over stdout, one line per event.
const (
	helperEnv   = "LNKIT_PG_HELPER"
	helperNSEnv = "LNKIT_PG_HELPER_NS"
)

// Helper modes.
const (
	modeHold         = "hold"          // open, print "LOCKED", wait for stdin to close, Close
	modeTryOpen      = "try-open"      // open; print "OPENED" or "ERR-LOCKED"
	modeBeforeCommit = "before-commit" // write bigBatch, print "BEFORE-COMMIT" and hang before COMMIT
	modeAfterCommit  = "after-commit"  // write bigBatch, print "AFTER-COMMIT" and hang after COMMIT
	modeMidSend      = "mid-send"      // print "SENDING", write hugeBatch
	modeStream       = "stream"        // write streamBatch(0), (1), ... printing "DONE i" after each
)

const (
	bigKeys      = 2000 // bigBatch: 2000 values of 16 KiB (32 MiB)
	bigValueSize = 16 << 10
	hugeKeys     = 1600 // hugeBatch: 1600 values of 64 KiB (100 MiB)
	hugeValue    = 64 << 10
	streamKeys   = 20 // streamBatch: 20 values of 1 KiB
)

// valueFor is the value the helper writes under k, so that the test can
// check values as well as presence.
func valueFor(k string, size int) []byte {
	v := make([]byte, size)
	seed := []byte(k)
	for i := range v {
		v[i] = seed[i%len(seed)] ^ byte(i>>8)
	}
	return v
}

func sizedBatch(prefix string, n, size int) *store.Batch {
	var b store.Batch
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("%s%05d", prefix, i)
		b.Put(k, valueFor(k, size))
	}
	return &b
}

func streamBatch(i int) *store.Batch {
	b := sizedBatch(fmt.Sprintf("s/%06d/", i), streamKeys, 1<<10)
	b.Put("s/last", []byte(fmt.Sprint(i)))
	return b
}

// helperMain is the second process's main; it returns the exit code.
func helperMain(mode string) int {
	say := func(format string, args ...any) { fmt.Fprintf(os.Stdout, format+"\n", args...) }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, os.Getenv(dsnEnv), WithNamespace(os.Getenv(helperNSEnv)))
	if mode == modeTryOpen {
		switch {
		case errors.Is(err, store.ErrLocked):
			say("ERR-LOCKED %v", err)
		case err != nil:
			say("ERR %v", err)
		default:
			say("OPENED")
			if err := s.Close(); err != nil {
				say("ERR close: %v", err)
			}
		}
		return 0
	}
	if err != nil {
		say("ERR open: %v", err)
		return 1
	}
	hang := func(marker string) func() {
		return func() {
			say(marker)
			select {} // until killed
		}
	}
	switch mode {
	case modeHold:
		say("LOCKED")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := s.Close(); err != nil {
			say("ERR close: %v", err)
			return 1
		}
		return 0
	case modeBeforeCommit:
		testHookBeforeCommit = hang("BEFORE-COMMIT")
		err = s.Write(ctx, sizedBatch("big/", bigKeys, bigValueSize))
	case modeAfterCommit:
		testHookAfterCommit = hang("AFTER-COMMIT")
		err = s.Write(ctx, sizedBatch("big/", bigKeys, bigValueSize))
	case modeMidSend:
		b := sizedBatch("huge/", hugeKeys, hugeValue)
		say("SENDING")
		err = s.Write(ctx, b)
		say("WRITTEN")
		select {} // until killed
	case modeStream:
		for i := 0; ; i++ {
			if err = s.Write(ctx, streamBatch(i)); err != nil {
				break
			}
			say("DONE %d", i)
		}
	default:
		say("ERR unknown mode %q", mode)
		return 2
	}
	say("ERR %s: %v", mode, err)
	return 1
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
	done  chan struct{}
}

// startHelper runs the helper in mode on namespace ns. It is killed (by
// PID, SIGKILL) when the test ends if it is still running.
func startHelper(t *testing.T, mode, ns string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperNSEnv+"="+ns, dsnEnv+"="+testDSN(t))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: make(chan string, 1<<16), stdin: in, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
		_ = cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() { h.kill(t) })
	return h
}

// expect waits for a line starting with prefix and returns it; any "ERR"
// line, or the helper's exit, fails the test.
func (h *helper) expect(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				t.Fatalf("helper exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			if strings.HasPrefix(line, "ERR") {
				t.Fatalf("helper: %s", line)
			}
		case <-timeout:
			t.Fatalf("helper printed no %q in 2 minutes", prefix)
		}
	}
}

// kill sends SIGKILL to the helper's PID and waits for it to exit.
func (h *helper) kill(t *testing.T) {
	select {
	case <-h.done:
		return
	default:
	}
	if err := h.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill helper %d: %v", h.cmd.Process.Pid, err)
	}
	<-h.done
}
