package mobile

import (
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// OpenChannelRequest asks to open a channel, paid by the host's Wallet.
type OpenChannelRequest struct {
	// PeerID is the connected peer to open with (hex).
	PeerID string
	// AmountSat is the channel's capacity.
	AmountSat int64
	// PushMsat gives the peer this much at once.
	PushMsat int64
	// Public announces the channel to the network. A phone's channels
	// are normally unannounced (the default) and use an alias
	// (option_scid_alias) when the peer supports it.
	Public bool
	// ZeroConf asks the peer to use the channel before the funding
	// confirms (option_zeroconf; the peer must trust this node, as an
	// LSP does).
	ZeroConf bool
	// FeeRateSatPerKw is the funding transaction's fee rate (0: the
	// ChainBackend's rate for 6 blocks).
	FeeRateSatPerKw int64
}

// NewOpenChannelRequest returns a request for a private channel of
// amountSat with peerID.
func NewOpenChannelRequest(peerID string, amountSat int64) *OpenChannelRequest {
	return &OpenChannelRequest{PeerID: peerID, AmountSat: amountSat}
}

// OpenChannel opens a channel and returns its channel id (hex) once the
// funding transaction is broadcast; OnChannelReady follows when it can be
// used (after Config.MinDepth confirmations for the peer's side).
func (n *Node) OpenChannel(req *OpenChannelRequest, timeoutMs int64) (string, error) {
	if req == nil {
		return "", newError(CodeInvalidArgument, "no request")
	}
	nd, err := n.running()
	if err != nil {
		return "", err
	}
	pub, err := parsePubKey("peer id", req.PeerID)
	if err != nil {
		return "", err
	}
	if req.AmountSat <= 0 || req.PushMsat < 0 || req.FeeRateSatPerKw < 0 {
		return "", newError(CodeInvalidArgument, "amount must be positive, push and fee rate not negative")
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	id, err := nd.OpenChannel(ctx, node.OpenChannelRequest{
		Peer: pub, Amount: btcutil.Amount(req.AmountSat), Push: wire.MilliSatoshi(req.PushMsat),
		Private: !req.Public, ZeroConf: req.ZeroConf, FeeRate: clampRate(req.FeeRateSatPerKw),
	})
	if err != nil {
		return "", mapError(err)
	}
	return id.String(), nil
}

// CloseChannel closes a channel and returns the closing transaction's id:
// cooperatively (once both signed it and it is broadcast), or with force,
// broadcasting this node's latest commitment (whose outputs to this node
// are delayed by the peer's to_self_delay).
func (n *Node) CloseChannel(channelID string, force bool, timeoutMs int64) (string, error) {
	nd, err := n.running()
	if err != nil {
		return "", err
	}
	raw, err := hex.DecodeString(channelID)
	if err != nil || len(raw) != 32 {
		return "", newError(CodeInvalidArgument, fmt.Sprintf("channel id %q: want 64 hex digits", channelID))
	}
	var id wire.ChannelID
	copy(id[:], raw)
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	txid, err := nd.CloseChannel(ctx, id, force)
	if err != nil {
		return "", mapError(err)
	}
	return txid.String(), nil
}

// ChannelInfo describes a channel and its balances.
type ChannelInfo struct {
	// ChannelID is the channel id (hex; a temporary id while "opening").
	ChannelID string
	// PeerID is the peer's node id (hex).
	PeerID string
	// ShortChannelID is "BLOCKxTXxOUTPUT" once confirmed, else "".
	ShortChannelID string
	// CapacitySat is the channel's size.
	CapacitySat int64
	// Ready tells whether it carries payments.
	Ready bool
	// Status is "opening", "open", "closing", "force-closed" or "closed".
	Status string
	// Initiator is set when this node opened it.
	Initiator bool
	// LocalMsat and RemoteMsat are the two balances of the latest
	// commitment, outside HTLCs in flight.
	LocalMsat, RemoteMsat int64
	// OutboundMsat is what this node can send now (its balance less its
	// reserve and, as opener, the commitment fee); InboundMsat what it
	// can receive.
	OutboundMsat, InboundMsat int64
	// LocalReserveSat and RemoteReserveSat are the reserves each side
	// must keep.
	LocalReserveSat, RemoteReserveSat int64
	// InFlightOutMsat and InFlightInMsat are the HTLCs outstanding.
	InFlightOutMsat, InFlightInMsat int64
}

func newChannelInfo(c *node.ChannelInfo) *ChannelInfo {
	out := &ChannelInfo{
		ChannelID: c.ChannelID.String(), PeerID: hex.EncodeToString(c.Peer[:]), CapacitySat: int64(c.Capacity),
		Ready: c.Ready, Status: c.Status, Initiator: c.Initiator,
		LocalMsat: int64(c.Local), RemoteMsat: int64(c.Remote), OutboundMsat: int64(c.Outbound), InboundMsat: int64(c.Inbound),
		LocalReserveSat: int64(c.LocalReserve), RemoteReserveSat: int64(c.RemoteReserve),
		InFlightOutMsat: int64(c.InFlightOut), InFlightInMsat: int64(c.InFlightIn),
	}
	if c.ShortChannelID != (wire.ShortChannelID{}) {
		out.ShortChannelID = c.ShortChannelID.String()
	}
	return out
}

// ChannelList is a read-only list of channels.
type ChannelList struct{ items []*ChannelInfo }

// Len returns the number of channels.
func (l *ChannelList) Len() int { return len(l.items) }

// Get returns the i-th channel, or nil when i is out of range.
func (l *ChannelList) Get(i int) *ChannelInfo {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	c := *l.items[i]
	return &c
}

// ListChannels returns every channel, ordered by channel id.
func (n *Node) ListChannels(timeoutMs int64) (*ChannelList, error) {
	chs, err := n.channels(timeoutMs)
	if err != nil {
		return nil, err
	}
	l := &ChannelList{}
	for i := range chs {
		l.items = append(l.items, newChannelInfo(&chs[i]))
	}
	return l, nil
}

func (n *Node) channels(timeoutMs int64) ([]node.ChannelInfo, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	chs, err := nd.ListChannels(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	sort.Slice(chs, func(i, j int) bool { return chs[i].ChannelID.String() < chs[j].ChannelID.String() })
	return chs, nil
}

// Balances sums the node's channels. The on-chain balance is the host
// wallet's.
type Balances struct {
	// LightningMsat is this node's balance in channels that are ready.
	LightningMsat int64
	// SendableMsat and ReceivableMsat are what it can send and receive
	// now over those channels (summed; one payment may need to split).
	SendableMsat, ReceivableMsat int64
	// PendingOpenMsat is its balance in channels whose funding has not
	// confirmed yet (0 for a channel still being negotiated, whose
	// balances the node reports only once funded).
	PendingOpenMsat int64
	// ClosingMsat is its balance in channels being closed whose closing
	// transaction has not confirmed yet (less the closing fees). Once it
	// confirms, the channel is "closed" and what it paid this node is on
	// chain: in the Wallet after a cooperative close, time-locked (the
	// peer's to_self_delay) and then swept to the Wallet after a force
	// close; node.ChannelInfo does not report that amount.
	ClosingMsat int64
}

// Balances returns the node's Lightning balances.
func (n *Node) Balances(timeoutMs int64) (*Balances, error) {
	chs, err := n.channels(timeoutMs)
	if err != nil {
		return nil, err
	}
	b := &Balances{}
	for _, c := range chs {
		switch {
		case c.Status == "open" && c.Ready:
			b.LightningMsat += int64(c.Local)
			b.SendableMsat += int64(c.Outbound)
			b.ReceivableMsat += int64(c.Inbound)
		case c.Status == "open" || c.Status == "opening":
			b.PendingOpenMsat += int64(c.Local)
		case c.Status == "closing" || c.Status == "force-closed":
			b.ClosingMsat += int64(c.Local)
		}
	}
	return b, nil
}
