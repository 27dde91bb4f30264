package channel

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Constraints are the limits one party announced in open_channel or
// accept_channel (BOLT 2) for the HTLCs the other party offers to it and
// the reserve the other party must keep.
type Constraints struct {
	// MaxHTLCValueInFlight is max_htlc_value_in_flight_msat: the most
	// the other party may have outstanding in HTLCs offered to this one.
	MaxHTLCValueInFlight wire.MilliSatoshi
	// ChannelReserve is channel_reserve_satoshis: what the other party
	// must keep on its side of the channel.
	ChannelReserve btcutil.Amount
	// HTLCMinimum is htlc_minimum_msat: the smallest HTLC this party
	// accepts.
	HTLCMinimum wire.MilliSatoshi
	// MaxAcceptedHTLCs is max_accepted_htlcs: how many HTLCs the other
	// party may offer to this one at once (at most 483).
	MaxAcceptedHTLCs uint16
}

func (c *Constraints) validate(who Side) error {
	if c.MaxAcceptedHTLCs == 0 || c.MaxAcceptedHTLCs > MaxHTLCs {
		return fmt.Errorf("%w: %s max_accepted_htlcs %d (BOLT 2: 1 to %d)", ErrInvalidParams, who, c.MaxAcceptedHTLCs, MaxHTLCs)
	}
	if c.ChannelReserve < 0 || c.ChannelReserve > btcutil.MaxSatoshi {
		return fmt.Errorf("%w: %s channel_reserve_satoshis %d", ErrInvalidParams, who, c.ChannelReserve)
	}
	if c.MaxHTLCValueInFlight == 0 {
		return fmt.Errorf("%w: %s max_htlc_value_in_flight_msat is 0", ErrInvalidParams, who)
	}
	return nil
}

// Policy is this node's local policy for a channel: limits the BOLTs leave
// to each node. The zero value of a field means its default.
type Policy struct {
	// MaxDustExposure bounds the total of HTLCs that are dust (trimmed)
	// in either commitment (BOLT 2 max_dust_htlc_exposure_msat). Default
	// 50 000 sat.
	MaxDustExposure wire.MilliSatoshi
	// MinFeeRate and MaxFeeRate bound the update_fee this node accepts.
	// Defaults: script.MinRelayFeeRate (253 sat/kw) and 100 000 sat/kw.
	MinFeeRate, MaxFeeRate wire.SatPerKWeight
	// OfferedHTLCGrace is G of BOLT 2 "cltv_expiry_delta Selection": the
	// channel fails once an HTLC this node offered is still unresolved
	// this many blocks after its cltv_expiry. Default 1.
	OfferedHTLCGrace uint32
	// FulfillDeadline is how many blocks before its cltv_expiry an HTLC
	// this node fulfilled must be resolved, or the channel fails so that
	// it is claimed on chain in time (BOLT 2 suggests 18). Default 18.
	FulfillDeadline uint32
	// FeeSpikeMultiple is the fee-spike buffer of BOLT 2: as opener, this
	// node offers an HTLC only if it could still pay the commitment fee
	// at this multiple of the current rate with one more HTLC. Default 2.
	FeeSpikeMultiple uint32
}

// Defaults of Policy.
const (
	DefaultMaxDustExposure  wire.MilliSatoshi  = 50_000_000
	DefaultMaxFeeRate       wire.SatPerKWeight = 100_000
	DefaultOfferedHTLCGrace                    = 1
	DefaultFulfillDeadline                     = 18
	DefaultFeeSpikeMultiple                    = 2
	minRelayFeeRate         wire.SatPerKWeight = 253
)

func (p Policy) withDefaults() Policy {
	if p.MaxDustExposure == 0 {
		p.MaxDustExposure = DefaultMaxDustExposure
	}
	if p.MinFeeRate == 0 {
		p.MinFeeRate = minRelayFeeRate
	}
	if p.MaxFeeRate == 0 {
		p.MaxFeeRate = DefaultMaxFeeRate
	}
	if p.OfferedHTLCGrace == 0 {
		p.OfferedHTLCGrace = DefaultOfferedHTLCGrace
	}
	if p.FulfillDeadline == 0 {
		p.FulfillDeadline = DefaultFulfillDeadline
	}
	if p.FeeSpikeMultiple == 0 {
		p.FeeSpikeMultiple = DefaultFeeSpikeMultiple
	}
	return p
}

