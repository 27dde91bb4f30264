package monitor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/lnkit/lnkit/internal/txcheck"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Record layout. Every key of a channel's monitor starts with
// KeyPrefix(channelID), "mon/<channel id in hex>/", followed by:
//
//	p                          static: Params and the sweep script
//	m                          meta: data-loss and force-close flags,
//	                           the highest remote commitment number
//	l, l0                      the latest local commitment with the peer's
//	                           signatures, and the one before it
//	r/<number>/<txid>          each remote commitment this node signed
//	                           (its State with every HTLC and the point)
//	s                          the peer's revealed per-commitment secrets
//	                           (revocation.Store, at most 49 slots)
//	x/<payment hash>           each known preimage
//	t                          the last block processed (height, hash)
//	c/<height>/<txid>          each confirmed transaction that spends a
//	                           channel output (funding, commitment, HTLC
//	                           transaction outputs)
//	g/<group>                  broadcast state of each claim group
//	e/<sequence>               events not yet acknowledged
//	k/<event id>               events already reported (deduplication)
//	q                          the next event sequence number
//
// and IndexPrefix + "<channel id in hex>" marks the channel as
// registered. Numbers and heights are fixed-width hex, so keys sort in
// numeric order. Each update writes only the keys it changes: a new remote
// commitment adds one key, a revocation rewrites s, a preimage adds one
// key, a new local commitment rewrites l and l0.

// KeyPrefix returns the prefix of every key of the channel's monitor.
func KeyPrefix(id wire.ChannelID) string { return "mon/" + hex.EncodeToString(id[:]) + "/" }

// IndexPrefix is the prefix of the keys that list registered monitors
// (see Channels).
const IndexPrefix = "monitors/"

const (
	keyParams   = "p"
	keyMeta     = "m"
	keyLocal    = "l"
	keyLocalOld = "l0"
	keyRemote   = "r/"
	keySecrets  = "s"
	keyPreimage = "x/"
	keyTip      = "t"
	keyConf     = "c/"
	keyGroup    = "g/"
	keyEvent    = "e/"
	keyEmitted  = "k/"
	keySeq      = "q"
)

const recordVersion = 1

func remoteKeyPrefix(n uint64) string { return fmt.Sprintf("%s%012x/", keyRemote, n) }

func remoteKey(n uint64, txid chainhash.Hash) string { return remoteKeyPrefix(n) + txid.String() }

func preimageKey(h htlc.PaymentHash) string { return keyPreimage + hex.EncodeToString(h[:]) }

func confKey(height uint32, txid chainhash.Hash) string {
	return fmt.Sprintf("%s%08x/%s", keyConf, height, txid)
}

func eventKey(seq uint64) string { return fmt.Sprintf("%s%016x", keyEvent, seq) }

// enc appends record fields.
type enc struct{ b []byte }

func newEnc() *enc                     { return &enc{b: []byte{recordVersion}} }
func (e *enc) u8(v uint8)              { e.b = append(e.b, v) }
func (e *enc) u16(v uint16)            { e.b = wire.AppendU16(e.b, v) }
func (e *enc) u32(v uint32)            { e.b = wire.AppendU32(e.b, v) }
func (e *enc) u64(v uint64)            { e.b = wire.AppendU64(e.b, v) }
func (e *enc) bytes(v []byte)          { e.b = append(e.b, v...) }
func (e *enc) amount(a btcutil.Amount) { e.u64(uint64(a)) }
func (e *enc) hash(h chainhash.Hash)   { e.b = append(e.b, h[:]...) }
func (e *enc) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// varBytes writes a 32-bit length and the bytes.
func (e *enc) varBytes(v []byte) {
	e.u32(uint32(len(v)))
	e.b = append(e.b, v...)
}

func (e *enc) key(k *btcec.PublicKey) {
	if k == nil {
		e.b = append(e.b, make([]byte, 33)...)
		return
	}
	e.b = append(e.b, k.SerializeCompressed()...)
}

func (e *enc) outpoint(op btcwire.OutPoint) {
	e.hash(op.Hash)
	e.u32(op.Index)
}

func (e *enc) tx(tx *btcwire.MsgTx) {
	var buf bytes.Buffer
	// Serializing to a bytes.Buffer cannot fail.
	_ = tx.Serialize(&buf)
	e.varBytes(buf.Bytes())
}

// dec reads record fields; the first error sticks.
type dec struct {
	r   wire.Reader
	err error
}

var errTrailing = errors.New("trailing bytes")

