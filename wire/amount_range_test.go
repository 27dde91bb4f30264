package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/stretchr/testify/require"
)

// The s64 amounts may be negative: give them a random sign in the random
// messages of the round-trip tests.
func init() {
	negate := func(rng *rand.Rand, a *btcutil.Amount) {
		if a != nil && rng.Intn(2) == 0 {
			*a = -*a
		}
	}
	msgFixups[MsgSpliceInit] = func(rng *rand.Rand, m Message) { negate(rng, &m.(*SpliceInit).FundingContribution) }
	msgFixups[MsgSpliceAck] = func(rng *rand.Rand, m Message) { negate(rng, &m.(*SpliceAck).FundingContribution) }
	msgFixups[MsgTxInitRBF] = func(rng *rand.Rand, m Message) { negate(rng, m.(*TxInitRBF).FundingOutputContribution) }
	msgFixups[MsgTxAckRBF] = func(rng *rand.Rand, m Message) { negate(rng, m.(*TxAckRBF).FundingOutputContribution) }
}

// satField is one satoshi field of one message, for the range tests.
type satField struct {
	name   string                        // the spec's field name
	base   func() Message                // a valid message
	field  func(Message) *btcutil.Amount // the field in a message of base's type
	signed bool                          // s64 rather than u64
}

// satFields lists every satoshi amount a BOLT 2 message carries.
func satFields(t *testing.T) []satField {
	keys := testKeys(t)
	pt := hexPoint(t, hexG)
	feeRange := func(min bool) func(Message) *btcutil.Amount {
		return func(m Message) *btcutil.Amount {
			fr := m.(*ClosingSigned).FeeRange
			if min {
				return &fr.Min
			}
			return &fr.Max
		}
	}
	contrib := func(m Message) *btcutil.Amount {
		switch x := m.(type) {
		case *TxInitRBF:
			return x.FundingOutputContribution
		case *TxAckRBF:
			return x.FundingOutputContribution
		}
		panic("unexpected type")
	}
	one := func() *btcutil.Amount { a := btcutil.Amount(1); return &a }
	return []satField{
		{"funding_satoshis", func() Message { return &OpenChannel{Keys: keys} },
			func(m Message) *btcutil.Amount { return &m.(*OpenChannel).FundingAmount }, false},
		{"dust_limit_satoshis", func() Message { return &OpenChannel{Keys: keys} },
			func(m Message) *btcutil.Amount { return &m.(*OpenChannel).DustLimit }, false},
		{"channel_reserve_satoshis", func() Message { return &OpenChannel{Keys: keys} },
			func(m Message) *btcutil.Amount { return &m.(*OpenChannel).ChannelReserve }, false},
		{"dust_limit_satoshis", func() Message { return &AcceptChannel{Keys: keys} },
			func(m Message) *btcutil.Amount { return &m.(*AcceptChannel).DustLimit }, false},
		{"channel_reserve_satoshis", func() Message { return &AcceptChannel{Keys: keys} },
			func(m Message) *btcutil.Amount { return &m.(*AcceptChannel).ChannelReserve }, false},
		{"funding_satoshis", func() Message { return &OpenChannel2{Keys: keys, SecondPerCommitmentPoint: pt} },
			func(m Message) *btcutil.Amount { return &m.(*OpenChannel2).FundingAmount }, false},
		{"dust_limit_satoshis", func() Message { return &OpenChannel2{Keys: keys, SecondPerCommitmentPoint: pt} },
			func(m Message) *btcutil.Amount { return &m.(*OpenChannel2).DustLimit }, false},
		{"funding_satoshis", func() Message { return &AcceptChannel2{Keys: keys, SecondPerCommitmentPoint: pt} },
			func(m Message) *btcutil.Amount { return &m.(*AcceptChannel2).FundingAmount }, false},
		{"dust_limit_satoshis", func() Message { return &AcceptChannel2{Keys: keys, SecondPerCommitmentPoint: pt} },
			func(m Message) *btcutil.Amount { return &m.(*AcceptChannel2).DustLimit }, false},
		{"sats", func() Message { return &TxAddOutput{Script: []byte{0x51}} },
			func(m Message) *btcutil.Amount { return &m.(*TxAddOutput).Amount }, false},
		{"fee_satoshis", func() Message { return &ClosingSigned{FeeRange: &FeeRange{Min: 1, Max: 2}} },
			func(m Message) *btcutil.Amount { return &m.(*ClosingSigned).Fee }, false},
		{"min_fee_satoshis", func() Message { return &ClosingSigned{Fee: 3, FeeRange: &FeeRange{Min: 1, Max: 2}} },
			feeRange(true), false},
		{"max_fee_satoshis", func() Message { return &ClosingSigned{Fee: 3, FeeRange: &FeeRange{Min: 1, Max: 2}} },
			feeRange(false), false},
		{"fee_satoshis", func() Message { return &ClosingComplete{} },
			func(m Message) *btcutil.Amount { return &m.(*ClosingComplete).Fee }, false},
		{"fee_satoshis", func() Message { return &ClosingSig{} },
			func(m Message) *btcutil.Amount { return &m.(*ClosingSig).Fee }, false},
		{"funding_contribution_satoshis", func() Message { return &SpliceInit{FundingKey: pt} },
			func(m Message) *btcutil.Amount { return &m.(*SpliceInit).FundingContribution }, true},
		{"funding_contribution_satoshis", func() Message { return &SpliceAck{FundingKey: pt} },
			func(m Message) *btcutil.Amount { return &m.(*SpliceAck).FundingContribution }, true},
		{"funding_output_contribution", func() Message { return &TxInitRBF{FundingOutputContribution: one()} },
			contrib, true},
		{"funding_output_contribution", func() Message { return &TxAckRBF{FundingOutputContribution: one()} },
			contrib, true},
	}
}

