package script

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// ToRemoteAnchorsScriptSize is the length of the option_anchors to_remote
// witness script.
const ToRemoteAnchorsScriptSize = 34 + 1 + 1 + 1

// ToRemoteKey returns remotepubkey for a commitment under
// option_static_remotekey or option_anchors: the remote node's
// payment_basepoint itself, untweaked (BOLT 3 "Key Derivation").
func ToRemoteKey(remotePaymentBasepoint *btcec.PublicKey) *btcec.PublicKey {
	return remotePaymentBasepoint
}

// ToRemoteScript returns the to_remote output of a commitment transaction
// (BOLT 3 "to_remote Output"). For StaticRemoteKey it is a P2WPKH to
// remotepubkey and witnessScript is nil. For Anchors it is a P2WSH to
// `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`, returned as
// witnessScript together with its pkScript.
func ToRemoteScript(t ChannelType, remoteKey *btcec.PublicKey) (witnessScript, pkScript []byte, err error) {
	if remoteKey == nil {
		return nil, nil, fmt.Errorf("to_remote script: %w", ErrNilKey)
	}
	switch t {
	case StaticRemoteKey:
		return nil, P2WPKH(remoteKey), nil
	case Anchors:
		ws := toRemoteAnchorsScript(remoteKey.SerializeCompressed())
		return ws, P2WSH(ws), nil
	default:
		return nil, nil, fmt.Errorf("to_remote script: %w %d", ErrUnknownChannelType, t)
	}
}

// ToRemoteAnchorsScript returns the option_anchors to_remote witness
// script `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`.
func ToRemoteAnchorsScript(remoteKey *btcec.PublicKey) ([]byte, error) {
	if remoteKey == nil {
		return nil, fmt.Errorf("to_remote script: %w", ErrNilKey)
	}
	return toRemoteAnchorsScript(remoteKey.SerializeCompressed()), nil
}

func toRemoteAnchorsScript(key []byte) []byte {
	s := make([]byte, 0, ToRemoteAnchorsScriptSize)
	s = append(s, txscript.OP_DATA_33)
	s = append(s, key...)
	return append(s, txscript.OP_CHECKSIGVERIFY, txscript.OP_1,
		txscript.OP_CHECKSEQUENCEVERIFY)
}

// ToRemoteAnchorsWitness returns the witness spending the option_anchors
// to_remote output: `<remote_sig> <witness script>`. The spending input's
// sequence must be at least 1.
func ToRemoteAnchorsWitness(remoteSig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, remoteSig)
}

// P2WPKHWitness returns the witness spending a P2WPKH output (such as the
// StaticRemoteKey to_remote output): `<sig> <pubkey>`.
func P2WPKHWitness(sig []byte, pub *btcec.PublicKey) btcwire.TxWitness {
	return btcwire.TxWitness{sig, pub.SerializeCompressed()}
}