func newDec(b []byte) *dec {
	d := &dec{r: wire.NewReader(b)}
	if v := d.r.U8("version"); d.r.Err() == nil && v != recordVersion {
		d.err = fmt.Errorf("record version %d, want %d", v, recordVersion)
	}
	return d
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *dec) u8() uint8   { return d.r.U8("field") }
func (d *dec) u16() uint16 { return d.r.U16("field") }
func (d *dec) u32() uint32 { return d.r.U32("field") }
func (d *dec) u64() uint64 { return d.r.U64("field") }
func (d *dec) bool() bool {
	switch d.u8() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(errors.New("boolean neither 0 nor 1"))
	return false
}
func (d *dec) amount() btcutil.Amount { return btcutil.Amount(d.u64()) }

func (d *dec) hash() chainhash.Hash {
	var h chainhash.Hash
	d.r.Copy(h[:], "hash")
	return h
}

func (d *dec) fixed(n int) []byte {
	b := d.r.Bytes(n, "bytes")
	return append([]byte(nil), b...)
}

func (d *dec) varBytes() []byte {
	n := d.u32()
	if d.r.Err() != nil {
		return nil
	}
	if int64(n) > int64(d.r.Len()) {
		d.fail(fmt.Errorf("length %d beyond the %d bytes left", n, d.r.Len()))
		return nil
	}
	return d.fixed(int(n))
}

// key reads a compressed point; all zeros is nil.
func (d *dec) key() *btcec.PublicKey {
	b := d.r.Bytes(33, "key")
	if d.r.Err() != nil || d.err != nil {
		return nil
	}
	if bytes.Equal(b, make([]byte, 33)) {
		return nil
	}
	k, err := btcec.ParsePubKey(b)
	if err != nil {
		d.fail(err)
		return nil
	}
	return k
}

func (d *dec) outpoint() btcwire.OutPoint {
	h := d.hash()
	return btcwire.OutPoint{Hash: h, Index: d.u32()}
}

func (d *dec) tx() *btcwire.MsgTx {
	b := d.varBytes()
	if d.error() != nil {
		return nil
	}
	if _, err := txcheck.Tx(b, true); err != nil {
		d.fail(err)
		return nil
	}
	tx := new(btcwire.MsgTx)
	r := bytes.NewReader(b)
	if err := tx.Deserialize(r); err != nil {
		d.fail(err)
		return nil
	}
	if r.Len() != 0 {
		d.fail(errors.New("trailing bytes after the transaction"))
		return nil
	}
	return tx
}

func (d *dec) error() error {
	if d.err != nil {
		return d.err
	}
	return d.r.Err()
}

// done reports the first error, or trailing bytes.
func (d *dec) done() error {
	if err := d.error(); err != nil {
		return err
	}
	if d.r.Len() != 0 {
		return errTrailing
	}
	return nil
}

// Static record: the channel's Params and the sweep script.

func encodeStatic(p *channel.Params, dest []byte) []byte {
	e := newEnc()
	e.outpoint(p.FundingOutpoint)
	e.amount(p.FundingAmount)
	e.u8(uint8(p.Type))
	e.u8(uint8(p.Opener))
	for _, pp := range []*channel.PartyParams{&p.Local, &p.Remote} {
		for _, k := range []*btcec.PublicKey{pp.Funding, pp.Revocation, pp.Payment, pp.DelayedPayment, pp.HTLC} {
			e.key(k)
		}
		e.u16(pp.ToSelfDelay)
		e.amount(pp.DustLimit)
	}
	e.varBytes(dest)
	return e.b
}

func decodeStatic(b []byte) (*channel.Params, []byte, error) {
	d := newDec(b)
	p := &channel.Params{}
	p.FundingOutpoint = d.outpoint()
	p.FundingAmount = d.amount()
	p.Type = script.ChannelType(d.u8())
	p.Opener = channel.Side(d.u8())
	for _, pp := range []*channel.PartyParams{&p.Local, &p.Remote} {
		for _, k := range []**btcec.PublicKey{&pp.Funding, &pp.Revocation, &pp.Payment, &pp.DelayedPayment, &pp.HTLC} {
			*k = d.key()
		}
		pp.ToSelfDelay = d.u16()
		pp.DustLimit = d.amount()
	}
	dest := d.varBytes()
	if err := d.done(); err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	return p, dest, nil
}

// meta is the small record of flags.
type meta struct {
	// hasRemote is set once a remote commitment is stored; maxRemote is
	// the highest number.
	hasRemote bool
	maxRemote uint64
	// dataLoss: never broadcast the local commitment.
	dataLoss      bool
	dataLossPoint *btcec.PublicKey
	// forceClose: the local commitment is to be broadcast (and kept
	// broadcast) until a commitment confirms.
	forceClose bool
}

