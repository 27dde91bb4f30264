package channel

// BOLT 3 Appendix C (option_static_remotekey) and Appendix F (option_anchors)
// commitment and HTLC transaction vectors, testdata/commitment_*.json.
//
// Which HTLCs each case commits (from the files' `note` fields: the spec does
// not list HTLCs per case, the transcription assigns them so that the
// balances plus HTLCs equal the funding amount; trimmed HTLCs stay listed):
//
//	Appendix C (16 cases, 33 HTLC transactions):
//	  "simple commitment tx with no HTLCs"                         no HTLCs
//	  "commitment tx with all five HTLCs untrimmed (minimum feerate)" HTLCs 0-4
//	  "... seven outputs untrimmed (maximum feerate)"               HTLCs 0-4
//	  "... six outputs untrimmed (minimum/maximum feerate)"         HTLCs 0-4
//	  "... five outputs untrimmed (minimum/maximum feerate)"        HTLCs 0-4
//	  "... four outputs untrimmed (minimum/maximum feerate)"        HTLCs 0-4
//	  "... three outputs untrimmed (minimum/maximum feerate)"       HTLCs 0-4
//	  "... two outputs untrimmed (minimum/maximum feerate)"         HTLCs 0-4
//	  "... one output untrimmed (minimum feerate)"                  HTLCs 0-4
//	  "commitment tx with fee greater than funder amount"           HTLCs 0-4
//	  "commitment tx with 3 htlc outputs, 2 offered having the same
//	   amount and preimage"                                         HTLCs 1, 5, 6
//
//	Appendix F (9 cases, 15 HTLC transactions):
//	  "simple commitment tx with no HTLCs"                          no HTLCs
//	  "simple commitment tx with no HTLCs and single anchor"        no HTLCs
//	  "commitment tx with seven/six/four/three/two/one output(s)
//	   untrimmed" (six cases; per-case dust limits)                 HTLCs 0-4
//	  "commitment tx with 3 htlc outputs, 2 offered having the same
//	   amount and preimage"                                         HTLCs 1, 5, 6
//
// HTLCs 0, 1 and 4 are remote->local (received by local), 2, 3, 5 and 6
// local->remote (offered by local). Local is the opener.
//
// For every case the test builds the local commitment (local's view) and the
// same commitment from the remote node's view, has the remote node sign it
// (remote_signature, every remote_htlc_signature), verifies those signatures
// from the local view, completes the commitment and every HTLC transaction
// with local's own signatures and compares the hex byte for byte; then runs
// each completed transaction through the script engine.

import (
	"context"
	"encoding/hex"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

func TestVectorsStaticRemoteKey(t *testing.T) {
	cases, htlcTxs := runVectorFile(t, "commitment_static_remotekey.json", script.StaticRemoteKey)
	if cases != 16 || htlcTxs != 33 {
		t.Fatalf("checked %d cases and %d HTLC transactions, want 16 and 33", cases, htlcTxs)
	}
}

func TestVectorsAnchors(t *testing.T) {
	cases, htlcTxs := runVectorFile(t, "commitment_anchors.json", script.Anchors)
	if cases != 9 || htlcTxs != 15 {
		t.Fatalf("checked %d cases and %d HTLC transactions, want 9 and 15", cases, htlcTxs)
	}
}

func runVectorFile(t *testing.T, file string, typ script.ChannelType) (cases, htlcTxs int) {
	v := loadVectors(t, file)
	s := newVectorSetup(t, v, typ)
	p := v.Parameters

	// The keys of the local commitment.
	keys, err := DeriveCommitmentKeys(s.local, Local, s.point)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"local_htlcpubkey", keys.LocalHTLCKey.SerializeCompressed(), p.LocalHTLCPub},
		{"remote_htlcpubkey", keys.RemoteHTLCKey.SerializeCompressed(), p.RemoteHTLCPub},
		{"local_delayedpubkey", keys.LocalDelayedKey.SerializeCompressed(), p.LocalDelayedPub},
		{"local_revocation_pubkey", keys.RevocationKey.SerializeCompressed(), p.LocalRevocationPub},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Fatalf("%s = %x, want %s", c.name, c.got, c.want)
		}
	}

	for _, tc := range v.TestCases {
		ok := t.Run(tc.Name, func(t *testing.T) {
			htlcTxs += runVectorCase(t, s, v, &tc)
		})
		if !ok {
			continue
		}
		cases++
	}
	return cases, htlcTxs
}

