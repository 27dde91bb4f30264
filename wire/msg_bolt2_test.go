package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/stretchr/testify/require"
)

// The random generator leaves optional slices nil, so present-but-empty
// records (an upfront_shutdown_script or channel_type of length 0) would
// almost never be generated. These fixups make them common.
func init() {
	emptyOpening := func(script **[]byte, ct **FeatureVector) func(rng *rand.Rand) {
		return func(rng *rand.Rand) {
			if rng.Intn(4) == 0 {
				var s []byte
				*script = &s
			}
			if rng.Intn(4) == 0 {
				var f FeatureVector
				*ct = &f
			}
		}
	}
	msgFixups[MsgOpenChannel] = func(rng *rand.Rand, m Message) {
		x := m.(*OpenChannel)
		emptyOpening(&x.UpfrontShutdownScript, &x.ChannelType)(rng)
	}
	msgFixups[MsgAcceptChannel] = func(rng *rand.Rand, m Message) {
		x := m.(*AcceptChannel)
		emptyOpening(&x.UpfrontShutdownScript, &x.ChannelType)(rng)
	}
	msgFixups[MsgOpenChannel2] = func(rng *rand.Rand, m Message) {
		x := m.(*OpenChannel2)
		emptyOpening(&x.UpfrontShutdownScript, &x.ChannelType)(rng)
	}
	msgFixups[MsgAcceptChannel2] = func(rng *rand.Rand, m Message) {
		x := m.(*AcceptChannel2)
		emptyOpening(&x.UpfrontShutdownScript, &x.ChannelType)(rng)
	}
	// A realistic commitment_signed: several HTLC signatures.
	msgFixups[MsgCommitmentSigned] = func(rng *rand.Rand, m Message) {
		x := m.(*CommitmentSigned)
		if rng.Intn(2) == 0 {
			x.HTLCSignatures = make([]Signature, 1+rng.Intn(30))
			for i := range x.HTLCSignatures {
				x.HTLCSignatures[i] = randomSignature(rng)
			}
		}
	}
}

// Hex fixtures for hand-built layouts: three valid points (G, 2G, 3G) and
// a signature whose r and s are below the group order.
const (
	hexG    = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	hex2G   = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	hex3G   = "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
	hexSigA = "1111111111111111111111111111111111111111111111111111111111111111" +
		"2222222222222222222222222222222222222222222222222222222222222222"
	hexSigB = "3333333333333333333333333333333333333333333333333333333333333333" +
		"4444444444444444444444444444444444444444444444444444444444444444"
)

// rep repeats a hex byte n times.
func rep(b string, n int) string { return strings.Repeat(b, n) }

func hexPoint(t testing.TB, s string) Point {
	var p Point
	copy(p[:], testutil.Hex(t, s))
	require.NoError(t, p.Validate())
	return p
}

func hexSig(t testing.TB, s string) Signature {
	var sig Signature
	copy(sig[:], testutil.Hex(t, s))
	return sig
}

func fill32(b byte) [32]byte {
	var a [32]byte
	for i := range a {
		a[i] = b
	}
	return a
}

// checkLayout encodes m, compares the bytes with want (type included),
// decodes want and compares the value with m.
func checkLayout(t *testing.T, m Message, want string) {
	t.Helper()
	wantB := testutil.Hex(t, want)
	got, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(wantB), hex.EncodeToString(got))
	back, err := DecodeMessage(wantB)
	require.NoError(t, err)
	require.Equal(t, m, back)
}

func testKeys(t testing.TB) ChannelKeys {
	return ChannelKeys{
		FundingKey:              hexPoint(t, hexG),
		RevocationBasepoint:     hexPoint(t, hex2G),
		PaymentBasepoint:        hexPoint(t, hex3G),
		DelayedPaymentBasepoint: hexPoint(t, hexG),
		HTLCBasepoint:           hexPoint(t, hex2G),
		FirstPerCommitmentPoint: hexPoint(t, hex3G),
	}
}

const hexKeys = hexG + hex2G + hex3G + hexG + hex2G + hex3G

