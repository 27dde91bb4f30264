package script

import (
	"errors"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/lnkit/lnkit/script/scripttest"
)

func TestTweakPubKeyMatchesPrivKey(t *testing.T) {
	pcp := scripttest.Key("per commitment").PubKey()
	for i := range 20 {
		sec := scripttest.Key(fmt.Sprint("base ", i))
		pub := TweakPubKey(sec.PubKey(), pcp)
		priv := TweakPrivKey(sec, nil, pcp)
		if !priv.PubKey().IsEqual(pub) {
			t.Fatalf("key %d: private and public tweaks disagree", i)
		}
	}
}

func TestTweakPubKeysBatch(t *testing.T) {
	pcp := scripttest.Key("per commitment").PubKey()
	var bases []*btcec.PublicKey
	for i := range 7 {
		bases = append(bases, scripttest.Key(fmt.Sprint("b", i)).PubKey())
	}
	bases = append(bases, bases[0]) // repeats are fine
	got, err := TweakPubKeys(pcp, bases...)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bases {
		if !got[i].IsEqual(TweakPubKey(b, pcp)) {
			t.Fatalf("batch key %d differs", i)
		}
	}
	if out, err := TweakPubKeys(pcp); err != nil || out != nil {
		t.Fatal("empty batch")
	}
	if _, err := TweakPubKeys(pcp, nil); !errors.Is(err, ErrNilKey) {
		t.Fatalf("nil basepoint: %v", err)
	}
	var inf [2]btcec.JacobianPoint
	TweakPoint(bases[1], pcp, &inf[0])
	if _, err := ToPublicKeys(inf[:]); !errors.Is(err, ErrInfinity) {
		t.Fatalf("infinity: %v", err)
	}
}
