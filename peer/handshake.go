package peer

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// BOLT 8 constants.
const (
	protocolName = "Noise_XK_secp256k1_ChaChaPoly_SHA256"
	prologue     = "lightning"

	// handshakeVersion is the only version byte BOLT 8 defines.
	handshakeVersion = 0

	// ActOneSize, ActTwoSize and ActThreeSize are the sizes of the three
	// handshake messages.
	ActOneSize   = 1 + 33 + macSize
	ActTwoSize   = 1 + 33 + macSize
	ActThreeSize = 1 + 33 + macSize + macSize
)

// handshake is the Noise_XK handshake state of one side (BOLT 8, "Handshake
// State"). Its methods produce and consume the acts as byte arrays; the I/O
// around them lives in dial.go.
type handshake struct {
	initiator bool
	key       wire.NodeKey
	localPub  [33]byte
	rand      io.Reader

	e    btcec.ModNScalar // our ephemeral private key
	ePub [33]byte
	seed [32]byte         // where the ephemeral key is read into from rand
	re   *btcec.PublicKey // remote ephemeral
	rs   *btcec.PublicKey // remote static

	h, ck, tempK [32]byte
}

// newHandshake initialises the state: h = SHA-256(protocolName), ck = h,
// h = SHA-256(h || prologue), then h = SHA-256(h || responder's static key).
func newHandshake(initiator bool, key wire.NodeKey, localPub *btcec.PublicKey, remote *btcec.PublicKey, rnd io.Reader) *handshake {
	hs := &handshake{initiator: initiator, key: key, rand: rnd, rs: remote}
	fastcrypto.CompressPubKey(&hs.localPub, localPub)
	hs.h = sha256.Sum256([]byte(protocolName))
	hs.ck = hs.h
	hs.mixHash([]byte(prologue))
	if initiator {
		var rs [33]byte
		fastcrypto.CompressPubKey(&rs, remote)
		hs.mixHash(rs[:])
	} else {
		hs.mixHash(hs.localPub[:])
	}
	return hs
}

// mixHash sets h = SHA-256(h || data).
func (hs *handshake) mixHash(data []byte) {
	s := sha256.New()
	s.Write(hs.h[:])
	s.Write(data)
	s.Sum(hs.h[:0])
}

// mixKey sets ck, temp_k = HKDF(ck, ss).
func (hs *handshake) mixKey(ss [32]byte) {
	hs.ck, hs.tempK = hkdf2(&hs.ck, ss[:])
}

// encryptWithAD appends ChaCha20-Poly1305(temp_k, n, h, plaintext) to dst.
func (hs *handshake) encryptWithAD(dst []byte, n uint64, plaintext []byte) []byte {
	var nonce [12]byte
	putNonce(&nonce, n)
	aead, _ := chacha20poly1305.New(hs.tempK[:]) // a 32-byte key cannot fail
	return aead.Seal(dst, nonce[:], plaintext, hs.h[:])
}

// decryptWithAD opens ciphertext with temp_k, nonce n and AD h.
func (hs *handshake) decryptWithAD(dst []byte, n uint64, ciphertext []byte) ([]byte, error) {
	var nonce [12]byte
	putNonce(&nonce, n)
	aead, _ := chacha20poly1305.New(hs.tempK[:])
	return aead.Open(dst, nonce[:], ciphertext, hs.h[:])
}

// newEphemeral draws the ephemeral key e from hs.rand (32 bytes taken as
// a scalar, redrawn while zero or not below the group order), sets hs.ePub
// to the compressed e·G and returns ECDH(e, remote), the first ECDH each
// side does with its ephemeral key (es for the initiator, ee for the
// responder). Both products need affine coordinates, so they share one
// field inversion (fastcrypto.BatchToAffine).
func (hs *handshake) newEphemeral(remote *btcec.PublicKey) ([32]byte, error) {
	// The read goes through an interface, so a local buffer would escape
	// to the heap; hs.seed is already there. It is cleared once used.
	defer clear(hs.seed[:])
	for {
		if _, err := io.ReadFull(hs.rand, hs.seed[:]); err != nil {
			return [32]byte{}, fmt.Errorf("peer: ephemeral key: %w", err)
		}
		overflow := hs.e.SetBytes(&hs.seed)
		if overflow == 0 && !hs.e.IsZero() {
			break
		}
	}
	var pub, rp, shared btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&hs.e, &pub)
	remote.AsJacobian(&rp)
	btcec.ScalarMultNonConst(&hs.e, &rp, &shared)
	var scratch [2]btcec.FieldVal
	if fastcrypto.BatchToAffine([]*btcec.JacobianPoint{&pub, &shared}, scratch[:]) >= 0 {
		// Not reachable with a scalar in [1, n-1] and a valid remote key.
		return [32]byte{}, fmt.Errorf("%w: ephemeral product is the point at infinity", ErrECDH)
	}
	fastcrypto.Compress(&hs.ePub, &pub)
	return fastcrypto.HashPoint(&shared), nil
}

