package channel

import (
	"errors"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

var errCloseScript = errors.New("not a scriptpubkey BOLT 2 shutdown allows")

// checkScript applies BOLT 2's shutdown scriptpubkey forms: P2PKH, P2SH,
// P2WPKH, P2WSH; with option_shutdown_anysegwit a segwit v1 to v16
// program of 2 to 40 bytes; with option_simple_close an OP_RETURN
// followed by one push of 6 to 80 bytes (a direct push of 6 to 75 bytes,
// or OP_PUSHDATA1 of 76 to 80).
func (c *CoopClose) checkScript(pk []byte) error {
	switch {
	case txscript.IsPayToPubKeyHash(pk), txscript.IsPayToScriptHash(pk),
		txscript.IsPayToWitnessPubKeyHash(pk), txscript.IsPayToWitnessScriptHash(pk):
		return nil
	case c.cfg.AnySegwit && isSegwitV1Plus(pk):
		return nil
	case c.cfg.SimpleClose && isCloseOpReturn(pk):
		return nil
	}
	return errCloseScript
}

func isSegwitV1Plus(pk []byte) bool {
	if len(pk) < 4 || len(pk) > 42 {
		return false
	}
	if pk[0] < txscript.OP_1 || pk[0] > txscript.OP_16 {
		return false
	}
	n := int(pk[1])
	return n >= 2 && n <= 40 && len(pk) == 2+n
}

func isCloseOpReturn(pk []byte) bool {
	if len(pk) < 2 || pk[0] != txscript.OP_RETURN {
		return false
	}
	switch n := int(pk[1]); {
	case n >= 6 && n <= 75:
		return len(pk) == 2+n
	case pk[1] == txscript.OP_PUSHDATA1 && len(pk) >= 3:
		n := int(pk[2])
		return n >= 76 && n <= 80 && len(pk) == 3+n
	}
	return false
}

func isOpReturn(pk []byte) bool { return len(pk) > 0 && pk[0] == txscript.OP_RETURN }

// closingWitnessSize is the witness of a funding spend with two 73-byte
// signatures, with the segwit marker and flag: the item count, the empty
// item, two signatures and the 71-byte 2-of-2 script, each with its
// length.
const closingWitnessSize = 2 + 1 + 1 + 2*(1+73) + 1 + 71

// closingWeight is the expected weight of a closing transaction paying to
// the given scripts.
func closingWeight(outScripts ...[]byte) int64 {
	// version, input count, the input (outpoint, empty script,
	// sequence), output count, locktime.
	size := 4 + 1 + 36 + 1 + 4 + 1 + 4
	for _, s := range outScripts {
		size += 8 + btcwire.VarIntSerializeSize(uint64(len(s))) + len(s)
	}
	return int64(size)*4 + closingWitnessSize
}

// txScripts returns the output scripts of tx.
func txScripts(tx *btcwire.MsgTx) [][]byte {
	s := make([][]byte, len(tx.TxOut))
	for i, o := range tx.TxOut {
		s[i] = o.PkScript
	}
	return s
}
