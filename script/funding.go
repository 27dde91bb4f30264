package script

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// FundingScriptSize is the length of the funding witness script:
// OP_2 <33> <33> OP_2 OP_CHECKMULTISIG.
const FundingScriptSize = 1 + 34 + 34 + 1 + 1

// SortKeys returns the compressed encodings of a and b, lesser first, in
// the order BOLT 3 ("Funding Transaction Output") puts them in the funding
// script. swapped is true when b sorts before a.
func SortKeys(a, b *btcec.PublicKey) (first, second []byte, swapped bool) {
	ka, kb := a.SerializeCompressed(), b.SerializeCompressed()
	if bytes.Compare(kb, ka) < 0 {
		return kb, ka, true
	}
	return ka, kb, false
}

// FundingScript returns the funding output's witness script
// `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG`, where pubkey1 is the
// lexicographically lesser compressed encoding of the two funding_pubkeys
// (BOLT 3 "Funding Transaction Output"). The order of the arguments does
// not matter.
func FundingScript(a, b *btcec.PublicKey) ([]byte, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("funding script: %w", ErrNilKey)
	}
	k1, k2, _ := SortKeys(a, b)
	return fundingScript(k1, k2), nil
}

func fundingScript(k1, k2 []byte) []byte {
	s := make([]byte, 0, FundingScriptSize)
	s = append(s, txscript.OP_2, txscript.OP_DATA_33)
	s = append(s, k1...)
	s = append(s, txscript.OP_DATA_33)
	s = append(s, k2...)
	return append(s, txscript.OP_2, txscript.OP_CHECKMULTISIG)
}

// FundingOutput returns the funding witness script and the P2WSH output
// paying amount to it.
func FundingOutput(a, b *btcec.PublicKey, amount btcutil.Amount) ([]byte, *btcwire.TxOut, error) {
	ws, err := FundingScript(a, b)
	if err != nil {
		return nil, nil, err
	}
	return ws, btcwire.NewTxOut(int64(amount), P2WSH(ws)), nil
}

// FundingWitness returns the witness that spends the funding output
// cooperatively: `0 <signature_for_pubkey1> <signature_for_pubkey2>
// <witness script>`, where the signatures are placed in the order of the
// keys in the script (the leading empty item feeds OP_CHECKMULTISIG's
// extra pop). sigA and sigB are the signatures (DER plus sighash byte) of
// keys a and b; the function orders them.
func FundingWitness(a, b *btcec.PublicKey, sigA, sigB []byte) (btcwire.TxWitness, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("funding witness: %w", ErrNilKey)
	}
	k1, k2, swapped := SortKeys(a, b)
	if swapped {
		sigA, sigB = sigB, sigA
	}
	return witnessWithScript(fundingScript(k1, k2), nil, sigA, sigB), nil
}