// CommitmentSecrets gives this node's per-commitment secrets and points
// (BOLT 3 "Per-commitment Secret Requirements"). revocation.Producer
// implements it; an HSM can keep the seed to itself.
type CommitmentSecrets interface {
	// Secret returns the per_commitment_secret of a commitment number.
	Secret(commitmentNumber uint64) (revocation.Secret, error)
	// Point returns the per_commitment_point of a commitment number.
	Point(commitmentNumber uint64) (*btcec.PublicKey, error)
}

// MachineConfig is everything a Machine needs besides its state.
type MachineConfig struct {
	// Params are the channel's static parameters, from this node's view.
	Params *Params
	// LocalConstraints are the limits this node announced; they apply to
	// HTLCs the peer offers. RemoteConstraints are the peer's; they apply
	// to HTLCs this node offers.
	LocalConstraints, RemoteConstraints Constraints
	// Policy is this node's local policy.
	Policy Policy
	// Signer signs commitment_signed.
	Signer Signer
	// Secrets are this node's per-commitment secrets.
	Secrets CommitmentSecrets
}

// InitialState is the channel at commitment number 0, as the funding flow
// leaves it.
type InitialState struct {
	// LocalBalance and RemoteBalance are the balances of commitment 0,
	// from this node's view (push_msat already moved).
	LocalBalance, RemoteBalance wire.MilliSatoshi
	// FeeRate is the feerate_per_kw of open_channel.
	FeeRate wire.SatPerKWeight
	// RemoteSig is the peer's signature of this node's commitment 0
	// (funding_created or funding_signed).
	RemoteSig wire.Signature
	// RemotePoint is the peer's first_per_commitment_point.
	RemotePoint *btcec.PublicKey
	// LockIn says when the channel is usable.
	LockIn LockIn
	// Connected is set when the channel was opened on the current
	// connection to the peer, which needs no channel_reestablish.
	Connected bool
}

// phase is the Machine's life cycle stage.
type phase uint8

const (
	phaseNormal phase = iota
	phaseFailed
)

// connState tracks the connection as the protocol sees it.
type connState uint8

const (
	// connDown: disconnected; nothing may be sent.
	connDown connState = iota
	// connReestablishing: our channel_reestablish is sent, theirs
	// awaited.
	connReestablishing
	// connUp: normal exchange.
	connUp
)

// commitSpec is the content of one commitment other than its HTLCs: the
// HTLC set follows from the update log (see log.go).
type commitSpec struct {
	number            uint64
	feeRate           wire.SatPerKWeight
	toLocal, toRemote wire.MilliSatoshi
}