// TestEstablishmentV1Layout checks open_channel, accept_channel,
// funding_created, funding_signed and channel_ready against bytes built
// from the BOLT 2 field tables.
func TestEstablishmentV1Layout(t *testing.T) {
	empty := []byte{}
	ct := FeatureVector{0x10, 0x00} // option_static_remotekey, bit 12
	open := &OpenChannel{
		ChainHash:             RegtestChainHash,
		TemporaryChannelID:    ChannelID(fill32(0xaa)),
		FundingAmount:         1_000_000,
		PushAmount:            1000,
		DustLimit:             354,
		MaxHTLCValueInFlight:  990_000_000,
		ChannelReserve:        10_000,
		HTLCMinimum:           1,
		FeeRate:               253,
		ToSelfDelay:           144,
		MaxAcceptedHTLCs:      483,
		Keys:                  testKeys(t),
		ChannelFlags:          ChannelFlagAnnounceChannel,
		UpfrontShutdownScript: &empty,
		ChannelType:           &ct,
		Extra:                 ExtraTLVs{{Type: 3, Value: []byte{0xff}}},
	}
	// Decoding gives a pointer to a nil slice for a zero-length script.
	var none []byte
	open.UpfrontShutdownScript = &none
	checkLayout(t, open, "0020"+
		"06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f"+ // chain_hash (regtest)
		rep("aa", 32)+ // temporary_channel_id
		"00000000000f4240"+ // funding_satoshis 1000000
		"00000000000003e8"+ // push_msat 1000
		"0000000000000162"+ // dust_limit_satoshis 354
		"000000003b023380"+ // max_htlc_value_in_flight_msat 990000000
		"0000000000002710"+ // channel_reserve_satoshis 10000
		"0000000000000001"+ // htlc_minimum_msat 1
		"000000fd"+ // feerate_per_kw 253
		"0090"+ // to_self_delay 144
		"01e3"+ // max_accepted_htlcs 483
		hexKeys+
		"01"+ // channel_flags: announce_channel
		"0000"+ // upfront_shutdown_script, zero length
		"01021000"+ // channel_type
		"0301ff") // unknown odd record

	script := testutil.Hex(t, "0014"+rep("ab", 20))
	accept := &AcceptChannel{
		TemporaryChannelID:    ChannelID(fill32(0xaa)),
		DustLimit:             546,
		MaxHTLCValueInFlight:  5_000_000_000,
		ChannelReserve:        10_000,
		HTLCMinimum:           1000,
		MinimumDepth:          3,
		ToSelfDelay:           720,
		MaxAcceptedHTLCs:      30,
		Keys:                  testKeys(t),
		UpfrontShutdownScript: &script,
		ChannelType:           &ct,
	}
	checkLayout(t, accept, "0021"+
		rep("aa", 32)+
		"0000000000000222"+ // dust_limit_satoshis 546
		"000000012a05f200"+ // max_htlc_value_in_flight_msat 5e9
		"0000000000002710"+
		"00000000000003e8"+ // htlc_minimum_msat 1000
		"00000003"+ // minimum_depth
		"02d0"+ // to_self_delay 720
		"001e"+ // max_accepted_htlcs 30
		hexKeys+
		"0016"+"0014"+rep("ab", 20)+ // upfront_shutdown_script, 22 bytes
		"01021000")

	checkLayout(t, &FundingCreated{
		TemporaryChannelID: ChannelID(fill32(0xaa)),
		FundingTxID:        chainhash.Hash(fill32(0x5f)),
		FundingOutputIndex: 1,
		Signature:          hexSig(t, hexSigA),
	}, "0022"+rep("aa", 32)+rep("5f", 32)+"0001"+hexSigA)

	checkLayout(t, &FundingSigned{
		ChannelID: ChannelID(fill32(0xcc)),
		Signature: hexSig(t, hexSigB),
	}, "0023"+rep("cc", 32)+hexSigB)

	alias := ShortChannelID{BlockHeight: 0x123456, TxIndex: 0x789abc, OutputIndex: 0xdef0}
	checkLayout(t, &ChannelReady{
		ChannelID:                ChannelID(fill32(0xcc)),
		SecondPerCommitmentPoint: hexPoint(t, hex2G),
		Alias:                    &alias,
	}, "0024"+rep("cc", 32)+hex2G+"01"+"08"+"123456789abcdef0")
}

