package channel

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// badPoint is 33 bytes that are not a compressed point.
var badPoint = wire.Point{0x04, 1, 2, 3}

// p2trScript is a witness v1 program of 32 bytes.
var p2trScript = append([]byte{0x51, 32}, bytes.Repeat([]byte{7}, 32)...)

func withFeatures(c *FundingConfig, bits ...wire.FeatureBit) {
	v := fundingFeatures().Union(wire.NewFeatureVector(bits...))
	c.LocalFeatures, c.RemoteFeatures = v, v
}

func withoutAnySegwit(c *FundingConfig) {
	v := wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureSCIDAlias.Optional(), wire.FeatureZeroConf.Optional(), wire.FeatureUpfrontShutdownScript.Optional())
	c.LocalFeatures, c.RemoteFeatures = v, v
}

// withoutUpfront drops option_upfront_shutdown_script from the peer's
// features.
func withoutUpfront(c *FundingConfig) {
	c.RemoteFeatures = wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureAnchorsZeroFeeHTLCTx.Optional(),
		wire.FeatureShutdownAnySegwit.Optional())
}

func fv(bits ...wire.FeatureBit) *wire.FeatureVector {
	v := wire.NewFeatureVector(bits...)
	return &v
}

func bytesPtr(b []byte) *[]byte { return &b }

