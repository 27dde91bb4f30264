// Package node is a Lightning wallet in a box: it composes lnkit's
// packages (peer, channel, monitor, onion, invoice, keysend, routing)
// into a node that a host embeds to open channels, pay and get paid,
// without writing protocol code.
//
// # Building and running
//
// New takes a Config: the host's parts (a store.Store, or a store.File
// in DataDir by default; a chain.Broadcaster, chain.FeeEstimator and
// chain.Wallet; optionally a chain.UTXOSource to check announced funding
// outputs, a listener and a dialer; a *slog.Logger), a seed from which
// every key is derived, and a Policy (fees, CLTV deltas, timeouts).
// Start loads the store and starts the node's goroutines; Stop returns
// once all of them have ended. The host feeds blocks with BlockConnected.
//
// # One loop, one batch
//
// All state lives in one goroutine (the loop). Each turn of the loop
// collects its writes in one store batch and makes it durable before any
// message the turn produced is sent, so every channel state a message
// commits to survives a crash: after a restart the node replays what it
// had decided (settles, failures, forwards) and never pays twice or
// forgets an HTLC in flight. Methods that block take a context.Context;
// a method that returns without error has had its effect recorded.
//
// # Paying
//
// PayInvoice pays a BOLT 11 invoice, SendKeysend a spontaneous payment
// (bLIP 3, with custom records), PayBlinded a payee known only by
// blinded paths. Routes come from direct channels, route hints and the
// gossip graph; a payment that no single route carries is split (basic
// MPP, keysend too); failed parts are retried on other routes, with the
// failing channel or node penalised, until Policy.PaymentTimeout. A
// payment id makes a call idempotent. ListPayments and PrunePayments
// manage the history.
//
// # Receiving and forwarding
//
// CreateInvoice makes an invoice (with route hints for private
// channels); BlindedPaths makes blinded paths to this node for one
// (BOLT 4 route blinding), padded with dummy hops (Policy.BlindedDummyHops)
// so that a path's length does not place the node. Incoming payments are checked against the
// invoice (payment secret or path_id, amount, expiry, CLTV), collected
// until their total arrives and settled together, or failed at the MPP
// timeout. HTLCs for other nodes are forwarded by the node's fee and CLTV
// policy, blinded ones by their route's relay data as well, and failures
// are passed back with attribution data.
//
// # Events
//
// Channel, payment, receipt and forward events go to Config.OnEvent, or
// to the Events channel; see Event for what a slow consumer costs.
package node
