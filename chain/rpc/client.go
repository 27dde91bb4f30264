package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// Backend is the kind of node a Client talks to.
type Backend int

const (
	// Btcd is btcd, which answers getinfo and estimates fees with
	// estimatefee.
	Btcd Backend = iota + 1
	// Bitcoind is Bitcoin Core, which has no getinfo and estimates fees
	// with estimatesmartfee.
	Bitcoind
)

// String returns "btcd" or "bitcoind".
func (b Backend) String() string {
	switch b {
	case Btcd:
		return "btcd"
	case Bitcoind:
		return "bitcoind"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// DefaultFallbackFeeRate is the rate EstimateFeeRate returns when the node
// has no estimate (a fresh regtest chain, or a node that has not yet seen
// enough blocks): 12500 sat/kw (50 sat/vbyte), lnd's static default.
const DefaultFallbackFeeRate wire.SatPerKWeight = 12500

// Config says how to reach the node.
type Config struct {
	// Host is the RPC server's host:port.
	Host string
	// User and Pass are the RPC credentials.
	User, Pass string
	// CookiePath, if set, is bitcoind's .cookie file, read for the
	// credentials instead of User and Pass.
	CookiePath string
	// Certificates is the PEM of the server's TLS certificate (btcd's
	// rpc.cert). Ignored when DisableTLS is set.
	Certificates []byte
	// DisableTLS selects plain HTTP, as bitcoind serves, or btcd with
	// --notls.
	DisableTLS bool
	// Backend, if not zero, skips detecting the node kind.
	Backend Backend
	// FallbackFeeRate is what EstimateFeeRate returns when the node has no
	// estimate; zero means DefaultFallbackFeeRate.
	FallbackFeeRate wire.SatPerKWeight
}

// Client talks JSON-RPC (HTTP POST) to a btcd or bitcoind node through
// btcd's rpcclient. It implements chain.Broadcaster and chain.FeeEstimator,
// and is the block source of a Poller. It is safe for concurrent use.
//
// Every call takes a context: rpcclient's own calls do not, so a Client
// sends the request and waits for its answer or for ctx, whichever comes
// first. A request abandoned that way still runs to completion on the
// node (a broadcast may still be accepted).
type Client struct {
	rpc      *rpcclient.Client
	backend  Backend
	fallback wire.SatPerKWeight
	// blockTxs caches the txids of recently looked-up blocks (see
	// UnspentOutput).
	blockTxs blockTxCache
}

var (
	_ chain.Broadcaster  = (*Client)(nil)
	_ chain.FeeEstimator = (*Client)(nil)
	_ chain.UTXOSource   = (*Client)(nil)
)

// Dial creates a Client and, unless cfg.Backend is set, detects the node
// kind (getinfo answers on btcd only; bitcoind must then answer
// getnetworkinfo). ctx bounds the detection.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	rc, err := rpcclient.New(&rpcclient.ConnConfig{
		Host:         cfg.Host,
		User:         cfg.User,
		Pass:         cfg.Pass,
		CookiePath:   cfg.CookiePath,
		Certificates: cfg.Certificates,
		DisableTLS:   cfg.DisableTLS,
		HTTPPostMode: true,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("chain/rpc: dial %s: %w", cfg.Host, err)
	}
	c := &Client{rpc: rc, backend: cfg.Backend, fallback: cfg.FallbackFeeRate}
	if c.fallback == 0 {
		c.fallback = DefaultFallbackFeeRate
	}
	if c.backend == 0 {
		if c.backend, err = c.detect(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *Client) detect(ctx context.Context) (Backend, error) {
	_, err := c.call(ctx, btcjson.NewGetInfoCmd())
	var rerr *btcjson.RPCError
	switch {
	case err == nil:
		return Btcd, nil
	case errors.As(err, &rerr) && rerr.Code == btcjson.ErrRPCMethodNotFound.Code:
		if _, err := c.call(ctx, btcjson.NewGetNetworkInfoCmd()); err != nil {
			return 0, fmt.Errorf("chain/rpc: detect backend: %w", err)
		}
		return Bitcoind, nil
	default:
		return 0, fmt.Errorf("chain/rpc: detect backend: %w", err)
	}
}

// Backend returns the kind of node the Client talks to.
func (c *Client) Backend() Backend { return c.backend }

// Close shuts the client down: calls in progress fail.
func (c *Client) Close() {
	c.rpc.Shutdown()
	c.rpc.WaitForShutdown()
}

// call sends cmd and waits for its result or for ctx. Errors from the node
// are *btcjson.RPCError (test with errors.As).
func (c *Client) call(ctx context.Context, cmd any) (json.RawMessage, error) {
	method, _ := btcjson.CmdMethod(cmd)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chain/rpc: %s: %w", method, err)
	}
	f := c.rpc.SendCmd(cmd)
	select {
	case <-ctx.Done():
		// f is buffered: the answer, when it comes, is dropped.
		return nil, fmt.Errorf("chain/rpc: %s: %w", method, ctx.Err())
	case r := <-f:
		ch := make(chan *rpcclient.Response, 1)
		ch <- r
		res, err := rpcclient.ReceiveFuture(ch)
		if err != nil {
			return nil, fmt.Errorf("chain/rpc: %s: %w", method, err)
		}
		return res, nil
	}
}

// callInto calls cmd and decodes its result into out.
func (c *Client) callInto(ctx context.Context, cmd any, out any) error {
	res, err := c.call(ctx, cmd)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		method, _ := btcjson.CmdMethod(cmd)
		return fmt.Errorf("chain/rpc: %s: decode result: %w", method, err)
	}
	return nil
}