// marker is a value within the supply whose 8 bytes occur nowhere else in
// the test messages, so that a field's offset can be found in an encoding.
const marker = btcutil.Amount(0x0005a55ac33c9669)

// encodeWith encodes f's base message with the field set to v, bypassing
// the encoder's range check: it encodes marker and then writes v's 8 bytes
// over it. It returns the bytes and the field's offset.
func encodeWith(t *testing.T, f satField, v uint64) ([]byte, int) {
	t.Helper()
	m := f.base()
	*f.field(m) = marker
	enc, err := EncodeMessage(m)
	require.NoError(t, err)
	var pat [8]byte
	binary.BigEndian.PutUint64(pat[:], uint64(marker))
	require.Equal(t, 1, bytes.Count(enc, pat[:]), "marker must occur once")
	off := bytes.Index(enc, pat[:])
	binary.BigEndian.PutUint64(enc[off:], v)
	return enc, off
}

// TestAmountRangeDecode feeds every satoshi field values around the
// bitcoin supply. Values outside it fail with an *AmountError naming the
// field (a u64 of 2^63+5 used to decode to a negative btcutil.Amount);
// the bounds themselves decode and encode back to the same bytes.
func TestAmountRangeDecode(t *testing.T) {
	const maxSat = uint64(btcutil.MaxSatoshi)
	neg := func(a int64) uint64 { return uint64(a) }
	for _, f := range satFields(t) {
		typ := f.base().MsgType()
		name := typ.String() + "/" + f.name
		t.Run(name, func(t *testing.T) {
			var refused, accepted []uint64
			if f.signed {
				refused = []uint64{1<<63 + 5, maxSat + 1, neg(-btcutil.MaxSatoshi - 1),
					neg(math.MinInt64), math.MaxInt64}
				accepted = []uint64{0, 1, maxSat, neg(-btcutil.MaxSatoshi), neg(-1)}
			} else {
				refused = []uint64{1<<63 + 5, maxSat + 1, math.MaxUint64, 1 << 63}
				accepted = []uint64{0, 1, maxSat}
			}
			for _, v := range refused {
				enc, _ := encodeWith(t, f, v)
				m, err := DecodeMessage(enc)
				require.Nil(t, m, "value %d", v)
				require.ErrorIs(t, err, ErrAmountRange, "value %d", v)
				var ae *AmountError
				require.True(t, errors.As(err, &ae), "value %d: %v", v, err)
				require.Equal(t, &AmountError{Field: f.name, Value: v, Signed: f.signed}, ae)
				var me *MessageError
				require.True(t, errors.As(err, &me))
				require.Equal(t, typ, me.Type)
				require.Contains(t, err.Error(), f.name)
			}
			for _, v := range accepted {
				enc, _ := encodeWith(t, f, v)
				m, err := DecodeMessage(enc)
				require.NoError(t, err, "value %d", v)
				require.Equal(t, btcutil.Amount(int64(v)), *f.field(m))
				if !f.signed {
					require.GreaterOrEqual(t, *f.field(m), btcutil.Amount(0))
				}
				again, err := EncodeMessage(m)
				require.NoError(t, err)
				require.Equal(t, enc, again)
			}
		})
	}
}

