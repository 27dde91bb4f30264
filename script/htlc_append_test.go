package script

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/txscript"
)

// TestAppendHTLCScriptsMatchBuilder compares the directly written HTLC
// scripts with the script-builder ones for random keys and hashes, both
// channel types, and cltv_expiry values around every push-size boundary.
func TestAppendHTLCScriptsMatchBuilder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cltvs := []uint32{0, 1, 16, 17, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
		1<<23 - 1, 1 << 23, 1<<24 - 1, 1 << 24, 1<<31 - 1, 1 << 31, 1<<32 - 1, 500_000, 840_000}
	for i := 0; i < 200; i++ {
		var p HTLCScriptParams
		rng.Read(p.RevocationKeyHash[:])
		rng.Read(p.RemoteHTLCKey[:])
		rng.Read(p.LocalHTLCKey[:])
		rng.Read(p.PaymentHashLock[:])
		if i < len(cltvs) {
			p.CLTVExpiry = cltvs[i]
		} else {
			p.CLTVExpiry = rng.Uint32() >> uint(rng.Intn(32))
		}
		prefix := []byte{0xde, 0xad}
		for _, anchors := range []bool{false, true} {
			want := referenceOfferedHTLCScript(anchors, &p)
			if got := AppendOfferedHTLCScript(nil, anchors, &p); !bytes.Equal(got, want) {
				t.Fatalf("offered (anchors %v):\n got %x\nwant %x", anchors, got, want)
			}
			if got := AppendOfferedHTLCScript(prefix, anchors, &p); !bytes.Equal(got, append(prefix[:2:2], want...)) {
				t.Fatal("offered: prefix not kept")
			}
			want = referenceReceivedHTLCScript(anchors, &p)
			if got := AppendReceivedHTLCScript(nil, anchors, &p); !bytes.Equal(got, want) {
				t.Fatalf("received (anchors %v, cltv %d):\n got %x\nwant %x", anchors, p.CLTVExpiry, got, want)
			}
			if got := AppendP2WSH(prefix, want); !bytes.Equal(got, append(prefix[:2:2], P2WSH(want)...)) {
				t.Fatal("P2WSH differs")
			}
		}
	}
}

// referenceOfferedHTLCScript writes BOLT 3's offered HTLC template with
// txscript's ScriptBuilder, op by op as the spec prints it. It is the test
// oracle for AppendOfferedHTLCScript.
func referenceOfferedHTLCScript(anchors bool, p *HTLCScriptParams) []byte {
	b := txscript.NewScriptBuilder(txscript.WithScriptAllocSize(140))
	b.AddOp(txscript.OP_DUP)
	b.AddOp(txscript.OP_HASH160)
	b.AddData(p.RevocationKeyHash[:])
	b.AddOp(txscript.OP_EQUAL)
	b.AddOp(txscript.OP_IF)
	b.AddOp(txscript.OP_CHECKSIG)
	b.AddOp(txscript.OP_ELSE)
	b.AddData(p.RemoteHTLCKey[:])
	b.AddOp(txscript.OP_SWAP)
	b.AddOp(txscript.OP_SIZE)
	b.AddInt64(32)
	b.AddOp(txscript.OP_EQUAL)
	b.AddOp(txscript.OP_NOTIF)
	b.AddOp(txscript.OP_DROP)
	b.AddInt64(2)
	b.AddOp(txscript.OP_SWAP)
	b.AddData(p.LocalHTLCKey[:])
	b.AddInt64(2)
	b.AddOp(txscript.OP_CHECKMULTISIG)
	b.AddOp(txscript.OP_ELSE)
	b.AddOp(txscript.OP_HASH160)
	b.AddData(p.PaymentHashLock[:])
	b.AddOp(txscript.OP_EQUALVERIFY)
	b.AddOp(txscript.OP_CHECKSIG)
	b.AddOp(txscript.OP_ENDIF)
	if anchors {
		b.AddOp(txscript.OP_1)
		b.AddOp(txscript.OP_CHECKSEQUENCEVERIFY)
		b.AddOp(txscript.OP_DROP)
	}
	b.AddOp(txscript.OP_ENDIF)
	s, _ := b.Script() // cannot fail: fixed small template
	return s
}

// referenceReceivedHTLCScript is the ScriptBuilder oracle for
// AppendReceivedHTLCScript.
func referenceReceivedHTLCScript(anchors bool, p *HTLCScriptParams) []byte {
	b := txscript.NewScriptBuilder(txscript.WithScriptAllocSize(145))
	b.AddOp(txscript.OP_DUP)
	b.AddOp(txscript.OP_HASH160)
	b.AddData(p.RevocationKeyHash[:])
	b.AddOp(txscript.OP_EQUAL)
	b.AddOp(txscript.OP_IF)
	b.AddOp(txscript.OP_CHECKSIG)
	b.AddOp(txscript.OP_ELSE)
	b.AddData(p.RemoteHTLCKey[:])
	b.AddOp(txscript.OP_SWAP)
	b.AddOp(txscript.OP_SIZE)
	b.AddInt64(32)
	b.AddOp(txscript.OP_EQUAL)
	b.AddOp(txscript.OP_IF)
	b.AddOp(txscript.OP_HASH160)
	b.AddData(p.PaymentHashLock[:])
	b.AddOp(txscript.OP_EQUALVERIFY)
	b.AddInt64(2)
	b.AddOp(txscript.OP_SWAP)
	b.AddData(p.LocalHTLCKey[:])
	b.AddInt64(2)
	b.AddOp(txscript.OP_CHECKMULTISIG)
	b.AddOp(txscript.OP_ELSE)
	b.AddOp(txscript.OP_DROP)
	b.AddInt64(int64(p.CLTVExpiry))
	b.AddOp(txscript.OP_CHECKLOCKTIMEVERIFY)
	b.AddOp(txscript.OP_DROP)
	b.AddOp(txscript.OP_CHECKSIG)
	b.AddOp(txscript.OP_ENDIF)
	if anchors {
		b.AddOp(txscript.OP_1)
		b.AddOp(txscript.OP_CHECKSEQUENCEVERIFY)
		b.AddOp(txscript.OP_DROP)
	}
	b.AddOp(txscript.OP_ENDIF)
	s, _ := b.Script() // cannot fail: fixed small template
	return s
}