// TestEstablishmentV2Layout checks open_channel2, accept_channel2 and the
// interactive-tx and splice messages against hand-built bytes.
func TestEstablishmentV2Layout(t *testing.T) {
	ct := FeatureVector{0x40, 0x10, 0x00} // option_anchors (22) + static_remotekey (12)
	checkLayout(t, &OpenChannel2{
		ChainHash:                RegtestChainHash,
		TemporaryChannelID:       ChannelID(fill32(0xaa)),
		FundingFeeRate:           2500,
		CommitmentFeeRate:        253,
		FundingAmount:            2_000_000,
		DustLimit:                354,
		MaxHTLCValueInFlight:     1_000_000_000,
		HTLCMinimum:              1,
		ToSelfDelay:              144,
		MaxAcceptedHTLCs:         483,
		LockTime:                 850_000,
		Keys:                     testKeys(t),
		SecondPerCommitmentPoint: hexPoint(t, hexG),
		ChannelFlags:             0,
		ChannelType:              &ct,
		RequireConfirmedInputs:   true,
	}, "0040"+
		"06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f"+
		rep("aa", 32)+
		"000009c4"+ // funding_feerate_perkw 2500
		"000000fd"+ // commitment_feerate_perkw 253
		"00000000001e8480"+ // funding_satoshis 2000000
		"0000000000000162"+
		"000000003b9aca00"+ // max_htlc_value_in_flight_msat 1e9
		"0000000000000001"+
		"0090"+"01e3"+
		"000cf850"+ // locktime 850000
		hexKeys+hexG+ // ... and second_per_commitment_point
		"00"+ // channel_flags
		"0103401000"+ // channel_type
		"0200") // require_confirmed_inputs

	checkLayout(t, &AcceptChannel2{
		TemporaryChannelID:       ChannelID(fill32(0xaa)),
		FundingAmount:            0,
		DustLimit:                354,
		MaxHTLCValueInFlight:     1_000_000_000,
		HTLCMinimum:              1,
		MinimumDepth:             6,
		ToSelfDelay:              144,
		MaxAcceptedHTLCs:         483,
		Keys:                     testKeys(t),
		SecondPerCommitmentPoint: hexPoint(t, hexG),
	}, "0041"+rep("aa", 32)+"0000000000000000"+"0000000000000162"+"000000003b9aca00"+
		"0000000000000001"+"00000006"+"0090"+"01e3"+hexKeys+hexG)

	txid := chainhash.Hash(fill32(0x77))
	checkLayout(t, &TxAddInput{
		ChannelID:       ChannelID(fill32(0xcc)),
		SerialID:        2,
		PrevTxVout:      1,
		Sequence:        0xfffffffd,
		SharedInputTxID: &txid,
	}, "0042"+rep("cc", 32)+"0000000000000002"+"0000"+"00000001"+"fffffffd"+"0020"+rep("77", 32))

	checkLayout(t, &TxAddOutput{
		ChannelID: ChannelID(fill32(0xcc)),
		SerialID:  5,
		Amount:    100_000,
		Script:    testutil.Hex(t, "0014"+rep("ab", 20)),
	}, "0043"+rep("cc", 32)+"0000000000000005"+"00000000000186a0"+"0016"+"0014"+rep("ab", 20))

	checkLayout(t, &TxRemoveInput{ChannelID: ChannelID(fill32(0xcc)), SerialID: 7},
		"0044"+rep("cc", 32)+"0000000000000007")
	checkLayout(t, &TxRemoveOutput{ChannelID: ChannelID(fill32(0xcc)), SerialID: 9},
		"0045"+rep("cc", 32)+"0000000000000009")
	checkLayout(t, &TxComplete{ChannelID: ChannelID(fill32(0xcc))}, "0046"+rep("cc", 32))

	sig := hexSig(t, hexSigA)
	checkLayout(t, &TxSignatures{
		ChannelID:            ChannelID(fill32(0xcc)),
		TxID:                 txid,
		Witnesses:            [][]byte{testutil.Hex(t, "0201aa02bbcc"), testutil.Hex(t, "00")},
		SharedInputSignature: &sig,
	}, "0047"+rep("cc", 32)+rep("77", 32)+
		"0002"+ // num_witnesses
		"0006"+"0201aa02bbcc"+ // two elements: aa, bbcc
		"0001"+"00"+ // an empty stack
		"0040"+hexSigA) // shared_input_signature

	minus := btcutil.Amount(-50_000)
	checkLayout(t, &TxInitRBF{
		ChannelID:                 ChannelID(fill32(0xcc)),
		LockTime:                  850_001,
		FeeRate:                   2604,
		FundingOutputContribution: &minus,
		RequireConfirmedInputs:    true,
	}, "0048"+rep("cc", 32)+"000cf851"+"00000a2c"+"0008"+"ffffffffffff3cb0"+"0200")

	plus := btcutil.Amount(70_000)
	checkLayout(t, &TxAckRBF{ChannelID: ChannelID(fill32(0xcc)), FundingOutputContribution: &plus},
		"0049"+rep("cc", 32)+"0008"+"0000000000011170")

	checkLayout(t, &TxAbort{ChannelID: ChannelID(fill32(0xcc)), Data: []byte("no")},
		"004a"+rep("cc", 32)+"0002"+"6e6f")

	checkLayout(t, &SpliceLocked{ChannelID: ChannelID(fill32(0xcc)), SpliceTxID: txid},
		"004d"+rep("cc", 32)+rep("77", 32))

	checkLayout(t, &SpliceInit{
		ChannelID:              ChannelID(fill32(0xcc)),
		FundingContribution:    -100_000,
		FundingFeeRate:         1000,
		LockTime:               0,
		FundingKey:             hexPoint(t, hex3G),
		RequireConfirmedInputs: true,
	}, "0050"+rep("cc", 32)+"fffffffffffe7960"+"000003e8"+"00000000"+hex3G+"0200")

	checkLayout(t, &SpliceAck{
		ChannelID:           ChannelID(fill32(0xcc)),
		FundingContribution: 0,
		FundingKey:          hexPoint(t, hex2G),
	}, "0051"+rep("cc", 32)+"0000000000000000"+hex2G)
}

