package script

import (
	"bytes"
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// commitmentVectors is the part of commitment_static_remotekey.json
// (Appendix C) and commitment_anchors.json (Appendix F) these tests use.
type commitmentVectors struct {
	Parameters struct {
		FundingTxID             string `json:"funding_tx_id"`
		FundingOutputIndex      uint32 `json:"funding_output_index"`
		FundingAmount           int64  `json:"funding_amount_satoshi"`
		CommitmentNumber        uint64 `json:"commitment_number"`
		LocalDelay              uint16 `json:"local_delay"`
		LocalDustLimit          int64  `json:"local_dust_limit_satoshi"`
		LocalPaymentBasepoint   string `json:"local_payment_basepoint"`
		RemotePaymentBasepoint  string `json:"remote_payment_basepoint"`
		ObscuringFactor         string `json:"obscuring_factor"`
		LocalHTLCBasepoint      string `json:"local_htlc_basepoint"`
		RemoteHTLCBasepoint     string `json:"remote_htlc_basepoint"`
		LocalFundingPubkey      string `json:"local_funding_pubkey"`
		RemoteFundingPubkey     string `json:"remote_funding_pubkey"`
		LocalPrivkey            string `json:"local_privkey"`
		LocalHTLCPubkey         string `json:"local_htlcpubkey"`
		RemoteHTLCPubkey        string `json:"remote_htlcpubkey"`
		LocalDelayedPubkey      string `json:"local_delayedpubkey"`
		LocalRevocationPubkey   string `json:"local_revocation_pubkey"`
		FundingWScript          string `json:"funding_wscript"`
		InternalDerivationValue struct {
			LocalPaymentBasepointSecret        string `json:"local_payment_basepoint_secret"`
			LocalDelayedPaymentBasepointSecret string `json:"local_delayed_payment_basepoint_secret"`
			RemotePaymentBasepointSecret       string `json:"remote_payment_basepoint_secret"`
			LocalDelayedPaymentBasepoint       string `json:"local_delayed_payment_basepoint"`
			LocalPerCommitmentPoint            string `json:"local_per_commitment_point"`
			RemotePrivkey                      string `json:"remote_privkey"`
			LocalDelayedPrivkey                string `json:"local_delayed_privkey"`
		} `json:"internal_derivation_values"`
	} `json:"parameters"`
	TestCases []commitmentCase `json:"test_cases"`
}

type commitmentCase struct {
	Name           string  `json:"name"`
	FeeratePerKW   uint32  `json:"local_feerate_per_kw"`
	DustLimit      *int64  `json:"local_dust_limit_satoshi"`
	BaseFee        *int64  `json:"base_commitment_tx_fee"`
	NumHTLCs       int     `json:"num_htlcs"`
	HTLCs          []vHTLC `json:"htlcs"`
	OutputsComment []struct {
		Output  string `json:"output"`
		HTLCID  *int   `json:"htlc_id"`
		Kind    string `json:"htlc_kind"`
		Amount  int64  `json:"amount_sat"`
		WScript string `json:"wscript"`
		P2WPKH  string `json:"p2wpkh_pubkey"`
	} `json:"outputs_comment"`
	RemoteSignature string `json:"remote_signature"`
	LocalSignature  string `json:"local_signature"`
	CommitTx        string `json:"output_commit_tx"`
	HTLCTxs         []struct {
		TxHex string `json:"tx_hex"`
	} `json:"htlc_txs"`
}

type vHTLC struct {
	ID         int    `json:"id"`
	Direction  string `json:"direction"`
	AmountMsat uint64 `json:"amount_msat"`
	Expiry     uint32 `json:"expiry"`
	Preimage   string `json:"payment_preimage"`
}

// kind is the HTLC's kind on the local commitment of the vectors.
func (h vHTLC) kind() HTLCKind {
	if h.Direction == "local->remote" {
		return Offered
	}
	return Received
}

// candidate is an output script the vectors' commitment may hold.
type candidate struct {
	name string
	ws   []byte
	htlc *vHTLC
}

func TestAppendixCScripts(t *testing.T) {
	testCommitmentVectors(t, StaticRemoteKey, "commitment_static_remotekey.json", 16)
}

func TestAppendixFScripts(t *testing.T) {
	testCommitmentVectors(t, Anchors, "commitment_anchors.json", 9)
}

// testCommitmentVectors checks everything in a commitment vector file that
// this package computes: key tweaks, the obscured commitment number, fees
// and trimming, every output script (byte for byte where the spec prints
// it), the output order with its cltv tie-break, the funding and
// second-stage witness layouts, and finally runs the script engine on the
// commitment and every HTLC transaction with the spec's signatures.
func testCommitmentVectors(t *testing.T, ct ChannelType, file string, wantCases int) {
	var v commitmentVectors
	testutil.LoadJSON(t, file, &v)
	p := v.Parameters
	iv := p.InternalDerivationValue
	pcp := testutil.PubKey(t, iv.LocalPerCommitmentPoint)

	// Key derivation from the INTERNAL values of Appendix C.
	localHTLC := TweakPubKey(testutil.PubKey(t, p.LocalHTLCBasepoint), pcp)
	remoteHTLC := TweakPubKey(testutil.PubKey(t, p.RemoteHTLCBasepoint), pcp)
	delayed := TweakPubKey(testutil.PubKey(t, iv.LocalDelayedPaymentBasepoint), pcp)
	for _, c := range []struct {
		name string
		got  *btcec.PublicKey
		want string
	}{
		{"local_htlcpubkey", localHTLC, p.LocalHTLCPubkey},
		{"remote_htlcpubkey", remoteHTLC, p.RemoteHTLCPubkey},
		{"local_delayedpubkey", delayed, p.LocalDelayedPubkey},
	} {
		if !bytes.Equal(c.got.SerializeCompressed(), testutil.Hex(t, c.want)) {
			t.Fatalf("%s: got %x want %s", c.name, c.got.SerializeCompressed(), c.want)
		}
	}
	for _, c := range []struct{ name, secret, base, want string }{
		{"local_privkey", iv.LocalPaymentBasepointSecret, p.LocalPaymentBasepoint, p.LocalPrivkey},
		{"local_delayed_privkey", iv.LocalDelayedPaymentBasepointSecret, iv.LocalDelayedPaymentBasepoint, iv.LocalDelayedPrivkey},
		{"remote_privkey", iv.RemotePaymentBasepointSecret, p.RemotePaymentBasepoint, iv.RemotePrivkey},
	} {
		got := TweakPrivKey(testutil.PrivKey(t, c.secret), testutil.PubKey(t, c.base), pcp)
		if !bytes.Equal(got.Serialize(), testutil.PrivKey(t, c.want).Serialize()) {
			t.Fatalf("%s: got %x want %s", c.name, got.Serialize(), c.want)
		}
	}

	rev := testutil.PubKey(t, p.LocalRevocationPubkey)
	localFunding, remoteFunding := testutil.PubKey(t, p.LocalFundingPubkey), testutil.PubKey(t, p.RemoteFundingPubkey)
	remotePay := ToRemoteKey(testutil.PubKey(t, p.RemotePaymentBasepoint))
	factor := ObscuringFactor(testutil.PubKey(t, p.LocalPaymentBasepoint), remotePay)
	var wantFactor uint64
	for _, b := range testutil.Hex(t, p.ObscuringFactor) {
		wantFactor = wantFactor<<8 | uint64(b)
	}
	if factor != wantFactor {
		t.Fatalf("obscuring factor %x, want %x", factor, wantFactor)
	}
	lockTime, sequence, err := CommitmentLockTimeSequence(p.CommitmentNumber, factor)
	if err != nil {
		t.Fatal(err)
	}
	fundingWS, fundingOut, err := FundingOutput(localFunding, remoteFunding, btcutilAmount(p.FundingAmount))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fundingWS, testutil.Hex(t, p.FundingWScript)) {
		t.Fatal("funding witness script differs from the vectors")
	}
	fundingHash, err := chainhash.NewHashFromStr(p.FundingTxID)
	if err != nil {
		t.Fatal(err)
	}
	fundingOP := btcwire.OutPoint{Hash: *fundingHash, Index: p.FundingOutputIndex}

	toLocalWS, _ := ToLocalScript(rev, delayed, p.LocalDelay)
	toRemoteWS, toRemotePk, _ := ToRemoteScript(ct, remotePay)

	if len(v.TestCases) != wantCases {
		t.Fatalf("%d cases, want %d", len(v.TestCases), wantCases)
	}
	htlcTxCount := 0
	for _, tc := range v.TestCases {
		t.Run(tc.Name, func(t *testing.T) {
			feerate := wire.SatPerKWeight(tc.FeeratePerKW)
			dust := btcutilAmount(p.LocalDustLimit)
			if tc.DustLimit != nil {
				dust = btcutilAmount(*tc.DustLimit)
			}
			tx := testutil.Tx(t, tc.CommitTx)

			// Locktime, sequence and their inverse.
			if tx.LockTime != lockTime || tx.TxIn[0].Sequence != sequence {
				t.Fatalf("locktime/sequence %x/%x, want %x/%x", tx.LockTime, tx.TxIn[0].Sequence, lockTime, sequence)
			}
			if n, err := CommitmentNumberFromTx(tx, factor); err != nil || n != p.CommitmentNumber {
				t.Fatalf("commitment number %d (%v), want %d", n, err, p.CommitmentNumber)
			}

			// Trimming and the base fee.
			untrimmed := 0
			cands := map[string]candidate{
				string(P2WSH(toLocalWS)): {name: "to_local", ws: toLocalWS},
				string(toRemotePk):       {name: "to_remote", ws: toRemoteWS},
			}
			if ct == Anchors {
				for _, k := range []*btcec.PublicKey{localFunding, remoteFunding} {
					ws, _ := AnchorScript(k)
					cands[string(P2WSH(ws))] = candidate{name: "anchor", ws: ws}
				}
			}
			for i := range tc.HTLCs {
				h := &tc.HTLCs[i]
				if HTLCTrimmed(ct, h.kind(), wire.MilliSatoshi(h.AmountMsat), feerate, dust) {
					continue
				}
				untrimmed++
				pre := testutil.Hex(t, h.Preimage)
				ws, err := HTLCScript(ct, h.kind(), rev, localHTLC, remoteHTLC, sha256.Sum256(pre), h.Expiry)
				if err != nil {
					t.Fatal(err)
				}
				cands[string(P2WSH(ws))] = candidate{name: "htlc", ws: ws, htlc: h}
			}
			if untrimmed != tc.NumHTLCs {
				t.Fatalf("%d untrimmed HTLCs, want %d", untrimmed, tc.NumHTLCs)
			}
			if tc.BaseFee != nil {
				if got := CommitFee(ct, feerate, untrimmed); int64(got) != *tc.BaseFee {
					t.Fatalf("base fee %d, want %d", got, *tc.BaseFee)
				}
			}

			// Scripts the spec prints, byte for byte.
			for _, oc := range tc.OutputsComment {
				if oc.Output == "to_remote" {
					if !bytes.Equal(P2WPKH(remotePay), P2WPKH(testutil.PubKey(t, oc.P2WPKH))) {
						t.Fatal("to_remote key differs")
					}
					continue
				}
				want := testutil.Hex(t, oc.WScript)
				if _, ok := cands[string(P2WSH(want))]; !ok {
					t.Fatalf("spec %s script %x not produced", oc.Output, want)
				}
			}

			// Every output of the commitment is one we can build, and the
			// HTLC outputs carry the HTLC's amount.
			cltvs := make([]uint32, len(tx.TxOut))
			htlcOuts := 0
			for i, out := range tx.TxOut {
				c, ok := cands[string(out.PkScript)]
				if !ok {
					t.Fatalf("output %d script %x not derived", i, out.PkScript)
				}
				if c.htlc != nil {
					htlcOuts++
					if out.Value != int64(wire.MilliSatoshi(c.htlc.AmountMsat).ToSatoshis()) {
						t.Fatalf("output %d amount %d for HTLC %d", i, out.Value, c.htlc.ID)
					}
					if c.htlc.kind() == Received {
						cltvs[i] = c.htlc.Expiry
					}
				}
				if c.name == "anchor" && out.Value != int64(AnchorOutputValue) {
					t.Fatalf("anchor amount %d", out.Value)
				}
			}
			if htlcOuts != tc.NumHTLCs {
				t.Fatalf("%d HTLC outputs, want %d", htlcOuts, tc.NumHTLCs)
			}

			// The commitment's funding witness, then the engine.
			w := tx.TxIn[0].Witness
			remoteSig := append(testutil.Hex(t, tc.RemoteSignature), byte(txscript.SigHashAll))
			localSig := w[1]
			if bytes.Equal(localSig, remoteSig) {
				localSig = w[2]
			}
			if tc.LocalSignature != "" && !bytes.Equal(localSig, append(testutil.Hex(t, tc.LocalSignature), 1)) {
				t.Fatal("local signature not in the funding witness")
			}
			fw, _ := FundingWitness(localFunding, remoteFunding, localSig, remoteSig)
			if !witnessEqual(fw, w) {
				t.Fatalf("funding witness layout differs")
			}
			if pw, err := ParseWitness(w); err != nil || pw.Path != PathFundingCooperative {
				t.Fatalf("ParseWitness of the commitment input: %v", err)
			}
			commit := scripttest.ForTx(tx, map[btcwire.OutPoint]*btcwire.TxOut{fundingOP: fundingOut})
			if err := commit.ExecuteAll(); err != nil {
				t.Fatalf("engine rejects the commitment: %v", err)
			}

			// Second-stage transactions: layout, output script, engine.
			for _, ht := range tc.HTLCTxs {
				htx := testutil.Tx(t, ht.TxHex)
				idx := htx.TxIn[0].PreviousOutPoint.Index
				c := cands[string(tx.TxOut[idx].PkScript)]
				if c.htlc == nil {
					t.Fatalf("HTLC tx spends non-HTLC output %d", idx)
				}
				hw := htx.TxIn[0].Witness
				var want btcwire.TxWitness
				if c.htlc.kind() == Offered {
					// Offered scripts do not hold the expiry, so two HTLCs
					// with the same hash and amount give identical outputs;
					// the HTLC-timeout's locktime tells which is which, and
					// the cltv tie-break of the ordering must agree.
					cltvs[idx] = htx.LockTime
					want = OfferedHTLCLocalTimeoutWitness(hw[1], hw[2], c.ws)
				} else {
					var pre [32]byte
					copy(pre[:], testutil.Hex(t, c.htlc.Preimage))
					want = ReceivedHTLCLocalSuccessWitness(hw[1], hw[2], pre, c.ws)
				}
				if !witnessEqual(want, hw) {
					t.Fatalf("HTLC tx witness layout differs for output %d", idx)
				}
				pw, err := ParseWitness(hw)
				if err != nil {
					t.Fatalf("ParseWitness of the spec's HTLC tx: %v", err)
				}
				if c.htlc.kind() == Received && (pw.Path != PathReceivedLocalSuccess || !bytes.Equal(pw.Preimage[:], testutil.Hex(t, c.htlc.Preimage))) {
					t.Fatalf("HTLC-success parsed as %v", pw.Path)
				}
				if c.htlc.kind() == Offered && pw.Path != PathOfferedLocalTimeout {
					t.Fatalf("HTLC-timeout parsed as %v", pw.Path)
				}
				if !bytes.Equal(htx.TxOut[0].PkScript, P2WSH(toLocalWS)) {
					t.Fatal("HTLC tx output is not the to_local script")
				}
				s := scripttest.ForTx(htx, nil)
				s.AddParent(tx)
				if err := s.ExecuteAll(); err != nil {
					t.Fatalf("engine rejects HTLC tx of output %d: %v", idx, err)
				}
				htlcTxCount++
			}

			// Output order: shuffle, sort, compare with the spec's order.
			rng := rand.New(rand.NewSource(int64(len(tc.Name))))
			for range 20 {
				perm := rng.Perm(len(tx.TxOut))
				outs := make([]*btcwire.TxOut, len(perm))
				cl := make([]uint32, len(perm))
				for i, j := range perm {
					outs[i], cl[i] = tx.TxOut[j], cltvs[j]
				}
				newIdx, err := SortOutputs(outs, cl)
				if err != nil {
					t.Fatal(err)
				}
				for i, out := range outs {
					if out != tx.TxOut[i] {
						t.Fatalf("sorted output %d differs from the spec order", i)
					}
				}
				for i, j := range perm {
					if outs[newIdx[i]] != tx.TxOut[j] {
						t.Fatal("newIndex does not track the outputs")
					}
				}
			}
		})
	}
	t.Logf("%d cases, %d HTLC transactions engine-checked", len(v.TestCases), htlcTxCount)
}
