package interop

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// lnkitFeatures are the init features lnkit offers lnd: the optional bits of
// every feature lnd requires (0, 8, 12, 14, 44 in v0.21), plus gossip
// queries and basic MPP.
var lnkitFeatures = wire.NewFeatureVector(
	wire.FeatureDataLossProtect.Optional(),
	wire.FeatureGossipQueries.Optional(),
	wire.FeatureVarOnionOptin.Optional(),
	wire.FeatureStaticRemoteKey.Optional(),
	wire.FeaturePaymentSecret.Optional(),
	wire.FeatureBasicMPP.Optional(),
	wire.FeatureChannelType.Optional(),
)

// recorder is a slog handler that keeps every record's message.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// drain receives the messages lnkit's peer delivers to the host (lnd sends
// gossip queries, for one) and logs their types, so the bounded mailbox
// never stalls the reader.
func drain(t *testing.T, ctx context.Context, p *peer.Peer) {
	for {
		m, err := p.Receive(ctx)
		if err != nil {
			return
		}
		t.Logf("lnd sent %s", m.MsgType())
	}
}

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// newNodeKey returns a fresh lnkit node key.
func newNodeKey(t *testing.T) *btcec.PrivateKey {
	t.Helper()
	k, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func lnkitConfig(key *btcec.PrivateKey, log *slog.Logger) peer.Config {
	return peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(key)},
		Features:        lnkitFeatures,
		Chains:          []wire.ChainHash{wire.RegtestChainHash},
		PingInterval:    -1, // lnd's pings are what this test is about
		Logger:          log,
	}
}

type lndPeer struct {
	PubKey   string `json:"pub_key"`
	Address  string `json:"address"`
	Inbound  bool   `json:"inbound"`
	Features map[string]struct {
		Name       string `json:"name"`
		IsRequired bool   `json:"is_required"`
		IsKnown    bool   `json:"is_known"`
	} `json:"features"`
	PingTime string `json:"ping_time"`
}

// findPeer returns lnd's view of the peer with the given key, if connected.
func findPeer(t *testing.T, l *Lnd, pub string) (lndPeer, bool) {
	t.Helper()
	var res struct {
		Peers []lndPeer `json:"peers"`
	}
	l.CLI(t, &res, "listpeers")
	for _, p := range res.Peers {
		if p.PubKey == pub {
			return p, true
		}
	}
	return lndPeer{}, false
}

// checkFeaturesSeen asserts lnd recorded exactly the feature bits lnkit sent.
func checkFeaturesSeen(t *testing.T, p lndPeer, sent wire.FeatureVector) {
	t.Helper()
	if len(p.Features) != len(sent.Bits()) {
		t.Fatalf("lnd lists %d feature bits for lnkit, lnkit sent %v", len(p.Features), sent)
	}
	for _, b := range sent.Bits() {
		f, ok := p.Features[strconv.Itoa(int(b))]
		if !ok {
			t.Fatalf("lnd does not list bit %d that lnkit sent", b)
		}
		if f.IsRequired != b.IsRequired() {
			t.Fatalf("bit %d: lnd says required=%v", b, f.IsRequired)
		}
	}
}

