package invoice

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

type vectorHop struct {
	Pubkey            string `json:"pubkey"`
	ShortChannelID    string `json:"short_channel_id"`
	ShortChannelIDU64 uint64 `json:"short_channel_id_u64"`
	FeeBaseMsat       uint64 `json:"fee_base_msat"`
	FeeProportional   uint32 `json:"fee_proportional_millionths"`
	CLTVExpiryDelta   uint16 `json:"cltv_expiry_delta"`
}

type vectorFallback struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
}

type validVector struct {
	Title                   string           `json:"title"`
	Invoice                 string           `json:"invoice"`
	Network                 string           `json:"network"`
	CurrencyPrefix          string           `json:"currency_prefix"`
	Amount                  *string          `json:"amount"`
	AmountMsat              *uint64          `json:"amount_msat"`
	Timestamp               int64            `json:"timestamp"`
	PaymentHash             string           `json:"payment_hash"`
	PaymentSecret           string           `json:"payment_secret"`
	Description             *string          `json:"description"`
	DescriptionHash         *string          `json:"description_hash"`
	DescriptionHashPreimage *string          `json:"description_hash_preimage"`
	Expiry                  *int64           `json:"expiry"`
	MinFinalCLTV            *uint64          `json:"min_final_cltv_expiry_delta"`
	Fallbacks               []vectorFallback `json:"fallback_addresses"`
	RouteHints              [][]vectorHop    `json:"route_hints"`
	Features                []int            `json:"features"`
	Metadata                *string          `json:"metadata"`
	PayeePubkey             string           `json:"payee_pubkey"`
	Signature               string           `json:"signature"`
	RecoveryID              byte             `json:"recovery_id"`
	SigningData             string           `json:"signing_data"`
	SigningHash             string           `json:"signing_hash"`
	SignatureHighS          bool             `json:"signature_high_s"`
	IgnoredFields           []struct {
		Tag        string `json:"tag"`
		DataLength int    `json:"data_length"`
	} `json:"ignored_fields"`
}

type validFile struct {
	SigningPrivKey string        `json:"signing_priv_key"`
	SigningPubkey  string        `json:"signing_pubkey"`
	Examples       []validVector `json:"examples"`
}

type invalidFile struct {
	Examples []struct {
		Reason  string `json:"reason"`
		Invoice string `json:"invoice"`
	} `json:"examples"`
}

// tagOf maps a bech32 character to its 5-bit field type.
func tagOf(c string) byte { return byte(strings.IndexByte(bech32Charset, c[0])) }

