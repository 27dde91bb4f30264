package channel

import (
	"context"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// KeyFamily names which of this node's channel base secrets a signature
// uses.
type KeyFamily uint8

const (
	// KeyFunding is funding_pubkey's secret (commitment and closing
	// transactions).
	KeyFunding KeyFamily = iota + 1
	// KeyRevocation is revocation_basepoint's secret, combined with a
	// revealed per_commitment_secret into revocationprivkey (justice
	// transactions).
	KeyRevocation
	// KeyPayment is payment_basepoint's secret.
	KeyPayment
	// KeyDelayedPayment is delayed_payment_basepoint's secret, tweaked
	// into local_delayedpubkey's secret (to_local and HTLC transaction
	// sweeps).
	KeyDelayedPayment
	// KeyHTLC is htlc_basepoint's secret, tweaked into the HTLC key of
	// one commitment (HTLC signatures, HTLC claims).
	KeyHTLC
)

// String names the key family.
func (k KeyFamily) String() string {
	switch k {
	case KeyFunding:
		return "funding"
	case KeyRevocation:
		return "revocation"
	case KeyPayment:
		return "payment"
	case KeyDelayedPayment:
		return "delayed_payment"
	case KeyHTLC:
		return "htlc"
	default:
		return fmt.Sprintf("KeyFamily(%d)", uint8(k))
	}
}

// SignRequest asks a Signer for one BIP 143 (segwit v0) input signature.
// Everything an HSM needs to check what it signs is here: the whole
// transaction, the spent script and value, and how the key is derived.
type SignRequest struct {
	// Key selects the base secret.
	Key KeyFamily
	// PerCommitmentPoint, for KeyPayment, KeyDelayedPayment and KeyHTLC,
	// tweaks the base secret: secret + SHA256(per_commitment_point ||
	// basepoint) (BOLT 3 "Key Derivation"). Nil signs with the base
	// secret itself.
	PerCommitmentPoint *btcec.PublicKey
	// PerCommitmentSecret, for KeyRevocation, is the counterparty's
	// revealed per_commitment_secret of the revoked commitment.
	PerCommitmentSecret *btcec.PrivateKey

	// Tx is the transaction, InputIndex the input to sign.
	Tx         *btcwire.MsgTx
	InputIndex int
	// WitnessScript is the script of the spent output (for a P2WPKH
	// output, its pkScript).
	WitnessScript []byte
	// Value is the spent output's amount.
	Value btcutil.Amount
	// HashType is the sighash type.
	HashType txscript.SigHashType
	// SigHashes optionally carries Tx's precomputed BIP 143 midstate; the
	// signer computes it when nil.
	SigHashes *txscript.TxSigHashes
}

// Digest returns the BIP 143 signature hash the request asks to sign.
func (r *SignRequest) Digest() ([]byte, error) {
	d, err := r.digest()
	if err != nil {
		return nil, err
	}
	return d[:], nil
}

// digest is Digest without the allocation. Without SigHashes it hashes
// only what HashType commits to (witnessV0SigHash); with them it uses
// txscript and the given midstate, which is what a transaction of many
// inputs, each signed with SIGHASH_ALL, needs.
func (r *SignRequest) digest() ([32]byte, error) {
	var d [32]byte
	if r.Tx == nil || r.InputIndex < 0 || r.InputIndex >= len(r.Tx.TxIn) {
		return d, fmt.Errorf("%w: no input %d to sign", ErrInvalidParams, r.InputIndex)
	}
	if r.SigHashes == nil {
		return witnessV0SigHash(r.Tx, r.InputIndex, r.WitnessScript, int64(r.Value), r.HashType)
	}
	h, err := txscript.CalcWitnessSigHash(r.WitnessScript, r.SigHashes, r.HashType, r.Tx, r.InputIndex, int64(r.Value))
	if err != nil {
		return d, err
	}
	copy(d[:], h)
	return d, nil
}

// emptyFetcher answers every previous-output query with an empty output:
// all inputs this package signs are segwit v0, which is all
// NewTxSigHashes needs to know.
var emptyFetcher = txscript.NewCannedPrevOutputFetcher(nil, 0)

// Signer signs channel transactions with this node's channel keys. It is
// the seam for hardware and remote signers. Implementations must be safe
// for concurrent use, because SignCommitment calls SignInput from several
// goroutines at once; wrap one that is not in a SerialSigner.
type Signer interface {
	// SignInput returns the signature (64-byte compact form) of the
	// input described by req.
	SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error)
}

// SerialSigner hands a Signer one request at a time: for a hardware
// signer or a remote one that must not be used concurrently. Calls to its
// SignInput from any number of goroutines reach the wrapped Signer one
// after the other; a call waiting for its turn gives up when its context
// is done. Given a *SerialSigner, SignCommitment signs on the calling
// goroutine, in htlc_signature order, and starts no goroutine.
//
// Build one with NewSerialSigner; the zero value refuses every request.
// A SerialSigner is safe for concurrent use.
type SerialSigner struct {
	signer Signer
	turn   chan struct{} // holds a token while a request is being signed
}

// NewSerialSigner returns s wrapped so that it is called one request at a
// time.
func NewSerialSigner(s Signer) *SerialSigner {
	return &SerialSigner{signer: s, turn: make(chan struct{}, 1)}
}

// SignInput waits until no other request is being signed, then signs req
// with the wrapped Signer.
func (s *SerialSigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	if s == nil || s.signer == nil || s.turn == nil {
		return wire.Signature{}, fmt.Errorf("%w: SerialSigner without a signer (use NewSerialSigner)", ErrInvalidParams)
	}
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return wire.Signature{}, ctx.Err()
	}
	defer func() { <-s.turn }()
	// select picks at random when both cases are ready.
	if err := ctx.Err(); err != nil {
		return wire.Signature{}, err
	}
	return s.signer.SignInput(ctx, req)
}

