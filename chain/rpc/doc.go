// Package rpc feeds package chain's push interface from a btcd or bitcoind
// node over JSON-RPC, using btcd's rpcclient (HTTP POST). It lives in its
// own module (github.com/lnkit/lnkit/chain/rpc) so that hosts that bring
// their own chain source never pull it in. It implements no BOLT; it is
// the host side of chain.Listener, chain.Filter, chain.Broadcaster,
// chain.FeeEstimator and chain.UTXOSource.
//
//   - Client (Dial) talks to the node: it detects btcd (getinfo) or
//     bitcoind, reads blocks and headers, and implements chain.Broadcaster
//     (sendrawtransaction, in order) and chain.FeeEstimator (estimatefee
//     on btcd, estimatesmartfee on bitcoind, in BTC/kvB, converted by
//     FeeRateFromBTCPerKvB: sat/kw = BTC/kvB × 25,000,000, clamped to
//     chain.FeeRateFloor, with a fallback rate when the node has no
//     estimate), and chain.UTXOSource (getblockhash, the block's txids,
//     cached for recent blocks, and gettxout without the mempool). Every
//     call takes a context.
//   - Poller follows the node's best chain and delivers BlockConnected and
//     BlockDisconnected to a chain.Listener in chain order, detecting
//     reorganisations by comparing block hashes back to the fork point. It
//     keeps its position (the last block delivered and the headers of the
//     last Window blocks) in a store.Store, so that after a restart it
//     resumes there, first disconnecting what left the best chain while it
//     was down. It runs one goroutine (Start, Stop) or is driven by Sync.
//   - WatchFilter implements chain.Filter: given to a Poller, only the
//     transactions matching the consumers' registrations are delivered,
//     with their true indexes in the block.
//
// Broadcast errors are *BroadcastError, which wraps the chain sentinel the
// node's message maps to (chain.ErrFeeTooLow, chain.ErrMissingInput,
// chain.ErrDoubleSpend, ...), rpcclient's own mapping and the node's
// *btcjson.RPCError. A package (a zero-fee parent and the child that pays
// for it) is sent one transaction at a time, since btcd has no package
// relay: btcd refuses such a parent with chain.ErrFeeTooLow, and the
// BroadcastError says which transaction it was and that its child was not
// sent.
//
// # Testing
//
// The tests run against a real btcd in regtest: ./run builds btcd from
// this module's go.mod (a tool dependency, the same v0.25.0 as the root
// module's) into bin/ and runs go test. Each test starts its own btcd on
// loopback ports with its state in a temporary directory and stops it by
// PID. Without the binary the node tests skip, except under CI=true,
// where they fail.
package rpc
