package txcheck

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestTxAgreesWithBtcd checks real transactions (with and without
// witnesses) and the genesis block: every one passes, with its exact
// length.
func TestTxAgreesWithBtcd(t *testing.T) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{SignatureScript: []byte{1, 2}, Witness: wire.TxWitness{{1}, make([]byte, 300)}})
	tx.AddTxIn(&wire.TxIn{Witness: wire.TxWitness{{}}})
	tx.AddTxOut(&wire.TxOut{Value: 5, PkScript: make([]byte, 260)})
	for _, witness := range []bool{true, false} {
		var buf bytes.Buffer
		if witness {
			tx.Serialize(&buf)
		} else {
			tx.SerializeNoWitness(&buf)
		}
		n, err := Tx(append(buf.Bytes(), 0xaa), witness)
		if err != nil || n != buf.Len() {
			t.Fatalf("witness=%v: %d, %v; want %d", witness, n, err, buf.Len())
		}
	}
	var buf bytes.Buffer
	if err := chaincfg.MainNetParams.GenesisBlock.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := Block(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// TestTxRefusesHugeCounts: the 13-byte tail that makes btcd allocate
// ~90 MB, and each other count, inflated.
func TestTxRefusesHugeCounts(t *testing.T) {
	for name, b := range map[string][]byte{
		"inputs":        unhex("02000000fee07c0c00"),
		"outputs":       unhex("0200000000fee07c0c00"),
		"witness items": append(unhex("020000000001"+"01"+"00000000000000000000000000000000000000000000000000000000000000000000000000"+"ffffffff"+"00"), unhex("fe00093d00")...),
		"script":        unhex("0200000001" + "0000000000000000000000000000000000000000000000000000000000000000" + "00000000" + "fdffff"),
	} {
		if _, err := Tx(b, true); !errors.Is(err, ErrCount) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// FuzzTx: whatever Tx accepts, btcd decodes to the same length.
func FuzzTx(f *testing.F) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{Witness: wire.TxWitness{{1, 2}}})
	tx.AddTxOut(&wire.TxOut{Value: 1, PkScript: []byte{0x51}})
	var buf bytes.Buffer
	tx.Serialize(&buf)
	f.Add(buf.Bytes())
	f.Add(unhex("02000000fee07c0c00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Tx(b, true)
		if err != nil {
			return
		}
		var got wire.MsgTx
		r := bytes.NewReader(b)
		if err := got.Deserialize(r); err != nil {
			return // btcd refuses more (e.g. a segwit marker with no witness)
		}
		if used := len(b) - r.Len(); used != n {
			t.Fatalf("txcheck read %d bytes, btcd %d", n, used)
		}
	})
}