// Machine is the BOLT 2 state machine of one channel in normal operation:
// the two update logs, the commitment_signed / revoke_and_ack dance,
// update_fee, channel_reestablish and quiescence.
//
// It is a pure core. Each method takes one input (a peer message, a local
// command or a block height), changes the Machine's state, and returns the
// actions the host must perform, in order. It performs no I/O, reads no
// clock and starts no goroutine of its own (signing and verifying HTLC
// signatures may use SignCommitment's and VerifyCommitSigs's short-lived
// workers; see the package doc). See Action for the persistence rule.
//
// A violation by the peer fails the channel: the returned actions send the
// error message BOLT 2 prescribes and end with *ChannelFailed, the method
// returns an error wrapping ErrProtocolViolation, and from then on the
// Machine signs nothing. A local command that cannot be carried out (an
// HTLC over a limit, say) returns an error and changes nothing.
//
// A Machine is not safe for concurrent use: the host gives it one input at
// a time.
type Machine struct {
	cfg    MachineConfig
	p      *Params
	pol    Policy
	id     wire.ChannelID
	prefix string

	phase   phase
	failErr error
	conn    connState

	local      commitSpec  // our latest commitment
	remote     commitSpec  // their latest unrevoked commitment
	remoteNext *commitSpec // their new commitment awaiting revoke_and_ack
	localSigs  CommitSigs  // their signatures of local
	sentSig    *wire.CommitmentSigned
	// revokeAfterSig records that our latest revoke_and_ack was sent
	// after sentSig, for retransmission in the original order.
	revokeAfterSig bool

	remotePoint     *btcec.PublicKey // of remote
	remoteNextPoint *btcec.PublicKey // for the next remote commitment
	remoteSecrets   *revocation.Store

	log         []*logEntry
	htlcs       []*htlcState
	resolutions map[uint64]Action // outcomes of offered HTLCs not yet acknowledged
	nextID      [2]uint64         // next HTLC id offered by Local, Remote
	height      uint32
	signWant    bool // a sign was asked while waiting for revoke_and_ack

	// Shutdown and quiescence.
	localShutdown, remoteShutdown *wire.Shutdown
	stfuSent, stfuRecv            bool
	stfuWant                      bool // quiescence asked, stfu not yet sent
	stfuInitiator                 bool // we sent stfu with initiator=1
	remoteStfuInitiator           bool // the peer's stfu had initiator=1

	lock lockIn

	// points caches this node's latest two per-commitment points: the
	// next point sent in revoke_and_ack is the point of the next local
	// commitment.
	points [2]struct {
		n  uint64
		pt *btcec.PublicKey
	}

	// out collects the current step's results.
	out stepOut
}

// localPoint returns this node's per-commitment point n, derived once.
func (m *Machine) localPoint(n uint64) (*btcec.PublicKey, error) {
	for _, c := range m.points {
		if c.pt != nil && c.n == n {
			return c.pt, nil
		}
	}
	pt, err := m.cfg.Secrets.Point(n)
	if err != nil {
		return nil, fmt.Errorf("channel: per-commitment point %d: %w", n, err)
	}
	m.points[0] = m.points[1]
	m.points[1].n, m.points[1].pt = n, pt
	return pt, nil
}

// stepOut is what one input produces, before it becomes an action list.
type stepOut struct {
	ops      []PersistOp
	dirty    bool // the head record changed
	monitor  []*MonitorUpdate
	sends    []wire.Message
	events   []Action
	failed   *ChannelFailed
	htlcPuts []*htlcState
}

// NewMachine returns the Machine of a channel whose commitment 0 is
// signed by both sides, and the actions that persist it (and give the
// monitor its first commitment). The channel starts disconnected: call
// Reconnected once the peer is connected (or Connected for a channel that
// was just opened on the current connection).
func NewMachine(cfg MachineConfig, init *InitialState) (*Machine, []Action, error) {
	m, err := newMachine(cfg)
	if err != nil {
		return nil, nil, err
	}
	if init == nil || init.RemotePoint == nil {
		return nil, nil, fmt.Errorf("%w: missing initial state or remote first point", ErrInvalidParams)
	}
	if init.LocalBalance+init.RemoteBalance != wire.MilliSatoshi(cfg.Params.FundingAmount)*wire.MilliSatoshiPerSatoshi {
		return nil, nil, fmt.Errorf("%w: initial balances %v + %v", ErrBalanceMismatch, init.LocalBalance, init.RemoteBalance)
	}
	m.local = commitSpec{number: 0, feeRate: init.FeeRate, toLocal: init.LocalBalance, toRemote: init.RemoteBalance}
	m.remote = m.local
	m.localSigs = CommitSigs{CommitSig: init.RemoteSig}
	m.remotePoint = init.RemotePoint
	m.remoteSecrets = revocation.NewStore()
	m.lock.LockIn = init.LockIn
	m.height = init.LockIn.CreatedAt
	if init.Connected {
		m.conn = connUp
	}

	// Check the peer's signature of commitment 0 now: a channel must not
	// start from a commitment this node cannot broadcast.
	lst := m.stateOf(inLocal, m.local)
	lc, err := m.buildCommitment(Local, m.local, lst)
	if err != nil {
		return nil, nil, err
	}
	if err := VerifyCommitSigs(context.Background(), m.p, lc, &m.localSigs); err != nil {
		return nil, nil, err
	}
	rst := m.stateOf(inRemote, m.remote)
	rc, err := m.buildCommitment(Remote, m.remote, rst)
	if err != nil {
		return nil, nil, err
	}
	m.out.ops = append(m.out.ops, PersistOp{Key: m.prefix + keyParams, Value: m.encodeStatic()})
	m.out.ops = append(m.out.ops, PersistOp{Key: m.prefix + keyLocalSigs, Value: encodeSigs(&m.localSigs)})
	m.out.dirty = true
	m.monitorLocal(lc, lst)
	m.monitorRemote(rc, rst)
	m.checkLockIn()
	return m, m.finish(), nil
}

