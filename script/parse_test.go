package script

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
)

// allTemplates builds one script of every template and channel type, with
// the type and channel type ParseWitnessScript must report.
func allTemplates(tb testing.TB) []struct {
	ws []byte
	st ScriptType
	ct ChannelType
} {
	tb.Helper()
	var out []struct {
		ws []byte
		st ScriptType
		ct ChannelType
	}
	add := func(ws []byte, err error, st ScriptType, ct ChannelType) {
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, struct {
			ws []byte
			st ScriptType
			ct ChannelType
		}{ws, st, ct})
	}
	ws, err := FundingScript(kLocalFunding.PubKey(), kRemoteFunding.PubKey())
	add(ws, err, ScriptFunding, 0)
	for _, d := range []uint16{0, 1, 16, 17, 127, 128, 144, 255, 256, 0x7fff, 0x8000, 0xffff} {
		ws, err = ToLocalScript(kRevocation.PubKey(), kDelayed.PubKey(), d)
		add(ws, err, ScriptToLocal, 0)
	}
	ws, err = ToRemoteAnchorsScript(kRemote.PubKey())
	add(ws, err, ScriptToRemoteAnchors, Anchors)
	ws, err = AnchorScript(kLocalFunding.PubKey())
	add(ws, err, ScriptAnchor, Anchors)
	ph := sha256.Sum256([]byte("p"))
	for _, ct := range []ChannelType{StaticRemoteKey, Anchors} {
		ws, err = OfferedHTLCScript(ct, kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), ph)
		add(ws, err, ScriptOfferedHTLC, ct)
		for _, c := range []uint32{0, 1, 16, 17, 500, 0x7fffff, 0x800000, 500_000_000, 0xffffffff} {
			ws, err = ReceivedHTLCScript(ct, kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), ph, c)
			add(ws, err, ScriptReceivedHTLC, ct)
		}
	}
	return out
}

func TestParseWitnessScriptRoundTrip(t *testing.T) {
	for _, tc := range allTemplates(t) {
		p, err := ParseWitnessScript(tc.ws)
		if err != nil {
			t.Fatalf("%v %x: %v", tc.st, tc.ws, err)
		}
		if p.Type != tc.st || p.ChannelType != tc.ct {
			t.Fatalf("parsed %v/%v, want %v/%v", p.Type, p.ChannelType, tc.st, tc.ct)
		}
		if !bytes.Equal(p.Script(), tc.ws) {
			t.Fatalf("%v: rebuild differs", tc.st)
		}
		// Any single-byte change must make the script unknown or parse
		// to parameters that rebuild the changed bytes.
		for i := range tc.ws {
			mod := bytes.Clone(tc.ws)
			mod[i] ^= 0x01
			if q, err := ParseWitnessScript(mod); err == nil && !bytes.Equal(q.Script(), mod) {
				t.Fatalf("%v: byte %d flipped parses inconsistently", tc.st, i)
			}
		}
		// Truncations and extensions are never accepted.
		for i := 0; i < len(tc.ws); i++ {
			if _, err := ParseWitnessScript(tc.ws[:i]); err == nil {
				t.Fatalf("%v: truncated to %d accepted", tc.st, i)
			}
		}
		if _, err := ParseWitnessScript(append(bytes.Clone(tc.ws), 0x75)); !errors.Is(err, ErrUnknownScript) {
			t.Fatalf("%v: extended script: %v", tc.st, err)
		}
	}
}

