package mobile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// fakeBackend is a ChainBackend that records calls and answers what it
// is told.
type fakeBackend struct {
	single   []string
	packages [][]string
	err      error
	rate     int64
	rateErr  error
	watchTx  []string
	watchOut []string
}

func (f *fakeBackend) Broadcast(txHex string) error { f.single = append(f.single, txHex); return f.err }
func (f *fakeBackend) BroadcastPackage(l *StringList) error {
	var p []string
	for i := 0; i < l.Len(); i++ {
		p = append(p, l.Get(i))
	}
	f.packages = append(f.packages, p)
	return f.err
}
func (f *fakeBackend) FeeRate(int32) (int64, error) { return f.rate, f.rateErr }
func (f *fakeBackend) WatchTransaction(txid, script string) {
	f.watchTx = append(f.watchTx, txid+" "+script)
}
func (f *fakeBackend) WatchOutput(outpoint, script string) {
	f.watchOut = append(f.watchOut, outpoint+" "+script)
}

func testTx(lockTime uint32) *btcwire.MsgTx {
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(btcwire.NewTxIn(&btcwire.OutPoint{Index: 1}, nil, [][]byte{{1, 2}}))
	tx.AddTxOut(btcwire.NewTxOut(1000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))
	tx.LockTime = lockTime
	return tx
}

// A single transaction goes to Broadcast, several to BroadcastPackage in
// order, as hex that parses back to the same transactions.
func TestHostBroadcaster(t *testing.T) {
	f := &fakeBackend{}
	b := hostBroadcaster{f}
	parent, child := testTx(1), testTx(2)
	if err := b.Broadcast(context.Background(), parent); err != nil {
		t.Fatal(err)
	}
	if err := b.Broadcast(context.Background(), parent, child); err != nil {
		t.Fatal(err)
	}
	if len(f.single) != 1 || len(f.packages) != 1 || len(f.packages[0]) != 2 {
		t.Fatalf("calls: %d single, %v packages", len(f.single), f.packages)
	}
	for i, want := range []*btcwire.MsgTx{parent, child} {
		got, err := parseTx(f.packages[0][i])
		if err != nil || got.TxHash() != want.TxHash() {
			t.Fatalf("package tx %d: %v", i, err)
		}
	}
	if got, _ := parseTx(f.single[0]); got.TxHash() != parent.TxHash() {
		t.Fatal("single tx differs")
	}
}

// Refusals map to chain's sentinels, from a code the host put first or
// from bitcoind's reject reason; "already known" is success.
func TestBroadcastErrors(t *testing.T) {
	cases := []struct {
		msg  string
		want error // nil: success
	}{
		{"DOUBLE_SPEND: spent by another", chain.ErrDoubleSpend},
		{"MISSING_INPUT: parent unknown", chain.ErrMissingInput},
		{"FEE_TOO_LOW: below floor", chain.ErrFeeTooLow},
		{"NON_FINAL: locked", chain.ErrNonFinal},
		{"SEQUENCE_LOCK: csv", chain.ErrSequenceLock},
		{"SCRIPT: bad sig", chain.ErrScript},
		{"INVALID_TX: empty", chain.ErrInvalidTx},
		{`sendrawtransaction RPC error: {"code":-26,"message":"txn-mempool-conflict"}`, chain.ErrDoubleSpend},
		{"the transaction was rejected by network rules.\n\nmin relay fee not met, 100 < 141", chain.ErrFeeTooLow},
		{"non-BIP68-final", chain.ErrSequenceLock},
		{"non-final", chain.ErrNonFinal},
		{"bad-txns-inputs-missingorspent", chain.ErrMissingInput},
		{"mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)", chain.ErrScript},
		{"bad-txns-vout-negative", chain.ErrInvalidTx},
		{"Transaction already in block chain", nil},
		{"txn-already-in-mempool", nil},
	}
	for _, c := range cases {
		f := &fakeBackend{err: errors.New(c.msg)}
		err := hostBroadcaster{f}.Broadcast(context.Background(), testTx(0))
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%q: %v, want success", c.msg, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%q: %v, want %v", c.msg, err, c.want)
		case c.want != nil && mapError(err).(*CodedError).Code != CodeBackend:
			t.Errorf("%q: code %v", c.msg, mapError(err))
		}
	}
	// A message the adapter does not know stays a plain host failure.
	err := hostBroadcaster{&fakeBackend{err: errors.New("server unreachable")}}.Broadcast(context.Background(), testTx(0))
	for _, s := range []error{chain.ErrDoubleSpend, chain.ErrFeeTooLow, chain.ErrInvalidTx} {
		if errors.Is(err, s) {
			t.Errorf("unknown failure maps to %v", s)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "server unreachable") {
		t.Errorf("unknown failure: %v", err)
	}
}

