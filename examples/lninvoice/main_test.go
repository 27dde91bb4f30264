package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/invoice"
)

// A BOLT 11 example: 20 mBTC, description hash, P2PKH fallback and a route
// hint with two hops.
const specInvoice = "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqsfpp3qjmp7lwpagxun9pygexvgpjdc4jdj85fr9yq20q82gphp2nflc7jtzrcazrra7wwgzxqc8u7754cdlpfrmccae92qgzqvzq2ps8pqqqqqqpqqqqq9qqqvpeuqafqxu92d8lr6fvg0r5gv0heeeqgcrqlnm6jhphu9y00rrhy4grqszsvpcgpy9qqqqqqgqqqqq7qqzq9qrsgqdfjcdk6w3ak5pca9hwfwfh63zrrz06wwfya0ydlzpgzxkn5xagsqz7x9j4jwe7yj7vaf2k9lqsdk45kts2fd0fkr28am0u4w95tt2nsq76cqw0"

const specKey = "e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734"

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeJSON(t *testing.T) {
	code, out, stderr := runCLI("decode", "lightning:"+specInvoice)
	require.Equal(t, 0, code, stderr)
	var got payReq
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad", got.Destination)
	require.Equal(t, "0001020304050607080900010203040506070809000102030405060708090102", got.PaymentHash)
	require.Equal(t, "2000000", got.NumSatoshis)
	require.Equal(t, "2000000000", got.NumMsat)
	require.Equal(t, "1496314658", got.Timestamp)
	require.Equal(t, "3600", got.Expiry)
	require.Equal(t, "18", got.CLTVExpiry)
	require.Equal(t, "3925b6f67e2c340036ed12093dd44e0368df1b6ea26c53dbe4811f58fd5db8c1", got.DescriptionHash)
	require.Equal(t, "1RustyRX2oai4EYYDpQGWvEL62BBGqN9T", got.FallbackAddr)
	require.Equal(t, strings.Repeat("11", 32), got.PaymentAddr)
	require.Len(t, got.RouteHints, 1)
	require.Len(t, got.RouteHints[0].HopHints, 2)
	require.Equal(t, "72623859790382856", got.RouteHints[0].HopHints[0].ChanID)
	require.Equal(t, uint32(20), got.RouteHints[0].HopHints[0].FeeProportionalMillionths)
	require.Equal(t, uint32(4), got.RouteHints[0].HopHints[1].CLTVExpiryDelta)
	require.Equal(t, feature{Name: "payment_secret", IsRequired: true, IsKnown: true}, got.Features["14"])
	require.Contains(t, got.Features, "8")

	// Every lncli field name is present in the output.
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	for _, k := range []string{"destination", "payment_hash", "num_satoshis", "timestamp", "expiry", "description",
		"description_hash", "fallback_addr", "cltv_expiry", "route_hints", "payment_addr", "num_msat", "features"} {
		require.Contains(t, raw, k)
	}
}

func TestDecodeInvalid(t *testing.T) {
	bad := specInvoice[:len(specInvoice)-1] + "q" // checksum broken
	code, out, stderr := runCLI("decode", bad)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	require.Contains(t, stderr, "checksum")

	code, _, _ = runCLI("decode")
	require.Equal(t, 2, code)
	code, _, _ = runCLI("frobnicate")
	require.Equal(t, 2, code)
}

func TestEncode(t *testing.T) {
	hop := "029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255:66051x263430x1800:1:20:3"
	code, out, stderr := runCLI("encode", "-network", "regtest", "-key", specKey,
		"-preimage", strings.Repeat("42", 32), "-secret", strings.Repeat("07", 32),
		"-amount-msat", "123456", "-description", "tea", "-expiry", "30m", "-cltv", "40",
		"-timestamp", "1700000000", "-explicit-node-id",
		"-fallback", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "-hop", hop)
	require.Equal(t, 0, code, stderr)
	s := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(s, "lnbcrt1234560p1"), s)

	inv, err := invoice.Decode(s)
	require.NoError(t, err)
	keyBytes, _ := hex.DecodeString(specKey)
	key, _ := btcec.PrivKeyFromBytes(keyBytes)
	require.True(t, inv.Destination.IsEqual(key.PubKey()))
	require.True(t, inv.ExplicitDestination)
	require.Equal(t, "tea", *inv.Description)
	require.EqualValues(t, 123456, *inv.Amount)
	require.Equal(t, "30m0s", inv.ExpiryDuration().String())
	require.EqualValues(t, 40, inv.MinFinalCLTVExpiryDelta())
	require.Equal(t, strings.Repeat("07", 32), hex.EncodeToString(inv.PaymentSecret[:]))
	require.Len(t, inv.Fallbacks, 1)
	require.Equal(t, "66051x263430x1800", inv.RouteHints[0][0].ChannelID.String())

	// The same flags give the same invoice (RFC 6979 signatures).
	_, again, _ := runCLI("encode", "-network", "regtest", "-key", specKey,
		"-preimage", strings.Repeat("42", 32), "-secret", strings.Repeat("07", 32),
		"-amount-msat", "123456", "-description", "tea", "-expiry", "30m", "-cltv", "40",
		"-timestamp", "1700000000", "-explicit-node-id",
		"-fallback", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "-hop", hop)
	require.Equal(t, out, again)

	// And decode prints it.
	code, _, stderr = runCLI("decode", s)
	require.Equal(t, 0, code, stderr)
}

func TestEncodeErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"mainnet":     {"-network", "mainnet", "-key", specKey, "-hash", strings.Repeat("00", 32)},
		"no key":      {"-hash", strings.Repeat("00", 32)},
		"no hash":     {"-key", specKey},
		"bad hop":     {"-key", specKey, "-hash", strings.Repeat("00", 32), "-hop", "nonsense"},
		"bad address": {"-key", specKey, "-hash", strings.Repeat("00", 32), "-fallback", "1RustyRX2oai4EYYDpQGWvEL62BBGqN9T"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := runCLI(append([]string{"encode"}, args...)...)
			require.Equal(t, 1, code)
			require.Empty(t, out)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "%q", stderr)
		})
	}
}
