package channel_test

import (
	"context"
	"fmt"
	"strings"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// exampleHost is the smallest correct host of a Machine: it makes each
// step's writes durable (here: a map) before it delivers the step's
// messages to the peer.
type exampleHost struct {
	name  string
	m     *channel.Machine
	store map[string][]byte
	peer  *exampleHost
	inbox []wire.Message
	log   *[]string
	// lockedIn collects the peer's HTLCs that are irrevocably committed.
	lockedIn []*channel.HTLCLockedIn
}

func (h *exampleHost) perform(acts []channel.Action) {
	var steps []string
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
			for _, op := range a.Ops {
				if op.Delete {
					delete(h.store, op.Key)
				} else {
					h.store[op.Key] = op.Value
				}
			}
			steps = append(steps, "persist")
		case *channel.MonitorUpdate:
			steps = append(steps, "monitor")
		case *channel.Send:
			h.peer.inbox = append(h.peer.inbox, a.Msg)
			steps = append(steps, a.Msg.MsgType().String())
		case *channel.HTLCLockedIn:
			h.lockedIn = append(h.lockedIn, a)
			steps = append(steps, "locked-in")
		case *channel.HTLCSettled:
			steps = append(steps, "settled")
			// The host records the payment, then acknowledges the
			// outcome (its own line below: the ack is a write).
			defer h.perform(h.m.AckResolution(a.ID))
		}
	}
	if len(steps) > 0 {
		*h.log = append(*h.log, h.name+": "+strings.Join(steps, ", "))
	}
}

// deliver hands every waiting message to the machine.
func (h *exampleHost) deliver(ctx context.Context) bool {
	busy := len(h.inbox) > 0
	for len(h.inbox) > 0 {
		msg := h.inbox[0]
		h.inbox = h.inbox[1:]
		acts, err := h.m.ReceiveMessage(ctx, msg)
		if err != nil {
			panic(err)
		}
		h.perform(acts)
	}
	return busy
}

// openExampleChannel opens a zero-conf channel between two Machines
// through channel.Funding, with a made-up funding transaction.
func openExampleChannel(ctx context.Context) (alice, bob *channel.Machine) {
	acfg, bcfg := exampleFundingConfig("alice"), exampleFundingConfig("bob")
	aliasA, aliasB := wire.ShortChannelID{BlockHeight: 16_000_001}, wire.ShortChannelID{BlockHeight: 16_000_002}
	acfg.Alias, bcfg.Alias = &aliasA, &aliasB
	feats := wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureChannelType.Optional(), wire.FeatureSCIDAlias.Optional(), wire.FeatureZeroConf.Optional())
	acfg.LocalFeatures, acfg.RemoteFeatures, bcfg.LocalFeatures, bcfg.RemoteFeatures = feats, feats, feats, feats
	bcfg.Policy.AcceptZeroConf = true
	fa, acts, err := channel.NewOutboundFunding(acfg, channel.OpenRequest{FundingAmount: 1_000_000, FeeRate: 1000, FundingFeeRate: 1000,
		PushAmount: 100_000_000, SCIDAlias: true, ZeroConf: true})
	if err != nil {
		panic(err)
	}
	var fb *channel.Funding
	var toBob, toAlice []wire.Message
	var ma, mb *channel.Machine
	take := func(acts []channel.Action, out *[]wire.Message, m **channel.Machine) []*channel.FundingTxNeeded {
		var need []*channel.FundingTxNeeded
		for _, a := range acts {
			switch a := a.(type) {
			case *channel.Send:
				*out = append(*out, a.Msg)
			case *channel.FundingTxNeeded:
				need = append(need, a)
			case *channel.ChannelOpened:
				*m = a.Machine
			}
		}
		return need
	}
	take(acts, &toBob, &ma)
	fb, acts, err = channel.NewInboundFunding(bcfg, toBob[0].(*wire.OpenChannel), 1000)
	if err != nil {
		panic(err)
	}
	toBob = nil
	take(acts, &toAlice, &mb)
	acts, err = fa.ReceiveMessage(ctx, toAlice[0])
	if err != nil {
		panic(err)
	}
	toAlice = nil
	need := take(acts, &toBob, &ma)
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: btcwire.OutPoint{Index: 7}})
	tx.AddTxOut(need[0].Output)
	if acts, err = fa.FundingTxBuilt(ctx, tx); err != nil {
		panic(err)
	}
	take(acts, &toBob, &ma)
	if acts, err = fb.ReceiveMessage(ctx, toBob[0]); err != nil {
		panic(err)
	}
	take(acts, &toAlice, &mb)
	if acts, err = fa.ReceiveMessage(ctx, toAlice[0]); err != nil {
		panic(err)
	}
	take(acts, &toBob, &ma)
	// Both sent channel_ready at once (zero-conf): exchange them.
	ready := func(m *channel.Machine, msgs []wire.Message) {
		for _, msg := range msgs {
			if cr, ok := msg.(*wire.ChannelReady); ok {
				if _, err := m.ReceiveMessage(ctx, cr); err != nil {
					panic(err)
				}
			}
		}
	}
	ready(mb, toBob)
	ready(ma, toAlice)
	return ma, mb
}

// Drive two channels through a payment: alice offers an HTLC and signs,
// bob locks it in and fulfills it. Each line is one step of one side: the
// actions it returned, in the order its host performs them. Every
// persist comes before the messages that depend on it.
func ExampleMachine() {
	ctx := context.Background()
	ma, mb := openExampleChannel(ctx)
	var log []string
	alice := &exampleHost{name: "alice", m: ma, store: map[string][]byte{}, log: &log}
	bob := &exampleHost{name: "bob", m: mb, store: map[string][]byte{}, log: &log}
	alice.peer, bob.peer = bob, alice

	pre := htlc.Preimage{1, 2, 3}
	var onion [wire.OnionPacketSize]byte
	_, acts, err := ma.AddHTLC(&channel.AddHTLC{Amount: 50_000_000, PaymentHash: pre.Hash(), Expiry: 1000, Onion: &onion})
	if err != nil {
		panic(err)
	}
	alice.perform(acts)
	acts, err = ma.SignCommitment(ctx)
	if err != nil {
		panic(err)
	}
	alice.perform(acts)
	for bob.deliver(ctx) || alice.deliver(ctx) {
	}
	for _, li := range bob.lockedIn {
		acts, err := mb.FulfillHTLC(li.HTLC.ID, pre, nil)
		if err != nil {
			panic(err)
		}
		bob.perform(acts)
		acts, err = mb.SignCommitment(ctx)
		if err != nil {
			panic(err)
		}
		bob.perform(acts)
	}
	for alice.deliver(ctx) || bob.deliver(ctx) {
	}
	for _, line := range log {
		fmt.Println(line)
	}
	fmt.Println("alice:", ma.Balance().Local, " bob:", mb.Balance().Local)
	// Output:
	// alice: persist, update_add_htlc
	// alice: persist, monitor, commitment_signed
	// bob: persist, monitor, monitor, revoke_and_ack, commitment_signed
	// alice: persist, monitor
	// alice: persist, monitor, revoke_and_ack
	// bob: persist, monitor, locked-in
	// bob: persist, monitor, update_fulfill_htlc
	// bob: persist, monitor, commitment_signed
	// alice: persist, monitor, settled
	// alice: persist
	// alice: persist, monitor, monitor, revoke_and_ack, commitment_signed
	// bob: persist, monitor
	// bob: persist, monitor, revoke_and_ack
	// alice: persist, monitor
	// alice: 850000000 msat  bob: 150000000 msat
}