// TestCloseLayout checks shutdown, closing_signed, closing_complete and
// closing_sig against hand-built bytes.
func TestCloseLayout(t *testing.T) {
	script := "0014" + rep("ab", 20)
	checkLayout(t, &Shutdown{ChannelID: ChannelID(fill32(0xcc)), ScriptPubKey: testutil.Hex(t, script)},
		"0026"+rep("cc", 32)+"0016"+script)

	checkLayout(t, &ClosingSigned{
		ChannelID: ChannelID(fill32(0xcc)),
		Fee:       700,
		Signature: hexSig(t, hexSigA),
		FeeRange:  &FeeRange{Min: 500, Max: 1500},
	}, "0027"+rep("cc", 32)+"00000000000002bc"+hexSigA+"01"+"10"+"00000000000001f4"+"00000000000005dc")

	a, b := hexSig(t, hexSigA), hexSig(t, hexSigB)
	closer, closee := testutil.Hex(t, script), testutil.Hex(t, "0020"+rep("cd", 32))
	checkLayout(t, &ClosingComplete{
		ChannelID:    ChannelID(fill32(0xcc)),
		CloserScript: closer,
		CloseeScript: closee,
		Fee:          1000,
		LockTime:     850_000,
		Sigs:         ClosingSigs{CloserOutputOnly: &a, CloserAndCloseeOutputs: &b},
	}, "0028"+rep("cc", 32)+"0016"+script+"0022"+"0020"+rep("cd", 32)+
		"00000000000003e8"+"000cf850"+
		"0140"+hexSigA+ // closer_output_only
		"0340"+hexSigB) // closer_and_closee_outputs

	checkLayout(t, &ClosingSig{
		ChannelID:    ChannelID(fill32(0xcc)),
		CloserScript: closer,
		CloseeScript: closee,
		Fee:          1000,
		LockTime:     850_000,
		Sigs:         ClosingSigs{CloseeOutputOnly: &b},
	}, "0029"+rep("cc", 32)+"0016"+script+"0022"+"0020"+rep("cd", 32)+
		"00000000000003e8"+"000cf850"+"0240"+hexSigB)
}

// TestNormalOperationLayout checks the update, commitment and revocation
// messages against hand-built bytes.
func TestNormalOperationLayout(t *testing.T) {
	var ad AttributionData
	for i := 0; i < AttributionHoldTimes; i++ {
		ad.SetHoldTime(i, uint32(i+1))
	}
	for i := 0; i < AttributionHMACs; i++ {
		copy(ad.HMAC(i), []byte{byte(i), 0xa0, 0xb0, 0xc0})
	}
	var adHex strings.Builder
	for i := 0; i < 20; i++ {
		adHex.WriteString(hex.EncodeToString([]byte{0, 0, 0, byte(i + 1)}))
	}
	for i := 0; i < 210; i++ {
		adHex.WriteString(hex.EncodeToString([]byte{byte(i), 0xa0, 0xb0, 0xc0}))
	}
	require.Equal(t, uint32(7), ad.HoldTime(6))

	checkLayout(t, &UpdateFulfillHTLC{
		ChannelID:       ChannelID(fill32(0xcc)),
		ID:              3,
		PaymentPreimage: fill32(0x99),
		AttributionData: &ad,
	}, "0082"+rep("cc", 32)+"0000000000000003"+rep("99", 32)+
		"01"+"fd0398"+adHex.String()) // type 1, BigSize length 920

	checkLayout(t, &UpdateFailHTLC{
		ChannelID: ChannelID(fill32(0xcc)),
		ID:        4,
		Reason:    []byte{1, 2, 3},
	}, "0083"+rep("cc", 32)+"0000000000000004"+"0003"+"010203")

	checkLayout(t, &UpdateFailMalformedHTLC{
		ChannelID:   ChannelID(fill32(0xcc)),
		ID:          5,
		OnionSHA256: fill32(0x0e),
		FailureCode: 0xc005, // BADONION|PERM|5, invalid_onion_hmac
	}, "0087"+rep("cc", 32)+"0000000000000005"+rep("0e", 32)+"c005")

	bt := MsgCommitmentSigned
	checkLayout(t, &StartBatch{ChannelID: ChannelID(fill32(0xcc)), BatchSize: 3, BatchMessageType: &bt},
		"007f"+rep("cc", 32)+"0003"+"0102"+"0084")

	fund := chainhash.Hash(fill32(0x77))
	checkLayout(t, &CommitmentSigned{
		ChannelID:      ChannelID(fill32(0xcc)),
		Signature:      hexSig(t, hexSigA),
		HTLCSignatures: []Signature{hexSig(t, hexSigB), hexSig(t, hexSigA)},
		FundingTxID:    &fund,
	}, "0084"+rep("cc", 32)+hexSigA+"0002"+hexSigB+hexSigA+"0120"+rep("77", 32))

	checkLayout(t, &RevokeAndAck{
		ChannelID:              ChannelID(fill32(0xcc)),
		PerCommitmentSecret:    fill32(0x5e),
		NextPerCommitmentPoint: hexPoint(t, hexG),
	}, "0085"+rep("cc", 32)+rep("5e", 32)+hexG)

	checkLayout(t, &UpdateFee{ChannelID: ChannelID(fill32(0xcc)), FeeRate: 5000},
		"0086"+rep("cc", 32)+"00001388")
}

