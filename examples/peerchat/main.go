// Command peerchat runs two lnkit nodes in one process, connects them over
// loopback TCP with the BOLT 8 transport, exchanges BOLT 1 init, and prints
// the negotiated features and ping round-trip times:
//
//	go run ./examples/peerchat
//	go run ./examples/peerchat -pings 10 -interval 200ms
//
// Node keys are fresh random keys on every run.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

func main() {
	pings := flag.Int("pings", 5, "number of pings to send")
	interval := flag.Duration("interval", 100*time.Millisecond, "time between pings")
	verbose := flag.Bool("v", false, "log connection events to stderr")
	flag.Parse()
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *pings, *interval, logger); err != nil {
		fmt.Fprintln(os.Stderr, "peerchat:", err)
		os.Exit(1)
	}
}

// node is one side of the chat.
type node struct {
	name string
	key  wire.NodeKey
	cfg  peer.Config
}

func newNode(name string, features wire.FeatureVector, logger *slog.Logger) (*node, error) {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	key := wire.NewPrivateNodeKey(priv)
	if logger != nil {
		logger = logger.With("node", name)
	}
	return &node{name: name, key: key, cfg: peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: key, Rand: rand.Reader},
		Features:        features,
		Chains:          []wire.ChainHash{*chaincfg.RegressionNetParams.GenesisHash},
		Logger:          logger,
	}}, nil
}

// run connects two nodes and reports on the connection to w.
func run(ctx context.Context, w io.Writer, pings int, interval time.Duration, logger *slog.Logger) error {
	alice, err := newNode("alice", wire.NewFeatureVector(
		wire.FeatureStaticRemoteKey, wire.FeatureVarOnionOptin, wire.FeaturePaymentSecret,
		wire.FeatureBasicMPP.Optional(), wire.FeatureGossipQueries.Optional(),
		wire.FeatureChannelType.Optional(), wire.FeatureSCIDAlias.Optional(),
	), logger)
	if err != nil {
		return err
	}
	bob, err := newNode("bob", wire.NewFeatureVector(
		wire.FeatureStaticRemoteKey.Optional(), wire.FeatureVarOnionOptin, wire.FeaturePaymentSecret,
		wire.FeatureBasicMPP.Optional(), wire.FeatureChannelType.Optional(),
		wire.FeatureAnchorsZeroFeeHTLCTx.Optional(), wire.FeatureOnionMessages.Optional(),
	), logger)
	if err != nil {
		return err
	}

	// Bob listens on a loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	l, err := peer.Listen(ln, bob.cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer l.Close()
	fmt.Fprintf(w, "bob   %x listening on %s\n", bob.key.PubKey().SerializeCompressed(), l.Addr())

	// Alice dials him; Bob accepts.
	accepted := make(chan *peer.Peer, 1)
	acceptErr := make(chan error, 1)
	go func() {
		p, err := l.Accept(ctx)
		if err != nil {
			acceptErr <- err
			return
		}
		accepted <- p
	}()
	fmt.Fprintf(w, "alice %x dialing\n", alice.key.PubKey().SerializeCompressed())
	toBob, err := peer.Dial(ctx, nil, l.Addr().String(), bob.key.PubKey(), alice.cfg)
	if err != nil {
		return fmt.Errorf("alice: %w", err)
	}
	defer toBob.Close()
	var toAlice *peer.Peer
	select {
	case toAlice = <-accepted:
	case err := <-acceptErr:
		return fmt.Errorf("bob: %w", err)
	}
	defer toAlice.Close()

	fmt.Fprintln(w, "handshake and init done")
	fmt.Fprintln(w, "alice offers:", toAlice.Features().Remote)
	fmt.Fprintln(w, "bob offers:  ", toBob.Features().Remote)
	fmt.Fprintln(w, "negotiated:  ", toBob.Features())

	for i := 1; i <= pings; i++ {
		rtt, err := toBob.Ping(ctx, uint16(64*i))
		if err != nil {
			return fmt.Errorf("ping %d: %w", i, err)
		}
		fmt.Fprintf(w, "ping %d (%d pong bytes): rtt %s\n", i, 64*i, rtt.Round(time.Microsecond))
		if i < pings {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	rtt, err := toAlice.Ping(ctx, 0)
	if err != nil {
		return fmt.Errorf("bob's ping: %w", err)
	}
	fmt.Fprintf(w, "bob pings alice: rtt %s\n", rtt.Round(time.Microsecond))

	toBob.Close()
	<-toAlice.Done()
	fmt.Fprintln(w, "alice hung up; bob sees:", toAlice.Err())
	return nil
}
