package chainsim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Block timestamps are not read from a clock: the block at height h has
// timestamp StartTime + h × BlockInterval seconds, so median time past,
// timestamp lock times and BIP 68 time locks are deterministic.
const (
	// StartTime is the Unix time of a block at height 0
	// (2023-11-14 22:13:20 UTC).
	StartTime = 1_700_000_000
	// BlockInterval is the number of seconds between two blocks.
	BlockInterval = 600
)

// DefaultStartHeight is the height of the first block when WithStartHeight
// is not given: high enough that lock times relative to the start never
// need a negative height.
const DefaultStartHeight = 100

// MaxStartHeight is the highest start height New accepts, so that block
// timestamps (StartTime + 600 s per block) fit the header's 32 bits for
// the next million blocks.
const MaxStartHeight = 3_000_000

// DefaultFeeRate is what EstimateFeeRate answers until SetFeeRate is
// called: 2500 sat/kw (10 sat/vbyte).
const DefaultFeeRate wire.SatPerKWeight = 2500

// coin is an unspent confirmed output.
type coin struct {
	out      btcwire.TxOut
	height   uint32
	coinbase bool
}

// txLoc is where a confirmed transaction is.
type txLoc struct {
	height uint32
	index  uint32
}

// Chain is an in-memory Bitcoin chain: a UTXO set, a mempool and a list of
// blocks, which checks every transaction it accepts by the consensus rules
// and a small relay policy, and mines, reorganises and notifies consumers
// only when told to. See the package documentation.
//
// A Chain is safe for concurrent use. Consumers are called with the
// chain's state lock released, so they may broadcast, estimate fees, use a
// Wallet and query the chain from inside a callback; they must not mine,
// reorganise or use the faucet from inside one (those calls wait for the
// delivery in progress and would deadlock).
type Chain struct {
	// opMu serialises the operations that change the chain and notify
	// consumers (Mine, MineEmpty, MineTx, Reorg, Faucet), so that blocks
	// reach consumers in order. It is held while consumers are called.
	opMu sync.Mutex
	// mu guards the state below; it is never held while a consumer runs.
	mu sync.Mutex

	rand     io.Reader
	minRelay wire.SatPerKWeight
	base     uint32 // height of blocks[0]

	blocks   []*blockRec
	coins    map[btcwire.OutPoint]*coin
	byScript map[string]map[btcwire.OutPoint]struct{}
	spends   map[btcwire.OutPoint]chainhash.Hash // confirmed spends
	txs      map[chainhash.Hash]txLoc            // confirmed transactions
	pool     *mempool

	faucetKey    *btcec.PrivateKey
	faucetScript []byte

	feeDefault wire.SatPerKWeight
	feeTargets map[uint32]wire.SatPerKWeight

	consumers  []*consumer
	extraNonce uint64
}

var (
	_ chain.Broadcaster  = (*Chain)(nil)
	_ chain.FeeEstimator = (*Chain)(nil)
)

// Option configures New.
type Option func(*options)

type options struct {
	startHeight uint32
	minRelay    wire.SatPerKWeight
	rand        io.Reader
}

// WithStartHeight sets the height of the chain's first block (default
// DefaultStartHeight, at most MaxStartHeight).
func WithStartHeight(h uint32) Option { return func(o *options) { o.startHeight = h } }

// WithMinRelayFeeRate sets the minimum fee rate the mempool requires of a
// transaction, or of a package, and the increment a replacement must add
// (default chain.FeeRateFloor, 253 sat/kw; 0 turns both off).
func WithMinRelayFeeRate(r wire.SatPerKWeight) Option {
	return func(o *options) { o.minRelay = r }
}

// WithRand sets the source of the keys the chain and its wallets create.
// The default is a ChaCha8 stream with a fixed seed, so two runs of a test
// create the same keys, transactions and blocks.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithSeed is WithRand with a ChaCha8 stream seeded by seed.
func WithSeed(seed [32]byte) Option { return WithRand(rand.NewChaCha8(seed)) }

// faucetCoins is how many outputs the first block's coinbase gives the
// faucet, and faucetCoinValue the value of each: 20 million BTC in all.
const (
	faucetCoins     = 20
	faucetCoinValue = 1_000_000 * btcutil.SatoshiPerBitcoin
)

// New returns a chain holding one block, at the start height, whose
// coinbase gives the faucet its coins. That block stands for all the
// history before it: its coinbase counts as mature and it cannot be
// reorganised away. New panics if the start height is above
// MaxStartHeight, a mistake in the test.
func New(opts ...Option) *Chain {
	o := options{startHeight: DefaultStartHeight, minRelay: chain.FeeRateFloor}
	for _, opt := range opts {
		opt(&o)
	}
	if o.startHeight > MaxStartHeight {
		panic(fmt.Sprintf("chainsim: start height %d above MaxStartHeight", o.startHeight))
	}
	if o.rand == nil {
		o.rand = rand.NewChaCha8([32]byte{})
	}
	c := &Chain{
		rand:       o.rand,
		minRelay:   o.minRelay,
		base:       o.startHeight,
		coins:      make(map[btcwire.OutPoint]*coin),
		byScript:   make(map[string]map[btcwire.OutPoint]struct{}),
		spends:     make(map[btcwire.OutPoint]chainhash.Hash),
		txs:        make(map[chainhash.Hash]txLoc),
		pool:       newMempool(),
		feeDefault: DefaultFeeRate,
		feeTargets: make(map[uint32]wire.SatPerKWeight),
	}
	c.faucetKey = c.newKey()
	c.faucetScript = script.P2WPKH(c.faucetKey.PubKey())
	outs := make([]*btcwire.TxOut, faucetCoins)
	for i := range outs {
		outs[i] = btcwire.NewTxOut(faucetCoinValue, c.faucetScript)
	}
	blk := c.assemble(c.base, chainhash.Hash{}, c.coinbase(c.base, outs), nil)
	c.apply(blk, c.base, true)
	return c
}