func TestParseWitnessScriptRejects(t *testing.T) {
	good, _ := ToLocalScript(kRevocation.PubKey(), kDelayed.PubKey(), 144)
	// Non-minimal delay: 144 pushed as 3 bytes.
	nonMinimal := append(append(bytes.Clone(good[:36]), 0x03, 0x90, 0x00, 0x00), good[39:]...)
	k1, k2, _ := SortKeys(kLocalFunding.PubKey(), kRemoteFunding.PubKey())
	for name, ws := range map[string][]byte{
		"empty":               nil,
		"OP_TRUE":             {0x51},
		"non-minimal delay":   nonMinimal,
		"unsorted funding":    fundingScript(k2, k1),
		"oversized":           make([]byte, 500),
		"bad push":            {0x4c},
		"p2wsh not a script?": P2WSH(good),
	} {
		if _, err := ParseWitnessScript(ws); !errors.Is(err, ErrUnknownScript) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func FuzzParseWitnessScript(f *testing.F) {
	for _, tc := range allTemplates(f) {
		f.Add(tc.ws)
	}
	f.Add([]byte{})
	f.Add([]byte{0x51})
	f.Fuzz(func(t *testing.T, ws []byte) {
		p, err := ParseWitnessScript(ws)
		if err != nil {
			if p != nil || !errors.Is(err, ErrUnknownScript) {
				t.Fatalf("bad error result %v", err)
			}
			return
		}
		if !bytes.Equal(p.Script(), ws) {
			t.Fatalf("decode-then-encode differs:\n in %x\nout %x", ws, p.Script())
		}
	})
}

// encodeWitnessForFuzz lays a witness out as a count byte followed by
// items with one-byte lengths; decodeWitnessForFuzz undoes it.
func encodeWitnessForFuzz(w btcwire.TxWitness) []byte {
	out := []byte{byte(len(w))}
	for _, it := range w {
		out = append(out, byte(len(it)))
		out = append(out, it...)
	}
	return out
}

func decodeWitnessForFuzz(b []byte) (btcwire.TxWitness, bool) {
	if len(b) == 0 || b[0] > 8 {
		return nil, false
	}
	n := int(b[0])
	b = b[1:]
	w := make(btcwire.TxWitness, 0, n)
	for range n {
		if len(b) == 0 || int(b[0]) > len(b)-1 {
			return nil, false
		}
		l := int(b[0])
		w = append(w, b[1:1+l])
		b = b[1+l:]
	}
	return w, len(b) == 0
}

func FuzzParseWitness(f *testing.F) {
	for _, w := range sampleWitnesses(f) {
		f.Add(encodeWitnessForFuzz(w))
	}
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, ok := decodeWitnessForFuzz(b)
		if !ok {
			return
		}
		pw, err := ParseWitness(w)
		if err != nil {
			if !errors.Is(err, ErrUnknownScript) && !errors.Is(err, ErrUnknownWitness) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !witnessEqual(pw.Witness(), w) {
			t.Fatal("decode-then-encode differs")
		}
	})
}

// sampleWitnesses returns one witness for every spend path (signatures are
// placeholders: ParseWitness does not check them).
func sampleWitnesses(tb testing.TB) []btcwire.TxWitness {
	sig := bytes.Repeat([]byte{0x30}, 71)
	pre := sha256.Sum256([]byte("preimage"))
	ph := sha256.Sum256(pre[:])
	var ws []btcwire.TxWitness
	fw, _ := FundingWitness(kLocalFunding.PubKey(), kRemoteFunding.PubKey(), sig, sig)
	ws = append(ws, fw)
	tl, _ := ToLocalScript(kRevocation.PubKey(), kDelayed.PubKey(), 144)
	ws = append(ws, ToLocalDelayedWitness(sig, tl), ToLocalRevokeWitness(sig, tl))
	tr, _ := ToRemoteAnchorsScript(kRemote.PubKey())
	ws = append(ws, ToRemoteAnchorsWitness(sig, tr))
	an, _ := AnchorScript(kLocalFunding.PubKey())
	ws = append(ws, AnchorWitness(sig, an), AnchorSweepWitness(an))
	for _, ct := range []ChannelType{StaticRemoteKey, Anchors} {
		off, err := OfferedHTLCScript(ct, kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), ph)
		if err != nil {
			tb.Fatal(err)
		}
		rcv, err := ReceivedHTLCScript(ct, kRevocation.PubKey(), kLocalHTLC.PubKey(), kRemoteHTLC.PubKey(), ph, 500)
		if err != nil {
			tb.Fatal(err)
		}
		ws = append(ws,
			HTLCRevokeWitness(sig, kRevocation.PubKey(), off),
			OfferedHTLCRemoteSuccessWitness(sig, pre, off),
			OfferedHTLCLocalTimeoutWitness(sig, sig, off),
			HTLCRevokeWitness(sig, kRevocation.PubKey(), rcv),
			ReceivedHTLCRemoteTimeoutWitness(sig, rcv),
			ReceivedHTLCLocalSuccessWitness(sig, sig, pre, rcv),
		)
	}
	return ws
}

func TestParseWitnessPaths(t *testing.T) {
	want := []SpendPath{
		PathFundingCooperative, PathToLocalDelayed, PathToLocalRevoke, PathToRemote,
		PathAnchorOwner, PathAnchorSweep,
		PathHTLCRevoke, PathOfferedRemoteSuccess, PathOfferedLocalTimeout,
		PathHTLCRevoke, PathReceivedRemoteTimeout, PathReceivedLocalSuccess,
		PathHTLCRevoke, PathOfferedRemoteSuccess, PathOfferedLocalTimeout,
		PathHTLCRevoke, PathReceivedRemoteTimeout, PathReceivedLocalSuccess,
	}
	pre := sha256.Sum256([]byte("preimage"))
	ws := sampleWitnesses(t)
	if len(ws) != len(want) {
		t.Fatalf("%d samples", len(ws))
	}
	for i, w := range ws {
		pw, err := ParseWitness(w)
		if err != nil {
			t.Fatalf("sample %d (%v): %v", i, want[i], err)
		}
		if pw.Path != want[i] {
			t.Fatalf("sample %d: path %v, want %v", i, pw.Path, want[i])
		}
		success := pw.Path == PathOfferedRemoteSuccess || pw.Path == PathReceivedLocalSuccess
		if pw.HasPreimage != success || (success && pw.Preimage != pre) {
			t.Fatalf("sample %d: preimage %s/%v", i, pw.Preimage.Hex(), pw.HasPreimage)
		}
		if pw.Path == PathHTLCRevoke && !bytes.Equal(pw.RevocationKey[:], kRevocation.PubKey().SerializeCompressed()) {
			t.Fatal("revocation key not reported")
		}
	}
	// A wrong preimage, a wrong revocation key and a stray item are not
	// spend paths.
	off := ws[7]
	bad := btcwire.TxWitness{off[0], bytes.Repeat([]byte{9}, 32), off[2]}
	if _, err := ParseWitness(bad); !errors.Is(err, ErrUnknownWitness) {
		t.Fatalf("wrong preimage: %v", err)
	}
	bad = btcwire.TxWitness{off[0], kStranger.PubKey().SerializeCompressed(), off[2]}
	if _, err := ParseWitness(bad); !errors.Is(err, ErrUnknownWitness) {
		t.Fatalf("wrong revocation key: %v", err)
	}
	bad = btcwire.TxWitness{ws[1][0], []byte{2}, ws[1][2]}
	if _, err := ParseWitness(bad); !errors.Is(err, ErrUnknownWitness) {
		t.Fatalf("to_local selector 2: %v", err)
	}
}
