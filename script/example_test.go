package script_test

import (
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

func pub(s string) *btcec.PublicKey {
	b, _ := hex.DecodeString(s)
	k, err := btcec.ParsePubKey(b)
	if err != nil {
		panic(err)
	}
	return k
}

// Build the funding output of BOLT 3 Appendix B: the keys are sorted into
// the 2-of-2 script, whose P2WSH output goes into the funding transaction.
func ExampleFundingOutput() {
	local := pub("023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb")
	remote := pub("030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c1")
	ws, out, err := script.FundingOutput(remote, local, 10_000_000)
	if err != nil {
		panic(err)
	}
	fmt.Printf("witness script: %x\n", ws)
	fmt.Printf("output: %d sat to %x\n", out.Value, out.PkScript)
	// Output:
	// witness script: 5221023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb21030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c152ae
	// output: 10000000 sat to 0020c015c4a6be010e21657068fc2e6a9d02b27ebe4d490a25846f7237f104d1a3cd
}

// Derive localpubkey from a basepoint and a per-commitment point (BOLT 3
// Appendix E).
func ExampleTweakPubKey() {
	basepoint := pub("036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2")
	perCommitmentPoint := pub("025f7117a78150fe2ef97db7cfc83bd57b2e2c0d0dd25eaf467a4a1c2a45ce1486")
	fmt.Printf("%x\n", script.TweakPubKey(basepoint, perCommitmentPoint).SerializeCompressed())
	// Output:
	// 0235f2dbfaa89b57ec7b055afe29849ef7ddfeb1cefdb9ebdc43f5494984db29e5
}

// Decide which HTLCs a commitment holds, and what its base fee is.
func ExampleHTLCTrimmed() {
	const feerate, dust = 5000, 546
	htlcs := []struct {
		kind script.HTLCKind
		msat uint64
	}{{script.Offered, 5_000_000}, {script.Offered, 1_000_000}, {script.Received, 7_000_000}, {script.Received, 800_000}}
	for _, ct := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		n := 0
		for _, h := range htlcs {
			if !script.HTLCTrimmed(ct, h.kind, wireMsat(h.msat), feerate, dust) {
				n++
			}
		}
		fmt.Printf("%v: %d HTLC outputs, base fee %d sat\n", ct, n, int64(script.CommitFee(ct, feerate, n)))
	}
	// Output:
	// option_static_remotekey: 2 HTLC outputs, base fee 5340 sat
	// option_anchors: 4 HTLC outputs, base fee 9060 sat
}

// Sort commitment outputs and find where each HTLC went. Two HTLC outputs
// with the same amount and script are ordered by cltv_expiry.
func ExampleSortOutputs() {
	same := []byte{0x00, 0x20, 0xaa}
	outs := []*btcwire.TxOut{
		{Value: 5000, PkScript: same}, // HTLC expiring at 506
		{Value: 3000, PkScript: []byte{0x00, 0x14, 0xbb}},
		{Value: 5000, PkScript: same}, // HTLC expiring at 505
	}
	newIndex, err := script.SortOutputs(outs, []uint32{506, 0, 505})
	if err != nil {
		panic(err)
	}
	fmt.Println(newIndex)
	// Output:
	// [2 0 1]
}

// Find the commitment number of a commitment transaction seen on chain.
func ExampleCommitmentNumber() {
	opener := pub("034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa")
	accepter := pub("032c0b7cf95324a07d05398b240174dc0c2be444d96b159aa6c7f7b1e668680991")
	factor := script.ObscuringFactor(opener, accepter)
	lockTime, sequence, _ := script.CommitmentLockTimeSequence(42, factor)
	n, _ := script.CommitmentNumber(lockTime, sequence, factor)
	fmt.Printf("factor %x, locktime %x, sequence %x, number %d\n", factor, lockTime, sequence, n)
	// Output:
	// factor 2bb038521914, locktime 2052193e, sequence 802bb038, number 42
}

func wireMsat(v uint64) wire.MilliSatoshi { return wire.MilliSatoshi(v) }
