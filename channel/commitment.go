package channel

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// MaxHTLCs is the most HTLCs one side may have outstanding towards the
// other: BOLT 2 caps max_accepted_htlcs at 483.
const MaxHTLCs = 483

// CommitmentTxVersion is the version of commitment transactions.
const CommitmentTxVersion = 2

// MaxCLTVExpiry bounds an HTLC's cltv_expiry: BOLT 2 update_add_htlc
// requires it to be less than 500000000. Bitcoin reads a larger locktime
// as a Unix timestamp, which is already in the past, so the HTLC-timeout
// transaction would be valid at once and the offerer could take back an
// HTLC it had just offered.
const MaxCLTVExpiry = 500_000_000

// State is the content of one commitment: the balances and HTLCs both
// parties have agreed on, seen from this node (Local). The same State gives
// both the local and the remote commitment transaction.
type State struct {
	// Number is the 48-bit commitment number.
	Number uint64
	// FeeRate is feerate_per_kw.
	FeeRate wire.SatPerKWeight
	// LocalBalance and RemoteBalance are to_local_msat and to_remote_msat
	// of this node's commitment: what each side owns outside HTLCs, before
	// the commitment fee and anchors are taken from the opener.
	LocalBalance, RemoteBalance wire.MilliSatoshi
	// HTLCs are the committed HTLCs. Direction is as seen from this node:
	// htlc.Offered for HTLCs this node offered.
	HTLCs []htlc.HTLC
}

// Output describes one output a commitment may hold.
type Output struct {
	// Index is the output's index in the commitment transaction, or -1
	// when the output is absent (trimmed, or not used by the channel type).
	Index int
	// Value is the output's amount (whether or not it is present).
	Value btcutil.Amount
	// WitnessScript is the script a spend must reveal; nil for P2WPKH.
	WitnessScript []byte
	// PkScript is the output script.
	PkScript []byte
}

// Present reports whether the output is in the transaction.
func (o *Output) Present() bool { return o.Index >= 0 }

// CommitHTLC is an untrimmed HTLC of a commitment transaction.
type CommitHTLC struct {
	// HTLC is the HTLC; its Direction is from the commitment owner's
	// point of view.
	htlc.HTLC
	// Output is the HTLC output; WitnessScript is the offered or received
	// HTLC script.
	Output Output
	// SecondLevelTx is the unsigned HTLC-timeout (offered) or HTLC-success
	// (received) transaction that spends the output on the owner's behalf.
	// Its output pays Commitment.SecondLevelScript.
	SecondLevelTx *btcwire.MsgTx
}

// Commitment is one side's commitment transaction with everything needed to
// sign it, verify it and later spend its outputs. A Commitment is not
// modified after construction and is safe for concurrent reads.
type Commitment struct {
	// Owner is the side whose commitment this is: its to_local output is
	// delayed and revocable.
	Owner Side
	// Type is the channel type.
	Type script.ChannelType
	// Number is the commitment number.
	Number uint64
	// FeeRate is feerate_per_kw.
	FeeRate wire.SatPerKWeight
	// Keys are the commitment's keys.
	Keys *CommitmentKeys

	// Tx is the unsigned commitment transaction.
	Tx *btcwire.MsgTx
	// TxHash is Tx's txid.
	TxHash chainhash.Hash
	// FundingScript is the 2-of-2 witness script Tx's input spends.
	FundingScript []byte
	// BaseFee is the commitment fee of BOLT 3 "Fee Calculation", which the
	// opener pays.
	BaseFee btcutil.Amount
	// Fee is what the transaction really pays: the funding amount minus
	// all outputs. It adds trimmed HTLCs, outputs below the dust limit,
	// the msat remainders of the balances and, when the opener cannot
	// afford them, nothing more.
	Fee btcutil.Amount

	// ToLocal is the owner's delayed output; ToRemote the other side's.
	ToLocal, ToRemote Output
	// LocalAnchor and RemoteAnchor are the owner's and the other side's
	// anchor outputs (option_anchors only).
	LocalAnchor, RemoteAnchor Output
	// HTLCs are the untrimmed HTLCs in output order: the order of the
	// htlc_signature fields of commitment_signed.
	HTLCs []CommitHTLC
	// Trimmed are the HTLCs without an output, their value added to the
	// fee; Direction is from the owner's point of view.
	Trimmed []htlc.HTLC
	// SecondLevelScript is the witness script of the output of every HTLC
	// transaction of this commitment (revocable, delayed by the owner's
	// to_self_delay). It equals ToLocal.WitnessScript.
	SecondLevelScript []byte
	// ToSelfDelay is the owner's to_self_delay: the CSV delay, in blocks,
	// of ToLocal and of every HTLC transaction output of this commitment.
	ToSelfDelay uint16
}

