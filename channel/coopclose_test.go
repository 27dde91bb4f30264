package channel

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// closeNode is one side of a negotiation under test: the negotiator, the
// records it persisted, and what it asked the host to do.
type closeNode struct {
	name       string
	p          *Params
	signer     *MemorySigner
	cfg        CoopCloseConfig
	cc         *CoopClose
	store      map[string][]byte
	outbox     []wire.Message
	broadcasts []*btcwire.MsgTx
	signed     []*CoopCloseSigned
	warnings   []*wire.Warning
	errorsSent []*wire.Error
	disconnect []*Disconnect
	failed     *ChannelFailed
	errs       []error
}

func newCloseNode(t *testing.T, name string, p *Params, s *MemorySigner, simple bool) *closeNode {
	t.Helper()
	cfg := CoopCloseConfig{Params: p, Signer: s, SimpleClose: simple}
	cc, err := NewCoopClose(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &closeNode{name: name, p: p, signer: s, cfg: cfg, cc: cc, store: map[string][]byte{}}
}

// Get and List make the node's store a RecordSource.
func (n *closeNode) Get(_ context.Context, key string) ([]byte, error) {
	v, ok := n.store[key]
	if !ok {
		return nil, fmt.Errorf("no key %q", key)
	}
	return v, nil
}

func (n *closeNode) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	for k := range n.store {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// apply performs an action list as a host would, after checking the
// persistence rule on it.
func (n *closeNode) apply(t *testing.T, acts []Action, err error) {
	t.Helper()
	checkCloseActions(t, n.cc, n.store, acts)
	if err != nil {
		n.errs = append(n.errs, err)
	}
	for _, a := range acts {
		switch a := a.(type) {
		case *Persist:
			for _, op := range a.Ops {
				if op.Delete {
					delete(n.store, op.Key)
				} else {
					n.store[op.Key] = append([]byte(nil), op.Value...)
				}
			}
		case *Send:
			// Every message goes through the wire encoding.
			b, err := wire.EncodeMessage(a.Msg)
			if err != nil {
				t.Fatalf("%s: encoding %v: %v", n.name, a.Msg.MsgType(), err)
			}
			msg, err := wire.DecodeMessage(b)
			if err != nil {
				t.Fatalf("%s: decoding %v: %v", n.name, a.Msg.MsgType(), err)
			}
			switch m := msg.(type) {
			case *wire.Warning:
				n.warnings = append(n.warnings, m)
			case *wire.Error:
				n.errorsSent = append(n.errorsSent, m)
			default:
				n.outbox = append(n.outbox, msg)
			}
		case *BroadcastClose:
			n.broadcasts = append(n.broadcasts, a.Tx)
		case *CoopCloseSigned:
			n.signed = append(n.signed, a)
		case *Disconnect:
			n.disconnect = append(n.disconnect, a)
		case *ChannelFailed:
			n.failed = a
		default:
			t.Fatalf("%s: unexpected action %T", n.name, a)
		}
	}
}

// checkCloseActions checks the persistence rule on one action list: every
// signature of this node in a message, and every broadcast transaction,
// is in a record persisted earlier in the list or in an earlier step
// (stored); every write is a closing record of the channel; a report
// follows its broadcast.
func checkCloseActions(t *testing.T, cc *CoopClose, stored map[string][]byte, acts []Action) {
	t.Helper()
	persisted := map[wire.Signature]bool{}
	complete := map[chainhash.Hash]bool{}
	// What earlier steps made durable counts too.
	for k, v := range stored {
		if strings.HasPrefix(k, cc.prefix+keyCloseTx) {
			if r, err := decodeCloseRecord(v); err == nil {
				persisted[r.localSig] = true
				if r.remoteSig != nil {
					complete[r.txid] = true
				}
			}
		}
	}
	broadcast := map[chainhash.Hash]bool{}
	mustPersisted := func(what string, sig *wire.Signature) {
		if sig != nil && !persisted[*sig] {
			t.Fatalf("%s leaves before its signature is persisted: %v", what, acts)
		}
	}
	for _, a := range acts {
		switch a := a.(type) {
		case *Persist:
			for _, op := range a.Ops {
				if !strings.HasPrefix(op.Key, cc.prefix+keyCloseTx) || op.Delete {
					t.Fatalf("unexpected write %q (delete %v)", op.Key, op.Delete)
				}
				r, err := decodeCloseRecord(op.Value)
				if err != nil {
					t.Fatalf("persisted record %q: %v", op.Key, err)
				}
				persisted[r.localSig] = true
				if r.remoteSig != nil {
					complete[r.txid] = true
				}
			}
		case *Send:
			switch m := a.Msg.(type) {
			case *wire.ClosingSigned:
				mustPersisted("closing_signed", &m.Signature)
			case *wire.ClosingComplete:
				for _, v := range simpleVariants {
					mustPersisted("closing_complete", *sigField(&m.Sigs, v))
				}
			case *wire.ClosingSig:
				for _, v := range simpleVariants {
					mustPersisted("closing_sig", *sigField(&m.Sigs, v))
				}
			}
		case *BroadcastClose:
			if !complete[a.Tx.TxHash()] {
				t.Fatalf("broadcast of %v before its record with both signatures is persisted", a.Tx.TxHash())
			}
			broadcast[a.Tx.TxHash()] = true
		case *CoopCloseSigned:
			if !broadcast[a.TxID] {
				t.Fatalf("%v reported before its broadcast", a.TxID)
			}
		}
	}
}

func (n *closeNode) start(t *testing.T, in CoopCloseStart) {
	t.Helper()
	acts, err := n.cc.Start(context.Background(), in)
	if err != nil {
		t.Fatalf("%s: Start: %v", n.name, err)
	}
	n.apply(t, acts, nil)
}

// deliver hands the node one message.
func (n *closeNode) deliver(t *testing.T, msg wire.Message) ([]Action, error) {
	t.Helper()
	acts, err := n.cc.ReceiveMessage(context.Background(), msg)
	n.apply(t, acts, err)
	return acts, err
}

// closePump delivers messages both ways until none is left, and returns how
// many were delivered.
func closePump(t *testing.T, a, b *closeNode) int {
	t.Helper()
	n := 0
	for i := 0; len(a.outbox)+len(b.outbox) > 0; i++ {
		if i > 50 {
			t.Fatal("the negotiation does not end")
		}
		for _, pair := range [][2]*closeNode{{a, b}, {b, a}} {
			from, to := pair[0], pair[1]
			if len(from.outbox) == 0 {
				continue
			}
			msg := from.outbox[0]
			from.outbox = from.outbox[1:]
			to.deliver(t, msg)
			n++
		}
	}
	return n
}

// closePair is a channel between alice and bob, each with a negotiator.
type closePair struct {
	tc         *testChannel
	alice, bob *closeNode
}

const closeFunding btcutil.Amount = 1_000_000

func newClosePair(t *testing.T, aliceOpens, simple bool) *closePair {
	t.Helper()
	tc := newTestChannel(t, script.Anchors, closeFunding)
	fundOnChain(t, tc)
	if !aliceOpens {
		tc.alice.Opener, tc.bob.Opener = Remote, Local
	}
	return &closePair{
		tc:    tc,
		alice: newCloseNode(t, "alice", tc.alice, tc.aliceSig, simple),
		bob:   newCloseNode(t, "bob", tc.bob, tc.bobSig, simple),
	}
}

// closeStarts returns both nodes' Start inputs for balances (alice's view) in
// satoshis.
func closeStarts(aliceSat, bobSat btcutil.Amount, aliceFees, bobFees CloseFeePolicy) (CoopCloseStart, CoopCloseStart) {
	return CoopCloseStart{LocalBalance: msat(aliceSat), RemoteBalance: msat(bobSat), LocalScript: aliceClose, RemoteScript: bobClose, Fees: aliceFees},
		CoopCloseStart{LocalBalance: msat(bobSat), RemoteBalance: msat(aliceSat), LocalScript: bobClose, RemoteScript: aliceClose, Fees: bobFees}
}

func closeRates(min, target, max wire.SatPerKWeight) CloseFeePolicy {
	return CloseFeePolicy{MinFeeRate: min, FeeRate: target, MaxFeeRate: max}
}

// execClose runs the script engine on a closing transaction.
func execClose(t *testing.T, tc *testChannel, name string, tx *btcwire.MsgTx) {
	t.Helper()
	mustPass(t, name, execute(tx, 0, tc.fundingOut(t)))
}

func closeTxFee(tx *btcwire.MsgTx, funding btcutil.Amount) btcutil.Amount {
	for _, o := range tx.TxOut {
		funding -= btcutil.Amount(o.Value)
	}
	return funding
}

// closeOutValue is what tx pays to pk (0 if nothing).
func closeOutValue(tx *btcwire.MsgTx, pk []byte) btcutil.Amount {
	for _, o := range tx.TxOut {
		if string(o.PkScript) == string(pk) {
			return btcutil.Amount(o.Value)
		}
	}
	return 0
}

// closeTwoOutWeight is the expected weight of a closing transaction paying
// alice and bob.
var closeTwoOutWeight = closingWeight(aliceClose, bobClose)

// checkSameClose checks that both nodes broadcast one transaction, the
// same, that it runs in the script engine and on the simulated chain.
func checkSameClose(t *testing.T, cp *closePair) *btcwire.MsgTx {
	t.Helper()
	a, b := cp.alice, cp.bob
	if len(a.broadcasts) != 1 || len(b.broadcasts) != 1 {
		t.Fatalf("broadcasts: alice %d, bob %d", len(a.broadcasts), len(b.broadcasts))
	}
	tx := a.broadcasts[0]
	if tx.TxHash() != b.broadcasts[0].TxHash() || tx.WitnessHash() != b.broadcasts[0].WitnessHash() {
		t.Fatalf("alice and bob broadcast different transactions")
	}
	if len(a.signed) != 1 || len(b.signed) != 1 || a.signed[0].TxID != tx.TxHash() || b.signed[0].TxID != tx.TxHash() {
		t.Fatalf("completion reports: %+v %+v", a.signed, b.signed)
	}
	execClose(t, cp.tc, "cooperative close", tx)
	confirmOnChain(t, cp.tc, tx)
	return tx
}

func TestCoopCloseLegacyConverges(t *testing.T) {
	for _, aliceOpens := range []bool{true, false} {
		t.Run(fmt.Sprintf("alice opens %v", aliceOpens), func(t *testing.T) {
			for _, tt := range []struct {
				name         string
				opener, peer CloseFeePolicy
				messages     int
				wantRate     wire.SatPerKWeight
			}{
				// The non-opener accepts the opener's fee: it answers
				// with the same fee.
				{"accepted", closeRates(1000, 2000, 3000), closeRates(1500, 2500, 6000), 2, 2000},
				// The non-opener's minimum is above the opener's
				// proposal: it proposes in the overlap, which the
				// opener accepts and repeats.
				{"countered", closeRates(1000, 2000, 3000), closeRates(2500, 4000, 6000), 3, 3000},
				// The non-opener wants less than the opener's
				// proposal: any fee at or above its minimum suits it.
				{"non-opener cheaper", closeRates(1000, 2500, 3000), closeRates(253, 500, 1000), 2, 2500},
			} {
				t.Run(tt.name, func(t *testing.T) {
					cp := newClosePair(t, aliceOpens, false)
					af, bf := tt.opener, tt.peer
					if !aliceOpens {
						af, bf = bf, af
					}
					ai, bi := closeStarts(600_000, 400_000, af, bf)
					cp.alice.start(t, ai)
					cp.bob.start(t, bi)
					opener, other := cp.alice, cp.bob
					if !aliceOpens {
						opener, other = other, opener
					}
					if len(opener.outbox) != 1 || len(other.outbox) != 0 {
						t.Fatalf("after Start: opener sent %d, non-opener %d", len(opener.outbox), len(other.outbox))
					}
					if n := closePump(t, cp.alice, cp.bob); n != tt.messages {
						t.Fatalf("%d messages, want %d", n, tt.messages)
					}
					if len(cp.alice.errs)+len(cp.bob.errs) > 0 {
						t.Fatalf("errors: %v %v", cp.alice.errs, cp.bob.errs)
					}
					tx := checkSameClose(t, cp)
					want := tt.wantRate.FeeForWeight(closeTwoOutWeight)
					if fee := closeTxFee(tx, closeFunding); fee != want {
						t.Fatalf("fee %v, want %v", fee, want)
					}
					// The opener pays: the other keeps its whole balance.
					otherScript, otherBal := bobClose, btcutil.Amount(400_000)
					if !aliceOpens {
						otherScript, otherBal = aliceClose, 600_000
					}
					if got := closeOutValue(tx, otherScript); got != otherBal {
						t.Fatalf("the non-opener gets %v, want %v", got, otherBal)
					}
				})
			}
		})
	}
}

func TestCoopCloseLegacyNoOverlap(t *testing.T) {
	cp := newClosePair(t, true, false)
	ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 1500, 2000), closeRates(3000, 4000, 8000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	closePump(t, cp.alice, cp.bob)
	if len(cp.bob.errs) != 1 || !errors.Is(cp.bob.errs[0], ErrCloseFeeRange) || !errors.Is(cp.bob.errs[0], ErrCloseNegotiation) {
		t.Fatalf("bob's errors: %v", cp.bob.errs)
	}
	// BOLT 2: SHOULD send a warning; failing the channel after a while
	// is the host's business.
	if len(cp.bob.warnings) != 1 || len(cp.bob.disconnect) != 0 || cp.bob.failed != nil {
		t.Fatalf("bob's answer: %d warnings, %d disconnects, failed %v", len(cp.bob.warnings), len(cp.bob.disconnect), cp.bob.failed)
	}
	if len(cp.alice.broadcasts)+len(cp.bob.broadcasts) != 0 {
		t.Fatal("a transaction was broadcast")
	}

	// The opener sees no overlap either in a closing_signed whose range
	// misses its own (a crafted one: an honest non-opener says so first).
	ctx := context.Background()
	fee := 5000 * btcutil.Amount(closeTwoOutWeight) / 1000
	lc := LegacyClose{LocalScript: bobClose, RemoteScript: aliceClose, LocalBalance: msat(400_000), RemoteBalance: msat(600_000),
		Fee: fee, DustLimit: cp.tc.bob.Local.DustLimit}
	tx, err := NewLegacyClosingTx(cp.tc.bob, &lc)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := SignFundingSpend(ctx, cp.tc.bobSig, cp.tc.bob, tx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cp.alice.deliver(t, &wire.ClosingSigned{ChannelID: cp.alice.cc.ChannelID(), Fee: fee, Signature: sig,
		FeeRange: &wire.FeeRange{Min: fee, Max: 2 * fee}})
	if !errors.Is(err, ErrCloseFeeRange) || len(cp.alice.warnings) != 1 || len(cp.alice.broadcasts) != 0 {
		t.Fatalf("opener, ranges apart: %v, %d warnings", err, len(cp.alice.warnings))
	}
}

// legacyMsg signs a closing_signed as bob (non-opener under alice's
// view) would, for fee.
func (cp *closePair) bobClosingSigned(t *testing.T, fee btcutil.Amount, rng *wire.FeeRange) *wire.ClosingSigned {
	t.Helper()
	lc := LegacyClose{LocalScript: bobClose, RemoteScript: aliceClose, LocalBalance: msat(400_000), RemoteBalance: msat(600_000),
		Fee: fee, DustLimit: cp.tc.bob.Local.DustLimit}
	tx, err := NewLegacyClosingTx(cp.tc.bob, &lc)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := SignFundingSpend(context.Background(), cp.tc.bobSig, cp.tc.bob, tx)
	if err != nil {
		t.Fatal(err)
	}
	return &wire.ClosingSigned{ChannelID: wire.NewChannelID(cp.tc.alice.FundingOutpoint), Fee: fee, Signature: sig, FeeRange: rng}
}

// TestCoopCloseLegacyFailChannel covers the fee_range violations after
// which BOLT 2 says the channel MUST fail.
func TestCoopCloseLegacyFailChannel(t *testing.T) {
	w := btcutil.Amount(closeTwoOutWeight)
	t.Run("opener gets a fee outside the overlap", func(t *testing.T) {
		cp := newClosePair(t, true, false)
		ai, _ := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), CloseFeePolicy{})
		cp.alice.start(t, ai)
		// Above the opener's max, inside bob's own range that overlaps
		// alice's.
		fee := 4000 * w / 1000
		_, err := cp.alice.deliver(t, cp.bobClosingSigned(t, fee, &wire.FeeRange{Min: 2000 * w / 1000, Max: 5000 * w / 1000}))
		checkCloseFailed(t, cp.alice, err)
	})
	t.Run("non-opener gets another fee than it proposed", func(t *testing.T) {
		cp := newClosePair(t, true, false)
		ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), closeRates(2500, 3000, 4000))
		cp.alice.start(t, ai)
		cp.bob.start(t, bi)
		cp.bob.deliver(t, cp.alice.outbox[0]) // bob counters with 3000 sat/kw
		cp.alice.outbox = nil
		if len(cp.bob.outbox) != 1 {
			t.Fatalf("bob sent %d messages", len(cp.bob.outbox))
		}
		// Alice (crafted) answers with 2800 sat/kw instead of repeating.
		fee := 2800 * w / 1000
		lc := LegacyClose{LocalScript: aliceClose, RemoteScript: bobClose, LocalBalance: msat(600_000), RemoteBalance: msat(400_000),
			Fee: fee, DustLimit: cp.tc.alice.Local.DustLimit}
		tx, _ := NewLegacyClosingTx(cp.tc.alice, &lc)
		sig, _ := SignFundingSpend(context.Background(), cp.tc.aliceSig, cp.tc.alice, tx)
		_, err := cp.bob.deliver(t, &wire.ClosingSigned{ChannelID: cp.bob.cc.ChannelID(), Fee: fee, Signature: sig,
			FeeRange: &wire.FeeRange{Min: 1000 * w / 1000, Max: 3000 * w / 1000}})
		checkCloseFailed(t, cp.bob, err)
	})
}