func newMachine(cfg MachineConfig) (*Machine, error) {
	if cfg.Params == nil {
		return nil, fmt.Errorf("%w: nil Params", ErrInvalidParams)
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	if cfg.Signer == nil || cfg.Secrets == nil {
		return nil, fmt.Errorf("%w: Signer and Secrets are required", ErrInvalidParams)
	}
	if err := cfg.LocalConstraints.validate(Local); err != nil {
		return nil, err
	}
	if err := cfg.RemoteConstraints.validate(Remote); err != nil {
		return nil, err
	}
	p := *cfg.Params
	cfg.Params = &p
	id := wire.NewChannelID(p.FundingOutpoint)
	return &Machine{
		resolutions: map[uint64]Action{},
		cfg:         cfg,
		p:           &p,
		pol:         cfg.Policy.withDefaults(),
		id:          id,
		prefix:      KeyPrefix(id),
	}, nil
}

// ChannelID returns the channel's id.
func (m *Machine) ChannelID() wire.ChannelID { return m.id }

// Params returns the channel's static parameters. The caller must not
// modify them.
func (m *Machine) Params() *Params { return m.p }

// Failed returns the reason the channel failed, or nil.
func (m *Machine) Failed() error { return m.failErr }

// LocalCommitmentNumber and RemoteCommitmentNumber return the numbers of
// the latest local commitment and of the peer's latest unrevoked one.
func (m *Machine) LocalCommitmentNumber() uint64 { return m.local.number }

// RemoteCommitmentNumber returns the number of the peer's latest
// unrevoked commitment.
func (m *Machine) RemoteCommitmentNumber() uint64 { return m.remote.number }

// NextHTLCID returns the id the next HTLC this node offers will have.
func (m *Machine) NextHTLCID() uint64 { return m.nextID[Local] }

// LocalState returns the content of this node's latest commitment.
func (m *Machine) LocalState() *State { return m.stateOf(inLocal, m.local) }

// RemoteState returns the content of the peer's latest unrevoked
// commitment (the one it can broadcast without being punished, besides a
// pending newer one).
func (m *Machine) RemoteState() *State { return m.stateOf(inRemote, m.remote) }

// LocalCommitment builds this node's latest commitment transaction
// (unsigned; SignedCommitmentTx completes it with LocalSigs).
func (m *Machine) LocalCommitment() (*Commitment, error) {
	return m.buildCommitment(Local, m.local, m.LocalState())
}

// LocalSigs returns the peer's signatures of the latest local commitment.
func (m *Machine) LocalSigs() CommitSigs {
	s := m.localSigs
	s.HTLCSigs = append([]wire.Signature(nil), s.HTLCSigs...)
	return s
}

// Balance is a snapshot of what each side can spend.
type Balance struct {
	// Local and Remote are the balances of this node's latest
	// commitment, before fees and HTLCs in flight.
	Local, Remote wire.MilliSatoshi
	// OfferedInFlight and ReceivedInFlight are the HTLCs outstanding in
	// each direction, in any commitment or pending.
	OfferedInFlight, ReceivedInFlight wire.MilliSatoshi
}

// Balance returns the balances of the latest local commitment.
func (m *Machine) Balance() Balance {
	b := Balance{Local: m.local.toLocal, Remote: m.local.toRemote}
	for _, h := range m.htlcs {
		if h.Direction == htlc.Offered {
			b.OfferedInFlight += h.Amount
		} else {
			b.ReceivedInFlight += h.Amount
		}
	}
	return b
}

// PendingIncoming returns the HTLCs the peer offered that are irrevocably
// committed and that this node has not yet fulfilled or failed, in the
// order they were added. After a restart the host replays them: each must
// be forwarded, claimed or failed.
func (m *Machine) PendingIncoming() []HTLCLockedIn {
	var out []HTLCLockedIn
	for _, h := range m.htlcs {
		if h.origin == Remote && h.add == nil && h.remove == nil {
			out = append(out, m.lockedIn(h))
		}
	}
	return out
}

// OfferedHTLCs returns the HTLCs this node offered that are not yet
// resolved, with their ids.
func (m *Machine) OfferedHTLCs() []htlc.HTLC {
	var out []htlc.HTLC
	for _, h := range m.htlcs {
		if h.origin == Local {
			out = append(out, h.HTLC)
		}
	}
	return out
}

// IsQuiescent reports whether both sides have sent stfu.
func (m *Machine) IsQuiescent() bool { return m.stfuSent && m.stfuRecv }

// finish turns the step's results into the ordered action list: one
// persist, then monitor updates, then sends, then events, then the failure
// (if any). Persisting first is always safe; each later action depends on
// it.
func (m *Machine) finish() []Action {
	o := &m.out
	if o.dirty || len(o.htlcPuts) > 0 {
		for _, h := range o.htlcPuts {
			if !h.persisted && !h.gone && h.stored() {
				o.ops = append(o.ops, PersistOp{Key: m.htlcKey(h.origin, h.ID), Value: encodeHTLC(h)})
				h.persisted = true
			}
		}
		o.ops = append(o.ops, PersistOp{Key: m.prefix + keyHead, Value: m.encodeHead()})
	}
	n := len(o.monitor) + len(o.sends) + len(o.events)
	if len(o.ops) > 0 {
		n++
	}
	if o.failed != nil {
		n++
	}
	acts := make([]Action, 0, n)
	if len(o.ops) > 0 {
		acts = append(acts, &Persist{Ops: o.ops})
	}
	for _, u := range o.monitor {
		acts = append(acts, u)
	}
	for _, msg := range o.sends {
		acts = append(acts, &Send{Msg: msg})
	}
	acts = append(acts, o.events...)
	if o.failed != nil {
		acts = append(acts, o.failed)
	}
	m.out = stepOut{}
	return acts
}

// abort drops the step's results after a local command failed; the
// command must have changed nothing.
func (m *Machine) abort() { m.out = stepOut{} }

// ready checks that the Machine can act on a local command.
func (m *Machine) ready() error {
	if m.phase == phaseFailed {
		return fmt.Errorf("%w: %v", ErrChannelFailed, m.failErr)
	}
	if m.conn != connUp {
		return ErrDisconnected
	}
	return nil
}

// fail moves the channel to the failed state, telling the peer with an
// error message when sendError is set.
func (m *Machine) fail(err error, sendError, broadcast bool, point *btcec.PublicKey) error {
	if m.phase == phaseFailed {
		return err
	}
	m.phase = phaseFailed
	m.failErr = err
	m.out.dirty = true
	if sendError && m.conn != connDown {
		m.out.sends = append(m.out.sends, &wire.Error{ChannelID: m.id, Data: []byte(err.Error())})
	}
	// HTLCs this node proposed that no commitment of the peer holds can
	// be failed upstream now: they will never be on chain.
	for _, h := range m.htlcs {
		if h.origin == Local && h.add != nil && h.add.stage == stageProposed {
			m.resolve(h.ID, &HTLCFailed{
				ChannelID: m.id, ID: h.ID, PaymentHash: h.PaymentHash, Amount: h.Amount,
				Local: fmt.Errorf("%w: the channel failed before the HTLC was committed", ErrChannelFailed),
			})
		}
	}
	m.out.failed = &ChannelFailed{ChannelID: m.id, Err: err, Broadcast: broadcast, RemotePoint: point}
	return err
}

// violation fails the channel because of the peer: it sends an error and
// asks the host to broadcast the local commitment.
func (m *Machine) violation(format string, args ...any) ([]Action, error) {
	err := fmt.Errorf("%w: "+format, append([]any{ErrProtocolViolation}, args...)...)
	m.fail(err, true, true, nil)
	return m.finish(), err
}

// reserveOf is the reserve side s must keep: the value the other side
// announced.
func (m *Machine) reserveOf(s Side) btcutil.Amount {
	if s == Local {
		return m.cfg.RemoteConstraints.ChannelReserve
	}
	return m.cfg.LocalConstraints.ChannelReserve
}

// constraintsFor are the limits that apply to HTLCs offered by s: those
// the receiver announced.
func (m *Machine) constraintsFor(s Side) *Constraints {
	if s == Local {
		return &m.cfg.RemoteConstraints
	}
	return &m.cfg.LocalConstraints
}

// buildCommitment builds owner's commitment for spec and st.
func (m *Machine) buildCommitment(owner Side, spec commitSpec, st *State) (*Commitment, error) {
	var point *btcec.PublicKey
	var err error
	switch {
	case owner == Local:
		point, err = m.localPoint(spec.number)
		if err != nil {
			return nil, err
		}
	case spec.number == m.remote.number:
		point = m.remotePoint
	default:
		point = m.remoteNextPoint
	}
	if point == nil {
		return nil, fmt.Errorf("%w: no per-commitment point for remote commitment %d", ErrInvalidParams, spec.number)
	}
	return NewCommitment(m.p, owner, st, point)
}

// errBalance wraps a balance failure found while projecting a commitment.
var errBalance = errors.New("balance underflow")

// feeRateTooHigh reports a fee rate whose commitment fee cannot be
// represented: a guard for arithmetic, not a policy.
func feeRateTooHigh(r wire.SatPerKWeight) bool {
	return script.CommitFee(script.Anchors, r, 2*MaxHTLCs) > btcutil.MaxSatoshi
}

// Drained reports whether no HTLC and no update is left in the channel:
// after both shutdown messages, the cooperative close can start (BOLT 2).
func (m *Machine) Drained() bool { return len(m.htlcs) == 0 && len(m.log) == 0 && m.remoteNext == nil }

// Reserve returns the channel reserve side s must keep (the value the
// other side announced).
func (m *Machine) Reserve(s Side) btcutil.Amount { return m.reserveOf(s) }

// Spendable estimates what side s could offer in one more HTLC now: its
// balance in the other side's next commitment, less its reserve and, as
// opener, the commitment fee (with the fee-spike buffer for this node)
// for one more HTLC. AddHTLC remains the authority.
func (m *Machine) Spendable(s Side) wire.MilliSatoshi {
	owner := s.Other()
	var spec commitSpec
	var in inFunc
	var err error
	if owner == Remote {
		spec, err = m.nextRemoteSpec()
		in = inNextRemote
	} else {
		spec, err = m.nextLocalSpec()
		in = inNextLocal
	}
	if err != nil {
		return 0
	}
	bal := spec.toLocal
	if s == Remote {
		bal = spec.toRemote
	}
	need := wire.MilliSatoshi(m.reserveOf(s)) * wire.MilliSatoshiPerSatoshi
	if s == m.p.Opener {
		// The new HTLC adds an output; this node, as AddHTLC does, also
		// keeps the fee-spike buffer: one more HTLC at a multiple of the
		// rate.
		mult, extra := uint32(1), 1
		if s == Local {
			mult, extra = m.pol.FeeSpikeMultiple, 2
		}
		need += wire.MilliSatoshi(m.commitCharge(owner, m.stateOf(in, spec), spec.feeRate, mult, extra)) * wire.MilliSatoshiPerSatoshi
	}
	if bal <= need {
		return 0
	}
	return bal - need
}

// Connected reports whether the channel is connected and reestablished:
// messages for it may be sent.
func (m *Machine) Connected() bool { return m.conn == connUp }
