// Command payout is a small payout service over HTTP, the way a custodial
// app embeds an lnkit node: POST a payout (a BOLT 11 invoice, or a keysend
// to a node id) with an idempotency key, GET its status. Payouts are
// idempotent: the key becomes the node's payment id, so a retried POST
// never pays twice, even across restarts.
//
//	POST /payouts          {"key":"...", "invoice":"lnbc..."}
//	                       {"key":"...", "keysend":{"node":"02ab...", "amount_msat":1000, "records":{"65537":"6869"}}}
//	GET  /payouts/{key}
//
// Run without arguments it starts a demo: two nodes on a simulated chain
// with a channel between them, and the service on localhost:8080 paying
// from the first.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// Service is the payout HTTP handler over a node.
type Service struct {
	Node *node.Node
}

// PayoutRequest is the body of POST /payouts.
type PayoutRequest struct {
	// Key is the caller's idempotency key.
	Key     string         `json:"key"`
	Invoice string         `json:"invoice,omitempty"`
	Keysend *KeysendPayout `json:"keysend,omitempty"`
}

// KeysendPayout is a spontaneous payout.
type KeysendPayout struct {
	Node       string            `json:"node"`
	AmountMsat uint64            `json:"amount_msat"`
	Records    map[string]string `json:"records,omitempty"` // type -> hex value
}

// PayoutStatus is what the service reports about a payout.
type PayoutStatus struct {
	Key         string `json:"key"`
	Status      string `json:"status"`
	AmountMsat  uint64 `json:"amount_msat"`
	FeeMsat     uint64 `json:"fee_msat"`
	PaymentHash string `json:"payment_hash"`
	Preimage    string `json:"preimage,omitempty"`
	Failure     string `json:"failure,omitempty"`
}

// paymentID turns an idempotency key into the node's payment id.
func paymentID(key string) node.PaymentID {
	return node.PaymentID(sha256.Sum256([]byte("payout:" + key)))
}

func status(key string, p *node.Payment) PayoutStatus {
	s := PayoutStatus{Key: key, Status: p.Status.String(), AmountMsat: uint64(p.Amount), FeeMsat: uint64(p.Fee),
		PaymentHash: p.PaymentHash.String(), Failure: p.Failure}
	if p.Status == node.PaymentStatusSucceeded {
		s.Preimage = hex.EncodeToString(p.Preimage[:])
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/payouts":
		s.post(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/payouts/"):
		s.get(w, r, strings.TrimPrefix(r.URL.Path, "/payouts/"))
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Service) post(w http.ResponseWriter, r *http.Request) {
	var req PayoutRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Key == "" ||
		(req.Invoice == "") == (req.Keysend == nil) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "need a key and exactly one of invoice or keysend"})
		return
	}
	id := paymentID(req.Key)
	var p *node.Payment
	var err error
	if req.Invoice != "" {
		p, err = s.Node.PayInvoice(r.Context(), node.PayInvoiceRequest{Invoice: req.Invoice, ID: &id})
	} else {
		var ks node.KeysendRequest
		ks, err = keysendRequest(req.Keysend)
		if err == nil {
			ks.ID = &id
			p, err = s.Node.SendKeysend(r.Context(), ks)
		}
	}
	switch {
	case p != nil:
		writeJSON(w, http.StatusOK, status(req.Key, p))
	case errors.Is(err, node.ErrInvalidRequest), errors.Is(err, node.ErrDuplicatePayment):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	}
}

func keysendRequest(k *KeysendPayout) (node.KeysendRequest, error) {
	raw, err := hex.DecodeString(k.Node)
	if err != nil {
		return node.KeysendRequest{}, fmt.Errorf("%w: node id: %v", node.ErrInvalidRequest, err)
	}
	pub, err := btcec.ParsePubKey(raw)
	if err != nil {
		return node.KeysendRequest{}, fmt.Errorf("%w: node id: %v", node.ErrInvalidRequest, err)
	}
	req := node.KeysendRequest{Destination: pub, Amount: wire.MilliSatoshi(k.AmountMsat)}
	for t, v := range k.Records {
		typ, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return req, fmt.Errorf("%w: record type %q", node.ErrInvalidRequest, t)
		}
		val, err := hex.DecodeString(v)
		if err != nil {
			return req, fmt.Errorf("%w: record %d value", node.ErrInvalidRequest, typ)
		}
		req.CustomRecords = append(req.CustomRecords, wire.TLVRecord{Type: typ, Value: val})
	}
	return req, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request, key string) {
	id := paymentID(key)
	ps, err := s.Node.ListPayments(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	for i := range ps {
		if ps[i].ID == id {
			writeJSON(w, http.StatusOK, status(key, &ps[i]))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such payout"})
}

func main() {
	ctx := context.Background()
	d, err := newDemo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer d.close()
	log.Printf("payout service on http://localhost:8080, paying from %x; payee node %x",
		d.payer.NodeID().SerializeCompressed(), d.payee.NodeID().SerializeCompressed())
	log.Fatal(http.ListenAndServe("localhost:8080", &Service{Node: d.payer}))
}
