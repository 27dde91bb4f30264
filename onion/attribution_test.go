package onion

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

// attributionVector is testdata/attribution-test.json: the BOLT 4 test
// vector for attributable failures and hold times (see its comment for
// the source).
type attributionVector struct {
	SessionKey string `json:"session_key"`
	Hops       []struct {
		PubKey   string `json:"pubkey"`
		HoldTime uint32 `json:"hold_time"`
	} `json:"hops"`
	Failure struct {
		Source                int    `json:"source"`
		HTLCMsat              uint64 `json:"htlc_msat"`
		Height                uint32 `json:"height"`
		TLVType               uint64 `json:"tlv_type"`
		TLVValue              string `json:"tlv_value"`
		MinPadded             int    `json:"min_padded"`
		EncodedFailureMessage string `json:"encoded_failure_message"`
		SharedSecret          string `json:"shared_secret"`
		Payload               string `json:"payload"`
		UmKey                 string `json:"um_key"`
		RawErrorPacket        string `json:"raw_error_packet"`
	} `json:"failure"`
	ReturningError []struct {
		Node            int    `json:"node"`
		SharedSecret    string `json:"shared_secret"`
		AmmagKey        string `json:"ammag_key"`
		Stream          string `json:"stream"`
		ErrorPacket     string `json:"error_packet"`
		AttributionData string `json:"attribution_data"`
	} `json:"returning_error"`
	ReturningSuccess []struct {
		Node            int    `json:"node"`
		AttributionData string `json:"attribution_data"`
	} `json:"returning_success"`
}

func loadAttributionVector(t testing.TB) (*attributionVector, SharedSecrets, []time.Duration) {
	t.Helper()
	var v attributionVector
	testutil.LoadJSON(t, "attribution-test.json", &v)
	var hops []Hop
	for _, h := range v.Hops {
		hops = append(hops, Hop{PubKey: testutil.PubKey(t, h.PubKey)})
	}
	// The text lists htlc_hold_time[i] beside pubkey[i], but its trace
	// (and the attribution data it prints) applies them in the order the
	// failure travels: the erring node 4 reports htlc_hold_time[0] = 1
	// and node 0 reports 5. The byte values win, so hop i's hold time is
	// htlc_hold_time[4-i].
	holds := make([]time.Duration, len(v.Hops))
	for i, h := range v.Hops {
		holds[len(holds)-1-i] = time.Duration(h.HoldTime) * HoldTimeUnit
	}
	sk, err := parseScalar(testutil.Hex(t, v.SessionKey))
	if err != nil {
		t.Fatal(err)
	}
	_, secrets, err := computeSharedSecrets(&sk, hops)
	if err != nil {
		t.Fatal(err)
	}
	return &v, secrets, holds
}

func checkHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if g := hex.EncodeToString(got); g != want {
		t.Fatalf("%s\n got %s\nwant %s", what, g, want)
	}
}