// TestFundingRefuseOpenChannel checks every requirement on a received
// open_channel: each case breaks one on a valid message and must be
// refused for that rule, with an error to the peer; the accepted cases
// are the limits and forms that must pass.
func TestFundingRefuseOpenChannel(t *testing.T) {
	alias := wire.ShortChannelID{BlockHeight: 16_000_000, TxIndex: 3}
	cases := []struct {
		name string
		open func(*wire.OpenChannel)
		cfg  func(*FundingConfig)
		est  wire.SatPerKWeight
		rule FundingRule // 0: accepted
	}{
		{name: "valid"},
		{name: "chain_hash", open: func(o *wire.OpenChannel) { o.ChainHash = wire.MainnetChainHash }, rule: RuleChainHash},
		{name: "temporary_channel_id zero", open: func(o *wire.OpenChannel) { o.TemporaryChannelID = wire.ChannelID{} }, rule: RuleTemporaryChannelID},
		{name: "option_dual_fund", cfg: func(c *FundingConfig) { withFeatures(c, wire.FeatureDualFund.Optional()) }, rule: RuleDualFund},
		{name: "funding below minimum", open: func(o *wire.OpenChannel) { o.FundingAmount = DefaultMinFunding - 1 }, rule: RuleFundingAmount},
		{name: "funding at minimum", open: func(o *wire.OpenChannel) {
			o.FundingAmount, o.PushAmount, o.ChannelReserve, o.MaxHTLCValueInFlight = DefaultMinFunding, 0, 1000, 20_000_000
		}},
		{name: "funding 2^24", open: func(o *wire.OpenChannel) { o.FundingAmount = 1 << 24 }, rule: RuleFundingAmount},
		{name: "funding 2^24-1", open: func(o *wire.OpenChannel) { o.FundingAmount = 1<<24 - 1 }},
		{name: "funding above policy", cfg: func(c *FundingConfig) { c.Policy.MaxFunding = 999_999 }, rule: RuleFundingAmount},
		{name: "push above funding", open: func(o *wire.OpenChannel) { o.PushAmount = 1_000_000_001 }, rule: RulePushAmount},
		{name: "push all", open: func(o *wire.OpenChannel) { o.PushAmount = 1_000_000_000 }, rule: RuleFunderBalance},
		{name: "to_self_delay 0", open: func(o *wire.OpenChannel) { o.ToSelfDelay = 0 }, rule: RuleToSelfDelay},
		{name: "to_self_delay too large", open: func(o *wire.OpenChannel) { o.ToSelfDelay = DefaultMaxToSelfDelay + 1 }, rule: RuleToSelfDelay},
		{name: "to_self_delay at limit", open: func(o *wire.OpenChannel) { o.ToSelfDelay = DefaultMaxToSelfDelay }},
		{name: "max_accepted_htlcs 0", open: func(o *wire.OpenChannel) { o.MaxAcceptedHTLCs = 0 }, rule: RuleMaxAcceptedHTLCs},
		{name: "max_accepted_htlcs 484", open: func(o *wire.OpenChannel) { o.MaxAcceptedHTLCs = 484 }, rule: RuleMaxAcceptedHTLCs},
		{name: "feerate below 253", open: func(o *wire.OpenChannel) { o.FeeRate = 252 }, est: 253, rule: RuleFeeRate},
		{name: "feerate below half the estimate", open: func(o *wire.OpenChannel) {
			o.FeeRate, o.ChannelType = 1249, fv(wire.FeatureStaticRemoteKey)
		}, rule: RuleFeeRate},
		{name: "feerate half the estimate", open: func(o *wire.OpenChannel) {
			o.FeeRate, o.ChannelType = 1250, fv(wire.FeatureStaticRemoteKey)
		}},
		{name: "anchors feerate 253 for any estimate", open: func(o *wire.OpenChannel) { o.FeeRate = 253 }, est: 50_000},
		{name: "anchors feerate 252", open: func(o *wire.OpenChannel) { o.FeeRate = 252 }, rule: RuleFeeRate},
		{name: "feerate ten times the estimate", open: func(o *wire.OpenChannel) { o.FeeRate = 25_000 }},
		{name: "feerate above ten times", open: func(o *wire.OpenChannel) { o.FeeRate = 25_001 }, rule: RuleFeeRate},
		{name: "funding_pubkey", open: func(o *wire.OpenChannel) { o.Keys.FundingKey = badPoint }, rule: RuleInvalidPoint},
		{name: "revocation_basepoint", open: func(o *wire.OpenChannel) { o.Keys.RevocationBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "payment_basepoint", open: func(o *wire.OpenChannel) { o.Keys.PaymentBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "delayed_payment_basepoint", open: func(o *wire.OpenChannel) { o.Keys.DelayedPaymentBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "htlc_basepoint", open: func(o *wire.OpenChannel) { o.Keys.HTLCBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "first_per_commitment_point", open: func(o *wire.OpenChannel) { o.Keys.FirstPerCommitmentPoint = wire.Point{} }, rule: RuleInvalidPoint},
		{name: "dust below 354", open: func(o *wire.OpenChannel) { o.DustLimit = 353 }, rule: RuleDustLimit},
		{name: "dust above policy", open: func(o *wire.OpenChannel) { o.DustLimit = DefaultMaxDustLimit + 1 }, rule: RuleDustLimit},
		{name: "dust above its reserve", open: func(o *wire.OpenChannel) { o.DustLimit, o.ChannelReserve = 5000, 4999 }, rule: RuleDustLimit},
		{name: "dust equal to its reserve", open: func(o *wire.OpenChannel) { o.DustLimit, o.ChannelReserve = 5000, 5000 }},
		{name: "reserve above 20%", open: func(o *wire.OpenChannel) { o.ChannelReserve = 200_001 }, rule: RuleChannelReserve},
		{name: "reserve 20%", open: func(o *wire.OpenChannel) { o.ChannelReserve = 200_000 }},
		{name: "reserve below our dust limit", open: func(o *wire.OpenChannel) { o.ChannelReserve = 545 },
			cfg: func(c *FundingConfig) { c.Policy.DustLimit = 546 }, rule: RuleChannelReserve},
		{name: "htlc_minimum too large", open: func(o *wire.OpenChannel) { o.HTLCMinimum = DefaultMaxHTLCMinimum + 1 }, rule: RuleHTLCMinimum},
		{name: "max_htlc_value_in_flight 0", open: func(o *wire.OpenChannel) { o.MaxHTLCValueInFlight = 0 }, rule: RuleMaxInFlight},
		{name: "max_htlc_value_in_flight below 5%", open: func(o *wire.OpenChannel) { o.MaxHTLCValueInFlight = 49_999_999 }, rule: RuleMaxInFlight},
		{name: "max_htlc_value_in_flight 5%", open: func(o *wire.OpenChannel) { o.MaxHTLCValueInFlight = 50_000_000 }},
		{name: "opener cannot pay the fee", open: func(o *wire.OpenChannel) {
			// anchors at 20 000 sat/kw: 22 480 sat of fee and 660 of
			// anchors, out of 20 000.
			o.FundingAmount, o.PushAmount, o.FeeRate, o.ChannelReserve, o.MaxHTLCValueInFlight = 20_000, 0, 20_000, 354, 20_000_000
		}, est: 20_000, rule: RuleFunderBalance},
		{name: "opener pays exactly the fee", open: func(o *wire.OpenChannel) {
			// 2500 sat/kw: 2810 + 660 = 3470 sat; 12 000 pushed.
			o.FundingAmount, o.FeeRate, o.ChannelReserve, o.MaxHTLCValueInFlight = 20_000, 2500, 354, 20_000_000
			o.PushAmount = (20_000 - 3470) * 1000
		}},
		{name: "one msat short of the fee", open: func(o *wire.OpenChannel) {
			o.FundingAmount, o.FeeRate, o.ChannelReserve, o.MaxHTLCValueInFlight = 20_000, 2500, 354, 20_000_000
			o.PushAmount = (20_000-3470)*1000 + 1
		}, rule: RuleFunderBalance},
		{name: "both balances at most the reserve", open: func(o *wire.OpenChannel) {
			// 60 000 sat/kw: 67 440 + 660 sat of 100 000; 15 900 left to
			// the opener and 16 000 pushed, both under 20 000.
			o.FundingAmount, o.FeeRate, o.PushAmount, o.ChannelReserve, o.MaxHTLCValueInFlight = 100_000, 60_000, 16_000_000, 20_000, 100_000_000
		}, est: 60_000, rule: RuleReserveBalance},
		{name: "channel_type unknown bit", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx, 100)
		}, rule: RuleChannelType},
		{name: "channel_type odd bit", open: func(o *wire.OpenChannel) { o.ChannelType = fv(wire.FeatureStaticRemoteKey.Optional()) }, rule: RuleChannelType},
		{name: "channel_type without static_remotekey", open: func(o *wire.OpenChannel) { o.ChannelType = fv(wire.FeatureAnchorsZeroFeeHTLCTx) }, rule: RuleChannelType},
		{name: "channel_type empty", open: func(o *wire.OpenChannel) { o.ChannelType = fv() }, rule: RuleChannelType},
		{name: "channel_type huge", open: func(o *wire.OpenChannel) {
			v := make(wire.FeatureVector, 1000)
			v[0], v[len(v)-2] = 1, 0x10
			o.ChannelType = &v
		}, rule: RuleChannelType},
		{name: "channel_type with leading zeros", open: func(o *wire.OpenChannel) {
			v := append(wire.FeatureVector{0, 0}, wire.NewFeatureVector(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx)...)
			o.ChannelType = &v
		}},
		{name: "static_remotekey", open: func(o *wire.OpenChannel) { o.ChannelType = fv(wire.FeatureStaticRemoteKey) }},
		{name: "scid_alias with announce_channel", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx, wire.FeatureSCIDAlias)
			o.ChannelFlags = wire.ChannelFlagAnnounceChannel
		}, cfg: func(c *FundingConfig) { c.Alias = &alias }, rule: RuleChannelType},
		{name: "scid_alias without an alias", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx, wire.FeatureSCIDAlias)
		}, rule: RuleChannelType},
		{name: "scid_alias", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureAnchorsZeroFeeHTLCTx, wire.FeatureSCIDAlias)
		}, cfg: func(c *FundingConfig) { c.Alias = &alias }},
		{name: "zeroconf not trusted", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureZeroConf)
		}, cfg: func(c *FundingConfig) { c.Alias = &alias }, rule: RuleZeroConf},
		{name: "zeroconf trusted", open: func(o *wire.OpenChannel) {
			o.ChannelType = fv(wire.FeatureStaticRemoteKey, wire.FeatureZeroConf)
		}, cfg: func(c *FundingConfig) { c.Alias = &alias; c.Policy.AcceptZeroConf = true }},
		{name: "undefined channel_flags ignored", open: func(o *wire.OpenChannel) { o.ChannelFlags = 0xfe }},
		{name: "shutdown P2PKH", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append(append([]byte{0x76, 0xa9, 20}, make([]byte, 20)...), 0x88, 0xac))
		}, rule: RuleShutdownScript},
		{name: "shutdown P2WPKH", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0, 20}, make([]byte, 20)...))
		}},
		{name: "shutdown P2WSH", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0, 32}, make([]byte, 32)...))
		}},
		{name: "shutdown P2WSH short", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0, 32}, make([]byte, 31)...))
		}, rule: RuleShutdownScript},
		{name: "shutdown P2TR", open: func(o *wire.OpenChannel) { o.UpfrontShutdownScript = bytesPtr(p2trScript) }},
		{name: "shutdown P2TR without anysegwit", open: func(o *wire.OpenChannel) { o.UpfrontShutdownScript = bytesPtr(p2trScript) },
			cfg: withoutAnySegwit, rule: RuleShutdownScript},
		{name: "shutdown witness v16, 40 bytes", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x60, 40}, make([]byte, 40)...))
		}},
		{name: "shutdown witness v1, 41 bytes", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x51, 41}, make([]byte, 41)...))
		}, rule: RuleShutdownScript},
		{name: "shutdown OP_RETURN without simple_close", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x6a, 6}, make([]byte, 6)...))
		}, rule: RuleShutdownScript},
		{name: "shutdown OP_RETURN 6 bytes", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x6a, 6}, make([]byte, 6)...))
		}, cfg: func(c *FundingConfig) { withFeatures(c, wire.FeatureSimpleClose.Optional()) }},
		{name: "shutdown OP_RETURN 5 bytes", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x6a, 5}, make([]byte, 5)...))
		}, cfg: func(c *FundingConfig) { withFeatures(c, wire.FeatureSimpleClose.Optional()) }, rule: RuleShutdownScript},
		{name: "shutdown OP_RETURN PUSHDATA1 80", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x6a, 0x4c, 80}, make([]byte, 80)...))
		}, cfg: func(c *FundingConfig) { withFeatures(c, wire.FeatureSimpleClose.Optional()) }},
		{name: "shutdown OP_RETURN PUSHDATA1 75", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append([]byte{0x6a, 0x4c, 75}, make([]byte, 75)...))
		}, cfg: func(c *FundingConfig) { withFeatures(c, wire.FeatureSimpleClose.Optional()) }, rule: RuleShutdownScript},
		{name: "shutdown empty", open: func(o *wire.OpenChannel) { o.UpfrontShutdownScript = bytesPtr(nil) }},
		{name: "shutdown absent", open: func(o *wire.OpenChannel) { o.UpfrontShutdownScript = nil }, rule: RuleShutdownScript},
		{name: "shutdown absent without the feature", open: func(o *wire.OpenChannel) { o.UpfrontShutdownScript = nil }, cfg: withoutUpfront},
		{name: "shutdown P2PKH without the feature is ignored", open: func(o *wire.OpenChannel) {
			o.UpfrontShutdownScript = bytesPtr(append(append([]byte{0x76, 0xa9, 20}, make([]byte, 20)...), 0x88, 0xac))
		}, cfg: withoutUpfront},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, acts, err := NewOutboundFunding(testFundingConfig("alice"), testOpenRequest())
			if err != nil {
				t.Fatal(err)
			}
			open := sentMsg[*wire.OpenChannel](t, acts)
			if tc.open != nil {
				tc.open(open)
			}
			cfg := testFundingConfig("bob")
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			est := tc.est
			if est == 0 {
				est = testFeeEstimate
			}
			f, acts, err := NewInboundFunding(cfg, open, est)
			if tc.rule == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				a := sentMsg[*wire.AcceptChannel](t, acts)
				if len(acts) != 1 || f == nil || a.TemporaryChannelID != open.TemporaryChannelID {
					t.Fatalf("accept: %s", describeActions(acts))
				}
				// What this node sends satisfies the rules it checks.
				if a.ChannelReserve < open.DustLimit || a.DustLimit > open.ChannelReserve || a.DustLimit > a.ChannelReserve {
					t.Fatalf("accept_channel breaks the reserve rules: %+v", a)
				}
				wireTrip(t, a)
				want := open.UpfrontShutdownScript != nil && len(*open.UpfrontShutdownScript) > 0 &&
					cfg.RemoteFeatures.HasFeature(wire.FeatureUpfrontShutdownScript)
				if (f.remoteShutdown != nil) != want || want && !bytes.Equal(f.remoteShutdown, *open.UpfrontShutdownScript) {
					t.Fatalf("remote shutdown script %x", f.remoteShutdown)
				}
				return
			}
			if f != nil {
				t.Fatal("a Funding with a refusal")
			}
			checkRefusal(t, acts, err, tc.rule, open.TemporaryChannelID, false)
			if re := refusalOf(t, err); re.Msg != wire.MsgOpenChannel {
				t.Fatalf("refusal names %v", re.Msg)
			}
		})
	}
}