func (m *meta) encode() []byte {
	e := newEnc()
	e.bool(m.hasRemote)
	e.u64(m.maxRemote)
	e.bool(m.dataLoss)
	e.key(m.dataLossPoint)
	e.bool(m.forceClose)
	return e.b
}

func decodeMeta(b []byte) (meta, error) {
	d := newDec(b)
	var m meta
	m.hasRemote = d.bool()
	m.maxRemote = d.u64()
	m.dataLoss = d.bool()
	m.dataLossPoint = d.key()
	m.forceClose = d.bool()
	return m, d.done()
}

// State, local and remote commitment records.

func (e *enc) state(st *channel.State) {
	e.u64(st.Number)
	e.u32(uint32(st.FeeRate))
	e.u64(uint64(st.LocalBalance))
	e.u64(uint64(st.RemoteBalance))
	e.u16(uint16(len(st.HTLCs)))
	for i := range st.HTLCs {
		e.htlc(&st.HTLCs[i])
	}
}

func (e *enc) htlc(h *htlc.HTLC) {
	e.u64(h.ID)
	e.u8(uint8(h.Direction))
	e.u64(uint64(h.Amount))
	e.u32(h.CLTVExpiry)
	e.bytes(h.PaymentHash[:])
}

func (d *dec) htlc() htlc.HTLC {
	var h htlc.HTLC
	h.ID = d.u64()
	h.Direction = htlc.Direction(d.u8())
	h.Amount = wire.MilliSatoshi(d.u64())
	h.CLTVExpiry = d.u32()
	d.r.Copy(h.PaymentHash[:], "payment hash")
	return h
}

// maxStateHTLCs bounds the HTLC count a record may claim: two directions
// of channel.MaxHTLCs.
const maxStateHTLCs = 2 * channel.MaxHTLCs

const htlcRecordSize = 8 + 1 + 8 + 4 + 32

func (d *dec) state() channel.State {
	var st channel.State
	st.Number = d.u64()
	st.FeeRate = wire.SatPerKWeight(d.u32())
	st.LocalBalance = wire.MilliSatoshi(d.u64())
	st.RemoteBalance = wire.MilliSatoshi(d.u64())
	n := int(d.u16())
	if n > maxStateHTLCs || n*htlcRecordSize > d.r.Len() {
		d.fail(fmt.Errorf("%d HTLCs in a record of %d bytes", n, d.r.Len()))
		return st
	}
	if n > 0 {
		st.HTLCs = make([]htlc.HTLC, n)
	}
	for i := 0; i < n; i++ {
		st.HTLCs[i] = d.htlc()
	}
	return st
}

func encodeLocal(li *channel.LocalCommitmentInfo) []byte {
	e := newEnc()
	e.state(&li.State)
	e.key(li.Point)
	e.hash(li.TxID)
	e.bytes(li.Sigs.CommitSig[:])
	e.u16(uint16(len(li.Sigs.HTLCSigs)))
	for _, s := range li.Sigs.HTLCSigs {
		e.bytes(s[:])
	}
	return e.b
}