// TestAttributionVectorFailure replays the spec's "Returning Errors" trace
// with attribution data: every intermediate value (shared secrets, keys,
// the encoded failure, payload, raw packet, each hop's stream, error packet
// and attribution data) must match byte for byte, and the origin must find
// node 4 with every hold time.
func TestAttributionVectorFailure(t *testing.T) {
	v, secrets, holds := loadAttributionVector(t)
	f := v.Failure
	src := f.Source
	checkHex(t, "erring node shared secret", secrets[src][:], f.SharedSecret)
	um := generateKey(keyTypeUm, &secrets[src])
	checkHex(t, "um key", um[:], f.UmKey)

	// The failure the text describes, built with this package's encoder.
	rest := wire.AppendBigSize(nil, f.TLVType)
	tlvValue := testutil.Hex(t, f.TLVValue)
	rest = wire.AppendBigSize(rest, uint64(len(tlvValue)))
	rest = append(rest, tlvValue...)
	msg := &FailureMessage{
		Code:       CodeIncorrectOrUnknownPaymentDetails,
		HTLCAmount: wire.MilliSatoshi(f.HTLCMsat),
		Height:     f.Height,
		Rest:       rest,
	}
	enc, err := msg.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The vector pads failure_len + pad_len to 1024 (NewFailure pads to
	// the 256 the spec's writer rules ask for; both are "at least 256").
	reason, err := newFailureRaw(&secrets[src], enc, f.MinPadded)
	if err != nil {
		t.Fatal(err)
	}
	raw := bytes.Clone(reason)
	ObfuscateFailure(secrets[src], raw)
	checkHex(t, "raw error packet", raw, f.RawErrorPacket)
	checkHex(t, "payload", raw[HMACSize:], f.Payload)
	// The text's encoded_failure_message runs from the failure code to
	// the end of the padding.
	checkHex(t, "encoded failure message", raw[HMACSize+2:], f.EncodedFailureMessage)

	var ad *wire.AttributionData
	pkt := raw
	for k, hop := range v.ReturningError {
		n := hop.Node
		if n != src-k {
			t.Fatalf("vector hop order: %d at %d", n, k)
		}
		checkHex(t, "shared secret", secrets[n][:], hop.SharedSecret)
		ammag := generateKey(keyTypeAmmag, &secrets[n])
		checkHex(t, "ammag key", ammag[:], hop.AmmagKey)
		stream := make([]byte, len(pkt))
		keyStream(&ammag, stream)
		checkHex(t, "stream", stream, hop.Stream)
		// The erring node starts from no attribution data and covers
		// the plaintext; each forwarding hop covers what it received.
		ad = ObfuscateAttributedFailure(secrets[n], holds[n], pkt, ad)
		if k == 0 && !bytes.Equal(pkt, reason) {
			t.Fatal("the erring node's packet differs from newFailureRaw's")
		}
		checkHex(t, "error packet for node "+string(rune('0'+n)), pkt, hop.ErrorPacket)
		checkHex(t, "attribution data for node "+string(rune('0'+n)), ad[:], hop.AttributionData)
	}

	d, attr, err := secrets.DecryptAttributedFailure(pkt, ad)
	if err != nil {
		t.Fatal(err)
	}
	if d.SourceIndex != src || d.Code != CodeIncorrectOrUnknownPaymentDetails || d.MessageErr != nil {
		t.Fatalf("decrypted %+v", d)
	}
	if d.Message.HTLCAmount != 100 || d.Message.Height != 800000 || !bytes.Equal(d.Message.Rest, rest) {
		t.Fatalf("decrypted message %+v", d.Message)
	}
	if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds) {
		t.Fatalf("attribution %+v, want hold times %v", attr, holds)
	}
}

