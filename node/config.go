package node

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Config is what a Node is built from: the host's parts, a seed and
// policies. Only Seed, Network and the chain parts (Broadcaster,
// FeeEstimator, Wallet) are required.
type Config struct {
	// Seed is the node's secret: every key derives from it (16 to 64
	// bytes; see the package doc for the derivation).
	Seed []byte
	// Network is the chain the node runs on.
	Network *chaincfg.Params

	// Store keeps the node's state. When nil, a store.File is opened in
	// DataDir (which is then required).
	Store store.Store
	// DataDir is where the default store lives.
	DataDir string

	// Broadcaster, FeeEstimator and Wallet are the host's chain parts.
	// The host also pushes blocks in through the Node's chain.Listener
	// methods.
	Broadcaster  chain.Broadcaster
	FeeEstimator chain.FeeEstimator
	Wallet       chain.Wallet
	// Filter, when set, is told the outputs the node must see spent (the
	// funding outputs of its channels, and of channels it recovers), for
	// a host that hands in only the transactions that match (Electrum,
	// Esplora, compact filters). A host that pushes whole blocks may
	// leave it nil.
	Filter chain.Filter
	// UTXOs, when set, is asked for the funding output of each channel
	// another node announces: the channel enters the graph only if the
	// output exists, pays the 2-of-2 of the announcement's bitcoin keys
	// and is unspent, and its value becomes the channel's capacity (BOLT
	// 7). Without it, announced channels are taken unverified, with no
	// capacity (ChannelInfo.Capacity 0 in the graph), and the graph's
	// size bound is what limits channels a peer invents.
	UTXOs chain.UTXOSource

	// Dialer opens outgoing connections (default: net.Dialer).
	Dialer peer.ContextDialer
	// Listener, when set, accepts incoming connections.
	Listener net.Listener

	// Logger receives the node's logs (nil discards them).
	Logger *slog.Logger
	// Rand is the source of randomness (default crypto/rand).
	Rand io.Reader
	// Clock is the time source for invoice expiry, payment timeouts and
	// gossip pruning (default time.Now).
	Clock func() time.Time

	// Alias is the node alias announced in node_announcement.
	Alias string

	// Policy holds the node's channel, forwarding and payment policies.
	Policy Policy

	// OnEvent, when set, receives every event on the node's goroutine
	// (it must return quickly and must not call the Node); otherwise
	// events are read from Events.
	OnEvent func(Event)

	// OnMonitorUpdate, when set, receives every monitor update of every
	// channel (the peer's new commitments, its revealed per-commitment
	// secrets, this node's commitments and preimages), with the
	// channel's parameters from this node's view, on the node's
	// goroutine once the batch that holds the update is durable, in the
	// order the channel produced them. It must return quickly and must
	// not call the Node. A watchtower client (package monitor/wtclient:
	// RegisterChannel with the parameters, then BackupState of each
	// update) is fed from it.
	OnMonitorUpdate func(*channel.Params, *channel.MonitorUpdate)
}

