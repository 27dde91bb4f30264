package monitor

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
)

// feeOf returns a mempool or confirmed transaction's fee, from its
// inputs' previous outputs (in the chain or the mempool).
func (h *harness) feeOf(tx *btcwire.MsgTx) btcutil.Amount {
	h.t.Helper()
	pool := map[chainhash.Hash]*btcwire.MsgTx{}
	for _, p := range h.ch.Mempool() {
		pool[p.TxHash()] = p
	}
	var in, out int64
	for _, txin := range tx.TxIn {
		op := txin.PreviousOutPoint
		prev, _, ok := h.ch.Transaction(op.Hash)
		if !ok {
			prev = pool[op.Hash]
		}
		if prev == nil {
			h.t.Fatalf("no parent %v", op.Hash)
		}
		in += prev.TxOut[op.Index].Value
	}
	for _, o := range tx.TxOut {
		out += o.Value
	}
	return btcutil.Amount(in - out)
}

func weightOf(tx *btcwire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
}

// TestAnchorCPFPAndReplacement: the mempool wants 10 000 sat/kw, alice's
// anchors commitment pays 2500. ForceClose broadcasts it with a child
// spending her anchor and a wallet coin, so that the package pays the
// rate. While blocks come without it, the child is rebroadcast, and
// within BumpWindow of the deadline (her HTLC's timeout) it is replaced
// every block at a higher fee; the last one confirms with the commitment.
func TestAnchorCPFPAndReplacement(t *testing.T) {
	h := newHarness(t, hopts{typ: script.Anchors, noBobMon: true})
	a := h.a
	base := h.ch.Height()
	h.add(a, 100_000_000, base+20)
	c, _ := h.localCommitment(a)
	h.ch.SetFeeRate(10_000)
	if err := a.mon.ForceClose(h.ctx); err != nil {
		t.Fatal(err)
	}
	deadline := base + 20 + a.mon.pol.TimeoutDeadline - 1
	anchor := opOf(c, &c.LocalAnchor)
	var lastFee btcutil.Amount
	var lastChild chainhash.Hash
	replaced := 0
	for h.ch.Height() < deadline-2 {
		child := h.spendInMempool(anchor)
		if child == nil || h.spendInMempool(a.params.FundingOutpoint) == nil {
			t.Fatalf("height %d: commitment or child missing from the mempool", h.ch.Height())
		}
		h.verifyPoolTx(child)
		fee := h.feeOf(child)
		pkgRate := int64(c.Fee+fee) * 1000 / (weightOf(child) + c.SignedWeight())
		if pkgRate < 10_000 {
			t.Fatalf("package pays %d sat/kw", pkgRate)
		}
		left := deadline - h.ch.Height()
		switch {
		case lastChild == (chainhash.Hash{}):
		case left <= a.mon.pol.BumpWindow:
			if child.TxHash() == lastChild || fee <= lastFee {
				t.Fatalf("height %d (%d blocks left): child not replaced (fee %v, was %v)", h.ch.Height(), left, fee, lastFee)
			}
			replaced++
		case child.TxHash() != lastChild:
			t.Fatalf("height %d: child replaced far from the deadline", h.ch.Height())
		}
		lastFee, lastChild = fee, child.TxHash()
		h.mineEmpty(1)
	}
	if replaced < 3 {
		t.Fatalf("%d replacements", replaced)
	}
	h.mine(1)
	if h.ch.Confirmations(c.TxHash) != 1 || h.spender(anchor) == nil {
		t.Fatal("commitment and child did not confirm")
	}
	h.mineUntilResolved(60, nil)
}

// verifyPoolTx runs a mempool transaction's inputs through txscript
// against the chain and the mempool.
func (h *harness) verifyPoolTx(tx *btcwire.MsgTx) {
	h.t.Helper()
	pool := map[chainhash.Hash]*btcwire.MsgTx{}
	for _, p := range h.ch.Mempool() {
		pool[p.TxHash()] = p
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, in := range tx.TxIn {
		prev, _, ok := h.ch.Transaction(in.PreviousOutPoint.Hash)
		if !ok {
			prev = pool[in.PreviousOutPoint.Hash]
		}
		fetcher.AddPrevOut(in.PreviousOutPoint, prev.TxOut[in.PreviousOutPoint.Index])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := fetcher.FetchPrevOutput(in.PreviousOutPoint)
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prev.Value, fetcher)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			h.t.Fatalf("input %d: %v", i, err)
		}
	}
}

