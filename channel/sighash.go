package channel

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// sigHashMask selects the base sighash type (ALL, NONE, SINGLE) from a
// sighash byte, as in txscript.
const sigHashMask = 0x1f

// witnessV0SigHash returns the BIP 143 (segwit v0) signature hash of input
// idx of tx, spending an output of the given value whose script is
// subScript, for hashType. It gives exactly what
// txscript.CalcWitnessSigHash(subScript, txscript.NewTxSigHashes(tx, ...),
// hashType, tx, idx, value) gives, including btcd's treatment of a P2WPKH
// pkScript as subScript (its P2PKH script code is signed) and of
// SIGHASH_SINGLE without a matching output (a zero hashOutputs), but it
// hashes only the parts hashType commits to, in one pass, without building
// the transaction's sighash midstate. For the one-input, one-output HTLC
// transactions signed with SIGHASH_SINGLE|SIGHASH_ANYONECANPAY that is
// three SHA-256 compressions per hash instead of a dozen.
//
// idx must be a valid input index. It fails, like CalcWitnessSigHash, when
// subScript does not parse.
func witnessV0SigHash(tx *btcwire.MsgTx, idx int, subScript []byte, value int64, hashType txscript.SigHashType) ([32]byte, error) {
	tok := txscript.MakeScriptTokenizer(0, subScript)
	for tok.Next() {
	}
	if err := tok.Err(); err != nil {
		return [32]byte{}, err
	}

	// The preimage and the hashed lists are assembled in one buffer, on
	// the stack when they are small (always so for HTLC transactions).
	var stack [512]byte
	b := stack[:0]
	var hashPrevouts, hashSequence, hashOutputs [32]byte
	acp := hashType&txscript.SigHashAnyOneCanPay != 0
	base := hashType & sigHashMask
	if !acp {
		for _, in := range tx.TxIn {
			b = appendOutPoint(b, &in.PreviousOutPoint)
		}
		hashPrevouts = doubleSHA256(b)
	}
	if !acp && base != txscript.SigHashSingle && base != txscript.SigHashNone {
		b = b[:0]
		for _, in := range tx.TxIn {
			b = binary.LittleEndian.AppendUint32(b, in.Sequence)
		}
		hashSequence = doubleSHA256(b)
	}
	switch {
	case base != txscript.SigHashSingle && base != txscript.SigHashNone:
		b = b[:0]
		for _, out := range tx.TxOut {
			b = appendTxOut(b, out)
		}
		hashOutputs = doubleSHA256(b)
	case base == txscript.SigHashSingle && idx < len(tx.TxOut):
		hashOutputs = doubleSHA256(appendTxOut(b[:0], tx.TxOut[idx]))
	}

	in := tx.TxIn[idx]
	b = binary.LittleEndian.AppendUint32(b[:0], uint32(tx.Version))
	b = append(b, hashPrevouts[:]...)
	b = append(b, hashSequence[:]...)
	b = appendOutPoint(b, &in.PreviousOutPoint)
	if isP2WPKH(subScript) {
		// The script code of a P2WPKH spend is the P2PKH script of the
		// same key hash.
		b = append(b, 0x19, txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20)
		b = append(b, subScript[2:22]...)
		b = append(b, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG)
	} else {
		b = appendVarBytes(b, subScript)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(value))
	b = binary.LittleEndian.AppendUint32(b, in.Sequence)
	b = append(b, hashOutputs[:]...)
	b = binary.LittleEndian.AppendUint32(b, tx.LockTime)
	b = binary.LittleEndian.AppendUint32(b, uint32(hashType))
	return doubleSHA256(b), nil
}

// isP2WPKH reports whether s is OP_0 OP_DATA_20 <20 bytes>.
func isP2WPKH(s []byte) bool {
	return len(s) == 22 && s[0] == txscript.OP_0 && s[1] == txscript.OP_DATA_20
}

func appendOutPoint(b []byte, op *btcwire.OutPoint) []byte {
	b = append(b, op.Hash[:]...)
	return binary.LittleEndian.AppendUint32(b, op.Index)
}

// appendTxOut appends out in transaction serialization: value, then the
// length-prefixed pkScript.
func appendTxOut(b []byte, out *btcwire.TxOut) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(out.Value))
	return appendVarBytes(b, out.PkScript)
}

// appendVarBytes appends p with its CompactSize length prefix.
func appendVarBytes(b, p []byte) []byte {
	n := uint64(len(p))
	switch {
	case n < 0xfd:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = binary.LittleEndian.AppendUint16(append(b, 0xfd), uint16(n))
	case n <= 0xffffffff:
		b = binary.LittleEndian.AppendUint32(append(b, 0xfe), uint32(n))
	default:
		b = binary.LittleEndian.AppendUint64(append(b, 0xff), n)
	}
	return append(b, p...)
}

// doubleSHA256 returns SHA256(SHA256(b)).
func doubleSHA256(b []byte) [32]byte {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}