func TestHostFees(t *testing.T) {
	ctx := context.Background()
	if r, err := (hostFees{&fakeBackend{rate: 1250}}).EstimateFeeRate(ctx, 6); err != nil || r != 1250 {
		t.Fatalf("%v, %v", r, err)
	}
	if r, _ := (hostFees{&fakeBackend{rate: 1 << 40}}).EstimateFeeRate(ctx, 6); r != wire.SatPerKWeight(1<<32-1) {
		t.Fatalf("huge rate: %v", r)
	}
	if _, err := (hostFees{&fakeBackend{rate: -1}}).EstimateFeeRate(ctx, 6); err == nil {
		t.Fatal("negative rate accepted")
	}
	if _, err := (hostFees{&fakeBackend{rateErr: errors.New("no data")}}).EstimateFeeRate(ctx, 6); mapError(err).(*CodedError).Code != CodeBackend {
		t.Fatalf("estimator failure: %v", err)
	}
	if got := SatPerVByteToSatPerKw(1.0); got != 250 {
		t.Fatalf("1 sat/vB = %d sat/kw", got)
	}
	if got := SatPerVByteToSatPerKw(1.01); got != 253 {
		t.Fatalf("1.01 sat/vB = %d sat/kw", got)
	}
	if got := SatPerVByteToSatPerKw(-2); got != 0 {
		t.Fatalf("negative: %d", got)
	}
}

func TestHostFilter(t *testing.T) {
	f := &fakeBackend{}
	h := hostFilter{f}
	tx := testTx(0)
	h.RegisterTx(tx.TxHash(), []byte{0xab})
	h.RegisterOutput(chain.WatchedOutput{OutPoint: btcwire.OutPoint{Hash: tx.TxHash(), Index: 3}, PkScript: []byte{0xcd}})
	if len(f.watchTx) != 1 || f.watchTx[0] != tx.TxHash().String()+" ab" || len(f.watchOut) != 1 || f.watchOut[0] != tx.TxHash().String()+":3 cd" {
		t.Fatalf("%v %v", f.watchTx, f.watchOut)
	}
	op, err := parseOutPoint(tx.TxHash().String() + ":3")
	if err != nil || op.Hash != tx.TxHash() || op.Index != 3 {
		t.Fatalf("%v %v", op, err)
	}
	for _, bad := range []string{"", "abc", tx.TxHash().String(), tx.TxHash().String() + ":", tx.TxHash().String() + ":-1", tx.TxHash().String() + ":01", "zz:1"} {
		if _, err := parseOutPoint(bad); err == nil {
			t.Errorf("outpoint %q accepted", bad)
		}
	}
}

func TestBlockTxsAndHeaders(t *testing.T) {
	b := NewBlockTxs()
	if err := b.Add(0, txHex(testTx(0))); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(5, txHex(testTx(1))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i  int32
		tx string
	}{{5, txHex(testTx(2))}, {3, txHex(testTx(2))}, {-1, txHex(testTx(2))}, {9, "zz"}, {9, "00"}} {
		if err := b.Add(c.i, c.tx); err == nil {
			t.Errorf("Add(%d, %.10s) accepted", c.i, c.tx)
		}
	}
	if b.Len() != 2 || b.txs[1].Index != 5 {
		t.Fatalf("%d txs", b.Len())
	}
	h := btcwire.BlockHeader{Version: 4, Nonce: 7, Bits: 0x207fffff}
	got, err := parseHeader(headerHex(&h))
	if err != nil || got.BlockHash() != h.BlockHash() {
		t.Fatalf("%v", err)
	}
	for _, bad := range []string{"", "00", headerHex(&h) + "00", "zz" + headerHex(&h)[2:]} {
		if _, err := parseHeader(bad); err == nil {
			t.Errorf("header %.12s... accepted", bad)
		}
	}
}

