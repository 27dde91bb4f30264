package interop

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// holdInvoice is an lnd hold invoice: lnd accepts the HTLCs that pay it
// and holds them until the test settles or cancels it.
type holdInvoice struct {
	d        *Lnd
	bolt11   string
	hash     string
	preimage string
}

// addHoldInvoice issues a hold invoice of amt on d, with extra lncli flags.
func addHoldInvoice(t *testing.T, d *Lnd, amt wire.MilliSatoshi, flags ...string) *holdInvoice {
	t.Helper()
	var pre [32]byte
	if _, err := rand.Read(pre[:]); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(pre[:])
	hi := &holdInvoice{d: d, hash: hex.EncodeToString(h[:]), preimage: hex.EncodeToString(pre[:])}
	var res struct {
		PaymentRequest string `json:"payment_request"`
	}
	d.CLI(t, &res, append(append([]string{"addholdinvoice", "--amt_msat=" + strconv.FormatUint(uint64(amt), 10)}, flags...), hi.hash)...)
	hi.bolt11 = res.PaymentRequest
	return hi
}

// waitState waits until lnd lists the invoice in state (OPEN, ACCEPTED,
// SETTLED, CANCELED).
func (hi *holdInvoice) waitState(t *testing.T, state string) {
	t.Helper()
	waitFor(t, 60*time.Second, "lnd's hold invoice "+state, func() error {
		if got := lndInvoice(t, hi.d, hi.hash).State; got != state {
			return fmt.Errorf("invoice %s", got)
		}
		return nil
	})
}

func (hi *holdInvoice) settle(t *testing.T) { hi.d.CLI(t, nil, "settleinvoice", hi.preimage) }
func (hi *holdInvoice) cancel(t *testing.T) { hi.d.CLI(t, nil, "cancelinvoice", hi.hash) }

// payAsync starts lnkit's payment of an invoice and returns a channel
// that gets its outcome.
type payOutcome struct {
	p   *node.Payment
	err error
}

func payAsync(t *testing.T, lk *Lnkit, bolt11 string) <-chan payOutcome {
	ch := make(chan payOutcome, 1)
	n := lk.Node
	ctx := ctxFor(t, 5*time.Minute)
	go func() {
		p, err := n.PayInvoice(ctx, node.PayInvoiceRequest{Invoice: bolt11})
		ch <- payOutcome{p, err}
	}()
	return ch
}

// lnkitPayment waits until lnkit lists the payment of hash as done and
// returns it.
func lnkitPayment(t *testing.T, lk *Lnkit, hash string) node.Payment {
	t.Helper()
	var got node.Payment
	waitFor(t, 60*time.Second, "lnkit's payment "+hash[:8]+" done", func() error {
		ps, err := lk.Node.ListPayments(ctxFor(t, 10*time.Second))
		if err != nil {
			return err
		}
		for _, p := range ps {
			if hex.EncodeToString(p.PaymentHash[:]) == hash {
				got = p
				if p.Status == node.PaymentStatusInFlight {
					return errors.New("in flight")
				}
				return nil
			}
		}
		return errors.New("not listed")
	})
	return got
}

