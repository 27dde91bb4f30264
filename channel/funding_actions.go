package channel

import (
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
)

// Actions of channel establishment, besides *Send, *Persist and
// *MonitorUpdate. The host performs them in order, like a Machine's.

// FundingTxNeeded asks the host for the funding transaction: an unsigned
// transaction, paid by its wallet, with Output among its outputs and only
// segwit inputs, so that its txid is final before it is signed (BOLT 2
// funding_created; chain.Wallet's FundPsbt with Outputs {Output} and
// FeeRate gives one). The host answers with Funding.FundingTxBuilt, or
// Funding.Abandon if the wallet cannot pay. It must not broadcast the
// transaction before *BroadcastFunding.
type FundingTxNeeded struct {
	// TemporaryChannelID names the negotiation.
	TemporaryChannelID wire.ChannelID
	// Output is the funding output: funding_satoshis to the P2WSH of
	// WitnessScript.
	Output *btcwire.TxOut
	// WitnessScript is the 2-of-2 funding script.
	WitnessScript []byte
	// FeeRate is OpenRequest.FundingFeeRate.
	FeeRate wire.SatPerKWeight
}

// ReleaseFundingInputs tells the host the funding transaction will never
// be broadcast: it unlocks the wallet's inputs (chain.Wallet's
// ReleaseInputs) and forgets the transaction. A host that had not funded
// one yet ignores it.
type ReleaseFundingInputs struct {
	// TemporaryChannelID names the negotiation.
	TemporaryChannelID wire.ChannelID
}

// BroadcastFunding tells the opener's host that the peer signed its
// commitment 0: it signs the funding transaction with its wallet and
// broadcasts it. The preceding *Persist made the channel durable. A host
// that crashes before the broadcast is done broadcasts it after the
// restart, so it keeps the transaction (or the wallet's lock on its
// inputs) until the funding is confirmed.
type BroadcastFunding struct {
	// ChannelID is the new channel's id.
	ChannelID wire.ChannelID
	// FundingOutpoint is the funding output.
	FundingOutpoint btcwire.OutPoint
}

// ChannelOpened reports that channel establishment succeeded: Machine is
// the channel from now on, and every later message for ChannelID goes to
// it. It is the last action of the step that opened the channel, after
// the channel's *Persist, funding_signed or *BroadcastFunding.
type ChannelOpened struct {
	// TemporaryChannelID and ChannelID are the negotiation's and the
	// channel's ids.
	TemporaryChannelID, ChannelID wire.ChannelID
	// Machine is the open channel (connected, awaiting channel_ready).
	Machine *Machine
	// Result is what the negotiation agreed.
	Result *FundingResult
}

func (*FundingTxNeeded) action()      {}
func (*ReleaseFundingInputs) action() {}
func (*BroadcastFunding) action()     {}
func (*ChannelOpened) action()        {}
