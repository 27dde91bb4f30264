package wtclient

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Store layout, under Config.Prefix (default "wtclient/"). Numbers in keys
// are fixed-width hex so that List returns them in order.
//
//	tower/<pubkey>                  the tower's address
//	chan/<channel id>               channel parameters and sweep script
//	pend/<channel id>/<number>      a commitment of the peer not yet revoked
//	task/<seq>                      a revoked state waiting for a session
//	taskseq                         the next task number
//	keyidx                          the next session key index
//	sess/<session pubkey>           a negotiated session
//	upd/<session pubkey>/<seqnum>   a state update committed to a session,
//	                                sent and kept until the tower acks it
const (
	keyTower   = "tower/"
	keyChan    = "chan/"
	keyPending = "pend/"
	keyTask    = "task/"
	keyTaskSeq = "taskseq"
	keyKeyIdx  = "keyidx"
	keySession = "sess/"
	keyUpdate  = "upd/"
)

// recordVersion starts every record, so that a later format can be told
// apart.
const recordVersion = 1

func hexKey(b []byte) string { return hex.EncodeToString(b) }

func (c *Client) chanKey(id wire.ChannelID) string { return c.prefix + keyChan + hexKey(id[:]) }

func (c *Client) pendingKey(id wire.ChannelID, n uint64) string {
	return fmt.Sprintf("%s%s%s/%016x", c.prefix, keyPending, hexKey(id[:]), n)
}

func (c *Client) taskKey(seq uint64) string { return fmt.Sprintf("%s%s%016x", c.prefix, keyTask, seq) }

func (c *Client) sessionKey(id [33]byte) string { return c.prefix + keySession + hexKey(id[:]) }

func (c *Client) updatePrefix(id [33]byte) string { return c.prefix + keyUpdate + hexKey(id[:]) + "/" }

func (c *Client) updateKey(id [33]byte, seq uint16) string {
	return fmt.Sprintf("%s%04x", c.updatePrefix(id), seq)
}

func (c *Client) towerKey(pub [33]byte) string { return c.prefix + keyTower + hexKey(pub[:]) }

// dec is a record decoder with a sticky error wrapping ErrCorruptStore.
type dec struct {
	r    reader
	what string
}

func newDec(b []byte, what string) *dec {
	d := &dec{r: reader{b: b}, what: what}
	if v := d.r.u8("version"); d.r.err == nil && v != recordVersion {
		d.r.err = fmt.Errorf("version %d", v)
	}
	return d
}

func (d *dec) key() *btcec.PublicKey {
	var b [33]byte
	d.r.copyTo(b[:], "key")
	if d.r.err != nil {
		return nil
	}
	k, err := btcec.ParsePubKey(b[:])
	if err != nil {
		d.r.err = err
		return nil
	}
	return k
}

func (d *dec) done() error {
	if d.r.err == nil && len(d.r.b) != 0 {
		d.r.err = fmt.Errorf("%d trailing bytes", len(d.r.b))
	}
	if d.r.err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorruptStore, d.what, d.r.err)
	}
	return nil
}

func appendKey(b []byte, k *btcec.PublicKey) []byte { return append(b, k.SerializeCompressed()...) }

// channelRecord is a registered channel.
type channelRecord struct {
	params *channel.Params
	sweep  []byte
}

func encodeChannel(p *channel.Params, sweep []byte) []byte {
	b := []byte{recordVersion}
	b = append(b, p.FundingOutpoint.Hash[:]...)
	b = binary.BigEndian.AppendUint32(b, p.FundingOutpoint.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(p.FundingAmount))
	b = append(b, byte(p.Type), byte(p.Opener))
	for _, pp := range []*channel.PartyParams{&p.Local, &p.Remote} {
		for _, k := range []*btcec.PublicKey{pp.Funding, pp.Revocation, pp.Payment, pp.DelayedPayment, pp.HTLC} {
			b = appendKey(b, k)
		}
		b = binary.BigEndian.AppendUint16(b, pp.ToSelfDelay)
		b = binary.BigEndian.AppendUint64(b, uint64(pp.DustLimit))
	}
	b = append(b, byte(len(sweep)))
	return append(b, sweep...)
}

func decodeChannel(v []byte) (*channelRecord, error) {
	d := newDec(v, "channel")
	p := &channel.Params{}
	d.r.copyTo(p.FundingOutpoint.Hash[:], "funding txid")
	p.FundingOutpoint.Index = d.r.u32("funding index")
	p.FundingAmount = btcutil.Amount(d.r.u64("funding amount"))
	p.Type = script.ChannelType(d.r.u8("type"))
	p.Opener = channel.Side(d.r.u8("opener"))
	for _, pp := range []*channel.PartyParams{&p.Local, &p.Remote} {
		pp.Funding, pp.Revocation, pp.Payment, pp.DelayedPayment, pp.HTLC = d.key(), d.key(), d.key(), d.key(), d.key()
		pp.ToSelfDelay = d.r.u16("to_self_delay")
		pp.DustLimit = btcutil.Amount(d.r.u64("dust limit"))
	}
	sweep := d.r.take(int(d.r.u8("sweep length")), "sweep")
	if err := d.done(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: channel: %w", ErrCorruptStore, err)
	}
	return &channelRecord{params: p, sweep: append([]byte(nil), sweep...)}, nil
}

