package channel

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// overlapSigner counts the SignInput calls under way at once. Each call
// sleeps a little, so that calls made from several goroutines would
// overlap.
type overlapSigner struct {
	Signer
	inFlight, most, calls atomic.Int64
}

func (o *overlapSigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	n := o.inFlight.Add(1)
	defer o.inFlight.Add(-1)
	o.calls.Add(1)
	for {
		m := o.most.Load()
		if n <= m || o.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(50 * time.Microsecond)
	return o.Signer.SignInput(ctx, req)
}

// TestSerialSignerNeverOverlaps signs a commitment with 40 HTLCs through a
// SerialSigner with GOMAXPROCS=4, from three goroutines at once, and
// requires that the wrapped signer never sees two calls at a time and
// that the signatures equal those of the parallel path.
func TestSerialSignerNeverOverlaps(t *testing.T) {
	prev := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	tc := newTestChannel(t, script.Anchors, 100_000_000)
	c, err := RemoteCommitment(tc.alice, benchState(tc, 40), tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want, err := SignCommitment(ctx, tc.aliceSig, tc.alice, c)
	if err != nil {
		t.Fatal(err)
	}

	// Without the wrapper the calls may overlap; that is allowed, and
	// only logged.
	free := &overlapSigner{Signer: tc.aliceSig}
	if _, err := SignCommitment(ctx, free, tc.alice, c); err != nil {
		t.Fatal(err)
	}
	t.Logf("unwrapped signer: at most %d calls at once", free.most.Load())

	hsm := &overlapSigner{Signer: tc.aliceSig}
	serial := NewSerialSigner(hsm)
	const callers = 3
	results := make([]*CommitSigs, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			results[g], errs[g] = SignCommitment(ctx, serial, tc.alice, c)
		}(g)
	}
	wg.Wait()
	if got := hsm.most.Load(); got != 1 {
		t.Fatalf("SerialSigner let %d calls overlap", got)
	}
	if got, want := hsm.calls.Load(), int64(callers*(len(c.HTLCs)+1)); got != want {
		t.Fatalf("%d calls, want %d", got, want)
	}
	for g := range results {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		if results[g].CommitSig != want.CommitSig || len(results[g].HTLCSigs) != len(want.HTLCSigs) {
			t.Fatal("serial commitment signature differs")
		}
		for i := range want.HTLCSigs {
			if results[g].HTLCSigs[i] != want.HTLCSigs[i] {
				t.Fatalf("serial HTLC signature %d differs", i)
			}
		}
	}
}

// blockingSigner holds every call until released.
type blockingSigner struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingSigner) SignInput(ctx context.Context, _ *SignRequest) (wire.Signature, error) {
	b.entered <- struct{}{}
	<-b.release
	return wire.Signature{}, nil
}

// TestSerialSignerWaitHonoursContext: a request waiting for its turn
// returns when its context is cancelled, and the zero value refuses work.
func TestSerialSignerWaitHonoursContext(t *testing.T) {
	b := &blockingSigner{entered: make(chan struct{}), release: make(chan struct{})}
	s := NewSerialSigner(b)
	done := make(chan error)
	go func() {
		_, err := s.SignInput(context.Background(), &SignRequest{})
		done <- err
	}()
	<-b.entered // the first request holds the turn
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.SignInput(ctx, &SignRequest{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting request: %v", err)
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var zero SerialSigner
	if _, err := zero.SignInput(context.Background(), &SignRequest{}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("zero SerialSigner: %v", err)
	}
}
