package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

// BroadcastError reports the transaction of a Broadcast call that the node
// refused. The transactions before it were accepted (or already known);
// those after it were not sent.
//
// It matches (errors.Is) the chain sentinel the refusal maps to, if any
// (chain.ErrFeeTooLow, chain.ErrMissingInput, ...), the rpcclient error
// that rpcclient.MapRPCErr gives for the node's message (such as
// rpcclient.ErrInsufficientFee or rpcclient.ErrDust), and the node's own
// *btcjson.RPCError (errors.As).
type BroadcastError struct {
	// Index is the refused transaction's position in the call, Count the
	// number of transactions in it.
	Index, Count int
	// Txid is the refused transaction's id.
	Txid chainhash.Hash
	// Kind is the chain sentinel the refusal maps to, or nil.
	Kind error
	// Err is the node's error.
	Err error
}

// Error implements error.
func (e *BroadcastError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chain/rpc: broadcast: tx %d of %d (%s) refused", e.Index+1, e.Count, e.Txid)
	if e.Kind != nil {
		fmt.Fprintf(&b, ": %v", e.Kind)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Count > 1 && e.Index+1 < e.Count {
		fmt.Fprintf(&b, " (%d later tx(s) not sent)", e.Count-e.Index-1)
	}
	return b.String()
}

// Unwrap returns the chain sentinel (if any), rpcclient's mapping of the
// message (if any) and the node's error.
func (e *BroadcastError) Unwrap() []error {
	errs := []error{e.Err}
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if m := rpcclient.MapRPCErr(e.Err); !errors.Is(m, rpcclient.ErrUndefined) {
		errs = append(errs, m)
	}
	return errs
}

// Broadcast implements chain.Broadcaster with sendrawtransaction, one
// transaction after another in the order given, stopping at the first the
// node refuses (a *BroadcastError). A transaction the node already has, in
// its mempool or its chain, counts as accepted.
//
// Neither btcd nor this Client submits packages (bitcoind's
// submitpackage), so a parent that pays less than the node's minimum relay
// fee is refused on its own even when its child would pay for both: on
// btcd the error wraps chain.ErrFeeTooLow, with the node's reason
// ("insufficient priority" for a zero-fee parent of an unconfirmed
// output, "under the required amount" for a low fee), and the child is
// not sent.
//
// Fees are not capped: on bitcoind, maxfeerate is 0.
func (c *Client) Broadcast(ctx context.Context, txs ...*btcwire.MsgTx) error {
	for i, tx := range txs {
		var buf bytes.Buffer
		buf.Grow(tx.SerializeSize())
		if err := tx.Serialize(&buf); err != nil {
			return fmt.Errorf("chain/rpc: broadcast: tx %d of %d: %w", i+1, len(txs), err)
		}
		txHex := hex.EncodeToString(buf.Bytes())
		var cmd any
		if c.backend == Bitcoind {
			cmd = btcjson.NewBitcoindSendRawTransactionCmd(txHex, 0)
		} else {
			allowHighFees := true
			cmd = btcjson.NewSendRawTransactionCmd(txHex, &allowHighFees)
		}
		_, err := c.call(ctx, cmd)
		if err == nil {
			continue
		}
		var rerr *btcjson.RPCError
		if !errors.As(err, &rerr) {
			// Not the node's answer (connection, ctx): whether it took the
			// transaction is unknown.
			return fmt.Errorf("chain/rpc: broadcast: tx %d of %d (%s): %w", i+1, len(txs), tx.TxHash(), err)
		}
		kind, known := classify(rerr)
		if known {
			continue
		}
		return &BroadcastError{Index: i, Count: len(txs), Txid: tx.TxHash(), Kind: kind, Err: rerr}
	}
	return nil
}

// classify maps a node's refusal to a chain sentinel, or reports that the
// transaction is already known (which Broadcast counts as success). It
// uses rpcclient.MapRPCErr's table of btcd and bitcoind messages, after a
// few btcd messages that the table lacks or maps too broadly.
func classify(rerr *btcjson.RPCError) (kind error, alreadyKnown bool) {
	msg := strings.ToLower(rerr.Message)
	switch {
	case rerr.Code == btcjson.ErrRPCTxAlreadyInChain:
		return nil, true
	case strings.Contains(msg, "tried to spend coinbase transaction output"):
		return chain.ErrSequenceLock, false // immature coinbase
	case strings.Contains(msg, "failed to validate input"),
		strings.Contains(msg, "script verify flag"):
		return chain.ErrScript, false
	case strings.Contains(msg, "which is less than the amount spent"):
		return chain.ErrInvalidTx, false
	case strings.Contains(msg, "output already spent in mempool"):
		return chain.ErrDoubleSpend, false
	case strings.Contains(msg, "min relay fee not met"): // bitcoind
		return chain.ErrFeeTooLow, false
	}
	m := rpcclient.MapRPCErr(rerr)
	switch {
	case errors.Is(m, rpcclient.ErrTxAlreadyKnown),
		errors.Is(m, rpcclient.ErrTxAlreadyConfirmed),
		errors.Is(m, rpcclient.ErrTxAlreadyInMempool):
		return nil, true
	case errors.Is(m, rpcclient.ErrInsufficientFee),
		errors.Is(m, rpcclient.ErrMempoolMinFeeNotMet):
		return chain.ErrFeeTooLow, false
	case errors.Is(m, rpcclient.ErrMissingInputs),
		errors.Is(m, rpcclient.ErrMissingInputsOrSpent):
		return chain.ErrMissingInput, false
	case errors.Is(m, rpcclient.ErrMempoolConflict),
		errors.Is(m, rpcclient.ErrConflictingTx):
		return chain.ErrDoubleSpend, false
	case errors.Is(m, rpcclient.ErrNonFinal):
		return chain.ErrNonFinal, false
	case errors.Is(m, rpcclient.ErrNonBIP68Final):
		return chain.ErrSequenceLock, false
	case errors.Is(m, rpcclient.ErrScriptVerifyFlag),
		errors.Is(m, rpcclient.ErrNonMandatoryScriptVerifyFlag),
		errors.Is(m, rpcclient.ErrInvalidOpcode):
		return chain.ErrScript, false
	case errors.Is(m, rpcclient.ErrEmptyOutput),
		errors.Is(m, rpcclient.ErrEmptyInput),
		errors.Is(m, rpcclient.ErrDuplicateInput),
		errors.Is(m, rpcclient.ErrEmptyPrevOut),
		errors.Is(m, rpcclient.ErrBelowOutValue),
		errors.Is(m, rpcclient.ErrNegativeOutput),
		errors.Is(m, rpcclient.ErrLargeOutput),
		errors.Is(m, rpcclient.ErrLargeTotalOutput),
		errors.Is(m, rpcclient.ErrOversizeTx),
		errors.Is(m, rpcclient.ErrCoinbaseTx),
		errors.Is(m, rpcclient.ErrTxTooSmall):
		return chain.ErrInvalidTx, false
	}
	return nil, false
}
