// Package interop runs lnkit against a real lnd on a btcd regtest chain.
//
// The binaries (lnd, lncli, btcd, btcctl) are built from this module's
// go.mod by ./run into bin/. Tests drive lnd through `lncli --json`, which
// needs no generated gRPC or REST client code and shows exactly what an
// operator would see. Every process a test starts is stopped by PID in a
// t.Cleanup, and all state lives in the test's temp directory.
//
// Without the binaries the tests skip, except under CI (CI=true) or with
// LNKIT_INTEROP_REQUIRED set, where they fail and say to run ./run: a CI
// job must not pass by skipping the suite. LNKIT_INTEROP_REQUIRED=0 allows
// the skip under CI.
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

const (
	rpcUser = "lnkit"
	rpcPass = "lnkit"
	// activationHeight is where btcd's regtest has activated csv, segwit
	// and taproot (BIP 9 windows of 144 blocks).
	activationHeight = 432
)

// binDir returns the directory holding the built binaries.
func binDir() string {
	if d := os.Getenv("LNKIT_INTEROP_BIN"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "bin")
}

// interopBinaries are the programs interop/run builds into binDir.
var interopBinaries = []string{"lnd", "lncli", "btcd", "btcctl"}

// interopRequired reports whether missing binaries must fail the tests
// rather than skip them, and why. LNKIT_INTEROP_REQUIRED decides when set:
// a false value ("0", "false") allows the skip, any other non-empty value
// requires the binaries. Otherwise CI decides: CI runners, and .ci/run's
// environment, set CI=true, and a CI run that silently skipped the suite
// would look like a pass.
func interopRequired(getenv func(string) string) (bool, string) {
	if v := getenv("LNKIT_INTEROP_REQUIRED"); v != "" {
		if b, err := strconv.ParseBool(v); err == nil && !b {
			return false, ""
		}
		return true, "LNKIT_INTEROP_REQUIRED=" + v
	}
	if b, err := strconv.ParseBool(getenv("CI")); err == nil && b {
		return true, "CI=" + getenv("CI")
	}
	return false, ""
}

// missingBinary returns an error naming the first binary absent from dir.
func missingBinary(dir string) error {
	for _, b := range interopBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return err
		}
	}
	return nil
}

// requireBinaries stops the test when the binaries have not been built:
// with a failure under CI or LNKIT_INTEROP_REQUIRED (see
// interopRequired), with a skip otherwise.
func requireBinaries(t testing.TB) {
	t.Helper()
	err := missingBinary(binDir())
	if err == nil {
		return
	}
	if required, why := interopRequired(os.Getenv); required {
		t.Fatalf("interop binaries not built, and %s requires them: run interop/run, "+
			"which builds them and then runs these tests: %v", why, err)
		return
	}
	t.Skipf("interop binaries not built (run interop/run): %v", err)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a child started by a test.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// start launches a binary with its output in dir/<name>.log and registers
// its shutdown: SIGTERM, then SIGKILL after 15 s.
func start(t *testing.T, dir, name, bin string, args ...string) *process {
	t.Helper()
	// Appended to, so that a restarted node keeps its earlier log.
	logf, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir(), bin), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop ends the process by PID and, if the test failed, prints its log
// tail.
func (p *process) stop(t *testing.T) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.log.Close()
	if t.Failed() {
		if d := os.Getenv("LNKIT_INTEROP_KEEP_LOGS"); d != "" {
			b, _ := os.ReadFile(p.log.Name())
			_ = os.MkdirAll(d, 0o755)
			_ = os.WriteFile(filepath.Join(d, t.Name()+"-"+p.name+".log"), b, 0o644)
		}
		b, _ := os.ReadFile(p.log.Name())
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		t.Logf("--- tail of %s log ---\n%s", p.name, b)
	}
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Btcd is a btcd node in regtest mode.
type Btcd struct {
	Dir     string
	RPCAddr string
	P2PAddr string
	Cert    string
	proc    *process
}

// StartBtcd starts btcd. miningAddr receives coinbases of `generate`;
// connect, if not empty, is a peer to connect to by P2P.
func StartBtcd(t *testing.T, miningAddr btcutil.Address, connect string) *Btcd {
	t.Helper()
	requireBinaries(t)
	dir := t.TempDir()
	b := &Btcd{
		Dir:     dir,
		RPCAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		P2PAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		Cert:    filepath.Join(dir, "rpc.cert"),
	}
	args := []string{
		"--regtest", "--txindex",
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpccert=" + b.Cert, "--rpckey=" + filepath.Join(dir, "rpc.key"),
		"--rpcuser=" + rpcUser, "--rpcpass=" + rpcPass,
		"--rpclisten=" + b.RPCAddr, "--listen=" + b.P2PAddr,
		"--miningaddr=" + miningAddr.EncodeAddress(),
		"--debuglevel=info",
	}
	if connect != "" {
		args = append(args, "--connect="+connect)
	}
	cleanBtcdHome(t)
	b.proc = start(t, dir, "btcd", "btcd", args...)
	waitFor(t, 30*time.Second, "btcd RPC", func() error {
		_, err := b.ctl("getblockcount")
		return err
	})
	return b
}

// cleanBtcdHome removes, when the test ends, the empty ~/.btcd that btcd
// creates at start-up even when every path is given on its command line.
// btcd finds the home directory through the password database, not $HOME,
// so only removal helps. os.Remove deletes only an empty directory, so a
// user's own btcd data is never touched.
func cleanBtcdHome(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		return
	}
	home := filepath.Join(u.HomeDir, ".btcd")
	if _, err := os.Stat(home); err == nil {
		return // it was there before: not ours to remove
	}
	t.Cleanup(func() { _ = os.Remove(home) })
}

