package chainsim_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

var ctx = context.Background()

// anyoneScript is a witness script anyone can satisfy: OP_TRUE.
var anyoneScript = []byte{txscript.OP_TRUE}

// anyonePkScript is its P2WSH output script.
var anyonePkScript = script.P2WSH(anyoneScript)

// faucetAnyone creates confirmed anyone-can-spend outputs of the given
// values, for tests that build transactions by hand with exact fees.
func faucetAnyone(t *testing.T, c *chainsim.Chain, values ...btcutil.Amount) []btcwire.OutPoint {
	t.Helper()
	outs := make([]*btcwire.TxOut, len(values))
	for i, v := range values {
		outs[i] = btcwire.NewTxOut(int64(v), anyonePkScript)
	}
	tx, err := c.Faucet(ctx, outs...)
	require.NoError(t, err)
	ops := make([]btcwire.OutPoint, len(values))
	for i := range values {
		ops[i] = btcwire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}
	}
	return ops
}

// spendAnyone returns a version 2 transaction spending the anyone-can-spend
// outputs ins (each worth its value in vals) into outputs of values outs,
// also anyone-can-spend.
func spendAnyone(ins []btcwire.OutPoint, outs ...btcutil.Amount) *btcwire.MsgTx {
	tx := btcwire.NewMsgTx(2)
	for i := range ins {
		in := btcwire.NewTxIn(&ins[i], nil, btcwire.TxWitness{anyoneScript})
		in.Sequence = btcwire.MaxTxInSequenceNum - 2
		tx.AddTxIn(in)
	}
	for _, v := range outs {
		tx.AddTxOut(btcwire.NewTxOut(int64(v), anyonePkScript))
	}
	return tx
}

func op(tx *btcwire.MsgTx, i uint32) btcwire.OutPoint {
	return btcwire.OutPoint{Hash: tx.TxHash(), Index: i}
}

// feeFor returns the fee that pays rate on tx's weight.
func feeFor(tx *btcwire.MsgTx, rate wire.SatPerKWeight) btcutil.Amount {
	return rate.FeeForWeight(weight(tx))
}

func weight(tx *btcwire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
}

// pay has w fund, sign and return a transaction paying outs at rate.
func pay(t *testing.T, w *chainsim.Wallet, rate wire.SatPerKWeight, outs ...*btcwire.TxOut) (*btcwire.MsgTx, *chain.Funded) {
	t.Helper()
	f, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: outs, FeeRate: rate})
	require.NoError(t, err)
	require.NoError(t, w.SignPsbt(ctx, f.Packet))
	tx, err := psbt.Extract(f.Packet)
	require.NoError(t, err)
	return tx, f
}

// requireReject checks that err is a *RejectError for rule about txid.
func requireReject(t *testing.T, err error, rule error, txid chainhash.Hash) *chainsim.RejectError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, rule, "got %v", err)
	var rej *chainsim.RejectError
	require.True(t, errors.As(err, &rej), "not a RejectError: %v", err)
	require.Equal(t, txid, rej.Txid, "rejected transaction")
	return rej
}

// journal records consumer calls in order, safely across goroutines.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

// listener records blocks; onConnect, if set, runs inside BlockConnected.
type listener struct {
	j         *journal
	name      string
	blocks    []*chain.Block
	onConnect func(b *chain.Block) error
}

func (l *listener) BlockConnected(_ context.Context, b *chain.Block) error {
	l.blocks = append(l.blocks, b)
	l.j.add(l.name + " connect " + itoa(b.Height))
	if l.onConnect != nil {
		return l.onConnect(b)
	}
	return nil
}

func (l *listener) BlockDisconnected(_ context.Context, h btcwire.BlockHeader, height uint32) error {
	l.j.add(l.name + " disconnect " + itoa(height))
	return nil
}

// confirmer tracks what it was told, as a consumer would.
type confirmer struct {
	j         *journal
	name      string
	confirmed map[chainhash.Hash]chain.RelevantTx
	best      uint32
	onConfirm func(tx chain.IndexedTx)
}

func newConfirmer(j *journal, name string) *confirmer {
	return &confirmer{j: j, name: name, confirmed: make(map[chainhash.Hash]chain.RelevantTx)}
}

func (c *confirmer) TransactionsConfirmed(_ context.Context, h btcwire.BlockHeader, height uint32, txs []chain.IndexedTx) error {
	for _, tx := range txs {
		txid := tx.Tx.TxHash()
		c.confirmed[txid] = chain.RelevantTx{Txid: txid, Height: height, BlockHash: h.BlockHash()}
		c.j.add(c.name + " confirmed " + txid.String()[:8] + " at " + itoa(height) + "#" + itoa(tx.Index))
		if c.onConfirm != nil {
			c.onConfirm(tx)
		}
	}
	return nil
}

func (c *confirmer) TransactionUnconfirmed(_ context.Context, txid chainhash.Hash) error {
	delete(c.confirmed, txid)
	c.j.add(c.name + " unconfirmed " + txid.String()[:8])
	return nil
}

func (c *confirmer) BestBlockUpdated(_ context.Context, h btcwire.BlockHeader, height uint32) error {
	c.best = height
	c.j.add(c.name + " best " + itoa(height))
	return nil
}

func (c *confirmer) RelevantTransactions() []chain.RelevantTx {
	var out []chain.RelevantTx
	for _, r := range c.confirmed {
		out = append(out, r)
	}
	return out
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
