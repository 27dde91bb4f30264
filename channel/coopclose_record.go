package channel

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/lnkit/lnkit/internal/txcheck"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
)

// Keys and format of the closing records (see CoopClose).
const (
	keyCloseTx         = "close/tx/"
	closeRecordVersion = 1
	// closeRecordFixed is the size of a record before the transaction:
	// version, kind, closer, variant, flags, fee, two signatures, the
	// transaction's length.
	closeRecordFixed = 5 + 8 + 64 + 64 + 4
	// maxCloseTxSize bounds a stored closing transaction: one input and
	// two outputs whose scripts are at most a few dozen bytes each.
	maxCloseTxSize = 4096
)

type closeKind uint8

const (
	closeLegacy closeKind = iota + 1
	closeSimple
)

// closeRecord is one closing transaction this node signed.
type closeRecord struct {
	seq     uint64
	kind    closeKind
	closer  Side
	variant ClosingVariant // closeSimple only
	fee     btcutil.Amount // fee_satoshis of the proposal
	tx      *btcwire.MsgTx // without witness
	txid    chainhash.Hash

	localSig  wire.Signature
	remoteSig *wire.Signature
}

func (c *CoopClose) recordKey(seq uint64) string {
	return fmt.Sprintf("%s%s%016x", c.prefix, keyCloseTx, seq)
}

func (r *closeRecord) encode() []byte {
	var tx bytes.Buffer
	// Serializing to a bytes.Buffer cannot fail.
	_ = r.tx.SerializeNoWitness(&tx)
	b := make([]byte, 0, closeRecordFixed+tx.Len())
	flags := byte(0)
	var remote wire.Signature
	if r.remoteSig != nil {
		flags, remote = 1, *r.remoteSig
	}
	b = append(b, closeRecordVersion, byte(r.kind), byte(r.closer), byte(r.variant), flags)
	b = wire.AppendU64(b, uint64(r.fee))
	b = append(b, r.localSig[:]...)
	b = append(b, remote[:]...)
	b = wire.AppendU32(b, uint32(tx.Len()))
	return append(b, tx.Bytes()...)
}

func decodeCloseRecord(v []byte) (*closeRecord, error) {
	if len(v) < closeRecordFixed {
		return nil, fmt.Errorf("%w: closing record of %d bytes", ErrCorruptRecord, len(v))
	}
	if v[0] != closeRecordVersion {
		return nil, fmt.Errorf("%w: closing record version %d", ErrCorruptRecord, v[0])
	}
	r := &closeRecord{kind: closeKind(v[1]), closer: Side(v[2]), variant: ClosingVariant(v[3])}
	flags := v[4]
	switch {
	case r.kind != closeLegacy && r.kind != closeSimple,
		r.closer != Local && r.closer != Remote,
		r.kind == closeLegacy && r.variant != 0,
		r.kind == closeSimple && (r.variant < CloserAndClosee || r.variant > CloseeOutputOnly),
		flags > 1:
		return nil, fmt.Errorf("%w: closing record header %x", ErrCorruptRecord, v[:5])
	}
	fee := binary.BigEndian.Uint64(v[5:13])
	if fee > uint64(btcutil.MaxSatoshi) {
		return nil, fmt.Errorf("%w: closing record fee %d", ErrCorruptRecord, fee)
	}
	r.fee = btcutil.Amount(fee)
	copy(r.localSig[:], v[13:77])
	if flags == 1 {
		var s wire.Signature
		copy(s[:], v[77:141])
		r.remoteSig = &s
	} else if !bytes.Equal(v[77:141], make([]byte, 64)) {
		return nil, fmt.Errorf("%w: closing record holds a peer signature it says is absent", ErrCorruptRecord)
	}
	n := binary.BigEndian.Uint32(v[141:145])
	rest := v[closeRecordFixed:]
	if n > maxCloseTxSize || int(n) != len(rest) {
		return nil, fmt.Errorf("%w: closing record transaction of %d bytes in %d", ErrCorruptRecord, n, len(rest))
	}
	if _, err := txcheck.Tx(rest, false); err != nil {
		return nil, fmt.Errorf("%w: closing record transaction: %v", ErrCorruptRecord, err)
	}
	tx := new(btcwire.MsgTx)
	rd := bytes.NewReader(rest)
	if err := tx.DeserializeNoWitness(rd); err != nil {
		return nil, fmt.Errorf("%w: closing record transaction: %v", ErrCorruptRecord, err)
	}
	if rd.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the closing record's transaction", ErrCorruptRecord, rd.Len())
	}
	r.tx, r.txid = tx, tx.TxHash()
	return r, nil
}