// TestAmountRangeEncode checks that encoders refuse amounts outside the
// supply instead of writing a u64 that wrapped around (-1 used to go out
// as 2^64-1), and leave the buffer as it was.
func TestAmountRangeEncode(t *testing.T) {
	for _, f := range satFields(t) {
		typ := f.base().MsgType()
		t.Run(typ.String()+"/"+f.name, func(t *testing.T) {
			var refused, accepted []btcutil.Amount
			if f.signed {
				refused = []btcutil.Amount{btcutil.MaxSatoshi + 1, -btcutil.MaxSatoshi - 1, math.MinInt64, math.MaxInt64}
				accepted = []btcutil.Amount{-btcutil.MaxSatoshi, -1, 0, btcutil.MaxSatoshi}
			} else {
				refused = []btcutil.Amount{-1, btcutil.MaxSatoshi + 1, math.MinInt64, math.MaxInt64}
				accepted = []btcutil.Amount{0, btcutil.MaxSatoshi}
			}
			prefix := []byte{0xaa, 0xbb}
			for _, a := range refused {
				m := f.base()
				*f.field(m) = a
				out, err := AppendMessage(prefix, m)
				require.ErrorIs(t, err, ErrAmountRange, "amount %d", a)
				require.Equal(t, prefix, out, "buffer unchanged")
				var ae *AmountError
				require.True(t, errors.As(err, &ae))
				require.Equal(t, &AmountError{Field: f.name, Value: uint64(a), Signed: f.signed}, ae)
			}
			for _, a := range accepted {
				m := f.base()
				*f.field(m) = a
				enc, err := EncodeMessage(m)
				require.NoError(t, err, "amount %d", a)
				back, err := DecodeMessage(enc)
				require.NoError(t, err)
				require.Equal(t, a, *f.field(back))
			}
		})
	}
}

// TestAmountErrorText checks the message names the field and shows a
// value above 2^63-1 both as the u64 on the wire and as an int64.
func TestAmountErrorText(t *testing.T) {
	err := error(&AmountError{Field: "fee_satoshis", Value: 1<<63 + 5})
	require.Equal(t, "fee_satoshis: 9223372036854775813 sat (-9223372036854775803 as an int64) "+
		"is outside [0, 2100000000000000]: wire: satoshi amount outside the bitcoin supply", err.Error())
	err = &AmountError{Field: "sats", Value: uint64(btcutil.MaxSatoshi) + 1}
	require.Equal(t, "sats: 2100000000000001 sat is outside [0, 2100000000000000]: "+
		"wire: satoshi amount outside the bitcoin supply", err.Error())
	err = &AmountError{Field: "funding_contribution_satoshis", Value: uint64(1<<64 - btcutil.MaxSatoshi - 1), Signed: true}
	require.Equal(t, "funding_contribution_satoshis: -2100000000000001 sat is outside "+
		"[-2100000000000000, 2100000000000000]: wire: satoshi amount outside the bitcoin supply", err.Error())
	require.ErrorIs(t, err, ErrAmountRange)
}