// TestReestablishLayout checks channel_reestablish and stfu against
// hand-built bytes.
func TestReestablishLayout(t *testing.T) {
	checkLayout(t, &ChannelReestablish{
		ChannelID:                   ChannelID(fill32(0xcc)),
		NextCommitmentNumber:        42,
		NextRevocationNumber:        41,
		YourLastPerCommitmentSecret: fill32(0x5e),
		MyCurrentPerCommitmentPoint: hexPoint(t, hex3G),
		NextFunding:                 &NextFunding{TxID: chainhash.Hash(fill32(0x77)), RetransmitFlags: RetransmitCommitmentSigned},
		MyCurrentFundingLocked:      &FundingLocked{TxID: chainhash.Hash(fill32(0x66)), RetransmitFlags: RetransmitAnnouncementSignatures},
	}, "0088"+rep("cc", 32)+"000000000000002a"+"0000000000000029"+rep("5e", 32)+hex3G+
		"01"+"21"+rep("77", 32)+"01"+ // next_funding
		"05"+"21"+rep("66", 32)+"01") // my_current_funding_locked

	checkLayout(t, &Stfu{ChannelID: ChannelID(fill32(0xcc)), Initiator: 1}, "0002"+rep("cc", 32)+"01")
}

// tlvCase decodes a message built from base (which must have no TLV
// records) with stream appended, and checks the outcome.
type tlvCase struct {
	name   string
	base   Message
	stream string
	err    error
	check  func(t *testing.T, m Message)
}

func runTLVCases(t *testing.T, cases []tlvCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, err := EncodeMessage(c.base)
			require.NoError(t, err)
			in := append(enc, testutil.Hex(t, c.stream)...)
			m, err := DecodeMessage(in)
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			if c.check != nil {
				c.check(t, m)
			}
			out, err := EncodeMessage(m)
			require.NoError(t, err)
			require.Equal(t, in, out)
		})
	}
}

// TestOpeningTLVs covers upfront_shutdown_script, channel_type and
// require_confirmed_inputs: absent, present, present but empty, wrong
// lengths, and the types each message does not define.
func TestOpeningTLVs(t *testing.T) {
	open := &OpenChannel{Keys: testKeys(t)}
	accept := &AcceptChannel{Keys: testKeys(t)}
	open2 := &OpenChannel2{Keys: testKeys(t), SecondPerCommitmentPoint: hexPoint(t, hexG)}
	accept2 := &AcceptChannel2{Keys: testKeys(t), SecondPerCommitmentPoint: hexPoint(t, hexG)}
	fields := func(m Message) (*[]byte, *FeatureVector, bool) {
		switch x := m.(type) {
		case *OpenChannel:
			return x.UpfrontShutdownScript, x.ChannelType, false
		case *AcceptChannel:
			return x.UpfrontShutdownScript, x.ChannelType, false
		case *OpenChannel2:
			return x.UpfrontShutdownScript, x.ChannelType, x.RequireConfirmedInputs
		case *AcceptChannel2:
			return x.UpfrontShutdownScript, x.ChannelType, x.RequireConfirmedInputs
		}
		panic("unexpected type")
	}
	var cases []tlvCase
	for _, base := range []Message{open, accept, open2, accept2} {
		v2 := base.MsgType() == MsgOpenChannel2 || base.MsgType() == MsgAcceptChannel2
		name := base.MsgType().String()
		cases = append(cases,
			tlvCase{name: name + "/absent", base: base, stream: "", check: func(t *testing.T, m Message) {
				s, ct, rci := fields(m)
				require.Nil(t, s)
				require.Nil(t, ct)
				require.False(t, rci)
			}},
			tlvCase{name: name + "/empty", base: base, stream: "0000" + "0100", check: func(t *testing.T, m Message) {
				s, ct, _ := fields(m)
				require.NotNil(t, s, "a zero-length script is present, not absent")
				require.Empty(t, *s)
				require.NotNil(t, ct)
				require.Empty(t, *ct)
			}},
			tlvCase{name: name + "/set", base: base, stream: "0003" + "6a0100" + "0102" + "1000", check: func(t *testing.T, m Message) {
				s, ct, _ := fields(m)
				require.Equal(t, []byte{0x6a, 0x01, 0x00}, *s)
				require.True(t, ct.IsSet(FeatureStaticRemoteKey))
			}},
			tlvCase{name: name + "/unknown odd kept", base: base, stream: "0100" + "0501ee"},
			tlvCase{name: name + "/unknown even", base: base, stream: "0601ee", err: ErrUnknownEvenTLV},
			tlvCase{name: name + "/out of order", base: base, stream: "0100" + "0000", err: ErrTLVOrder},
			tlvCase{name: name + "/past the end", base: base, stream: "0005" + "0014", err: ErrTLVLength},
		)
		if v2 {
			cases = append(cases,
				tlvCase{name: name + "/require_confirmed_inputs", base: base, stream: "0200", check: func(t *testing.T, m Message) {
					_, _, rci := fields(m)
					require.True(t, rci)
				}},
				tlvCase{name: name + "/require_confirmed_inputs with data", base: base, stream: "020101", err: ErrTLVValue},
			)
		} else {
			cases = append(cases, tlvCase{name: name + "/type 2 undefined in v1", base: base, stream: "0200", err: ErrUnknownEvenTLV})
		}
	}
	runTLVCases(t, cases)
}