func mustPubKey(t *testing.T, hexKey string) *btcec.PublicKey {
	t.Helper()
	b, err := hex.DecodeString(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := btcec.ParsePubKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTransportInitiator: lnkit dials lnd, completes BOLT 8 and init, is
// listed by lnd with the features it sent, answers lnd's ping (lnd pings
// about once a minute), and disconnects cleanly.
func TestTransportInitiator(t *testing.T) {
	chain := NewChain(t)
	l := StartLnd(t, chain)
	key := newNodeKey(t)
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// lnd treats a peer whose address contains "127.0.0.1" as a Tor
	// connection and triples its ping interval (peer/brontide.go,
	// isTorConnection). Dialling from 127.0.0.2, still loopback, gets the
	// normal one-minute interval.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	p, err := peer.Dial(ctx, dialer, l.P2PAddr, mustPubKey(t, l.PubKey), lnkitConfig(key, slog.New(rec)))
	if err != nil {
		t.Fatalf("dial lnd: %v", err)
	}
	defer p.Close()
	ourPub := hex.EncodeToString(key.PubKey().SerializeCompressed())
	t.Logf("negotiated: %v", p.Features())
	go drain(t, ctx, p)

	var seen lndPeer
	waitFor(t, 20*time.Second, "lnd lists lnkit", func() error {
		var ok bool
		if seen, ok = findPeer(t, l, ourPub); !ok {
			return errors.New("not listed")
		}
		return nil
	})
	checkFeaturesSeen(t, seen, lnkitFeatures)

	// Our own ping proves lnd answers; lnd's ping proves we do.
	rtt, err := p.Ping(ctx, 16)
	if err != nil {
		t.Fatalf("ping lnd: %v", err)
	}
	t.Logf("lnd answered our ping in %v", rtt)
	waitFor(t, 90*time.Second, "lnd's ping and our pong", func() error {
		if rec.count("answered ping") == 0 {
			return fmt.Errorf("lnd has not pinged yet (log: %v)", rec.all())
		}
		return nil
	})
	// lnd expects the pong within 30 s; give it time to act on a missing one.
	time.Sleep(2 * time.Second)
	if _, ok := findPeer(t, l, ourPub); !ok {
		t.Fatal("lnd dropped lnkit after its ping")
	}
	select {
	case <-p.Done():
		t.Fatalf("connection ended: %v", p.Err())
	default:
	}

	if err := p.Close(); err != nil && !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("close: %v", err)
	}
	waitFor(t, 20*time.Second, "lnd sees the disconnect", func() error {
		if _, ok := findPeer(t, l, ourPub); ok {
			return errors.New("still listed")
		}
		return nil
	})
}

// TestTransportResponder: lnd dials an lnkit listener.
func TestTransportResponder(t *testing.T) {
	chain := NewChain(t)
	l := StartLnd(t, chain)
	key := newNodeKey(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis, err := peer.Listen(ln, lnkitConfig(key, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	ourPub := hex.EncodeToString(key.PubKey().SerializeCompressed())

	errc := make(chan error, 1)
	go func() {
		_, err := l.cli("connect", ourPub+"@"+ln.Addr().String())
		errc <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := lis.Accept(ctx)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer p.Close()
	if err := <-errc; err != nil {
		t.Fatalf("lncli connect: %v", err)
	}
	if !p.Inbound() || p.RemotePubKey().IsEqual(mustPubKey(t, l.PubKey)) == false {
		t.Fatalf("accepted the wrong peer")
	}
	seen, ok := findPeer(t, l, ourPub)
	if !ok {
		t.Fatal("lnd does not list lnkit after connecting")
	}
	checkFeaturesSeen(t, seen, lnkitFeatures)
	if _, err := p.Ping(ctx, 0); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// TestBadPeerUnknownEvenFeature: lnkit's transport sends an init with an
// unknown even feature bit. lnd must disconnect; whatever error or warning it
// sends first is reported.
func TestBadPeerUnknownEvenFeature(t *testing.T) {
	chain := NewChain(t)
	l := StartLnd(t, chain)
	key := newNodeKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", l.P2PAddr)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := peer.Initiate(ctx, conn, peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(key)}, mustPubKey(t, l.PubKey))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer tr.Close()
	bad := lnkitFeatures.Union(wire.NewFeatureVector(100))
	if err := tr.WriteMessage(&wire.Init{Features: bad}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var reasons []string
	for {
		m, err := tr.ReadMessage()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isConnReset(err) {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("lnd kept the connection open for 30 s after an unknown even feature")
			}
			break
		}
		switch m := m.(type) {
		case *wire.Error:
			reasons = append(reasons, "error: "+m.Error())
		case *wire.Warning:
			reasons = append(reasons, "warning: "+string(m.Data))
		}
	}
	if _, ok := findPeer(t, l, hex.EncodeToString(key.PubKey().SerializeCompressed())); ok {
		t.Fatal("lnd still lists the peer")
	}
	if len(reasons) == 0 {
		t.Log("lnd disconnected without an error or warning message")
	}
	for _, r := range reasons {
		t.Logf("lnd said %s", r)
	}
}

func isConnReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}
