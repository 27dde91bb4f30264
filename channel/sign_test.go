package channel

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/txscript"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// singleSigner hides MemorySigner's SignInputs, so SignCommitment signs
// request by request.
type singleSigner struct{ m *MemorySigner }

func (s singleSigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	return s.m.SignInput(ctx, req)
}

// refSigner signs like MemorySigner did before batching, with none of its
// shortcuts: txscript's sighash with a fresh midstate, script.TweakPrivKey
// for every request and ecdsa.Sign. Only HTLC and funding keys.
type refSigner struct{ s BasepointSecrets }

func (r refSigner) SignInput(_ context.Context, req *SignRequest) (wire.Signature, error) {
	key := r.s.Funding
	if req.Key == KeyHTLC {
		key = script.TweakPrivKey(r.s.HTLC, nil, req.PerCommitmentPoint)
	}
	hashes := txscript.NewTxSigHashes(req.Tx, emptyFetcher)
	d, err := txscript.CalcWitnessSigHash(req.WitnessScript, hashes, req.HashType, req.Tx, req.InputIndex, int64(req.Value))
	if err != nil {
		return wire.Signature{}, err
	}
	return wire.NewSignature(ecdsa.Sign(key, d)), nil
}

// TestBatchSigningMatchesSingle signs the same commitments through
// MemorySigner.SignInputs (batched) and through SignInput alone, with 1 to
// 3 workers, and requires the signatures of the plain reference signer.
func TestBatchSigningMatchesSingle(t *testing.T) {
	ctx := context.Background()
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		for _, n := range []int{0, 1, 2, 5, 31} {
			tc := newTestChannel(t, typ, 100_000_000)
			c, err := RemoteCommitment(tc.alice, benchState(tc, n), tc.bobPoint)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GOMAXPROCS(1)
			want, err := SignCommitment(ctx, refSigner{tc.aliceSecrets}, tc.alice, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, procs := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(procs)
				for _, s := range []Signer{tc.aliceSig, singleSigner{tc.aliceSig}} {
					got, err := SignCommitment(ctx, s, tc.alice, c)
					if err != nil {
						t.Fatal(err)
					}
					if got.CommitSig != want.CommitSig || len(got.HTLCSigs) != n || len(want.HTLCSigs) != n {
						t.Fatalf("%v, %d HTLCs, GOMAXPROCS=%d: commitment signature or count differs", typ, n, procs)
					}
					for i := range got.HTLCSigs {
						if got.HTLCSigs[i] != want.HTLCSigs[i] {
							t.Fatalf("%v, %d HTLCs, GOMAXPROCS=%d: HTLC signature %d differs", typ, n, procs, i)
						}
					}
				}
			}
		}
	}
}

// TestSignCommitmentErrors checks that a failed request is reported with
// what it was for, batched or not, with one or more workers.
func TestSignCommitmentErrors(t *testing.T) {
	ctx := context.Background()
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	tc := newTestChannel(t, script.Anchors, 100_000_000)
	c, err := RemoteCommitment(tc.alice, benchState(tc, 6), tc.bobPoint)
	if err != nil {
		t.Fatal(err)
	}
	noHTLC, noFunding := tc.aliceSecrets, tc.aliceSecrets
	noHTLC.HTLC, noFunding.Funding = nil, nil
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, c2 := range []struct {
			secrets BasepointSecrets
			want    string
		}{
			{noFunding, "signing commitment:"},
			{noHTLC, fmt.Sprintf("signing HTLC %d transaction", c.HTLCs[0].ID)},
		} {
			m := NewMemorySigner(c2.secrets)
			for _, s := range []Signer{m, singleSigner{m}} {
				_, err := SignCommitment(ctx, s, tc.alice, c)
				if !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), c2.want) {
					t.Fatalf("GOMAXPROCS=%d %T: error %v, want ErrInvalidParams and %q", procs, s, err, c2.want)
				}
			}
		}
	}
	// A batch whose first failure is not its first request.
	reqs := []SignRequest{*fundingSignRequest(tc.alice, c.Tx, c.FundingScript), {Key: KeyHTLC, Tx: c.Tx, InputIndex: 5}}
	err = tc.aliceSig.SignInputs(ctx, reqs, make([]wire.Signature, 2))
	var be *BatchSignError
	if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("bad input index: %v", err)
	}
	if err := tc.aliceSig.SignInputs(ctx, reqs, make([]wire.Signature, 1)); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("mismatched lengths: %v", err)
	}
}
