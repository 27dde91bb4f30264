package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// storedBytes sums the store's values under prefix.
func storedBytes(t *testing.T, tnode *testNode, prefix string) (int, int) {
	t.Helper()
	ctx := context.Background()
	keys, err := tnode.st.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, k := range keys {
		v, err := tnode.st.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		total += len(k) + len(v)
	}
	return len(keys), total
}

// TestNodePrunePaymentsKeepsIdempotency prunes a payer's finished
// payments and a payee's finished invoices: the payer's ids and hashes go
// on answering (no second payment), the store shrinks, the summaries
// survive a restart, and a payment to a pruned invoice is refused with
// nothing moved.
func TestNodePrunePaymentsKeepsIdempotency(t *testing.T) {
	tn := newTestNet(t)
	// A short timeout for the payment that cannot succeed (within 30 s
	// of a start, a payment with no route waits for channels to come).
	a := tn.addNodeWith("alice", 5_000_000, func(p *Policy) { p.PaymentTimeout = 3 * time.Second })
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)

	var bolt11 []string
	var ids []PaymentID
	for i := 0; i < 3; i++ {
		inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 1_000_000, Description: "prune"})
		if err != nil {
			t.Fatal(err)
		}
		pid := PaymentID{9, byte(i)}
		if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11, ID: &pid}); err != nil {
			t.Fatal(err)
		}
		bolt11, ids = append(bolt11, inv.Bolt11), append(ids, pid)
	}
	ksID := PaymentID{9, 9}
	if _, err := a.SendKeysend(tn.ctx, KeysendRequest{Destination: b.NodeID(), Amount: 2_000_000, ID: &ksID}); err != nil {
		t.Fatal(err)
	}
	// A payment that fails: more than the channel can carry.
	big, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 2_000_000_000, Description: "too big"})
	if err != nil {
		t.Fatal(err)
	}
	failID := PaymentID{9, 8}
	ctx, cancel := context.WithTimeout(tn.ctx, 40*time.Second)
	defer cancel()
	if _, err := a.PayInvoice(ctx, PayInvoiceRequest{Invoice: big.Bolt11, ID: &failID}); !errors.Is(err, ErrPaymentFailed) {
		t.Fatalf("oversized payment: %v", err)
	}
	tn.waitFor("bob's balance", func() bool { return b.channel(t, id).Local == 5_000_000 })
	// It sent no part: parts that cannot add up to the amount would be
	// held by bob until his MPP timeout.
	if ps, _ := a.ListPayments(tn.ctx); len(ps) == 0 || ps[0].ID != failID || ps[0].Attempts != 0 {
		t.Fatalf("the oversized payment sent HTLCs: %+v", ps)
	}

	nFull, fullBytes := storedBytes(t, a, keyPayment)
	if nFull != 5 {
		t.Fatalf("%d payment records before pruning", nFull)
	}
	// Nothing created after the cut is pruned.
	if n, err := a.PrunePayments(tn.ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune before the payments: %d, %v", n, err)
	}
	before, _ := a.ListPayments(tn.ctx)
	n, err := a.PrunePayments(tn.ctx, time.Now().Add(time.Second))
	if err != nil || n != 5 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if k, _ := storedBytes(t, a, keyPayment); k != 0 {
		t.Fatalf("%d full payment records left", k)
	}
	nSum, sumBytes := storedBytes(t, a, keyPaymentSummary)
	if nSum != 5 || sumBytes >= fullBytes {
		t.Fatalf("%d summaries of %d bytes, from %d bytes", nSum, sumBytes, fullBytes)
	}
	t.Logf("payment history: %d bytes in full, %d pruned (%d payments)", fullBytes, sumBytes, nSum)

	checkSummaries := func(when string) {
		after, err := a.ListPayments(tn.ctx)
		if err != nil || len(after) != len(before) {
			t.Fatalf("%s: %d payments, %v", when, len(after), err)
		}
		for i := range after {
			w, g := before[i], after[i]
			if !g.Pruned || g.Route != nil || g.ID != w.ID || g.PaymentHash != w.PaymentHash || g.Status != w.Status ||
				g.Amount != w.Amount || g.Fee != w.Fee || g.Preimage != w.Preimage || g.Attempts != w.Attempts ||
				g.Keysend != w.Keysend || g.Failure != w.Failure || g.Destination != w.Destination || !g.CreatedAt.Equal(w.CreatedAt) {
				t.Fatalf("%s: payment %d is %+v, was %+v", when, i, g, w)
			}
		}
	}
	checkSummaries("after pruning")
	tn.restart(a)
	tn.connect(a, b)
	checkSummaries("after a restart")

	// The same id returns the summary; the same invoice is refused.
	again, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: bolt11[0], ID: &ids[0]})
	if err != nil || again.Status != PaymentStatusSucceeded || !again.Pruned {
		t.Fatalf("idempotent pay of a pruned payment: %+v, %v", again, err)
	}
	if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: bolt11[1]}); !errors.Is(err, ErrDuplicatePayment) {
		t.Fatalf("paying a pruned paid invoice again: %v", err)
	}
	if _, err := a.SendKeysend(tn.ctx, KeysendRequest{Destination: b.NodeID(), Amount: 2_000_000, ID: &ksID}); err != nil {
		t.Fatalf("idempotent keysend: %v", err)
	}
	if got := b.channel(t, id).Local; got != 5_000_000 {
		t.Fatalf("bob has %v after the repeated requests", got)
	}

	// Bob prunes his settled invoices and keysend records.
	open, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 1_000_000, Description: "still open"})
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := b.PruneInvoices(tn.ctx, time.Now().Add(time.Second))
	if err != nil || pruned != 4 { // three settled invoices and the keysend
		t.Fatalf("pruned %d invoices, %v", pruned, err)
	}
	invs, _ := b.ListInvoices(tn.ctx)
	if len(invs) != 2 { // the open one and the unpaid, unexpired big one
		t.Fatalf("%d invoices left", len(invs))
	}
	// A payment to a pruned invoice's hash is refused as unknown (alice
	// forgets her payment first, as a host paying from another node
	// would not have it).
	other := tn.addNode("other", 5_000_000)
	tn.connect(other, b)
	oid := tn.openChannel(other, b, 1_000_000, 0)
	_, err = other.PayInvoice(ctx, PayInvoiceRequest{Invoice: bolt11[2]})
	if !errors.Is(err, ErrPaymentFailed) || !strings.Contains(err.Error(), "incorrect_or_unknown_payment_details") {
		t.Fatalf("paying a pruned invoice: %v", err)
	}
	if _, err := other.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: open.Bolt11}); err != nil {
		t.Fatalf("paying the open invoice: %v", err)
	}
	tn.waitFor("bob's second channel", func() bool { return b.channel(t, oid).Local == 1_000_000 })
}
