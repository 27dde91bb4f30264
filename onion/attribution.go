package onion

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"math"
	"time"

	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
)

// Attributable failures and hold times (BOLT 4 "Returning Errors",
// "Hold times for successful payments"): the attribution_data TLV of
// update_fail_htlc and update_fulfill_htlc.
//
// wire.AttributionData is 20 htlc_hold_times (u32, big endian) followed by
// 210 HMACs truncated to 4 bytes. The HMACs form 20 blocks: block j holds
// the HMACs of the hop j steps downstream of the node holding the data, one
// per distance y that hop might be from the end of the route, and has
// 20-j entries, the one for the largest y first. So block 0 reads
// hmac_0_19 ... hmac_0_0, block 1 hmac_1_18 ... hmac_1_0, and so on.

const (
	// AttributionMaxHops is how many hops attribution_data covers: hold
	// times and HMACs of hops past the 20th are shifted out on the way
	// back.
	AttributionMaxHops = wire.AttributionHoldTimes

	// HoldTimeUnit is the unit of htlc_hold_times: a reported 3 means
	// 300 ms.
	HoldTimeUnit = 100 * time.Millisecond

	attrHoldTimesLen = AttributionMaxHops * 4
	attrHMACSize     = wire.AttributionHMACSize
)

// keyTypeAmmagExt is the key type of the attribution_data stream cipher.
var keyTypeAmmagExt = []byte("ammagext")

// attrHMACOffset is the byte offset in attribution_data of entry col of
// block j.
func attrHMACOffset(j, col int) int {
	return attrHoldTimesLen + attrHMACSize*(AttributionMaxHops*j-j*(j-1)/2+col)
}

// holdTimeUnits encodes a hold time in 100 ms units, rounding down; a
// negative duration is 0 and one too long for a u32 saturates.
func holdTimeUnits(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	u := d / HoldTimeUnit
	if u > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(u)
}

// obfuscateAttribution applies the ammagext stream of a shared secret to
// attribution data in place.
func obfuscateAttribution(ss *[32]byte, ad *wire.AttributionData) {
	key := generateKey(keyTypeAmmagExt, ss)
	xorKeyStream(&key, ad[:], ad[:], 0)
}

// gatherDownstream appends to b the HMACs that the HMAC for distance y of
// block 0 covers: entry 19-y of blocks 1..y. Each is the HMAC the hop j
// steps downstream computed for distance y-j, so all sit at the same
// column.
func gatherDownstream(b []byte, ad *wire.AttributionData, y int) []byte {
	col := AttributionMaxHops - 1 - y
	for j := 1; j <= y; j++ {
		off := attrHMACOffset(j, col)
		b = append(b, ad[off:off+attrHMACSize]...)
	}
	return b
}

// AddAttribution adds a hop's entry to attribution data on the way back
// (BOLT 4 "Transformation" and "Update of attribution_data"): it shifts the
// hold times and HMACs received from downstream one hop along, dropping
// what falls off the end, puts holdTime first, computes the hop's 20
// truncated HMACs with its um key and applies its ammagext stream.
//
// packet is the return packet as this hop has it before applying its own
// ammag stream: for the erring node the plaintext failure packet (see
// NewAttributedFailure), for a forwarding hop the reason exactly as it
// came from downstream; nil for a fulfill, whose HMACs cover no packet.
// ad is the attribution data received from downstream; it is updated in
// place and returned. When nil (the node produced the failure or the
// preimage itself, or downstream sent none) the hop starts from all-zero
// data, as the spec requires.
//
// A forwarding hop calls it before ObfuscateFailure (or uses
// ObfuscateAttributedFailure, which does both).
func AddAttribution(sharedSecret [32]byte, holdTime time.Duration, packet []byte, ad *wire.AttributionData) *wire.AttributionData {
	if ad == nil {
		ad = new(wire.AttributionData)
	} else {
		shiftAttribution(ad)
	}
	binary.BigEndian.PutUint32(ad[:4], holdTimeUnits(holdTime))
	writeAttributionHMACs(&sharedSecret, packet, ad)
	obfuscateAttribution(&sharedSecret, ad)
	return ad
}

// shiftAttribution moves received attribution data one hop along: hold
// times right by one, and each HMAC block j into block j+1 without its
// first entry (the HMAC for a distance the route can no longer have).
// Block 0 and the first hold time are left for the new hop.
func shiftAttribution(ad *wire.AttributionData) {
	copy(ad[4:attrHoldTimesLen], ad[:attrHoldTimesLen-4])
	// Blocks move toward the end, so go from the last one back.
	for j := AttributionMaxHops - 1; j >= 1; j-- {
		n := (AttributionMaxHops - j) * attrHMACSize
		src := attrHMACOffset(j-1, 1)
		copy(ad[attrHMACOffset(j, 0):], ad[src:src+n])
	}
}