// TestFundingRefuseAcceptChannel checks every requirement an opener
// applies to accept_channel.
func TestFundingRefuseAcceptChannel(t *testing.T) {
	cases := []struct {
		name   string
		req    func(*OpenRequest)
		acfg   func(*FundingConfig)
		accept func(*wire.AcceptChannel)
		rule   FundingRule // 0: accepted
	}{
		{name: "valid"},
		{name: "temporary_channel_id", accept: func(a *wire.AcceptChannel) { a.TemporaryChannelID[0] ^= 1 }, rule: RuleTemporaryChannelID},
		{name: "dust below 354", accept: func(a *wire.AcceptChannel) { a.DustLimit = 353 }, rule: RuleDustLimit},
		{name: "dust above its reserve", accept: func(a *wire.AcceptChannel) { a.DustLimit, a.ChannelReserve = 600, 599 }, rule: RuleDustLimit},
		{name: "dust above policy", accept: func(a *wire.AcceptChannel) { a.DustLimit, a.ChannelReserve = DefaultMaxDustLimit+1, 50_000 }, rule: RuleDustLimit},
		{name: "reserve below the open's dust limit", acfg: func(c *FundingConfig) { c.Policy.DustLimit = 1000 },
			accept: func(a *wire.AcceptChannel) { a.ChannelReserve = 999 }, rule: RuleChannelReserve},
		{name: "reserve equal to the open's dust limit", acfg: func(c *FundingConfig) { c.Policy.DustLimit = 1000 },
			accept: func(a *wire.AcceptChannel) { a.ChannelReserve = 1000 }},
		{name: "open's reserve below the dust limit", req: func(r *OpenRequest) { r.FundingAmount, r.PushAmount = 200_000, 0 },
			accept: func(a *wire.AcceptChannel) { a.DustLimit, a.ChannelReserve = 2001, 3000 }, rule: RuleChannelReserve},
		{name: "open's reserve equal to the dust limit", req: func(r *OpenRequest) { r.FundingAmount, r.PushAmount = 200_000, 0 },
			accept: func(a *wire.AcceptChannel) { a.DustLimit, a.ChannelReserve = 2000, 3000 }},
		{name: "reserve above 20%", accept: func(a *wire.AcceptChannel) { a.ChannelReserve = 200_001 }, rule: RuleChannelReserve},
		{name: "channel_type absent", accept: func(a *wire.AcceptChannel) { a.ChannelType = nil }, rule: RuleChannelType},
		{name: "channel_type other", accept: func(a *wire.AcceptChannel) { a.ChannelType = fv(wire.FeatureStaticRemoteKey) }, rule: RuleChannelType},
		{name: "channel_type with leading zeros", accept: func(a *wire.AcceptChannel) {
			v := append(wire.FeatureVector{0}, *a.ChannelType...)
			a.ChannelType = &v
		}},
		{name: "minimum_depth too large", accept: func(a *wire.AcceptChannel) { a.MinimumDepth = DefaultMaxMinimumDepth + 1 }, rule: RuleMinimumDepth},
		{name: "minimum_depth at limit", accept: func(a *wire.AcceptChannel) { a.MinimumDepth = DefaultMaxMinimumDepth }},
		{name: "to_self_delay 0", accept: func(a *wire.AcceptChannel) { a.ToSelfDelay = 0 }, rule: RuleToSelfDelay},
		{name: "to_self_delay too large", accept: func(a *wire.AcceptChannel) { a.ToSelfDelay = DefaultMaxToSelfDelay + 1 }, rule: RuleToSelfDelay},
		{name: "max_accepted_htlcs 0", accept: func(a *wire.AcceptChannel) { a.MaxAcceptedHTLCs = 0 }, rule: RuleMaxAcceptedHTLCs},
		{name: "max_accepted_htlcs 484", accept: func(a *wire.AcceptChannel) { a.MaxAcceptedHTLCs = 484 }, rule: RuleMaxAcceptedHTLCs},
		{name: "htlc_minimum too large", accept: func(a *wire.AcceptChannel) { a.HTLCMinimum = DefaultMaxHTLCMinimum + 1 }, rule: RuleHTLCMinimum},
		{name: "max_htlc_value_in_flight 0", accept: func(a *wire.AcceptChannel) { a.MaxHTLCValueInFlight = 0 }, rule: RuleMaxInFlight},
		{name: "funding_pubkey", accept: func(a *wire.AcceptChannel) { a.Keys.FundingKey = badPoint }, rule: RuleInvalidPoint},
		{name: "revocation_basepoint", accept: func(a *wire.AcceptChannel) { a.Keys.RevocationBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "payment_basepoint", accept: func(a *wire.AcceptChannel) { a.Keys.PaymentBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "delayed_payment_basepoint", accept: func(a *wire.AcceptChannel) { a.Keys.DelayedPaymentBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "htlc_basepoint", accept: func(a *wire.AcceptChannel) { a.Keys.HTLCBasepoint = badPoint }, rule: RuleInvalidPoint},
		{name: "first_per_commitment_point", accept: func(a *wire.AcceptChannel) { a.Keys.FirstPerCommitmentPoint = badPoint }, rule: RuleInvalidPoint},
		{name: "shutdown P2PKH", accept: func(a *wire.AcceptChannel) {
			a.UpfrontShutdownScript = bytesPtr(append(append([]byte{0x76, 0xa9, 20}, make([]byte, 20)...), 0x88, 0xac))
		}, rule: RuleShutdownScript},
		{name: "shutdown P2TR", accept: func(a *wire.AcceptChannel) { a.UpfrontShutdownScript = bytesPtr(p2trScript) }},
		{name: "shutdown absent", accept: func(a *wire.AcceptChannel) { a.UpfrontShutdownScript = nil }, rule: RuleShutdownScript},
		{name: "shutdown absent without the feature", accept: func(a *wire.AcceptChannel) { a.UpfrontShutdownScript = nil }, acfg: withoutUpfront},
		{name: "both balances at most the accept's reserve", req: func(r *OpenRequest) { r.FundingAmount, r.PushAmount = 100_000, 49_500_000 },
			acfg:   func(c *FundingConfig) { c.Policy.MaxReservePercent = 50 },
			accept: func(a *wire.AcceptChannel) { a.ChannelReserve = 50_000 }, rule: RuleReserveBalance},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acfg, req := testFundingConfig("alice"), testOpenRequest()
			if tc.acfg != nil {
				tc.acfg(&acfg)
			}
			if tc.req != nil {
				tc.req(&req)
			}
			a, acts, err := NewOutboundFunding(acfg, req)
			if err != nil {
				t.Fatal(err)
			}
			open := sentMsg[*wire.OpenChannel](t, acts)
			_, acts, err = NewInboundFunding(testFundingConfig("bob"), open, testFeeEstimate)
			if err != nil {
				t.Fatal(err)
			}
			accept := sentMsg[*wire.AcceptChannel](t, acts)
			if tc.accept != nil {
				tc.accept(accept)
			}
			acts, err = a.ReceiveMessage(context.Background(), accept)
			if tc.rule == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				actionOf[*FundingTxNeeded](t, acts)
				return
			}
			checkRefusal(t, acts, err, tc.rule, open.TemporaryChannelID, false)
			if re := refusalOf(t, err); re.Msg != wire.MsgAcceptChannel {
				t.Fatalf("refusal names %v", re.Msg)
			}
			if !errors.Is(a.Failed(), ErrFundingRefused) {
				t.Fatal("Failed() after a refusal")
			}
		})
	}
}

