package scripttest_test

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/script/scripttest"
)

// A pay-to-pubkey P2WSH output: the right signature passes, another key's
// signature and a signature over other outputs fail.
func TestHarness(t *testing.T) {
	key := scripttest.Key("owner")
	ws, _ := txscript.NewScriptBuilder().AddData(key.PubKey().SerializeCompressed()).
		AddOp(txscript.OP_CHECKSIG).Script()
	h := sha256.Sum256(ws)
	pk := append([]byte{txscript.OP_0, txscript.OP_DATA_32}, h[:]...)
	prev := scripttest.FakeOutPoint("harness", 0)
	out := wire.NewTxOut(50_000, pk)

	s := scripttest.NewSpend(prev, out, 0, 0)
	s.SetWitness(0, wire.TxWitness{s.MustSign(0, ws, key, txscript.SigHashAll), ws})
	if err := s.ExecuteAll(); err != nil {
		t.Fatalf("valid spend: %v", err)
	}

	s = scripttest.NewSpend(prev, out, 0, 0)
	s.SetWitness(0, wire.TxWitness{s.MustSign(0, ws, scripttest.Key("other"), txscript.SigHashAll), ws})
	if err := s.Execute(0); err == nil {
		t.Fatal("wrong key accepted")
	}

	s = scripttest.NewSpend(prev, out, 0, 0)
	sig := s.MustSign(0, ws, key, txscript.SigHashAll)
	s.Tx.TxOut[0].Value-- // signed, then changed
	s.SetWitness(0, wire.TxWitness{sig, ws})
	if err := s.Execute(0); err == nil {
		t.Fatal("signature over other outputs accepted")
	}
	if _, err := s.Sign(3, ws, key, txscript.SigHashAll); err == nil {
		t.Fatal("out-of-range input signed")
	}

	// A child spending the parent's output, found through AddParent.
	parent := scripttest.NewSpend(prev, out, 0, 0).Tx
	child := wire.NewMsgTx(2)
	child.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: parent.TxHash(), Index: 0}, nil, nil))
	child.AddTxOut(wire.NewTxOut(1000, pk))
	cs := scripttest.ForTx(child, nil)
	cs.AddParent(parent)
	if err := cs.Execute(0); err == nil {
		t.Fatal("OP_TRUE P2WSH spent without its script")
	}
	cs.SetWitness(0, wire.TxWitness{{txscript.OP_TRUE}})
	if err := cs.Execute(0); err != nil {
		t.Fatalf("OP_TRUE child: %v", err)
	}
}
