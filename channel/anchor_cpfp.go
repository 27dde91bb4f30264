package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
)

// SignedWeight returns the weight of c's transaction once its witness
// holds both funding signatures, each counted at 73 bytes: an upper bound
// of the broadcast commitment's weight, for child-pays-for-parent. It is
// 0 for a Commitment without its one-input transaction.
func (c *Commitment) SignedWeight() int64 {
	if c == nil || c.Tx == nil || len(c.Tx.TxIn) != 1 {
		return 0
	}
	tx := *c.Tx
	in := *c.Tx.TxIn[0]
	sig := make([]byte, maxWitnessSig)
	in.Witness = btcwire.TxWitness{nil, sig, sig, c.FundingScript}
	tx.TxIn = []*btcwire.TxIn{&in}
	return txWeight(&tx)
}

// AnchorCPFPTx builds a child-pays-for-parent transaction for the
// option_anchors commitment c, this node's or the peer's, while c waits
// unconfirmed: it spends this node's anchor output of c (AnchorClaim,
// signed here with the funding key) and the wallet inputs of f (left for
// the wallet to sign) to one change output, f.ChangeScript.
//
// The fee makes c and the child together pay f.FeeRate: f.FeeRate times
// c.SignedWeight() plus the child's weight, minus c.Fee, which c pays
// itself; and never less than f.FeeRate times the child's own weight.
// When the anchor and the wallet inputs cannot pay it and leave change at
// or above dust, the error is an *InsufficientFundsError.
func AnchorCPFPTx(ctx context.Context, s Signer, c *Commitment, f *WalletFunding) (*WalletFundedTx, error) {
	cl, err := AnchorClaim(c)
	if err != nil {
		return nil, err
	}
	return anchorCPFP(ctx, s, c, cl, f, true)
}

func anchorCPFP(ctx context.Context, s Signer, c *Commitment, cl Claim, f *WalletFunding, checkSigs bool) (*WalletFundedTx, error) {
	claims := []Claim{cl}
	taken := make(map[btcwire.OutPoint]bool)
	lockTime, anchorValue, err := checkClaims(claims, taken)
	if err != nil {
		return nil, err
	}
	walletValue, err := checkFunding(f, taken)
	if err != nil {
		return nil, err
	}
	tx := &btcwire.MsgTx{Version: SweepTxVersion, LockTime: lockTime}
	addClaimInputs(tx, claims)
	walletIdx, walletWeight := addWalletInputs(tx, f)
	tx.TxOut = []*btcwire.TxOut{{PkScript: f.ChangeScript}}
	weight := txWeight(tx) + walletWeight

	fee := f.FeeRate.FeeForWeight(weight)
	if pkg := f.FeeRate.FeeForWeight(c.SignedWeight()+weight) - c.Fee; pkg > fee {
		fee = pkg
	}
	if err := setChange(tx.TxOut[0], anchorValue+walletValue, 0, fee); err != nil {
		return nil, err
	}
	if err := signClaims(ctx, s, tx, 0, claims, checkSigs); err != nil {
		return nil, err
	}
	prev := make([]*btcwire.TxOut, 0, len(tx.TxIn))
	prev = append(prev, cl.PrevOut())
	for i := range f.Inputs {
		prev = append(prev, &btcwire.TxOut{Value: int64(f.Inputs[i].Value), PkScript: f.Inputs[i].PkScript})
	}
	if len(prev) != len(tx.TxIn) {
		return nil, fmt.Errorf("channel: internal error: %d prevouts for %d inputs", len(prev), len(tx.TxIn))
	}
	return &WalletFundedTx{
		Tx: tx, WalletInputs: walletIdx, Change: 0, PrevOuts: prev,
		Weight: weight, Fee: anchorValue + walletValue - btcutil.Amount(tx.TxOut[0].Value),
	}, nil
}