// TestAttributionVectorSuccess replays "Returning success": the
// attribution data each node sends with update_fulfill_htlc, and the hold
// times the origin reads from it.
func TestAttributionVectorSuccess(t *testing.T) {
	v, secrets, holds := loadAttributionVector(t)
	var ad *wire.AttributionData
	for k, hop := range v.ReturningSuccess {
		n := hop.Node
		if n != len(secrets)-1-k {
			t.Fatalf("vector hop order: %d at %d", n, k)
		}
		ad = AddFulfillAttribution(secrets[n], holds[n], ad)
		checkHex(t, "attribution data for node "+string(rune('0'+n)), ad[:], hop.AttributionData)
	}
	attr := secrets.VerifyFulfillAttribution(ad)
	if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds) {
		t.Fatalf("attribution %+v, want hold times %v", attr, holds)
	}
	// The failure's attribution data does not pass for a fulfill, nor
	// the other way round: the HMACs cover the failure packet.
	final := testutil.Hex(t, v.ReturningError[len(v.ReturningError)-1].AttributionData)
	var fad wire.AttributionData
	copy(fad[:], final)
	if attr := secrets.VerifyFulfillAttribution(&fad); attr.FirstInvalid != 0 {
		t.Fatalf("failure attribution verified as a fulfill: %+v", attr)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// attrRoute is a route with the secrets each hop holds (the sender's,
// which TestOnionVector shows equal the hops' own).
func attrRoute(t testing.TB, rng *rand.ChaCha8, n int) SharedSecrets {
	t.Helper()
	hops := make([]Hop, n)
	for i := range hops {
		var b [32]byte
		rng.Read(b[:])
		b[0] &= 0x7f
		b[31] |= 1
		_, pub := btcec.PrivKeyFromBytes(b[:])
		hops[i] = Hop{PubKey: pub, Payload: []byte{2, 1, 1}}
	}
	_, secrets, err := NewPacket(rng, hops, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secrets
}

func randomHolds(r *rand.Rand, n int) []time.Duration {
	h := make([]time.Duration, n)
	for i := range h {
		h[i] = time.Duration(r.IntN(100000)) * HoldTimeUnit
	}
	return h
}

// returnFailure sends a failure from hop src back to the origin with
// attribution data, letting tamper change things at each hop.
func returnFailure(t testing.TB, secrets SharedSecrets, holds []time.Duration, src int, msg *FailureMessage,
	tamper func(hop int, stage string, reason []byte, ad *wire.AttributionData) *wire.AttributionData) ([]byte, *wire.AttributionData) {
	t.Helper()
	if tamper == nil {
		tamper = func(_ int, _ string, _ []byte, ad *wire.AttributionData) *wire.AttributionData { return ad }
	}
	reason, ad, err := NewAttributedFailure(secrets[src], msg, holds[src])
	if err != nil {
		t.Fatal(err)
	}
	ad = tamper(src, "sent", reason, ad)
	for i := src - 1; i >= 0; i-- {
		ad = tamper(i, "received", reason, ad)
		ad = ObfuscateAttributedFailure(secrets[i], holds[i], reason, ad)
		ad = tamper(i, "sent", reason, ad)
	}
	return reason, ad
}

// TestAttributionRoundTrip returns failures from every position and
// fulfills over random routes of 1 to 20 hops: the origin finds the
// source and every hold time up to it.
func TestAttributionRoundTrip(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{21})
	r := rand.New(rng)
	for n := 1; n <= AttributionMaxHops; n++ {
		secrets := attrRoute(t, rng, n)
		holds := randomHolds(r, n)
		for src := 0; src < n; src++ {
			msg := sampleFailure(AllFailureCodes[r.IntN(len(AllFailureCodes))])
			reason, ad := returnFailure(t, secrets, holds, src, msg, nil)
			d, attr, err := secrets.DecryptAttributedFailure(reason, ad)
			if err != nil || d.SourceIndex != src || d.Code != msg.Code {
				t.Fatalf("n=%d src=%d: %+v %v", n, src, d, err)
			}
			if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds[:src+1]) {
				t.Fatalf("n=%d src=%d: attribution %+v want %v", n, src, attr, holds[:src+1])
			}
		}
		var ad *wire.AttributionData
		for i := n - 1; i >= 0; i-- {
			ad = AddFulfillAttribution(secrets[i], holds[i], ad)
		}
		attr := secrets.VerifyFulfillAttribution(ad)
		if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds) {
			t.Fatalf("n=%d fulfill: %+v want %v", n, attr, holds)
		}
	}
}

// TestAttributionLongRoute: on routes longer than 20 hops the first 20
// hops are attributed; the failure itself still decrypts from any hop.
func TestAttributionLongRoute(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{22})
	r := rand.New(rng)
	for _, n := range []int{21, 27} {
		secrets := attrRoute(t, rng, n)
		holds := randomHolds(r, n)
		for _, src := range []int{0, 19, 20, n - 1} {
			reason, ad := returnFailure(t, secrets, holds, src, &FailureMessage{Code: CodeTemporaryNodeFailure}, nil)
			d, attr, err := secrets.DecryptAttributedFailure(reason, ad)
			if err != nil || d.SourceIndex != src {
				t.Fatalf("n=%d src=%d: %+v %v", n, src, d, err)
			}
			want := holds[:min(src+1, AttributionMaxHops)]
			if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, want) {
				t.Fatalf("n=%d src=%d: %+v want %v", n, src, attr, want)
			}
		}
		var ad *wire.AttributionData
		for i := n - 1; i >= 0; i-- {
			ad = AddFulfillAttribution(secrets[i], holds[i], ad)
		}
		if attr := secrets.VerifyFulfillAttribution(ad); attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds[:AttributionMaxHops]) {
			t.Fatalf("n=%d fulfill: %+v", n, attr)
		}
	}
}