// output kinds used while sorting.
const (
	tagToLocal = -1 - iota
	tagToRemote
	tagLocalAnchor
	tagRemoteAnchor
)

// NewCommitment builds the commitment transaction of owner for state st,
// whose per-commitment point (the owner's) is point. See BuildCommitment.
func NewCommitment(p *Params, owner Side, st *State, point *btcec.PublicKey) (*Commitment, error) {
	keys, err := DeriveCommitmentKeys(p, owner, point)
	if err != nil {
		return nil, err
	}
	return BuildCommitment(p, owner, st, keys)
}

// BuildCommitment builds the commitment transaction of owner for state st
// with keys already derived for it (see DeriveCommitmentKeys), following
// BOLT 3 "Commitment Transaction Construction":
//
//  1. locktime and sequence carry the obscured commitment number;
//  2. HTLCs whose amount minus their second-stage fee is below the owner's
//     dust limit are trimmed;
//  3. the base fee, for the untrimmed HTLCs, and under option_anchors two
//     anchors of 330 sat, are taken from the opener's balance, floored at 0;
//  4. untrimmed HTLCs, then to_local and to_remote at or above the dust
//     limit, then under option_anchors an anchor for each side that has an
//     output or when any HTLC is untrimmed, become outputs;
//  5. outputs are sorted by BIP 69 with cltv_expiry breaking ties between
//     otherwise identical HTLC outputs.
//
// It also builds every HTLC-timeout and HTLC-success transaction. The
// result is a pure function of its inputs.
func BuildCommitment(p *Params, owner Side, st *State, keys *CommitmentKeys) (*Commitment, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if owner != Local && owner != Remote {
		return nil, fmt.Errorf("%w: side %d", ErrInvalidParams, owner)
	}
	if st == nil || keys == nil {
		return nil, fmt.Errorf("%w: nil state or keys", ErrInvalidParams)
	}
	if st.Number > script.MaxCommitmentNumber {
		return nil, fmt.Errorf("%w: commitment number %d exceeds 48 bits", ErrInvalidParams, st.Number)
	}
	if err := checkBalances(p, st); err != nil {
		return nil, err
	}

	o, x := p.Party(owner), p.Party(owner.Other())
	t := p.Type
	c := &Commitment{
		Owner: owner, Type: t, Number: st.Number, FeeRate: st.FeeRate, Keys: keys, ToSelfDelay: o.ToSelfDelay,
		ToLocal: absent(), ToRemote: absent(), LocalAnchor: absent(), RemoteAnchor: absent(),
	}

	// Balances from the owner's point of view.
	ownerMsat, otherMsat := st.LocalBalance, st.RemoteBalance
	if owner == Remote {
		ownerMsat, otherMsat = otherMsat, ownerMsat
	}

	// Trim HTLCs against the owner's dust limit.
	untrimmed := make([]htlc.HTLC, 0, len(st.HTLCs))
	for _, h := range st.HTLCs {
		if owner == Remote {
			h = h.Flip()
		}
		if script.HTLCTrimmed(t, h.Direction, h.Amount, st.FeeRate, o.DustLimit) {
			c.Trimmed = append(c.Trimmed, h)
		} else {
			untrimmed = append(untrimmed, h)
		}
	}

	// The opener pays the base fee and, under anchors, both anchors.
	c.BaseFee = script.CommitFee(t, st.FeeRate, len(untrimmed))
	chargeSat := c.BaseFee
	if t.HasAnchors() {
		chargeSat += 2 * script.AnchorOutputValue
	}
	// The base fee is at most 2^32 sat/kw times the weight of 966 HTLC
	// outputs, far below btcutil.MaxSatoshi, so this cannot fail; it is
	// checked all the same.
	charge, err := wire.NewMilliSatoshi(chargeSat)
	if err != nil {
		return nil, fmt.Errorf("channel: commitment fee: %w", err)
	}
	if p.Opener == owner {
		ownerMsat = subFloor(ownerMsat, charge)
	} else {
		otherMsat = subFloor(otherMsat, charge)
	}

	// Scripts.
	toLocalScript, err := script.ToLocalScript(keys.RevocationKey, keys.LocalDelayedKey, o.ToSelfDelay)
	if err != nil {
		return nil, err
	}
	c.SecondLevelScript = toLocalScript
	c.FundingScript, err = script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return nil, err
	}

	n := len(untrimmed) + 4
	outs := make([]*btcwire.TxOut, 0, n)
	cltvs := make([]uint32, 0, n)
	tags := make([]int, 0, n)
	backing := make([]btcwire.TxOut, 0, n)
	add := func(value btcutil.Amount, pk []byte, cltv uint32, tag int) {
		backing = append(backing, btcwire.TxOut{Value: int64(value), PkScript: pk})
		outs = append(outs, &backing[len(backing)-1])
		cltvs = append(cltvs, cltv)
		tags = append(tags, tag)
	}

	c.HTLCs = make([]CommitHTLC, len(untrimmed))
	if len(untrimmed) > 0 {
		var sp script.HTLCScriptParams
		sp.RevocationKeyHash = script.RevocationKeyHash(keys.RevocationKey)
		copy(sp.LocalHTLCKey[:], keys.LocalHTLCKey.SerializeCompressed())
		copy(sp.RemoteHTLCKey[:], keys.RemoteHTLCKey.SerializeCompressed())
		anchors := t.HasAnchors()
		// All witness scripts share one buffer and all output scripts
		// another; each script is a full slice expression, so appending
		// to one cannot overwrite the next.
		scripts := make([]byte, 0, len(untrimmed)*htlcScriptSizeHint)
		pkScripts := make([]byte, 0, len(untrimmed)*script.P2WSHSize)
		var locks hashLocker
		for i, h := range untrimmed {
			sp.PaymentHashLock = locks.lock(h.PaymentHash)
			start := len(scripts)
			if h.Direction == htlc.Offered {
				scripts = script.AppendOfferedHTLCScript(scripts, anchors, &sp)
			} else {
				sp.CLTVExpiry = h.CLTVExpiry
				scripts = script.AppendReceivedHTLCScript(scripts, anchors, &sp)
			}
			ws := scripts[start:len(scripts):len(scripts)]
			start = len(pkScripts)
			pkScripts = script.AppendP2WSH(pkScripts, ws)
			pk := pkScripts[start:len(pkScripts):len(pkScripts)]
			value := h.Amount.ToSatoshis()
			c.HTLCs[i] = CommitHTLC{HTLC: h, Output: Output{Index: -1, Value: value, WitnessScript: ws, PkScript: pk}}
			add(value, pk, h.CLTVExpiry, i)
		}
	}

	c.ToLocal.Value = ownerMsat.ToSatoshis()
	c.ToLocal.WitnessScript = toLocalScript
	c.ToLocal.PkScript = script.P2WSH(toLocalScript)
	if c.ToLocal.Value >= o.DustLimit {
		add(c.ToLocal.Value, c.ToLocal.PkScript, 0, tagToLocal)
	}
	c.ToRemote.Value = otherMsat.ToSatoshis()
	c.ToRemote.WitnessScript, c.ToRemote.PkScript, err = script.ToRemoteScript(t, keys.ToRemoteKey)
	if err != nil {
		return nil, err
	}
	if c.ToRemote.Value >= o.DustLimit {
		add(c.ToRemote.Value, c.ToRemote.PkScript, 0, tagToRemote)
	}
	if t.HasAnchors() {
		hasHTLCs := len(untrimmed) > 0
		if err := anchorOutput(&c.LocalAnchor, o.Funding); err != nil {
			return nil, err
		}
		if err := anchorOutput(&c.RemoteAnchor, x.Funding); err != nil {
			return nil, err
		}
		if hasHTLCs || c.ToLocal.Value >= o.DustLimit {
			add(c.LocalAnchor.Value, c.LocalAnchor.PkScript, 0, tagLocalAnchor)
		}
		if hasHTLCs || c.ToRemote.Value >= o.DustLimit {
			add(c.RemoteAnchor.Value, c.RemoteAnchor.PkScript, 0, tagRemoteAnchor)
		}
	}

	newIndex, err := script.SortOutputs(outs, cltvs)
	if err != nil {
		return nil, err
	}
	// Walk the outputs in their final order: record each index, and list
	// the HTLCs in output order (the order of commitment_signed's
	// htlc_signature fields).
	atPos := make([]int, len(tags))
	for i := range tags {
		atPos[newIndex[i]] = tags[i]
	}
	byIndex := make([]CommitHTLC, 0, len(untrimmed))
	var total btcutil.Amount
	for idx, tag := range atPos {
		total += btcutil.Amount(outs[idx].Value)
		switch tag {
		case tagToLocal:
			c.ToLocal.Index = idx
		case tagToRemote:
			c.ToRemote.Index = idx
		case tagLocalAnchor:
			c.LocalAnchor.Index = idx
		case tagRemoteAnchor:
			c.RemoteAnchor.Index = idx
		default:
			h := c.HTLCs[tag]
			h.Output.Index = idx
			byIndex = append(byIndex, h)
		}
	}
	c.HTLCs = byIndex
	c.Fee = p.FundingAmount - total

	obscuring := script.ObscuringFactor(p.Party(p.Opener).Payment, p.Party(p.Opener.Other()).Payment)
	lockTime, sequence, err := script.CommitmentLockTimeSequence(st.Number, obscuring)
	if err != nil {
		return nil, err
	}
	tx := &btcwire.MsgTx{Version: CommitmentTxVersion, LockTime: lockTime}
	tx.TxIn = []*btcwire.TxIn{{PreviousOutPoint: p.FundingOutpoint, Sequence: sequence}}
	tx.TxOut = outs
	c.Tx = tx
	c.TxHash = tx.TxHash()

	if len(c.HTLCs) > 0 {
		slp := htlc.SecondLevelParams{
			ChannelType:   t,
			CommitTxHash:  c.TxHash,
			FeeRate:       st.FeeRate,
			RevocationKey: keys.RevocationKey,
			DelayedKey:    keys.LocalDelayedKey,
			ToSelfDelay:   o.ToSelfDelay,
		}
		b, err := htlc.NewSecondLevelBuilder(&slp, len(c.HTLCs))
		if err != nil {
			return nil, err
		}
		for i := range c.HTLCs {
			ch := &c.HTLCs[i]
			ch.SecondLevelTx, err = b.Build(&ch.HTLC, uint32(ch.Output.Index))
			if err != nil {
				return nil, fmt.Errorf("channel: HTLC %d second-stage transaction: %w", ch.ID, err)
			}
		}
	}
	return c, nil
}