// txFee is what the transaction pays.
func (r *closeRecord) txFee(p *Params) btcutil.Amount {
	fee := p.FundingAmount
	for _, o := range r.tx.TxOut {
		fee -= btcutil.Amount(o.Value)
	}
	return fee
}

func (r *closeRecord) info(p *Params) CloseTx {
	out := CloseTx{TxID: r.txid, FeeSatoshis: r.fee, Closer: r.closer, Variant: r.variant, Tx: r.tx.Copy()}
	if r.remoteSig != nil {
		// The signatures were checked when recorded (or restored), so
		// the witness builds.
		if full, err := CompleteFundingSpend(p, r.tx, r.localSig, *r.remoteSig); err == nil {
			out.Tx, out.Complete = full, true
		}
	}
	return out
}

// RestoreCoopClose rebuilds a channel's negotiator from its closing
// records (see CoopClose), after a restart. cfg is the configuration the
// negotiator had. The restored CoopClose knows every closing transaction
// this node signed and every mutually signed one (Transactions, Best,
// Rebroadcast); its negotiation starts again with Start once the
// connection is back and shutdown exchanged again. cfg.SimpleClose is the
// protocol of the new connection, which may differ from the one the
// records were made under (option_simple_close is negotiated per
// connection): records of either protocol are kept. Each record is checked
// against the channel: a record that cannot be decoded, does not spend
// the funding output, or whose signatures do not verify returns
// ErrCorruptRecord.
func RestoreCoopClose(ctx context.Context, src RecordSource, cfg CoopCloseConfig) (*CoopClose, error) {
	c, err := NewCoopClose(cfg)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, fmt.Errorf("%w: nil RecordSource", ErrInvalidParams)
	}
	prefix := c.prefix + keyCloseTx
	keys, err := src.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("channel: listing %s: %w", prefix, err)
	}
	sort.Strings(keys)
	for _, k := range keys {
		seq, err := strconv.ParseUint(strings.TrimPrefix(k, prefix), 16, 64)
		if err != nil || len(k) != len(prefix)+16 {
			return nil, fmt.Errorf("%w: closing record key %q", ErrCorruptRecord, k)
		}
		v, err := src.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("channel: reading %s: %w", k, err)
		}
		r, err := decodeCloseRecord(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if err := c.checkRestored(r); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorruptRecord, k, err)
		}
		r.seq = seq
		c.records = append(c.records, r)
		if seq >= c.nextSeq {
			c.nextSeq = seq + 1
		}
		if r.kind == closeSimple && r.closer == Local && r.fee > c.simple.lastFee {
			c.simple.lastFee = r.fee
		}
	}
	return c, nil
}

// checkRestored checks that a record is a closing transaction of this
// channel that this node (and the peer, if recorded) signed.
func (c *CoopClose) checkRestored(r *closeRecord) error {
	tx := r.tx
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != c.p.FundingOutpoint {
		return fmt.Errorf("does not spend the funding output %v", c.p.FundingOutpoint)
	}
	switch seq := tx.TxIn[0].Sequence; {
	case r.kind == closeLegacy && (seq != legacyClosingSequence || tx.LockTime != 0),
		r.kind == closeSimple && seq != simpleClosingSequence:
		return fmt.Errorf("sequence %x and locktime %d do not fit its protocol", seq, tx.LockTime)
	}
	if len(tx.TxOut) == 0 || len(tx.TxOut) > 2 {
		return fmt.Errorf("%d outputs", len(tx.TxOut))
	}
	if r.txFee(c.p) < 0 {
		return fmt.Errorf("outputs exceed the funding amount")
	}
	if err := verifyLocalFundingSig(c.p, tx, r.localSig); err != nil {
		return fmt.Errorf("this node's signature: %v", err)
	}
	if r.remoteSig != nil {
		if err := verifyRemote(c.p, tx, *r.remoteSig); err != nil {
			return fmt.Errorf("the peer's signature: %v", err)
		}
	}
	return nil
}
