package chain_test

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// recorder implements Listener and Confirmer and logs every call into a
// shared journal, so that tests see the order across consumers.
type recorder struct {
	name     string
	journal  *[]string
	fail     error
	relevant []chain.RelevantTx
}

func (r *recorder) log(s string) error {
	*r.journal = append(*r.journal, r.name+":"+s)
	return r.fail
}

func (r *recorder) BlockConnected(_ context.Context, b *chain.Block) error {
	return r.log("connected")
}

func (r *recorder) BlockDisconnected(context.Context, btcwire.BlockHeader, uint32) error {
	return r.log("disconnected")
}

func (r *recorder) TransactionsConfirmed(context.Context, btcwire.BlockHeader, uint32, []chain.IndexedTx) error {
	return r.log("confirmed")
}

func (r *recorder) TransactionUnconfirmed(context.Context, chainhash.Hash) error {
	return r.log("unconfirmed")
}

func (r *recorder) BestBlockUpdated(context.Context, btcwire.BlockHeader, uint32) error {
	return r.log("best")
}

func (r *recorder) RelevantTransactions() []chain.RelevantTx { return r.relevant }

var (
	_ chain.Listener  = chain.Listeners(nil)
	_ chain.Confirmer = chain.Confirmers(nil)
)

func TestListenersOrderAndErrors(t *testing.T) {
	ctx := context.Background()
	var journal []string
	boom := errors.New("disk full")
	a := &recorder{name: "a", journal: &journal, fail: boom}
	b := &recorder{name: "b", journal: &journal}
	ls := chain.Listeners{a, b}

	err := ls.BlockConnected(ctx, &chain.Block{Height: 7})
	require.ErrorIs(t, err, boom, "a's error is reported")
	require.Contains(t, err.Error(), "listener 0: block 7")
	err = ls.BlockDisconnected(ctx, btcwire.BlockHeader{}, 7)
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"a:connected", "b:connected", "a:disconnected", "b:disconnected"}, journal,
		"every listener is called in order even after one fails")

	a.fail = nil
	require.NoError(t, ls.BlockConnected(ctx, &chain.Block{Height: 8}))
}

func TestConfirmersOrderErrorsAndRelevant(t *testing.T) {
	ctx := context.Background()
	var journal []string
	boom := errors.New("offline")
	tx1, tx2, tx3 := chainhash.Hash{1}, chainhash.Hash{2}, chainhash.Hash{3}
	a := &recorder{name: "a", journal: &journal, relevant: []chain.RelevantTx{{Txid: tx1, Height: 5}, {Txid: tx2, Height: 6}}}
	b := &recorder{name: "b", journal: &journal, fail: boom, relevant: []chain.RelevantTx{{Txid: tx2, Height: 99}, {Txid: tx3, Height: 7}}}
	cs := chain.Confirmers{a, b}

	require.ErrorIs(t, cs.TransactionsConfirmed(ctx, btcwire.BlockHeader{}, 5, nil), boom)
	require.ErrorIs(t, cs.TransactionUnconfirmed(ctx, tx1), boom)
	require.ErrorIs(t, cs.BestBlockUpdated(ctx, btcwire.BlockHeader{}, 5), boom)
	require.Equal(t, []string{"a:confirmed", "b:confirmed", "a:unconfirmed", "b:unconfirmed", "a:best", "b:best"}, journal)

	require.Equal(t, []chain.RelevantTx{{Txid: tx1, Height: 5}, {Txid: tx2, Height: 6}, {Txid: tx3, Height: 7}},
		cs.RelevantTransactions(), "union in order, first report of a txid wins")

	b.fail = nil
	require.NoError(t, cs.BestBlockUpdated(ctx, btcwire.BlockHeader{}, 6))
}

func TestClampFeeRate(t *testing.T) {
	for _, c := range []struct{ in, want wire.SatPerKWeight }{
		{0, chain.FeeRateFloor}, {250, 253}, {252, 253}, {253, 253}, {254, 254}, {50_000, 50_000},
	} {
		require.Equal(t, c.want, chain.ClampFeeRate(c.in), "clamp %d", c.in)
	}
	// At the floor, a fee rounded down still pays 1 sat per virtual byte
	// (weight/4 rounded up) for every weight relay policy allows; 250 sat/kw
	// does not.
	for weight := int64(250); weight <= 400_000; weight++ {
		if vsize := (weight + 3) / 4; int64(chain.FeeRateFloor.FeeForWeight(weight)) < vsize {
			t.Fatalf("weight %d: fee %v below %d sat", weight, chain.FeeRateFloor.FeeForWeight(weight), vsize)
		}
	}
	require.Less(t, int64(wire.SatPerKWeight(250).FeeForWeight(401)), int64(101))
}
