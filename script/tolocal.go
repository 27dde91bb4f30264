package script

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// ToLocalScript returns the witness script of the to_local output of a
// commitment transaction, which is also the output script of HTLC-success
// and HTLC-timeout transactions (BOLT 3 "to_local Output"):
//
//	OP_IF
//	    <revocationpubkey>
//	OP_ELSE
//	    `to_self_delay` OP_CHECKSEQUENCEVERIFY OP_DROP
//	    <local_delayedpubkey>
//	OP_ENDIF
//	OP_CHECKSIG
func ToLocalScript(revocationKey, delayedKey *btcec.PublicKey, toSelfDelay uint16) ([]byte, error) {
	if revocationKey == nil || delayedKey == nil {
		return nil, fmt.Errorf("to_local script: %w", ErrNilKey)
	}
	return toLocalScript(revocationKey.SerializeCompressed(),
		delayedKey.SerializeCompressed(), toSelfDelay), nil
}

func toLocalScript(rev, delayed []byte, toSelfDelay uint16) []byte {
	b := txscript.NewScriptBuilder(txscript.WithScriptAllocSize(80))
	b.AddOp(txscript.OP_IF)
	b.AddData(rev)
	b.AddOp(txscript.OP_ELSE)
	b.AddInt64(int64(toSelfDelay))
	b.AddOp(txscript.OP_CHECKSEQUENCEVERIFY)
	b.AddOp(txscript.OP_DROP)
	b.AddData(delayed)
	b.AddOp(txscript.OP_ENDIF)
	b.AddOp(txscript.OP_CHECKSIG)
	s, _ := b.Script() // cannot fail: fixed small template
	return s
}

// ToLocalDelayedWitness returns the witness that spends a to_local style
// output after the delay: `<local_delayedsig> <> <witness script>`. The
// spending input's sequence must be at least to_self_delay.
func ToLocalDelayedWitness(delayedSig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, delayedSig, nil)
}

// ToLocalRevokeWitness returns the witness that spends a to_local style
// output of a revoked transaction with the revocation key:
// `<revocation_sig> 1 <witness script>`.
func ToLocalRevokeWitness(revocationSig, witnessScript []byte) btcwire.TxWitness {
	return witnessWithScript(witnessScript, revocationSig, []byte{1})
}
