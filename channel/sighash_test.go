package channel

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/internal/testutil"
)

// sigHashTypes are the sighash bytes the comparisons try: every standard
// type, and a few non-standard ones whose low bits or high bits btcd
// interprets.
var sigHashTypes = []txscript.SigHashType{
	txscript.SigHashAll, txscript.SigHashNone, txscript.SigHashSingle,
	txscript.SigHashAll | txscript.SigHashAnyOneCanPay,
	txscript.SigHashNone | txscript.SigHashAnyOneCanPay,
	txscript.SigHashSingle | txscript.SigHashAnyOneCanPay,
	0, 4, 0x1f, 0x20 | txscript.SigHashSingle, 0xff, 0x43,
}

// checkSigHash compares witnessV0SigHash with txscript for every input of
// tx and every type in sigHashTypes. It returns how many hashes both
// computed and how many both refused (subScript does not parse).
func checkSigHash(t *testing.T, tx *btcwire.MsgTx, subScript []byte, value int64) (ok, failed int) {
	t.Helper()
	hashes := txscript.NewTxSigHashes(tx, emptyFetcher)
	for idx := range tx.TxIn {
		for _, ht := range sigHashTypes {
			want, werr := txscript.CalcWitnessSigHash(subScript, hashes, ht, tx, idx, value)
			got, gerr := witnessV0SigHash(tx, idx, subScript, value, ht)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("input %d type %#x: error %v, txscript %v", idx, ht, gerr, werr)
			}
			if werr != nil {
				failed++
				continue
			}
			if !bytes.Equal(got[:], want) {
				t.Fatalf("input %d type %#x: %x, txscript %x", idx, ht, got, want)
			}
			ok++
		}
	}
	return ok, failed
}

// TestSigHashVectors checks the BIP 143 hash against txscript on every
// commitment and HTLC transaction of BOLT 3 Appendix C (16 commitments, 33
// HTLC transactions) and Appendix F (9 and 15).
func TestSigHashVectors(t *testing.T) {
	for _, f := range []struct {
		file          string
		cases, htlcTx int
	}{{"commitment_static_remotekey.json", 16, 33}, {"commitment_anchors.json", 9, 15}} {
		v := loadVectors(t, f.file)
		fundingScript := unhex(t, v.Parameters.FundingWScript)
		var cases, htlcTxs int
		for _, tc := range v.TestCases {
			commit := parseTx(t, tc.OutputCommitTx)
			checkSigHash(t, commit, fundingScript, v.Parameters.FundingAmountSatoshi)
			cases++
			for _, ht := range tc.HTLCTxs {
				tx := parseTx(t, ht.TxHex)
				w := tx.TxIn[0].Witness
				ws := w[len(w)-1]
				value := commit.TxOut[tx.TxIn[0].PreviousOutPoint.Index].Value
				checkSigHash(t, tx, ws, value)
				// The P2WSH output script as subScript too (any
				// parseable script is hashed as given).
				checkSigHash(t, tx, commit.TxOut[tx.TxIn[0].PreviousOutPoint.Index].PkScript, value)
				htlcTxs++
			}
		}
		if cases != f.cases || htlcTxs != f.htlcTx {
			t.Fatalf("%s: checked %d commitments and %d HTLC transactions, want %d and %d",
				f.file, cases, htlcTxs, f.cases, f.htlcTx)
		}
	}
}

// TestSigHashRandom checks the BIP 143 hash against txscript on random
// transactions: several inputs and outputs (or none), P2WPKH and other
// scripts, scripts around the 253-byte CompactSize boundary, unparseable
// scripts, and SIGHASH_SINGLE on inputs without a matching output.
func TestSigHashRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(143))
	bytesN := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	randScript := func() []byte {
		switch rng.Intn(5) {
		case 0: // P2WPKH
			return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, bytesN(20)...)
		case 1: // P2WSH
			return append([]byte{txscript.OP_0, txscript.OP_DATA_32}, bytesN(32)...)
		case 2: // pushes around the CompactSize boundary
			n := 250 + rng.Intn(10)
			s := make([]byte, 0, n)
			for len(s) < n {
				s = append(s, txscript.OP_1)
			}
			return s
		case 3: // a long script
			s := []byte{txscript.OP_PUSHDATA2, 0x10, 0x27}
			return append(s, bytesN(10000)...)
		default: // random bytes; may not parse
			return bytesN(rng.Intn(40))
		}
	}
	var ok, failed, p2wpkh, noOutput int
	for i := 0; i < 400; i++ {
		tx := &btcwire.MsgTx{Version: int32(rng.Uint32()), LockTime: rng.Uint32()}
		for n := 1 + rng.Intn(4); n > 0; n-- {
			var op btcwire.OutPoint
			rng.Read(op.Hash[:])
			op.Index = rng.Uint32()
			tx.TxIn = append(tx.TxIn, &btcwire.TxIn{PreviousOutPoint: op, Sequence: rng.Uint32()})
		}
		for n := rng.Intn(4); n > 0; n-- {
			tx.TxOut = append(tx.TxOut, &btcwire.TxOut{Value: rng.Int63(), PkScript: randScript()})
		}
		sub := randScript()
		if isP2WPKH(sub) {
			p2wpkh++
		}
		if len(tx.TxIn) > len(tx.TxOut) {
			noOutput++
		}
		o, f := checkSigHash(t, tx, sub, rng.Int63())
		ok += o
		failed += f
	}
	if ok == 0 || failed == 0 || p2wpkh == 0 || noOutput == 0 {
		t.Fatalf("random cases do not cover every path: %d hashed, %d unparseable, %d P2WPKH, %d with inputs past the outputs",
			ok, failed, p2wpkh, noOutput)
	}
	t.Logf("%d hashes equal, %d refused by both", ok, failed)
}

// parseTx is testutil.Tx under the package's short name.
func parseTx(t testing.TB, h string) *btcwire.MsgTx { t.Helper(); return testutil.Tx(t, h) }

// FuzzSigHash compares witnessV0SigHash with txscript on any transaction
// that deserializes, any script, value, sighash byte and input.
func FuzzSigHash(f *testing.F) {
	for _, name := range []string{"commitment_static_remotekey.json", "commitment_anchors.json"} {
		v := loadVectors(f, name)
		tc := v.TestCases[len(v.TestCases)-1]
		commit := unhex(f, tc.OutputCommitTx)
		f.Add(commit, unhex(f, v.Parameters.FundingWScript), v.Parameters.FundingAmountSatoshi, byte(1), uint8(0))
		for _, ht := range tc.HTLCTxs {
			tx := parseTx(f, ht.TxHex)
			w := tx.TxIn[0].Witness
			f.Add(unhex(f, ht.TxHex), w[len(w)-1], int64(5000), byte(0x83), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, raw, subScript []byte, value int64, hashType byte, idx uint8) {
		var tx btcwire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil || len(tx.TxIn) == 0 {
			return
		}
		i := int(idx) % len(tx.TxIn)
		hashes := txscript.NewTxSigHashes(&tx, emptyFetcher)
		ht := txscript.SigHashType(hashType)
		want, werr := txscript.CalcWitnessSigHash(subScript, hashes, ht, &tx, i, value)
		got, gerr := witnessV0SigHash(&tx, i, subScript, value, ht)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("error %v, txscript %v", gerr, werr)
		}
		if werr == nil && !bytes.Equal(got[:], want) {
			t.Fatalf("%x, txscript %x", got, want)
		}
	})
}
