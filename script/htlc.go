package script

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // BOLT 3 needs RIPEMD160(payment_hash)
)

// PaymentHashLock returns RIPEMD160(payment_hash), the 20-byte hash lock
// that HTLC scripts compare against OP_HASH160(preimage).
func PaymentHashLock(paymentHash wire.PaymentHash) [20]byte {
	h := ripemd160.New()
	h.Write(paymentHash[:])
	var out [20]byte
	copy(out[:], h.Sum(nil))
	return out
}

// RevocationKeyHash returns RIPEMD160(SHA256(revocationpubkey)), the form in
// which HTLC scripts commit to the revocation key.
func RevocationKeyHash(revocationKey *btcec.PublicKey) [20]byte {
	var out [20]byte
	copy(out[:], btcutil.Hash160(revocationKey.SerializeCompressed()))
	return out
}

// HTLCScriptParams are the values an HTLC output script commits to.
type HTLCScriptParams struct {
	// RevocationKeyHash is RIPEMD160(SHA256(revocationpubkey)).
	RevocationKeyHash [20]byte
	// RemoteHTLCKey is remote_htlcpubkey, compressed.
	RemoteHTLCKey [33]byte
	// LocalHTLCKey is local_htlcpubkey, compressed.
	LocalHTLCKey [33]byte
	// PaymentHashLock is RIPEMD160(payment_hash).
	PaymentHashLock [20]byte
	// CLTVExpiry is cltv_expiry; only received HTLC scripts contain it.
	CLTVExpiry uint32
}

// OfferedHTLCScript returns the witness script of an offered HTLC output
// (BOLT 3 "Offered HTLC Outputs"):
//
//	OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
//	OP_IF
//	    OP_CHECKSIG
//	OP_ELSE
//	    <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
//	    OP_NOTIF
//	        OP_DROP 2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
//	    OP_ELSE
//	        OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY
//	        OP_CHECKSIG
//	    OP_ENDIF
//	    1 OP_CHECKSEQUENCEVERIFY OP_DROP   (Anchors only)
//	OP_ENDIF
func OfferedHTLCScript(t ChannelType, revocationKey, localHTLCKey, remoteHTLCKey *btcec.PublicKey, paymentHash wire.PaymentHash) ([]byte, error) {
	p, err := htlcParams(t, revocationKey, localHTLCKey, remoteHTLCKey, paymentHash, 0)
	if err != nil {
		return nil, fmt.Errorf("offered HTLC script: %w", err)
	}
	return OfferedHTLCScriptFromParams(t == Anchors, &p), nil
}

// ReceivedHTLCScript returns the witness script of a received HTLC output
// (BOLT 3 "Received HTLC Outputs"):
//
//	OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
//	OP_IF
//	    OP_CHECKSIG
//	OP_ELSE
//	    <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
//	    OP_IF
//	        OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY
//	        2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
//	    OP_ELSE
//	        OP_DROP <cltv_expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP
//	        OP_CHECKSIG
//	    OP_ENDIF
//	    1 OP_CHECKSEQUENCEVERIFY OP_DROP   (Anchors only)
//	OP_ENDIF
func ReceivedHTLCScript(t ChannelType, revocationKey, localHTLCKey, remoteHTLCKey *btcec.PublicKey, paymentHash wire.PaymentHash, cltvExpiry uint32) ([]byte, error) {
	p, err := htlcParams(t, revocationKey, localHTLCKey, remoteHTLCKey, paymentHash, cltvExpiry)
	if err != nil {
		return nil, fmt.Errorf("received HTLC script: %w", err)
	}
	return ReceivedHTLCScriptFromParams(t == Anchors, &p), nil
}

