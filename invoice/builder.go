package invoice

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/wire"
)

// Builder assembles and signs a new invoice. Setters record the first error
// they meet and Build reports it, so calls can be chained:
//
//	inv, err := invoice.NewBuilder(&chaincfg.MainNetParams).
//		PaymentHash(hash).Amount(250_000_000).Description("1 cup coffee").
//		Expiry(time.Minute).Build(ctx, signer)
//
// Build fills what a writer must include and the caller left out: the
// timestamp (from the clock), a random payment secret (from the random
// source), the features var_onion_optin and payment_secret (both required,
// as in the BOLT 11 examples) and, since a writer SHOULD include one, a c
// field of DefaultMinFinalCLTVExpiryDelta. A Builder is not safe for
// concurrent use.
type Builder struct {
	inv     Invoice
	hashSet bool
	secSet  bool
	rand    io.Reader
	now     func() time.Time
	err     error
}

// NewBuilder starts an invoice for the given network.
func NewBuilder(net *chaincfg.Params) *Builder {
	return &Builder{inv: Invoice{Network: net}, rand: rand.Reader, now: time.Now}
}

func (b *Builder) fail(err error) *Builder {
	if b.err == nil {
		b.err = err
	}
	return b
}

// Rand sets the source of the payment secret (default crypto/rand).
func (b *Builder) Rand(r io.Reader) *Builder { b.rand = r; return b }

// Clock sets the clock used for the timestamp (default time.Now).
func (b *Builder) Clock(now func() time.Time) *Builder { b.now = now; return b }

// PaymentHash sets the payment hash (required).
func (b *Builder) PaymentHash(h wire.PaymentHash) *Builder {
	b.inv.PaymentHash, b.hashSet = h, true
	return b
}

// PaymentPreimage sets the payment hash to the SHA256 of preimage.
func (b *Builder) PaymentPreimage(preimage wire.Preimage) *Builder {
	return b.PaymentHash(preimage.Hash())
}

// PaymentSecret sets the payment secret instead of drawing a random one.
func (b *Builder) PaymentSecret(s [32]byte) *Builder {
	b.inv.PaymentSecret, b.secSet = s, true
	return b
}

// Amount sets the amount requested; without it the invoice is for any
// amount. It must be positive.
func (b *Builder) Amount(m wire.MilliSatoshi) *Builder {
	if m == 0 {
		return b.fail(errf(ErrInvalidAmount, "zero amount; leave the amount out for any amount"))
	}
	b.inv.Amount = &m
	return b
}

// Description sets the d field. It replaces a description hash.
func (b *Builder) Description(d string) *Builder {
	b.inv.Description, b.inv.DescriptionHash = &d, nil
	return b
}

// DescriptionHash sets the h field, the SHA256 of a description given
// elsewhere. It replaces a description.
func (b *Builder) DescriptionHash(h [32]byte) *Builder {
	b.inv.Description, b.inv.DescriptionHash = nil, &h
	return b
}

// Timestamp sets the creation time instead of reading the clock.
func (b *Builder) Timestamp(t time.Time) *Builder { b.inv.Timestamp = t; return b }

// Expiry sets the x field, in whole seconds.
func (b *Builder) Expiry(d time.Duration) *Builder {
	if d < 0 || d%time.Second != 0 {
		return b.fail(errf(ErrInvalidField, "expiry %v is not a whole, non-negative number of seconds", d))
	}
	b.inv.Expiry = &d
	return b
}

// MinFinalCLTVExpiryDelta sets the c field.
func (b *Builder) MinFinalCLTVExpiryDelta(delta uint64) *Builder {
	b.inv.MinFinalCLTV = &delta
	return b
}

// Fallback adds an on-chain fallback address (P2PKH, P2SH, P2WPKH, P2WSH or
// P2TR of the invoice's network), most preferred first.
func (b *Builder) Fallback(addr btcutil.Address) *Builder {
	if _, _, err := fallbackProgram(b.inv.Network, addr); err != nil {
		return b.fail(err)
	}
	b.inv.Fallbacks = append(b.inv.Fallbacks, addr)
	return b
}

// RouteHint adds a private route (an r field), most preferred first.
func (b *Builder) RouteHint(hops ...HopHint) *Builder {
	b.inv.RouteHints = append(b.inv.RouteHints, append(RouteHint(nil), hops...))
	return b
}

// Features sets the 9 field, replacing the default features.
func (b *Builder) Features(f wire.FeatureVector) *Builder {
	b.inv.Features = f.Minimal()
	return b
}

// Metadata sets the m field (payment_metadata).
func (b *Builder) Metadata(m []byte) *Builder {
	b.inv.Metadata = append([]byte{}, m...)
	return b
}

// ExplicitDestination makes the invoice carry the payee's node id in an n
// field, so readers verify the signature instead of recovering the key.
func (b *Builder) ExplicitDestination() *Builder {
	b.inv.ExplicitDestination = true
	return b
}

// Build fills the defaults, validates the invoice and signs it with signer.
// It returns a new Invoice on every call; String gives its encoding.
func (b *Builder) Build(ctx context.Context, signer Signer) (*Invoice, error) {
	if b.err != nil {
		return nil, b.err
	}
	if !b.hashSet {
		return nil, errf(ErrMissingPaymentHash, "BOLT 11: a writer MUST include exactly one p field")
	}
	inv := b.inv
	inv.Fallbacks = append([]btcutil.Address(nil), b.inv.Fallbacks...)
	inv.RouteHints = append([]RouteHint(nil), b.inv.RouteHints...)
	if inv.Timestamp.IsZero() {
		inv.Timestamp = b.now()
	}
	if !b.secSet {
		if _, err := io.ReadFull(b.rand, inv.PaymentSecret[:]); err != nil {
			return nil, fmt.Errorf("invoice: reading a random payment secret: %w", err)
		}
	}
	if inv.Features == nil {
		inv.Features = wire.NewFeatureVector(wire.FeatureVarOnionOptin, wire.FeaturePaymentSecret)
	}
	if inv.MinFinalCLTV == nil {
		d := uint64(DefaultMinFinalCLTVExpiryDelta)
		inv.MinFinalCLTV = &d
	}
	if err := inv.Sign(ctx, signer); err != nil {
		return nil, err
	}
	return &inv, nil
}
