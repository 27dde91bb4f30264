package monitor

import (
	"bytes"
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
)

// closeInfo is what the transaction spending the funding output is.
type closeInfo struct {
	kind   CloseKind
	tx     *confTx
	number uint64
	// c is the commitment: rebuilt from the monitor's records, or, for a
	// commitment the monitor does not hold, made up of the outputs it can
	// recognise by script (synthetic).
	c         *channel.Commitment
	synthetic bool
	local     *localCommit
	secret    *btcec.PrivateKey
	err       error
}

// classify tells what f, the funding spender, is (BOLT 5: mutual close,
// unilateral close by either side, revoked transaction close).
func (m *Monitor) classify(ctx context.Context, f *confTx) *closeInfo {
	ci := &closeInfo{tx: f}
	for _, lc := range []*localCommit{m.local, m.localOld} {
		if lc != nil && lc.info.TxID == f.txid {
			ci.kind, ci.c, ci.local, ci.number = CloseLocal, lc.c, lc, lc.info.State.Number
			return ci
		}
	}
	n, err := script.CommitmentNumberFromTx(f.tx, m.obscuring)
	if err != nil {
		// Not a commitment: a closing transaction, which needs both
		// funding signatures.
		ci.kind = CloseCooperative
		return ci
	}
	ci.number = n
	for _, rc := range m.remotes {
		if rc.info.TxID == f.txid {
			ci.kind, ci.c = CloseRemote, rc.c
			return ci
		}
	}
	if n < m.secrets.Received() {
		sec, err := m.secrets.LookupCommitment(n)
		if err != nil {
			ci.err = fmt.Errorf("monitor: secret of revoked commitment %d: %w", n, err)
			return ci
		}
		ci.kind, ci.secret = CloseRevoked, sec.PrivKey()
		if c := m.built[f.txid]; c != nil {
			ci.c = c
			return ci
		}
		infos, err := m.loadRemotes(ctx, n)
		if err != nil {
			ci.err = err
			return ci
		}
		for _, ri := range infos {
			if ri.TxID != f.txid {
				continue
			}
			rc, err := m.buildRemote(ri)
			if err != nil {
				ci.err = corrupt(m.prefix+remoteKey(n, ri.TxID), err)
				return ci
			}
			m.built[f.txid] = rc.c
			ci.c = rc.c
			return ci
		}
		ci.c, ci.synthetic = m.scanCommitment(f, n, ci.secret), true
		return ci
	}
	ci.kind = CloseUnknown
	ci.c, ci.synthetic = m.scanCommitment(f, n, nil), true
	return ci
}

// scanCommitment describes the peer's commitment f, number n, that the
// monitor holds no record of, by the outputs it can recognise: its own
// to_remote output (its payment basepoint under option_static_remotekey
// and option_anchors, no per-commitment point needed) and, when the
// commitment is revoked (secret not nil), the peer's to_local output.
// HTLC outputs cannot be recognised without the HTLCs.
func (m *Monitor) scanCommitment(f *confTx, n uint64, secret *btcec.PrivateKey) *channel.Commitment {
	absent := channel.Output{Index: -1}
	c := &channel.Commitment{
		Owner: channel.Remote, Type: m.p.Type, Number: n, Tx: f.tx, TxHash: f.txid,
		ToLocal: absent, ToRemote: absent, LocalAnchor: absent, RemoteAnchor: absent,
		ToSelfDelay: m.p.Remote.ToSelfDelay,
	}
	keys := &channel.CommitmentKeys{PerCommitmentPoint: m.meta.dataLossPoint, ToRemoteKey: script.ToRemoteKey(m.p.Local.Payment)}
	if secret != nil {
		if k, err := channel.DeriveCommitmentKeys(m.p, channel.Remote, secret.PubKey()); err == nil {
			keys = k
		}
	}
	c.Keys = keys
	find := func(pk []byte) (int, int64) {
		for k, out := range f.tx.TxOut {
			if bytes.Equal(out.PkScript, pk) {
				return k, out.Value
			}
		}
		return -1, 0
	}
	if ws, pk, err := script.ToRemoteScript(m.p.Type, keys.ToRemoteKey); err == nil {
		if k, v := find(pk); k >= 0 {
			c.ToRemote = channel.Output{Index: k, Value: amount(v), WitnessScript: ws, PkScript: pk}
		}
	}
	if secret != nil && keys.RevocationKey != nil {
		if ws, err := script.ToLocalScript(keys.RevocationKey, keys.LocalDelayedKey, m.p.Remote.ToSelfDelay); err == nil {
			pk := script.P2WSH(ws)
			c.SecondLevelScript = ws
			if k, v := find(pk); k >= 0 {
				c.ToLocal = channel.Output{Index: k, Value: amount(v), WitnessScript: ws, PkScript: pk}
			}
		}
	}
	return c
}
