package channel

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// FuzzFundingOpenChannel feeds NewInboundFunding arbitrary open_channel
// payloads, decoded by package wire, under varied policies. It must never
// panic; a refusal must be a *RefusalError with exactly one error (or,
// for the all-zero temporary_channel_id, warning) to send; an acceptance
// must answer one accept_channel that keeps BOLT 2's reserve rules, for an
// open_channel that meets BOLT 2's MUST rules checked here independently.
//
// The arguments besides the payload: the fee estimate, and flag bits
// that set the chain hash to this node's (1), accept zero-conf (2), give
// the node an alias (4), allow large channels (8).
func FuzzFundingOpenChannel(f *testing.F) {
	alias := wire.ShortChannelID{BlockHeight: 16_000_000, TxIndex: 5}
	seed := func(cfg FundingConfig, req OpenRequest, mut func(*wire.OpenChannel)) {
		_, acts, err := NewOutboundFunding(cfg, req)
		if err != nil {
			f.Fatal(err)
		}
		o := sentMsg[*wire.OpenChannel](f, acts)
		if mut != nil {
			mut(o)
		}
		b, err := o.AppendPayload(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint32(testFeeEstimate), uint8(0))
		f.Add(b, uint32(testFeeEstimate), uint8(0xff))
	}
	acfg := testFundingConfig("alice")
	acfg.Alias = &alias
	seed(acfg, testOpenRequest(), nil)
	zc := testOpenRequest()
	zc.SCIDAlias, zc.ZeroConf = true, true
	seed(acfg, zc, nil)
	srk := testOpenRequest()
	srk.Type, srk.PushAmount = script.StaticRemoteKey, 0
	seed(acfg, srk, func(o *wire.OpenChannel) { o.ChannelType = nil })
	seed(acfg, srk, func(o *wire.OpenChannel) { o.ChannelType, o.UpfrontShutdownScript = nil, nil })
	seed(acfg, testOpenRequest(), func(o *wire.OpenChannel) { o.UpfrontShutdownScript = bytesPtr(p2trScript) })
	seed(acfg, testOpenRequest(), func(o *wire.OpenChannel) { o.FeeRate, o.FundingAmount = 60_000, 100_000 })
	f.Add([]byte{}, uint32(0), uint8(1))

	f.Fuzz(func(t *testing.T, data []byte, est uint32, flags uint8) {
		var o wire.OpenChannel
		if err := o.DecodePayload(data); err != nil {
			return
		}
		if b, err := o.AppendPayload(nil); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("open_channel does not re-encode to its bytes: %v", err)
		}
		cfg := testFundingConfig("bob")
		if flags&1 != 0 {
			o.ChainHash = cfg.ChainHash
		}
		cfg.Policy.AcceptZeroConf = flags&2 != 0
		if flags&4 != 0 {
			cfg.Alias = &alias
		}
		cfg.Policy.LargeChannels = flags&8 != 0
		fd, acts, err := NewInboundFunding(cfg, &o, wire.SatPerKWeight(est))
		if err != nil {
			var re *RefusalError
			if !errors.As(err, &re) || !errors.Is(err, ErrFundingRefused) || re.Msg != wire.MsgOpenChannel {
				t.Fatalf("not a refusal: %v", err)
			}
			if fd != nil || len(acts) != 1 {
				t.Fatalf("refusal with a Funding or %s", describeActions(acts))
			}
			s, ok := acts[0].(*Send)
			if !ok {
				t.Fatalf("refusal sends nothing: %s", describeActions(acts))
			}
			switch m := s.Msg.(type) {
			case *wire.Error:
				if m.ChannelID != o.TemporaryChannelID || m.ChannelID.IsAll() {
					t.Fatal("error for another channel")
				}
			case *wire.Warning:
				if !o.TemporaryChannelID.IsAll() {
					t.Fatal("warning for a named channel")
				}
			default:
				t.Fatalf("refusal sends %T", s.Msg)
			}
			wireTrip(t, s.Msg)
			return
		}

		// Accepted: the open meets BOLT 2's MUST rules.
		total := wire.MilliSatoshi(o.FundingAmount) * wire.MilliSatoshiPerSatoshi
		switch {
		case o.ChainHash != cfg.ChainHash:
			t.Fatal("accepted another chain")
		case o.TemporaryChannelID.IsAll():
			t.Fatal("accepted the zero temporary_channel_id")
		case o.FundingAmount <= 0 || o.FundingAmount > btcutil.MaxSatoshi:
			t.Fatal("accepted a funding amount out of range")
		case o.FundingAmount >= 1<<24 && !cfg.Policy.LargeChannels:
			t.Fatal("accepted a large channel")
		case o.PushAmount > total:
			t.Fatal("accepted push_msat above the funding")
		case o.DustLimit < script.MinDustLimit || o.DustLimit > o.ChannelReserve:
			t.Fatal("accepted a bad dust limit")
		case o.ToSelfDelay == 0 || o.ToSelfDelay > DefaultMaxToSelfDelay:
			t.Fatal("accepted a bad to_self_delay")
		case o.MaxAcceptedHTLCs == 0 || o.MaxAcceptedHTLCs > MaxHTLCs:
			t.Fatal("accepted a bad max_accepted_htlcs")
		case o.FeeRate < minRelayFeeRate:
			t.Fatal("accepted a fee rate below 253")
		}
		if err := o.Keys.FundingKey.Validate(); err != nil {
			t.Fatal("accepted an invalid funding_pubkey")
		}
		if len(acts) != 1 {
			t.Fatalf("acceptance: %s", describeActions(acts))
		}
		a := sentMsg[*wire.AcceptChannel](t, acts)
		if a.TemporaryChannelID != o.TemporaryChannelID || a.ChannelReserve < o.DustLimit ||
			a.DustLimit > o.ChannelReserve || a.DustLimit > a.ChannelReserve {
			t.Fatalf("accept_channel breaks BOLT 2: %+v", a)
		}
		if (o.ChannelType == nil) != (a.ChannelType == nil) || o.ChannelType != nil && !bytes.Equal(*o.ChannelType, *a.ChannelType) {
			t.Fatal("channel_type not echoed")
		}
		if fd.zeroConf != (a.MinimumDepth == 0) {
			t.Fatal("minimum_depth 0 iff zero-conf")
		}
		charge := initialCommitCharge(fd.params.Type, o.FeeRate)
		if total-o.PushAmount < charge || fd.localBal+fd.remoteBal != total {
			t.Fatal("balances")
		}
		if err := fd.params.Validate(); err != nil {
			t.Fatalf("params: %v", err)
		}
		if err := fd.local.validate(Local); err != nil {
			t.Fatalf("local constraints: %v", err)
		}
		if err := fd.remote.validate(Remote); err != nil {
			t.Fatalf("remote constraints: %v", err)
		}
		wireTrip(t, a)
	})
}
