package chainsim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// ErrBadRequest means a Chain or Wallet method was called with arguments
// it cannot act on (a reorganisation deeper than the chain, a negative
// amount, ...).
var ErrBadRequest = errors.New("chainsim: bad request")

// RejectError says why the chain refused a transaction, in a broadcast
// package or in a block being mined. Err is one of package chain's
// sentinels (chain.ErrMissingInput, chain.ErrDoubleSpend, chain.ErrScript,
// chain.ErrNonFinal, chain.ErrSequenceLock, chain.ErrFeeTooLow,
// chain.ErrInvalidTx), so errors.Is works on a RejectError, and errors.As
// reaches Cause (a txscript.Error for script failures).
type RejectError struct {
	// Txid is the refused transaction.
	Txid chainhash.Hash
	// Index is its position among the transactions passed to the call
	// (Broadcast, MineTx, ...).
	Index int
	// Input is the input the rule failed on, or -1 if the rule concerns
	// the whole transaction.
	Input int
	// Err is the sentinel of the broken rule.
	Err error
	// Reason says what was wrong, with the numbers involved.
	Reason string
	// Conflicts lists the mempool transactions that the transaction would
	// have replaced, when a replacement was refused.
	Conflicts []chainhash.Hash
	// Cause is the underlying error, if any (from txscript).
	Cause error
}

// Error formats the refusal as "chainsim: tx <txid> (#index) input i:
// <reason>".
func (e *RejectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chainsim: tx %s (#%d)", e.Txid, e.Index)
	if e.Input >= 0 {
		fmt.Fprintf(&b, " input %d", e.Input)
	}
	fmt.Fprintf(&b, ": %v: %s", e.Err, e.Reason)
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (e *RejectError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// reject builds a RejectError whose Txid and Index the caller fills in.
func reject(sentinel error, input int, format string, args ...any) *RejectError {
	return &RejectError{Input: input, Err: sentinel, Reason: fmt.Sprintf(format, args...)}
}

func (e *RejectError) at(txid chainhash.Hash, index int) *RejectError {
	e.Txid, e.Index = txid, index
	return e
}