// BestBlockHash returns the hash of the node's best block.
func (c *Client) BestBlockHash(ctx context.Context) (chainhash.Hash, error) {
	var s string
	if err := c.callInto(ctx, btcjson.NewGetBestBlockHashCmd(), &s); err != nil {
		return chainhash.Hash{}, err
	}
	return parseHash("getbestblockhash", s)
}

// BlockCount returns the height of the node's best block.
func (c *Client) BlockCount(ctx context.Context) (uint32, error) {
	var n int64
	if err := c.callInto(ctx, btcjson.NewGetBlockCountCmd(), &n); err != nil {
		return 0, err
	}
	if n < 0 || n > 1<<31 {
		return 0, fmt.Errorf("chain/rpc: getblockcount: height %d out of range", n)
	}
	return uint32(n), nil
}

// BlockHash returns the hash of the best chain's block at height. A
// height above the tip gives an error wrapping ErrHeightOutOfRange.
func (c *Client) BlockHash(ctx context.Context, height uint32) (chainhash.Hash, error) {
	var s string
	err := c.callInto(ctx, btcjson.NewGetBlockHashCmd(int64(height)), &s)
	var rerr *btcjson.RPCError
	if errors.As(err, &rerr) && (rerr.Code == btcjson.ErrRPCOutOfRange || rerr.Code == btcjson.ErrRPCInvalidParameter) {
		return chainhash.Hash{}, fmt.Errorf("%w: height %d: %w", ErrHeightOutOfRange, height, err)
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	return parseHash("getblockhash", s)
}

// Block returns the block with the given hash, which need not be in the
// best chain. Its hash is checked against the one asked for.
func (c *Client) Block(ctx context.Context, hash chainhash.Hash) (*btcwire.MsgBlock, error) {
	verbosity := 0
	var s string
	if err := c.callInto(ctx, btcjson.NewGetBlockCmd(hash.String(), &verbosity), &s); err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("chain/rpc: getblock %s: %w", hash, err)
	}
	var b btcwire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("chain/rpc: getblock %s: %w", hash, err)
	}
	if got := b.BlockHash(); got != hash {
		return nil, fmt.Errorf("chain/rpc: getblock %s: node returned block %s", hash, got)
	}
	return &b, nil
}

// BlockHeader returns the header of the block with the given hash, which
// need not be in the best chain.
func (c *Client) BlockHeader(ctx context.Context, hash chainhash.Hash) (btcwire.BlockHeader, error) {
	verbose := false
	var s string
	var h btcwire.BlockHeader
	if err := c.callInto(ctx, btcjson.NewGetBlockHeaderCmd(hash.String(), &verbose), &s); err != nil {
		return h, err
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("chain/rpc: getblockheader %s: %w", hash, err)
	}
	if err := h.Deserialize(bytes.NewReader(raw)); err != nil {
		return h, fmt.Errorf("chain/rpc: getblockheader %s: %w", hash, err)
	}
	if got := h.BlockHash(); got != hash {
		return h, fmt.Errorf("chain/rpc: getblockheader %s: node returned header %s", hash, got)
	}
	return h, nil
}

func parseHash(method, s string) (chainhash.Hash, error) {
	h, err := chainhash.NewHashFromStr(strings.TrimSpace(s))
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("chain/rpc: %s: %w", method, err)
	}
	return *h, nil
}
