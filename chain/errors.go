package chain

import "errors"

// Sentinel errors that a Broadcaster wraps when it can tell why a
// transaction was refused, and that a Wallet wraps when it cannot fund a
// request. Test for them with errors.Is. A Broadcaster backed by a node
// that only returns text (bitcoind's "bad-txns-inputs-missingorspent",
// "non-final", "min relay fee not met", ...) maps what it recognises onto
// these and returns other failures unwrapped.
//
// They let a consumer choose its reaction: ErrFeeTooLow means bump the fee
// (or attach a child), ErrNonFinal and ErrSequenceLock mean wait for more
// blocks, ErrMissingInput means a parent is not known yet, ErrDoubleSpend
// means a conflicting transaction won, and ErrScript or ErrInvalidTx mean
// the transaction itself is wrong.
var (
	// ErrInvalidTx means the transaction is malformed: no inputs or
	// outputs, an output value out of range, the same input twice, or
	// outputs worth more than its inputs.
	ErrInvalidTx = errors.New("chain: invalid transaction")

	// ErrMissingInput means an input spends an output that the chain and
	// mempool do not know.
	ErrMissingInput = errors.New("chain: input spends an unknown output")

	// ErrDoubleSpend means an input spends an output that a confirmed
	// transaction, or another transaction of the same package or block,
	// already spends.
	ErrDoubleSpend = errors.New("chain: input already spent")

	// ErrScript means an input's witness or signature script does not
	// satisfy the output it spends (bad signature, wrong preimage, a
	// failed OP_CHECKLOCKTIMEVERIFY or OP_CHECKSEQUENCEVERIFY, ...).
	ErrScript = errors.New("chain: script verification failed")

	// ErrNonFinal means the transaction's nLockTime has not been reached
	// (the next block's height, or the median time past for a timestamp
	// lock time).
	ErrNonFinal = errors.New("chain: transaction not final (nLockTime)")

	// ErrSequenceLock means a BIP 68 relative lock time of an input has
	// not expired, or a coinbase output is spent before maturity.
	ErrSequenceLock = errors.New("chain: relative lock time not met (BIP 68)")

	// ErrFeeTooLow means the transaction, alone or with the descendants
	// broadcast with it, pays less than the minimum relay fee rate, or
	// too little to replace the mempool transactions it conflicts with.
	ErrFeeTooLow = errors.New("chain: fee too low")

	// ErrInsufficientFunds means a Wallet holds too little spendable value
	// for the outputs and fee it was asked to fund.
	ErrInsufficientFunds = errors.New("chain: insufficient funds")
)
