package script

import (
	"crypto/sha256"
	"fmt"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/script/scripttest"
)

// spendCase is one attempt to spend an output: the spending transaction's
// sequence and locktime, a witness built against it, and whether the
// script engine must accept it.
type spendCase struct {
	name    string
	seq     uint32
	lock    uint32
	witness func(s *scripttest.Spend) btcwire.TxWitness
	ok      bool
}

// enginePaths counts the spend attempts the engine ran, for the report.
var enginePaths int

func runSpends(t *testing.T, pkScript []byte, cases []spendCase) {
	t.Helper()
	prev := scripttest.FakeOutPoint(t.Name(), 0)
	out := btcwire.NewTxOut(100_000, pkScript)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := scripttest.NewSpend(prev, out, c.seq, c.lock)
			s.SetWitness(0, c.witness(s))
			err := s.Execute(0)
			enginePaths++
			switch {
			case c.ok && err != nil:
				t.Fatalf("valid spend rejected: %v", err)
			case !c.ok && err == nil:
				t.Fatal("invalid spend accepted")
			}
			// Every valid P2WSH witness is recognised by ParseWitness.
			if c.ok && len(pkScript) == P2WSHSize {
				pw, err := ParseWitness(s.Tx.TxIn[0].Witness)
				if err != nil {
					t.Fatalf("ParseWitness of a valid spend: %v", err)
				}
				if !witnessEqual(pw.Witness(), s.Tx.TxIn[0].Witness) {
					t.Fatal("ParseWitness round trip differs")
				}
			}
		})
	}
}

const all = txscript.SigHashAll

// testKeys are the parties of the spend tests.
var (
	kLocalFunding  = scripttest.Key("local funding")
	kRemoteFunding = scripttest.Key("remote funding")
	kRevocation    = scripttest.Key("revocation")
	kDelayed       = scripttest.Key("local delayed")
	kRemote        = scripttest.Key("remote payment")
	kLocalHTLC     = scripttest.Key("local htlc")
	kRemoteHTLC    = scripttest.Key("remote htlc")
	kStranger      = scripttest.Key("stranger")
)

func TestSpendFunding(t *testing.T) {
	a, b := kLocalFunding, kRemoteFunding
	ws, out, err := FundingOutput(a.PubKey(), b.PubKey(), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	coop := func(ka, kb *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
		return func(s *scripttest.Spend) btcwire.TxWitness {
			w, err := FundingWitness(a.PubKey(), b.PubKey(),
				s.MustSign(0, ws, ka, all), s.MustSign(0, ws, kb, all))
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
	}
	runSpends(t, out.PkScript, []spendCase{
		{name: "cooperative", seq: 0xffffffff, witness: coop(a, b), ok: true},
		{name: "cooperative keys given reversed", seq: 0xffffffff, ok: true,
			witness: func(s *scripttest.Spend) btcwire.TxWitness {
				w, _ := FundingWitness(b.PubKey(), a.PubKey(),
					s.MustSign(0, ws, b, all), s.MustSign(0, ws, a, all))
				return w
			}},
		{name: "wrong key", seq: 0xffffffff, witness: coop(a, kStranger)},
		{name: "one key twice", seq: 0xffffffff, witness: coop(a, a)},
		{name: "signatures out of key order", seq: 0xffffffff,
			witness: func(s *scripttest.Spend) btcwire.TxWitness {
				w, _ := FundingWitness(a.PubKey(), b.PubKey(),
					s.MustSign(0, ws, a, all), s.MustSign(0, ws, b, all))
				w[1], w[2] = w[2], w[1]
				return w
			}},
	})
}

func TestSpendToLocal(t *testing.T) {
	const delay = 144
	ws, err := ToLocalScript(kRevocation.PubKey(), kDelayed.PubKey(), delay)
	if err != nil {
		t.Fatal(err)
	}
	delayed := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
		return func(s *scripttest.Spend) btcwire.TxWitness {
			return ToLocalDelayedWitness(s.MustSign(0, ws, k, all), ws)
		}
	}
	revoke := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
		return func(s *scripttest.Spend) btcwire.TxWitness {
			return ToLocalRevokeWitness(s.MustSign(0, ws, k, all), ws)
		}
	}
	runSpends(t, P2WSH(ws), []spendCase{
		{name: "delayed after to_self_delay", seq: delay, witness: delayed(kDelayed), ok: true},
		{name: "delayed later still", seq: delay + 10, witness: delayed(kDelayed), ok: true},
		{name: "delayed too early (CSV)", seq: delay - 1, witness: delayed(kDelayed)},
		{name: "delayed with final sequence", seq: 0xffffffff, witness: delayed(kDelayed)},
		{name: "delayed wrong key", seq: delay, witness: delayed(kStranger)},
		{name: "delayed path with revocation key", seq: delay, witness: delayed(kRevocation)},
		{name: "revocation", seq: 0, witness: revoke(kRevocation), ok: true},
		{name: "revocation by the owner (wrong party)", seq: 0, witness: revoke(kDelayed)},
		{name: "revocation wrong key", seq: 0, witness: revoke(kStranger)},
	})
}

