package script

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	btcwire "github.com/btcsuite/btcd/wire"
)

// MaxCommitmentNumber is the largest commitment number: commitment numbers
// are 48 bits wide.
const MaxCommitmentNumber uint64 = 1<<48 - 1

const (
	lockTimeMarker = 0x20 << 24
	sequenceMarker = 0x80 << 24
	low24          = 1<<24 - 1
)

// ObscuringFactor returns the 48-bit factor that hides commitment numbers
// on chain: the lower 48 bits of SHA256(payment_basepoint from
// open_channel || payment_basepoint from accept_channel) (BOLT 3
// "Commitment Transaction"). The order of the arguments matters: the
// opener's basepoint comes first, whichever side computes it.
func ObscuringFactor(openerPaymentBasepoint, accepterPaymentBasepoint *btcec.PublicKey) uint64 {
	var buf [66]byte
	copy(buf[:33], openerPaymentBasepoint.SerializeCompressed())
	copy(buf[33:], accepterPaymentBasepoint.SerializeCompressed())
	h := sha256.Sum256(buf[:])
	var v uint64
	for _, b := range h[26:] {
		v = v<<8 | uint64(b)
	}
	return v
}

// CommitmentLockTimeSequence returns the locktime and the input sequence
// of the commitment transaction with commitmentNumber: locktime is 0x20 in
// the upper 8 bits and the lower 24 bits of the obscured number, the
// sequence 0x80 in the upper 8 bits and the upper 24 bits of the obscured
// number. The obscured number is commitmentNumber XOR obscuringFactor.
func CommitmentLockTimeSequence(commitmentNumber, obscuringFactor uint64) (lockTime, sequence uint32, err error) {
	if commitmentNumber > MaxCommitmentNumber {
		return 0, 0, fmt.Errorf("%w: %d", ErrCommitmentNumber, commitmentNumber)
	}
	obscured := (commitmentNumber ^ obscuringFactor) & MaxCommitmentNumber
	lockTime = lockTimeMarker | uint32(obscured&low24)
	sequence = sequenceMarker | uint32(obscured>>24)
	return lockTime, sequence, nil
}

// CommitmentNumber recovers the commitment number from a commitment
// transaction's locktime and input sequence. It fails with
// ErrNotCommitment if either lacks its marker byte.
func CommitmentNumber(lockTime, sequence uint32, obscuringFactor uint64) (uint64, error) {
	if lockTime>>24 != 0x20 || sequence>>24 != 0x80 {
		return 0, fmt.Errorf("locktime %#08x, sequence %#08x: %w", lockTime, sequence, ErrNotCommitment)
	}
	obscured := uint64(sequence&low24)<<24 | uint64(lockTime&low24)
	return (obscured ^ obscuringFactor) & MaxCommitmentNumber, nil
}

// CommitmentNumberFromTx recovers the commitment number of a commitment
// transaction, as a breach watcher does to find which per-commitment secret
// a transaction it sees on chain was revoked with. The transaction must
// have exactly one input.
func CommitmentNumberFromTx(tx *btcwire.MsgTx, obscuringFactor uint64) (uint64, error) {
	if tx == nil || len(tx.TxIn) != 1 {
		return 0, fmt.Errorf("commitment must have exactly one input: %w", ErrNotCommitment)
	}
	return CommitmentNumber(tx.LockTime, tx.TxIn[0].Sequence, obscuringFactor)
}