// TestReplacementNearDeadline: alice holds the preimage of an HTLC bob
// offered, close to its cltv_expiry, and no block confirms anything.
// Her claim is rebroadcast every block and, within BumpWindow of the
// deadline, replaced at a higher fee rate each block (BIP 125), both as a
// sweep from bob's commitment and as her own wallet-funded HTLC-success
// transaction (option_anchors); it confirms before cltv_expiry.
func TestReplacementNearDeadline(t *testing.T) {
	for _, whose := range []string{"remote", "local"} {
		for _, typ := range channelTypes {
			if whose == "local" && !typ.HasAnchors() {
				continue // pre-signed, fixed fee
			}
			t.Run(whose+"/"+typ.String(), func(t *testing.T) {
				h := newHarness(t, hopts{typ: typ, noBobMon: true})
				a, b := h.a, h.b
				base := h.ch.Height()
				expiry := base + 14
				id, pre := h.add(b, 200_000_000, expiry)
				h.fulfill(a, id, pre, false)
				var c *channel.Commitment
				if whose == "remote" {
					bc, sigs := h.localCommitment(b)
					h.mineTx(h.signedCommitment(b, bc, sigs))
					c = bc
				} else {
					c, _ = h.localCommitment(a)
					if err := a.mon.ForceClose(h.ctx); err != nil {
						t.Fatal(err)
					}
					h.mine(1)
				}
				dir := htlc.Offered
				if whose == "local" {
					dir = htlc.Received
				}
				op := opOf(c, &htlcOutput(t, c, dir, id).Output)
				var lastFee btcutil.Amount
				var lastRate int64
				bumps := 0
				for h.ch.Height() < expiry-1 {
					tx := h.spendInMempool(op)
					if tx == nil {
						t.Fatalf("height %d: no claim in the mempool", h.ch.Height())
					}
					h.verifyPoolTx(tx)
					fee := h.feeOf(tx)
					rate := int64(fee) * 1000 / weightOf(tx)
					if left := expiry - h.ch.Height(); left <= a.mon.pol.BumpWindow && lastFee > 0 {
						if fee <= lastFee || rate <= lastRate {
							t.Fatalf("%d blocks left: fee %v (%d sat/kw), was %v (%d sat/kw)", left, fee, rate, lastFee, lastRate)
						}
						bumps++
					}
					lastFee, lastRate = fee, rate
					h.mineEmpty(1)
				}
				if bumps < 3 {
					t.Fatalf("%d replacements", bumps)
				}
				h.mine(1)
				if sp := h.spender(op); sp == nil {
					t.Fatal("claim not confirmed before cltv_expiry")
				}
				h.mineUntilResolved(60, nil)
				expectOutcome(t, h.events(a), htlc.Received, id, Settled)
			})
		}
	}
}

