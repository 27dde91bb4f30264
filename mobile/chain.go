package mobile

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"github.com/lnkit/lnkit/internal/txcheck"
	"math"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// ChainBackend is implemented by the host to reach the Bitcoin network,
// typically through an Electrum or Esplora server. The node calls it from
// its own goroutines; every method must be safe for concurrent use and
// return in bounded time (queue slow work).
//
// Transactions and scripts are hex, txids are the usual byte-reversed hex
// that block explorers show, and an outpoint is "txid:index".
type ChainBackend interface {
	// Broadcast publishes one transaction. It returns nil if the
	// transaction was accepted or is already known (in the mempool or
	// confirmed). A refusal should start with one of the Broadcast codes
	// (BroadcastDoubleSpend, ...) followed by a colon; a message that
	// carries the server's reject reason (bitcoind's
	// "txn-mempool-conflict", "min relay fee not met", ...) is understood
	// too.
	Broadcast(txHex string) error
	// BroadcastPackage publishes transactions that belong together,
	// parents first: a commitment and the child that pays for it through
	// its anchor (CPFP). A server with package relay
	// (Bitcoin Core's submitpackage) takes them in one request; otherwise
	// broadcast them one by one, in order. Errors as for Broadcast.
	BroadcastPackage(txsHex *StringList) error
	// FeeRate returns the fee rate expected to confirm a transaction
	// within confTarget blocks, in satoshis per 1000 weight units
	// (sat/kw: sat/vB × 250; see SatPerVByteToSatPerKw). Return the best
	// guess when data is thin; an error means no estimate at all.
	FeeRate(confTarget int32) (int64, error)
	// WatchTransaction asks to be told (through Node.BlockConnected)
	// when the transaction txid confirms; scriptHex is the script of one
	// of its outputs, for servers that subscribe by script hash. It must
	// not block, and registrations are permanent: a host that filters the
	// transactions it hands in keeps them across restarts.
	WatchTransaction(txid string, scriptHex string)
	// WatchOutput asks to be told when a transaction spending outpoint
	// ("txid:index") confirms; scriptHex is that output's script. Same
	// rules as WatchTransaction.
	WatchOutput(outpoint string, scriptHex string)
}

// Broadcast codes a ChainBackend starts a refusal's message with ("FEE_TOO_LOW:
// mempool min fee not met"), so that the node can react: bump a fee, wait
// for a lock time, or see that a conflicting transaction won.
const (
	// BroadcastDoubleSpend: an input is already spent by another
	// transaction.
	BroadcastDoubleSpend = "DOUBLE_SPEND"
	// BroadcastMissingInput: an input spends an unknown output (its parent
	// is not known yet).
	BroadcastMissingInput = "MISSING_INPUT"
	// BroadcastFeeTooLow: the fee is below the relay minimum or too low to
	// replace a conflicting transaction.
	BroadcastFeeTooLow = "FEE_TOO_LOW"
	// BroadcastNonFinal: the nLockTime has not been reached.
	BroadcastNonFinal = "NON_FINAL"
	// BroadcastSequenceLock: a relative lock time (BIP 68) or coinbase
	// maturity has not been reached.
	BroadcastSequenceLock = "SEQUENCE_LOCK"
	// BroadcastScript: a script or signature does not verify.
	BroadcastScript = "SCRIPT"
	// BroadcastInvalidTx: the transaction is malformed.
	BroadcastInvalidTx = "INVALID_TX"
)

// SatPerVByteToSatPerKw converts a fee rate in sat/vB, as Esplora and
// Electrum give it, to the sat/kw of ChainBackend.FeeRate, rounding up.
func SatPerVByteToSatPerKw(satPerVByte float64) int64 {
	if !(satPerVByte > 0) {
		return 0
	}
	return int64(math.Ceil(satPerVByte * 250))
}

// StringList is a read-only list of strings.
type StringList struct{ items []string }