func appendRef(b []byte, o outputRef) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(o.Index))
	return binary.BigEndian.AppendUint64(b, uint64(o.Value))
}

func (d *dec) ref() outputRef {
	return outputRef{Index: int32(d.r.u32("output index")), Value: btcutil.Amount(d.r.u64("output value"))}
}

// appendBreach appends b without its version byte.
func appendBreach(out []byte, b *breach) []byte {
	out = append(out, b.ChannelID[:]...)
	out = binary.BigEndian.AppendUint64(out, b.Number)
	out = append(out, b.TxID[:]...)
	out = appendKey(out, b.Point)
	out = appendRef(out, b.ToLocal)
	out = appendRef(out, b.ToRemote)
	return append(out, b.Secret[:]...)
}

func (d *dec) breach() *breach {
	b := &breach{}
	d.r.copyTo(b.ChannelID[:], "channel id")
	b.Number = d.r.u64("number")
	d.r.copyTo(b.TxID[:], "txid")
	b.Point = d.key()
	b.ToLocal, b.ToRemote = d.ref(), d.ref()
	d.r.copyTo(b.Secret[:], "secret")
	return b
}

func encodeBreach(b *breach) []byte { return appendBreach([]byte{recordVersion}, b) }

func decodeBreach(v []byte) (*breach, error) {
	d := newDec(v, "commitment")
	b := d.breach()
	return b, d.done()
}

// sessionStatus is a session's life cycle.
type sessionStatus uint8

const (
	// sessionActive takes new updates while its sequence numbers last.
	sessionActive sessionStatus = iota
	// sessionClosed was refused by its tower or its tower was removed; its
	// unacknowledged updates went back to the task queue.
	sessionClosed
)

// session is a negotiated session.
type session struct {
	ID       [33]byte // the session key's public key: lnd's session id
	Tower    [33]byte
	KeyIndex uint32
	BlobType BlobType
	Max      uint16
	FeeRate  wire.SatPerKWeight
	// SeqNum is the last sequence number allocated to an update.
	SeqNum uint16
	// LastApplied is the last sequence number the tower acknowledged.
	LastApplied uint16
	Status      sessionStatus
}

func encodeSession(s *session) []byte {
	b := []byte{recordVersion}
	b = append(b, s.ID[:]...)
	b = append(b, s.Tower[:]...)
	b = binary.BigEndian.AppendUint32(b, s.KeyIndex)
	b = binary.BigEndian.AppendUint16(b, uint16(s.BlobType))
	b = binary.BigEndian.AppendUint16(b, s.Max)
	b = binary.BigEndian.AppendUint32(b, uint32(s.FeeRate))
	b = binary.BigEndian.AppendUint16(b, s.SeqNum)
	b = binary.BigEndian.AppendUint16(b, s.LastApplied)
	return append(b, byte(s.Status))
}

func decodeSession(v []byte) (*session, error) {
	d := newDec(v, "session")
	s := &session{}
	d.r.copyTo(s.ID[:], "id")
	d.r.copyTo(s.Tower[:], "tower")
	s.KeyIndex = d.r.u32("key index")
	s.BlobType = BlobType(d.r.u16("blob type"))
	s.Max = d.r.u16("max updates")
	s.FeeRate = wire.SatPerKWeight(d.r.u32("fee rate"))
	s.SeqNum = d.r.u16("seqnum")
	s.LastApplied = d.r.u16("last applied")
	s.Status = sessionStatus(d.r.u8("status"))
	if err := d.done(); err != nil {
		return nil, err
	}
	if s.LastApplied > s.SeqNum || s.SeqNum > s.Max {
		return nil, fmt.Errorf("%w: session with seqnum %d, last applied %d, max %d", ErrCorruptStore, s.SeqNum, s.LastApplied, s.Max)
	}
	return s, nil
}

// update is a state update committed to a session: sent as it is (same
// sequence number, hint and blob) until acknowledged.
type update struct {
	SeqNum uint16
	Hint   BreachHint
	Blob   []byte
	Breach *breach // to queue the state again if the session closes
}

func encodeUpdate(u *update) []byte {
	b := []byte{recordVersion}
	b = binary.BigEndian.AppendUint16(b, u.SeqNum)
	b = append(b, u.Hint[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(u.Blob)))
	b = append(b, u.Blob...)
	return appendBreach(b, u.Breach)
}

func decodeUpdate(v []byte) (*update, error) {
	d := newDec(v, "update")
	u := &update{SeqNum: d.r.u16("seqnum")}
	d.r.copyTo(u.Hint[:], "hint")
	u.Blob = append([]byte(nil), d.r.take(int(d.r.u16("blob length")), "blob")...)
	u.Breach = d.breach()
	return u, d.done()
}
