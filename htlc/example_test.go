package htlc_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

func key(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// Build, sign and complete the HTLC-success transaction that claims a
// received HTLC from our own commitment with its preimage, in an
// anchors channel: no fee, input sequence 1, and the counterparty's
// signature (sent in commitment_signed) made with
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY.
func ExampleNewSuccessTx() {
	ct := script.Anchors
	localHTLC, remoteHTLC := key("local htlc"), key("remote htlc")
	revocation, delayed := key("revocation"), key("delayed")

	preimage := htlc.Preimage{0x42}
	h := htlc.HTLC{
		ID:          0,
		Direction:   htlc.Received,
		Amount:      2_000_000, // msat
		CLTVExpiry:  800_000,
		PaymentHash: preimage.Hash(),
	}
	// The HTLC output's witness script on our commitment.
	htlcScript, err := script.HTLCScript(ct, h.Direction, revocation.PubKey(),
		localHTLC.PubKey(), remoteHTLC.PubKey(), h.PaymentHash, h.CLTVExpiry)
	if err != nil {
		panic(err)
	}

	params := &htlc.SecondLevelParams{
		ChannelType:   ct,
		CommitTxHash:  chainhash.HashH([]byte("our commitment")),
		FeeRate:       wire.SatPerKWeight(2500),
		RevocationKey: revocation.PubKey(),
		DelayedKey:    delayed.PubKey(),
		ToSelfDelay:   144,
	}
	tx, err := htlc.NewSuccessTx(params, &h, 2) // output 2 of the commitment
	if err != nil {
		panic(err)
	}

	value := h.Amount.ToSatoshis()
	remoteHash, _ := htlc.SignatureHash(tx, htlcScript, value, htlc.RemoteSigHashType(ct))
	localHash, _ := htlc.SignatureHash(tx, htlcScript, value, htlc.LocalSigHashType)
	tx.TxIn[0].Witness = htlc.SuccessWitness(ct,
		ecdsa.Sign(remoteHTLC, remoteHash), ecdsa.Sign(localHTLC, localHash), preimage, htlcScript)

	w := tx.TxIn[0].Witness
	fmt.Println("locktime:", tx.LockTime, "sequence:", tx.TxIn[0].Sequence)
	fmt.Println("output value:", tx.TxOut[0].Value)
	fmt.Printf("remote sighash byte: %#x, local: %#x\n", w[1][len(w[1])-1], w[2][len(w[2])-1])
	fmt.Println("witness items:", len(w), "preimage matches:", htlc.Preimage(w[3]).Matches(h.PaymentHash))
	// Output:
	// locktime: 0 sequence: 1
	// output value: 2000
	// remote sighash byte: 0x83, local: 0x1
	// witness items: 5 preimage matches: true
}