// newKey draws a private key from the chain's randomness. The caller
// holds mu, or has the chain to itself (New).
func (c *Chain) newKey() *btcec.PrivateKey {
	var b [32]byte
	for {
		if _, err := io.ReadFull(c.rand, b[:]); err != nil {
			panic("chainsim: randomness source failed: " + err.Error())
		}
		var s btcec.ModNScalar
		if overflow := s.SetBytes(&b); overflow == 0 && !s.IsZero() {
			return btcec.PrivKeyFromScalar(&s)
		}
	}
}

// tip returns the best block; the caller holds mu.
func (c *Chain) tip() *blockRec { return c.blocks[len(c.blocks)-1] }

// height returns the best height; the caller holds mu.
func (c *Chain) height() uint32 { return c.tip().height }

// Height returns the height of the best block.
func (c *Chain) Height() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.height()
}

// Tip returns the header and height of the best block.
func (c *Chain) Tip() (btcwire.BlockHeader, uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tip()
	return t.block.Header, t.height
}

// Block returns a copy of the best chain's block at height.
func (c *Chain) Block(height uint32) (*btcwire.MsgBlock, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if height < c.base || height > c.height() {
		return nil, false
	}
	return copyBlock(c.blocks[height-c.base].block), true
}

// MedianTimePast returns the median time past of the best block, the
// time that timestamp lock times of the next block are compared with.
func (c *Chain) MedianTimePast() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Unix(medianTimePast(c.height()), 0)
}

// Confirmations returns the number of confirmations of txid: 1 or more if
// it is in the best chain, 0 if it is in the mempool, -1 if the chain does
// not know it (never seen, replaced, or reorganised out and dropped).
func (c *Chain) Confirmations(txid chainhash.Hash) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.confirmations(txid)
}

func (c *Chain) confirmations(txid chainhash.Hash) int {
	if loc, ok := c.txs[txid]; ok {
		return int(c.height()-loc.height) + 1
	}
	if _, ok := c.pool.txs[txid]; ok {
		return 0
	}
	return -1
}

// Transaction returns a copy of the transaction txid, from the best chain
// or the mempool, with its confirmations as Confirmations counts them.
func (c *Chain) Transaction(txid chainhash.Hash) (*btcwire.MsgTx, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if loc, ok := c.txs[txid]; ok {
		tx := c.blocks[loc.height-c.base].block.Transactions[loc.index]
		return tx.Copy(), c.confirmations(txid), true
	}
	if p, ok := c.pool.txs[txid]; ok {
		return p.tx.Copy(), 0, true
	}
	return nil, -1, false
}

// SpentBy reports whether op is spent, in the best chain or in the
// mempool, and by which transaction (with its confirmations, 0 for the
// mempool).
func (c *Chain) SpentBy(op btcwire.OutPoint) (txid chainhash.Hash, confirmations int, spent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.spends[op]; ok {
		return s, c.confirmations(s), true
	}
	if s, ok := c.pool.spends[op]; ok {
		return s, 0, true
	}
	return chainhash.Hash{}, -1, false
}

// UTXO returns a copy of the confirmed unspent output op (it may be spent
// in the mempool; see SpentBy).
func (c *Chain) UTXO(op btcwire.OutPoint) (*btcwire.TxOut, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.coins[op]
	if !ok {
		return nil, false
	}
	return copyTxOut(&k.out), true
}

// Mempool returns copies of the mempool's transactions in the order they
// were accepted, which is the order Mine takes them in.
func (c *Chain) Mempool() []*btcwire.MsgTx {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*btcwire.MsgTx
	for _, p := range c.pool.ordered() {
		out = append(out, p.tx.Copy())
	}
	return out
}

// Balance returns the value of the confirmed unspent outputs paying
// pkScript, whether or not a mempool transaction spends them.
func (c *Chain) Balance(pkScript []byte) btcutil.Amount {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum btcutil.Amount
	for op := range c.byScript[string(pkScript)] {
		sum += btcutil.Amount(c.coins[op].out.Value)
	}
	return sum
}

func copyTxOut(o *btcwire.TxOut) *btcwire.TxOut {
	return btcwire.NewTxOut(o.Value, append([]byte(nil), o.PkScript...))
}

func copyBlock(b *btcwire.MsgBlock) *btcwire.MsgBlock {
	out := &btcwire.MsgBlock{Header: b.Header, Transactions: make([]*btcwire.MsgTx, len(b.Transactions))}
	for i, tx := range b.Transactions {
		out.Transactions[i] = tx.Copy()
	}
	return out
}
