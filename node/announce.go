package node

import (
	"bytes"
	"context"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/wire"
)

// Announcing this node's channels (BOLT 7).
//
// A public channel (announce_channel set at the open) is announced once its
// funding transaction has six confirmations: each side sends
// announcement_signatures (its node key's and funding key's signatures of
// the channel_announcement), and with both, each builds the
// channel_announcement, adds it to its graph and sends it to its peers with
// its channel_update and node_announcement. Every channel, public or not,
// gets this node's channel_update sent to its peer once ready, so the peer
// knows the fees and CLTV delta this node charges to forward over it. The
// exchange is repeated after a reconnection until it completes (it is
// idempotent), so it needs no records of its own.

// AnnounceDepth is the confirmation depth before announcement_signatures
// (BOLT 7).
const AnnounceDepth = 6

// announceState is a channel's announcement progress (loop).
type announceState struct {
	public     bool
	sentSigs   bool
	peerSigs   *wire.AnnouncementSignatures
	ann        *wire.ChannelAnnouncement
	sentUpdate bool
}

// unsignedAnnouncement is the channel_announcement of cs without
// signatures, and whether this node is node_1.
func (n *Node) unsignedAnnouncement(cs *chanState, scid wire.ShortChannelID) (*wire.ChannelAnnouncement, bool) {
	p := cs.m.Params()
	ours, theirs := wire.Point(n.id), wire.Point(cs.peer)
	ann := &wire.ChannelAnnouncement{
		Features:       wire.FeatureVector{},
		ChainHash:      wire.ChainHash(*n.cfg.Network.GenesisHash),
		ShortChannelID: scid,
	}
	first := bytes.Compare(ours[:], theirs[:]) < 0
	if first {
		ann.NodeID1, ann.NodeID2 = ours, theirs
		ann.BitcoinKey1, ann.BitcoinKey2 = wire.NewPoint(p.Local.Funding), wire.NewPoint(p.Remote.Funding)
	} else {
		ann.NodeID1, ann.NodeID2 = theirs, ours
		ann.BitcoinKey1, ann.BitcoinKey2 = wire.NewPoint(p.Remote.Funding), wire.NewPoint(p.Local.Funding)
	}
	return ann, first
}

// announceTick advances the announcements of every channel (loop).
func (n *Node) announceTick() {
	for _, cs := range n.channels {
		n.advanceAnnouncement(cs)
	}
}

func (n *Node) advanceAnnouncement(cs *chanState) {
	if cs.status != chanOpen || !cs.m.Ready() || !cs.m.Connected() {
		// channel_reestablish first (BOLT 2).
		return
	}
	if _, ok := n.peers[cs.peer]; !ok {
		return
	}
	a := &cs.ann
	if !a.sentUpdate {
		if u := n.channelUpdate(cs); u != nil {
			n.sendTo(cs.peer, u)
			a.sentUpdate = true
		}
	}
	if !a.public || a.ann != nil {
		return
	}
	scid, ok := cs.m.ShortChannelID()
	if !ok || n.height+1 < scid.BlockHeight+AnnounceDepth {
		return
	}
	ann, first := n.unsignedAnnouncement(cs, scid)
	digest, err := ann.SignatureDigest()
	if err != nil {
		return
	}
	nodeSig := wire.NewSignature(ecdsa.Sign(n.nodeKey, digest[:]))
	fundSig := wire.NewSignature(ecdsa.Sign(n.keys.channelSecrets(cs.keyIndex).Funding, digest[:]))
	if !a.sentSigs {
		n.sendTo(cs.peer, &wire.AnnouncementSignatures{ChannelID: cs.id, ShortChannelID: scid, NodeSignature: nodeSig, BitcoinSignature: fundSig})
		a.sentSigs = true
	}
	if a.peerSigs == nil || a.peerSigs.ShortChannelID != scid {
		return
	}
	if first {
		ann.NodeSignature1, ann.BitcoinSignature1 = nodeSig, fundSig
		ann.NodeSignature2, ann.BitcoinSignature2 = a.peerSigs.NodeSignature, a.peerSigs.BitcoinSignature
	} else {
		ann.NodeSignature2, ann.BitcoinSignature2 = nodeSig, fundSig
		ann.NodeSignature1, ann.BitcoinSignature1 = a.peerSigs.NodeSignature, a.peerSigs.BitcoinSignature
	}
	if err := ann.VerifySignatures(); err != nil {
		n.log.Warn("the peer's announcement_signatures do not verify", "channel", cs.id, "err", err)
		a.peerSigs = nil
		return
	}
	a.ann = ann
	if added, _ := n.graph.AddChannel(ann, cs.m.Params().FundingAmount, n.now()); added {
		n.watchFunding(ann)
	}
	u := n.channelUpdate(cs)
	if u != nil {
		n.graph.ApplyChannelUpdate(u)
	}
	na := n.nodeAnnouncement()
	if na != nil {
		// Kept with the graph, so that it is served with the channel.
		n.graph.ApplyNodeAnnouncement(na)
	}
	for id := range n.peers {
		n.sendTo(id, ann)
		if u != nil {
			n.sendTo(id, u)
		}
		if na != nil {
			n.sendTo(id, na)
		}
	}
}

