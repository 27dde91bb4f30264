package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/rpc"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Lnkit is an lnkit node under test, driven through its node API: its
// chain comes from the harness's btcd over RPC (chain/rpc's Client as
// Broadcaster and FeeEstimator, a Poller feeding chain.Listeners{wallet,
// node}), its on-chain wallet is a Wallet, and its state is a store.File
// in the test's temp dir, so Stop and Start restart it with what it had.
type Lnkit struct {
	Node   *node.Node
	Wallet *Wallet
	// Addr is the address the node listens on.
	Addr string
	// Seed is the node's seed.
	Seed []byte
	Dir  string

	t      *testing.T
	chain  *Btcd
	cfg    LnkitConfig
	client *rpc.Client
	poller *rpc.Poller
	st     *store.File
	logf   *os.File
	logMu  sync.Mutex

	evMu   sync.Mutex
	events []node.Event
}

// LnkitConfig is what a test may choose of its lnkit node.
type LnkitConfig struct {
	// Policy is the node's policy (zero fields take node's defaults).
	Policy node.Policy
	// Seed, if set, is the node's seed (else one derived from the test
	// name). The wallet's seed derives from it.
	Seed []byte
	// Name tells the logs of several lnkit nodes of one test apart.
	Name string
	// OnMonitorUpdate is node.Config.OnMonitorUpdate.
	OnMonitorUpdate func(*channel.Params, *channel.MonitorUpdate)
}

// lnkitSeed derives a seed from the test name, so a failing run is
// reproduced with the same keys.
func lnkitSeed(t *testing.T, name string) []byte {
	s := sha256.Sum256([]byte("lnkit interop seed/" + t.Name() + "/" + name))
	return s[:]
}

