// Package scripttest is a small harness for proving spend paths with btcd's
// script engine: it builds a spending transaction, signs an input of it the
// way BOLT 3 witnesses need (BIP 143 segwit v0 sighash, DER plus sighash
// byte) and runs txscript.NewEngine with txscript.StandardVerifyFlags.
//
// It is meant for tests in lnkit and in programs built on it: it only ever
// handles throw-away keys and never touches the network.
package scripttest

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Flags are the script verification flags Execute uses: btcd's standard
// policy flags, which include witness, CSV, CLTV, MINIMALIF, NULLFAIL,
// low-S and strict DER checks.
const Flags = txscript.StandardVerifyFlags

// Key returns a deterministic private key derived from label, for tests
// that need many distinct keys.
func Key(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("lnkit/scripttest:" + label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// FakeOutPoint returns a made-up outpoint whose txid is derived from
// label, for an output whose funding transaction the test does not build.
func FakeOutPoint(label string, index uint32) wire.OutPoint {
	return wire.OutPoint{Hash: chainhash.HashH([]byte(label)), Index: index}
}

// Spend is a transaction together with the outputs its inputs spend, which
// signing and the engine both need.
type Spend struct {
	Tx      *wire.MsgTx
	Fetcher *txscript.MultiPrevOutFetcher
}

// NewSpend returns a version-2 transaction with lockTime and one input
// that spends prev (worth prevOut.Value, locked by prevOut.PkScript) with
// the given sequence, paying everything minus 1000 sat (or nothing, if the
// input is smaller) to an OP_TRUE P2WSH output.
func NewSpend(prev wire.OutPoint, prevOut *wire.TxOut, sequence, lockTime uint32) *Spend {
	tx := wire.NewMsgTx(2)
	tx.LockTime = lockTime
	in := wire.NewTxIn(&prev, nil, nil)
	in.Sequence = sequence
	tx.AddTxIn(in)
	value := prevOut.Value - 1000
	if value < 0 {
		value = 0
	}
	opTrue := sha256.Sum256([]byte{txscript.OP_TRUE})
	tx.AddTxOut(wire.NewTxOut(value, append([]byte{txscript.OP_0, txscript.OP_DATA_32}, opTrue[:]...)))
	s := &Spend{Tx: tx, Fetcher: txscript.NewMultiPrevOutFetcher(nil)}
	s.Fetcher.AddPrevOut(prev, prevOut)
	return s
}

// ForTx wraps a transaction the caller built (say, a commitment or an HTLC
// transaction) together with the outputs its inputs spend.
func ForTx(tx *wire.MsgTx, prevOuts map[wire.OutPoint]*wire.TxOut) *Spend {
	return &Spend{Tx: tx, Fetcher: txscript.NewMultiPrevOutFetcher(prevOuts)}
}

// AddParent registers every output of parent as spendable, so that a
// child transaction spending some of them can be signed and executed.
func (s *Spend) AddParent(parent *wire.MsgTx) {
	h := parent.TxHash()
	for i, out := range parent.TxOut {
		s.Fetcher.AddPrevOut(wire.OutPoint{Hash: h, Index: uint32(i)}, out)
	}
}

func (s *Spend) prevOut(idx int) (*wire.TxOut, error) {
	if idx < 0 || idx >= len(s.Tx.TxIn) {
		return nil, fmt.Errorf("scripttest: input %d out of range", idx)
	}
	out := s.Fetcher.FetchPrevOutput(s.Tx.TxIn[idx].PreviousOutPoint)
	if out == nil {
		return nil, fmt.Errorf("scripttest: no previous output for input %d", idx)
	}
	return out, nil
}

// Sign returns the BIP 143 signature of input idx with key over
// witnessScript (the script code), DER encoded with the hashType byte
// appended, ready for a witness. Sign the transaction only after its
// outputs, locktime and sequences are final.
func (s *Spend) Sign(idx int, witnessScript []byte, key *btcec.PrivateKey, hashType txscript.SigHashType) ([]byte, error) {
	out, err := s.prevOut(idx)
	if err != nil {
		return nil, err
	}
	hashes := txscript.NewTxSigHashes(s.Tx, s.Fetcher)
	return txscript.RawTxInWitnessSignature(s.Tx, hashes, idx, out.Value, witnessScript, hashType, key)
}

// MustSign is Sign that panics on error, for test tables.
func (s *Spend) MustSign(idx int, witnessScript []byte, key *btcec.PrivateKey, hashType txscript.SigHashType) []byte {
	sig, err := s.Sign(idx, witnessScript, key, hashType)
	if err != nil {
		panic(err)
	}
	return sig
}

// SetWitness sets the witness of input idx.
func (s *Spend) SetWitness(idx int, w wire.TxWitness) { s.Tx.TxIn[idx].Witness = w }

// Execute runs btcd's script engine with Flags on input idx and returns
// its error, nil when the spend is valid.
func (s *Spend) Execute(idx int) error {
	out, err := s.prevOut(idx)
	if err != nil {
		return err
	}
	hashes := txscript.NewTxSigHashes(s.Tx, s.Fetcher)
	vm, err := txscript.NewEngine(out.PkScript, s.Tx, idx, Flags, nil, hashes, out.Value, s.Fetcher)
	if err != nil {
		return err
	}
	return vm.Execute()
}

// ExecuteAll runs Execute on every input and returns the first error.
func (s *Spend) ExecuteAll() error {
	for i := range s.Tx.TxIn {
		if err := s.Execute(i); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	return nil
}
