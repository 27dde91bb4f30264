package script

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// AnchorOutputValue is the amount of each anchor output under
// option_anchors (BOLT 3 "to_local_anchor and to_remote_anchor Output").
const AnchorOutputValue btcutil.Amount = 330

// AnchorScriptSize is the length of an anchor witness script.
const AnchorScriptSize = 34 + 6

// AnchorCSVDelay is the relative delay after which anyone may spend an
// anchor output.
const AnchorCSVDelay = 16

// AnchorScript returns the witness script of to_local_anchor or
// to_remote_anchor (option_anchors), where fundingKey is the funding_pubkey
// of the side the anchor belongs to:
//
//	<funding_pubkey> OP_CHECKSIG OP_IFDUP
//	OP_NOTIF
//	    OP_16 OP_CHECKSEQUENCEVERIFY
//	OP_ENDIF
func AnchorScript(fundingKey *btcec.PublicKey) ([]byte, error) {
	if fundingKey == nil {
		return nil, fmt.Errorf("anchor script: %w", ErrNilKey)
	}
	return anchorScript(fundingKey.SerializeCompressed()), nil
}

func anchorScript(key []byte) []byte {
	s := make([]byte, 0, AnchorScriptSize)
	s = append(s, txscript.OP_DATA_33)
	s = append(s, key...)
	return append(s, txscript.OP_CHECKSIG, txscript.OP_IFDUP,
		txscript.OP_NOTIF, txscript.OP_16, txscript.OP_CHECKSEQUENCEVERIFY,
		txscript.OP_ENDIF)
}

// AnchorWitness returns the witness by which the owner of the anchor
// spends it at any time: `<sig> <witness script>`.
func AnchorWitness(sig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, sig)
}

// AnchorSweepWitness returns the witness by which anyone spends an anchor
// once it is 16 blocks deep: `<> <witness script>`. The spending input's
// sequence must be at least 16.
func AnchorSweepWitness(witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, nil)
}