// Len returns the number of strings.
func (l *StringList) Len() int { return len(l.items) }

// Get returns the i-th string, or "" when i is out of range.
func (l *StringList) Get(i int) string {
	if i < 0 || i >= len(l.items) {
		return ""
	}
	return l.items[i]
}

// BlockTxs are the transactions of one block that a host hands to
// Node.BlockConnected, each with its position in the block: all of them, or
// only those the node asked to watch (ChainBackend.WatchTransaction and
// WatchOutput).
type BlockTxs struct{ txs []chain.IndexedTx }

// NewBlockTxs returns an empty list.
func NewBlockTxs() *BlockTxs { return &BlockTxs{} }

// Add appends the transaction at position index of the block (the
// coinbase is 0), in hex. Add them in block order.
func (b *BlockTxs) Add(index int32, txHex string) error {
	if index < 0 {
		return newError(CodeInvalidArgument, fmt.Sprintf("transaction index %d", index))
	}
	if n := len(b.txs); n > 0 && b.txs[n-1].Index >= uint32(index) {
		return newError(CodeInvalidArgument, fmt.Sprintf("transaction index %d after %d: add in block order", index, b.txs[n-1].Index))
	}
	tx, err := parseTx(txHex)
	if err != nil {
		return err
	}
	b.txs = append(b.txs, chain.IndexedTx{Index: uint32(index), Tx: tx})
	return nil
}

// Len returns the number of transactions added.
func (b *BlockTxs) Len() int { return len(b.txs) }

// parseTx decodes a transaction in hex.
func parseTx(txHex string) (*btcwire.MsgTx, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(txHex))
	if err != nil {
		return nil, newError(CodeInvalidArgument, "transaction hex: "+err.Error())
	}
	if _, err := txcheck.Tx(raw, true); err != nil {
		return nil, newError(CodeInvalidArgument, "transaction: "+err.Error())
	}
	tx := new(btcwire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, newError(CodeInvalidArgument, "transaction: "+err.Error())
	}
	return tx, nil
}

// txHex serializes a transaction (with witness) to hex.
func txHex(tx *btcwire.MsgTx) string {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	tx.Serialize(&buf)
	return hex.EncodeToString(buf.Bytes())
}

// parseHeader decodes an 80-byte block header in hex.
func parseHeader(headerHex string) (btcwire.BlockHeader, error) {
	var h btcwire.BlockHeader
	raw, err := hex.DecodeString(strings.TrimSpace(headerHex))
	if err != nil {
		return h, newError(CodeInvalidArgument, "header hex: "+err.Error())
	}
	if len(raw) != btcwire.MaxBlockHeaderPayload {
		return h, newError(CodeInvalidArgument, fmt.Sprintf("header of %d bytes, want %d", len(raw), btcwire.MaxBlockHeaderPayload))
	}
	if err := h.Deserialize(bytes.NewReader(raw)); err != nil {
		return h, newError(CodeInvalidArgument, "header: "+err.Error())
	}
	return h, nil
}

// headerHex serializes a block header to hex.
func headerHex(h *btcwire.BlockHeader) string {
	var buf bytes.Buffer
	h.Serialize(&buf)
	return hex.EncodeToString(buf.Bytes())
}

// parseOutPoint parses "txid:index".
func parseOutPoint(s string) (btcwire.OutPoint, error) {
	txid, idx, ok := strings.Cut(s, ":")
	var op btcwire.OutPoint
	if !ok {
		return op, newError(CodeInvalidArgument, fmt.Sprintf("outpoint %q: want txid:index", s))
	}
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil || len(txid) != 64 {
		return op, newError(CodeInvalidArgument, fmt.Sprintf("outpoint %q: bad txid", s))
	}
	var n uint32
	if _, err := fmt.Sscanf(idx, "%d", &n); err != nil || fmt.Sprint(n) != idx {
		return op, newError(CodeInvalidArgument, fmt.Sprintf("outpoint %q: bad index", s))
	}
	return btcwire.OutPoint{Hash: *h, Index: n}, nil
}

