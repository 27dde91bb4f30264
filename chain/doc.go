// Package chain declares what lnkit needs from the Bitcoin chain and what
// it offers the host in return. It holds interfaces and a few small types,
// no implementation: the host adapts its node (bitcoind, btcd, Electrum,
// Esplora, a BIP 157 client) to them, and package chainsim implements all
// of them in memory for tests.
//
// # Push in: the SDK implements, the host calls
//
// Chain data is pushed into the SDK's consumers (channels, the monitor) in
// one of two models, as in LDK:
//
//   - Listener, for hosts that see every block: BlockConnected and
//     BlockDisconnected, the tip first on a reorganisation;
//   - Confirmer, for hosts that see transactions (Electrum, Esplora):
//     TransactionsConfirmed, TransactionUnconfirmed, BestBlockUpdated, and
//     RelevantTransactions, which the host checks for reorganisations.
//
// Listeners and Confirmers fan one host feed out to several consumers in
// order.
//
// # Called by the SDK, implemented by the host
//
//   - Filter: what the consumers must hear about (transactions and the
//     outputs whose spends matter);
//   - Broadcaster: publish a transaction, or a package ordered parents
//     first (a zero-fee parent with the anchor child that pays for it);
//   - FeeEstimator: a fee rate for a confirmation target, passed through
//     ClampFeeRate so it never falls below FeeRateFloor (253 sat/kw);
//   - Wallet: fund outputs as an unsigned PSBT whose outputs' indexes are
//     known before signing, sign the wallet's inputs, release an abandoned
//     PSBT's inputs, and give fresh scripts;
//   - UTXOSource (optional): the unspent output at a short_channel_id's
//     position, so that gossip can check announced channels' funding
//     outputs.
//
// # Threading
//
// The host delivers chain events to each consumer serially, in chain
// order, and never calls one consumer concurrently with itself; different
// consumers may be called from different goroutines. Inside a callback a
// consumer may call Filter, Broadcaster, FeeEstimator and Wallet, so a
// host implementation must not hold a lock that those methods need while
// it calls into a consumer. A consumer that returns an error is given the
// same event again later; consumers treat repeated events as no-ops.
// Blocking calls take a context.Context; Filter's methods and
// RelevantTransactions must not block and take none.
//
// Errors wrap the sentinels of errors.go (ErrMissingInput, ErrDoubleSpend,
// ErrScript, ErrNonFinal, ErrSequenceLock, ErrFeeTooLow, ErrInvalidTx,
// ErrInsufficientFunds, ErrOutputNotFound); test for them with errors.Is.
//
// Heights are uint32, as in short_channel_id and cltv_expiry; amounts are
// btcutil.Amount and fee rates wire.SatPerKWeight.
//
// The package imports only lnkit's wire and btcd, starts no goroutines and
// keeps no state.
package chain
