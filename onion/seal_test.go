package onion

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// A sealer builds packets for one hop the way a sender would, from keys
// the test picks: it encrypts hop_payloads with the hop's rho stream and
// computes their HMAC with its mu key, so that any bytes a test or a
// fuzzer supplies become a packet whose HMAC verifies and whose payload
// the hop goes on to parse. Anyone can do this to a node, which is why the
// parsing after the HMAC check must withstand arbitrary input.
type sealer struct {
	eph     wire.Point
	pathKey *btcec.PublicKey // nil outside blinded routes
	ss      [32]byte         // the secret the hop derives
	rho, mu [32]byte
	rhoPath [32]byte // the recipient data key, with a path key
}

// scalarKey returns the private key whose scalar is the hash of seed.
func scalarKey(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// testECDH is BOLT 4's shared secret, SHA256(compressed(k·P)), written
// with btcec's public API only.
func testECDH(k *btcec.PrivateKey, p *btcec.PublicKey) [32]byte {
	var pt, r btcec.JacobianPoint
	p.AsJacobian(&pt)
	btcec.ScalarMultNonConst(&k.Key, &pt, &r)
	r.ToAffine()
	return sha256.Sum256(btcec.NewPublicKey(&r.X, &r.Y).SerializeCompressed())
}

// newSealer prepares packets for node with the ephemeral key of seed
// ephSeed. With a pathKey, the packet comes with it (an onion message, or
// a payment inside a blinded route): the hop then decrypts with its
// blinded key, BlindedPrivateKey(node, pathKey), and the sealer can also
// encrypt recipient data for the hop.
func newSealer(node *btcec.PrivateKey, ephSeed string, pathKey *btcec.PublicKey) *sealer {
	e := scalarKey(ephSeed)
	s := &sealer{eph: wire.NewPoint(e.PubKey()), pathKey: pathKey}
	target := node.PubKey()
	if pathKey != nil {
		target = BlindedPrivateKey(node, pathKey).PubKey()
		ssPath := testECDH(node, pathKey)
		s.rhoPath = generateKey(keyTypeRho, &ssPath)
	}
	// The sender's side of the ECDH: e·(the hop's key).
	s.ss = testECDH(e, target)
	s.rho = generateKey(keyTypeRho, &s.ss)
	s.mu = generateKey(keyTypeMu, &s.ss)
	return s
}

// testPathKey returns a path key for tests.
func testPathKey(seed string) *btcec.PublicKey { return scalarKey(seed + " path").PubKey() }

// sealRecipient encrypts an encrypted_data_tlv stream for the hop, as the
// creator of a blinded path does (BOLT 4 "Route Blinding"): the result is
// the hop's encrypted_recipient_data.
func (s *sealer) sealRecipient(plain []byte) []byte {
	aead, err := chacha20poly1305.New(s.rhoPath[:])
	if err != nil {
		panic(err) // the key is 32 bytes
	}
	return aead.Seal(nil, make([]byte, chacha20poly1305.NonceSize), plain, nil)
}

// encrypt returns plain encrypted with the hop's rho stream, as the
// hop_payloads of a packet (the hop XORs the same stream back).
func (s *sealer) encrypt(plain []byte) []byte {
	out := make([]byte, len(plain))
	xorKeyStream(&s.rho, out, plain, 0)
	return out
}

// packet returns a packet with the given (already encrypted) hop_payloads
// and the HMAC the hop expects over them and assocData.
func (s *sealer) packet(hopPayloads, assocData []byte) *Packet {
	pkt := &Packet{Version: Version, EphemeralKey: s.eph, HopPayloads: hopPayloads}
	var mac [32]byte
	fastcrypto.HMACSHA256(&mac, s.mu[:], hopPayloads, assocData)
	pkt.HMAC = mac
	return pkt
}

// message returns an onion_message whose packet carries hopPayloads
// (already encrypted) with a valid HMAC; the sealer must be blinded.
func (s *sealer) message(hopPayloads []byte) *wire.OnionMessage {
	return &wire.OnionMessage{PathKey: wire.NewPoint(s.pathKey), Packet: s.packet(hopPayloads, nil).Encode()}
}

// TestSealerMatchesProcessor checks the harness against the spec's
// packet construction: a one-hop packet built by NewPacket and one built
// by the sealer from the same payload peel to the same payload.
func TestSealerMatchesProcessor(t *testing.T) {
	node := scalarKey("sealer node")
	s := newSealer(node, "sealer eph", nil)
	plain := make([]byte, HopPayloadsSize)
	copy(plain, []byte{0x04, 0x02, 0x02, 0x01, 0x01}) // length 4: amt_to_forward 1
	pkt := s.packet(s.encrypt(plain), []byte("assoc"))
	res, err := newTestProcessor(node).Process(t.Context(), pkt, []byte("assoc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Payload) != "\x02\x02\x01\x01" || !res.Final || res.SharedSecret != s.ss {
		t.Fatalf("payload %x final %v", res.Payload, res.Final)
	}
}