// LocalCommitment builds this node's commitment for st.
func LocalCommitment(p *Params, st *State, point *btcec.PublicKey) (*Commitment, error) {
	return NewCommitment(p, Local, st, point)
}

// RemoteCommitment builds the peer's commitment for st; point is the
// peer's per-commitment point for it.
func RemoteCommitment(p *Params, st *State, point *btcec.PublicKey) (*Commitment, error) {
	return NewCommitment(p, Remote, st, point)
}

// HTLCByID returns the committed (untrimmed) HTLC with the given id and
// direction (from the owner's view), or nil.
func (c *Commitment) HTLCByID(dir htlc.Direction, id uint64) *CommitHTLC {
	for i := range c.HTLCs {
		if c.HTLCs[i].ID == id && c.HTLCs[i].Direction == dir {
			return &c.HTLCs[i]
		}
	}
	return nil
}

func absent() Output { return Output{Index: -1} }

func anchorOutput(o *Output, fundingKey *btcec.PublicKey) error {
	ws, err := script.AnchorScript(fundingKey)
	if err != nil {
		return err
	}
	o.Value = script.AnchorOutputValue
	o.WitnessScript = ws
	o.PkScript = script.P2WSH(ws)
	return nil
}

func subFloor(a, b wire.MilliSatoshi) wire.MilliSatoshi {
	if a < b {
		return 0
	}
	return a - b
}

