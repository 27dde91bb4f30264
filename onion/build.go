package onion

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
)

// Hop is one hop of a route as the sender sees it: the key to encrypt to
// and the payload the hop will read.
type Hop struct {
	// PubKey is the hop's node id, or its blinded node id inside a
	// blinded route.
	PubKey *btcec.PublicKey
	// Payload is the hop_payload without its length prefix: for a payment
	// onion a TLV stream (see HopPayload.Encode), for an onion message an
	// onionmsg_tlv stream.
	Payload []byte
}

// SharedSecrets holds the secret the sender shares with each hop, in route
// order. Keeping them lets the sender decrypt a returned failure with
// HMACs and ChaCha20 only, without any elliptic-curve operation.
type SharedSecrets [][32]byte

// NewPacket builds a payment onion (BOLT 4 "Packet Construction") for the
// route, committing to assocData (the payment hash). The session key is
// read from rand (crypto/rand when nil); the returned shared secrets are
// what the sender keeps to decrypt failures.
func NewPacket(rnd io.Reader, hops []Hop, assocData []byte) (*Packet, SharedSecrets, error) {
	sk, err := readSessionKey(rnd)
	if err != nil {
		return nil, nil, err
	}
	return buildPacket(&sk, hops, assocData, HopPayloadsSize)
}

// NewPacketWithSessionKey is NewPacket with an explicit 32-byte session
// key, as the spec's test vectors give one.
func NewPacketWithSessionKey(sessionKey []byte, hops []Hop, assocData []byte) (*Packet, SharedSecrets, error) {
	sk, err := parseScalar(sessionKey)
	if err != nil {
		return nil, nil, err
	}
	return buildPacket(&sk, hops, assocData, HopPayloadsSize)
}

// readSessionKey reads a valid private key from rnd.
func readSessionKey(rnd io.Reader) (btcec.ModNScalar, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [32]byte
	for range 8 { // a draw outside [1, n-1] has probability ~2^-128
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return btcec.ModNScalar{}, fmt.Errorf("onion: reading session key: %w", err)
		}
		if s, err := parseScalar(b[:]); err == nil {
			return s, nil
		}
	}
	return btcec.ModNScalar{}, ErrInvalidSessionKey
}

// shiftSize is the space a payload takes: its BigSize length, the payload
// and the HMAC.
func shiftSize(payloadLen int) int {
	return wire.BigSizeLen(uint64(payloadLen)) + payloadLen + HMACSize
}

// RouteSize returns the number of hop_payloads bytes the hops take.
func RouteSize(hops []Hop) int {
	n := 0
	for _, h := range hops {
		n += shiftSize(len(h.Payload))
	}
	return n
}

// computeSharedSecrets derives the per-hop shared secrets from the session
// key: one ECDH and one base-point multiplication per hop (none for the
// last hop's next key), with the ephemeral key blinded in the scalar field
// (BOLT 4 "Packet Construction"). It also returns the first ephemeral key.
func computeSharedSecrets(sessionKey *btcec.ModNScalar, hops []Hop) ([33]byte, SharedSecrets, error) {
	secrets := make(SharedSecrets, len(hops))
	e := *sessionKey
	eph := baseMul(&e)
	first := eph
	for i, h := range hops {
		if h.PubKey == nil {
			return first, nil, fmt.Errorf("onion: hop %d has no public key", i)
		}
		secrets[i] = sharedSecret(&e, h.PubKey)
		if i == len(hops)-1 {
			break
		}
		b := blindingFactor(&eph, &secrets[i])
		e.Mul(&b)
		eph = baseMul(&e)
	}
	return first, secrets, nil
}

// buildPacket constructs a packet whose hop_payloads are size bytes.
func buildPacket(sessionKey *btcec.ModNScalar, hops []Hop, assocData []byte, size int) (*Packet, SharedSecrets, error) {
	if len(hops) == 0 {
		return nil, nil, ErrEmptyRoute
	}
	if total := RouteSize(hops); total > size {
		return nil, nil, fmt.Errorf("%w: %d bytes of hop payloads, %d available", ErrRouteTooLong, total, size)
	}
	first, secrets, err := computeSharedSecrets(sessionKey, hops)
	if err != nil {
		return nil, nil, err
	}
	pkt := &Packet{Version: Version, EphemeralKey: wire.Point(first)}
	if err := wrapPacket(pkt, sessionKey, hops, secrets, assocData, size); err != nil {
		return nil, nil, err
	}
	return pkt, secrets, nil
}

// wrapPacket fills pkt's hop_payloads and HMAC from the shared secrets.
func wrapPacket(pkt *Packet, sessionKey *btcec.ModNScalar, hops []Hop, secrets SharedSecrets, assocData []byte, size int) error {
	n := len(hops)
	// Filler: what the last hop will see at the end of its hop_payloads,
	// built up from the streams of the hops before it (BOLT 4 "Filler
	// Generation").
	mix := make([]byte, 2*size)
	filler := mix[size:size]
	for i := 0; i < n-1; i++ {
		prev := len(filler)
		shift := shiftSize(len(hops[i].Payload))
		filler = filler[:prev+shift]
		clear(filler[prev:])
		rho := generateKey(keyTypeRho, &secrets[i])
		xorKeyStream(&rho, filler, filler, size-prev)
	}

	// The starting hop_payloads are pseudo-random bytes from the session
	// key's pad stream.
	header := mix[:size]
	skBytes := sessionKey.Bytes()
	padKey := generateKey(keyTypePad, &skBytes)
	keyStream(&padKey, header)

	var nextHMAC [HMACSize]byte
	for i := n - 1; i >= 0; i-- {
		payload := hops[i].Payload
		if len(payload) > 0xffff && size == HopPayloadsSize {
			return errors.New("onion: payload too long")
		}
		shift := shiftSize(len(payload))
		copy(header[shift:], header[:size-shift])
		w := wire.AppendBigSize(header[:0], uint64(len(payload)))
		w = append(w, payload...)
		copy(header[len(w):shift], nextHMAC[:])
		rho := generateKey(keyTypeRho, &secrets[i])
		xorKeyStream(&rho, header, header, 0)
		if i == n-1 {
			copy(header[size-len(filler):], filler)
		}
		mu := generateKey(keyTypeMu, &secrets[i])
		fastcrypto.HMACSHA256(&nextHMAC, mu[:], header, assocData)
	}
	pkt.HopPayloads = header[:size:size]
	pkt.HMAC = nextHMAC
	return nil
}
