package revocation

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
)

type shachainVectors struct {
	Generation []struct {
		Name   string `json:"name"`
		Seed   string `json:"seed"`
		I      uint64 `json:"I"`
		Output string `json:"output"`
	} `json:"generation_tests"`
	Storage []struct {
		Name  string `json:"name"`
		Steps []struct {
			Index   uint64 `json:"index"`
			Secret  string `json:"secret"`
			Success bool   `json:"success"`
		} `json:"steps"`
	} `json:"storage_tests"`
}

func loadShachain(t testing.TB) shachainVectors {
	t.Helper()
	var v shachainVectors
	testutil.LoadJSON(t, "shachain.json", &v)
	return v
}

// TestShachainGenerationVectors runs BOLT 3 Appendix D "Generation Tests".
func TestShachainGenerationVectors(t *testing.T) {
	v := loadShachain(t)
	if len(v.Generation) != 5 {
		t.Fatalf("expected 5 generation vectors, found %d", len(v.Generation))
	}
	for _, tc := range v.Generation {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := GenerateFromSeed(testutil.Hex32(t, tc.Seed), tc.I)
			if err != nil {
				t.Fatal(err)
			}
			want := testutil.Hex32(t, tc.Output)
			if got != Secret(want) {
				t.Fatalf("got %s want %x", got.Hex(), want)
			}
			p := NewProducer(testutil.Hex32(t, tc.Seed))
			viaProducer, err := p.SecretAtIndex(tc.I)
			if err != nil || viaProducer != got {
				t.Fatalf("Producer.SecretAtIndex disagrees: %v", err)
			}
		})
	}
}

// TestShachainStorageVectors runs BOLT 3 Appendix D "Storage Tests": every
// sequence, checking that the expected insert (and only it) fails, and that
// every accepted secret can be looked up again.
func TestShachainStorageVectors(t *testing.T) {
	v := loadShachain(t)
	if len(v.Storage) != 9 {
		t.Fatalf("expected 9 storage vectors, found %d", len(v.Storage))
	}
	for _, tc := range v.Storage {
		t.Run(tc.Name, func(t *testing.T) {
			s := NewStore()
			accepted := map[uint64]Secret{}
			for i, step := range tc.Steps {
				secret := Secret(testutil.Hex32(t, step.Secret))
				err := s.Insert(step.Index, secret)
				if step.Success {
					if err != nil {
						t.Fatalf("step %d: unexpected error %v", i, err)
					}
					accepted[step.Index] = secret
				} else {
					if !errors.Is(err, ErrInconsistentSecret) {
						t.Fatalf("step %d: want ErrInconsistentSecret, got %v", i, err)
					}
					var ie *InconsistentSecretError
					if !errors.As(err, &ie) || ie.Index != step.Index {
						t.Fatalf("step %d: error does not name the index: %v", i, err)
					}
					if s.Received() != uint64(i) {
						t.Fatalf("refused secret changed the store")
					}
					if i != len(tc.Steps)-1 {
						t.Fatalf("vector continues after the failing step")
					}
				}
				// The store round-trips at every step.
				enc, err := s.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				dec, err := DecodeStore(enc)
				if err != nil {
					t.Fatalf("step %d: decode of own encoding failed: %v", i, err)
				}
				if *dec != *s {
					t.Fatalf("step %d: decoded store differs", i)
				}
			}
			for idx, want := range accepted {
				got, err := s.Lookup(idx)
				if err != nil || got != want {
					t.Fatalf("Lookup(%d) = %s, %v", idx, got.Hex(), err)
				}
			}
		})
	}
}

type keyVectors struct {
	Common struct {
		BaseSecret          string `json:"base_secret"`
		PerCommitmentSecret string `json:"per_commitment_secret"`
		BasePoint           string `json:"base_point"`
		PerCommitmentPoint  string `json:"per_commitment_point"`
	} `json:"common"`
	Cases []struct {
		Name         string            `json:"name"`
		OutputName   string            `json:"output_name"`
		Expected     string            `json:"expected"`
		Intermediate map[string]string `json:"intermediate"`
	} `json:"test_cases"`
}

// TestKeyDerivationVectors runs the revocation entries of BOLT 3 Appendix E.
func TestKeyDerivationVectors(t *testing.T) {
	var v keyVectors
	testutil.LoadJSON(t, "key_derivation.json", &v)
	basePoint, err := btcec.ParsePubKey(testutil.Hex(t, v.Common.BasePoint))
	if err != nil {
		t.Fatal(err)
	}
	pcp, err := btcec.ParsePubKey(testutil.Hex(t, v.Common.PerCommitmentPoint))
	if err != nil {
		t.Fatal(err)
	}
	baseSecret, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, v.Common.BaseSecret))
	pcs, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, v.Common.PerCommitmentSecret))
	if !baseSecret.PubKey().IsEqual(basePoint) || !pcs.PubKey().IsEqual(pcp) {
		t.Fatal("vector secrets do not match their points")
	}
	// The per-commitment point is secret·G, as Secret.Point computes it.
	if !Secret(testutil.Hex32(t, v.Common.PerCommitmentSecret)).Point().IsEqual(pcp) {
		t.Fatal("Secret.Point does not match per_commitment_point")
	}

	ran := 0
	for _, tc := range v.Cases {
		switch tc.OutputName {
		case "revocationpubkey":
			got, err := DerivePubKey(basePoint, pcp)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got.SerializeCompressed()) != strings.ToLower(tc.Expected) {
				t.Fatalf("revocationpubkey = %x, want %s", got.SerializeCompressed(), tc.Expected)
			}
			// Intermediate tweaks match the spec's comment lines.
			h1, h2 := revocationTweaks(basePoint.SerializeCompressed(), pcp.SerializeCompressed())
			b1, b2 := h1.Bytes(), h2.Bytes()
			if hex.EncodeToString(b1[:]) != tc.Intermediate["sha256_revocation_basepoint_per_commitment_point"] ||
				hex.EncodeToString(b2[:]) != tc.Intermediate["sha256_per_commitment_point_revocation_basepoint"] {
				t.Fatal("intermediate hashes differ from the spec")
			}
			ran++
		case "revocationprivkey":
			got, err := DerivePrivKey(baseSecret, pcs)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got.Serialize()) != strings.ToLower(tc.Expected) {
				t.Fatalf("revocationprivkey = %x, want %s", got.Serialize(), tc.Expected)
			}
			// And it is the secret of revocationpubkey.
			pub, err := DerivePubKey(basePoint, pcp)
			if err != nil || !got.PubKey().IsEqual(pub) {
				t.Fatal("revocationprivkey does not match revocationpubkey")
			}
			ran++
		}
	}
	if ran != 2 {
		t.Fatalf("ran %d revocation vectors, want 2", ran)
	}
}