func TestValidVectors(t *testing.T) {
	var f validFile
	testutil.LoadJSON(t, "valid.json", &f)
	require.Len(t, f.Examples, 16)
	priv, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, f.SigningPrivKey))
	signer := NewKeySigner(priv)
	require.Equal(t, f.SigningPubkey, hex.EncodeToString(signer.PubKey().SerializeCompressed()))

	for _, v := range f.Examples {
		t.Run(v.Title, func(t *testing.T) {
			inv, err := Decode(v.Invoice)
			require.NoError(t, err)

			prefix, err := CurrencyPrefix(inv.Network)
			require.NoError(t, err)
			require.Equal(t, v.CurrencyPrefix, "ln"+prefix)
			require.Equal(t, map[string]string{"mainnet": "mainnet", "testnet": "testnet3"}[v.Network], inv.Network.Name)
			if v.AmountMsat == nil {
				require.Nil(t, inv.Amount)
			} else {
				require.NotNil(t, inv.Amount)
				require.Equal(t, wire.MilliSatoshi(*v.AmountMsat), *inv.Amount)
				hrp := strings.ToLower(v.Invoice[:strings.LastIndexByte(v.Invoice, '1')])
				require.True(t, strings.HasSuffix(hrp, *v.Amount), "amount as written")
			}
			require.Equal(t, v.Timestamp, inv.Timestamp.Unix())
			require.Equal(t, v.PaymentHash, hex.EncodeToString(inv.PaymentHash[:]))
			require.Equal(t, v.PaymentSecret, hex.EncodeToString(inv.PaymentSecret[:]))
			require.Equal(t, v.Description, inv.Description)
			if v.DescriptionHash == nil {
				require.Nil(t, inv.DescriptionHash)
			} else {
				require.Equal(t, *v.DescriptionHash, hex.EncodeToString(inv.DescriptionHash[:]))
				if v.DescriptionHashPreimage != nil {
					require.Equal(t, *inv.DescriptionHash, sha256Sum([]byte(*v.DescriptionHashPreimage)))
				}
			}
			if v.Expiry == nil {
				require.Nil(t, inv.Expiry)
				require.Equal(t, DefaultExpiry, inv.ExpiryDuration())
			} else {
				require.Equal(t, *v.Expiry, int64(inv.ExpiryDuration().Seconds()))
			}
			if v.MinFinalCLTV == nil {
				require.Nil(t, inv.MinFinalCLTV)
				require.Equal(t, uint64(18), inv.MinFinalCLTVExpiryDelta())
			} else {
				require.Equal(t, *v.MinFinalCLTV, inv.MinFinalCLTVExpiryDelta())
			}
			require.Len(t, inv.Fallbacks, len(v.Fallbacks))
			for i, fb := range v.Fallbacks {
				got := inv.Fallbacks[i]
				require.Equal(t, fb.Address, got.EncodeAddress())
				require.Equal(t, fb.Hash, hex.EncodeToString(got.ScriptAddress()))
				want, err := btcutil.DecodeAddress(fb.Address, inv.Network)
				require.NoError(t, err)
				require.Equal(t, want.String(), got.String())
				typ := map[string]string{
					"*btcutil.AddressPubKeyHash": "p2pkh", "*btcutil.AddressScriptHash": "p2sh",
					"*btcutil.AddressWitnessPubKeyHash": "p2wpkh", "*btcutil.AddressWitnessScriptHash": "p2wsh",
					"*btcutil.AddressTaproot": "p2tr",
				}[typeName(got)]
				require.Equal(t, fb.Type, typ)
			}
			require.Len(t, inv.RouteHints, len(v.RouteHints))
			for i, hint := range v.RouteHints {
				require.Len(t, inv.RouteHints[i], len(hint))
				for j, hop := range hint {
					got := inv.RouteHints[i][j]
					require.Equal(t, hop.Pubkey, hex.EncodeToString(got.NodeID.SerializeCompressed()))
					require.Equal(t, hop.ShortChannelID, got.ChannelID.String())
					require.Equal(t, hop.ShortChannelIDU64, got.ChannelID.ToUint64())
					require.Equal(t, wire.MilliSatoshi(hop.FeeBaseMsat), got.FeeBase)
					require.Equal(t, hop.FeeProportional, got.FeeProportionalMillionths)
					require.Equal(t, hop.CLTVExpiryDelta, got.CLTVExpiryDelta)
				}
			}
			var bitsSet []int
			for _, b := range inv.Features.Bits() {
				bitsSet = append(bitsSet, int(b))
			}
			require.Equal(t, v.Features, bitsSet)
			if v.Metadata == nil {
				require.Nil(t, inv.Metadata)
			} else {
				require.Equal(t, *v.Metadata, hex.EncodeToString(inv.Metadata))
			}
			require.Equal(t, v.PayeePubkey, hex.EncodeToString(inv.Destination.SerializeCompressed()))
			require.Equal(t, v.Signature, hex.EncodeToString(inv.Signature[:]))
			require.Equal(t, v.RecoveryID, inv.RecoveryID)

			// Skipped fields are kept, in order.
			require.Len(t, inv.ExtraFields, len(v.IgnoredFields))
			for i, ig := range v.IgnoredFields {
				require.Equal(t, tagOf(ig.Tag), inv.ExtraFields[i].Type)
				require.Len(t, inv.ExtraFields[i].Data, ig.DataLength)
			}

			// The signed data, computed independently with btcutil's
			// bech32 decoder, matches the vector and its hash.
			hrp, data, err := bech32.DecodeNoLimit(v.Invoice)
			require.NoError(t, err)
			signed := packWords([]byte(hrp), data[:len(data)-signatureWords])
			require.Equal(t, v.SigningData, hex.EncodeToString(signed))
			h := sha256Sum(signed)
			require.Equal(t, v.SigningHash, hex.EncodeToString(h[:]))

			// Re-encoding reproduces the string (in lower case).
			require.Equal(t, strings.ToLower(v.Invoice), inv.String())

			// Re-signing with the example key reproduces the signature; a
			// high-S example comes back in its low-S form.
			resigned := *inv
			resigned.layout = append([]slot(nil), inv.layout...)
			s, err := resigned.Encode(context.Background(), signer)
			require.NoError(t, err)
			if v.SignatureHighS {
				var sc btcec.ModNScalar
				sc.SetByteSlice(inv.Signature[32:])
				sc.Negate()
				var low [32]byte
				sc.PutBytesUnchecked(low[:])
				require.Equal(t, inv.Signature[:32], resigned.Signature[:32])
				require.Equal(t, low[:], resigned.Signature[32:])
				again, err := Decode(s)
				require.NoError(t, err)
				require.True(t, again.Destination.IsEqual(inv.Destination))
			} else {
				require.Equal(t, strings.ToLower(v.Invoice), s)
				require.Equal(t, inv.Signature, resigned.Signature)
				require.Equal(t, inv.RecoveryID, resigned.RecoveryID)
			}
		})
	}
}

func TestInvalidVectors(t *testing.T) {
	var f invalidFile
	testutil.LoadJSON(t, "invalid.json", &f)
	require.Len(t, f.Examples, 10)
	want := map[string]error{
		"Same, but adding invalid unknown feature 100":            ErrUnknownRequiredFeature,
		"Bech32 checksum is invalid.":                             ErrInvalidChecksum,
		"Malformed bech32 string (no 1)":                          ErrMissingSeparator,
		"Malformed bech32 string (mixed case)":                    ErrMixedCase,
		"Signature is not recoverable.":                           ErrNotRecoverable,
		"String is too short.":                                    ErrTooShort,
		"Invalid multiplier":                                      ErrInvalidMultiplier,
		"Invalid sub-millisatoshi precision.":                     ErrSubMillisatoshi,
		"Missing required `s` field.":                             ErrMissingPaymentSecret,
		"Non canonical signature (high-S) with 'n' field defined": ErrHighS,
	}
	all := []error{ErrUnknownRequiredFeature, ErrInvalidChecksum, ErrMissingSeparator, ErrMixedCase,
		ErrTooShort, ErrNotRecoverable, ErrInvalidMultiplier, ErrSubMillisatoshi, ErrMissingPaymentSecret, ErrHighS}
	for _, v := range f.Examples {
		t.Run(v.Reason, func(t *testing.T) {
			sentinel, ok := want[v.Reason]
			require.True(t, ok, "no expected error for %q", v.Reason)
			inv, err := Decode(v.Invoice)
			require.Nil(t, inv)
			require.ErrorIs(t, err, sentinel)
			t.Logf("%v", err)
			// The reasons are told apart: no other specific sentinel matches
			// (ErrHighS and ErrInvalidMultiplier/ErrSubMillisatoshi wrap their
			// general errors on purpose).
			for _, other := range all {
				if other != sentinel && !errors.Is(sentinel, other) {
					require.NotErrorIs(t, err, other)
				}
			}
			require.NotContains(t, err.Error(), "\n")
		})
	}
}