// BasepointSecrets are the secrets behind one node's Basepoints.
type BasepointSecrets struct {
	// Funding is funding_pubkey's secret.
	Funding *btcec.PrivateKey
	// Revocation is revocation_basepoint's secret.
	Revocation *btcec.PrivateKey
	// Payment is payment_basepoint's secret.
	Payment *btcec.PrivateKey
	// DelayedPayment is delayed_payment_basepoint's secret.
	DelayedPayment *btcec.PrivateKey
	// HTLC is htlc_basepoint's secret.
	HTLC *btcec.PrivateKey
}

// MemorySigner is the default Signer: it holds the base secrets in memory
// and signs with RFC 6979 deterministic nonces, so equal requests give
// equal signatures. It is safe for concurrent use.
type MemorySigner struct {
	secrets BasepointSecrets
	points  Basepoints

	// last remembers the most recent tweaked key, because a
	// commitment_signed signs every HTLC with the same derived HTLC key.
	mu   sync.Mutex
	last struct {
		family KeyFamily
		point  [33]byte
		key    *btcec.PrivateKey
	}
}

// NewMemorySigner returns a signer for the given secrets. Secrets that are
// nil make requests for that key family fail.
func NewMemorySigner(s BasepointSecrets) *MemorySigner {
	m := &MemorySigner{secrets: s}
	pub := func(k *btcec.PrivateKey) *btcec.PublicKey {
		if k == nil {
			return nil
		}
		return k.PubKey()
	}
	m.points = Basepoints{
		Funding: pub(s.Funding), Revocation: pub(s.Revocation), Payment: pub(s.Payment),
		DelayedPayment: pub(s.DelayedPayment), HTLC: pub(s.HTLC),
	}
	return m
}

// Basepoints returns the public basepoints of the signer's secrets, as
// this node announces them in open_channel or accept_channel.
func (m *MemorySigner) Basepoints() Basepoints { return m.points }

// PrivateKey returns the key a request signs with.
func (m *MemorySigner) privateKey(req *SignRequest) (*btcec.PrivateKey, error) {
	var base *btcec.PrivateKey
	var basePoint *btcec.PublicKey
	switch req.Key {
	case KeyFunding:
		return nonNil(m.secrets.Funding, req.Key)
	case KeyRevocation:
		if _, err := nonNil(m.secrets.Revocation, req.Key); err != nil {
			return nil, err
		}
		if req.PerCommitmentSecret == nil {
			return nil, fmt.Errorf("%w: revocation signature needs the per_commitment_secret", ErrInvalidParams)
		}
		return revocation.DerivePrivKey(m.secrets.Revocation, req.PerCommitmentSecret)
	case KeyPayment:
		base, basePoint = m.secrets.Payment, m.points.Payment
	case KeyDelayedPayment:
		base, basePoint = m.secrets.DelayedPayment, m.points.DelayedPayment
	case KeyHTLC:
		base, basePoint = m.secrets.HTLC, m.points.HTLC
	default:
		return nil, fmt.Errorf("%w: key family %v", ErrInvalidParams, req.Key)
	}
	if _, err := nonNil(base, req.Key); err != nil {
		return nil, err
	}
	if req.PerCommitmentPoint == nil {
		return base, nil
	}
	var point [33]byte
	copy(point[:], req.PerCommitmentPoint.SerializeCompressed())
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last.key == nil || m.last.family != req.Key || m.last.point != point {
		m.last.family, m.last.point = req.Key, point
		m.last.key = script.TweakPrivKey(base, basePoint, req.PerCommitmentPoint)
	}
	return m.last.key, nil
}

func nonNil(k *btcec.PrivateKey, f KeyFamily) (*btcec.PrivateKey, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: signer holds no %v secret", ErrInvalidParams, f)
	}
	return k, nil
}

// SignInput implements Signer.
func (m *MemorySigner) SignInput(ctx context.Context, req *SignRequest) (wire.Signature, error) {
	if err := ctx.Err(); err != nil {
		return wire.Signature{}, err
	}
	key, err := m.privateKey(req)
	if err != nil {
		return wire.Signature{}, err
	}
	digest, err := req.digest()
	if err != nil {
		return wire.Signature{}, err
	}
	return wire.NewSignature(ecdsa.Sign(key, digest[:])), nil
}

// verifyPeerSig checks a signature the peer sent: valid over digest for
// pub, and with s in the lower half of the group order, since BOLT 2
// (commitment_signed, closing_signed) refuses a signature "non-compliant
// with LOW-S-standard rule" like an invalid one.
func verifyPeerSig(sig wire.Signature, digest []byte, pub *btcec.PublicKey) bool {
	var s btcec.ModNScalar
	if s.SetByteSlice(sig[32:]) || s.IsOverHalfOrder() {
		return false
	}
	return verifySig(sig, digest, pub)
}

// verifySig checks a compact signature over digest with pub. Either s or
// its negation is accepted: witnessSig writes the low-S form.
func verifySig(sig wire.Signature, digest []byte, pub *btcec.PublicKey) bool {
	s, err := sig.ToECDSA()
	if err != nil {
		return false
	}
	return s.Verify(digest, pub)
}

// witnessSig returns the DER signature plus sighash byte for a witness.
func witnessSig(sig wire.Signature, hashType txscript.SigHashType) ([]byte, error) {
	s, err := sig.ToECDSA()
	if err != nil {
		return nil, err
	}
	return script.Sig(s, hashType), nil
}