// nodeECDH runs ECDH with the static node key through the wire.NodeKey
// interface.
func (hs *handshake) nodeECDH(pub *btcec.PublicKey) ([32]byte, error) {
	ss, err := hs.key.ECDH(pub)
	if err != nil {
		return ss, fmt.Errorf("%w: %w", ErrECDH, err)
	}
	return ss, nil
}

// genActOne builds act one (initiator): e, es.
func (hs *handshake) genActOne() (act [ActOneSize]byte, err error) {
	es, err := hs.newEphemeral(hs.rs)
	if err != nil {
		return act, err
	}
	hs.mixHash(hs.ePub[:])
	hs.mixKey(es)
	act[0] = handshakeVersion
	copy(act[1:34], hs.ePub[:])
	hs.encryptWithAD(act[34:34], 0, nil)
	hs.mixHash(act[34:])
	return act, nil
}

// recvActOne processes act one (responder).
func (hs *handshake) recvActOne(act *[ActOneSize]byte) error {
	if act[0] != handshakeVersion {
		return fmt.Errorf("%w %d", ErrActOneBadVersion, act[0])
	}
	re, err := btcec.ParsePubKey(act[1:34])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrActOneBadPubKey, err)
	}
	hs.re = re
	hs.mixHash(act[1:34])
	ss, err := hs.nodeECDH(re)
	if err != nil {
		return err
	}
	hs.mixKey(ss)
	var scratch [macSize]byte
	if _, err := hs.decryptWithAD(scratch[:0], 0, act[34:]); err != nil {
		return ErrActOneBadTag
	}
	hs.mixHash(act[34:])
	return nil
}

// genActTwo builds act two (responder): e, ee.
func (hs *handshake) genActTwo() (act [ActTwoSize]byte, err error) {
	ee, err := hs.newEphemeral(hs.re)
	if err != nil {
		return act, err
	}
	hs.mixHash(hs.ePub[:])
	hs.mixKey(ee)
	act[0] = handshakeVersion
	copy(act[1:34], hs.ePub[:])
	hs.encryptWithAD(act[34:34], 0, nil)
	hs.mixHash(act[34:])
	return act, nil
}

// recvActTwo processes act two (initiator).
func (hs *handshake) recvActTwo(act *[ActTwoSize]byte) error {
	if act[0] != handshakeVersion {
		return fmt.Errorf("%w %d", ErrActTwoBadVersion, act[0])
	}
	re, err := btcec.ParsePubKey(act[1:34])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrActTwoBadPubKey, err)
	}
	hs.re = re
	hs.mixHash(act[1:34])
	hs.mixKey(ecdh(&hs.e, re))
	var scratch [macSize]byte
	if _, err := hs.decryptWithAD(scratch[:0], 0, act[34:]); err != nil {
		return ErrActTwoBadTag
	}
	hs.mixHash(act[34:])
	return nil
}

// genActThree builds act three (initiator): s, se. It returns the act and
// the session keys.
func (hs *handshake) genActThree() (act [ActThreeSize]byte, sk, rk [32]byte, err error) {
	act[0] = handshakeVersion
	c := hs.encryptWithAD(act[1:1], 1, hs.localPub[:])
	hs.mixHash(c)
	ss, err := hs.nodeECDH(hs.re)
	if err != nil {
		return act, sk, rk, err
	}
	hs.mixKey(ss)
	hs.encryptWithAD(act[1+len(c):1+len(c)], 0, nil)
	sk, rk = hkdf2(&hs.ck, nil)
	return act, sk, rk, nil
}

// recvActThree processes act three (responder) and returns the session
// keys. hs.rs holds the initiator's static key afterwards.
func (hs *handshake) recvActThree(act *[ActThreeSize]byte) (sk, rk [32]byte, err error) {
	if act[0] != handshakeVersion {
		return sk, rk, fmt.Errorf("%w %d", ErrActThreeBadVersion, act[0])
	}
	var s [33]byte
	c := act[1 : 1+33+macSize]
	if _, err := hs.decryptWithAD(s[:0], 1, c); err != nil {
		return sk, rk, ErrActThreeBadCiphertext
	}
	rs, err := btcec.ParsePubKey(s[:])
	if err != nil {
		return sk, rk, fmt.Errorf("%w: %v", ErrActThreeBadPubKey, err)
	}
	hs.rs = rs
	hs.mixHash(c)
	hs.mixKey(ecdh(&hs.e, rs))
	var scratch [macSize]byte
	if _, err := hs.decryptWithAD(scratch[:0], 0, act[1+33+macSize:]); err != nil {
		return sk, rk, ErrActThreeBadTag
	}
	rk, sk = hkdf2(&hs.ck, nil)
	return sk, rk, nil
}