func checkCloseFailed(t *testing.T, n *closeNode, err error) {
	t.Helper()
	if !errors.Is(err, ErrCloseNegotiation) || !errors.Is(err, ErrProtocolViolation) {
		t.Fatalf("%s: %v", n.name, err)
	}
	if len(n.errorsSent) != 1 || n.failed == nil || !n.failed.Broadcast || len(n.broadcasts) != 0 {
		t.Fatalf("%s: %d errors sent, failed %+v, %d broadcasts", n.name, len(n.errorsSent), n.failed, len(n.broadcasts))
	}
	if _, err := n.cc.ReceiveMessage(context.Background(), &wire.ClosingSigned{ChannelID: n.cc.ChannelID()}); !errors.Is(err, ErrChannelFailed) {
		t.Fatalf("%s: input after failure: %v", n.name, err)
	}
}

// TestCoopCloseLegacyBadSignature: closing_signed signatures that do not
// sign either variant, or are not low-S, are refused with a warning, and
// change nothing.
func TestCoopCloseLegacyBadSignature(t *testing.T) {
	cp := newClosePair(t, true, false)
	ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), closeRates(1000, 2000, 3000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	good := cp.alice.outbox[0].(*wire.ClosingSigned)
	cp.alice.outbox = nil

	wrongTx := *good
	other, _ := SignFundingSpend(context.Background(), cp.tc.aliceSig, cp.tc.alice, closingTx(cp.tc.alice, 5, 0))
	wrongTx.Signature = other
	wrongFee := *good
	wrongFee.Fee++ // the signature is for another fee
	highS := *good
	highS.Signature = negateS(good.Signature)
	bobsKey := *good
	bobsKey.Signature, _ = SignFundingSpend(context.Background(), cp.tc.bobSig, cp.tc.bob, mustLegacyTx(t, cp.tc.bob, good.Fee))
	for name, m := range map[string]*wire.ClosingSigned{"another transaction": &wrongTx, "another fee": &wrongFee, "high S": &highS, "bob's own key": &bobsKey} {
		before := len(cp.bob.warnings)
		_, err := cp.bob.deliver(t, m)
		if !errors.Is(err, ErrInvalidClosingSig) || !errors.Is(err, ErrCloseNegotiation) {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cp.bob.warnings) != before+1 || len(cp.bob.disconnect) != before+1 || len(cp.bob.outbox) != 0 || len(cp.bob.store) != 0 {
			t.Fatalf("%s: bob answered %d warnings, %d messages, %d records", name, len(cp.bob.warnings), len(cp.bob.outbox), len(cp.bob.store))
		}
	}
	// The genuine message still closes.
	cp.bob.deliver(t, good)
	closePump(t, cp.alice, cp.bob)
	checkSameClose(t, cp)
}

