package mobile

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// Wallet is implemented by the host's on-chain wallet (BDK, a hardware
// wallet bridge, ...) to pay for channel openings and fee bumps and to
// give scripts for change, sweeps and cooperative closes. PSBTs (BIP 174)
// travel as base64 strings. Every method must be safe for concurrent use.
type Wallet interface {
	// FundPsbt adds the wallet's inputs, and a change output as needed,
	// to pay req's outputs at req.FeeRateSatPerKw, and returns the
	// unsigned PSBT. req's outputs must stay at indexes 0..n-1 in order
	// and req's inputs at 0..m-1 (the node signs those); every input the
	// wallet adds must spend a segwit output and carry its witness UTXO,
	// so that the txid is final before signing. The inputs it picks stay
	// locked until ReleaseInputs or until they are spent. A message
	// starting with "INSUFFICIENT_FUNDS:" reports too little money.
	FundPsbt(req *FundRequest) (*FundedPsbt, error)
	// SignPsbt signs and finalizes the wallet's inputs of psbtBase64
	// (SIGHASH_ALL), leaves the other inputs as they are, and returns the
	// result.
	SignPsbt(psbtBase64 string) (string, error)
	// ReleaseInputs unlocks the wallet's inputs of a funded PSBT that will
	// not be broadcast.
	ReleaseInputs(psbtBase64 string) error
	// NewScript returns a fresh output script of the wallet (P2WPKH or
	// P2TR) in hex.
	NewScript() (string, error)
}

// TxOut is a transaction output.
type TxOut struct {
	// ValueSat is the amount in satoshis.
	ValueSat int64
	// ScriptHex is the output script in hex.
	ScriptHex string
}

// OutputList is a read-only list of outputs.
type OutputList struct{ items []*TxOut }

// Len returns the number of outputs.
func (l *OutputList) Len() int { return len(l.items) }