// writeAttributionHMACs fills block 0 with the hop's HMACs for every
// distance y from 0 to 19: HMAC-SHA256 under the um key of the packet, the
// first y+1 hold times and the y downstream HMACs for the matching
// distances, truncated to 4 bytes.
func writeAttributionHMACs(ss *[32]byte, packet []byte, ad *wire.AttributionData) {
	um := generateKey(keyTypeUm, ss)
	var key fastcrypto.HMACKey
	key.Init(um[:])
	// The messages for successive distances share the packet and a
	// growing run of hold times, so the inner hash of that prefix is
	// computed once and saved before the downstream HMACs are added.
	inner := sha256.New()
	saver, okS := inner.(encoding.BinaryAppender)
	loader, okL := inner.(encoding.BinaryUnmarshaler)
	if !okS || !okL {
		writeAttributionHMACsPlain(&um, packet, ad)
		return
	}
	inner.Write(key.InnerPad())
	inner.Write(packet)
	var state [128]byte
	var down [AttributionMaxHops * attrHMACSize]byte
	var sum [sha256.Size]byte
	for y := 0; y < AttributionMaxHops; y++ {
		inner.Write(ad[4*y : 4*y+4])
		saved, err := saver.AppendBinary(state[:0])
		if err != nil {
			writeAttributionHMACsPlain(&um, packet, ad)
			return
		}
		inner.Write(gatherDownstream(down[:0], ad, y))
		inner.Sum(sum[:0])
		key.Finish(&sum, &sum)
		off := attrHMACOffset(0, AttributionMaxHops-1-y)
		copy(ad[off:off+attrHMACSize], sum[:attrHMACSize])
		if err := loader.UnmarshalBinary(saved); err != nil {
			writeAttributionHMACsPlain(&um, packet, ad)
			return
		}
	}
}

// writeAttributionHMACsPlain computes the same HMACs one by one over the
// whole message: the fallback should the hash state not be savable.
func writeAttributionHMACsPlain(um *[32]byte, packet []byte, ad *wire.AttributionData) {
	var m [attrHoldTimesLen + AttributionMaxHops*attrHMACSize]byte
	for y := 0; y < AttributionMaxHops; y++ {
		msg := append(m[:0], ad[:4*y+4]...)
		msg = gatherDownstream(msg, ad, y)
		var mac [32]byte
		fastcrypto.HMACSHA256(&mac, um[:], packet, msg)
		off := attrHMACOffset(0, AttributionMaxHops-1-y)
		copy(ad[off:off+attrHMACSize], mac[:attrHMACSize])
	}
}

// NewAttributedFailure is NewFailure for a node that supports attribution
// data: it builds the failure packet for update_fail_htlc's reason and
// the attribution_data to send with it, carrying the node's hold time
// (BOLT 4 "Initialization of attribution_data").
func NewAttributedFailure(sharedSecret [32]byte, msg *FailureMessage, holdTime time.Duration) ([]byte, *wire.AttributionData, error) {
	reason, err := NewFailure(sharedSecret, msg)
	if err != nil {
		return nil, nil, err
	}
	// The HMACs cover the packet before the erring node's ammag layer:
	// take that layer off (the stream is an XOR), add, and put it back.
	ObfuscateFailure(sharedSecret, reason)
	ad := AddAttribution(sharedSecret, holdTime, reason, nil)
	ObfuscateFailure(sharedSecret, reason)
	return reason, ad, nil
}

// ObfuscateAttributedFailure is what a forwarding hop that supports
// attribution data does with a failure on the way back: AddAttribution over
// the reason as received, then ObfuscateFailure. reason is changed in
// place; ad (nil when downstream sent none) is updated in place and
// returned.
func ObfuscateAttributedFailure(sharedSecret [32]byte, holdTime time.Duration, reason []byte, ad *wire.AttributionData) *wire.AttributionData {
	ad = AddAttribution(sharedSecret, holdTime, reason, ad)
	ObfuscateFailure(sharedSecret, reason)
	return ad
}

// AddFulfillAttribution adds a hop's hold time and HMACs to the
// attribution_data of update_fulfill_htlc (BOLT 4 "Hold times for
// successful payments"). The final node passes nil; each hop passes what
// it received (nil when none came). ad is updated in place and returned.
func AddFulfillAttribution(sharedSecret [32]byte, holdTime time.Duration, ad *wire.AttributionData) *wire.AttributionData {
	return AddAttribution(sharedSecret, holdTime, nil, ad)
}