// TestReestablish disconnects lnkit from lnd with a payment in the
// middle, its HTLC committed on both sides and held by lnd's hold
// invoice, has lnd settle it while the peers are apart, and reconnects:
// channel_reestablish (both directions' numbers, and lnd's
// retransmission of its update_fulfill_htlc) recovers the channel and
// the payment completes. The second case stops the lnkit node instead
// and starts it again from its store: it reconnects by itself.
func TestReestablish(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	id, point := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000})
	lndPub := mustPubKey(t, e.lnd.PubKey)

	t.Run("Disconnect", func(t *testing.T) {
		amt := wire.MilliSatoshi(70_000_000)
		hi := addHoldInvoice(t, e.lnd, amt)
		done := payAsync(t, e.lk, hi.bolt11)
		hi.waitState(t, "ACCEPTED")
		e.lk.WaitChannel(t, id, "HTLC in flight", func(c node.ChannelInfo) error {
			if c.InFlightOut != amt {
				return fmt.Errorf("%v in flight", c.InFlightOut)
			}
			return nil
		})
		if err := e.lk.Node.Disconnect(ctxFor(t, 10*time.Second), lndPub); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "lnd sees lnkit gone", func() error {
			if e.lnd.HasPeer(e.lk.PubKey()) {
				return errors.New("still connected")
			}
			return nil
		})
		hi.settle(t)
		select {
		case r := <-done:
			t.Fatalf("payment finished while disconnected: %+v %v", r.p, r.err)
		default:
		}
		e.lk.Connect(t, e.lnd)
		var r payOutcome
		select {
		case r = <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("payment did not complete after reconnecting\nlnd: %s", e.lnd.LogLines("Reestablish", "HSWC", "rror"))
		}
		if r.err != nil || r.p.Status != node.PaymentStatusSucceeded {
			t.Fatalf("payment: %+v %v", r.p, r.err)
		}
		if hex.EncodeToString(r.p.Preimage[:]) != hi.preimage {
			t.Fatalf("lnkit's preimage %x, lnd settled with %s", r.p.Preimage[:], hi.preimage)
		}
		hi.waitState(t, "SETTLED")
		checkBalances(t, e, e.lnd, id, point)
	})

	t.Run("Restart", func(t *testing.T) {
		amt := wire.MilliSatoshi(30_000_000)
		hi := addHoldInvoice(t, e.lnd, amt)
		done := payAsync(t, e.lk, hi.bolt11)
		hi.waitState(t, "ACCEPTED")
		e.lk.Stop()
		if r := <-done; !errors.Is(r.err, node.ErrStopped) {
			t.Fatalf("PayInvoice of a stopped node returned %+v, %v", r.p, r.err)
		}
		hi.settle(t)
		e.lk.Start()
		// The node dials lnd again (it dialled it first), and the
		// payment resumes from the store.
		waitFor(t, 60*time.Second, "lnd sees lnkit again", func() error {
			if !e.lnd.HasPeer(e.lk.PubKey()) {
				return errors.New("not connected")
			}
			return nil
		})
		p := lnkitPayment(t, e.lk, hi.hash)
		if p.Status != node.PaymentStatusSucceeded || hex.EncodeToString(p.Preimage[:]) != hi.preimage || p.Amount != amt {
			t.Fatalf("after the restart lnkit lists %+v", p)
		}
		hi.waitState(t, "SETTLED")
		checkBalances(t, e, e.lnd, id, point)
	})

	// The connection is cut in the middle of a payment's messages from
	// lnkit (update_add_htlc with its onion, about 1490 bytes framed,
	// commitment_signed, revoke_and_ack, ...) at byte counts that fall in
	// each message and between them; lnkit reconnects, and after
	// channel_reestablish the payment either completes or fails without
	// an HTLC left behind, both nodes agree, and the channel goes on.
	t.Run("MidCommitment", func(t *testing.T) {
		proxy := newCutProxy(t, e.lnd.P2PAddr)
		if err := e.lk.Node.Disconnect(ctxFor(t, 10*time.Second), lndPub); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "lnd sees lnkit gone", func() error {
			if e.lnd.HasPeer(e.lk.PubKey()) {
				return errors.New("still connected")
			}
			return nil
		})
		waitActive := func() {
			t.Helper()
			e.lnd.WaitChannel(t, point, "active again", nil)
			e.lk.WaitChannel(t, id, "ready again", func(c node.ChannelInfo) error {
				if !c.Ready {
					return errors.New("not ready")
				}
				return nil
			})
		}
		if err := e.lk.Node.Connect(ctxFor(t, 30*time.Second), lndPub, proxy.Addr()); err != nil {
			t.Fatal(err)
		}
		waitActive()
		// A payment uncut measures what lnkit sends for one; the cuts
		// are spread over it, every 5% (so each message is cut into at
		// least once, and some cuts fall between messages).
		checkBalances(t, e, e.lnd, id, point)
		before := proxy.upstreamBytes()
		payLnd(t, e, e.lnd, 1_000_000)
		checkBalances(t, e, e.lnd, id, point)
		total := proxy.upstreamBytes() - before
		t.Logf("one payment: lnkit sends %d bytes", total)
		var cuts []int
		for k := 1; k <= 18; k++ {
			cuts = append(cuts, total*k/20)
		}
		for _, cut := range cuts {
			amt := wire.MilliSatoshi(1_000_000 + cut*1000)
			bolt11, hash := lndAddInvoice(t, e.lnd, amt)
			// Let the previous round's messages settle before arming.
			checkBalances(t, e, e.lnd, id, point)
			conns := proxy.connections()
			cutDone := proxy.arm(cut)
			done := payAsync(t, e.lk, bolt11)
			// The cut comes: every payment sends what the measured one
			// did, and the cut is below that. It may fall after the
			// payment's outcome (lnkit's last revoke_and_ack follows
			// the fulfill it settles on).
			var r payOutcome
			outcome := false
			select {
			case <-cutDone:
			case r = <-done:
				outcome = true
				select {
				case <-cutDone:
				case <-time.After(30 * time.Second):
					t.Fatalf("cut at %d of %d: lnkit did not send that much", cut, total)
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("cut at %d of %d: neither the cut nor the payment's end came", cut, total)
			}
			// lnkit dials lnd again by itself, at the address it last
			// reached it on (the proxy), about a second after the
			// drop: a new connection through the proxy, then the
			// channel active again on both sides.
			waitFor(t, 30*time.Second, "lnkit dials lnd again", func() error {
				if n := proxy.connections(); n <= conns {
					return fmt.Errorf("%d connections through the proxy", n)
				}
				return nil
			})
			waitActive()
			if !outcome {
				select {
				case r = <-done:
				case <-time.After(90 * time.Second):
					t.Fatalf("cut at %d: the payment did not finish after reconnecting\nlnd: %s", cut, e.lnd.LogLines("Reestablish", "HSWC", "rror"))
				}
			}
			inv := lndInvoice(t, e.lnd, hash)
			switch {
			case r.err == nil && r.p.Status == node.PaymentStatusSucceeded:
				if inv.State != "SETTLED" || hex.EncodeToString(r.p.Preimage[:]) != inv.RPreimage {
					t.Fatalf("cut at %d: lnkit paid, lnd's invoice is %s", cut, inv.State)
				}
			case errors.Is(r.err, node.ErrPaymentFailed):
				if inv.State == "SETTLED" {
					t.Fatalf("cut at %d: lnkit says failed (%v), lnd settled the invoice", cut, r.err)
				}
			default:
				t.Fatalf("cut at %d: payment %+v, %v", cut, r.p, r.err)
			}
			checkBalances(t, e, e.lnd, id, point)
			t.Logf("cut at byte %d of %d (after the payment's outcome: %v): payment %v, lnd's invoice %s", cut, total, outcome, r.err, inv.State)
		}
		// The channel still carries payments both ways.
		payLnd(t, e, e.lnd, 5_000_000)
		payLnkit(t, e, e.lnd, 4_000_000)
		checkBalances(t, e, e.lnd, id, point)
	})
}