// TestAttributionTamper: a hop that changes the failure or the attribution
// data is blamed, together with at most its neighbour, as the spec says
// ("blame is only assignable to a pair of nodes"). Changing what it
// received before adding its own HMACs makes its downstream neighbour's
// HMAC fail (pair k, k+1); changing what it sends makes its own fail
// (pair k-1, k).
func TestAttributionTamper(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{23})
	r := rand.New(rng)
	const n = 7
	secrets := attrRoute(t, rng, n)
	holds := randomHolds(r, n)
	// hmacAt is the offset of the HMAC the origin checks for hop h, in
	// the data as hop k holds it: block h-k, and, since each shift drops
	// a block's first entry, the same column as hop k's own.
	hmacAt := func(k, h int) int {
		return attrHMACOffset(h-k, AttributionMaxHops-1-(n-1-k))
	}
	type tamperCase struct {
		name  string
		stage string
		// edit changes the reason or the attribution data at hop k.
		edit func(k int, reason []byte, ad *wire.AttributionData)
		// blamed is the expected FirstInvalid given the tampering hop
		// (-1: the change touches nothing the origin checks).
		blamed func(k int) int
		// garbled says the failure itself no longer decrypts.
		garbled bool
	}
	cases := []tamperCase{
		{"reason after sending", "sent", func(_ int, reason []byte, _ *wire.AttributionData) { reason[40] ^= 1 },
			func(k int) int { return k }, true},
		{"reason before adding", "received", func(_ int, reason []byte, _ *wire.AttributionData) { reason[100] ^= 0x80 },
			func(k int) int { return k + 1 }, true},
		{"own hold time", "sent", func(_ int, _ []byte, ad *wire.AttributionData) { ad[2] ^= 4 },
			func(k int) int { return k }, false},
		{"downstream hold time", "received", func(_ int, _ []byte, ad *wire.AttributionData) { ad[1] ^= 1 },
			func(k int) int { return k + 1 }, false},
		{"own hmac", "sent", func(k int, _ []byte, ad *wire.AttributionData) { ad[hmacAt(k, k)] ^= 1 },
			func(k int) int { return k }, false},
		{"downstream hmac", "received", func(k int, _ []byte, ad *wire.AttributionData) { ad[hmacAt(k+1, k+1)+3] ^= 0x40 },
			func(k int) int { return k + 1 }, false},
		{"farther downstream hmac", "sent", func(k int, _ []byte, ad *wire.AttributionData) {
			if k+2 < n {
				ad[hmacAt(k, k+2)] ^= 8
			} else {
				ad[2] ^= 4 // no hop that far: fall back to its hold time
			}
		}, func(k int) int { return k }, false},
		{"hmac for a distance the route cannot have", "sent", func(_ int, _ []byte, ad *wire.AttributionData) {
			ad[attrHMACOffset(0, 0)] ^= 1 // hop k's HMAC for distance 19
		}, func(int) int { return -1 }, false},
	}
	const src = n - 1
	for _, tc := range cases {
		for k := 0; k <= src; k++ {
			if tc.stage == "received" && k == src {
				continue // the erring node receives nothing
			}
			reason, ad := returnFailure(t, secrets, holds, src, &FailureMessage{Code: CodeTemporaryChannelFailure},
				func(hop int, stage string, reason []byte, ad *wire.AttributionData) *wire.AttributionData {
					if hop == k && stage == tc.stage {
						tc.edit(k, reason, ad)
					}
					return ad
				})
			d, attr, err := secrets.DecryptAttributedFailure(reason, ad)
			if tc.garbled {
				if !errors.Is(err, ErrFailureGarbled) {
					t.Fatalf("%s at hop %d: want a garbled failure, got %+v %v", tc.name, k, d, err)
				}
			} else if err != nil || d.SourceIndex != src {
				t.Fatalf("%s at hop %d: failure %+v %v", tc.name, k, d, err)
			}
			want := tc.blamed(k)
			if attr.FirstInvalid != want {
				t.Fatalf("%s at hop %d: FirstInvalid %d, want %d", tc.name, k, attr.FirstInvalid, want)
			}
			wantHolds := holds[:src+1]
			if want >= 0 {
				wantHolds = holds[:want]
			}
			if !equalDurations(attr.HoldTimes, wantHolds) {
				t.Fatalf("%s at hop %d: hold times %v, want %v", tc.name, k, attr.HoldTimes, wantHolds)
			}
		}
	}
	// The same for fulfills: hop k changes its own HMAC as it sends it,
	// or its downstream neighbour's as it receives it.
	for k := 0; k < n; k++ {
		for _, received := range []bool{false, true} {
			if received && k == n-1 {
				continue
			}
			var ad *wire.AttributionData
			for i := n - 1; i >= 0; i-- {
				if received && i == k {
					ad[hmacAt(k+1, k+1)] ^= 1
				}
				ad = AddFulfillAttribution(secrets[i], holds[i], ad)
				if !received && i == k {
					ad[hmacAt(k, k)+2] ^= 1
				}
			}
			want := k
			if received {
				want = k + 1
			}
			if attr := secrets.VerifyFulfillAttribution(ad); attr.FirstInvalid != want || !equalDurations(attr.HoldTimes, holds[:want]) {
				t.Fatalf("fulfill tampered at hop %d (received %v): %+v, want %d", k, received, attr, want)
			}
		}
	}
}

