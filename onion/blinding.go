package onion

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// BlindedHop is one hop of a blinded path as the sender receives it.
type BlindedHop struct {
	// BlindedNodeID is the key the sender encrypts this hop's onion layer
	// to.
	BlindedNodeID *btcec.PublicKey
	// EncryptedData is encrypted_recipient_data, which the sender puts in
	// the hop's payload unchanged.
	EncryptedData []byte
}

// BlindedPath is a blinded route to a recipient (BOLT 4 "Route Blinding").
type BlindedPath struct {
	// IntroductionNode is the real node id of the first hop.
	IntroductionNode *btcec.PublicKey
	// FirstPathKey is E_0, which the sender gives the introduction node
	// (current_path_key in its payload, or the path_key of an onion
	// message).
	FirstPathKey *btcec.PublicKey
	// Hops are the blinded hops, the introduction node first.
	Hops []BlindedHop
}

// BuildBlindedPath is how a recipient blinds a route to itself: for each
// node, in order, the plaintext encrypted_data_tlv (see
// EncryptedData.Encode) is encrypted to that node and the node's id
// blinded. The session key e_0 is read from rnd (crypto/rand when nil).
func BuildBlindedPath(rnd io.Reader, nodes []*btcec.PublicKey, data [][]byte) (*BlindedPath, error) {
	e, err := readSessionKey(rnd)
	if err != nil {
		return nil, err
	}
	return buildBlindedPath(&e, nodes, data)
}

// BuildBlindedPathWithSessionKey is BuildBlindedPath with an explicit
// 32-byte session key, as the spec's test vectors give one.
func BuildBlindedPathWithSessionKey(sessionKey []byte, nodes []*btcec.PublicKey, data [][]byte) (*BlindedPath, error) {
	e, err := parseScalar(sessionKey)
	if err != nil {
		return nil, err
	}
	return buildBlindedPath(&e, nodes, data)
}

func buildBlindedPath(e *btcec.ModNScalar, nodes []*btcec.PublicKey, data [][]byte) (*BlindedPath, error) {
	if len(nodes) == 0 {
		return nil, ErrEmptyRoute
	}
	if len(nodes) != len(data) {
		return nil, fmt.Errorf("onion: %d nodes but %d encrypted_data_tlv", len(nodes), len(data))
	}
	ek := *e
	E := baseMul(&ek)
	first, err := btcec.ParsePubKey(E[:])
	if err != nil {
		return nil, err
	}
	path := &BlindedPath{IntroductionNode: nodes[0], FirstPathKey: first, Hops: make([]BlindedHop, len(nodes))}
	for i, n := range nodes {
		ss := sharedSecret(&ek, n)
		f := blindedNodeFactor(&ss)
		bid := mulPoint(&f, n)
		if path.Hops[i].BlindedNodeID, err = btcec.ParsePubKey(bid[:]); err != nil {
			return nil, err
		}
		rho := generateKey(keyTypeRho, &ss)
		aead, _ := chacha20poly1305.New(rho[:])
		path.Hops[i].EncryptedData = aead.Seal(nil, make([]byte, chacha20poly1305.NonceSize), data[i], nil)
		b := blindingFactor(&E, &ss)
		ek.Mul(&b)
		E = baseMul(&ek)
	}
	return path, nil
}

// RecipientData is a blinded hop's decrypted encrypted_recipient_data.
type RecipientData struct {
	// Plaintext is the decrypted encrypted_data_tlv stream.
	Plaintext []byte
	// Data is Plaintext decoded.
	Data *EncryptedData
	// NextPathKey is the path key to send to the next hop: the
	// next_path_key_override of Data if present, else SHA256(E || ss)·E.
	NextPathKey *btcec.PublicKey
}

// DecryptRecipientData decrypts encrypted_recipient_data received with the
// given path key: the ECDH of the node key with the path key gives the
// secret, rho of it the ChaCha20-Poly1305 key. The introduction node of a
// blinded route calls this with current_path_key from its payload; hops
// that received the path key with the packet can use
// ProcessedPacket.DecryptRecipientData, which reuses the secret Process
// derived. Failures wrap ErrInvalidBlinding.
func (p *Processor) DecryptRecipientData(pathKey *btcec.PublicKey, encrypted []byte) (*RecipientData, error) {
	ss, err := p.key.ECDH(pathKey)
	if err != nil {
		return nil, fmt.Errorf("%w: ECDH: %v", ErrInvalidBlinding, err)
	}
	return decryptRecipientData(&ss, pathKey, encrypted)
}

// DecryptRecipientData decrypts encrypted_recipient_data with the path
// secret derived by Process from ProcessOptions.PathKey.
func (r *ProcessedPacket) DecryptRecipientData(encrypted []byte) (*RecipientData, error) {
	if r.pathKey == nil {
		return nil, fmt.Errorf("%w: packet was not processed with a path key", ErrInvalidBlinding)
	}
	return decryptRecipientData(&r.PathSecret, r.pathKey, encrypted)
}

