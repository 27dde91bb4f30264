package invoice

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// signedWith returns the encoding of inv with extra fields appended,
// signed by a fresh key, so that readers see fields a writer would not
// produce.
func signedWith(t *testing.T, extras ...TaggedField) string {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	inv := randInvoice(t, r)
	inv.ExtraFields = extras
	s, err := inv.Encode(context.Background(), NewKeySigner(randKey(r)))
	require.NoError(t, err)
	return s
}

func TestReaderRules(t *testing.T) {
	words52 := make([]byte, 52)
	for name, tc := range map[string]struct {
		s    string
		want error
	}{
		"d and h":                {signedWith(t, TaggedField{Type: TagDescription, Data: []byte{}}, TaggedField{Type: TagDescriptionHash, Data: words52}), ErrDescriptionAndHash},
		"repeated field skipped": {signedWith(t, TaggedField{Type: TagMetadata, Data: []byte{}}, TaggedField{Type: TagMetadata, Data: []byte{1}}), nil},
		"bad route hint":         {signedWith(t, TaggedField{Type: TagRouteHint, Data: []byte{}}), ErrInvalidRouteHint},
		"bad fallback":           {signedWith(t, TaggedField{Type: TagFallback, Data: []byte{17, 0, 0}}), ErrInvalidFallback},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(tc.s)
			if tc.want == nil {
				// A repeated field is skipped, not interpreted.
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	// Missing p, missing d/h: built below the signature, with a valid
	// checksum; the reader fails before it looks at the signature.
	build := func(fields ...byte) string {
		return hostileString("lnbc", len("lnbc")+1+timestampWords+len(fields)+signatureWords+6, func(w []byte) []byte {
			w = append(w, make([]byte, timestampWords)...)
			return append(w, fields...)
		})
	}
	secret := append([]byte{TagPaymentSecret, 1, 20}, words52...)
	hash := append([]byte{TagPaymentHash, 1, 20}, words52...)
	desc := []byte{TagDescription, 0, 0}
	_, err := Decode(build(append(append([]byte{}, secret...), desc...)...))
	require.ErrorIs(t, err, ErrMissingPaymentHash)
	_, err = Decode(build(append(append([]byte{}, secret...), hash...)...))
	require.ErrorIs(t, err, ErrMissingDescription)
	_, err = Decode(build(append(append(append([]byte{}, secret...), hash...), TagMetadata, 0, 1, 1)...))
	require.ErrorIs(t, err, ErrInvalidPadding)
}

func TestSignerMismatch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	inv := randInvoice(t, r)
	inv.Destination = randKey(r).PubKey()
	_, err := inv.Encode(context.Background(), NewKeySigner(randKey(r)))
	require.ErrorIs(t, err, ErrSignerMismatch)
}

// A signature that verifies against another key than n is rejected.
func TestWrongNodeID(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	inv := randInvoice(t, r)
	inv.ExplicitDestination = true
	require.NoError(t, inv.Sign(context.Background(), NewKeySigner(randKey(r))))
	inv.Destination = randKey(r).PubKey() // n now names someone else
	_, err := Decode(inv.String())
	require.ErrorIs(t, err, ErrInvalidSignature)
	require.NotErrorIs(t, err, ErrHighS)
}
