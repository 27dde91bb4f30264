package onion

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
)

// Processor peels onions addressed to one node. It is safe for concurrent
// use if its NodeKey and ReplayChecker are (wire.PrivateNodeKey and
// MemoryReplayLog are).
type Processor struct {
	key wire.NodeKey
	// fastKey is the private scalar when key is a *wire.PrivateNodeKey:
	// the ECDH and the blinding then share one table of the ephemeral key.
	fastKey *btcec.ModNScalar
	replay  ReplayChecker
}

// NewProcessor returns a Processor for the node key, which must not be
// nil. The key is used only through wire.NodeKey, so an HSM can hold it; a *wire.PrivateNodeKey is
// recognised and peeled on a faster path (see the package documentation
// for what that path computes in variable time).
//
// replay decides how replayed packets are found (BOLT 4 "Packet
// Forwarding"): nil gives the Processor its own bounded in-memory log,
// NewMemoryReplayLogSize(DefaultReplayLogSize); a host with a database
// passes its own ReplayChecker; NoReplayCheck{} turns the check off, for a
// host that detects replays elsewhere.
func NewProcessor(key wire.NodeKey, replay ReplayChecker) *Processor {
	if replay == nil {
		replay = NewMemoryReplayLogSize(DefaultReplayLogSize)
	}
	p := &Processor{key: key, replay: replay}
	if k, ok := key.(*wire.PrivateNodeKey); ok {
		if priv := k.PrivKey(); priv != nil {
			p.fastKey = &priv.Key
		}
	}
	return p
}

// ProcessOptions carries what arrives with a packet besides the packet.
type ProcessOptions struct {
	// PathKey is the path key (blinding point) the previous hop sent with
	// the packet: update_add_htlc's blinded_path TLV, or the path_key of
	// an onion_message. Nil outside blinded routes and at the
	// introduction node, which finds it in its payload instead.
	PathKey *btcec.PublicKey
	// CLTVExpiry is the incoming HTLC's cltv_expiry, handed to the
	// ReplayChecker.
	CLTVExpiry uint32
}

// ProcessedPacket is what a hop learns from peeling one layer.
type ProcessedPacket struct {
	// Payload is the hop's payload, without its length prefix (decode
	// it with DecodeHopPayload, or DecodeOnionMessagePayload).
	Payload []byte
	// Final reports whether this hop is the final node (the next HMAC is
	// all zeros).
	Final bool
	// Next is the packet to forward; valid only when Final is false.
	Next Packet
	// SharedSecret is the secret shared with the sender, which the hop
	// keeps to obfuscate a failure on the way back (NewFailure,
	// ObfuscateFailure).
	SharedSecret [32]byte
	// PathSecret is the secret derived from ProcessOptions.PathKey (zero
	// when none was given); DecryptRecipientData uses it.
	PathSecret [32]byte
	pathKey    *btcec.PublicKey

	buf []byte
}

// Process peels one layer of a payment onion (BOLT 4 "Packet Forwarding"):
// it checks the version, the ephemeral key, the HMAC over hop_payloads and
// assocData (the payment hash), and replays, then decrypts this hop's
// payload and builds the packet for the next hop. A rejection is a
// *ProcessError carrying the failure code to return: invalid_onion_version,
// invalid_onion_key or invalid_onion_hmac with SHA256 of the onion
// (update_fail_malformed_htlc), invalid_onion_payload, or, for a packet
// that came with a path key, invalid_onion_blinding as BOLT 4 requires of
// every error inside a blinded route.
func (p *Processor) Process(ctx context.Context, pkt *Packet, assocData []byte, opts *ProcessOptions) (*ProcessedPacket, error) {
	if len(pkt.HopPayloads) != HopPayloadsSize {
		return nil, p.fail(pkt, opts, CodeInvalidOnionHMAC, fmt.Errorf("%w: hop_payloads of %d bytes", ErrPacketSize, len(pkt.HopPayloads)))
	}
	return p.process(ctx, pkt, assocData, opts, false)
}

func (p *Processor) fail(pkt *Packet, opts *ProcessOptions, code FailureCode, err error) *ProcessError {
	if opts != nil && opts.PathKey != nil {
		code = CodeInvalidOnionBlinding
	}
	return &ProcessError{Code: code, OnionHash: pkt.Hash(), Err: err}
}

// failShared is fail for an error found after the HMAC check, when the
// shared secret is known and the failure can be encrypted for the origin.
func (p *Processor) failShared(pkt *Packet, opts *ProcessOptions, ss *[32]byte, code FailureCode, err error) *ProcessError {
	e := p.fail(pkt, opts, code, err)
	e.SharedSecret, e.HasSharedSecret = *ss, true
	return e
}

