package rpc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/store"
)

func txSpending(prev btcwire.OutPoint, script []byte) *btcwire.MsgTx {
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(btcwire.NewTxIn(&prev, nil, nil))
	tx.AddTxOut(btcwire.NewTxOut(1000, script))
	return tx
}

func TestWatchFilterBlock(t *testing.T) {
	f := NewWatchFilter()
	watchedScript := []byte{0x51}
	watchedOut := btcwire.OutPoint{Hash: chainhash.Hash{7}, Index: 1}
	coinbase := txSpending(btcwire.OutPoint{Index: btcwire.MaxPrevOutIndex}, []byte{0x52})
	byScript := txSpending(btcwire.OutPoint{Hash: chainhash.Hash{1}}, watchedScript)
	bySpend := txSpending(watchedOut, []byte{0x53})
	childOfMatch := txSpending(btcwire.OutPoint{Hash: bySpend.TxHash()}, []byte{0x54})
	unrelated := txSpending(btcwire.OutPoint{Hash: chainhash.Hash{2}}, []byte{0x55})
	byTxid := txSpending(btcwire.OutPoint{Hash: chainhash.Hash{3}}, []byte{0x56})
	blk := &btcwire.MsgBlock{Transactions: []*btcwire.MsgTx{coinbase, byScript, unrelated, bySpend, childOfMatch, byTxid}}

	if got := filterBlock(f, blk); len(got) != 0 {
		t.Fatalf("an empty filter lets %d txs through", len(got))
	}
	f.RegisterTx(chainhash.Hash{9}, watchedScript)
	f.RegisterOutput(chain.WatchedOutput{OutPoint: watchedOut})
	f.RegisterTx(byTxid.TxHash(), nil)
	got := filterBlock(f, blk)
	wantIdx := []uint32{1, 3, 4, 5}
	if len(got) != len(wantIdx) {
		t.Fatalf("filter let %d txs through; want %d", len(got), len(wantIdx))
	}
	for i, itx := range got {
		if itx.Index != wantIdx[i] || itx.Tx != blk.Transactions[wantIdx[i]] {
			t.Fatalf("tx %d: index %d; want %d", i, itx.Index, wantIdx[i])
		}
	}
	if f.Match(childOfMatch) {
		t.Fatal("Match applies the same-block rule without a block")
	}
	if all := filterBlock(nil, blk); len(all) != len(blk.Transactions) || all[5].Index != 5 {
		t.Fatalf("no filter: %d txs", len(all))
	}
}

// TestWatchFilterConcurrent registers while blocks are filtered (run with
// -race).
func TestWatchFilterConcurrent(t *testing.T) {
	f := NewWatchFilter()
	blk := &btcwire.MsgBlock{Transactions: []*btcwire.MsgTx{txSpending(btcwire.OutPoint{}, []byte{1})}}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				f.RegisterOutput(chain.WatchedOutput{OutPoint: btcwire.OutPoint{Index: uint32(i*1000 + j)}, PkScript: []byte{byte(j)}})
				filterBlock(f, blk)
			}
		}()
	}
	wg.Wait()
	if len(filterBlock(f, blk)) != 1 {
		t.Fatal("the block's tx pays a registered script and spends a registered output but was filtered out")
	}
}

func TestCursorRoundTrip(t *testing.T) {
	s := store.NewMemory()
	ctx := context.Background()
	if _, _, _, found, err := loadCursor(ctx, s, "p/"); found || err != nil {
		t.Fatalf("empty store: found %v, %v", found, err)
	}
	h := func(n uint32) btcwire.BlockHeader {
		return btcwire.BlockHeader{Version: 2, PrevBlock: chainhash.Hash{byte(n)}, Timestamp: time.Unix(int64(n)*600, 0), Nonce: n}
	}
	for n := uint32(250); n <= 260; n++ { // heights whose big-endian bytes include 0xff and 0x00
		var b store.Batch
		putTip(&b, "p/", n, h(n))
		if n >= 253 {
			b.Delete(headerKey("p/", n-3))
		}
		if err := s.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	tip, header, window, found, err := loadCursor(ctx, s, "p/")
	want := h(260)
	if err != nil || !found || tip.Height != 260 || header != want || tip.Hash != want.BlockHash() {
		t.Fatalf("loaded %v %v, %v, %v", tip, header, found, err)
	}
	if len(window) != 3 || window[258] != h(258) || window[259] != h(259) || window[260] != h(260) {
		t.Fatalf("window %v; want heights 258..260", window)
	}
	// Another prefix is another cursor.
	if _, _, _, found, _ := loadCursor(ctx, s, "q/"); found {
		t.Fatal("a cursor under another prefix was found")
	}
}
