package mobile

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
)

// SimulatedChain is an in-memory regtest chain (package chain/chainsim:
// every transaction checked by txscript, blocks mined on request) that
// implements ChainBackend, for demos and tests of an app without a
// network. Nodes on it use Network "regtest".
//
// It plays the host's part end to end through the same bound API an app
// uses: transactions reach it as hex, PSBTs as base64, and Attach feeds a
// Node every block through Node.BlockConnected. By default it hands in
// whole blocks; SetFilteredBlocks(true) hands in only the transactions
// the nodes asked to watch, as an Electrum or Esplora host does.
type SimulatedChain struct {
	sim *chainsim.Chain

	mu       sync.Mutex
	filtered bool
	txids    map[chainhash.Hash]bool
	scripts  map[string]bool
	outs     map[btcwire.OutPoint]bool
}

var _ ChainBackend = (*SimulatedChain)(nil)

// NewSimulatedChain returns a chain whose tip is at height 500.
func NewSimulatedChain() *SimulatedChain {
	return &SimulatedChain{
		sim:   chainsim.New(chainsim.WithStartHeight(500)),
		txids: map[chainhash.Hash]bool{}, scripts: map[string]bool{}, outs: map[btcwire.OutPoint]bool{},
	}
}

// SetFilteredBlocks chooses between handing attached nodes whole blocks
// (false, the default) and only the transactions they watch (true).
func (c *SimulatedChain) SetFilteredBlocks(filtered bool) {
	c.mu.Lock()
	c.filtered = filtered
	c.mu.Unlock()
}

// simError gives a chainsim refusal the code a host would put first.
func simError(err error) error {
	for code, sentinel := range broadcastCodes {
		if errors.Is(err, sentinel) {
			return newError(code, err.Error())
		}
	}
	return wrapCode(CodeFailed, err)
}

// Broadcast implements ChainBackend: the transaction enters the mempool.
func (c *SimulatedChain) Broadcast(txHex string) error {
	tx, err := parseTx(txHex)
	if err != nil {
		return err
	}
	if err := c.sim.Broadcast(context.Background(), tx); err != nil {
		return simError(err)
	}
	return nil
}

// BroadcastPackage implements ChainBackend: the transactions enter the
// mempool together, evaluated as a package.
func (c *SimulatedChain) BroadcastPackage(txsHex *StringList) error {
	if txsHex == nil || txsHex.Len() == 0 {
		return nil
	}
	var txs []*btcwire.MsgTx
	for _, s := range txsHex.items {
		tx, err := parseTx(s)
		if err != nil {
			return err
		}
		txs = append(txs, tx)
	}
	if err := c.sim.Broadcast(context.Background(), txs...); err != nil {
		return simError(err)
	}
	return nil
}

// FeeRate implements ChainBackend with the chain's fee rate (default
// chainsim.DefaultFeeRate; see SetFeeRate).
func (c *SimulatedChain) FeeRate(confTarget int32) (int64, error) {
	if confTarget < 1 {
		confTarget = 1
	}
	r, err := c.sim.EstimateFeeRate(context.Background(), uint32(confTarget))
	if err != nil {
		return 0, err
	}
	return int64(r), nil
}

// SetFeeRate sets the fee rate FeeRate answers for every target, in
// sat/kw.
func (c *SimulatedChain) SetFeeRate(satPerKw int64) {
	c.sim.SetFeeRate(clampRate(satPerKw))
}

// WatchTransaction implements ChainBackend: with filtered blocks, the
// transaction and every transaction paying scriptHex are handed in.
func (c *SimulatedChain) WatchTransaction(txid string, scriptHex string) {
	h, err := chainhash.NewHashFromStr(txid)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.txids[*h] = true
	}
	if pk, err := hex.DecodeString(scriptHex); err == nil && len(pk) > 0 {
		c.scripts[string(pk)] = true
	}
}

// WatchOutput implements ChainBackend: with filtered blocks, a
// transaction spending outpoint is handed in.
func (c *SimulatedChain) WatchOutput(outpoint string, scriptHex string) {
	op, err := parseOutPoint(outpoint)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.outs[op] = true
	c.mu.Unlock()
}

// matches reports whether a watch registration covers tx.
func (c *SimulatedChain) matches(tx *btcwire.MsgTx) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.txids[tx.TxHash()] {
		return true
	}
	for _, o := range tx.TxOut {
		if c.scripts[string(o.PkScript)] {
			return true
		}
	}
	for _, in := range tx.TxIn {
		if c.outs[in.PreviousOutPoint] {
			return true
		}
	}
	return false
}

// Attach feeds n, a started node, the chain's tip now and every block
// from now on, through n.BlockConnected and n.BlockDisconnected. A node
// that stops is skipped; attach its successor after starting it.
func (c *SimulatedChain) Attach(n *Node) error {
	if n == nil {
		return newError(CodeInvalidArgument, "no node")
	}
	header, height := c.sim.Tip()
	if err := n.BlockConnected(headerHex(&header), int32(height), nil, 0); err != nil {
		return err
	}
	c.sim.AddListener(&simFeed{c: c, n: n})
	return nil
}

// simFeed hands a chainsim block to a mobile Node as a host would.
type simFeed struct {
	c *SimulatedChain
	n *Node
}