// TestFixedSizeTLVs covers every other known BOLT 2 TLV: the right size
// decodes, one byte more or less is ErrTLVValue, and an unknown even type
// next to it is refused.
func TestFixedSizeTLVs(t *testing.T) {
	pt := hexPoint(t, hexG)
	type fixed struct {
		base  Message
		typ   string // hex BigSize type
		size  int
		fill  string // one hex byte repeated size times; must make a valid value
		check func(t *testing.T, m Message)
	}
	sigFill := "11"
	list := []fixed{
		{&ChannelReady{SecondPerCommitmentPoint: pt}, "01", 8, "0a", func(t *testing.T, m Message) {
			require.Equal(t, NewShortChannelIDFromUint64(0x0a0a0a0a0a0a0a0a), *m.(*ChannelReady).Alias)
		}},
		{&TxAddInput{}, "00", 32, "77", func(t *testing.T, m Message) {
			require.Equal(t, chainhash.Hash(fill32(0x77)), *m.(*TxAddInput).SharedInputTxID)
		}},
		{&TxSignatures{}, "00", 64, sigFill, func(t *testing.T, m Message) {
			require.NotNil(t, m.(*TxSignatures).SharedInputSignature)
		}},
		{&TxInitRBF{}, "00", 8, "ff", func(t *testing.T, m Message) {
			require.Equal(t, btcutil.Amount(-1), *m.(*TxInitRBF).FundingOutputContribution)
		}},
		{&TxAckRBF{}, "00", 8, "00", func(t *testing.T, m Message) {
			require.Equal(t, btcutil.Amount(0), *m.(*TxAckRBF).FundingOutputContribution)
		}},
		{&ClosingSigned{}, "01", 16, "00", func(t *testing.T, m Message) {
			fr := m.(*ClosingSigned).FeeRange
			require.Equal(t, FeeRange{}, *fr)
		}},
		{&ClosingComplete{}, "01", 64, sigFill, func(t *testing.T, m Message) {
			require.NotNil(t, m.(*ClosingComplete).Sigs.CloserOutputOnly)
		}},
		{&ClosingComplete{}, "02", 64, sigFill, func(t *testing.T, m Message) {
			require.NotNil(t, m.(*ClosingComplete).Sigs.CloseeOutputOnly)
		}},
		{&ClosingSig{}, "03", 64, sigFill, func(t *testing.T, m Message) {
			require.NotNil(t, m.(*ClosingSig).Sigs.CloserAndCloseeOutputs)
		}},
		{&UpdateFulfillHTLC{}, "01", AttributionDataSize, "3c", func(t *testing.T, m Message) {
			require.Equal(t, uint32(0x3c3c3c3c), m.(*UpdateFulfillHTLC).AttributionData.HoldTime(19))
		}},
		{&UpdateFailHTLC{}, "01", AttributionDataSize, "3c", func(t *testing.T, m Message) {
			require.Equal(t, []byte{0x3c, 0x3c, 0x3c, 0x3c}, m.(*UpdateFailHTLC).AttributionData.HMAC(209))
		}},
		{&StartBatch{}, "01", 2, "00", func(t *testing.T, m Message) {
			require.Equal(t, MessageType(0), *m.(*StartBatch).BatchMessageType)
		}},
		{&CommitmentSigned{}, "01", 32, "77", func(t *testing.T, m Message) {
			require.Equal(t, chainhash.Hash(fill32(0x77)), *m.(*CommitmentSigned).FundingTxID)
		}},
		{&ChannelReestablish{MyCurrentPerCommitmentPoint: pt}, "01", 33, "77", func(t *testing.T, m Message) {
			nf := m.(*ChannelReestablish).NextFunding
			require.Equal(t, uint8(0x77), nf.RetransmitFlags)
		}},
		{&ChannelReestablish{MyCurrentPerCommitmentPoint: pt}, "05", 33, "01", func(t *testing.T, m Message) {
			fl := m.(*ChannelReestablish).MyCurrentFundingLocked
			require.Equal(t, chainhash.Hash(fill32(0x01)), fl.TxID)
			require.Equal(t, RetransmitAnnouncementSignatures, fl.RetransmitFlags)
		}},
	}
	lenHex := func(n int) string { return hex.EncodeToString(AppendBigSize(nil, uint64(n))) }
	var cases []tlvCase
	for _, f := range list {
		name := f.base.MsgType().String() + "/type " + f.typ
		cases = append(cases,
			tlvCase{name: name + "/absent", base: f.base, stream: ""},
			tlvCase{name: name + "/present", base: f.base, stream: f.typ + lenHex(f.size) + rep(f.fill, f.size), check: f.check},
			tlvCase{name: name + "/short", base: f.base, stream: f.typ + lenHex(f.size-1) + rep(f.fill, f.size-1), err: ErrTLVValue},
			tlvCase{name: name + "/long", base: f.base, stream: f.typ + lenHex(f.size+1) + rep(f.fill, f.size+1), err: ErrTLVValue},
			tlvCase{name: name + "/unknown even after", base: f.base, stream: f.typ + lenHex(f.size) + rep(f.fill, f.size) + "fd0400" + "00", err: ErrUnknownEvenTLV},
			tlvCase{name: name + "/unknown odd after", base: f.base, stream: f.typ + lenHex(f.size) + rep(f.fill, f.size) + "fd0401" + "00", check: func(t *testing.T, m Message) {
				f.check(t, m)
				extra := reflect.ValueOf(m).Elem().FieldByName("Extra").Interface().(ExtraTLVs)
				require.Equal(t, ExtraTLVs{{Type: 0x401}}, extra)
			}},
		)
	}
	// Signatures in TLVs are range-checked like fixed fields.
	for _, f := range []struct {
		base Message
		typ  string
	}{{&TxSignatures{}, "00"}, {&ClosingComplete{}, "01"}, {&ClosingSig{}, "02"}} {
		cases = append(cases, tlvCase{
			name: f.base.MsgType().String() + "/type " + f.typ + "/signature out of range",
			base: f.base, stream: f.typ + "40" + rep("ff", 64), err: ErrInvalidSignature,
		})
	}
	// Messages with no known TLVs apply the parity rule to their whole
	// extension.
	for _, base := range []Message{
		&FundingCreated{}, &FundingSigned{}, &TxAddOutput{}, &TxRemoveInput{}, &TxRemoveOutput{},
		&TxComplete{}, &TxAbort{}, &SpliceLocked{}, &Shutdown{}, &UpdateFailMalformedHTLC{},
		&RevokeAndAck{NextPerCommitmentPoint: pt}, &UpdateFee{}, &Stfu{},
		&SpliceInit{FundingKey: pt}, &SpliceAck{FundingKey: pt},
	} {
		name := base.MsgType().String()
		cases = append(cases,
			tlvCase{name: name + "/odd kept", base: base, stream: "0100" + "ff0000000100000001" + "03aabbcc"},
			tlvCase{name: name + "/even refused", base: base, stream: "0001ff", err: ErrUnknownEvenTLV},
		)
	}
	runTLVCases(t, cases)
}

