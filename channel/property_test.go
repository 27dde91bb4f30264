package channel

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// TestCommitmentAccounting checks, for random channels, balances, HTLC sets
// (up to 483 each way) and fee rates, that every millisatoshi of the funding
// output is accounted for exactly as BOLT 3 says, re-deriving each rule
// independently of the builder:
//
//   - an HTLC is trimmed iff amount_sat < dust_limit + its second-stage fee
//     (663 or 703 weight, zero under anchors);
//   - base fee = feerate * (724 or 1124 + 172 * untrimmed) / 1000;
//   - the opener loses min(its balance, base fee + 2*330 under anchors);
//   - to_local/to_remote exist iff their rounded-down amount >= dust limit;
//   - anchors exist for a side with an output, or for both with HTLCs;
//   - the fee is exactly: the opener's charge minus the anchors present,
//     plus every trimmed HTLC, plus the msat remainder of every output,
//     plus any balance below the dust limit;
//   - outputs plus fee equal the funding amount; outputs are BIP 69 sorted
//     with cltv_expiry tie-breaks; each HTLC transaction pays the HTLC
//     amount minus its fee.
func TestCommitmentAccounting(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	iterations := 60
	if testing.Short() {
		iterations = 15
	}
	for it := 0; it < iterations; it++ {
		typ := channelTypes[rng.Intn(2)]
		funding := btcutil.Amount(100_000 + rng.Int63n(50_000_000))
		tc := newTestChannel(t, typ, funding)
		if rng.Intn(2) == 0 {
			tc.alice.Opener = Remote
		}
		tc.alice.Local.DustLimit = btcutil.Amount(354 + rng.Intn(3000))
		tc.alice.Remote.DustLimit = btcutil.Amount(354 + rng.Intn(3000))
		st := randomState(rng, msat(funding))
		for _, owner := range []Side{Local, Remote} {
			point := tc.alicePoint
			if owner == Remote {
				point = tc.bobPoint
			}
			c, err := NewCommitment(tc.alice, owner, st, point)
			if err != nil {
				t.Fatalf("iteration %d: %v", it, err)
			}
			checkAccounting(t, tc.alice, owner, st, c)
			if testing.Verbose() && owner == Local {
				t.Logf("%v: %d HTLCs, %d untrimmed, feerate %v, fee %v", c.Type, len(st.HTLCs), len(c.HTLCs), st.FeeRate, c.Fee)
			}
		}
	}
}

func randomState(rng *rand.Rand, total wire.MilliSatoshi) *State {
	st := &State{Number: uint64(rng.Int63n(1 << 48))}
	switch rng.Intn(4) {
	case 0:
		st.FeeRate = wire.SatPerKWeight(253 + rng.Intn(1000))
	case 1:
		st.FeeRate = wire.SatPerKWeight(rng.Intn(100_000))
	case 2:
		st.FeeRate = wire.SatPerKWeight(rng.Intn(20_000_000)) // may exceed the opener's balance
	default:
		st.FeeRate = wire.SatPerKWeight(rng.Intn(10_000))
	}
	nOffered, nReceived := rng.Intn(MaxHTLCs+1), rng.Intn(MaxHTLCs+1)
	if rng.Intn(4) == 0 {
		nOffered, nReceived = MaxHTLCs, MaxHTLCs
	}
	// Give HTLCs about half of the channel: some around the trim
	// thresholds, the rest spread evenly.
	n := nOffered + nReceived
	budget := total / 2
	perHTLC := int64(1)
	if n > 0 {
		perHTLC = int64(budget)/int64(n)*2 + 1
	}
	for i := 0; i < n; i++ {
		var amt wire.MilliSatoshi
		if rng.Intn(3) == 0 {
			amt = wire.MilliSatoshi(1 + rng.Int63n(5_000_000))
		} else {
			amt = wire.MilliSatoshi(1 + rng.Int63n(perHTLC))
		}
		if amt > budget {
			break
		}
		budget -= amt
		dir := htlc.Offered
		if i >= nOffered {
			dir = htlc.Received
		}
		var ph htlc.PaymentHash
		rng.Read(ph[:])
		if i > 0 && rng.Intn(10) == 0 && st.HTLCs[i-1].Amount <= budget+amt {
			// Same hash, amount and direction as the previous one, another
			// cltv_expiry.
			prev := st.HTLCs[i-1]
			budget += amt
			ph, amt, dir = prev.PaymentHash, prev.Amount, prev.Direction
			budget -= amt
		}
		st.HTLCs = append(st.HTLCs, htlc.HTLC{ID: uint64(i), Direction: dir, Amount: amt,
			CLTVExpiry: uint32(500_000 + rng.Intn(1000)), PaymentHash: ph})
	}
	// Recompute what the HTLCs took (the copy step may reuse an amount).
	var inHTLCs wire.MilliSatoshi
	for _, h := range st.HTLCs {
		inHTLCs += h.Amount
	}
	if inHTLCs > total {
		st.HTLCs = nil
		inHTLCs = 0
	}
	rest := total - inHTLCs
	st.LocalBalance = wire.MilliSatoshi(rng.Int63n(int64(rest) + 1))
	st.RemoteBalance = rest - st.LocalBalance
	return st
}

