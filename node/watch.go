package node

import (
	"context"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
)

// The on-chain side of channels: the latest local commitment broadcast in
// a force close, and the monitors that resolve a closed channel.

// signedCommitment completes the latest local commitment (loop).
func (n *Node) signedCommitment(cs *chanState) (*btcwire.MsgTx, error) {
	c, err := cs.m.LocalCommitment()
	if err != nil {
		return nil, err
	}
	return channel.SignedCommitmentTx(context.Background(), n.machineConfig(cs.keyIndex).Signer, cs.m.Params(), c, cs.m.LocalSigs().CommitSig)
}

// fundingPkScript is the channel's funding output script.
func fundingPkScript(cs *chanState) []byte {
	p := cs.m.Params()
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return nil
	}
	return script.P2WSH(ws)
}

// executeOther handles actions of other producers (loop).
func (n *Node) executeOther(cs *chanState, a channel.Action) {}

var _ = chain.Block{}

// monitorUpdate hands a channel's monitor update to its watcher (loop).
// The watcher (package monitor) is wired in here; until then updates are
// not kept beyond the channel's own records.
func (n *Node) monitorUpdate(cs *chanState, u *channel.MonitorUpdate) {}

// monitorsBlock and monitorsDisconnect feed the watchers (loop).
func (n *Node) monitorsBlock(b *chain.Block) {}

func (n *Node) monitorsDisconnect(h btcwire.BlockHeader, height uint32) {}