// highS returns sig with s replaced by n - s: the same signature for
// ECDSA, but not LOW-S.
func highS(sig wire.Signature) wire.Signature {
	var s btcec.ModNScalar
	s.SetByteSlice(sig[32:])
	s.Negate()
	b := s.Bytes()
	copy(sig[32:], b[:])
	return sig
}

// TestFundingBadSignatures: funding_created and funding_signed whose
// signature does not sign the receiver's commitment 0, or is high-S, are
// refused; an opener then releases its inputs and tells the fundee on the
// channel_id.
func TestFundingBadSignatures(t *testing.T) {
	ctx := context.Background()
	flip := func(s wire.Signature) wire.Signature { s[40] ^= 1; return s }
	for name, mut := range map[string]func(*wire.FundingCreated){
		"flipped":      func(m *wire.FundingCreated) { m.Signature = flip(m.Signature) },
		"high-S":       func(m *wire.FundingCreated) { m.Signature = highS(m.Signature) },
		"zero r":       func(m *wire.FundingCreated) { copy(m.Signature[:32], make([]byte, 32)) },
		"other output": func(m *wire.FundingCreated) { m.FundingOutputIndex++ },
		"other txid":   func(m *wire.FundingCreated) { m.FundingTxID[0] ^= 1 },
	} {
		t.Run("funding_created/"+name, func(t *testing.T) {
			r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
			good := *r.created
			mut(r.created)
			acts, err := r.b.ReceiveMessage(ctx, r.created)
			checkRefusal(t, acts, err, RuleSignature, r.open.TemporaryChannelID, false)
			if !errors.Is(err, ErrInvalidCommitSig) {
				t.Fatalf("does not wrap ErrInvalidCommitSig: %v", err)
			}
			if _, err := r.b.ReceiveMessage(ctx, &good); !errors.Is(err, ErrFundingState) {
				t.Fatalf("after refusal: %v", err)
			}
		})
	}
	// The high-S form of the honest signature is valid ECDSA: check it is
	// refused for being high-S, not by chance.
	r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
	if sigIsLowS(highS(r.created.Signature)) || !sigIsLowS(r.created.Signature) {
		t.Fatal("highS does not make a high-S signature")
	}
	if _, err := r.b.ReceiveMessage(ctx, &wire.FundingCreated{TemporaryChannelID: [32]byte{9}, FundingTxID: r.created.FundingTxID, Signature: r.created.Signature}); err == nil {
		t.Fatal("funding_created for another temporary_channel_id accepted")
	} else if refusalOf(t, err).Rule != RuleTemporaryChannelID {
		t.Fatalf("wrong rule: %v", err)
	}

	for name, mut := range map[string]func(*wire.FundingSigned){
		"flipped": func(m *wire.FundingSigned) { m.Signature = flip(m.Signature) },
		"high-S":  func(m *wire.FundingSigned) { m.Signature = highS(m.Signature) },
	} {
		t.Run("funding_signed/"+name, func(t *testing.T) {
			r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
			acts, err := r.b.ReceiveMessage(ctx, r.created)
			if err != nil {
				t.Fatal(err)
			}
			signed := *sentMsg[*wire.FundingSigned](t, dropChannelReady(acts))
			mut(&signed)
			acts, err = r.a.ReceiveMessage(ctx, &signed)
			checkRefusal(t, acts, err, RuleSignature, signed.ChannelID, true)
			if r.a.Machine() != nil {
				t.Fatal("a Machine after a bad funding_signed")
			}
			for _, x := range acts {
				if _, ok := x.(*BroadcastFunding); ok {
					t.Fatal("broadcast after a bad funding_signed")
				}
			}
		})
	}
	t.Run("funding_signed/channel_id", func(t *testing.T) {
		r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
		acts, err := r.b.ReceiveMessage(ctx, r.created)
		if err != nil {
			t.Fatal(err)
		}
		signed := *sentMsg[*wire.FundingSigned](t, acts)
		want := signed.ChannelID
		signed.ChannelID[31] ^= 1
		acts, err = r.a.ReceiveMessage(ctx, &signed)
		checkRefusal(t, acts, err, RuleChannelID, want, true)
	})
}

