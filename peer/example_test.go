package peer_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// nodeKey derives a demo key; real nodes load theirs from secure storage
// or keep it in an HSM behind wire.NodeKey.
func nodeKey(name string) *wire.PrivateNodeKey {
	h := sha256.Sum256([]byte(name))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return wire.NewPrivateNodeKey(k)
}

// Dial a node over loopback TCP, exchange init and ping it.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The remote node, listening on a loopback port.
	bob := nodeKey("bob")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	l, err := peer.Listen(ln, peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: bob},
		Features:        wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureSCIDAlias.Optional()),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		p, err := l.Accept(ctx)
		if err != nil {
			return
		}
		<-p.Done() // serve until Alice hangs up
		p.Close()
	}()

	// Alice dials Bob by address and node key.
	alice, err := peer.Dial(ctx, nil, l.Addr().String(), bob.PubKey(), peer.Config{
		HandshakeConfig: peer.HandshakeConfig{NodeKey: nodeKey("alice")},
		Features:        wire.NewFeatureVector(wire.FeatureStaticRemoteKey, wire.FeatureSCIDAlias.Optional()),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	fmt.Println("talking to bob:", alice.RemotePubKey().IsEqual(bob.PubKey()))
	fmt.Println("negotiated:", alice.Features())
	if _, err := alice.Ping(ctx, 16); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pong received")
	// Output:
	// talking to bob: true
	// negotiated: [option_static_remotekey(12) option_scid_alias(47)]
	// pong received
}

// Accept inbound connections on a host-supplied listener and read what
// the peer sends.
func ExampleListen() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	server := nodeKey("server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	l, err := peer.Listen(ln, peer.Config{HandshakeConfig: peer.HandshakeConfig{NodeKey: server}})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	client := nodeKey("client")
	go func() {
		p, err := peer.Dial(ctx, nil, l.Addr().String(), server.PubKey(),
			peer.Config{HandshakeConfig: peer.HandshakeConfig{NodeKey: client}})
		if err != nil {
			log.Print(err)
			return
		}
		defer p.Close()
		// A custom (odd, unknown) message type reaches the host as is.
		p.Send(ctx, &wire.UnknownMessage{Type: 32769, Payload: []byte("hi")})
		p.Flush(ctx)
		<-p.Done()
	}()

	p, err := l.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Println("inbound from client:", p.Inbound() && p.RemotePubKey().IsEqual(client.PubKey()))
	m, err := p.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %q\n", m.MsgType(), m.(*wire.UnknownMessage).Payload)
	// Output:
	// inbound from client: true
	// unknown_32769 "hi"
}

// Run the BOLT 8 transport alone over an in-memory pipe.
func ExampleInitiate() {
	ctx := context.Background()
	a, b := nodeKey("a"), nodeKey("b")
	c1, c2 := net.Pipe()
	done := make(chan *peer.Transport)
	go func() {
		tr, err := peer.Respond(ctx, c2, peer.HandshakeConfig{NodeKey: b})
		if err != nil {
			log.Fatal(err)
		}
		done <- tr
	}()
	ta, err := peer.Initiate(ctx, c1, peer.HandshakeConfig{NodeKey: a}, b.PubKey())
	if err != nil {
		log.Fatal(err)
	}
	tb := <-done
	defer ta.Close()
	defer tb.Close()
	go ta.WriteMessage(&wire.Ping{NumPongBytes: 4})
	m, err := tb.ReadMessage()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.MsgType(), tb.RemotePubKey().IsEqual(a.PubKey()))
	// Output: ping true
}