// hostBroadcaster adapts a ChainBackend to chain.Broadcaster.
type hostBroadcaster struct{ b ChainBackend }

// Broadcast implements chain.Broadcaster: one transaction through
// Broadcast, a package through BroadcastPackage; refusals map to chain's
// sentinels.
func (h hostBroadcaster) Broadcast(_ context.Context, txs ...*btcwire.MsgTx) error {
	var err error
	switch len(txs) {
	case 0:
		return nil
	case 1:
		err = h.b.Broadcast(txHex(txs[0]))
	default:
		l := &StringList{}
		for _, tx := range txs {
			l.items = append(l.items, txHex(tx))
		}
		err = h.b.BroadcastPackage(l)
	}
	if err == nil {
		return nil
	}
	kind, known := classifyBroadcast(err.Error())
	if known {
		return nil
	}
	if kind != nil {
		err = fmt.Errorf("%w: %s", kind, err.Error())
	}
	return &backendError{op: "broadcast", err: err}
}

// broadcastCodes maps the Broadcast codes to chain's sentinels.
var broadcastCodes = map[string]error{
	BroadcastDoubleSpend:  chain.ErrDoubleSpend,
	BroadcastMissingInput: chain.ErrMissingInput,
	BroadcastFeeTooLow:    chain.ErrFeeTooLow,
	BroadcastNonFinal:     chain.ErrNonFinal,
	BroadcastSequenceLock: chain.ErrSequenceLock,
	BroadcastScript:       chain.ErrScript,
	BroadcastInvalidTx:    chain.ErrInvalidTx,
}

// rejectReasons are bitcoind's reject reasons, which Electrum and Esplora
// servers pass on, with the sentinel each means (nil: already known,
// which counts as success). Order matters: the first match wins.
var rejectReasons = []struct {
	text string
	kind error
}{
	{"txn-already-known", nil},
	{"txn-already-in-mempool", nil},
	{"transaction already in block chain", nil},
	{"transaction outputs already in utxo set", nil},
	{"txn-mempool-conflict", chain.ErrDoubleSpend},
	{"insufficient fee", chain.ErrFeeTooLow},
	{"min relay fee not met", chain.ErrFeeTooLow},
	{"mempool min fee not met", chain.ErrFeeTooLow},
	{"non-bip68-final", chain.ErrSequenceLock},
	{"bad-txns-premature-spend-of-coinbase", chain.ErrSequenceLock},
	{"non-final", chain.ErrNonFinal},
	{"bad-txns-inputs-missingorspent", chain.ErrMissingInput},
	{"missing-inputs", chain.ErrMissingInput},
	{"missing inputs", chain.ErrMissingInput},
	{"script-verify-flag-failed", chain.ErrScript},
	{"bad-txns", chain.ErrInvalidTx},
}

// classifyBroadcast maps a host's refusal message to a chain sentinel, or
// reports that the transaction was already known.
func classifyBroadcast(msg string) (kind error, alreadyKnown bool) {
	if code, _, ok := strings.Cut(msg, ":"); ok {
		if k, ok := broadcastCodes[strings.TrimSpace(code)]; ok {
			return k, false
		}
	}
	lower := strings.ToLower(msg)
	for _, r := range rejectReasons {
		if strings.Contains(lower, r.text) {
			return r.kind, r.kind == nil
		}
	}
	return nil, false
}

// hostFees adapts a ChainBackend to chain.FeeEstimator.
type hostFees struct{ b ChainBackend }