// StartLnkit creates and starts an lnkit node on chain, listening on a
// loopback port.
func StartLnkit(t *testing.T, c *Btcd, cfg LnkitConfig) *Lnkit {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "lnkit"
	}
	if cfg.Seed == nil {
		cfg.Seed = lnkitSeed(t, cfg.Name)
	}
	l := &Lnkit{t: t, chain: c, cfg: cfg, Seed: cfg.Seed, Dir: t.TempDir()}
	l.Wallet = NewWallet(&chaincfg.RegressionNetParams, sha256.Sum256(append([]byte("wallet/"), cfg.Seed...)))
	logf, err := os.Create(filepath.Join(l.Dir, cfg.Name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	l.logf = logf
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Addr = ln.Addr().String()
	l.start(ln)
	t.Cleanup(func() {
		l.Stop()
		l.logMu.Lock()
		l.logf.Close()
		l.logMu.Unlock()
		if t.Failed() {
			b, _ := os.ReadFile(l.logf.Name())
			if d := os.Getenv("LNKIT_INTEROP_KEEP_LOGS"); d != "" {
				_ = os.MkdirAll(d, 0o755)
				_ = os.WriteFile(filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_")+"-"+cfg.Name+".log"), b, 0o644)
			}
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("--- tail of %s log ---\n%s", cfg.Name, b)
		}
	})
	return l
}

// logWriter serialises the node's and the poller's writes to the log.
type logWriter struct{ l *Lnkit }

func (w logWriter) Write(b []byte) (int, error) {
	w.l.logMu.Lock()
	defer w.l.logMu.Unlock()
	return w.l.logf.Write(b)
}

// start opens the store, dials btcd and starts the node and the poller;
// ln is the listener (nil: listen on l.Addr again).
func (l *Lnkit) start(ln net.Listener) {
	t := l.t
	t.Helper()
	var err error
	if ln == nil {
		if ln, err = net.Listen("tcp", l.Addr); err != nil {
			t.Fatalf("listen on %s again: %v", l.Addr, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cert, err := os.ReadFile(l.chain.Cert)
	if err != nil {
		t.Fatal(err)
	}
	l.client, err = rpc.Dial(ctx, rpc.Config{Host: l.chain.RPCAddr, User: rpcUser, Pass: rpcPass, Certificates: cert})
	if err != nil {
		t.Fatal(err)
	}
	l.st, err = store.OpenFile(filepath.Join(l.Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(logWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l.Node, err = node.New(node.Config{
		Seed: l.Seed, Network: &chaincfg.RegressionNetParams, Store: l.st,
		Broadcaster: l.client, FeeEstimator: l.client, Wallet: l.Wallet, UTXOs: l.client,
		Listener: ln, Logger: logger, Alias: l.cfg.Name, Policy: l.cfg.Policy,
		OnMonitorUpdate: l.cfg.OnMonitorUpdate,
		OnEvent: func(ev node.Event) {
			logger.Info("interop: event", "type", fmt.Sprintf("%T", ev), "event", fmt.Sprintf("%+v", ev))
			l.evMu.Lock()
			l.events = append(l.events, ev)
			l.evMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A new node starts one block below the tip, so the first sync hands
	// it the tip and it knows the height; a restarted one resumes from
	// the position the Poller stored.
	tip, err := l.client.BlockCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	below, err := l.client.BlockHash(ctx, tip-1)
	if err != nil {
		t.Fatal(err)
	}
	l.poller, err = rpc.NewPoller(rpc.PollerConfig{
		Source: l.client, Listener: chain.Listeners{l.Wallet, l.Node}, Store: l.st,
		Start:    &rpc.Checkpoint{Height: tip - 1, Hash: below},
		Interval: 100 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.poller.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Stop stops the poller and the node and closes the store; Start starts
// them again from the store. Stop of a stopped node does nothing.
func (l *Lnkit) Stop() {
	if l.Node == nil {
		return
	}
	l.poller.Stop()
	_ = l.Node.Stop()
	l.client.Close()
	_ = l.st.Close()
	l.Node = nil
}

// Start restarts a stopped node with its store (and the same wallet).
func (l *Lnkit) Start() {
	l.t.Helper()
	l.start(nil)
}

// Restart replaces the node with one that has lost its store: same seed
// and wallet, an empty store (for a recovery from a static backup).
func (l *Lnkit) RestartEmpty() {
	l.t.Helper()
	l.Stop()
	if err := os.RemoveAll(filepath.Join(l.Dir, "store")); err != nil {
		l.t.Fatal(err)
	}
	l.start(nil)
}

// PubKey returns the node id in hex, as lncli prints it.
func (l *Lnkit) PubKey() string { return hex.EncodeToString(l.Node.NodeID().SerializeCompressed()) }

// Events returns the events received so far.
func (l *Lnkit) Events() []node.Event {
	l.evMu.Lock()
	defer l.evMu.Unlock()
	return append([]node.Event(nil), l.events...)
}

// ctx is a bounded context for one node call.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// WaitSynced waits until the node and the wallet have the chain's tip.
func (l *Lnkit) WaitSynced(t *testing.T) {
	t.Helper()
	want := uint32(l.chain.Height(t))
	waitFor(t, 60*time.Second, fmt.Sprintf("lnkit at height %d", want), func() error {
		info, err := l.Node.Info(ctxFor(t, 5*time.Second))
		if err != nil {
			return err
		}
		if info.Height < want || l.Wallet.Height() < want {
			return fmt.Errorf("node at %d, wallet at %d", info.Height, l.Wallet.Height())
		}
		return nil
	})
}

// Connect connects lnkit to an lnd node and waits until lnd lists it.
func (l *Lnkit) Connect(t *testing.T, d *Lnd) {
	t.Helper()
	if err := l.Node.Connect(ctxFor(t, 30*time.Second), mustPubKey(t, d.PubKey), d.P2PAddr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "lnd lists lnkit as a peer", func() error {
		if !d.HasPeer(l.PubKey()) {
			return errors.New("not yet")
		}
		return nil
	})
}

// Channel returns lnkit's channel with the given funding txid, failing
// the test if there is none.
func (l *Lnkit) Channel(t *testing.T, id wire.ChannelID) node.ChannelInfo {
	t.Helper()
	chans, err := l.Node.ListChannels(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chans {
		if c.ChannelID == id {
			return c
		}
	}
	t.Fatalf("lnkit has no channel %v", id)
	return node.ChannelInfo{}
}

// WaitChannel polls lnkit's channel id until ok returns nil.
func (l *Lnkit) WaitChannel(t *testing.T, id wire.ChannelID, what string, ok func(node.ChannelInfo) error) node.ChannelInfo {
	t.Helper()
	var last node.ChannelInfo
	waitFor(t, 60*time.Second, "lnkit channel: "+what, func() error {
		chans, err := l.Node.ListChannels(ctxFor(t, 10*time.Second))
		if err != nil {
			return err
		}
		for _, c := range chans {
			if c.ChannelID == id {
				last = c
				return ok(c)
			}
		}
		return fmt.Errorf("no channel %v", id)
	})
	return last
}

// Fund has lnd send the lnkit wallet one coin of each amount, mines a
// block and waits until the wallet holds them.
func (l *Lnkit) Fund(t *testing.T, from *Lnd, amounts ...btcutil.Amount) {
	t.Helper()
	before, _ := l.Wallet.Balance()
	outs := map[string]int64{}
	var total btcutil.Amount
	for _, a := range amounts {
		addr, err := l.Wallet.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		outs[addr.EncodeAddress()] = int64(a)
		total += a
	}
	js, _ := json.Marshal(outs)
	from.CLI(t, nil, "sendmany", string(js))
	from.waitMempool(t, l.chain, 1)
	l.chain.Generate(t, 1)
	waitFor(t, 60*time.Second, "lnkit wallet funded", func() error {
		if bal, _ := l.Wallet.Balance(); bal < before+total {
			return fmt.Errorf("balance %v, want %v", bal, before+total)
		}
		return nil
	})
	l.WaitSynced(t)
}

// waitMempool waits until btcd's mempool holds at least n transactions.
func (d *Lnd) waitMempool(t *testing.T, c *Btcd, n int) {
	t.Helper()
	c.WaitMempool(t, n)
}

// WaitMempool waits until the mempool holds at least n transactions and
// returns their ids.
func (b *Btcd) WaitMempool(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	waitFor(t, 60*time.Second, fmt.Sprintf("%d transactions in the mempool", n), func() error {
		out, err := b.ctl("getrawmempool")
		if err != nil {
			return err
		}
		ids = nil
		if err := json.Unmarshal(out, &ids); err != nil {
			return err
		}
		if len(ids) < n {
			return fmt.Errorf("%d in the mempool", len(ids))
		}
		return nil
	})
	return ids
}

// HasPeer reports whether lnd lists pub as a connected peer.
func (d *Lnd) HasPeer(pub string) bool {
	out, err := d.cli("listpeers")
	if err != nil {
		return false
	}
	var res struct {
		Peers []struct {
			PubKey string `json:"pub_key"`
		} `json:"peers"`
	}
	if json.Unmarshal(out, &res) != nil {
		return false
	}
	for _, p := range res.Peers {
		if p.PubKey == pub {
			return true
		}
	}
	return false
}

// LndChannel is a channel as `lncli listchannels` prints it.
type LndChannel struct {
	Active       bool   `json:"active"`
	RemotePubkey string `json:"remote_pubkey"`
	ChannelPoint string `json:"channel_point"`
	// lncli prints the channel id (BOLT 2, hex) as chan_id and the
	// short channel id as scid (decimal) and scid_str.
	ChanID                string   `json:"chan_id"`
	Scid                  string   `json:"scid"`
	ScidStr               string   `json:"scid_str"`
	Capacity              string   `json:"capacity"`
	LocalBalance          string   `json:"local_balance"`
	RemoteBalance         string   `json:"remote_balance"`
	CommitFee             string   `json:"commit_fee"`
	FeePerKw              string   `json:"fee_per_kw"`
	CommitmentType        string   `json:"commitment_type"`
	Private               bool     `json:"private"`
	Initiator             bool     `json:"initiator"`
	ZeroConf              bool     `json:"zero_conf"`
	ZeroConfConfirmedScid string   `json:"zero_conf_confirmed_scid"`
	AliasScids            []string `json:"alias_scids"`
	PendingHtlcs          []struct {
		Incoming bool   `json:"incoming"`
		Amount   string `json:"amount"`
	} `json:"pending_htlcs"`
	LocalConstraints struct {
		CsvDelay uint32 `json:"csv_delay"`
	} `json:"local_constraints"`
	RemoteConstraints struct {
		CsvDelay uint32 `json:"csv_delay"`
	} `json:"remote_constraints"`
}

// Channels returns lnd's channels.
func (d *Lnd) Channels(t *testing.T) []LndChannel {
	t.Helper()
	var res struct {
		Channels []LndChannel `json:"channels"`
	}
	d.CLI(t, &res, "listchannels")
	return res.Channels
}

// WaitChannel waits until lnd lists the channel with the given channel
// point active and ok accepts it.
func (d *Lnd) WaitChannel(t *testing.T, point string, what string, ok func(LndChannel) error) LndChannel {
	t.Helper()
	var last LndChannel
	waitFor(t, 60*time.Second, "lnd channel "+point+": "+what, func() error {
		var res struct {
			Channels []LndChannel `json:"channels"`
		}
		out, err := d.cli("listchannels")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return err
		}
		for _, c := range res.Channels {
			if c.ChannelPoint == point {
				last = c
				if ok == nil {
					if !c.Active {
						return errors.New("not active")
					}
					return nil
				}
				return ok(c)
			}
		}
		return errors.New("not listed")
	})
	return last
}

// chanIDFromPoint is the channel id (BOLT 2) of lnd's "txid:index"
// channel point.
func chanIDFromPoint(t *testing.T, point string) wire.ChannelID {
	t.Helper()
	txid, idx, ok := strings.Cut(point, ":")
	if !ok {
		t.Fatalf("bad channel point %q", point)
	}
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		t.Fatal(err)
	}
	i, err := strconv.Atoi(idx)
	if err != nil {
		t.Fatal(err)
	}
	return wire.NewChannelID(btcwire.OutPoint{Hash: *h, Index: uint32(i)})
}

// PointOf returns the channel point of lnd's channel whose channel id is
// id, waiting for lnd to list it (open or pending).
func (d *Lnd) PointOf(t *testing.T, id wire.ChannelID) string {
	t.Helper()
	var point string
	waitFor(t, 60*time.Second, "lnd lists channel "+id.String(), func() error {
		for _, p := range d.allChannelPoints(t) {
			if chanIDFromPoint(t, p) == id {
				point = p
				return nil
			}
		}
		return errors.New("not listed")
	})
	return point
}

// allChannelPoints lists the points of lnd's open and pending channels.
func (d *Lnd) allChannelPoints(t *testing.T) []string {
	var points []string
	if out, err := d.cli("listchannels"); err == nil {
		var res struct {
			Channels []LndChannel `json:"channels"`
		}
		if json.Unmarshal(out, &res) == nil {
			for _, c := range res.Channels {
				points = append(points, c.ChannelPoint)
			}
		}
	}
	if out, err := d.cli("pendingchannels"); err == nil {
		var res struct {
			Pending []struct {
				Channel struct {
					ChannelPoint string `json:"channel_point"`
				} `json:"channel"`
			} `json:"pending_open_channels"`
		}
		if json.Unmarshal(out, &res) == nil {
			for _, c := range res.Pending {
				points = append(points, c.Channel.ChannelPoint)
			}
		}
	}
	return points
}

// logLines returns the lines of a process log that contain any of the
// words (for failure messages).
func logLines(path string, words ...string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out [][]byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		for _, w := range words {
			if bytes.Contains(line, []byte(w)) {
				out = append(out, line)
				break
			}
		}
	}
	if len(out) > 40 {
		out = out[len(out)-40:]
	}
	return string(bytes.Join(out, []byte("\n")))
}

// LogLines returns lnd's log lines containing any of words.
func (d *Lnd) LogLines(words ...string) string {
	return logLines(filepath.Join(d.Dir, "lnd.log"), words...)
}