// Get returns the i-th output, or nil when i is out of range.
func (l *OutputList) Get(i int) *TxOut {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// FundInput is an input the node adds to a transaction it asks the
// wallet to fund, and signs itself (an anchor a child spends, an HTLC
// output).
type FundInput struct {
	// Outpoint is the output spent, "txid:index".
	Outpoint string
	// ValueSat is that output's amount.
	ValueSat int64
	// ScriptHex is that output's script, hex.
	ScriptHex string
	// Sequence is the input's nSequence.
	Sequence int64
	// WitnessWeight is the weight of the witness that will spend it
	// (including the item count), which the fee must cover.
	WitnessWeight int64
}

// InputList is a read-only list of inputs.
type InputList struct{ items []*FundInput }

// Len returns the number of inputs.
func (l *InputList) Len() int { return len(l.items) }

// Get returns the i-th input, or nil when i is out of range.
func (l *InputList) Get(i int) *FundInput {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// FundRequest is what Wallet.FundPsbt is asked to pay for.
type FundRequest struct {
	// Outputs are the outputs to pay, at indexes 0..n-1 in this order.
	Outputs *OutputList
	// Inputs are inputs the node signs, at indexes 0..m-1 in this order.
	Inputs *InputList
	// FeeRateSatPerKw is the fee rate of the signed transaction
	// (sat per 1000 weight units; sat/vB is this / 250).
	FeeRateSatPerKw int64
	// Version is the transaction version.
	Version int32
	// LockTime is the transaction's nLockTime.
	LockTime int64
}

// UnsignedPsbt returns the request as a base64 PSBT template: the
// outputs and the node's inputs (with their witness UTXOs), version and
// lock time, for wallets that complete a PSBT rather than build one.
func (r *FundRequest) UnsignedPsbt() (string, error) {
	req, err := r.chainRequest()
	if err != nil {
		return "", err
	}
	tx := btcwire.NewMsgTx(req.Version)
	tx.LockTime = req.LockTime
	for _, in := range req.Inputs {
		txin := btcwire.NewTxIn(&in.OutPoint, nil, nil)
		txin.Sequence = in.Sequence
		tx.AddTxIn(txin)
	}
	for _, o := range req.Outputs {
		tx.AddTxOut(o)
	}
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		return "", wrapCode(CodeInvalidArgument, err)
	}
	for i, in := range req.Inputs {
		p.Inputs[i].WitnessUtxo = in.Prev
	}
	s, err := p.B64Encode()
	if err != nil {
		return "", wrapCode(CodeFailed, err)
	}
	return s, nil
}

// newFundRequest describes a chain.FundRequest to the host.
func newFundRequest(req *chain.FundRequest) *FundRequest {
	version := req.Version
	if version == 0 {
		version = 2
	}
	r := &FundRequest{
		Outputs: &OutputList{}, Inputs: &InputList{},
		FeeRateSatPerKw: int64(req.FeeRate), Version: version, LockTime: int64(req.LockTime),
	}
	for _, o := range req.Outputs {
		r.Outputs.items = append(r.Outputs.items, &TxOut{ValueSat: o.Value, ScriptHex: hex.EncodeToString(o.PkScript)})
	}
	for _, in := range req.Inputs {
		r.Inputs.items = append(r.Inputs.items, &FundInput{
			Outpoint: in.OutPoint.String(), ValueSat: in.Prev.Value, ScriptHex: hex.EncodeToString(in.Prev.PkScript),
			Sequence: int64(in.Sequence), WitnessWeight: in.WitnessWeight,
		})
	}
	return r
}

// chainRequest parses the request back into a chain.FundRequest, as a
// wallet written in Go (SimulatedWallet) reads it.
func (r *FundRequest) chainRequest() (*chain.FundRequest, error) {
	req := &chain.FundRequest{Version: r.Version, LockTime: uint32(r.LockTime)}
	if r.FeeRateSatPerKw < 0 || r.LockTime < 0 || r.LockTime > 0xffffffff {
		return nil, newError(CodeInvalidArgument, "fee rate or lock time out of range")
	}
	req.FeeRate = clampRate(r.FeeRateSatPerKw)
	if r.Outputs != nil {
		for i, o := range r.Outputs.items {
			pk, err := hex.DecodeString(o.ScriptHex)
			if err != nil {
				return nil, newError(CodeInvalidArgument, fmt.Sprintf("output %d script: %v", i, err))
			}
			req.Outputs = append(req.Outputs, btcwire.NewTxOut(o.ValueSat, pk))
		}
	}
	if r.Inputs != nil {
		for i, in := range r.Inputs.items {
			op, err := parseOutPoint(in.Outpoint)
			if err != nil {
				return nil, err
			}
			pk, err := hex.DecodeString(in.ScriptHex)
			if err != nil {
				return nil, newError(CodeInvalidArgument, fmt.Sprintf("input %d script: %v", i, err))
			}
			req.Inputs = append(req.Inputs, chain.Input{OutPoint: op, Prev: btcwire.NewTxOut(in.ValueSat, pk),
				Sequence: uint32(in.Sequence), WitnessWeight: in.WitnessWeight})
		}
	}
	return req, nil
}

// FundedPsbt is a wallet's answer to FundPsbt.
type FundedPsbt struct {
	// Psbt is the unsigned transaction, base64.
	Psbt string
	// ChangeIndex is the index of the change output, -1 for none.
	ChangeIndex int32
	// FeeSat is the fee the transaction pays.
	FeeSat int64
}

// hostWallet adapts the host's Wallet (and its ChainBackend's watch
// methods) to chain.Wallet and chain.Filter, checking what the host
// answers: a funding output at the wrong index, or an input whose value
// the PSBT hides, would cost money.
type hostWallet struct {
	w Wallet
	hostFilter
}

var (
	_ chain.Wallet = (*hostWallet)(nil)
	_ chain.Filter = (*hostWallet)(nil)
)

// hostErr wraps a host wallet error, recognising INSUFFICIENT_FUNDS.
func hostErr(op string, err error) error {
	if code, _, ok := strings.Cut(err.Error(), ":"); ok && strings.TrimSpace(code) == CodeInsufficientFunds {
		err = fmt.Errorf("%w: %s", chain.ErrInsufficientFunds, err.Error())
	}
	return &backendError{op: op, err: err}
}

func badAnswer(op, format string, args ...any) error {
	return &backendError{op: op, err: fmt.Errorf(format, args...)}
}

// FundPsbt implements chain.Wallet through the host's FundPsbt, and
// checks the answer (checkFunded).
func (h *hostWallet) FundPsbt(_ context.Context, req *chain.FundRequest) (*chain.Funded, error) {
	ans, err := h.w.FundPsbt(newFundRequest(req))
	if err != nil {
		return nil, hostErr("fund psbt", err)
	}
	if ans == nil {
		return nil, badAnswer("fund psbt", "no answer")
	}
	p, err := decodePsbt(ans.Psbt)
	if err != nil {
		return nil, &backendError{op: "fund psbt", err: err}
	}
	if err := checkFunded(req, p, ans); err != nil {
		// The inputs the wallet locked are of no use to us.
		h.w.ReleaseInputs(ans.Psbt)
		return nil, &backendError{op: "fund psbt", err: err}
	}
	return &chain.Funded{Packet: p, ChangeIndex: int(ans.ChangeIndex), Fee: btcutil.Amount(ans.FeeSat)}, nil
}

// checkFunded verifies a funded PSBT against its request.
func checkFunded(req *chain.FundRequest, p *psbt.Packet, ans *FundedPsbt) error {
	tx := p.UnsignedTx
	version := req.Version
	if version == 0 {
		version = 2
	}
	if tx.Version != version || tx.LockTime != req.LockTime {
		return fmt.Errorf("version %d and lock time %d, asked %d and %d", tx.Version, tx.LockTime, version, req.LockTime)
	}
	if len(tx.TxOut) < len(req.Outputs) || len(tx.TxIn) < len(req.Inputs) {
		return fmt.Errorf("%d outputs and %d inputs, fewer than the %d and %d asked", len(tx.TxOut), len(tx.TxIn), len(req.Outputs), len(req.Inputs))
	}
	for i, o := range req.Outputs {
		if tx.TxOut[i].Value != o.Value || !bytes.Equal(tx.TxOut[i].PkScript, o.PkScript) {
			return fmt.Errorf("output %d is not the one asked", i)
		}
	}
	for i, in := range req.Inputs {
		if tx.TxIn[i].PreviousOutPoint != in.OutPoint || tx.TxIn[i].Sequence != in.Sequence {
			return fmt.Errorf("input %d is not the one asked", i)
		}
		if p.Inputs[i].WitnessUtxo == nil {
			p.Inputs[i].WitnessUtxo = btcwire.NewTxOut(in.Prev.Value, in.Prev.PkScript)
		}
	}
	var in, out int64
	for i := range tx.TxIn {
		u := p.Inputs[i].WitnessUtxo
		if u == nil {
			return fmt.Errorf("input %d has no witness UTXO", i)
		}
		if i >= len(req.Inputs) && !txscript.IsWitnessProgram(u.PkScript) {
			return fmt.Errorf("input %d does not spend a segwit output (the txid would change when signed)", i)
		}
		in += u.Value
	}
	for _, o := range tx.TxOut {
		out += o.Value
	}
	if in-out != ans.FeeSat || ans.FeeSat < 0 {
		return fmt.Errorf("fee %d sat, but inputs minus outputs is %d sat", ans.FeeSat, in-out)
	}
	if c := int(ans.ChangeIndex); c != -1 && (c < len(req.Outputs) || c >= len(tx.TxOut)) {
		return fmt.Errorf("change index %d out of range", c)
	}
	return nil
}

// SignPsbt implements chain.Wallet: it takes from the host's answer only
// the inputs the host finalized that were not final before.
func (h *hostWallet) SignPsbt(_ context.Context, p *psbt.Packet) error {
	s, err := p.B64Encode()
	if err != nil {
		return err
	}
	signed, err := h.w.SignPsbt(s)
	if err != nil {
		return hostErr("sign psbt", err)
	}
	q, err := decodePsbt(signed)
	if err != nil {
		return &backendError{op: "sign psbt", err: err}
	}
	if q.UnsignedTx.TxHash() != p.UnsignedTx.TxHash() || len(q.Inputs) != len(p.Inputs) {
		return badAnswer("sign psbt", "the signed PSBT is another transaction")
	}
	// Take what the wallet finalized, and nothing else.
	for i := range p.Inputs {
		if p.Inputs[i].FinalScriptWitness == nil && p.Inputs[i].FinalScriptSig == nil &&
			(q.Inputs[i].FinalScriptWitness != nil || q.Inputs[i].FinalScriptSig != nil) {
			p.Inputs[i] = q.Inputs[i]
		}
	}
	return nil
}

// ReleaseInputs implements chain.Wallet.
func (h *hostWallet) ReleaseInputs(_ context.Context, p *psbt.Packet) error {
	s, err := p.B64Encode()
	if err != nil {
		return err
	}
	if err := h.w.ReleaseInputs(s); err != nil {
		return hostErr("release inputs", err)
	}
	return nil
}

// NewScript implements chain.Wallet with the host's hex script.
func (h *hostWallet) NewScript(context.Context) ([]byte, error) {
	s, err := h.w.NewScript()
	if err != nil {
		return nil, hostErr("new script", err)
	}
	pk, err := hex.DecodeString(s)
	if err != nil || len(pk) == 0 {
		return nil, badAnswer("new script", "script %q is not hex", s)
	}
	return pk, nil
}

// decodePsbt parses a base64 PSBT.
func decodePsbt(s string) (*psbt.Packet, error) {
	p, err := psbt.NewFromRawBytes(strings.NewReader(strings.TrimSpace(s)), true)
	if err != nil {
		return nil, fmt.Errorf("psbt: %w", err)
	}
	return p, nil
}
