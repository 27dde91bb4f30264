package channel

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
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

// negateS returns sig with s replaced by n - s: as valid an ECDSA
// signature as sig, but not in low-S form.
func negateS(sig wire.Signature) wire.Signature {
	var s btcec.ModNScalar
	s.SetByteSlice(sig[32:])
	s.Negate()
	out := sig
	s.PutBytesUnchecked(out[32:])
	return out
}

// TestPeerSignaturesMustBeLowS: BOLT 2 refuses a commitment_signed or
// closing_signed signature "non-compliant with LOW-S-standard rule" like
// an invalid one. The high-S twins below verify as ECDSA signatures but
// are refused.
func TestPeerSignaturesMustBeLowS(t *testing.T) {
	ctx := context.Background()
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	aliceC, _, sigs, _ := signedPair(t, tc, tc.busyState())

	high := *sigs
	high.CommitSig = negateS(sigs.CommitSig)
	digest, _ := fundingSignRequest(tc.alice, aliceC.Tx, aliceC.FundingScript).Digest()
	if !verifySig(high.CommitSig, digest, tc.alice.Remote.Funding) {
		t.Fatal("the negated signature should still verify as ECDSA")
	}
	if err := VerifyCommitSigs(ctx, tc.alice, aliceC, &high); !errors.Is(err, ErrInvalidCommitSig) {
		t.Fatalf("high-S commitment signature: %v", err)
	}
	high = *sigs
	high.HTLCSigs = append([]wire.Signature(nil), sigs.HTLCSigs...)
	high.HTLCSigs[3] = negateS(sigs.HTLCSigs[3])
	var se *SignatureError
	if err := VerifyCommitSigs(ctx, tc.alice, aliceC, &high); !errors.As(err, &se) || se.HTLCIndex != 3 || !errors.Is(err, ErrInvalidHTLCSig) {
		t.Fatalf("high-S HTLC signature: %v", err)
	}
	pre := tc.preimage(aliceC.HTLCs[3].PaymentHash)
	f := &WalletFunding{Inputs: []WalletInput{walletCoin("low-s", 50_000)}, ChangeScript: changeScript, FeeRate: 1000}
	if _, err := BumpHTLCTx(ctx, tc.aliceSig, aliceC, 3, high.HTLCSigs[3], pre, f); !errors.Is(err, ErrInvalidHTLCSig) {
		t.Fatalf("high-S HTLC signature in a fee bump: %v", err)
	}

	lc := &LegacyClose{LocalScript: aliceClose, RemoteScript: bobClose, LocalBalance: 6_000_000_000, RemoteBalance: 4_000_000_000, Fee: 1000}
	bobView := &LegacyClose{LocalScript: bobClose, RemoteScript: aliceClose, LocalBalance: 4_000_000_000, RemoteBalance: 6_000_000_000, Fee: 1000, DustLimit: tc.bob.Local.DustLimit}
	tx, err := NewLegacyClosingTx(tc.bob, bobView)
	if err != nil {
		t.Fatal(err)
	}
	bobSig, err := SignFundingSpend(ctx, tc.bobSig, tc.bob, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyLegacyClose(tc.alice, lc, bobSig); err != nil {
		t.Fatal(err)
	}
	if err := VerifyFundingSpend(tc.alice, tx, negateS(bobSig)); err != nil {
		t.Fatal("the negated closing signature should still verify as ECDSA")
	}
	if _, err := VerifyLegacyClose(tc.alice, lc, negateS(bobSig)); !errors.Is(err, ErrInvalidClosingSig) {
		t.Fatalf("high-S closing_signed: %v", err)
	}
	if _, err := VerifyLegacyClose(nil, lc, bobSig); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("nil parameters: %v", err)
	}
}
