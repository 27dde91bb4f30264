package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

const (
	rpcUser = "lnkit"
	rpcPass = "lnkit"
)

// btcdBin returns the btcd binary ./run builds: $LNKIT_BTCD, or bin/btcd
// beside this file.
func btcdBin() string {
	if p := os.Getenv("LNKIT_BTCD"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "bin", "btcd")
}

// requireBtcd skips the test when btcd has not been built, and fails it
// under CI (CI=true), where a skipped suite would look like a pass.
func requireBtcd(t *testing.T) {
	t.Helper()
	_, err := os.Stat(btcdBin())
	if err == nil {
		return
	}
	if ci, perr := strconv.ParseBool(os.Getenv("CI")); perr == nil && ci {
		t.Fatalf("btcd is not built and CI=%s requires the node tests: run chain/rpc/run, which builds it and then runs these tests: %v",
			os.Getenv("CI"), err)
	}
	t.Skipf("btcd is not built (run chain/rpc/run): %v", err)
}

var bg = context.Background()

// node is a btcd in regtest mode, started by a test and stopped by PID
// when it ends.
type node struct {
	dir     string
	rpcAddr string
	p2pAddr string
	client  *Client
	cmd     *exec.Cmd
	done    chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBtcd starts btcd with coinbases paid to miningAddr, and a Client
// for it.
func startBtcd(t *testing.T, miningAddr btcutil.Address, extra ...string) *node {
	t.Helper()
	requireBtcd(t)
	dir := t.TempDir()
	n := &node{
		dir:     dir,
		rpcAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		p2pAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		done:    make(chan struct{}),
	}
	cert := filepath.Join(dir, "rpc.cert")
	args := append([]string{
		"--regtest",
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpccert=" + cert, "--rpckey=" + filepath.Join(dir, "rpc.key"),
		"--rpcuser=" + rpcUser, "--rpcpass=" + rpcPass,
		"--rpclisten=" + n.rpcAddr, "--listen=" + n.p2pAddr,
		"--miningaddr=" + miningAddr.EncodeAddress(),
		"--debuglevel=info",
	}, extra...)
	cleanBtcdHome(t)
	logf, err := os.Create(filepath.Join(dir, "btcd.out"))
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(btcdBin(), args...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start btcd: %v", err)
	}
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }()
	t.Cleanup(func() { n.stop(t) })

	// btcd writes its certificate, then serves RPC.
	deadline := time.Now().Add(60 * time.Second)
	for {
		pem, err := os.ReadFile(cert)
		if err == nil && len(pem) > 0 {
			ctx, cancel := context.WithTimeout(bg, 5*time.Second)
			c, err := Dial(ctx, Config{Host: n.rpcAddr, User: rpcUser, Pass: rpcPass, Certificates: pem})
			cancel()
			if err == nil {
				n.client = c
				t.Cleanup(c.Close)
				break
			}
		}
		select {
		case <-n.done:
			t.Fatalf("btcd exited at start-up:\n%s", n.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("btcd RPC not up after 60 s: %v\n%s", err, n.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

func (n *node) logTail() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "btcd.out"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// stop sends SIGTERM to btcd's PID, then SIGKILL after 15 s.
func (n *node) stop(t *testing.T) {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	if t.Failed() {
		t.Logf("--- tail of btcd's output ---\n%s", n.logTail())
	}
}

// cleanBtcdHome removes, when the test ends, the empty ~/.btcd that btcd
// creates at start-up even when every path is given (it finds the home
// directory through the password database, not $HOME). os.Remove deletes
// only an empty directory, and only one this test saw appear.
func cleanBtcdHome(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		return
	}
	home := filepath.Join(u.HomeDir, ".btcd")
	if _, err := os.Stat(home); err == nil {
		return
	}
	t.Cleanup(func() { _ = os.Remove(home) })
}

// generate mines n blocks and returns their hashes.
func (n *node) generate(t *testing.T, count int) []chainhash.Hash {
	t.Helper()
	var hashes []string
	res, err := n.client.call(bg, btcjson.NewGenerateCmd(uint32(count)))
	if err != nil {
		t.Fatalf("generate %d: %v", count, err)
	}
	if err := json.Unmarshal(res, &hashes); err != nil {
		t.Fatal(err)
	}
	out := make([]chainhash.Hash, len(hashes))
	for i, s := range hashes {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = *h
	}
	return out
}

// invalidate marks the best-chain block at height invalid, so that the
// node's tip falls back to its parent.
func (n *node) invalidate(t *testing.T, height uint32) {
	t.Helper()
	hash := n.hashAt(t, height)
	if _, err := n.client.call(bg, btcjson.NewInvalidateBlockCmd(hash.String())); err != nil {
		t.Fatalf("invalidateblock %d: %v", height, err)
	}
	if got := n.height(t); got != height-1 {
		t.Fatalf("tip at %d after invalidating block %d", got, height)
	}
}

func (n *node) height(t *testing.T) uint32 {
	t.Helper()
	h, err := n.client.BlockCount(bg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (n *node) hashAt(t *testing.T, height uint32) chainhash.Hash {
	t.Helper()
	h, err := n.client.BlockHash(bg, height)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// bestChain returns the node's best-chain hashes from height from to its
// tip.
func (n *node) bestChain(t *testing.T, from uint32) map[uint32]chainhash.Hash {
	t.Helper()
	m := map[uint32]chainhash.Hash{}
	for h := from; h <= n.height(t); h++ {
		m[h] = n.hashAt(t, h)
	}
	return m
}

// key is a test key with a P2PKH regtest address: btcd's regtest activates
// segwit only after 432 blocks, and P2PKH coinbases can be spent from
// block 101 on.
type key struct {
	priv   *btcec.PrivateKey
	addr   btcutil.Address
	script []byte
}

func newKey(t *testing.T, seed byte) key {
	t.Helper()
	var k [32]byte
	k[0], k[31] = 1, seed
	priv, pub := btcec.PrivKeyFromBytes(k[:])
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return key{priv, addr, script}
}

// spend builds a transaction spending prev (an output paying from.script
// with the given value) to one output of value-fee paying to.
func spend(t *testing.T, from key, prev btcwire.OutPoint, value, fee btcutil.Amount, to []byte) *btcwire.MsgTx {
	t.Helper()
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(btcwire.NewTxIn(&prev, nil, nil))
	tx.AddTxOut(btcwire.NewTxOut(int64(value-fee), to))
	sig, err := txscript.SignatureScript(tx, 0, from.script, txscript.SigHashAll, from.priv, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].SignatureScript = sig
	return tx
}

// coinbase returns the coinbase output of the best-chain block at height.
func (n *node) coinbase(t *testing.T, height uint32) (btcwire.OutPoint, btcutil.Amount) {
	t.Helper()
	blk, err := n.client.Block(bg, n.hashAt(t, height))
	if err != nil {
		t.Fatal(err)
	}
	cb := blk.Transactions[0]
	return btcwire.OutPoint{Hash: cb.TxHash(), Index: 0}, btcutil.Amount(cb.TxOut[0].Value)
}

// recorder is a chain.Listener that checks the chain rules of the calls
// it gets (heights without gaps, each block on top of the last, a
// disconnect only of the tip) and records them.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	chain  map[uint32]chainhash.Hash // what the listener believes is the best chain
	base   uint32                    // the height it was seeded at
	tip    uint32
	events []string
	blocks map[chainhash.Hash]*chain.Block
	// failAt, if not zero, makes the next BlockConnected at that height
	// fail once.
	failAt uint32
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, chain: map[uint32]chainhash.Hash{}, blocks: map[chainhash.Hash]*chain.Block{}}
}

var errListener = fmt.Errorf("recorder: refusing this block once")

func (r *recorder) BlockConnected(_ context.Context, b *chain.Block) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	hash := b.Header.BlockHash()
	if r.failAt != 0 && b.Height == r.failAt {
		r.failAt = 0
		r.events = append(r.events, fmt.Sprintf("!%d", b.Height))
		return errListener
	}
	if len(r.chain) > 0 {
		if b.Height != r.tip+1 {
			r.t.Errorf("BlockConnected at height %d, tip is %d", b.Height, r.tip)
		}
		if prev, ok := r.chain[b.Height-1]; ok && prev != b.Header.PrevBlock {
			r.t.Errorf("BlockConnected %d (%s) builds on %s, not on the tip %s", b.Height, hash, b.Header.PrevBlock, prev)
		}
	}
	r.chain[b.Height] = hash
	r.tip = b.Height
	r.blocks[hash] = b
	r.events = append(r.events, fmt.Sprintf("+%d", b.Height))
	return nil
}

func (r *recorder) BlockDisconnected(_ context.Context, h btcwire.BlockHeader, height uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if height != r.tip {
		r.t.Errorf("BlockDisconnected at height %d, tip is %d", height, r.tip)
	}
	if got, ok := r.chain[height]; ok && got != h.BlockHash() {
		r.t.Errorf("BlockDisconnected %d (%s), but the tip is %s", height, h.BlockHash(), got)
	}
	delete(r.chain, height)
	r.tip = height - 1
	r.events = append(r.events, fmt.Sprintf("-%d", height))
	return nil
}

// take returns the events since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

func (r *recorder) tipHeight() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tip
}

// seed sets what the listener knows at the poller's starting point.
func (r *recorder) seed(height uint32, hash chainhash.Hash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chain[height] = hash
	r.base, r.tip = height, height
}

// matches checks the listener's chain against the node's, from the height
// the listener was seeded at.
func (r *recorder) matches(t *testing.T, n *node) {
	t.Helper()
	want := n.bestChain(t, r.base)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tip != n.height(t) {
		t.Fatalf("listener tip %d, node tip %d", r.tip, n.height(t))
	}
	for h, hash := range want {
		if r.chain[h] != hash {
			t.Fatalf("listener has %s at height %d, node %s", r.chain[h], h, hash)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