func TestSpendToRemote(t *testing.T) {
	t.Run("static_remotekey", func(t *testing.T) {
		ws, pk, err := ToRemoteScript(StaticRemoteKey, kRemote.PubKey())
		if err != nil || ws != nil {
			t.Fatalf("ws=%x err=%v", ws, err)
		}
		code := P2WPKHScriptCode(kRemote.PubKey())
		spend := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
			return func(s *scripttest.Spend) btcwire.TxWitness {
				return P2WPKHWitness(s.MustSign(0, code, k, all), k.PubKey())
			}
		}
		runSpends(t, pk, []spendCase{
			{name: "remote", seq: 0xffffffff, witness: spend(kRemote), ok: true},
			{name: "wrong key", seq: 0xffffffff, witness: spend(kStranger)},
		})
	})
	t.Run("anchors", func(t *testing.T) {
		ws, pk, err := ToRemoteScript(Anchors, kRemote.PubKey())
		if err != nil {
			t.Fatal(err)
		}
		spend := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
			return func(s *scripttest.Spend) btcwire.TxWitness {
				return ToRemoteAnchorsWitness(s.MustSign(0, ws, k, all), ws)
			}
		}
		runSpends(t, pk, []spendCase{
			{name: "remote after 1 block", seq: 1, witness: spend(kRemote), ok: true},
			{name: "remote too early (CSV)", seq: 0, witness: spend(kRemote)},
			{name: "wrong key", seq: 1, witness: spend(kStranger)},
		})
	})
}

func TestSpendAnchor(t *testing.T) {
	ws, err := AnchorScript(kLocalFunding.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	owner := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
		return func(s *scripttest.Spend) btcwire.TxWitness {
			return AnchorWitness(s.MustSign(0, ws, k, all), ws)
		}
	}
	sweep := func(*scripttest.Spend) btcwire.TxWitness { return AnchorSweepWitness(ws) }
	runSpends(t, P2WSH(ws), []spendCase{
		{name: "owner at once", seq: 0, witness: owner(kLocalFunding), ok: true},
		{name: "wrong key", seq: 0, witness: owner(kRemoteFunding)},
		{name: "anyone after 16 blocks", seq: AnchorCSVDelay, witness: sweep, ok: true},
		{name: "anyone too early (CSV)", seq: AnchorCSVDelay - 1, witness: sweep},
	})
}

// htlcFixture holds one HTLC output under test.
type htlcFixture struct {
	ct       ChannelType
	preimage [32]byte
	cltv     uint32
	ws       []byte
}