// TestCommitmentSignedLengths checks num_htlcs against the bytes present.
func TestCommitmentSignedLengths(t *testing.T) {
	base := "0084" + rep("cc", 32) + hexSigA
	_, err := DecodeMessage(testutil.Hex(t, base+"ffff"+hexSigB))
	require.ErrorIs(t, err, ErrTruncated)
	_, err = DecodeMessage(testutil.Hex(t, base+"0002"+hexSigB))
	require.ErrorIs(t, err, ErrTruncated)
	// An HTLC signature out of range is refused like the main one.
	_, err = DecodeMessage(testutil.Hex(t, base+"0001"+rep("ff", 64)))
	require.ErrorIs(t, err, ErrInvalidSignature)
	m, err := DecodeMessage(testutil.Hex(t, base+"0000"))
	require.NoError(t, err)
	require.Nil(t, m.(*CommitmentSigned).HTLCSignatures)

	// The fast range check on HTLC signatures agrees with the full one at
	// the boundary: n-1 is accepted, n refused, in r and in s.
	const nHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
	const nMinus1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
	m, err = DecodeMessage(testutil.Hex(t, base+"0002"+nMinus1+nMinus1+hexSigB))
	require.NoError(t, err)
	require.Len(t, m.(*CommitmentSigned).HTLCSignatures, 2)
	_, err = DecodeMessage(testutil.Hex(t, base+"0001"+nHex+rep("01", 32)))
	require.ErrorIs(t, err, ErrInvalidSignature)
	_, err = DecodeMessage(testutil.Hex(t, base+"0001"+rep("01", 32)+nHex))
	require.ErrorIs(t, err, ErrInvalidSignature)

	// funding_txid shares the signatures' allocation; appending to the
	// signatures must not overwrite it.
	m, err = DecodeMessage(testutil.Hex(t, base+"0001"+hexSigB+"0120"+rep("77", 32)))
	require.NoError(t, err)
	cs := m.(*CommitmentSigned)
	grown := append(cs.HTLCSignatures, hexSig(t, hexSigA))
	require.Len(t, grown, 2)
	require.Equal(t, chainhash.Hash(fill32(0x77)), *cs.FundingTxID)
	require.Equal(t, []Signature{hexSig(t, hexSigB)}, cs.HTLCSignatures)

	// Encoding refuses more signatures than num_htlcs can count.
	_, err = EncodeMessage(&CommitmentSigned{HTLCSignatures: make([]Signature, 0x10000)})
	require.ErrorIs(t, err, ErrFieldTooLong)
}

// TestTxSignaturesLengths checks num_witnesses against the bytes present.
func TestTxSignaturesLengths(t *testing.T) {
	base := "0047" + rep("cc", 32) + rep("77", 32)
	_, err := DecodeMessage(testutil.Hex(t, base+"ffff"+"0000"))
	require.ErrorIs(t, err, ErrTruncated)
	_, err = DecodeMessage(testutil.Hex(t, base+"0001"+"0005"+"0101"))
	require.ErrorIs(t, err, ErrTruncated)
	m, err := DecodeMessage(testutil.Hex(t, base+"0001"+"0000"))
	require.NoError(t, err)
	require.Equal(t, [][]byte{nil}, m.(*TxSignatures).Witnesses)
}

