package script

import (
	"errors"
	"math/rand"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
)

func TestObscuredCommitmentNumberRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		n := rng.Uint64() & MaxCommitmentNumber
		f := rng.Uint64() & MaxCommitmentNumber
		if i == 0 {
			n, f = MaxCommitmentNumber, 0
		}
		lt, seq, err := CommitmentLockTimeSequence(n, f)
		if err != nil {
			t.Fatal(err)
		}
		if lt>>24 != 0x20 || seq>>24 != 0x80 {
			t.Fatalf("markers %x %x", lt, seq)
		}
		tx := btcwire.NewMsgTx(2)
		tx.LockTime = lt
		tx.AddTxIn(&btcwire.TxIn{Sequence: seq})
		got, err := CommitmentNumberFromTx(tx, f)
		if err != nil || got != n {
			t.Fatalf("got %d (%v), want %d", got, err, n)
		}
	}
	// Appendix C: factor 0x2bb038521914, number 42.
	lt, seq, _ := CommitmentLockTimeSequence(42, 0x2bb038521914)
	if lt != 0x2052193e || seq != 0x802bb038 {
		t.Fatalf("appendix C locktime/sequence %x/%x", lt, seq)
	}
}

func TestObscuredCommitmentNumberErrors(t *testing.T) {
	if _, _, err := CommitmentLockTimeSequence(MaxCommitmentNumber+1, 0); !errors.Is(err, ErrCommitmentNumber) {
		t.Fatalf("49-bit number: %v", err)
	}
	if _, err := CommitmentNumber(0x2052193e, 0xfffffffe, 0); !errors.Is(err, ErrNotCommitment) {
		t.Fatalf("sequence without marker: %v", err)
	}
	if _, err := CommitmentNumber(0, 0x802bb038, 0); !errors.Is(err, ErrNotCommitment) {
		t.Fatalf("locktime without marker: %v", err)
	}
	if _, err := CommitmentNumberFromTx(btcwire.NewMsgTx(2), 0); !errors.Is(err, ErrNotCommitment) {
		t.Fatalf("no inputs: %v", err)
	}
	if _, err := CommitmentNumberFromTx(nil, 0); !errors.Is(err, ErrNotCommitment) {
		t.Fatalf("nil tx: %v", err)
	}
}