func checkAccounting(t *testing.T, p *Params, owner Side, st *State, c *Commitment) {
	t.Helper()
	dust := p.Party(owner).DustLimit
	anchors := p.Type.HasAnchors()
	fee := func(dir htlc.Direction) btcutil.Amount {
		if anchors {
			return 0
		}
		w := int64(703)
		if dir == htlc.Offered {
			w = 663
		}
		return btcutil.Amount(int64(st.FeeRate) * w / 1000)
	}

	var feeMsat wire.MilliSatoshi
	var untrimmed int
	for _, h := range st.HTLCs {
		if owner == Remote {
			h = h.Flip()
		}
		if h.Amount.ToSatoshis() < dust+fee(h.Direction) {
			feeMsat += h.Amount
		} else {
			untrimmed++
			feeMsat += h.Amount % 1000
		}
	}
	if untrimmed != len(c.HTLCs) || untrimmed+len(c.Trimmed) != len(st.HTLCs) {
		t.Fatalf("%d untrimmed, builder has %d (+%d trimmed)", untrimmed, len(c.HTLCs), len(c.Trimmed))
	}
	weight := int64(724)
	if anchors {
		weight = 1124
	}
	baseFee := btcutil.Amount(int64(st.FeeRate) * (weight + 172*int64(untrimmed)) / 1000)
	if c.BaseFee != baseFee {
		t.Fatalf("base fee %v, want %v", c.BaseFee, baseFee)
	}
	ownerMsat, otherMsat := st.LocalBalance, st.RemoteBalance
	if owner == Remote {
		ownerMsat, otherMsat = otherMsat, ownerMsat
	}
	charge := msat(baseFee)
	if anchors {
		charge += 660_000
	}
	opener := &ownerMsat
	if p.Opener != owner {
		opener = &otherMsat
	}
	if *opener < charge {
		charge = *opener
	}
	*opener -= charge
	feeMsat += charge
	hasLocal := ownerMsat.ToSatoshis() >= dust
	hasRemote := otherMsat.ToSatoshis() >= dust
	for _, b := range []struct {
		msat    wire.MilliSatoshi
		present bool
	}{{ownerMsat, hasLocal}, {otherMsat, hasRemote}} {
		if b.present {
			feeMsat += b.msat % 1000
		} else {
			feeMsat += b.msat
		}
	}
	if c.ToLocal.Present() != hasLocal || c.ToRemote.Present() != hasRemote {
		t.Fatalf("to_local %v/%v, to_remote %v/%v", c.ToLocal.Present(), hasLocal, c.ToRemote.Present(), hasRemote)
	}
	nAnchors := 0
	if anchors {
		wantLocal, wantRemote := hasLocal || untrimmed > 0, hasRemote || untrimmed > 0
		if c.LocalAnchor.Present() != wantLocal || c.RemoteAnchor.Present() != wantRemote {
			t.Fatalf("anchors %v %v, want %v %v", c.LocalAnchor.Present(), c.RemoteAnchor.Present(), wantLocal, wantRemote)
		}
		if wantLocal {
			nAnchors++
		}
		if wantRemote {
			nAnchors++
		}
	}
	feeMsat -= wire.MilliSatoshi(nAnchors) * 330_000
	if feeMsat%1000 != 0 {
		t.Fatalf("fee of %v is not whole satoshis", feeMsat)
	}
	if c.Fee != feeMsat.ToSatoshis() {
		t.Fatalf("fee %v, BOLT 3 accounting gives %v", c.Fee, feeMsat.ToSatoshis())
	}
	var outs btcutil.Amount
	for i, o := range c.Tx.TxOut {
		outs += btcutil.Amount(o.Value)
		if i > 0 {
			a, b := c.Tx.TxOut[i-1], o
			if a.Value > b.Value || (a.Value == b.Value && bytes.Compare(a.PkScript, b.PkScript) > 0) {
				t.Fatalf("outputs %d and %d out of BIP 69 order", i-1, i)
			}
		}
	}
	if outs+c.Fee != p.FundingAmount {
		t.Fatalf("outputs %v + fee %v != funding %v", outs, c.Fee, p.FundingAmount)
	}
	if want := untrimmed + nAnchors + b2i(hasLocal) + b2i(hasRemote); len(c.Tx.TxOut) != want {
		t.Fatalf("%d outputs, want %d", len(c.Tx.TxOut), want)
	}
	prevIdx := -1
	for i := range c.HTLCs {
		h := &c.HTLCs[i]
		o := c.Tx.TxOut[h.Output.Index]
		if h.Output.Index <= prevIdx || btcutil.Amount(o.Value) != h.Amount.ToSatoshis() ||
			!bytes.Equal(o.PkScript, script.P2WSH(h.Output.WitnessScript)) {
			t.Fatalf("HTLC %d output mismatch", h.ID)
		}
		if i > 0 && c.HTLCs[i-1].Output.Value == h.Output.Value &&
			bytes.Equal(c.HTLCs[i-1].Output.PkScript, h.Output.PkScript) && c.HTLCs[i-1].CLTVExpiry > h.CLTVExpiry {
			t.Fatalf("equal HTLC outputs not ordered by cltv_expiry")
		}
		prevIdx = h.Output.Index
		slt := h.SecondLevelTx
		if btcutil.Amount(slt.TxOut[0].Value) != h.Amount.ToSatoshis()-fee(h.Direction) ||
			slt.TxIn[0].PreviousOutPoint.Hash != c.TxHash || int(slt.TxIn[0].PreviousOutPoint.Index) != h.Output.Index {
			t.Fatalf("HTLC %d second-stage transaction mismatch", h.ID)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
