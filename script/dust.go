package script

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// Dust thresholds of Bitcoin Core's default policy (dustRelayFee of
// 3000 sat/kvB) by output type, as listed in BOLT 3 "Dust Limits". An
// output below the threshold for its script type is not relayed.
const (
	DustP2PKH         btcutil.Amount = 546
	DustP2SH          btcutil.Amount = 540
	DustP2WPKH        btcutil.Amount = 294
	DustP2WSH         btcutil.Amount = 330
	DustUnknownSegwit btcutil.Amount = 354
)

// MinDustLimit is the smallest dust_limit_satoshis BOLT 2 lets a peer set
// in open_channel/accept_channel: the threshold of unknown segwit versions,
// which is the largest threshold any segwit output can have.
const MinDustLimit = DustUnknownSegwit

// DustThreshold returns the relay dust threshold of an output with
// pkScript, following BOLT 3 "Dust Limits". OP_RETURN outputs have none
// (0). For any other non-standard script it returns DustP2PKH, the largest
// of the standard thresholds, so callers err towards trimming.
func DustThreshold(pkScript []byte) btcutil.Amount {
	switch {
	case len(pkScript) > 0 && pkScript[0] == txscript.OP_RETURN:
		return 0
	case txscript.IsPayToPubKeyHash(pkScript):
		return DustP2PKH
	case txscript.IsPayToScriptHash(pkScript):
		return DustP2SH
	case txscript.IsPayToWitnessPubKeyHash(pkScript):
		return DustP2WPKH
	case txscript.IsPayToWitnessScriptHash(pkScript):
		return DustP2WSH
	case txscript.IsWitnessProgram(pkScript):
		return DustUnknownSegwit
	default:
		return DustP2PKH
	}
}