func (p *Processor) process(ctx context.Context, pkt *Packet, assocData []byte, opts *ProcessOptions, message bool) (*ProcessedPacket, error) {
	if pkt.Version != Version {
		return nil, p.fail(pkt, opts, CodeInvalidOnionVersion, fmt.Errorf("%w: %d", ErrInvalidVersion, pkt.Version))
	}
	var eph btcec.JacobianPoint
	if !fastcrypto.ParsePoint(pkt.EphemeralKey[:], &eph) {
		return nil, p.fail(pkt, opts, CodeInvalidOnionKey, ErrInvalidKey)
	}
	size := len(pkt.HopPayloads)
	res := &ProcessedPacket{buf: make([]byte, 2*size)}

	// With a path key, the hop decrypts with its blinded key
	// HMAC256("blinded_node_id", ss_path)·k (BOLT 4 "Route Blinding").
	var tweak *btcec.ModNScalar
	if opts != nil && opts.PathKey != nil {
		ss, err := p.key.ECDH(opts.PathKey)
		if err != nil {
			return nil, p.fail(pkt, opts, CodeInvalidOnionBlinding, fmt.Errorf("%w: path key ECDH: %v", ErrInvalidBlinding, err))
		}
		res.PathSecret = ss
		res.pathKey = opts.PathKey
		f := blindedNodeFactor(&ss)
		tweak = &f
	}

	// ECDH with the ephemeral key. The in-process key shares E's table
	// with the blinding multiplication below.
	var table *pointTable
	var fastTable pointTable
	if p.fastKey != nil {
		table = &fastTable
		table.init(&eph)
		k := *p.fastKey
		if tweak != nil {
			k.Mul(tweak)
		}
		var r btcec.JacobianPoint
		table.mul(&k, &r)
		r.ToAffine()
		res.SharedSecret = fastcrypto.HashPoint(&r)
	} else {
		target := eph
		if tweak != nil {
			var r btcec.JacobianPoint
			btcec.ScalarMultNonConst(tweak, &eph, &r)
			r.ToAffine()
			target = r
		}
		pub := btcec.NewPublicKey(&target.X, &target.Y)
		ss, err := p.key.ECDH(pub)
		if err != nil {
			return nil, p.fail(pkt, opts, CodeTemporaryNodeFailure, fmt.Errorf("onion: ECDH: %w", err))
		}
		res.SharedSecret = ss
	}

	mu := generateKey(keyTypeMu, &res.SharedSecret)
	var mac [32]byte
	fastcrypto.HMACSHA256(&mac, mu[:], pkt.HopPayloads, assocData)
	if !hmacEqual(mac[:], pkt.HMAC[:]) {
		return nil, p.fail(pkt, opts, CodeInvalidOnionHMAC, ErrInvalidHMAC)
	}

	// Onion messages need no replay protection: they carry no value and
	// nothing is stored to forward them.
	if !message {
		tag := sha256.Sum256(res.SharedSecret[:])
		var expiry uint32
		if opts != nil {
			expiry = opts.CLTVExpiry
		}
		replayed, err := p.replay.CheckAndRecord(ctx, tag, expiry)
		if err != nil {
			return nil, p.failShared(pkt, opts, &res.SharedSecret, CodeTemporaryNodeFailure, fmt.Errorf("onion: replay check: %w", err))
		}
		if replayed {
			return nil, p.failShared(pkt, opts, &res.SharedSecret, CodeTemporaryNodeFailure, ErrReplayedPacket)
		}
	}

	// Decrypt hop_payloads padded with as many zero bytes.
	buf := res.buf
	copy(buf, pkt.HopPayloads)
	rho := generateKey(keyTypeRho, &res.SharedSecret)
	xorKeyStream(&rho, buf, buf, 0)

	l, n, err := wire.DecodeBigSize(buf)
	if err != nil {
		return nil, p.failShared(pkt, opts, &res.SharedSecret, CodeInvalidOnionPayload, fmt.Errorf("%w: payload length: %v", ErrInvalidPayload, err))
	}
	if !message && l < 2 {
		// BOLT 4: length 0 was the legacy format, 1 is reserved.
		return nil, p.failShared(pkt, opts, &res.SharedSecret, CodeInvalidOnionPayload, fmt.Errorf("%w: reserved payload length %d", ErrInvalidPayload, l))
	}
	// The length, the payload and the next HMAC must fit in hop_payloads.
	// room is computed in int, where a packet too short for even the
	// length and the HMAC gives a negative number rather than wrapping.
	if room := size - n - HMACSize; room < 0 || l > uint64(room) {
		return nil, p.failShared(pkt, opts, &res.SharedSecret, CodeInvalidOnionPayload, fmt.Errorf("%w: payload length %d exceeds the %d bytes of hop_payloads", ErrInvalidPayload, l, size))
	}
	end := n + int(l)
	res.Payload = buf[n:end:end]
	nextHMAC := buf[end : end+HMACSize]
	res.Final = isZero(nextHMAC)
	if res.Final {
		return res, nil
	}
	copy(res.Next.HMAC[:], nextHMAC)
	res.Next.Version = Version
	res.Next.HopPayloads = buf[end+HMACSize : end+HMACSize+size : end+HMACSize+size]

	// The next ephemeral key is SHA256(E || ss)·E.
	b := blindingFactor((*[33]byte)(&pkt.EphemeralKey), &res.SharedSecret)
	var next btcec.JacobianPoint
	if table != nil {
		table.mul(&b, &next)
	} else {
		btcec.ScalarMultNonConst(&b, &eph, &next)
	}
	compressInto(&next, (*[33]byte)(&res.Next.EphemeralKey))
	return res, nil
}

func isZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// blindedNodeFactor returns HMAC256("blinded_node_id", ss) as a scalar.
func blindedNodeFactor(ss *[32]byte) btcec.ModNScalar {
	var h [32]byte
	fastcrypto.HMACSHA256(&h, []byte("blinded_node_id"), ss[:], nil)
	return fastcrypto.ScalarFromHash(&h)
}