// TestJusticeSplitWhenPinned: bob races alice's justice transaction with
// an HTLC-success transaction paying a huge fee from a coin of his own,
// which alice's batch cannot outbid. Her monitor splits the justice
// transaction, one output per transaction, so that the pinned HTLC output
// does not hold back the others: to_local and to_remote confirm while
// bob's transaction waits, and when it confirms its output is taken
// through the revocation key too. Once through the refusal (SecurityDelay
// 1), once through BOLT 5's security_delay.
func TestJusticeSplitWhenPinned(t *testing.T) {
	for _, how := range []string{"refusal", "security-delay"} {
		t.Run(how, func(t *testing.T) {
			pol := breachPolicy()
			if how == "refusal" {
				pol.SecurityDelay = 1
			}
			h := newHarness(t, hopts{typ: script.Anchors, noBobMon: true, policy: pol})
			a, b := h.a, h.b
			breachHistory(h)
			pinKey := testKey("bob pin coin")
			coinTx, err := h.ch.Faucet(h.ctx, btcwire.NewTxOut(2_000_000, script.P2WPKH(pinKey.PubKey())))
			if err != nil {
				t.Fatal(err)
			}
			// A revoked commitment with to_local, to_remote and an HTLC
			// bob received (he has its preimage).
			var info *channel.LocalCommitmentInfo
			var c *channel.Commitment
			idx := -1
			olds := h.oldCommitments(b)
			for _, li := range olds[:len(olds)-1] {
				cc := h.build(b, li)
				for i := range cc.HTLCs {
					if cc.HTLCs[i].Direction == htlc.Received && cc.ToLocal.Present() && cc.ToRemote.Present() && len(cc.HTLCs) >= 2 {
						info, c, idx = li, cc, i
					}
				}
			}
			if idx < 0 {
				t.Fatal("no suitable revoked commitment")
			}
			h.mineTx(h.signedCommitment(b, c, info.Sigs))
			ch := &c.HTLCs[idx]
			pre := h.pre[ch.PaymentHash]
			f := &channel.WalletFunding{
				Inputs: []channel.WalletInput{{
					OutPoint: btcwire.OutPoint{Hash: coinTx.TxHash(), Index: 0}, Value: 2_000_000,
					PkScript: script.P2WPKH(pinKey.PubKey()), WitnessSize: channel.P2WPKHWitnessSize,
				}},
				ChangeScript: script.P2WPKH(testKey("bob pin change").PubKey()),
				FeeRate:      200_000,
			}
			pin, err := channel.BumpHTLCTx(h.ctx, b.signer, c, idx, info.Sigs.HTLCSigs[idx], &pre, f)
			if err != nil {
				t.Fatal(err)
			}
			fetch := pin.PrevOutFetcher()
			sig, err := txscript.RawTxInWitnessSignature(pin.Tx, txscript.NewTxSigHashes(pin.Tx, fetch), 1, 2_000_000, f.Inputs[0].PkScript, txscript.SigHashAll, pinKey)
			if err != nil {
				t.Fatal(err)
			}
			pin.Tx.TxIn[1].Witness = btcwire.TxWitness{sig, pinKey.PubKey().SerializeCompressed()}
			if err := h.ch.Broadcast(h.ctx, pin.Tx); err != nil {
				t.Fatalf("bob's pin: %v", err)
			}
			// Two blocks without it: alice's batch is refused, then split.
			h.mineEmpty(2)
			toLocal, toRemote := opOf(c, &c.ToLocal), opOf(c, &c.ToRemote)
			tl, tr := h.spendInMempool(toLocal), h.spendInMempool(toRemote)
			if tl == nil || tr == nil || len(tl.TxIn) != 1 || len(tr.TxIn) != 1 {
				t.Fatalf("to_local and to_remote not claimed one by one: %v %v", tl, tr)
			}
			if p := h.spendInMempool(opOf(c, &ch.Output)); p == nil || p.TxHash() != pin.Tx.TxHash() {
				t.Fatal("bob's transaction left the mempool")
			}
			// The miners take alice's transactions but not bob's.
			h.mineTx(tl, tr)
			if h.spender(toLocal) == nil || h.spender(toRemote) == nil {
				t.Fatal("to_local and to_remote not confirmed")
			}
			h.mineUntilResolved(60, nil)
			second := btcwire.OutPoint{Hash: pin.Tx.TxHash(), Index: 0}
			if sp := h.spender(second); sp == nil || !h.paysTo(sp, a.dest) {
				t.Fatal("the output of bob's HTLC transaction was not taken")
			}
			var owned int64
			for i, out := range c.Tx.TxOut {
				if i != c.LocalAnchor.Index && i != c.RemoteAnchor.Index {
					owned += out.Value
				}
			}
			swept, fees := h.checkSweeps(a)
			if int64(swept+fees) != owned {
				t.Fatalf("swept %v + %v of %d", swept, fees, owned)
			}
		})
	}
}
