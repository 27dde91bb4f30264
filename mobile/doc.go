// Package mobile is the Lightning node of package node for mobile apps,
// shaped to be bound whole by gomobile (gobind) for Android
// (Java/Kotlin, an .aar) and iOS (Objective-C/Swift, an .xcframework).
//
// Its exported API uses only what gobind binds: bool, int, int32, int64,
// float64, string, []byte, error, and structs and interfaces made of
// those. Amounts are int64 millisatoshis (fields end in Msat) or
// satoshis where Lightning counts in satoshis (Sat: channel capacity,
// reserves, on-chain values); keys, hashes and ids are hex strings;
// times are int64 unix milliseconds (Ms); fee rates are sat per 1000
// weight units (SatPerKw). Lists are small read-only types with Len and
// Get(i); blocking calls take a timeout in milliseconds instead of a
// context. mobile/bind/run checks that gobind skips no symbol of the
// package. The package does not import golang.org/x/mobile and uses no
// cgo: gobind's generated glue is the only cgo in an app.
//
// # What the app does
//
// Build a Config (network, a private data directory, a seed), then
// NewNode with the host's ChainBackend and Wallet and an EventListener,
// Start, and push the chain's tip with BlockConnected. Then: NodeID,
// Connect (node id and host:port), OpenChannel, ListChannels and
// Balances, CreateInvoice, DecodeInvoice (a package function: no node
// needed), PayInvoice, SendKeysend with CustomRecords, ListPayments,
// ListInvoices, CloseChannel (cooperative or force), ExportBackup and
// RestoreBackup, Stop. A Node runs once; to come back from the
// background, build a new one on the same data directory and seed.
//
// Seeds are 16 to 64 bytes, as Config.Seed or Config.SeedHex. The BIP 39
// functions (NewMnemonic, MnemonicFromEntropy, MnemonicToEntropy,
// ValidateMnemonic, SeedFromMnemonic) implement the English word list
// with its checksum and are tested against the Trezor vectors;
// SeedFromMnemonic's 64 bytes are the node seed. Passphrases must be
// ASCII: the NFKD normalisation BIP 39 asks for other text is not
// implemented, and such a passphrase is refused rather than hashed
// differently from other wallets.
//
// # What the host supplies
//
// The host reaches the chain, typically through Electrum or Esplora:
//
//   - ChainBackend: Broadcast and BroadcastPackage (hex), FeeRate, and
//     WatchTransaction and WatchOutput, which tell the host what the node
//     must hear about (funding transactions, spends of funding outputs);
//   - Wallet: the host's on-chain wallet, through BIP 174 PSBTs in
//     base64: FundPsbt, SignPsbt, ReleaseInputs, NewScript. The adapter
//     checks every funded PSBT against the request (outputs in place,
//     caller inputs in place, witness UTXOs, segwit inputs only, the fee
//     the PSBT really pays, the change index) and refuses, releasing its
//     inputs, one that would misplace or underpay a funding output;
//   - the block feed: the host calls Node.BlockConnected with the
//     header, height and the block's transactions (all, or the watched
//     ones, with their positions), or BlockConnectedRaw with a whole
//     block, and BlockDisconnected on a reorganisation.
//
// A refused broadcast should start with one of the Broadcast codes
// ("FEE_TOO_LOW: ..."); bitcoind's reject reasons, which Electrum and
// Esplora pass on, are understood too, and "already known" counts as
// success. Storage is not the host's: the node keeps a crash-safe
// store.File in Config.DataDir (one fdatasync per write), since a store
// across the language bridge would be slow and easy to get wrong.
//
// # Events and threads
//
// Methods are safe for concurrent use and block only the caller's
// thread (call them off the UI thread). The EventListener is called on
// one goroutine of the node, in order, and may call the Node (not
// Stop). OnChannelReady comes once per channel and Node; the node
// reports a channel only when a block completes it, so the facade also
// watches the channels' state (every second and before each other
// event) to report the common case where the peer's channel_ready
// comes last. Forwarded HTLCs (node.HTLCForwarded) have no listener
// method: a phone's node with one or two channels seldom forwards.
//
// # Errors
//
// Every error is a *CodedError with a Code (CodeNoRoute,
// CodeInsufficientFunds, ...) and a message that starts with the code,
// so that a host that sees only an exception's message gets the code
// back with ErrorCode. In Go, errors.Is reaches the cause (node.ErrNoRoute,
// chain.ErrInsufficientFunds, invoice.ErrInvalidChecksum, ...).
//
// # Demos and tests
//
// NewSimulatedChain is an in-memory regtest chain (package
// chain/chainsim) that implements ChainBackend, gives out
// SimulatedWallets that implement Wallet, and feeds attached nodes
// through the same bound calls a host makes, whole blocks or (with
// SetFilteredBlocks) only the watched transactions. An app can run two
// nodes and pay between them with no network.
package mobile
