package script

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/lnkit/lnkit/wire"
)

// TestFeeExample replays the worked example of BOLT 3 "Fees": feerate 5000,
// dust limit 546, offered HTLCs of 5000 and 1000 sat, received HTLCs of
// 7000 and 800 sat.
func TestFeeExample(t *testing.T) {
	const feerate, dust = wire.SatPerKWeight(5000), btcutil.Amount(546)
	if got := HTLCTimeoutFee(StaticRemoteKey, feerate); got != 3315 {
		t.Fatalf("HTLC-timeout fee %d, want 3315", got)
	}
	if got := HTLCSuccessFee(StaticRemoteKey, feerate); got != 3515 {
		t.Fatalf("HTLC-success fee %d, want 3515", got)
	}
	htlcs := []struct {
		kind    HTLCKind
		msat    wire.MilliSatoshi
		trimmed bool
	}{
		{Offered, 5_000_000, false},
		{Offered, 1_000_000, true},
		{Received, 7_000_000, false},
		{Received, 800_000, true},
	}
	n := 0
	for _, h := range htlcs {
		if got := HTLCTrimmed(StaticRemoteKey, h.kind, h.msat, feerate, dust); got != h.trimmed {
			t.Fatalf("%v %v trimmed=%v, want %v", h.kind, h.msat, got, h.trimmed)
		}
		if !h.trimmed {
			n++
		}
	}
	if w := CommitWeight(StaticRemoteKey, n); w != 724+172*2 {
		t.Fatalf("weight %d", w)
	}
	if got := CommitFee(StaticRemoteKey, feerate, n); got != 5340 {
		t.Fatalf("commit fee %d, want 5340", got)
	}
	// Under option_anchors HTLC transactions pay no fee, so only the dust
	// limit trims.
	for _, h := range htlcs {
		if HTLCTrimmed(Anchors, h.kind, h.msat, feerate, dust) {
			t.Fatalf("%v %v trimmed under anchors", h.kind, h.msat)
		}
	}
	if HTLCTrimmed(Anchors, Offered, 545_999, feerate, dust) != true ||
		HTLCTrimmed(Anchors, Received, 546_000, feerate, dust) != false {
		t.Fatal("anchors trim boundary")
	}
	if CommitFee(Anchors, 1000, 3) != 1124+3*172 {
		t.Fatal("anchors commit fee")
	}
}

func TestWeightsAndFees(t *testing.T) {
	for _, c := range []struct {
		ct               ChannelType
		commit, to, succ int64
		toFee, succFee   btcutil.Amount
	}{
		{StaticRemoteKey, 724, 663, 703, 663 * 2_500 / 1000, 703 * 2_500 / 1000},
		{Anchors, 1124, 666, 706, 0, 0},
	} {
		if CommitWeight(c.ct, 0) != c.commit || HTLCTimeoutWeight(c.ct) != c.to || HTLCSuccessWeight(c.ct) != c.succ {
			t.Fatalf("%v weights", c.ct)
		}
		if HTLCFee(c.ct, Offered, 2_500) != c.toFee || HTLCFee(c.ct, Received, 2_500) != c.succFee {
			t.Fatalf("%v HTLC fees", c.ct)
		}
		if got := HTLCTrimThreshold(c.ct, Offered, 2_500, 354); got != 354+c.toFee {
			t.Fatalf("%v trim threshold %d", c.ct, got)
		}
	}
	// Rounding down: 253 sat/kw * 663 = 167.739 sat.
	if HTLCTimeoutFee(StaticRemoteKey, 253) != 167 {
		t.Fatal("fee not rounded down")
	}
	// msat are rounded down before the comparison.
	thr, err := wire.NewMilliSatoshi(HTLCTrimThreshold(StaticRemoteKey, Received, 253, 546))
	if err != nil {
		t.Fatal(err)
	}
	if !HTLCTrimmed(StaticRemoteKey, Received, thr-1, 253, 546) ||
		HTLCTrimmed(StaticRemoteKey, Received, thr, 253, 546) {
		t.Fatal("trim boundary")
	}
}

func TestDustThreshold(t *testing.T) {
	pkh, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).
		AddData(make([]byte, 20)).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	sh, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(make([]byte, 20)).AddOp(txscript.OP_EQUAL).Script()
	v1 := append([]byte{txscript.OP_1, txscript.OP_DATA_32}, make([]byte, 32)...)
	for _, c := range []struct {
		name string
		pk   []byte
		want btcutil.Amount
	}{
		{"p2pkh", pkh, 546},
		{"p2sh", sh, 540},
		{"p2wpkh", P2WPKH(kRemote.PubKey()), 294},
		{"p2wsh", P2WSH([]byte{1}), 330},
		{"segwit v1", v1, 354},
		{"op_return", []byte{txscript.OP_RETURN, 0}, 0},
		{"non-standard", []byte{txscript.OP_TRUE}, 546},
	} {
		if got := DustThreshold(c.pk); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if MinDustLimit != 354 {
		t.Fatal("MinDustLimit")
	}
}
