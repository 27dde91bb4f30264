package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// Payment and invoice history.
//
// A finished payment keeps its attempts (for each HTLC tried, its route
// and onion shared secrets: about 30 bytes plus 85 a hop) until the host
// prunes it. PrunePayments replaces each finished payment created before
// a time with a summary of about 210 bytes (with its key) that keeps what
// the payment's id and hash must go on answering for: an idempotent retry
// with the same id returns the summary, and a succeeded hash is still
// refused as already paid. PruneInvoices deletes finished invoices
// outright: an HTLC that arrives later for a pruned invoice's hash is
// refused as unknown, which costs the payer nothing.

const keyPaymentSummary = "node/paysum/"

// PrunePayments drops the attempts and routes of every payment that
// finished (succeeded or failed, no HTLC out) before `before`, keeping a
// summary (status, hash, destination, amount, fee, preimage, attempt
// count, failure): ListPayments still lists it, with Pruned set, and a
// request with its id returns it again instead of paying. It reports how
// many payments it pruned.
func (n *Node) PrunePayments(ctx context.Context, before time.Time) (int, error) {
	count := 0
	err := n.do(ctx, func() error {
		for id, p := range n.pays.byID {
			if p.Pruned || p.Status == PaymentStatusInFlight || !p.CreatedAt.Before(before) || !allAttemptsDone(p) {
				continue
			}
			s := summarize(p)
			n.batch.Delete(keyPayment + id.String())
			n.batch.Put(keyPaymentSummary+id.String(), encodePaymentSummary(s))
			for _, a := range p.attempts {
				delete(n.pays.owner, a)
				if n.pays.byHTLC[fwdKey{a.ch, a.htlcID}] == a {
					delete(n.pays.byHTLC, fwdKey{a.ch, a.htlcID})
				}
			}
			n.pays.byID[id] = s
			count++
		}
		return nil
	})
	return count, err
}

func allAttemptsDone(p *payment) bool {
	for _, a := range p.attempts {
		if !a.done {
			return false
		}
	}
	return true
}

// summarize is what a pruned payment keeps.
func summarize(p *payment) *payment {
	s := &payment{Payment: p.Payment}
	s.Route = nil
	s.Pruned = true
	return s
}

// encodePaymentSummary is the stored form of a pruned payment.
func encodePaymentSummary(p *payment) []byte {
	b := []byte{1}
	b = append(b, p.PaymentHash[:]...)
	b = append(b, p.Destination[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(p.Fee))
	b = append(b, byte(p.Status))
	b = append(b, p.Preimage[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(p.Attempts))
	b = appendBool(b, p.Keysend)
	b = binary.BigEndian.AppendUint64(b, uint64(p.CreatedAt.UnixNano()))
	return appendVar(b, []byte(p.Failure))
}

func decodePaymentSummary(v []byte) (*payment, error) {
	r := wire.NewReader(v)
	if r.U8("version") != 1 {
		return nil, errors.New("unknown version")
	}
	p := &payment{}
	p.Pruned = true
	r.Copy(p.PaymentHash[:], "hash")
	r.Copy(p.Destination[:], "dest")
	p.Amount = wire.MilliSatoshi(r.U64("amount"))
	p.Fee = wire.MilliSatoshi(r.U64("fee"))
	p.Status = PaymentStatus(r.U8("status"))
	r.Copy(p.Preimage[:], "preimage")
	p.Attempts = int(r.U32("attempts"))
	p.Keysend = r.U8("keysend") == 1
	p.CreatedAt = time.Unix(0, int64(r.U64("created")))
	p.Failure = string(readVar(&r, "failure"))
	if err := r.Err(); err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", r.Len())
	}
	// Only finished payments are pruned.
	if p.Status != PaymentStatusSucceeded && p.Status != PaymentStatusFailed {
		return nil, fmt.Errorf("pruned payment with status %d", uint8(p.Status))
	}
	return p, nil
}

// loadSummaries reads the pruned payments (at start, before the loop).
func (ps *payments) loadSummaries(ctx context.Context) error {
	keys, err := ps.n.st.List(ctx, keyPaymentSummary)
	if err != nil {
		return err
	}
	for _, k := range keys {
		raw, err := hex.DecodeString(k[len(keyPaymentSummary):])
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("node: payment summary key %s", k)
		}
		var id PaymentID
		copy(id[:], raw)
		if _, full := ps.byID[id]; full {
			// A crash cannot leave both (one batch deletes the one and
			// writes the other); the full record would win.
			continue
		}
		v, err := ps.n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		p, err := decodePaymentSummary(v)
		if err != nil {
			return fmt.Errorf("node: payment summary %s: %w", k, err)
		}
		p.ID = id
		ps.byID[id] = p
	}
	return nil
}

// PruneInvoices deletes every invoice that is finished before `before`:
// settled (SettledAt before it), canceled, or expired unpaid (ExpiresAt
// before it), with no part of a payment still held; and the records of
// keysend payments received before it. A payment that arrives later for a
// pruned hash is refused as unknown. It reports how many it deleted.
func (n *Node) PruneInvoices(ctx context.Context, before time.Time) (int, error) {
	count := 0
	err := n.do(ctx, func() error {
		now := n.now()
		for hash, inv := range n.invs.byID {
			if _, collecting := n.invs.sets[hash]; collecting {
				continue
			}
			var done bool
			switch inv.State {
			case InvoiceSettled:
				done = inv.SettledAt.Before(before)
			case InvoiceCanceled:
				done = inv.CreatedAt.Before(before)
			case InvoiceOpen:
				done = !inv.keysend && inv.ExpiresAt.Before(before) && inv.ExpiresAt.Before(now) && len(inv.parts) == 0
			}
			if !done {
				continue
			}
			n.batch.Delete(keyInvoice + hex.EncodeToString(hash[:]))
			delete(n.invs.byID, hash)
			count++
		}
		return nil
	})
	return count, err
}
