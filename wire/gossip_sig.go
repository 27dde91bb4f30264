package wire

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// ErrGossipSignature means a signature on a gossip message does not verify
// against the digest BOLT 7 defines for it.
var ErrGossipSignature = errors.New("wire: gossip signature does not verify")

// gossipDigest encodes m and returns the double-SHA256 of its payload from
// offset skip (the end of its signature fields) to the end, extension
// included: the hash BOLT 7 says the signatures of channel_announcement,
// node_announcement and channel_update cover.
func gossipDigest(m Message, skip int) (chainhash.Hash, error) {
	var buf [512]byte
	p, err := m.AppendPayload(buf[:0])
	if err != nil {
		return chainhash.Hash{}, &MessageError{Type: m.MsgType(), Err: err}
	}
	return chainhash.DoubleHashH(p[skip:]), nil
}

// verifyGossipSig checks one signature over digest with key.
func verifyGossipSig(sig Signature, key Point, digest chainhash.Hash, field string) error {
	s, err := sig.ToECDSA()
	if err != nil {
		return fmt.Errorf("%s: %w: %w", field, ErrGossipSignature, err)
	}
	pub, err := key.PublicKey()
	if err != nil {
		return fmt.Errorf("%s: %w: %w", field, ErrGossipSignature, err)
	}
	if !s.Verify(digest[:], pub) {
		return fmt.Errorf("%w: %s", ErrGossipSignature, field)
	}
	return nil
}
