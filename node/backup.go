package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/wire"
)

// Backups and recovery.
//
// ExportBackup returns the static channel backup of every open channel
// (package backup: peer, funding outpoint, type, keys' derivation index;
// nothing per state), encrypted with a key from the node seed. After total
// loss of the store, a new node with the same seed and RestoreBackup
// reconnects to each peer, sends the channel_reestablish that tells it
// this node lost state (so the peer force-closes), and sweeps this node's
// output of the peer's commitment to the wallet once it confirms. HTLCs in
// flight at the loss are not recovered. A restored node never broadcasts a
// commitment of its own.

const keyRecover = "node/recover/"

// recovery is a channel being recovered from a backup.
type recovery struct {
	s        *backup.Single
	keyIndex uint32
	swept    bool
	// sweeping is set while a sweep is being built and broadcast.
	sweeping bool
	closeTx  *btcwire.MsgTx
}

// keyInfo is what a backup keeps of a channel's key derivation: its key
// index (see the package doc's key derivation).
func keyInfo(i uint32) []byte { return binary.BigEndian.AppendUint32([]byte("lnkit/v1"), i) }

func parseKeyInfo(b []byte) (uint32, error) {
	if len(b) != 12 || string(b[:8]) != "lnkit/v1" {
		return 0, fmt.Errorf("%w: backup key info %x", ErrInvalidRequest, b)
	}
	return binary.BigEndian.Uint32(b[8:]), nil
}