// mustLegacyTx is the legacy closing transaction at fee from the view p.
func mustLegacyTx(t *testing.T, p *Params, fee btcutil.Amount) *btcwire.MsgTx {
	t.Helper()
	local, remote := msat(400_000), msat(600_000)
	ls, rs := bobClose, aliceClose
	if p.Opener == Local {
		local, remote, ls, rs = remote, local, rs, ls
	}
	tx, err := NewLegacyClosingTx(p, &LegacyClose{LocalScript: ls, RemoteScript: rs, LocalBalance: local, RemoteBalance: remote,
		Fee: fee, DustLimit: p.Local.DustLimit})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestCoopCloseLegacyDust: outputs below dust are left out, and each side
// may leave out its own output; every transaction either side ends with
// is valid.
func TestCoopCloseLegacyDust(t *testing.T) {
	for _, tt := range []struct {
		name               string
		aliceSat, bobSat   btcutil.Amount
		aliceDrop, bobDrop btcutil.Amount
		wantOuts           int
		same               bool
		dropped            []byte // the script without output, when same
	}{
		// Bob's 300 sat are below both nodes' dust limits.
		{name: "non-opener below dust", aliceSat: 999_700, bobSat: 300, wantOuts: 1, same: true, dropped: bobClose},
		// Alice (the opener) keeps less than her dust limit (546) after
		// paying the fee.
		{name: "opener below dust after the fee", aliceSat: 600, bobSat: 999_400, wantOuts: 1, same: true, dropped: aliceClose},
		// Bob leaves out his own uneconomical output; alice keeps it in
		// hers: each ends with the other's variant.
		{name: "non-opener drops its own output", aliceSat: 980_000, bobSat: 20_000, bobDrop: 25_000, wantOuts: 1},
		// Alice leaves out her own output.
		{name: "opener drops its own output", aliceSat: 20_000, bobSat: 980_000, aliceDrop: 25_000, wantOuts: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cp := newClosePair(t, true, false)
			ai, bi := closeStarts(tt.aliceSat, tt.bobSat, closeRates(253, 400, 500), closeRates(253, 400, 1000))
			ai.DropOwnOutputBelow, bi.DropOwnOutputBelow = tt.aliceDrop, tt.bobDrop
			cp.alice.start(t, ai)
			cp.bob.start(t, bi)
			closePump(t, cp.alice, cp.bob)
			if len(cp.alice.errs)+len(cp.bob.errs) > 0 {
				t.Fatalf("errors: %v %v", cp.alice.errs, cp.bob.errs)
			}
			if tt.same {
				tx := checkSameClose(t, cp)
				if len(tx.TxOut) != tt.wantOuts || closeOutValue(tx, tt.dropped) != 0 {
					t.Fatalf("outputs %+v", tx.TxOut)
				}
				return
			}
			// The dropping side broadcasts the other's variant (with its
			// output), the other side the dropping side's variant.
			if len(cp.alice.broadcasts) != 1 || len(cp.bob.broadcasts) != 1 {
				t.Fatalf("broadcasts %d %d", len(cp.alice.broadcasts), len(cp.bob.broadcasts))
			}
			ta, tb := cp.alice.broadcasts[0], cp.bob.broadcasts[0]
			dropper, keeper := tb, ta // keeper: broadcast by the side that keeps all outputs
			if tt.aliceDrop > 0 {
				dropper, keeper = ta, tb
			}
			if len(keeper.TxOut) != tt.wantOuts || len(dropper.TxOut) != 2 {
				t.Fatalf("outputs: %d and %d", len(keeper.TxOut), len(dropper.TxOut))
			}
			for i, tx := range []*btcwire.MsgTx{ta, tb} {
				execClose(t, cp.tc, fmt.Sprintf("close %d", i), tx)
				confirmOnChain(t, cp.tc, tx)
			}
		})
	}
}

