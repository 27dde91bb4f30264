// Command onion builds a payment onion for a four-hop route and peels it hop
// by hop, printing what each node sees. It shows the privacy property of
// Sphinx (BOLT 4): a hop learns the channel the HTLC came in on, its own
// instructions and the next channel, but not who sent the payment, who
// receives it, or where in the route it sits: every packet it receives and
// forwards is 1366 bytes of unrelated-looking data.
//
//	go run ./examples/onion
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

type node struct {
	name string
	key  *btcec.PrivateKey
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var nodes []node
	for i, name := range []string{"Bob", "Carol", "Dave", "Eve"} {
		k, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{byte(0x42 + i)}, 32))
		nodes = append(nodes, node{name, k})
	}
	// Channels: Alice-Bob 1, Bob-Carol 2, Carol-Dave 3, Dave-Eve 4.
	chans := []wire.ShortChannelID{{BlockHeight: 800001, TxIndex: 1}, {BlockHeight: 800002, TxIndex: 2}, {BlockHeight: 800003, TxIndex: 3}, {BlockHeight: 800004, TxIndex: 4}}
	const height = 800100
	amounts := []wire.MilliSatoshi{50_030, 50_020, 50_010, 50_000}
	cltvs := []uint32{height + 40 + 3*40, height + 40 + 2*40, height + 40 + 40, height + 40}

	preimage := sha256.Sum256([]byte("example preimage"))
	paymentHash := sha256.Sum256(preimage[:])
	var hops []onion.Hop
	for i, n := range nodes {
		p := &onion.HopPayload{}
		if i < len(nodes)-1 {
			// A forwarding hop is told what to send on, and where.
			p.AmountToForward = onion.Amount(amounts[i+1])
			p.OutgoingCLTV = onion.U32(cltvs[i+1])
			p.ShortChannelID = onion.SCID(chans[i+1])
		} else {
			p.AmountToForward = onion.Amount(amounts[i])
			p.OutgoingCLTV = onion.U32(cltvs[i])
			p.PaymentData = &onion.PaymentData{PaymentSecret: sha256.Sum256([]byte("secret")), TotalMsat: amounts[i]}
		}
		b, err := p.Encode()
		if err != nil {
			return err
		}
		hops = append(hops, onion.Hop{PubKey: n.key.PubKey(), Payload: b})
	}
	pkt, _, err := onion.NewPacket(nil, hops, paymentHash[:])
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Alice sends %v through %d hops; the onion is %d bytes whatever the route.\n\n", amounts[3], len(hops), len(pkt.Encode()))

	for i, n := range nodes {
		proc := onion.NewProcessor(wire.NewPrivateNodeKey(n.key), onion.NewMemoryReplayLog())
		res, err := proc.Process(context.Background(), pkt, paymentHash[:], &onion.ProcessOptions{CLTVExpiry: cltvs[i]})
		if err != nil {
			return fmt.Errorf("%s: %w", n.name, err)
		}
		p, err := onion.DecodeHopPayload(res.Payload)
		if err != nil {
			return err
		}
		if err := p.Validate(res.Final, false); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", n.name)
		fmt.Fprintf(w, "  previous hop: the peer on channel %v (HTLC of %v, expiry %d)\n", chans[i], amounts[i], cltvs[i])
		if res.Final {
			fmt.Fprintf(w, "  next hop:     none (the next HMAC is all zeros): this node is the recipient\n")
			fmt.Fprintf(w, "  payload:      receive %v, expiry %d, total %v\n", *p.AmountToForward, *p.OutgoingCLTV, p.TotalMsat())
			fmt.Fprintf(w, "  it does not learn: who Alice is (the HTLC came from %v's peer)\n", chans[i])
			break
		}
		fee := amounts[i] - *p.AmountToForward
		fmt.Fprintf(w, "  next hop:     channel %v, forward %v, expiry %d (fee %v, delta %d)\n",
			*p.ShortChannelID, *p.AmountToForward, *p.OutgoingCLTV, fee, cltvs[i]-*p.OutgoingCLTV)
		fmt.Fprintf(w, "  it does not learn: the sender, the recipient, or its position (it forwards another %d-byte packet)\n", len(res.Next.Encode()))
		pkt = &res.Next
	}
	return nil
}