// tamperWallet is a host wallet that funds with a SimulatedWallet, then
// spoils its answer.
type tamperWallet struct {
	*SimulatedWallet
	spoil    func(p *psbt.Packet, a *FundedPsbt)
	released int
}

func (w *tamperWallet) FundPsbt(req *FundRequest) (*FundedPsbt, error) {
	a, err := w.SimulatedWallet.FundPsbt(req)
	if err != nil {
		return nil, err
	}
	p, err := decodePsbt(a.Psbt)
	if err != nil {
		return nil, err
	}
	w.spoil(p, a)
	a.Psbt, err = p.B64Encode()
	return a, err
}

func (w *tamperWallet) ReleaseInputs(s string) error {
	w.released++
	return w.SimulatedWallet.ReleaseInputs(s)
}

// The wallet adapter refuses a funded PSBT that does not do what was
// asked (it would misplace or underpay the funding output), and releases
// its inputs; a good one passes, and SignPsbt takes only the wallet's
// signatures.
func TestHostWalletChecks(t *testing.T) {
	ctx := context.Background()
	sim := NewSimulatedChain()
	sw := sim.NewWallet()
	for i := 0; i < 2; i++ {
		if err := sw.Fund(1_000_000); err != nil {
			t.Fatal(err)
		}
	}
	pay := btcwire.NewTxOut(300_000, testTx(0).TxOut[0].PkScript)
	req := func() *chain.FundRequest {
		return &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(pay.Value, pay.PkScript)}, FeeRate: 1000}
	}
	spoilers := map[string]func(p *psbt.Packet, a *FundedPsbt){
		"output value": func(p *psbt.Packet, a *FundedPsbt) { p.UnsignedTx.TxOut[0].Value-- },
		"output moved": func(p *psbt.Packet, a *FundedPsbt) {
			o := p.UnsignedTx.TxOut
			o[0], o[1] = o[1], o[0]
			p.Outputs[0], p.Outputs[1] = p.Outputs[1], p.Outputs[0]
		},
		"fee":             func(p *psbt.Packet, a *FundedPsbt) { a.FeeSat++ },
		"change index":    func(p *psbt.Packet, a *FundedPsbt) { a.ChangeIndex = 0 },
		"no witness utxo": func(p *psbt.Packet, a *FundedPsbt) { p.Inputs[0].WitnessUtxo = nil },
		"legacy input":    func(p *psbt.Packet, a *FundedPsbt) { p.Inputs[0].WitnessUtxo.PkScript = []byte{0x76, 0xa9} },
		"lock time":       func(p *psbt.Packet, a *FundedPsbt) { p.UnsignedTx.LockTime = 9 },
	}
	for name, spoil := range spoilers {
		tw := &tamperWallet{SimulatedWallet: sw, spoil: spoil}
		hw := &hostWallet{w: tw, hostFilter: hostFilter{&fakeBackend{}}}
		_, err := hw.FundPsbt(ctx, req())
		if err == nil || mapError(err).(*CodedError).Code != CodeBackend || tw.released != 1 {
			t.Errorf("%s: %v (released %d)", name, err, tw.released)
		}
	}

	hw := &hostWallet{w: sw, hostFilter: hostFilter{&fakeBackend{}}}
	funded, err := hw.FundPsbt(ctx, req())
	if err != nil {
		t.Fatal(err)
	}
	if funded.Packet.UnsignedTx.TxOut[0].Value != pay.Value || funded.ChangeIndex != 1 || funded.Fee <= 0 {
		t.Fatalf("funded: change %d fee %v", funded.ChangeIndex, funded.Fee)
	}
	if err := hw.SignPsbt(ctx, funded.Packet); err != nil {
		t.Fatal(err)
	}
	if funded.Packet.Inputs[0].FinalScriptWitness == nil {
		t.Fatal("the wallet's input is not signed")
	}
	tx, err := psbt.Extract(funded.Packet)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Broadcast(txHex(tx)); err != nil {
		t.Fatalf("the signed transaction is refused: %v", err)
	}

	// A wallet that signs another transaction is refused.
	other, err := hw.FundPsbt(ctx, req())
	if err != nil {
		t.Fatal(err)
	}
	liar := &signLiar{SimulatedWallet: sw, other: funded.Packet}
	if err := (&hostWallet{w: liar}).SignPsbt(ctx, other.Packet); err == nil {
		t.Fatal("a signature of another transaction was taken")
	}

	// Not enough money is INSUFFICIENT_FUNDS, through the host's message.
	big := &chain.FundRequest{Outputs: []*btcwire.TxOut{btcwire.NewTxOut(50_000_000, pay.PkScript)}, FeeRate: 1000}
	_, err = hw.FundPsbt(ctx, big)
	if !errors.Is(err, chain.ErrInsufficientFunds) || mapError(err).(*CodedError).Code != CodeInsufficientFunds {
		t.Fatalf("insufficient funds: %v", err)
	}
}

