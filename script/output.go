package script

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// P2WSHSize is the length of a version-0 pay-to-witness-script-hash output
// script: OP_0 OP_DATA_32 <sha256(witness script)>.
const P2WSHSize = 34

// P2WPKHSize is the length of a version-0 pay-to-witness-pubkey-hash output
// script: OP_0 OP_DATA_20 <hash160(pubkey)>.
const P2WPKHSize = 22

// P2WSH returns the version-0 P2WSH output script (scriptPubKey) that
// commits to witnessScript.
func P2WSH(witnessScript []byte) []byte {
	h := sha256.Sum256(witnessScript)
	out := make([]byte, 0, P2WSHSize)
	out = append(out, txscript.OP_0, txscript.OP_DATA_32)
	return append(out, h[:]...)
}

// P2WPKH returns the version-0 P2WPKH output script for the compressed
// encoding of pub. It returns nil if pub is nil.
func P2WPKH(pub *btcec.PublicKey) []byte {
	if pub == nil {
		return nil
	}
	h := btcutil.Hash160(pub.SerializeCompressed())
	out := make([]byte, 0, P2WPKHSize)
	out = append(out, txscript.OP_0, txscript.OP_DATA_20)
	return append(out, h...)
}

// P2WPKHScriptCode returns the script code that BIP 143 signs for a P2WPKH
// input: `OP_DUP OP_HASH160 <hash160(pubkey)> OP_EQUALVERIFY OP_CHECKSIG`.
// Pass it as the witness script when signing a spend of a P2WPKH output,
// such as the option_static_remotekey to_remote output.
func P2WPKHScriptCode(pub *btcec.PublicKey) []byte {
	h := btcutil.Hash160(pub.SerializeCompressed())
	out := make([]byte, 0, 25)
	out = append(out, txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20)
	out = append(out, h...)
	return append(out, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG)
}

// Sig returns the DER encoding of sig followed by the sighash byte, which
// is how every signature appears in the witnesses this package builds.
// BOLT 3 uses SIGHASH_ALL everywhere except the remote signature on
// HTLC transactions under option_anchors, which uses
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY.
func Sig(sig *ecdsa.Signature, hashType txscript.SigHashType) []byte {
	der := sig.Serialize()
	return append(der, byte(hashType))
}

// witnessWithScript appends the witness script as the last stack item, as
// every P2WSH spend needs.
func witnessWithScript(ws []byte, items ...[]byte) [][]byte {
	w := make([][]byte, 0, len(items)+1)
	w = append(w, items...)
	return append(w, ws)
}