// receiveAnnouncementSignatures records the peer's half (loop).
func (n *Node) receiveAnnouncementSignatures(cs *chanState, m *wire.AnnouncementSignatures) {
	s := *m
	cs.ann.peerSigs = &s
	if cs.ann.ann != nil {
		// We have announced already; the peer lost our half: resend it.
		cs.ann.sentSigs = false
		cs.ann.ann = nil
	}
	n.advanceAnnouncement(cs)
}

// channelUpdate is this node's signed channel_update for cs (loop).
func (n *Node) channelUpdate(cs *chanState) *wire.ChannelUpdate {
	scid := n.channelRef(cs)
	if scid == (wire.ShortChannelID{}) {
		return nil
	}
	pol := n.cfg.Policy
	u := &wire.ChannelUpdate{
		ChainHash:                 wire.ChainHash(*n.cfg.Network.GenesisHash),
		ShortChannelID:            scid,
		Timestamp:                 uint32(n.now().Unix()),
		MessageFlags:              wire.ChanUpdateMustBeOne,
		CLTVExpiryDelta:           pol.CLTVDelta,
		HTLCMinimum:               pol.HTLCMinimum,
		FeeBase:                   pol.FeeBase,
		FeeProportionalMillionths: pol.FeePPM,
		HTLCMaximum:               wire.MilliSatoshi(cs.m.Params().FundingAmount) * 1000,
	}
	ours, theirs := wire.Point(n.id), wire.Point(cs.peer)
	if bytes.Compare(ours[:], theirs[:]) > 0 {
		u.ChannelFlags |= wire.ChanUpdateDirection
	}
	digest, err := u.SignatureDigest()
	if err != nil {
		return nil
	}
	u.Signature = wire.NewSignature(ecdsa.Sign(n.nodeKey, digest[:]))
	return u
}

// nodeAnnouncement is this node's signed node_announcement (loop).
func (n *Node) nodeAnnouncement() *wire.NodeAnnouncement {
	alias, err := wire.NewNodeAlias(n.cfg.Alias)
	if err != nil {
		alias = wire.NodeAlias{}
	}
	na := &wire.NodeAnnouncement{
		Features: n.features(), Timestamp: uint32(n.now().Unix()), NodeID: wire.Point(n.id),
		RGBColor: wire.RGBColor{0x3b, 0x6e, 0xa5}, Alias: alias,
	}
	digest, err := na.SignatureDigest()
	if err != nil {
		return nil
	}
	na.Signature = wire.NewSignature(ecdsa.Sign(n.nodeKey, digest[:]))
	return na
}

// loadAnnounce restores whether a channel is public (before the loop).
func (n *Node) loadAnnounce(ctx context.Context, cs *chanState) {
	if terms, err := channel.LoadFundingTerms(ctx, n.st, cs.id); err == nil && terms != nil {
		cs.ann.public = terms.Announce
	}
}

var _ = btcec.PrivateKey{}