func runVectorCase(t *testing.T, s *vectorSetup, v *vectorFile, tc *vectorCase) int {
	ctx := context.Background()
	local := *s.local
	if tc.DustLimit != nil {
		local.Local.DustLimit = btcAmount(*tc.DustLimit)
	}
	remote := swapView(&local)

	st := &State{
		Number:        v.Parameters.CommitmentNumber,
		FeeRate:       wire.SatPerKWeight(tc.FeeRate),
		LocalBalance:  wire.MilliSatoshi(tc.ToLocalMsat),
		RemoteBalance: wire.MilliSatoshi(tc.ToRemoteMsat),
	}
	for _, vh := range tc.HTLCs {
		h, _ := toHTLC(t, vh)
		st.HTLCs = append(st.HTLCs, h)
	}

	c, err := LocalCommitment(&local, st, s.point)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.HTLCs) != tc.NumHTLCs {
		t.Fatalf("%d untrimmed HTLCs, want %d", len(c.HTLCs), tc.NumHTLCs)
	}
	if tc.BaseFee != nil && c.BaseFee != btcAmount(*tc.BaseFee) {
		t.Errorf("base fee %v, want %d", c.BaseFee, *tc.BaseFee)
	}
	if tc.ActualFee != nil && c.Fee != btcAmount(*tc.ActualFee) {
		t.Errorf("actual fee %v, want %d", c.Fee, *tc.ActualFee)
	}

	// The remote node builds the same transaction from its own view.
	rc, err := RemoteCommitment(remote, swapState(st), s.point)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(serialize(t, rc.Tx)) != hex.EncodeToString(serialize(t, c.Tx)) {
		t.Fatal("the two views disagree on the commitment transaction")
	}

	// The remote node signs it: commitment_signed.
	sigs, err := SignCommitment(ctx, s.remoteSigner, remote, rc)
	if err != nil {
		t.Fatal(err)
	}
	if got := derHex(t, sigs.CommitSig); got != tc.RemoteSignature {
		t.Errorf("remote_signature %s, want %s", got, tc.RemoteSignature)
	}
	if len(sigs.HTLCSigs) != len(tc.HTLCTxs) {
		t.Fatalf("%d HTLC signatures, want %d", len(sigs.HTLCSigs), len(tc.HTLCTxs))
	}
	for i, ht := range tc.HTLCTxs {
		if got := derHex(t, sigs.HTLCSigs[i]); got != ht.RemoteSig {
			t.Errorf("remote_htlc_signature %d: %s, want %s", i, got, ht.RemoteSig)
		}
	}

	// Local checks commitment_signed and completes its transactions.
	if err := VerifyCommitSigs(ctx, &local, c, sigs); err != nil {
		t.Fatal(err)
	}
	full, err := SignedCommitmentTx(ctx, s.localSigner, &local, c, sigs.CommitSig)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(serialize(t, full)); got != tc.OutputCommitTx {
		t.Fatalf("commitment tx\n got %s\nwant %s", got, tc.OutputCommitTx)
	}
	fundingOut := map[btcwire.OutPoint]*btcwire.TxOut{local.FundingOutpoint: fundingPrevOut(t, &local)}
	if err := execute(full, 0, fundingOut); err != nil {
		t.Fatalf("script engine rejects the commitment: %v", err)
	}

	commitOuts := prevOutsOf(full)
	for i, ht := range tc.HTLCTxs {
		h := &c.HTLCs[i]
		if ht.OutputIndex != nil && *ht.OutputIndex != h.Output.Index {
			t.Errorf("HTLC tx %d spends output %d, want %d", i, h.Output.Index, *ht.OutputIndex)
		}
		if ht.HTLCID != nil && *ht.HTLCID != h.ID {
			t.Errorf("HTLC tx %d is for HTLC %d, want %d", i, h.ID, *ht.HTLCID)
		}
		wantType := "htlc-timeout"
		var pre *htlc.Preimage
		if h.Direction == htlc.Received {
			wantType = "htlc-success"
			p := s.preimages[h.ID]
			pre = &p
		}
		if ht.TxType != "" && ht.TxType != wantType {
			t.Errorf("HTLC tx %d is %s, want %s", i, wantType, ht.TxType)
		}
		tx, err := SignedHTLCTx(ctx, s.localSigner, c, i, sigs.HTLCSigs[i], pre)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(serialize(t, tx)); got != ht.TxHex {
			t.Errorf("HTLC tx %d\n got %s\nwant %s", i, got, ht.TxHex)
		}
		if err := execute(tx, 0, commitOuts); err != nil {
			t.Errorf("script engine rejects HTLC tx %d: %v", i, err)
		}
	}
	return len(tc.HTLCTxs)
}
