package script

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustPub(t testing.TB, s string) *btcec.PublicKey {
	t.Helper()
	p, err := btcec.ParsePubKey(mustHex(t, s))
	if err != nil {
		t.Fatalf("bad pubkey %q: %v", s, err)
	}
	return p
}

// mustPriv parses a private key as the spec writes it: 32 bytes, optionally
// followed by the 01 compressed-key marker.
func mustPriv(t testing.TB, s string) *btcec.PrivateKey {
	t.Helper()
	b := mustHex(t, s)
	if len(b) == 33 && b[32] == 1 {
		b = b[:32]
	}
	if len(b) != 32 {
		t.Fatalf("bad private key length %d", len(b))
	}
	k, _ := btcec.PrivKeyFromBytes(b)
	return k
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

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
	loadJSON(t, "funding.json", &v)
	local, remote := mustPub(t, v.LocalFundingPubkey), mustPub(t, v.RemoteFundingPubkey)
	want := mustHex(t, v.FundingWitness)
	for _, order := range [][2]*btcec.PublicKey{{local, remote}, {remote, local}} {
		ws, out, err := FundingOutput(order[0], order[1], 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ws, want) {
			t.Fatalf("funding script\n got %x\nwant %x", ws, want)
		}
		var tx btcwire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(mustHex(t, v.FundingTxHex))); err != nil {
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
	loadJSON(t, "key_derivation.json", &v)
	base := mustPub(t, v.Common.BasePoint)
	pcp := mustPub(t, v.Common.PerCommitmentPoint)
	secret := mustPriv(t, v.Common.BaseSecret)
	if !secret.PubKey().IsEqual(base) {
		t.Fatal("base_secret does not match base_point")
	}
	ran := 0
	for _, tc := range v.TestCases {
		switch tc.OutputName {
		case "localpubkey":
			tw := SingleTweak(pcp, base)
			if want := mustHex(t, tc.Intermediate["sha256_per_commitment_point_basepoint"]); !bytes.Equal(tw[:], want) {
				t.Fatalf("tweak %x, want %x", tw, want)
			}
			got := TweakPubKey(base, pcp).SerializeCompressed()
			if want := mustHex(t, tc.Expected); !bytes.Equal(got, want) {
				t.Fatalf("%s: got %x want %x", tc.Name, got, want)
			}
			ran++
		case "localprivkey":
			for _, bp := range []*btcec.PublicKey{base, nil} {
				got := TweakPrivKey(secret, bp, pcp).Serialize()
				if want := mustHex(t, tc.Expected); !bytes.Equal(got, want) {
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