// checkBalances enforces that the state accounts for the whole funding
// output, that no direction exceeds MaxHTLCs and that every HTLC can be
// committed: a non-zero amount and a cltv_expiry that is a block height.
func checkBalances(p *Params, st *State) error {
	limit, err := wire.NewMilliSatoshi(p.FundingAmount)
	if err != nil {
		return fmt.Errorf("%w: funding amount: %w", ErrInvalidParams, err)
	}
	var offered, received int
	sum := st.LocalBalance
	if sum > limit || st.RemoteBalance > limit {
		return fmt.Errorf("%w: balance above the funding amount", ErrBalanceMismatch)
	}
	sum += st.RemoteBalance
	for i := range st.HTLCs {
		h := &st.HTLCs[i]
		switch h.Direction {
		case htlc.Offered:
			offered++
		case htlc.Received:
			received++
		default:
			return fmt.Errorf("%w: HTLC %d has no direction", ErrInvalidHTLC, h.ID)
		}
		if h.Amount == 0 {
			return fmt.Errorf("%w: HTLC %d has zero amount (BOLT 2 update_add_htlc: amount_msat must be above 0)", ErrInvalidHTLC, h.ID)
		}
		if h.CLTVExpiry >= MaxCLTVExpiry {
			return fmt.Errorf("%w: HTLC %d cltv_expiry %d (BOLT 2 update_add_htlc: cltv_expiry must be less than %d) (%w)",
				ErrHTLCExpiry, h.ID, h.CLTVExpiry, uint32(MaxCLTVExpiry), ErrInvalidHTLC)
		}
		if h.Amount > limit || sum > limit {
			return fmt.Errorf("%w: HTLC %d", ErrBalanceMismatch, h.ID)
		}
		sum += h.Amount
	}
	if offered > MaxHTLCs || received > MaxHTLCs {
		return fmt.Errorf("%w: %d offered, %d received", ErrTooManyHTLCs, offered, received)
	}
	if sum != limit {
		return fmt.Errorf("%w: %v + %v + HTLCs = %v, funding is %v", ErrBalanceMismatch,
			st.LocalBalance, st.RemoteBalance, sum, limit)
	}
	return nil
}