// Policy is a node's policy. Zero fields take the defaults below.
type Policy struct {
	// MinDepth is the number of confirmations this node waits for before
	// using a channel it did not fund (default 3).
	MinDepth uint32
	// ToSelfDelay is the to_self_delay this node asks of its peers
	// (default 144).
	ToSelfDelay uint16
	// MaxToSelfDelay bounds the to_self_delay a peer may ask of this node
	// (default 2016).
	MaxToSelfDelay uint16
	// DustLimit is this node's dust_limit_satoshis (default 546).
	DustLimit btcutil.Amount
	// HTLCMinimum is the smallest HTLC this node accepts (default 1 sat).
	HTLCMinimum wire.MilliSatoshi
	// MaxAcceptedHTLCs is this node's max_accepted_htlcs (default 483).
	MaxAcceptedHTLCs uint16
	// ReservePercent is the channel reserve this node asks of its peers,
	// in percent of the channel (default 1).
	ReservePercent int
	// Channel is the normal-operation policy of every channel.
	Channel channel.Policy
	// AcceptZeroConf accepts zero-conf channels (option_zeroconf) from
	// peers: set it only for peers trusted not to double-spend.
	AcceptZeroConf bool

	// FeeBase and FeePPM are this node's forwarding fees
	// (fee_base_msat, fee_proportional_millionths; defaults 1000 msat and
	// 1 ppm). Zero means the default: set NoFeeBase or NoFeePPM for a
	// fee of zero.
	FeeBase wire.MilliSatoshi
	FeePPM  uint32
	// NoFeeBase and NoFeePPM make the base and proportional fees zero.
	NoFeeBase, NoFeePPM bool
	// CLTVDelta is this node's cltv_expiry_delta (default 80).
	CLTVDelta uint16

	// MinFinalCLTVDelta is the min_final_cltv_expiry_delta of this node's
	// invoices and the smallest it accepts on a received payment
	// (default 80).
	MinFinalCLTVDelta uint16
	// KeysendMinFinalCLTVDelta is the smallest final CLTV delta accepted
	// on a keysend payment, whose payer cannot know this node's invoice
	// delta (default 40, what keysend payers such as lnd use).
	KeysendMinFinalCLTVDelta uint16
	// FundingTimeout is how long a channel establishment may wait for the
	// peer before it is abandoned (default 60 s): nothing stays
	// half-open, and the wallet's inputs are released.
	FundingTimeout time.Duration
	// InvoiceExpiry is the default invoice expiry (default 1 hour).
	InvoiceExpiry time.Duration
	// MPPTimeout is how long the parts of a multi-part payment are held
	// before they all fail (default 60 s).
	MPPTimeout time.Duration
	// PaymentTimeout bounds the retries of an outgoing payment (default
	// 60 s).
	PaymentTimeout time.Duration
	// MaxFeePercent bounds the routing fee of a payment the caller gave
	// no limit for, in percent of the amount (default 1, and never below
	// 1000 msat).
	MaxFeePercent float64

	// BlindedDummyHops is how many dummy hops BlindedPaths appends to
	// each path after this node's own hop (BOLT 4 "Route Blinding":
	// MAY), so that a payer cannot tell from a path's length that the
	// payee is the introduction node's peer (default 1, at most
	// MaxBlindedDummyHops). A dummy hop is this node again: it peels the
	// layer itself, and the hop charges no fee and no CLTV delta. Set
	// NoBlindedDummyHops for none.
	BlindedDummyHops int
	// NoBlindedDummyHops builds blinded paths without dummy hops.
	NoBlindedDummyHops bool
	// BlindedRealHops is how many forwarding nodes BlindedPaths puts
	// before this node in each path: 1 (the default) makes the channel
	// peer the introduction node; 2 puts a node with a public channel to
	// the peer before it, from the graph, so that the introduction node
	// a payer sees is two real hops away (a path through the peer alone
	// when the graph has no such node).
	BlindedRealHops int
	// BlindedFailureDelay is how long, at most, this node as an
	// introduction node holds a failure that came back from inside a
	// blinded route before it returns invalid_onion_blinding: a random
	// time between half of it and all of it, so that a prober cannot time
	// its distance to the payee (BOLT 4 "Route Blinding", rationale).
	// Default 1 s; set NoBlindedFailureDelay for none.
	BlindedFailureDelay time.Duration
	// NoBlindedFailureDelay returns such failures at once.
	NoBlindedFailureDelay bool
}

// Defaults of Policy.
const (
	DefaultMinDepth            = 3
	DefaultToSelfDelay         = 144
	DefaultMaxToSelfDelay      = 2016
	DefaultDustLimit           = 546
	DefaultFeeBase             = 1000
	DefaultFeePPM              = 1
	DefaultCLTVDelta           = 80
	DefaultMinFinalCLTVDelta   = 80
	DefaultInvoiceExpiry       = time.Hour
	DefaultMPPTimeout          = 60 * time.Second
	DefaultPaymentTimeout      = 60 * time.Second
	DefaultMaxFeePercent       = 1.0
	DefaultBlindedDummyHops    = 1
	DefaultBlindedFailureDelay = time.Second
	// MaxBlindedDummyHops bounds Policy.BlindedDummyHops, and the dummy
	// layers this node peels from one HTLC: each takes a payer's onion
	// space, and a peel costs an ECDH.
	MaxBlindedDummyHops = 4
)

