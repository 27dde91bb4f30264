// Package chainsim is an in-memory Bitcoin chain for tests and examples:
// a UTXO set, a mempool and real blocks, with which lnkit's consumers and
// their host interfaces (package chain) can be exercised without a node.
// A *Chain implements chain.Broadcaster and chain.FeeEstimator, hands
// blocks to chain.Listeners and matching transactions to chain.Confirmers
// (through a chain.Filter per Confirmer), and gives out *Wallets that
// implement chain.Wallet.
//
// # Blocks
//
// Blocks are btcd wire.MsgBlocks with a coinbase (BIP 34 height, BIP 141
// witness commitment), a correct merkle root, linked headers and regtest's
// minimum difficulty. The chain starts with one block at a chosen height
// (WithStartHeight, default 100) that holds the faucet's coins and stands
// for the history before it. Timestamps are not read from a clock: block h
// has timestamp StartTime + 600·h, and median time past is computed from
// those (BIP 113). Blocks are mined only on request: Mine (from the
// mempool, in acceptance order), MineEmpty, MineTx (exactly the given
// transactions), Faucet and Wallet.Fund (a block paying new coins), and
// Reorg.
//
// # Rules
//
// Every transaction is checked when it enters the mempool (for the next
// block) and again when a block holding it is mined:
//
//   - inputs and outputs present, output values between 0 and 21 million
//     BTC, no input twice (chain.ErrInvalidTx);
//   - every input spends an existing unspent output (chain.ErrMissingInput),
//     not one already spent in the chain or earlier in the same block or
//     package (chain.ErrDoubleSpend); a conflict with the mempool is a
//     replacement attempt;
//   - nLockTime: final if below the next block's height or, for a
//     timestamp lock time (500,000,000 or more), below the tip's median
//     time past, or if every sequence is final (chain.ErrNonFinal);
//   - BIP 68 relative lock times for version 2 and up, by height and by
//     time (units of 512 s of median time past); an output of an
//     unconfirmed transaction counts as confirmed in the next block;
//     coinbase outputs need 100 confirmations (chain.ErrSequenceLock);
//   - value in ≥ value out (chain.ErrInvalidTx);
//   - every input's script through txscript.NewEngine with
//     txscript.StandardVerifyFlags and a fetcher over all spent outputs,
//     which enforces witness rules, OP_CHECKLOCKTIMEVERIFY,
//     OP_CHECKSEQUENCEVERIFY, low-S and NULLFAIL (chain.ErrScript).
//
// The mempool adds a relay policy: weight at most 400,000, the minimum
// relay fee rate (WithMinRelayFeeRate, default 253 sat/kw, 0 allowed) with
// package evaluation for transactions broadcast together, and full
// replace-by-fee; Broadcast documents both. Blocks ignore the policy
// (MineTx can confirm a zero-fee transaction). Not modelled: sigop limits,
// ancestor and descendant count limits, dust and other standardness
// rules, mempool expiry and size limits, TRUC (v3) rules.
//
// A refused transaction gives a *RejectError naming the transaction, the
// input, the sentinel of the broken rule and the numbers involved, so a
// bad transaction from lnkit fails a test with its reason.
//
// # Reorganisations
//
// Reorg(ctx, depth, ...) disconnects the last depth blocks, returns their
// transactions to the mempool where still valid, and mines a branch at
// least as long; ReorgExclude keeps transactions out of it (a funding
// transaction that is no longer confirmed), ReorgInclude puts a
// conflicting one in (a double spend after the reorganisation).
//
// # Consumers and concurrency
//
// AddListener and AddConfirmer register consumers, which are told of each
// block in registration order, synchronously, inside the call that
// changed the chain. A Chain is safe for concurrent use: its state is
// guarded by one mutex, which is released while consumers run, so a
// consumer may broadcast, estimate fees, fund and sign with a Wallet,
// register with its Filter and query the chain from its callback (the
// monitor broadcasts from inside BlockConnected). The calls that mine
// (Mine, MineEmpty, MineTx, Reorg, Faucet, Wallet.Fund) are serialised
// with one another for the whole delivery, so blocks reach consumers in
// chain order; calling one of them from inside a callback deadlocks.
//
// # Determinism
//
// The package starts no goroutines and reads no clock. Keys come from an
// injectable io.Reader (WithRand, WithSeed); the default is a ChaCha8
// stream with a fixed seed, and ECDSA signatures use RFC 6979 nonces, so a
// test run twice builds the same transactions and blocks.
package chainsim