// BlockConnected implements chain.Listener: the block goes to the node
// as hex, filtered when the chain is set to.
func (f *simFeed) BlockConnected(_ context.Context, b *chain.Block) error {
	f.c.mu.Lock()
	filtered := f.c.filtered
	f.c.mu.Unlock()
	txs := NewBlockTxs()
	for _, itx := range b.Txs {
		if filtered && !f.c.matches(itx.Tx) {
			continue
		}
		if err := txs.Add(int32(itx.Index), txHex(itx.Tx)); err != nil {
			return err
		}
	}
	return skipStopped(f.n.BlockConnected(headerHex(&b.Header), int32(b.Height), txs, 0))
}

// BlockDisconnected implements chain.Listener.
func (f *simFeed) BlockDisconnected(_ context.Context, header btcwire.BlockHeader, height uint32) error {
	return skipStopped(f.n.BlockDisconnected(headerHex(&header), int32(height), 0))
}

// skipStopped lets a stopped node miss blocks without failing the chain.
func skipStopped(err error) error {
	var e *CodedError
	if errors.As(err, &e) && e.Code == CodeNotRunning {
		return nil
	}
	return err
}

// Mine mines blocks from the mempool and hands them to the attached nodes.
func (c *SimulatedChain) Mine(blocks int32) error {
	if blocks < 1 {
		return newError(CodeInvalidArgument, fmt.Sprintf("%d blocks", blocks))
	}
	if _, err := c.sim.Mine(context.Background(), int(blocks)); err != nil {
		return wrapCode(CodeFailed, err)
	}
	return nil
}

// Height returns the tip's height.
func (c *SimulatedChain) Height() int32 { return int32(c.sim.Height()) }

// Confirmations returns how many confirmations the transaction txid has
// (0 in the mempool or unknown).
func (c *SimulatedChain) Confirmations(txid string) int32 {
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		return 0
	}
	return int32(c.sim.Confirmations(*h))
}

// MempoolSize returns the number of transactions waiting in the mempool.
func (c *SimulatedChain) MempoolSize() int { return len(c.sim.Mempool()) }

// NewWallet returns an empty on-chain wallet on the chain.
func (c *SimulatedChain) NewWallet() *SimulatedWallet {
	return &SimulatedWallet{w: c.sim.NewWallet()}
}

// SimulatedWallet is a P2WPKH wallet on a SimulatedChain that implements
// Wallet, speaking base64 PSBTs as a host wallet does.
type SimulatedWallet struct{ w *chainsim.Wallet }

var _ Wallet = (*SimulatedWallet)(nil)

// errNoWallet returns the error of a SimulatedWallet not made by
// SimulatedChain.NewWallet (a zero value, as a bound language's default
// constructor makes).
func errNoWallet() error {
	return newError(CodeInvalidArgument, "not a wallet from SimulatedChain.NewWallet")
}

// Fund mines a block that pays the wallet amountSat (from the chain's
// faucet).
func (w *SimulatedWallet) Fund(amountSat int64) error {
	if w.w == nil {
		return errNoWallet()
	}
	if amountSat <= 0 {
		return newError(CodeInvalidArgument, "amount must be positive")
	}
	if _, err := w.w.Fund(context.Background(), btcutil.Amount(amountSat)); err != nil {
		return wrapCode(CodeFailed, err)
	}
	return nil
}

// BalanceSat returns the wallet's confirmed balance.
func (w *SimulatedWallet) BalanceSat() int64 {
	if w.w == nil {
		return 0
	}
	return int64(w.w.Balance())
}

// FundPsbt implements Wallet.
func (w *SimulatedWallet) FundPsbt(req *FundRequest) (*FundedPsbt, error) {
	if w.w == nil {
		return nil, errNoWallet()
	}
	if req == nil {
		return nil, newError(CodeInvalidArgument, "no request")
	}
	creq, err := req.chainRequest()
	if err != nil {
		return nil, err
	}
	funded, err := w.w.FundPsbt(context.Background(), creq)
	if err != nil {
		if errors.Is(err, chain.ErrInsufficientFunds) {
			return nil, newError(CodeInsufficientFunds, err.Error())
		}
		return nil, wrapCode(CodeFailed, err)
	}
	s, err := funded.Packet.B64Encode()
	if err != nil {
		return nil, wrapCode(CodeFailed, err)
	}
	return &FundedPsbt{Psbt: s, ChangeIndex: int32(funded.ChangeIndex), FeeSat: int64(funded.Fee)}, nil
}

// SignPsbt implements Wallet.
func (w *SimulatedWallet) SignPsbt(psbtBase64 string) (string, error) {
	if w.w == nil {
		return "", errNoWallet()
	}
	p, err := decodePsbt(psbtBase64)
	if err != nil {
		return "", wrapCode(CodeInvalidArgument, err)
	}
	if err := w.w.SignPsbt(context.Background(), p); err != nil {
		return "", wrapCode(CodeFailed, err)
	}
	s, err := p.B64Encode()
	if err != nil {
		return "", wrapCode(CodeFailed, err)
	}
	return s, nil
}

// ReleaseInputs implements Wallet.
func (w *SimulatedWallet) ReleaseInputs(psbtBase64 string) error {
	if w.w == nil {
		return errNoWallet()
	}
	p, err := decodePsbt(psbtBase64)
	if err != nil {
		return wrapCode(CodeInvalidArgument, err)
	}
	if err := w.w.ReleaseInputs(context.Background(), p); err != nil {
		return wrapCode(CodeFailed, err)
	}
	return nil
}

// NewScript implements Wallet.
func (w *SimulatedWallet) NewScript() (string, error) {
	if w.w == nil {
		return "", errNoWallet()
	}
	pk, err := w.w.NewScript(context.Background())
	if err != nil {
		return "", wrapCode(CodeFailed, err)
	}
	return hex.EncodeToString(pk), nil
}