func (p Policy) withDefaults() Policy {
	if p.MinDepth == 0 {
		p.MinDepth = DefaultMinDepth
	}
	if p.ToSelfDelay == 0 {
		p.ToSelfDelay = DefaultToSelfDelay
	}
	if p.MaxToSelfDelay == 0 {
		p.MaxToSelfDelay = DefaultMaxToSelfDelay
	}
	if p.DustLimit == 0 {
		p.DustLimit = DefaultDustLimit
	}
	if p.HTLCMinimum == 0 {
		p.HTLCMinimum = 1000
	}
	if p.MaxAcceptedHTLCs == 0 {
		p.MaxAcceptedHTLCs = channel.MaxHTLCs
	}
	if p.ReservePercent == 0 {
		p.ReservePercent = 1
	}
	if p.NoFeeBase {
		p.FeeBase = 0
	} else if p.FeeBase == 0 {
		p.FeeBase = DefaultFeeBase
	}
	if p.NoFeePPM {
		p.FeePPM = 0
	} else if p.FeePPM == 0 {
		p.FeePPM = DefaultFeePPM
	}
	if p.CLTVDelta == 0 {
		p.CLTVDelta = DefaultCLTVDelta
	}
	if p.MinFinalCLTVDelta == 0 {
		p.MinFinalCLTVDelta = DefaultMinFinalCLTVDelta
	}
	if p.KeysendMinFinalCLTVDelta == 0 {
		p.KeysendMinFinalCLTVDelta = 40
	}
	if p.FundingTimeout == 0 {
		p.FundingTimeout = 60 * time.Second
	}
	if p.InvoiceExpiry == 0 {
		p.InvoiceExpiry = DefaultInvoiceExpiry
	}
	if p.MPPTimeout == 0 {
		p.MPPTimeout = DefaultMPPTimeout
	}
	if p.PaymentTimeout == 0 {
		p.PaymentTimeout = DefaultPaymentTimeout
	}
	if p.MaxFeePercent == 0 {
		p.MaxFeePercent = DefaultMaxFeePercent
	}
	if p.NoBlindedFailureDelay {
		p.BlindedFailureDelay = 0
	} else if p.BlindedFailureDelay == 0 {
		p.BlindedFailureDelay = DefaultBlindedFailureDelay
	}
	if p.BlindedRealHops == 0 {
		p.BlindedRealHops = 1
	}
	if p.NoBlindedDummyHops {
		p.BlindedDummyHops = 0
	} else if p.BlindedDummyHops == 0 {
		p.BlindedDummyHops = DefaultBlindedDummyHops
	}
	return p
}

// Errors of the Node.
var (
	// ErrStopped reports a call on a Node that is not running.
	ErrStopped = errors.New("node: not running")
	// ErrUnknownPeer reports a peer the node is not connected to.
	ErrUnknownPeer = errors.New("node: peer not connected")
	// ErrUnknownChannel reports a channel the node does not have.
	ErrUnknownChannel = errors.New("node: unknown channel")
	// ErrNoRoute reports a payment with no route to the destination.
	ErrNoRoute = errors.New("node: no route")
	// ErrPaymentFailed reports a payment that failed for good.
	ErrPaymentFailed = errors.New("node: payment failed")
	// ErrDuplicatePayment reports a payment id or hash already used.
	ErrDuplicatePayment = errors.New("node: payment already exists")
	// ErrInvalidRequest reports a request with missing or bad fields.
	ErrInvalidRequest = errors.New("node: invalid request")
)