func decodeLocal(b []byte) (*channel.LocalCommitmentInfo, error) {
	d := newDec(b)
	li := &channel.LocalCommitmentInfo{}
	li.State = d.state()
	li.Point = d.key()
	li.TxID = d.hash()
	d.r.Copy(li.Sigs.CommitSig[:], "commit sig")
	n := int(d.u16())
	if n > maxStateHTLCs || n*64 > d.r.Len() {
		d.fail(fmt.Errorf("%d HTLC signatures in a record of %d bytes", n, d.r.Len()))
	} else if n > 0 {
		li.Sigs.HTLCSigs = make([]wire.Signature, n)
		for i := range li.Sigs.HTLCSigs {
			d.r.Copy(li.Sigs.HTLCSigs[i][:], "htlc sig")
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	if li.Point == nil {
		return nil, errors.New("no per-commitment point")
	}
	return li, nil
}

func encodeRemote(ri *channel.RemoteCommitmentInfo) []byte {
	e := newEnc()
	e.state(&ri.State)
	e.key(ri.Point)
	e.hash(ri.TxID)
	return e.b
}

func decodeRemote(b []byte) (*channel.RemoteCommitmentInfo, error) {
	d := newDec(b)
	ri := &channel.RemoteCommitmentInfo{}
	ri.State = d.state()
	ri.Point = d.key()
	ri.TxID = d.hash()
	if err := d.done(); err != nil {
		return nil, err
	}
	if ri.Point == nil {
		return nil, errors.New("no per-commitment point")
	}
	return ri, nil
}

// tip is the last block processed.
type tip struct {
	set    bool
	height uint32
	hash   chainhash.Hash
}

func (t *tip) encode() []byte {
	e := newEnc()
	e.u32(t.height)
	e.hash(t.hash)
	return e.b
}

func decodeTip(b []byte) (tip, error) {
	d := newDec(b)
	t := tip{set: true, height: d.u32(), hash: d.hash()}
	return t, d.done()
}

// confTx is a confirmed transaction that spends a channel output.
type confTx struct {
	tx     *btcwire.MsgTx
	txid   chainhash.Hash
	height uint32
	index  uint32
	block  chainhash.Hash
}

func (c *confTx) encode() []byte {
	e := newEnc()
	e.u32(c.height)
	e.u32(c.index)
	e.hash(c.block)
	e.tx(c.tx)
	return e.b
}

func decodeConf(b []byte) (*confTx, error) {
	d := newDec(b)
	c := &confTx{height: d.u32(), index: d.u32(), block: d.hash()}
	c.tx = d.tx()
	if err := d.done(); err != nil {
		return nil, err
	}
	c.txid = c.tx.TxHash()
	return c, nil
}

// groupState is the broadcast history of one claim group (see sweep.go).
type groupState struct {
	// rate and fee are those of the last transaction broadcast; height is
	// the tip it was broadcast at, first the tip of the first broadcast.
	rate   wire.SatPerKWeight
	fee    btcutil.Amount
	height uint32
	first  uint32
	txid   chainhash.Hash
	// inputs identifies the set of outputs the last transaction claimed
	// (claimsID), to tell a transaction still waiting from one that a
	// confirmed spend of some of its inputs made invalid.
	inputs chainhash.Hash
	// split: the group's claims go out one per transaction.
	split bool
	// abandoned: the claims cannot pay for their own spend.
	abandoned bool
	// wallet are the fee inputs of a wallet-funded transaction, reused
	// by its replacements; change is its change script.
	wallet []channel.WalletInput
	change []byte

	// built is the last transaction built, kept in memory only, with the
	// rate and the inputs it was built for: rebroadcast as it is while
	// neither changes, so that the signer is not asked again every block.
	built     []*btcwire.MsgTx
	builtRate wire.SatPerKWeight
	builtID   chainhash.Hash
}

// cached returns the transactions last built for rate and id, if any.
func (g *groupState) cached(rate wire.SatPerKWeight, id chainhash.Hash) []*btcwire.MsgTx {
	if g.built != nil && g.builtRate == rate && g.builtID == id {
		return g.built
	}
	return nil
}

func (g *groupState) keep(rate wire.SatPerKWeight, id chainhash.Hash, txs ...*btcwire.MsgTx) {
	g.built, g.builtRate, g.builtID = txs, rate, id
}

func (g *groupState) encode() []byte {
	e := newEnc()
	e.u32(uint32(g.rate))
	e.amount(g.fee)
	e.u32(g.height)
	e.u32(g.first)
	e.hash(g.txid)
	e.hash(g.inputs)
	e.bool(g.split)
	e.bool(g.abandoned)
	e.u16(uint16(len(g.wallet)))
	for _, in := range g.wallet {
		e.outpoint(in.OutPoint)
		e.amount(in.Value)
		e.varBytes(in.PkScript)
		e.u16(uint16(in.WitnessSize))
	}
	e.varBytes(g.change)
	return e.b
}

func decodeGroup(b []byte) (*groupState, error) {
	d := newDec(b)
	g := &groupState{}
	g.rate = wire.SatPerKWeight(d.u32())
	g.fee = d.amount()
	g.height = d.u32()
	g.first = d.u32()
	g.txid = d.hash()
	g.inputs = d.hash()
	g.split = d.bool()
	g.abandoned = d.bool()
	n := int(d.u16())
	if n*(36+8+4+2) > d.r.Len() {
		d.fail(fmt.Errorf("%d wallet inputs in a record of %d bytes", n, d.r.Len()))
	} else {
		for i := 0; i < n; i++ {
			var in channel.WalletInput
			in.OutPoint = d.outpoint()
			in.Value = d.amount()
			in.PkScript = d.varBytes()
			in.WitnessSize = int(d.u16())
			g.wallet = append(g.wallet, in)
		}
	}
	g.change = d.varBytes()
	if err := d.done(); err != nil {
		return nil, err
	}
	return g, nil
}