// ExportBackup returns the encrypted static backup of the node's open
// channels.
func (n *Node) ExportBackup(ctx context.Context) ([]byte, error) {
	key, err := backup.DeriveKey(n.cfg.Seed)
	if err != nil {
		return nil, err
	}
	var m *backup.Multi
	err = n.do(ctx, func() error {
		var err error
		m, err = n.backupMulti(ctx, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return backup.EncryptMulti(key, m, n.rand)
}

// backupMulti is the static backup of the channels that are not closed,
// only those with peer when peer is set (loop).
func (n *Node) backupMulti(ctx context.Context, peer *[33]byte) (*backup.Multi, error) {
	m := &backup.Multi{}
	for _, cs := range n.channels {
		if cs.status >= chanClosed || peer != nil && cs.peer != *peer {
			continue
		}
		pub, err := parseNodeID(cs.peer)
		if err != nil {
			return nil, err
		}
		var addrs []string
		if a, err := n.st.Get(ctx, keyPeer+hex.EncodeToString(cs.peer[:])); err == nil && len(a) > 0 {
			addrs = append(addrs, string(a))
		}
		s, err := backup.NewSingle(wire.ChainHash(*n.cfg.Network.GenesisHash), pub, addrs, cs.m.Params(), keyInfo(cs.keyIndex))
		if err != nil {
			return nil, err
		}
		if scid, ok := cs.m.ShortChannelID(); ok {
			s.ShortChannelID = scid
		}
		m.Singles = append(m.Singles, *s)
	}
	return m, nil
}

// Peer storage (BOLT 1 peer_storage, option_provide_storage).
//
// Each peer that offers storage gets, in peer_storage, the encrypted
// static backup of this node's channels with it, sent again whenever the
// set changes and on every connection. When a peer hands it back
// (peer_storage_retrieval) with channels this node does not have (it lost
// its store), their recovery starts as with RestoreBackup. This node also
// keeps one blob for each peer that has a channel with it and returns it
// on reconnection.

const keyPeerStore = "node/pstore/"

// sendPeerStorage sends pc the backup of its channels (loop).
func (n *Node) sendPeerStorage(pc *peerConn) {
	if !pc.p.Features().Remote.HasFeature(wire.FeatureProvideStorage) {
		return
	}
	m, err := n.backupMulti(n.ctx, &pc.id)
	if err != nil || len(m.Singles) == 0 {
		return
	}
	key, err := backup.DeriveKey(n.cfg.Seed)
	if err != nil {
		return
	}
	msg, err := backup.PeerStorage(key, m, n.rand)
	if err != nil {
		n.log.Warn("peer storage", "err", err)
		return
	}
	n.sendTo(pc.id, msg)
}

// peerStorageChanged sends the new backup to a channel's peer (loop).
func (n *Node) peerStorageChanged(peer [33]byte) {
	if pc, ok := n.peers[peer]; ok {
		n.sendPeerStorage(pc)
	}
}

// handlePeerStorage keeps a peer's blob, for peers this node has a
// channel with (loop).
func (n *Node) handlePeerStorage(pc *peerConn, m *wire.PeerStorage) {
	for _, cs := range n.channels {
		if cs.peer == pc.id && cs.status < chanClosed {
			n.batch.Put(keyPeerStore+hex.EncodeToString(pc.id[:]), append([]byte(nil), m.Blob...))
			return
		}
	}
}

// returnPeerStorage hands a reconnecting peer the blob it stored (loop).
func (n *Node) returnPeerStorage(pc *peerConn) {
	blob, err := n.st.Get(n.ctx, keyPeerStore+hex.EncodeToString(pc.id[:]))
	if err != nil || len(blob) == 0 {
		return
	}
	n.sendTo(pc.id, &wire.PeerStorageRetrieval{Blob: blob})
}

// handlePeerStorageRetrieval recovers channels this node lost, from the
// backup its peer kept (loop).
func (n *Node) handlePeerStorageRetrieval(pc *peerConn, m *wire.PeerStorageRetrieval) {
	key, err := backup.DeriveKey(n.cfg.Seed)
	if err != nil {
		return
	}
	multi, err := backup.FromPeerStorage(key, m)
	if err != nil {
		n.log.Info("peer_storage_retrieval not ours", "err", err)
		return
	}
	for i := range multi.Singles {
		s := &multi.Singles[i]
		if peerKey(s) != pc.id {
			continue
		}
		id := s.ChannelID()
		if _, ok := n.channels[id]; ok {
			continue
		}
		if _, ok := n.recovering[id]; ok || n.recovered[id] {
			continue
		}
		n.log.Warn("the peer returned a backup of a channel this node does not have: recovering it", "channel", id)
		if err := n.startRecovery(s); err != nil {
			n.log.Error("recovery from peer storage", "err", err)
			continue
		}
		n.sendRecovery(pc, n.recovering[id])
	}
}

// RestoreBackup starts the recovery of the channels in an encrypted
// backup (see ExportBackup): it reconnects to their peers and sweeps what
// the peers' commitments pay this node. Channels the node already has are
// skipped. The recovery survives restarts.
func (n *Node) RestoreBackup(ctx context.Context, blob []byte) error {
	key, err := backup.DeriveKey(n.cfg.Seed)
	if err != nil {
		return err
	}
	m, err := backup.DecryptMulti(key, blob)
	if err != nil {
		return err
	}
	var dial []*recovery
	err = n.do(ctx, func() error {
		for i := range m.Singles {
			s := &m.Singles[i]
			id := s.ChannelID()
			if _, ok := n.channels[id]; ok || n.recovered[id] {
				continue
			}
			if _, ok := n.recovering[id]; ok {
				continue
			}
			if err := n.startRecovery(s); err != nil {
				return err
			}
			r := n.recovering[id]
			dial = append(dial, r)
			if pc, ok := n.peers[peerKey(s)]; ok {
				n.sendRecovery(pc, r)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range dial {
		n.dialRecovery(r)
	}
	return nil
}

// startRecovery records a channel to recover (loop).
func (n *Node) startRecovery(s *backup.Single) error {
	id := s.ChannelID()
	ki, err := parseKeyInfo(s.KeyInfo)
	if err != nil {
		return err
	}
	if err := s.VerifyBasepoints(channel.NewMemorySigner(n.keys.channelSecrets(ki)).Basepoints()); err != nil {
		return fmt.Errorf("node: backup of channel %v is not this seed's: %w", id, err)
	}
	n.recovering[id] = &recovery{s: s, keyIndex: ki}
	n.watchRecovery(s)
	enc, err := s.Encode()
	if err != nil {
		return err
	}
	n.batch.Put(keyRecover+hex.EncodeToString(id[:]), enc)
	if ki >= n.nextKey {
		n.nextKey = ki + 1
		n.batch.Put(keyNextKey, binary.BigEndian.AppendUint32(nil, n.nextKey))
	}
	return nil
}

func peerKey(s *backup.Single) [33]byte {
	var id [33]byte
	copy(id[:], s.PeerNodeID.SerializeCompressed())
	return id
}

// dialRecovery connects to a recovering channel's peer in the background.
func (n *Node) dialRecovery(r *recovery) {
	for _, addr := range r.s.PeerAddresses {
		addr := addr
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.Connect(n.ctx, r.s.PeerNodeID, addr); err != nil {
				n.log.Info("recovery dial", "addr", addr, "err", err)
			}
		}()
	}
}

// sendRecovery asks the peer to close a channel this node lost (loop).
func (n *Node) sendRecovery(pc *peerConn, r *recovery) {
	re, err := backup.Reestablish(r.s, nil)
	if err != nil {
		n.log.Error("recovery reestablish", "err", err)
		return
	}
	fc, err := backup.ForceCloseRequest(r.s)
	if err != nil {
		n.log.Error("recovery error message", "err", err)
		return
	}
	n.sendTo(pc.id, re)
	n.sendTo(pc.id, fc)
}

// loadRecoveries restores the recoveries in progress (before the loop).
func (n *Node) loadRecoveries(ctx context.Context) error {
	keys, err := n.st.List(ctx, keyRecover)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/done") {
			// A finished recovery: the record is its sweep.
			raw, err := hex.DecodeString(strings.TrimSuffix(strings.TrimPrefix(k, keyRecover), "/done"))
			if err != nil || len(raw) != 32 {
				return fmt.Errorf("node: corrupt recovery key %s", k)
			}
			n.recovered[wire.ChannelID(raw)] = true
			continue
		}
		v, err := n.st.Get(ctx, k)
		if err != nil {
			return err
		}
		s, err := backup.DecodeSingle(v)
		if err != nil {
			return fmt.Errorf("node: recovery record %s: %w", k, err)
		}
		ki, err := parseKeyInfo(s.KeyInfo)
		if err != nil {
			return err
		}
		n.recovering[s.ChannelID()] = &recovery{s: s, keyIndex: ki}
		n.watchRecovery(s)
	}
	return nil
}

// watchRecovery asks the host's Filter to watch a recovering channel's
// funding output, whose spend is the peer's commitment.
func (n *Node) watchRecovery(s *backup.Single) {
	if f := n.filter(); f != nil {
		pk, err := fundingScriptOf(s.Params())
		if err == nil {
			f.RegisterOutput(chain.WatchedOutput{OutPoint: s.FundingOutpoint, PkScript: pk})
		}
	}
}

// recoveryBlock sweeps this node's output of a recovering channel's
// closing transaction once it can (loop).
func (n *Node) recoveryBlock(b *chain.Block) {
	for id, r := range n.recovering {
		if r.swept || r.sweeping {
			continue
		}
		if r.closeTx == nil {
			for _, itx := range b.Txs {
				for _, in := range itx.Tx.TxIn {
					if in.PreviousOutPoint == r.s.FundingOutpoint {
						r.closeTx = itx.Tx
					}
				}
			}
			if r.closeTx == nil {
				continue
			}
		}
		id, r := id, r
		tx := r.closeTx
		rate := n.feeEstimate()
		signer := n.machineConfig(r.keyIndex).Signer
		r.sweeping = true
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			done := func() { n.post(func() { r.sweeping = false }) }
			dest, err := n.cfg.Wallet.NewScript(n.ctx)
			if err != nil {
				done()
				return
			}
			sw, err := backup.SweepToRemote(n.ctx, signer, r.s, tx, nil, dest, rate)
			if err != nil {
				n.log.Info("recovery sweep not possible", "channel", id, "err", err)
				n.post(func() {
					r.sweeping = false
					if errors.Is(err, backup.ErrInvalid) {
						r.swept = true
					}
				})
				return
			}
			if err := n.cfg.Broadcaster.Broadcast(n.ctx, sw.Tx); err != nil {
				// Too early (CSV 1 under anchors): the next block tries
				// again.
				n.log.Info("recovery sweep broadcast", "channel", id, "err", err)
				done()
				return
			}
			n.post(func() {
				r.sweeping = false
				r.swept = true
				n.recovered[id] = true
				var buf bytes.Buffer
				sw.Tx.Serialize(&buf)
				n.batch.Put(keyRecover+hex.EncodeToString(id[:])+"/done", buf.Bytes())
				n.batch.Delete(keyRecover + hex.EncodeToString(id[:]))
				ev := &ChannelClosed{ChannelID: id, Peer: peerKey(r.s), Reason: "recovered from backup: swept " + sw.Tx.TxHash().String()}
				n.afterCommit(func() { n.events.push(ev) })
			})
		}()
	}
}