func newHTLCFixture(t *testing.T, ct ChannelType, kind HTLCKind) *htlcFixture {
	f := &htlcFixture{ct: ct, cltv: 500_123}
	f.preimage = sha256.Sum256([]byte("preimage"))
	var err error
	f.ws, err = HTLCScript(ct, kind, kRevocation.PubKey(), kLocalHTLC.PubKey(),
		kRemoteHTLC.PubKey(), sha256.Sum256(f.preimage[:]), f.cltv)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// csv is the sequence a non-revocation spend needs: 1 under anchors.
func (f *htlcFixture) csv() uint32 {
	if f.ct == Anchors {
		return 1
	}
	return 0
}

// remoteHT is the sighash type of the remote signature on second-stage
// HTLC transactions.
func (f *htlcFixture) remoteHT() txscript.SigHashType {
	if f.ct == Anchors {
		return txscript.SigHashSingle | txscript.SigHashAnyOneCanPay
	}
	return all
}

func (f *htlcFixture) revoke(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
	return func(s *scripttest.Spend) btcwire.TxWitness {
		return HTLCRevokeWitness(s.MustSign(0, f.ws, k, all), kRevocation.PubKey(), f.ws)
	}
}

func (f *htlcFixture) revokeCases() []spendCase {
	return []spendCase{
		{name: "revocation", witness: f.revoke(kRevocation), ok: true},
		{name: "revocation by the remote htlc key (wrong party)", witness: f.revoke(kRemoteHTLC)},
		{name: "revocation by the local htlc key (wrong party)", witness: f.revoke(kLocalHTLC)},
		{name: "revocation with the wrong pubkey", witness: func(s *scripttest.Spend) btcwire.TxWitness {
			return HTLCRevokeWitness(s.MustSign(0, f.ws, kStranger, all), kStranger.PubKey(), f.ws)
		}},
	}
}

func TestSpendOfferedHTLC(t *testing.T) {
	for _, ct := range []ChannelType{StaticRemoteKey, Anchors} {
		t.Run(ct.String(), func(t *testing.T) {
			f := newHTLCFixture(t, ct, Offered)
			success := func(k *btcec.PrivateKey, pre [32]byte) func(s *scripttest.Spend) btcwire.TxWitness {
				return func(s *scripttest.Spend) btcwire.TxWitness {
					return OfferedHTLCRemoteSuccessWitness(s.MustSign(0, f.ws, k, all), pre, f.ws)
				}
			}
			timeout := func(remote, local *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
				return func(s *scripttest.Spend) btcwire.TxWitness {
					return OfferedHTLCLocalTimeoutWitness(
						s.MustSign(0, f.ws, remote, f.remoteHT()), s.MustSign(0, f.ws, local, all), f.ws)
				}
			}
			cases := f.revokeCases()
			cases = append(cases,
				spendCase{name: "remote success", seq: f.csv(), witness: success(kRemoteHTLC, f.preimage), ok: true},
				spendCase{name: "remote success wrong preimage", seq: f.csv(), witness: success(kRemoteHTLC, [32]byte{1})},
				spendCase{name: "remote success wrong key", seq: f.csv(), witness: success(kLocalHTLC, f.preimage)},
				spendCase{name: "local timeout 2-of-2", seq: f.csv(), lock: f.cltv, witness: timeout(kRemoteHTLC, kLocalHTLC), ok: true},
				spendCase{name: "local timeout wrong local key", seq: f.csv(), lock: f.cltv, witness: timeout(kRemoteHTLC, kStranger)},
				spendCase{name: "local timeout wrong remote key", seq: f.csv(), lock: f.cltv, witness: timeout(kStranger, kLocalHTLC)},
				spendCase{name: "local timeout signatures swapped", seq: f.csv(), lock: f.cltv, witness: timeout(kLocalHTLC, kRemoteHTLC)},
			)
			if ct == Anchors {
				cases = append(cases,
					spendCase{name: "remote success too early (CSV 1)", seq: 0, witness: success(kRemoteHTLC, f.preimage)},
					spendCase{name: "local timeout too early (CSV 1)", seq: 0, lock: f.cltv, witness: timeout(kRemoteHTLC, kLocalHTLC)},
				)
			}
			runSpends(t, P2WSH(f.ws), cases)
		})
	}
}

func TestSpendReceivedHTLC(t *testing.T) {
	for _, ct := range []ChannelType{StaticRemoteKey, Anchors} {
		t.Run(ct.String(), func(t *testing.T) {
			f := newHTLCFixture(t, ct, Received)
			timeout := func(k *btcec.PrivateKey) func(s *scripttest.Spend) btcwire.TxWitness {
				return func(s *scripttest.Spend) btcwire.TxWitness {
					return ReceivedHTLCRemoteTimeoutWitness(s.MustSign(0, f.ws, k, all), f.ws)
				}
			}
			success := func(remote, local *btcec.PrivateKey, pre [32]byte) func(s *scripttest.Spend) btcwire.TxWitness {
				return func(s *scripttest.Spend) btcwire.TxWitness {
					return ReceivedHTLCLocalSuccessWitness(
						s.MustSign(0, f.ws, remote, f.remoteHT()), s.MustSign(0, f.ws, local, all), pre, f.ws)
				}
			}
			cases := f.revokeCases()
			cases = append(cases,
				spendCase{name: "remote timeout at cltv_expiry", seq: f.csv(), lock: f.cltv, witness: timeout(kRemoteHTLC), ok: true},
				spendCase{name: "remote timeout after cltv_expiry", seq: f.csv(), lock: f.cltv + 5, witness: timeout(kRemoteHTLC), ok: true},
				spendCase{name: "remote timeout too early (CLTV)", seq: f.csv(), lock: f.cltv - 1, witness: timeout(kRemoteHTLC)},
				spendCase{name: "remote timeout final sequence (CLTV)", seq: 0xffffffff, lock: f.cltv, witness: timeout(kRemoteHTLC)},
				spendCase{name: "remote timeout wrong key", seq: f.csv(), lock: f.cltv, witness: timeout(kLocalHTLC)},
				spendCase{name: "local success 2-of-2", seq: f.csv(), witness: success(kRemoteHTLC, kLocalHTLC, f.preimage), ok: true},
				spendCase{name: "local success wrong preimage", seq: f.csv(), witness: success(kRemoteHTLC, kLocalHTLC, [32]byte{2})},
				spendCase{name: "local success wrong local key", seq: f.csv(), witness: success(kRemoteHTLC, kStranger, f.preimage)},
				spendCase{name: "local success wrong remote key", seq: f.csv(), witness: success(kStranger, kLocalHTLC, f.preimage)},
			)
			if ct == Anchors {
				cases = append(cases,
					spendCase{name: "remote timeout too early (CSV 1)", seq: 0, lock: f.cltv, witness: timeout(kRemoteHTLC)},
					spendCase{name: "local success too early (CSV 1)", seq: 0, witness: success(kRemoteHTLC, kLocalHTLC, f.preimage)},
				)
			}
			runSpends(t, P2WSH(f.ws), cases)
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if enginePaths > 0 && testing.Verbose() {
		fmt.Printf("script engine ran %d spend attempts\n", enginePaths)
	}
	os.Exit(code)
}
