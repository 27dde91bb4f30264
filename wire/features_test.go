package wire

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFeatureVectorBits(t *testing.T) {
	var f FeatureVector
	require.True(t, f.IsEmpty())
	f.Set(FeatureStaticRemoteKey)
	f.Set(FeatureBasicMPP.Optional())
	f.Set(0)
	// Bits 0, 12 and 17 need three bytes, big-endian.
	require.Equal(t, FeatureVector{0x02, 0x10, 0x01}, f)
	require.True(t, f.IsSet(12))
	require.False(t, f.IsSet(13))
	require.True(t, f.HasFeature(FeatureBasicMPP))
	require.False(t, f.RequiresFeature(FeatureBasicMPP))
	require.True(t, f.RequiresFeature(FeatureStaticRemoteKey))
	require.Equal(t, []FeatureBit{0, 12, 17}, f.Bits())
	require.False(t, f.IsSet(4000), "bits past the end read as unset")
	f.Unset(17)
	f.Unset(4000)
	require.Equal(t, FeatureVector{0x00, 0x10, 0x01}, f)
	require.Equal(t, FeatureVector{0x10, 0x01}, f.Minimal())
	require.True(t, f.Equal(FeatureVector{0x10, 0x01}))
	require.False(t, f.Equal(FeatureVector{0x11, 0x01}))
	require.Equal(t, "[option_data_loss_protect(0) option_static_remotekey(12)]", f.String())
	u := f.Union(NewFeatureVector(2023))
	require.Equal(t, []FeatureBit{0, 12, 2023}, u.Bits())
	require.Equal(t, "2023", FeatureBit(2023).String())
}

func TestFeatureLookup(t *testing.T) {
	k, ok := LookupFeature(FeatureAnchorsZeroFeeHTLCTx.Optional())
	require.True(t, ok)
	require.Equal(t, "option_anchors", k.Name)
	require.Equal(t, "INT", k.Contexts.String())
	_, ok = LookupFeature(100)
	require.False(t, ok)
	seen := map[FeatureBit]bool{}
	for _, k := range KnownFeatures() {
		require.True(t, k.Bit.IsRequired(), k.Name)
		require.False(t, seen[k.Bit], "duplicate %s", k.Name)
		seen[k.Bit] = true
		for _, d := range k.DependsOn {
			_, ok := LookupFeature(d)
			require.True(t, ok, "%s depends on unknown %d", k.Name, d)
		}
	}
}

func TestFeatureValidation(t *testing.T) {
	// What lnd sends in init (see the interop issue): valid.
	lnd := NewFeatureVector(0, 5, 7, 8, 12, 14, 17, 23, 25, 27, 31, 35, 39, 44, 2023)
	require.NoError(t, lnd.Validate(ContextInit))

	// Unknown required bit.
	err := NewFeatureVector(12, 100).Validate(ContextInit)
	require.ErrorIs(t, err, ErrUnknownRequiredFeature)
	var fe *FeatureError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, []FeatureBit{100}, fe.Bits)
	require.Equal(t, []FeatureBit{100}, NewFeatureVector(100, 101, 103).UnknownRequired())

	// zeroconf without scid_alias.
	err = NewFeatureVector(FeatureZeroConf.Optional()).Validate(ContextInit)
	require.ErrorIs(t, err, ErrFeatureDependency)
	require.True(t, errors.As(err, &fe))
	require.Equal(t, FeatureSCIDAlias, fe.Missing)
	require.Contains(t, err.Error(), "option_scid_alias")
	require.NoError(t, NewFeatureVector(FeatureZeroConf.Optional(), FeatureSCIDAlias).Validate(ContextInit))

	// simple_close needs shutdown_anysegwit.
	require.ErrorIs(t, NewFeatureVector(FeatureSimpleClose).ValidateDependencies(), ErrFeatureDependency)
	// basic_mpp depends on payment_secret, which BOLT 9 now assumes.
	require.NoError(t, NewFeatureVector(FeatureBasicMPP.Optional()).ValidateDependencies())

	// Context: payment_metadata is invoice-only; scid_alias is not for invoices.
	require.ErrorIs(t, NewFeatureVector(FeaturePaymentMetadata.Optional()).Validate(ContextInit), ErrFeatureContext)
	require.NoError(t, NewFeatureVector(FeaturePaymentMetadata.Optional(), FeatureVarOnionOptin).Validate(ContextInvoice))
	require.ErrorIs(t, NewFeatureVector(FeatureSCIDAlias).Validate(ContextInvoice), ErrFeatureContext)
	require.NoError(t, NewFeatureVector(FeatureAnchorsZeroFeeHTLCTx, FeatureStaticRemoteKey).Validate(ContextChannelType))
	require.ErrorIs(t, NewFeatureVector(FeatureBasicMPP).Validate(ContextChannelType), ErrFeatureContext)
}

// FuzzFeatureVector checks that the bit operations agree with each other on
// arbitrary vectors and never panic.
func FuzzFeatureVector(f *testing.F) {
	f.Add([]byte{0x02, 0x10, 0x01})
	f.Add([]byte{})
	f.Add([]byte{0x00, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		fv := FeatureVector(b)
		rebuilt := NewFeatureVector(fv.Bits()...)
		if !rebuilt.Equal(fv) {
			t.Fatalf("Bits/NewFeatureVector disagree: %x vs %x", b, []byte(rebuilt))
		}
		for _, bit := range fv.Bits() {
			if !fv.IsSet(bit) {
				t.Fatalf("bit %d listed but not set", bit)
			}
		}
		_ = fv.Validate(ContextInit)
		_ = fv.String()
	})
}

// TestFeatureBitsAbove65535 sets bit 65536 alone: it must not wrap onto
// bit 0 (option_data_loss_protect), and, being even and unknown, it must
// be refused.
func TestFeatureBitsAbove65535(t *testing.T) {
	f := make(FeatureVector, 8193)
	f[0] = 1 // bit 65536
	if bits := f.Bits(); len(bits) != 0 {
		t.Fatalf("Bits() = %v, want none nameable", bits)
	}
	if f.HasFeature(FeatureDataLossProtect) {
		t.Fatal("bit 65536 read as option_data_loss_protect")
	}
	if unk := f.UnknownRequired(); len(unk) != 1 || unk[0] != 65534 {
		t.Fatalf("UnknownRequired() = %v", unk)
	}
	if err := f.Validate(ContextInit); !errors.Is(err, ErrUnknownRequiredFeature) {
		t.Fatalf("Validate: %v", err)
	}
	f[0] = 2 // bit 65537: odd, ignorable
	if unk := f.UnknownRequired(); len(unk) != 0 {
		t.Fatalf("odd high bit: UnknownRequired() = %v", unk)
	}
	if s := f.String(); s != "[ (and bits above 65535)]" {
		t.Fatalf("String() = %q", s)
	}
}
