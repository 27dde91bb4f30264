package channel_test

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
)

func exampleKey(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

func exampleSecrets(name string) channel.BasepointSecrets {
	return channel.BasepointSecrets{
		Funding:        exampleKey(name + "/funding"),
		Revocation:     exampleKey(name + "/revocation"),
		Payment:        exampleKey(name + "/payment"),
		DelayedPayment: exampleKey(name + "/delayed"),
		HTLC:           exampleKey(name + "/htlc"),
	}
}

// Build the peer's commitment for an anchors channel with one HTLC in each
// direction, sign it for commitment_signed, and show its outputs.
func Example() {
	alice := channel.NewMemorySigner(exampleSecrets("alice"))
	bob := channel.NewMemorySigner(exampleSecrets("bob"))

	params := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: chainhash.HashH([]byte("funding tx")), Index: 0},
		FundingAmount:   1_000_000,
		Type:            script.Anchors,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: alice.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: bob.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
	}
	state := &channel.State{
		Number:        1,
		FeeRate:       2500,
		LocalBalance:  600_000_000,
		RemoteBalance: 370_000_000,
		HTLCs: []htlc.HTLC{
			{ID: 0, Direction: htlc.Offered, Amount: 20_000_000, CLTVExpiry: 800_100, PaymentHash: htlc.Preimage{1}.Hash()},
			{ID: 0, Direction: htlc.Received, Amount: 10_000_000, CLTVExpiry: 800_200, PaymentHash: htlc.Preimage{2}.Hash()},
		},
	}
	bobPoint := exampleKey("bob/per-commitment 1").PubKey()

	c, err := channel.RemoteCommitment(params, state, bobPoint)
	if err != nil {
		fmt.Println(err)
		return
	}
	sigs, err := channel.SignCommitment(context.Background(), alice, params, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("base fee %d sat, paid fee %d sat\n", int64(c.BaseFee), int64(c.Fee))
	for i, out := range c.Tx.TxOut {
		fmt.Printf("output %d: %d sat\n", i, out.Value)
	}
	for _, h := range c.HTLCs {
		fmt.Printf("HTLC %v %d at output %d, second stage pays %d sat\n",
			h.Direction, h.ID, h.Output.Index, h.SecondLevelTx.TxOut[0].Value)
	}
	fmt.Println("htlc signatures:", len(sigs.HTLCSigs))
	// Output:
	// base fee 3670 sat, paid fee 3670 sat
	// output 0: 330 sat
	// output 1: 330 sat
	// output 2: 10000 sat
	// output 3: 20000 sat
	// output 4: 370000 sat
	// output 5: 595670 sat
	// HTLC offered 0 at output 2, second stage pays 10000 sat
	// HTLC received 0 at output 3, second stage pays 20000 sat
	// htlc signatures: 2
}

// A monitor holds the peer's revoked commitment and the
// per_commitment_secret the peer revealed for it. The peer broadcast the
// commitment and then spent one of its HTLC outputs with an HTLC
// transaction; the monitor claims everything that is left in one
// transaction.
func ExampleSweepClaims() {
	alice := channel.NewMemorySigner(exampleSecrets("alice"))
	bob := channel.NewMemorySigner(exampleSecrets("bob"))
	params := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: chainhash.HashH([]byte("funding tx")), Index: 0},
		FundingAmount:   1_000_000,
		Type:            script.Anchors,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: alice.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: bob.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
	}
	state := &channel.State{
		Number: 1, FeeRate: 2500, LocalBalance: 600_000_000, RemoteBalance: 370_000_000,
		HTLCs: []htlc.HTLC{
			{ID: 0, Direction: htlc.Offered, Amount: 20_000_000, CLTVExpiry: 800_100, PaymentHash: htlc.Preimage{1}.Hash()},
			{ID: 0, Direction: htlc.Received, Amount: 10_000_000, CLTVExpiry: 800_200, PaymentHash: htlc.Preimage{2}.Hash()},
		},
	}
	bobSecret := exampleKey("bob/per-commitment 1") // revealed in revoke_and_ack
	revoked, err := channel.RemoteCommitment(params, state, bobSecret.PubKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, err := channel.RevokedClaims(revoked, bobSecret)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Bob's HTLC transaction spends the first HTLC output (here the
	// unsigned transaction stands for the one seen on chain).
	htlcTx := revoked.HTLCs[0].SecondLevelTx
	claims = channel.UnspentClaims(claims, htlcTx)
	second, err := channel.RevokedSecondLevelClaims(revoked, bobSecret, htlcTx)
	if err != nil {
		fmt.Println(err)
		return
	}
	claims = append(claims, second...)
	for _, cl := range claims {
		fmt.Printf("%v: %d sat, sequence %#x\n", cl.Kind, int64(cl.Value), cl.Sequence)
	}
	dest := script.P2WPKH(exampleKey("alice/sweep").PubKey())
	sweep, err := channel.SweepClaims(context.Background(), alice, claims, dest, 2500)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d inputs, weight %d, fee %d sat\n", len(sweep.Tx.TxIn), sweep.Weight, int64(sweep.Fee))
	// Output:
	// revoked to_local: 370000 sat, sequence 0xfffffffd
	// revoked HTLC: 20000 sat, sequence 0xfffffffd
	// to_remote: 595670 sat, sequence 0x1
	// revoked HTLC transaction output: 10000 sat, sequence 0xfffffffd
	// 4 inputs, weight 1497, fee 3742 sat
}