// signLiar answers SignPsbt with a signed PSBT of another transaction.
type signLiar struct {
	*SimulatedWallet
	other *psbt.Packet
}

func (w *signLiar) SignPsbt(string) (string, error) { return w.other.B64Encode() }

// The FundRequest a host sees describes the node's request exactly, and
// its PSBT template parses back to it.
func TestFundRequestView(t *testing.T) {
	tx := testTx(0)
	in := chain.Input{OutPoint: btcwire.OutPoint{Hash: tx.TxHash(), Index: 1}, Prev: btcwire.NewTxOut(5000, []byte{0x51, 0x20, 9}), Sequence: 144, WitnessWeight: 120}
	req := &chain.FundRequest{Outputs: []*btcwire.TxOut{tx.TxOut[0]}, Inputs: []chain.Input{in}, FeeRate: 2500, LockTime: 800_000}
	r := newFundRequest(req)
	if r.Version != 2 || r.LockTime != 800_000 || r.FeeRateSatPerKw != 2500 || r.Outputs.Len() != 1 || r.Inputs.Len() != 1 {
		t.Fatalf("%+v", r)
	}
	if fi := r.Inputs.Get(0); fi.Outpoint != tx.TxHash().String()+":1" || fi.ValueSat != 5000 || fi.ScriptHex != "512009" || fi.Sequence != 144 || fi.WitnessWeight != 120 {
		t.Fatalf("input %+v", fi)
	}
	if r.Outputs.Get(1) != nil || r.Inputs.Get(-1) != nil {
		t.Fatal("out-of-range get")
	}
	back, err := r.chainRequest()
	if err != nil || back.Inputs[0].OutPoint != in.OutPoint || back.Inputs[0].Prev.Value != 5000 || back.Outputs[0].Value != 1000 || back.LockTime != 800_000 {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	s, err := r.UnsignedPsbt()
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodePsbt(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.UnsignedTx.TxIn[0].PreviousOutPoint != in.OutPoint || p.UnsignedTx.TxIn[0].Sequence != 144 || p.Inputs[0].WitnessUtxo.Value != 5000 ||
		p.UnsignedTx.TxOut[0].Value != 1000 || p.UnsignedTx.LockTime != 800_000 {
		t.Fatal("template differs from the request")
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		err  error
		code string
	}{
		{node.ErrStopped, CodeNotRunning},
		{fmt.Errorf("x: %w", node.ErrUnknownPeer), CodeUnknownPeer},
		{node.ErrUnknownChannel, CodeUnknownChannel},
		{fmt.Errorf("%w: %w", node.ErrPaymentFailed, node.ErrNoRoute), CodeNoRoute},
		{fmt.Errorf("%w: refused", node.ErrPaymentFailed), CodePaymentFailed},
		{node.ErrDuplicatePayment, CodeDuplicatePayment},
		{node.ErrInvalidRequest, CodeInvalidArgument},
		{context.DeadlineExceeded, CodeTimeout},
		{&backendError{op: "x", err: errors.New("down")}, CodeBackend},
		{&backendError{op: "x", err: newError(CodeFailed, "a Go host's own error")}, CodeBackend},
		{fmt.Errorf("node: funding: %w", newError(CodeInvalidArgument, "bad")), CodeInvalidArgument},
		{errors.New("something else"), CodeFailed},
	}
	for _, c := range cases {
		got := mapError(c.err)
		var ce *CodedError
		if !errors.As(got, &ce) || ce.Code != c.code || ErrorCode(got.Error()) != c.code || !errors.Is(got, c.err) {
			t.Errorf("%v: %v", c.err, got)
		}
	}
	if mapError(nil) != nil {
		t.Error("nil maps to an error")
	}
	if ErrorCode("no code here") != "" || ErrorCode("NOPE: x") != "" {
		t.Error("ErrorCode invents a code")
	}
}