func decryptRecipientData(ss *[32]byte, pathKey *btcec.PublicKey, encrypted []byte) (*RecipientData, error) {
	rho := generateKey(keyTypeRho, ss)
	aead, _ := chacha20poly1305.New(rho[:])
	plain, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), encrypted, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: encrypted_recipient_data does not decrypt", ErrInvalidBlinding)
	}
	d, err := DecodeEncryptedData(plain)
	if err != nil {
		return nil, err
	}
	out := &RecipientData{Plaintext: plain, Data: d}
	if d.NextPathKeyOverride != nil {
		out.NextPathKey, err = d.NextPathKeyOverride.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("%w: next_path_key_override: %v", ErrInvalidBlinding, err)
		}
		return out, nil
	}
	E := [33]byte(pathKey.SerializeCompressed())
	b := blindingFactor(&E, ss)
	next := mulPoint(&b, pathKey)
	out.NextPathKey, err = btcec.ParsePubKey(next[:])
	return out, err
}

// BlindedPrivateKey returns the key a blinded hop decrypts its onion layer
// with: HMAC256("blinded_node_id", ss)·k where ss is the ECDH of the node
// key k with the path key. Processor does not need it (it tweaks the
// onion's ephemeral key instead, which works through wire.NodeKey);
// it is exported for tools and tests.
func BlindedPrivateKey(nodeKey *btcec.PrivateKey, pathKey *btcec.PublicKey) *btcec.PrivateKey {
	ss := sharedSecret(&nodeKey.Key, pathKey)
	f := blindedNodeFactor(&ss)
	f.Mul(&nodeKey.Key)
	return btcec.PrivKeyFromScalar(&f)
}

// PathKeyFromPayload returns the path key for decrypting a blinded hop's
// recipient data: the one that came with the packet, else the payload's
// current_path_key.
func PathKeyFromPayload(htlcPathKey *btcec.PublicKey, p *HopPayload) (*btcec.PublicKey, error) {
	if htlcPathKey != nil {
		return htlcPathKey, nil
	}
	if p.CurrentPathKey == nil {
		return nil, fmt.Errorf("%w: no path key", ErrInvalidBlinding)
	}
	return p.CurrentPathKey.PublicKey()
}

// ForwardBlinded computes what a blinded forwarding hop sends on, from the
// incoming HTLC and its recipient data (BOLT 4 "payload format", reader
// requirements): it checks payment_constraints and derives
// amt_to_forward and outgoing_cltv_value from payment_relay. Any error
// must be answered with invalid_onion_blinding.
func ForwardBlinded(d *EncryptedData, amount wire.MilliSatoshi, cltvExpiry uint32) (wire.MilliSatoshi, uint32, error) {
	if d.PaymentRelay == nil {
		return 0, 0, fmt.Errorf("%w: payment_relay missing", ErrInvalidBlinding)
	}
	if d.ShortChannelID == nil && d.NextNodeID == nil {
		return 0, 0, fmt.Errorf("%w: neither short_channel_id nor next_node_id", ErrInvalidBlinding)
	}
	if d.ShortChannelID != nil && d.NextNodeID != nil {
		return 0, 0, fmt.Errorf("%w: both short_channel_id and next_node_id", ErrInvalidBlinding)
	}
	if err := d.CheckConstraints(amount, cltvExpiry); err != nil {
		return 0, 0, err
	}
	r := d.PaymentRelay
	if uint64(amount) < uint64(r.FeeBaseMsat) {
		return 0, 0, fmt.Errorf("%w: amount below the relay's base fee", ErrInvalidBlinding)
	}
	if cltvExpiry < uint32(r.CLTVExpiryDelta) {
		return 0, 0, fmt.Errorf("%w: cltv_expiry below the relay's delta", ErrInvalidBlinding)
	}
	// ((amount - fee_base) * 10^6 + 10^6 + prop - 1) / (10^6 + prop), in
	// 128 bits so that no amount overflows.
	const million = 1_000_000
	hi, lo := bits.Mul64(uint64(amount)-uint64(r.FeeBaseMsat), million)
	var c uint64
	lo, c = bits.Add64(lo, million+uint64(r.FeeProportionalMillionths)-1, 0)
	hi += c
	// The quotient fits 64 bits for every amount: it is at most the
	// amount (TestForwardBlindedExtremes), so Div64 cannot panic.
	fwd, _ := bits.Div64(hi, lo, million+uint64(r.FeeProportionalMillionths))
	return wire.MilliSatoshi(fwd), cltvExpiry - uint32(r.CLTVExpiryDelta), nil
}