// ctl runs btcctl against the node.
func (b *Btcd) ctl(args ...string) ([]byte, error) {
	base := []string{"--regtest", "--rpcserver=" + b.RPCAddr, "--rpccert=" + b.Cert,
		"--rpcuser=" + rpcUser, "--rpcpass=" + rpcPass}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(), "btcctl"), append(base, args...)...)
	// btcctl writes a default config under $HOME on first use: keep it in
	// the test's directory.
	cmd.Env = append(os.Environ(), "HOME="+b.Dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("btcctl %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// Ctl runs btcctl and fails the test on error.
func (b *Btcd) Ctl(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := b.ctl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Generate mines n blocks.
func (b *Btcd) Generate(t *testing.T, n int) {
	t.Helper()
	for n > 0 {
		k := min(n, 200)
		b.Ctl(t, "generate", strconv.Itoa(k))
		n -= k
	}
}

// Height returns the chain height.
func (b *Btcd) Height(t *testing.T) int {
	t.Helper()
	h, err := strconv.Atoi(strings.TrimSpace(string(b.Ctl(t, "getblockcount"))))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Lnd is an lnd node backed by a Btcd.
type Lnd struct {
	Dir      string
	P2PAddr  string
	RPCAddr  string
	RESTAddr string
	PubKey   string
	proc     *process
	args     []string
}

// StartLnd starts lnd on loopback ports with its state in a temp dir and
// waits until it is synced to the chain.
func StartLnd(t *testing.T, btcd *Btcd, extra ...string) *Lnd {
	t.Helper()
	dir := t.TempDir()
	l := &Lnd{
		Dir:      dir,
		P2PAddr:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		RPCAddr:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		RESTAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	args := []string{
		"--lnddir=" + dir, "--noseedbackup",
		"--bitcoin.regtest", "--bitcoin.node=btcd",
		"--btcd.rpchost=" + btcd.RPCAddr, "--btcd.rpcuser=" + rpcUser,
		"--btcd.rpcpass=" + rpcPass, "--btcd.rpccert=" + btcd.Cert,
		"--listen=" + l.P2PAddr, "--rpclisten=" + l.RPCAddr, "--restlisten=" + l.RESTAddr,
		"--accept-keysend", "--bitcoin.defaultchanconfs=1", "--maxpendingchannels=5",
		"--tlsdisableautofill", "--nobootstrap", "--debuglevel=debug",
	}
	l.args = append(args, extra...)
	l.launch(t)
	return l
}

// launch starts the lnd process and waits until it is synced to the chain.
func (l *Lnd) launch(t *testing.T) {
	t.Helper()
	l.proc = start(t, l.Dir, "lnd", "lnd", l.args...)
	var info struct {
		IdentityPubkey string `json:"identity_pubkey"`
		SyncedToChain  bool   `json:"synced_to_chain"`
	}
	waitFor(t, 90*time.Second, "lnd synced_to_chain", func() error {
		if l.proc.exited() {
			t.Fatal("lnd exited during start-up")
		}
		out, err := l.cli("getinfo")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &info); err != nil {
			return err
		}
		if !info.SyncedToChain {
			return errors.New("not synced")
		}
		return nil
	})
	l.PubKey = info.IdentityPubkey
}

// Stop stops lnd (SIGTERM, then SIGKILL after 15 s) and waits for it to
// exit; Start starts it again with the same directory and arguments.
func (l *Lnd) Stop(t *testing.T) { l.proc.stop(t) }

// Start restarts a stopped lnd, with extra arguments for this run.
func (l *Lnd) Start(t *testing.T, extra ...string) {
	t.Helper()
	args := l.args
	l.args = append(append([]string(nil), args...), extra...)
	l.launch(t)
	l.args = args
}

// cli runs lncli --json-style commands (lncli prints JSON by default).
func (l *Lnd) cli(args ...string) ([]byte, error) {
	base := []string{"--network=regtest", "--lnddir=" + l.Dir, "--rpcserver=" + l.RPCAddr}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(), "lncli"), append(base, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+l.Dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("lncli %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// CLI runs lncli and decodes its JSON output into v (if v is not nil).
func (l *Lnd) CLI(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := l.cli(args...)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("lncli %v: %v: %s", args, err, out)
		}
	}
}

// waitFor polls f until it succeeds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
}

// regtestAddress returns a P2WPKH regtest address for a fixed test key.
func regtestAddress(t *testing.T, seed byte) btcutil.Address {
	t.Helper()
	var k [32]byte
	k[31] = seed
	k[0] = 1
	_, pub := btcec.PrivKeyFromBytes(k[:])
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// NewChain starts btcd, mines past soft-fork activation, and returns it.
func NewChain(t *testing.T) *Btcd {
	t.Helper()
	b := StartBtcd(t, regtestAddress(t, 1), "")
	b.Generate(t, activationHeight+10)
	return b
}

// FundLnd pays coinbases to lnd's wallet. btcd has no generatetoaddress, so
// a short-lived second btcd whose --miningaddr is the lnd address mines the
// blocks, connected to the backend by P2P, and is stopped afterwards. The
// coinbases are then matured on the backend.
func FundLnd(t *testing.T, backend *Btcd, l *Lnd, blocks int) {
	t.Helper()
	var addr struct {
		Address string `json:"address"`
	}
	l.CLI(t, &addr, "newaddress", "p2wkh")
	a, err := btcutil.DecodeAddress(addr.Address, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	miner := StartBtcd(t, a, backend.P2PAddr)
	start := backend.Height(t)
	waitFor(t, 30*time.Second, "miner sync", func() error {
		if h := miner.Height(t); h < start {
			return fmt.Errorf("miner at %d, backend at %d", h, start)
		}
		return nil
	})
	miner.Generate(t, blocks)
	waitFor(t, 30*time.Second, "backend sees mined blocks", func() error {
		if h := backend.Height(t); h < start+blocks {
			return fmt.Errorf("backend at %d", h)
		}
		return nil
	})
	miner.proc.stop(t)
	backend.Generate(t, 100) // coinbase maturity
	waitFor(t, 60*time.Second, "lnd wallet balance", func() error {
		var bal struct {
			Confirmed string `json:"confirmed_balance"`
		}
		out, err := l.cli("walletbalance")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &bal); err != nil {
			return err
		}
		if bal.Confirmed == "0" || bal.Confirmed == "" {
			return errors.New("no confirmed balance yet")
		}
		return nil
	})
}
