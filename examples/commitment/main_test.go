package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The program's output is checked against the BOLT 3 Appendix C vectors
// kept in the channel package's testdata.
type vectors struct {
	Parameters struct {
		HTLCs []struct {
			ID         uint64 `json:"id"`
			Direction  string `json:"direction"`
			AmountMsat uint64 `json:"amount_msat"`
			Expiry     uint32 `json:"expiry"`
			Preimage   string `json:"payment_preimage"`
		} `json:"htlcs"`
	} `json:"parameters"`
	TestCases []struct {
		FeeRate      uint32 `json:"local_feerate_per_kw"`
		ToLocalMsat  uint64 `json:"to_local_msat"`
		ToRemoteMsat uint64 `json:"to_remote_msat"`
		HTLCs        []struct {
			ID uint64 `json:"id"`
		} `json:"htlcs"`
		CommitTx string `json:"output_commit_tx"`
		HTLCTxs  []struct {
			TxHex string `json:"tx_hex"`
		} `json:"htlc_txs"`
	} `json:"test_cases"`
}

func load(t *testing.T) *vectors {
	b, err := os.ReadFile("../../channel/testdata/commitment_static_remotekey.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func TestDefaultsAreAppendixCBaseCase(t *testing.T) {
	v := load(t)
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "commitment tx: "+v.TestCases[0].CommitTx+"\n") {
		t.Fatalf("output does not hold the Appendix C base case:\n%s", out.String())
	}
}

func TestEveryAppendixCCase(t *testing.T) {
	v := load(t)
	dirs := map[string]string{"local->remote": "offered", "remote->local": "received"}
	for i, tc := range v.TestCases {
		args := []string{
			fmt.Sprintf("-feerate=%d", tc.FeeRate),
			fmt.Sprintf("-to-local-msat=%d", tc.ToLocalMsat),
			fmt.Sprintf("-to-remote-msat=%d", tc.ToRemoteMsat),
		}
		for _, ref := range tc.HTLCs {
			for _, h := range v.Parameters.HTLCs {
				if h.ID == ref.ID {
					args = append(args, fmt.Sprintf("-htlc=%s:%d:%d:%s", dirs[h.Direction], h.AmountMsat, h.Expiry, h.Preimage))
				}
			}
		}
		var out bytes.Buffer
		if err := run(args, &out); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !strings.Contains(out.String(), "commitment tx: "+tc.CommitTx+"\n") {
			t.Errorf("case %d: commitment tx differs:\n%s", i, out.String())
		}
		for j, ht := range tc.HTLCTxs {
			if !strings.Contains(out.String(), ": "+ht.TxHex+"\n") {
				t.Errorf("case %d: HTLC tx %d missing", i, j)
			}
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-type=legacy"},
		{"-htlc=sideways:1000:5:00"},
		{"-htlc=offered:x:5:0000000000000000000000000000000000000000000000000000000000000000"},
		{"-to-local-msat=1"}, // balances no longer add up to the funding amount
	} {
		var out bytes.Buffer
		if err := run(args, &out); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"-type=anchors"}, &out); err != nil || !strings.Contains(out.String(), "to_local_anchor") {
		t.Fatalf("anchors: %v\n%s", err, out.String())
	}
}