// EstimateFeeRate implements chain.FeeEstimator.
func (h hostFees) EstimateFeeRate(_ context.Context, confTarget uint32) (wire.SatPerKWeight, error) {
	if confTarget > math.MaxInt32 {
		confTarget = math.MaxInt32
	}
	rate, err := h.b.FeeRate(int32(confTarget))
	if err != nil {
		return 0, &backendError{op: "fee rate", err: err}
	}
	if rate < 0 {
		return 0, &backendError{op: "fee rate", err: fmt.Errorf("negative fee rate %d", rate)}
	}
	return clampRate(rate), nil
}

// clampRate converts a non-negative sat/kw rate, capped at what a
// wire.SatPerKWeight holds.
func clampRate(rate int64) wire.SatPerKWeight {
	if rate > math.MaxUint32 {
		rate = math.MaxUint32
	}
	return wire.SatPerKWeight(rate)
}

// hostFilter adapts a ChainBackend to chain.Filter.
type hostFilter struct{ b ChainBackend }

// RegisterTx implements chain.Filter through WatchTransaction.
func (h hostFilter) RegisterTx(txid chainhash.Hash, pkScript []byte) {
	h.b.WatchTransaction(txid.String(), hex.EncodeToString(pkScript))
}

// RegisterOutput implements chain.Filter through WatchOutput.
func (h hostFilter) RegisterOutput(out chain.WatchedOutput) {
	h.b.WatchOutput(out.OutPoint.String(), hex.EncodeToString(out.PkScript))
}

// Node.BlockConnected and friends: the host's block feed.

// BlockConnected hands the node a block that became the new tip: its
// 80-byte header in hex, its height, and its transactions (all of them,
// or only those matching what the node asked to watch; nil for none).
// Blocks come in height order without gaps; after a restart, resume
// above Info().Height. A block the node has already seen is a no-op.
func (n *Node) BlockConnected(headerHex string, height int32, txs *BlockTxs, timeoutMs int64) error {
	h, err := parseHeader(headerHex)
	if err != nil {
		return err
	}
	if height < 0 {
		return newError(CodeInvalidArgument, fmt.Sprintf("height %d", height))
	}
	b := &chain.Block{Header: h, Height: uint32(height)}
	if txs != nil {
		b.Txs = txs.txs
	}
	return n.blockConnected(b, timeoutMs)
}

// BlockConnectedRaw hands the node a whole serialized block in hex
// (header and every transaction), as a full node or Esplora's
// /block/:hash/raw gives it.
func (n *Node) BlockConnectedRaw(blockHex string, height int32, timeoutMs int64) error {
	raw, err := hex.DecodeString(strings.TrimSpace(blockHex))
	if err != nil {
		return newError(CodeInvalidArgument, "block hex: "+err.Error())
	}
	if err := txcheck.Block(raw); err != nil {
		return newError(CodeInvalidArgument, "block: "+err.Error())
	}
	var blk btcwire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
		return newError(CodeInvalidArgument, "block: "+err.Error())
	}
	if height < 0 {
		return newError(CodeInvalidArgument, fmt.Sprintf("height %d", height))
	}
	b := &chain.Block{Header: blk.Header, Height: uint32(height)}
	for i, tx := range blk.Transactions {
		b.Txs = append(b.Txs, chain.IndexedTx{Index: uint32(i), Tx: tx})
	}
	return n.blockConnected(b, timeoutMs)
}

func (n *Node) blockConnected(b *chain.Block, timeoutMs int64) error {
	nd, err := n.running()
	if err != nil {
		return err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.BlockConnected(ctx, b))
}

// BlockDisconnected reports that the tip at height, with this header,
// left the best chain (a reorganisation): call it for each block that
// leaves, the tip first, before connecting the new branch.
func (n *Node) BlockDisconnected(headerHex string, height int32, timeoutMs int64) error {
	h, err := parseHeader(headerHex)
	if err != nil {
		return err
	}
	if height < 0 {
		return newError(CodeInvalidArgument, fmt.Sprintf("height %d", height))
	}
	nd, err := n.running()
	if err != nil {
		return err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.BlockDisconnected(ctx, h, uint32(height)))
}