// TestCoopCloseLegacyWithoutFeeRange negotiates with a peer that sends no
// fee_range: each proposal strictly between the two previous ones.
func TestCoopCloseLegacyWithoutFeeRange(t *testing.T) {
	w := btcutil.Amount(closeTwoOutWeight)
	sat := func(r btcutil.Amount) btcutil.Amount { return r * w / 1000 }
	t.Run("converges", func(t *testing.T) {
		cp := newClosePair(t, true, false)
		ai, _ := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), CloseFeePolicy{})
		cp.alice.start(t, ai)
		first := cp.alice.outbox[0].(*wire.ClosingSigned)
		cp.alice.outbox = nil
		if first.Fee != sat(2000) || first.FeeRange == nil || *first.FeeRange != (wire.FeeRange{Min: sat(1000), Max: sat(3000)}) {
			t.Fatalf("first closing_signed: %v %+v", first.Fee, first.FeeRange)
		}
		// Bob asks for more than alice's max: she moves to her max.
		cp.alice.deliver(t, cp.bobClosingSigned(t, sat(5000), nil))
		next := cp.alice.outbox[0].(*wire.ClosingSigned)
		cp.alice.outbox = nil
		if next.Fee != sat(3000) {
			t.Fatalf("alice's counter %v, want %v", next.Fee, sat(3000))
		}
		// A fee not strictly between 3000 and 5000 is refused.
		if _, err := cp.alice.deliver(t, cp.bobClosingSigned(t, sat(6000), nil)); !errors.Is(err, ErrCloseNegotiation) || len(cp.alice.disconnect) != 1 {
			t.Fatalf("fee outside the previous two: %v", err)
		}
		// Bob comes down into her range: accepted and repeated.
		cp.alice.deliver(t, cp.bobClosingSigned(t, sat(2900), nil))
		if len(cp.alice.outbox) != 1 || cp.alice.outbox[0].(*wire.ClosingSigned).Fee != sat(2900) || len(cp.alice.broadcasts) != 1 {
			t.Fatalf("alice's answer: %v, %d broadcasts", cp.alice.outbox, len(cp.alice.broadcasts))
		}
		tx := cp.alice.broadcasts[0]
		if closeTxFee(tx, closeFunding) != sat(2900) {
			t.Fatalf("fee %v", closeTxFee(tx, closeFunding))
		}
		execClose(t, cp.tc, "close without fee_range", tx)
		confirmOnChain(t, cp.tc, tx)
	})
	t.Run("cannot move", func(t *testing.T) {
		cp := newClosePair(t, true, false)
		ai, _ := closeStarts(600_000, 400_000, closeRates(1000, 3000, 3000), CloseFeePolicy{})
		cp.alice.start(t, ai)
		cp.alice.outbox = nil
		_, err := cp.alice.deliver(t, cp.bobClosingSigned(t, sat(5000), nil))
		if !errors.Is(err, ErrCloseFeeRange) || len(cp.alice.warnings) != 1 || len(cp.alice.disconnect) != 1 {
			t.Fatalf("already at her max: %v", err)
		}
	})
}