// HTLCScript returns OfferedHTLCScript or ReceivedHTLCScript according to
// kind; cltvExpiry is ignored for offered HTLCs.
func HTLCScript(t ChannelType, kind HTLCKind, revocationKey, localHTLCKey, remoteHTLCKey *btcec.PublicKey, paymentHash wire.PaymentHash, cltvExpiry uint32) ([]byte, error) {
	switch kind {
	case Offered:
		return OfferedHTLCScript(t, revocationKey, localHTLCKey, remoteHTLCKey, paymentHash)
	case Received:
		return ReceivedHTLCScript(t, revocationKey, localHTLCKey, remoteHTLCKey, paymentHash, cltvExpiry)
	default:
		return nil, fmt.Errorf("HTLC script: %w %d", ErrUnknownHTLCKind, kind)
	}
}

func htlcParams(t ChannelType, rev, local, remote *btcec.PublicKey, paymentHash wire.PaymentHash, cltv uint32) (HTLCScriptParams, error) {
	var p HTLCScriptParams
	if !t.Valid() {
		return p, fmt.Errorf("%w %d", ErrUnknownChannelType, t)
	}
	if rev == nil || local == nil || remote == nil {
		return p, ErrNilKey
	}
	p.RevocationKeyHash = RevocationKeyHash(rev)
	copy(p.RemoteHTLCKey[:], remote.SerializeCompressed())
	copy(p.LocalHTLCKey[:], local.SerializeCompressed())
	p.PaymentHashLock = PaymentHashLock(paymentHash)
	p.CLTVExpiry = cltv
	return p, nil
}

// OfferedHTLCScriptFromParams builds an offered HTLC witness script from
// already hashed and serialized values (see OfferedHTLCScript); anchors
// selects the option_anchors form. p.CLTVExpiry is ignored.
func OfferedHTLCScriptFromParams(anchors bool, p *HTLCScriptParams) []byte {
	return AppendOfferedHTLCScript(make([]byte, 0, 140), anchors, p)
}

// ReceivedHTLCScriptFromParams builds a received HTLC witness script from
// already hashed and serialized values (see ReceivedHTLCScript); anchors
// selects the option_anchors form.
func ReceivedHTLCScriptFromParams(anchors bool, p *HTLCScriptParams) []byte {
	return AppendReceivedHTLCScript(make([]byte, 0, 145), anchors, p)
}

// HTLCRevokeWitness returns the witness by which the remote node spends an
// offered or received HTLC output of a revoked commitment:
// `<revocation_sig> <revocationpubkey> <witness script>`.
func HTLCRevokeWitness(revocationSig []byte, revocationKey *btcec.PublicKey, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, revocationSig, revocationKey.SerializeCompressed())
}

// OfferedHTLCRemoteSuccessWitness returns the witness by which the remote
// node claims an offered HTLC with the preimage:
// `<remotehtlcsig> <payment_preimage> <witness script>`. Under Anchors the
// spending input's sequence must be at least 1.
func OfferedHTLCRemoteSuccessWitness(remoteSig []byte, preimage wire.Preimage, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, remoteSig, preimage[:])
}

// OfferedHTLCLocalTimeoutWitness returns the witness of the HTLC-timeout
// transaction's input, which spends an offered HTLC through the 2-of-2
// branch: `0 <remotehtlcsig> <localhtlcsig> <> <witness script>`.
func OfferedHTLCLocalTimeoutWitness(remoteSig, localSig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, nil, remoteSig, localSig, nil)
}

// ReceivedHTLCRemoteTimeoutWitness returns the witness by which the remote
// node reclaims a received HTLC after cltv_expiry:
// `<remotehtlcsig> <> <witness script>`. The spending transaction's
// locktime must be at least cltv_expiry (and its input not final), and
// under Anchors the input's sequence must be at least 1.
func ReceivedHTLCRemoteTimeoutWitness(remoteSig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, remoteSig, nil)
}

// ReceivedHTLCLocalSuccessWitness returns the witness of the HTLC-success
// transaction's input, which spends a received HTLC through the 2-of-2
// branch: `0 <remotehtlcsig> <localhtlcsig> <payment_preimage> <witness
// script>`.
func ReceivedHTLCLocalSuccessWitness(remoteSig, localSig []byte, preimage wire.Preimage, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, nil, remoteSig, localSig, preimage[:])
}
