package invoice

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/wire"
)

var testNets = []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.SigNetParams, &chaincfg.RegressionNetParams, &chaincfg.SimNetParams}

// unusedTags are field types BOLT 11 does not define.
var unusedTags = []byte{0, 2, 4, 7, 8, 10, 11, 12, 14, 15, 17, 18, 20, 21, 22, 25, 26, 28, 29, 30, 31}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func randKey(r *rand.Rand) *btcec.PrivateKey {
	k, _ := btcec.PrivKeyFromBytes(randBytes(r, 32))
	return k
}

func randAddress(t *testing.T, r *rand.Rand, net *chaincfg.Params) btcutil.Address {
	var a btcutil.Address
	var err error
	switch r.IntN(5) {
	case 0:
		a, err = btcutil.NewAddressPubKeyHash(randBytes(r, 20), net)
	case 1:
		a, err = btcutil.NewAddressScriptHashFromHash(randBytes(r, 20), net)
	case 2:
		a, err = btcutil.NewAddressWitnessPubKeyHash(randBytes(r, 20), net)
	case 3:
		a, err = btcutil.NewAddressWitnessScriptHash(randBytes(r, 32), net)
	default:
		a, err = btcutil.NewAddressTaproot(randBytes(r, 32), net)
	}
	require.NoError(t, err)
	return a
}

func randFeatures(r *rand.Rand) wire.FeatureVector {
	var f wire.FeatureVector
	for _, b := range []wire.FeatureBit{wire.FeatureVarOnionOptin, wire.FeaturePaymentSecret, wire.FeatureBasicMPP, wire.FeatureRouteBlinding, wire.FeaturePaymentMetadata} {
		switch r.IntN(3) {
		case 1:
			f.Set(b)
		case 2:
			f.Set(b.Optional())
		}
	}
	for range r.IntN(3) {
		f.Set(wire.FeatureBit(r.IntN(300) | 1)) // odd bits: unknown ones are ignored
	}
	return f.Minimal()
}

// randInvoice returns an unsigned invoice with every field chosen at random.
func randInvoice(t *testing.T, r *rand.Rand) *Invoice {
	net := testNets[r.IntN(len(testNets))]
	inv := &Invoice{Network: net, Timestamp: time.Unix(r.Int64N(MaxTimestamp+1), 0)}
	if r.IntN(4) > 0 {
		var m wire.MilliSatoshi
		switch r.IntN(3) {
		case 0:
			m = wire.MilliSatoshi(1 + r.Uint64N(2_100_000_000_000_000_000))
		case 1:
			m = wire.MilliSatoshi(1+r.Uint64N(100_000)) * 100_000_000
		default:
			m = wire.MilliSatoshi(1 + r.Uint64N(1_000_000))
		}
		inv.Amount = &m
	}
	copy(inv.PaymentHash[:], randBytes(r, 32))
	copy(inv.PaymentSecret[:], randBytes(r, 32))
	if r.IntN(2) == 0 {
		runes := []rune("abc xyz 0123 ナンセンス 1杯 €$")
		var sb strings.Builder
		for range r.IntN(60) {
			sb.WriteRune(runes[r.IntN(len(runes))])
		}
		d := sb.String()
		inv.Description = &d
	} else {
		var h [32]byte
		copy(h[:], randBytes(r, 32))
		inv.DescriptionHash = &h
	}
	inv.ExplicitDestination = r.IntN(2) == 0
	if r.IntN(2) == 0 {
		e := time.Duration(r.Uint64N(1<<uint(r.IntN(34)))) * time.Second
		inv.Expiry = &e
	}
	if r.IntN(2) == 0 {
		c := r.Uint64() >> uint(r.IntN(64))
		inv.MinFinalCLTV = &c
	}
	for range r.IntN(3) {
		inv.Fallbacks = append(inv.Fallbacks, randAddress(t, r, net))
	}
	for range r.IntN(6) {
		hint := make(RouteHint, 1+r.IntN(3))
		for j := range hint {
			hint[j] = HopHint{
				NodeID:                    randKey(r).PubKey(),
				ChannelID:                 wire.NewShortChannelIDFromUint64(r.Uint64()),
				FeeBase:                   wire.MilliSatoshi(r.Uint32()),
				FeeProportionalMillionths: r.Uint32(),
				CLTVExpiryDelta:           uint16(r.Uint32()),
			}
		}
		inv.RouteHints = append(inv.RouteHints, hint)
	}
	if r.IntN(3) > 0 {
		inv.Features = randFeatures(r)
	}
	if r.IntN(3) == 0 {
		inv.Metadata = randBytes(r, r.IntN(40))
	}
	for range r.IntN(3) {
		data := randBytes(r, 1+r.IntN(30))
		for i := range data {
			data[i] &= 31
		}
		inv.ExtraFields = append(inv.ExtraFields, TaggedField{Type: unusedTags[r.IntN(len(unusedTags))], Data: data})
	}
	return inv
}

// TestRoundTripRandom checks decode(encode(x)) == x for random invoices
// with every field, random features and 0-5 route hints of 1-3 hops.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		inv := randInvoice(t, r)
		key := randKey(r)
		s, err := inv.Encode(ctx, NewKeySigner(key))
		require.NoError(t, err, "invoice %d", i)
		require.Equal(t, strings.ToLower(s), s)
		require.True(t, inv.Destination.IsEqual(key.PubKey()))

		got, err := Decode(s)
		require.NoError(t, err, "invoice %d: %s", i, s)
		require.Equal(t, inv, got, "invoice %d", i)
		require.Equal(t, s, got.String())

		// Upper case decodes to the same invoice.
		up, err := Decode(strings.ToUpper(s))
		require.NoError(t, err)
		require.Equal(t, got, up)
	}
}

// TestEditAndResign changes fields of a decoded invoice and signs it again:
// the layout adapts and the result still round-trips.
func TestEditAndResign(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	key := randKey(r)
	for i := range 50 {
		inv := randInvoice(t, r)
		_, err := inv.Encode(ctx, NewKeySigner(key))
		require.NoError(t, err)
		dec, err := Decode(inv.String())
		require.NoError(t, err)

		// Edit: new amount, drop or add route hints and fallbacks, toggle n.
		m := wire.MilliSatoshi(1 + r.Uint64N(1e12))
		dec.Amount = &m
		if len(dec.RouteHints) > 0 {
			dec.RouteHints = dec.RouteHints[1:]
			if len(dec.RouteHints) == 0 {
				dec.RouteHints = nil
			}
		}
		dec.Fallbacks = append(dec.Fallbacks, randAddress(t, r, dec.Network))
		dec.ExplicitDestination = !dec.ExplicitDestination
		e := time.Duration(r.Uint64N(1e9)) * time.Second
		dec.Expiry = &e
		s, err := dec.Encode(ctx, NewKeySigner(key))
		require.NoError(t, err, "invoice %d", i)
		again, err := Decode(s)
		require.NoError(t, err)
		require.Equal(t, dec, again, "invoice %d", i)
	}
}