func dropChannelReady(acts []Action) []Action {
	var out []Action
	for _, a := range acts {
		if s, ok := a.(*Send); ok && s.Msg.MsgType() == wire.MsgChannelReady {
			continue
		}
		out = append(out, a)
	}
	return out
}

// TestFundingOutOfOrder: every establishment message outside its turn is
// refused (releasing the inputs once the funding transaction was asked
// for), local calls outside their turn are ErrFundingState, and an open
// negotiation hands everything to the Machine.
func TestFundingOutOfOrder(t *testing.T) {
	ctx := context.Background()
	ref := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingSigned)
	acts, err := ref.b.ReceiveMessage(ctx, ref.created)
	if err != nil {
		t.Fatal(err)
	}
	signed := sentMsg[*wire.FundingSigned](t, acts)
	ready := &wire.ChannelReady{ChannelID: signed.ChannelID, SecondPerCommitmentPoint: ref.open.Keys.FirstPerCommitmentPoint}
	msgs := map[string]wire.Message{
		"open_channel": ref.open, "accept_channel": ref.accept, "funding_created": ref.created,
		"funding_signed": signed, "channel_ready": ready,
		"shutdown": &wire.Shutdown{ChannelID: ref.open.TemporaryChannelID, ScriptPubKey: p2trScript},
	}
	cases := []struct {
		stage    fundingStage
		fundee   bool
		msgs     []string
		release  bool
		toChanID bool
	}{
		{stage: fundAwaitAccept, msgs: []string{"open_channel", "funding_created", "funding_signed", "channel_ready", "shutdown"}},
		{stage: fundAwaitFundingTx, msgs: []string{"accept_channel", "funding_created", "funding_signed", "channel_ready"}, release: true},
		{stage: fundAwaitFundingSigned, msgs: []string{"open_channel", "accept_channel", "funding_created", "channel_ready"}, release: true, toChanID: true},
		{stage: fundAwaitAccept, fundee: true, msgs: []string{"open_channel", "accept_channel", "funding_signed", "channel_ready", "shutdown"}},
	}
	for _, tc := range cases {
		for _, name := range tc.msgs {
			t.Run(tc.stage.String()+map[bool]string{true: " (fundee)"}[tc.fundee]+"/"+name, func(t *testing.T) {
				r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), tc.stage)
				f, id := r.a, r.open.TemporaryChannelID
				if tc.fundee {
					f = r.b
				}
				if tc.toChanID {
					id, _ = f.ChannelID()
				}
				acts, err := f.ReceiveMessage(ctx, msgs[name])
				checkRefusal(t, acts, err, RuleUnexpectedMessage, id, tc.release)
			})
		}
	}

	// Local calls out of turn.
	r := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitFundingTx)
	tx := r.funded.Packet.UnsignedTx
	if _, err := r.b.FundingTxBuilt(ctx, tx); !errors.Is(err, ErrFundingState) {
		t.Fatalf("FundingTxBuilt on the fundee: %v", err)
	}
	r2 := newStagedRun(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest(), fundAwaitAccept)
	if _, err := r2.a.FundingTxBuilt(ctx, tx); !errors.Is(err, ErrFundingState) {
		t.Fatalf("FundingTxBuilt before accept_channel: %v", err)
	}
	if _, err := r2.a.ReceiveMessage(ctx, nil); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("nil message: %v", err)
	}

	// Once open, the Funding does nothing.
	done := runFunding(t, testFundingConfig("alice"), testFundingConfig("bob"), testOpenRequest())
	for _, f := range []*Funding{done.a, done.b} {
		if _, err := f.ReceiveMessage(ctx, ready); !errors.Is(err, ErrFundingState) {
			t.Fatalf("message after open: %v", err)
		}
		if acts := f.Abandon(errors.New("late")); acts != nil {
			t.Fatal("abandon after open acted")
		}
		if f.Failed() != nil || f.Machine() == nil || f.Result() == nil {
			t.Fatal("open state")
		}
	}
	if !done.a.IsOpener() || done.b.IsOpener() {
		t.Fatal("IsOpener")
	}
	if done.a.TemporaryChannelID() != done.open.TemporaryChannelID || done.b.TemporaryChannelID() != done.open.TemporaryChannelID {
		t.Fatal("TemporaryChannelID")
	}
	opened := actionOf[*ChannelOpened](t, done.bDone)
	if opened.Machine != done.b.Machine() || opened.Result != done.b.Result() || opened.ChannelID != done.signed.ChannelID {
		t.Fatal("ChannelOpened")
	}
}