// Attribution is what the origin learns from attribution data.
type Attribution struct {
	// HoldTimes are the hold times the hops reported, in route order
	// (index 0 is the first hop), for the hops whose HMAC verified.
	// Nodes without accurate timing may report zero.
	HoldTimes []time.Duration
	// FirstInvalid is the index of the first hop whose HMAC did not
	// verify, or -1 when every checked hop's did. An invalid HMAC at hop
	// k means hop k or hop k-1 changed the data (or hop k does not
	// support attribution data): the spec can narrow blame down to that
	// pair and no further. For k == 0 it is the first hop.
	FirstInvalid int
}

// VerifyFulfillAttribution checks the attribution_data of an
// update_fulfill_htlc at the origin with the route's shared secrets and
// returns the hold times. It performs no elliptic-curve operation. ad nil
// means the first hop sent none (FirstInvalid 0).
func (s SharedSecrets) VerifyFulfillAttribution(ad *wire.AttributionData) *Attribution {
	return s.verifyAttribution(nil, ad, len(s)-1)
}

// DecryptAttributedFailure is DecryptFailure for a failure that came with
// attribution_data: it finds the failing hop and decodes the failure as
// DecryptFailure does, and verifies each hop's attribution HMAC up to the
// failing hop (up to the last hop when the failure is garbled).
//
// For a garbled failure (ErrFailureGarbled) the Attribution tells which
// pair of hops is to blame: FirstInvalid k blames hops k-1 and k; when all
// HMACs verified, the last hop of the route sent the garbled packet.
// Attribution data covers at most the first AttributionMaxHops hops.
func (s SharedSecrets) DecryptAttributedFailure(reason []byte, ad *wire.AttributionData) (*DecryptedFailure, *Attribution, error) {
	d, err := s.DecryptFailure(reason)
	last := len(s) - 1
	if err == nil {
		last = d.SourceIndex
	}
	return d, s.verifyAttribution(reason, ad, last), err
}

// verifyAttribution peels attribution data hop by hop for hops 0..last:
// it removes the hop's ammagext layer, checks the hop's HMAC and records
// its hold time, then undoes the hop's shift so the next hop's data is in
// place. reason, when not nil, is peeled alongside with the ammag layers,
// since each hop's HMACs cover the packet as that hop received it.
//
// Each hop is checked at its distance from the end of the route (the
// origin need not know the failing hop first): the erring node computes
// the HMACs for every distance, so a hop nearer the origin than the route's
// end still has a valid HMAC there, over zero hold times and HMACs.
func (s SharedSecrets) verifyAttribution(reason []byte, ad *wire.AttributionData, last int) *Attribution {
	n := min(len(s), AttributionMaxHops)
	last = min(last, n-1)
	res := &Attribution{FirstInvalid: -1}
	if ad == nil {
		if n > 0 {
			res.FirstInvalid = 0
		}
		return res
	}
	res.HoldTimes = make([]time.Duration, 0, last+1)
	var pkt []byte
	if reason != nil {
		pkt = make([]byte, len(reason))
		copy(pkt, reason)
	}
	buf := *ad
	var msg [attrHoldTimesLen + AttributionMaxHops*attrHMACSize]byte
	for i := 0; i <= last; i++ {
		if pkt != nil {
			ammag := generateKey(keyTypeAmmag, &s[i])
			xorKeyStream(&ammag, pkt, pkt, 0)
		}
		obfuscateAttribution(&s[i], &buf)
		y := n - 1 - i
		m := append(msg[:0], buf[:4*y+4]...)
		m = gatherDownstream(m, &buf, y)
		um := generateKey(keyTypeUm, &s[i])
		var mac [32]byte
		fastcrypto.HMACSHA256(&mac, um[:], pkt, m)
		off := attrHMACOffset(0, AttributionMaxHops-1-y)
		if !hmacEqual(mac[:attrHMACSize], buf[off:off+attrHMACSize]) {
			res.FirstInvalid = i
			return res
		}
		res.HoldTimes = append(res.HoldTimes, time.Duration(binary.BigEndian.Uint32(buf[:4]))*HoldTimeUnit)
		unshiftAttribution(&buf)
	}
	return res
}

// unshiftAttribution undoes shiftAttribution as well as the origin can:
// it drops the first hold time and block 0 and moves the rest back, with
// zeros where entries were dropped upstream (the origin never needs
// those).
func unshiftAttribution(ad *wire.AttributionData) {
	copy(ad[:attrHoldTimesLen-4], ad[4:attrHoldTimesLen])
	clear(ad[attrHoldTimesLen-4 : attrHoldTimesLen])
	for j := 0; j < AttributionMaxHops-1; j++ {
		n := (AttributionMaxHops - j - 1) * attrHMACSize
		dst := attrHMACOffset(j, 0)
		clear(ad[dst : dst+attrHMACSize])
		src := attrHMACOffset(j+1, 0)
		copy(ad[dst+attrHMACSize:], ad[src:src+n])
	}
	last := attrHMACOffset(AttributionMaxHops-1, 0)
	clear(ad[last : last+attrHMACSize])
}
