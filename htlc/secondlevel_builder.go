package htlc

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
)

// SecondLevelBuilder builds the HTLC-timeout and HTLC-success transactions
// of one commitment transaction, as NewSecondLevelTx does, for callers
// that build them all at once. It computes the output script they share
// and both fees once, and takes the transactions' memory from a few arrays
// sized for the expected count instead of allocating each part of each
// transaction.
//
// The transactions share their output script's bytes: treat them as
// read-only (MsgTx.Copy gives an independent copy). A builder is not safe
// for concurrent use.
type SecondLevelBuilder struct {
	p          SecondLevelParams
	pkScript   []byte
	timeoutFee btcutil.Amount
	successFee btcutil.Amount

	// Storage not yet handed out.
	txs     []btcwire.MsgTx
	ins     []btcwire.TxIn
	outs    []btcwire.TxOut
	inPtrs  []*btcwire.TxIn
	outPtrs []*btcwire.TxOut
}

// NewSecondLevelBuilder returns a builder for the transactions of the
// commitment described by p, with memory for n of them (more can be
// built, at an allocation each).
func NewSecondLevelBuilder(p *SecondLevelParams, n int) (*SecondLevelBuilder, error) {
	ws, err := p.OutputScript()
	if err != nil {
		return nil, err
	}
	b := &SecondLevelBuilder{
		p:          *p,
		pkScript:   script.P2WSH(ws),
		timeoutFee: script.HTLCTimeoutFee(p.ChannelType, p.FeeRate),
		successFee: script.HTLCSuccessFee(p.ChannelType, p.FeeRate),
	}
	b.reserve(max(n, 0))
	return b, nil
}

func (b *SecondLevelBuilder) reserve(n int) {
	b.txs = make([]btcwire.MsgTx, n)
	b.ins = make([]btcwire.TxIn, n)
	b.outs = make([]btcwire.TxOut, n)
	b.inPtrs = make([]*btcwire.TxIn, n)
	b.outPtrs = make([]*btcwire.TxOut, n)
}

// Build returns the HTLC-timeout transaction of an offered HTLC, or the
// HTLC-success transaction of a received one, spending output outputIndex
// of the commitment transaction: the same transaction as
// NewSecondLevelTx(p, h, outputIndex), with the same errors.
func (b *SecondLevelBuilder) Build(h *HTLC, outputIndex uint32) (*btcwire.MsgTx, error) {
	var lockTime uint32
	var fee btcutil.Amount
	switch h.Direction {
	case Offered:
		lockTime, fee = h.CLTVExpiry, b.timeoutFee
	case Received:
		fee = b.successFee
	default:
		return nil, fmt.Errorf("%w: unknown direction %v", ErrInvalidParams, h.Direction)
	}
	value := h.Amount.ToSatoshis()
	if value <= fee {
		return nil, fmt.Errorf("%w: HTLC %d of %v pays a fee of %v", ErrBelowFee, h.ID, value, fee)
	}
	if len(b.txs) == 0 {
		b.reserve(1)
	}
	tx, in, out := &b.txs[0], &b.ins[0], &b.outs[0]
	*in = btcwire.TxIn{
		PreviousOutPoint: btcwire.OutPoint{Hash: b.p.CommitTxHash, Index: outputIndex},
		Sequence:         b.p.sequence(),
	}
	*out = btcwire.TxOut{Value: int64(value - fee), PkScript: b.pkScript}
	b.inPtrs[0], b.outPtrs[0] = in, out
	*tx = btcwire.MsgTx{
		Version:  SecondLevelTxVersion,
		TxIn:     b.inPtrs[0:1:1],
		TxOut:    b.outPtrs[0:1:1],
		LockTime: lockTime,
	}
	b.txs, b.ins, b.outs = b.txs[1:], b.ins[1:], b.outs[1:]
	b.inPtrs, b.outPtrs = b.inPtrs[1:], b.outPtrs[1:]
	return tx, nil
}
