package script

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/internal/testutil"
)

// TestAppendixBFunding checks the funding witness script and the funding
// output of the Appendix B funding transaction byte for byte.
func TestAppendixBFunding(t *testing.T) {
	var v struct {
		LocalFundingPubkey  string `json:"local_funding_pubkey"`
		RemoteFundingPubkey string `json:"remote_funding_pubkey"`
		FundingWitness      string `json:"funding_witness_script"`
		FundingSatoshis     int64  `json:"funding_satoshis"`
		FundingOutputIndex  int    `json:"funding_output_index"`
		FundingTxHex        string `json:"funding_tx_hex"`
		FundingTxid         string `json:"funding_txid"`
	}
	testutil.LoadJSON(t, "funding.json", &v)
	local, remote := testutil.PubKey(t, v.LocalFundingPubkey), testutil.PubKey(t, v.RemoteFundingPubkey)
	want := testutil.Hex(t, v.FundingWitness)
	for _, order := range [][2]*btcec.PublicKey{{local, remote}, {remote, local}} {
		ws, out, err := FundingOutput(order[0], order[1], 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ws, want) {
			t.Fatalf("funding script\n got %x\nwant %x", ws, want)
		}
		var tx btcwire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(testutil.Hex(t, v.FundingTxHex))); err != nil {
			t.Fatal(err)
		}
		if tx.TxHash().String() != v.FundingTxid {
			t.Fatalf("txid %v, want %s", tx.TxHash(), v.FundingTxid)
		}
		got := tx.TxOut[v.FundingOutputIndex]
		if !bytes.Equal(got.PkScript, out.PkScript) || got.Value != v.FundingSatoshis {
			t.Fatalf("funding output %x/%d, want %x/%d", out.PkScript, v.FundingSatoshis, got.PkScript, got.Value)
		}
	}
}

type keyDerivationVectors struct {
	Common struct {
		BaseSecret          string `json:"base_secret"`
		PerCommitmentSecret string `json:"per_commitment_secret"`
		BasePoint           string `json:"base_point"`
		PerCommitmentPoint  string `json:"per_commitment_point"`
	} `json:"common"`
	TestCases []struct {
		Name         string            `json:"name"`
		OutputName   string            `json:"output_name"`
		Expected     string            `json:"expected"`
		Intermediate map[string]string `json:"intermediate"`
	} `json:"test_cases"`
}

// TestAppendixEKeyDerivation checks localpubkey and localprivkey of
// Appendix E. The revocation cases belong to package channel/revocation.
func TestAppendixEKeyDerivation(t *testing.T) {
	var v keyDerivationVectors
	testutil.LoadJSON(t, "key_derivation.json", &v)
	base := testutil.PubKey(t, v.Common.BasePoint)
	pcp := testutil.PubKey(t, v.Common.PerCommitmentPoint)
	secret := testutil.PrivKey(t, v.Common.BaseSecret)
	if !secret.PubKey().IsEqual(base) {
		t.Fatal("base_secret does not match base_point")
	}
	ran := 0
	for _, tc := range v.TestCases {
		switch tc.OutputName {
		case "localpubkey":
			tw := SingleTweak(pcp, base)
			if want := testutil.Hex(t, tc.Intermediate["sha256_per_commitment_point_basepoint"]); !bytes.Equal(tw[:], want) {
				t.Fatalf("tweak %x, want %x", tw, want)
			}
			got := TweakPubKey(base, pcp).SerializeCompressed()
			if want := testutil.Hex(t, tc.Expected); !bytes.Equal(got, want) {
				t.Fatalf("%s: got %x want %x", tc.Name, got, want)
			}
			ran++
		case "localprivkey":
			for _, bp := range []*btcec.PublicKey{base, nil} {
				got := TweakPrivKey(secret, bp, pcp).Serialize()
				if want := testutil.Hex(t, tc.Expected); !bytes.Equal(got, want) {
					t.Fatalf("%s: got %x want %x", tc.Name, got, want)
				}
			}
			ran++
		}
	}
	if ran != 2 {
		t.Fatalf("ran %d of 2 applicable vectors", ran)
	}
}

func btcutilAmount(v int64) btcutil.Amount { return btcutil.Amount(v) }