// TestCoopCloseLegacyReconnect restarts the negotiation after a
// disconnection, and after a crash of a node that completed.
func TestCoopCloseLegacyReconnect(t *testing.T) {
	cp := newClosePair(t, true, false)
	ai, bi := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), closeRates(2500, 4000, 6000))
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	cp.bob.deliver(t, cp.alice.outbox[0]) // bob counters
	cp.alice.outbox, cp.bob.outbox = nil, nil
	// The counter is lost with the connection.
	cp.alice.cc.Disconnected()
	cp.bob.cc.Disconnected()
	if _, err := cp.bob.cc.ReceiveMessage(context.Background(), &wire.ClosingSigned{ChannelID: cp.bob.cc.ChannelID()}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("message before Start: %v", err)
	}
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	closePump(t, cp.alice, cp.bob)
	tx := checkSameClose(t, cp)

	// Bob crashes after broadcasting, and alice never got his last
	// closing_signed (say): after a restart both negotiate again, at the
	// same fee, to the same transaction.
	bob, err := RestoreCoopClose(context.Background(), cp.bob, cp.bob.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if best := bob.Best(); best == nil || best.WitnessHash() != tx.WitnessHash() {
		t.Fatalf("restored best %v", best)
	}
	acts := bob.Rebroadcast()
	if len(acts) != 2 || acts[0].(*BroadcastClose).Tx.WitnessHash() != tx.WitnessHash() {
		t.Fatalf("rebroadcast %v", acts)
	}
	cp.bob.cc = bob
	cp.bob.broadcasts, cp.bob.signed = nil, nil
	cp.alice.cc.Disconnected()
	cp.alice.broadcasts, cp.alice.signed = nil, nil
	// Alice's estimate moved meanwhile; bob only accepts the agreed fee
	// or more, alice (restored too) only the agreed fee.
	alice, err := RestoreCoopClose(context.Background(), cp.alice, cp.alice.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cp.alice.cc = alice
	ai.Fees = closeRates(253, 1000, 1500)
	cp.alice.start(t, ai)
	cp.bob.start(t, bi)
	closePump(t, cp.alice, cp.bob)
	if again := checkSameClose(t, cp); again.WitnessHash() != tx.WitnessHash() {
		t.Fatal("the second negotiation made another transaction")
	}
}

func TestCoopCloseStartErrors(t *testing.T) {
	cp := newClosePair(t, true, false)
	ai, _ := closeStarts(600_000, 400_000, closeRates(1000, 2000, 3000), CloseFeePolicy{})
	ctx := context.Background()
	bad := ai
	bad.RemoteBalance--
	if _, err := cp.alice.cc.Start(ctx, bad); !errors.Is(err, ErrBalanceMismatch) {
		t.Fatalf("balances short of the funding: %v", err)
	}
	bad = ai
	bad.Fees = closeRates(3000, 2000, 1000)
	if _, err := cp.alice.cc.Start(ctx, bad); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("min above max: %v", err)
	}
	bad = ai
	bad.LocalScript = []byte{txscript.OP_TRUE}
	if _, err := cp.alice.cc.Start(ctx, bad); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("bad local script: %v", err)
	}
	bad = ai
	bad.RemoteScript = opReturn // OP_RETURN only under option_simple_close
	acts, err := cp.alice.cc.Start(ctx, bad)
	if !errors.Is(err, ErrCloseNegotiation) || len(acts) != 2 {
		t.Fatalf("bad remote script: %v %v", err, acts)
	}
	bad = ai
	bad.LocalBalance, bad.RemoteBalance = msat(100), msat(999_900) // the opener cannot pay the minimum
	if _, err := cp.alice.cc.Start(ctx, bad); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("opener too poor: %v", err)
	}
	if _, err := cp.alice.cc.Bump(ctx, CoopCloseBump{FeeRate: 5000}); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("bump under the legacy protocol: %v", err)
	}
	cp.alice.start(t, ai)
	if _, err := cp.alice.cc.Start(ctx, ai); !errors.Is(err, ErrInvalidClose) {
		t.Fatalf("second Start: %v", err)
	}
	if _, err := cp.alice.cc.ReceiveMessage(ctx, &wire.ClosingSigned{}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("another channel's message: %v", err)
	}
	if _, err := cp.alice.cc.ReceiveMessage(ctx, &wire.Ping{}); err == nil {
		t.Fatal("ping accepted")
	}
	if _, err := cp.alice.cc.ReceiveMessage(ctx, nil); err == nil {
		t.Fatal("nil accepted")
	}
	if _, err := NewCoopClose(CoopCloseConfig{Params: cp.tc.alice}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("no signer: %v", err)
	}
	if _, err := NewCoopClose(CoopCloseConfig{Signer: cp.tc.aliceSig}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("no params: %v", err)
	}
	// closing_complete under the legacy protocol.
	acts, err = cp.alice.cc.ReceiveMessage(ctx, &wire.ClosingComplete{ChannelID: cp.alice.cc.ChannelID()})
	if !errors.Is(err, ErrCloseNegotiation) || len(acts) != 2 {
		t.Fatalf("closing_complete under legacy: %v", err)
	}
}
