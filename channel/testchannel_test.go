package channel

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// testChannel is a made-up channel between alice (this node, the opener)
// and bob, with both nodes' signers and views.
type testChannel struct {
	alice, bob           *Params // alice's and bob's views
	aliceSig, bobSig     *MemorySigner
	aliceSecrets         BasepointSecrets
	preimages            map[htlc.PaymentHash]htlc.Preimage
	alicePoint, bobPoint *btcec.PublicKey
	aliceSecret          *btcec.PrivateKey // per-commitment secret of alice's commitment
	bobSecret            *btcec.PrivateKey // per-commitment secret of bob's commitment
}

func secretsFor(name string) BasepointSecrets {
	return BasepointSecrets{
		Funding:        scripttest.Key(name + " funding"),
		Revocation:     scripttest.Key(name + " revocation"),
		Payment:        scripttest.Key(name + " payment"),
		DelayedPayment: scripttest.Key(name + " delayed"),
		HTLC:           scripttest.Key(name + " htlc"),
	}
}

func newTestChannel(t testing.TB, typ script.ChannelType, funding btcutil.Amount) *testChannel {
	t.Helper()
	tc := &testChannel{
		aliceSecrets: secretsFor("alice"),
		preimages:    map[htlc.PaymentHash]htlc.Preimage{},
	}
	tc.aliceSig = NewMemorySigner(tc.aliceSecrets)
	tc.bobSig = NewMemorySigner(secretsFor("bob"))
	tc.alice = &Params{
		FundingOutpoint: scripttest.FakeOutPoint("funding", 1),
		FundingAmount:   funding,
		Type:            typ,
		Opener:          Local,
		Local:           PartyParams{Basepoints: tc.aliceSig.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          PartyParams{Basepoints: tc.bobSig.Basepoints(), ToSelfDelay: 720, DustLimit: 354},
	}
	tc.bob = swapView(tc.alice)
	tc.aliceSecret = scripttest.Key("alice per-commitment 7")
	tc.bobSecret = scripttest.Key("bob per-commitment 7")
	tc.alicePoint = tc.aliceSecret.PubKey()
	tc.bobPoint = tc.bobSecret.PubKey()
	return tc
}

// addHTLC appends an HTLC (direction from alice's view) and takes its
// amount from the offerer's balance.
func (tc *testChannel) addHTLC(st *State, dir htlc.Direction, amt wire.MilliSatoshi, cltv uint32) {
	id := uint64(len(st.HTLCs))
	var pre htlc.Preimage
	copy(pre[:], fmt.Sprintf("preimage %d %v %d", id, dir, cltv))
	tc.preimages[pre.Hash()] = pre
	st.HTLCs = append(st.HTLCs, htlc.HTLC{ID: id, Direction: dir, Amount: amt, CLTVExpiry: cltv, PaymentHash: pre.Hash()})
	if dir == htlc.Offered {
		st.LocalBalance -= amt
	} else {
		st.RemoteBalance -= amt
	}
}

// busyState is a state with several HTLCs each way, some trimmed, two with
// equal amount and hash but different cltv_expiry.
func (tc *testChannel) busyState() *State {
	funding := msat(tc.alice.FundingAmount)
	st := &State{Number: 7, FeeRate: 2500, LocalBalance: funding * 6 / 10, RemoteBalance: funding - funding*6/10}
	tc.addHTLC(st, htlc.Offered, 50_000_000, 600_100)
	tc.addHTLC(st, htlc.Offered, 7_000_000, 600_200)
	tc.addHTLC(st, htlc.Offered, 300_000, 600_300) // trimmed
	tc.addHTLC(st, htlc.Received, 80_000_000, 600_400)
	tc.addHTLC(st, htlc.Received, 9_000_000, 600_500)
	tc.addHTLC(st, htlc.Received, 200_999, 600_600) // trimmed
	// Two HTLCs identical but for cltv_expiry.
	tc.addHTLC(st, htlc.Received, 20_000_000, 600_800)
	st.HTLCs = append(st.HTLCs, st.HTLCs[len(st.HTLCs)-1])
	st.HTLCs[len(st.HTLCs)-1].ID++
	st.HTLCs[len(st.HTLCs)-1].CLTVExpiry = 600_700
	st.RemoteBalance -= 20_000_000
	return st
}

func (tc *testChannel) preimage(h htlc.PaymentHash) *htlc.Preimage {
	p := tc.preimages[h]
	return &p
}

// fundingOut returns the prevout map for the funding output.
func (tc *testChannel) fundingOut(t testing.TB) map[btcwire.OutPoint]*btcwire.TxOut {
	return map[btcwire.OutPoint]*btcwire.TxOut{tc.alice.FundingOutpoint: fundingPrevOut(t, tc.alice)}
}

var destScript = script.P2WPKH(scripttest.Key("destination").PubKey())