// TestAttributionUnsupportedHop: a hop that sends no attribution data
// (it does not support it) leaves its upstream neighbour to start from
// zeros; the origin gets hold times up to that neighbour and blames the
// pair around the non-supporting hop.
func TestAttributionUnsupportedHop(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{24})
	r := rand.New(rng)
	const n = 6
	secrets := attrRoute(t, rng, n)
	holds := randomHolds(r, n)
	for k := 0; k < n; k++ {
		reason, ad := returnFailure(t, secrets, holds, n-1, &FailureMessage{Code: CodeTemporaryNodeFailure},
			func(hop int, stage string, _ []byte, ad *wire.AttributionData) *wire.AttributionData {
				if hop == k && stage == "sent" {
					return nil
				}
				return ad
			})
		d, attr, err := secrets.DecryptAttributedFailure(reason, ad)
		if err != nil || d.SourceIndex != n-1 {
			t.Fatalf("hop %d: %+v %v", k, d, err)
		}
		if attr.FirstInvalid != k || !equalDurations(attr.HoldTimes, holds[:k]) {
			t.Fatalf("hop %d unsupported: %+v", k, attr)
		}
	}
	if attr := secrets.VerifyFulfillAttribution(nil); attr.FirstInvalid != 0 || len(attr.HoldTimes) != 0 {
		t.Fatalf("no attribution data: %+v", attr)
	}
}

// TestAttributionShiftInverse checks that the origin's unshift undoes a
// hop's shift everywhere except the entries the shift drops.
func TestAttributionShiftInverse(t *testing.T) {
	var a wire.AttributionData
	rand.NewChaCha8([32]byte{25}).Read(a[:])
	b := a
	shiftAttribution(&b)
	unshiftAttribution(&b)
	dropped := map[int]bool{}
	for i := attrHoldTimesLen - 4; i < attrHoldTimesLen; i++ {
		dropped[i] = true
	}
	for j := 0; j < AttributionMaxHops; j++ {
		off := attrHMACOffset(j, 0)
		for i := off; i < off+attrHMACSize; i++ {
			dropped[i] = true
		}
	}
	for i := range a {
		if dropped[i] {
			if b[i] != 0 {
				t.Fatalf("byte %d: dropped entry not zeroed", i)
			}
		} else if a[i] != b[i] {
			t.Fatalf("byte %d differs after shift and unshift", i)
		}
	}
}

func TestHoldTimeUnits(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want uint32
	}{
		{-time.Second, 0},
		{0, 0},
		{99 * time.Millisecond, 0},
		{100 * time.Millisecond, 1},
		{350 * time.Millisecond, 3},
		{time.Hour, 36000},
		{time.Duration(math.MaxInt64), math.MaxUint32},
	} {
		if got := holdTimeUnits(c.d); got != c.want {
			t.Fatalf("%v: %d, want %d", c.d, got, c.want)
		}
	}
}

// TestAttributionHMACsPlain checks the HMACs computed with a saved hash
// state against the plain construction (also the fallback path), and that
// against the stdlib HMAC.
func TestAttributionHMACsPlain(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{26})
	var ss [32]byte
	rng.Read(ss[:])
	for _, size := range []int{0, 1, 292, 1060} {
		pkt := make([]byte, size)
		rng.Read(pkt)
		var ad wire.AttributionData
		rng.Read(ad[:])
		fast, plain := ad, ad
		writeAttributionHMACs(&ss, pkt, &fast)
		um := generateKey(keyTypeUm, &ss)
		writeAttributionHMACsPlain(&um, pkt, &plain)
		if fast != plain {
			t.Fatalf("packet of %d bytes: saved-state HMACs differ from the plain ones", size)
		}
		for y := 0; y < AttributionMaxHops; y++ {
			m := append(bytes.Clone(pkt), fast[:4*y+4]...)
			m = gatherDownstream(m, &fast, y)
			mac := stdHMAC(um[:], m)
			off := attrHMACOffset(0, AttributionMaxHops-1-y)
			if !bytes.Equal(mac[:attrHMACSize], fast[off:off+attrHMACSize]) {
				t.Fatalf("packet of %d bytes, distance %d: HMAC differs from crypto/hmac", size, y)
			}
		}
	}
}