// TestReestablishIgnoresBadPoint: BOLT 2 says the receiver MUST ignore
// my_current_per_commitment_point, so an invalid one does not fail the
// message (unlike every other point in this package).
func TestReestablishIgnoresBadPoint(t *testing.T) {
	in := testutil.Hex(t, "0088"+rep("cc", 32)+rep("00", 8)+rep("00", 8)+rep("00", 32)+rep("00", 33))
	m, err := DecodeMessage(in)
	require.NoError(t, err)
	r := m.(*ChannelReestablish)
	require.Error(t, r.MyCurrentPerCommitmentPoint.Validate())
	out, err := EncodeMessage(m)
	require.NoError(t, err)
	require.Equal(t, in, out)

	// Points elsewhere are validated.
	_, err = DecodeMessage(testutil.Hex(t, "0085"+rep("cc", 32)+rep("5e", 32)+rep("00", 33)))
	require.ErrorIs(t, err, ErrInvalidPoint)
}

// TestBolt2Helpers covers the small accessors.
func TestBolt2Helpers(t *testing.T) {
	require.True(t, ChannelFlags(1).AnnounceChannel())
	require.False(t, ChannelFlags(2).AnnounceChannel())
	require.True(t, (&Stfu{Initiator: 1}).IsInitiator())
	require.False(t, (&Stfu{}).IsInitiator())
	require.Equal(t, 920, AttributionDataSize)
	for _, typ := range []MessageType{
		MsgOpenChannel, MsgAcceptChannel, MsgFundingCreated, MsgFundingSigned, MsgChannelReady,
		MsgOpenChannel2, MsgAcceptChannel2, MsgTxAddInput, MsgTxAddOutput, MsgTxRemoveInput,
		MsgTxRemoveOutput, MsgTxComplete, MsgTxSignatures, MsgTxInitRBF, MsgTxAckRBF, MsgTxAbort,
		MsgSpliceInit, MsgSpliceAck, MsgSpliceLocked, MsgShutdown, MsgClosingSigned,
		MsgClosingComplete, MsgClosingSig, MsgUpdateFulfillHTLC, MsgUpdateFailHTLC,
		MsgUpdateFailMalformedHTLC, MsgStartBatch, MsgCommitmentSigned, MsgRevokeAndAck,
		MsgUpdateFee, MsgChannelReestablish, MsgStfu,
	} {
		m := NewMessage(typ)
		require.NotNil(t, m, "type %d is not registered", typ)
		require.Equal(t, typ, m.MsgType())
		require.False(t, strings.HasPrefix(typ.String(), "unknown"))
	}
}

// TestWitnessEncoding round-trips witness stacks through EncodeWitness and
// ParseWitness and checks malformed encodings.
func TestWitnessEncoding(t *testing.T) {
	for _, w := range []btcwire.TxWitness{
		{},
		{{}},
		{{0x30, 0x44}, bytes.Repeat([]byte{0x02}, 33)},
		{bytes.Repeat([]byte{0xab}, 300)},
	} {
		enc := EncodeWitness(w)
		got, err := ParseWitness(enc)
		require.NoError(t, err)
		require.Equal(t, len(w), len(got))
		for i := range w {
			require.True(t, bytes.Equal(w[i], got[i]))
		}
	}
	require.Equal(t, testutil.Hex(t, "0201aa02bbcc"), EncodeWitness(btcwire.TxWitness{{0xaa}, {0xbb, 0xcc}}))
	for name, in := range map[string]string{
		"empty input":        "",
		"count past the end": "05" + "00",
		"element too long":   "01" + "05" + "aabb",
		"trailing bytes":     "01" + "01" + "aa" + "00",
		"non-canonical size": "fd0100" + "00",
		"huge count":         "ffffffffffffffffff",
	} {
		_, err := ParseWitness(testutil.Hex(t, in))
		require.ErrorIs(t, err, ErrInvalidField, name)
	}
}

// FuzzParseWitness checks that ParseWitness never panics and that what it
// accepts encodes back to the same bytes.
func FuzzParseWitness(f *testing.F) {
	f.Add([]byte{0x02, 0x01, 0xaa, 0x02, 0xbb, 0xcc})
	f.Add([]byte{0x00})
	f.Add([]byte{0xfd, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		w, err := ParseWitness(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidField) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if out := EncodeWitness(w); !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs\n in: %x\nout: %x", in, out)
		}
	})
}

// TestBolt2AppendNoAlloc checks that encoding the hot messages into a
// buffer with room does not allocate.
func TestBolt2AppendNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, typ := range []MessageType{MsgCommitmentSigned, MsgUpdateFulfillHTLC, MsgUpdateFailHTLC,
		MsgRevokeAndAck, MsgChannelReestablish, MsgClosingSigned, MsgTxInitRBF, MsgChannelReady, MsgStartBatch} {
		m := randomMessage(rng, typ)
		buf := make([]byte, 0, 8192)
		allocs := testing.AllocsPerRun(50, func() {
			var err error
			if buf, err = AppendMessage(buf[:0], m); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "%s allocates when encoding", typ)
	}
}
