package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// SweepTxVersion is the version of the sweep transactions built here.
const SweepTxVersion = 2

// rbfSequence is the sequence of sweep inputs that need no relative
// timelock: it signals replaceability and keeps CLTV usable.
const rbfSequence = 0xFFFFFFFD

// maxWitnessSig is the longest DER signature plus sighash byte; fees are
// estimated with it.
const maxWitnessSig = 73

// SweepTx is a signed transaction that spends a list of claims to one
// output.
type SweepTx struct {
	// Tx is the signed transaction, ready to broadcast once every claim's
	// timelock has passed.
	Tx *btcwire.MsgTx
	// Weight is the weight the fee was computed for: Tx's, with every
	// signature counted at 73 bytes, the longest a DER signature with its
	// sighash byte can be. Tx's real weight is at most this.
	Weight int64
	// Fee is what Tx pays: the claims' total value minus its output.
	Fee btcutil.Amount
}

// SweepClaims builds and signs one transaction that spends every claim
// to dest, paying feeRate for its weight (signatures counted at their
// largest). The claims may come from several transactions, such as a
// revoked commitment and HTLC transactions spending it, and are spent in
// the order given. The transaction's locktime is the largest LockTime of
// the claims; each input has its claim's Sequence. The transaction is
// valid only once every claim's timelock has passed, so a claim that
// must confirm soon (a revocation path, an HTLC claimed with its preimage
// before the peer can time it out) should not wait in one transaction with
// a claim whose timelock is further away.
//
// It refuses (ErrInvalidSweep) an empty list, a claim not made by this
// package's constructors, the same outpoint twice, an empty dest and an
// output that the fee would leave below dest's dust threshold. Every
// signature s returns is checked against the key the claim's script
// expects before the transaction is returned.
func SweepClaims(ctx context.Context, s Signer, claims []Claim, dest []byte, feeRate wire.SatPerKWeight) (*SweepTx, error) {
	return sweepClaims(ctx, s, claims, dest, feeRate, true)
}

// sweepClaims is SweepClaims; checkSigs false skips the check of the
// signer's signatures, so that tests can build spends signed by the wrong
// key for the script engine to refuse.
func sweepClaims(ctx context.Context, s Signer, claims []Claim, dest []byte, feeRate wire.SatPerKWeight, checkSigs bool) (*SweepTx, error) {
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: nothing to sweep", ErrInvalidSweep)
	}
	if len(dest) == 0 {
		return nil, fmt.Errorf("%w: empty destination script", ErrInvalidSweep)
	}
	lockTime, total, err := checkClaims(claims, nil)
	if err != nil {
		return nil, err
	}
	tx := &btcwire.MsgTx{Version: SweepTxVersion, LockTime: lockTime}
	addClaimInputs(tx, claims)
	tx.TxOut = []*btcwire.TxOut{{PkScript: dest}}
	weight := txWeight(tx)
	fee := feeRate.FeeForWeight(weight)
	value := total - fee
	if value < script.DustThreshold(dest) {
		return nil, fmt.Errorf("%w: %v swept, fee %v leaves %v, below dust", ErrInvalidSweep, total, fee, value)
	}
	tx.TxOut[0].Value = int64(value)
	if err := signClaims(ctx, s, tx, 0, claims, checkSigs); err != nil {
		return nil, err
	}
	return &SweepTx{Tx: tx, Weight: weight, Fee: fee}, nil
}

// checkClaims validates claims (and the outpoints in taken, which other
// inputs of the same transaction spend) and returns the locktime the
// transaction needs and the claims' total value.
func checkClaims(claims []Claim, taken map[btcwire.OutPoint]bool) (uint32, btcutil.Amount, error) {
	if taken == nil {
		taken = make(map[btcwire.OutPoint]bool, len(claims))
	}
	var lockTime uint32
	var total btcutil.Amount
	for i := range claims {
		cl := &claims[i]
		if cl.witness == nil {
			return 0, 0, fmt.Errorf("%w: claim %d was not made by a claim constructor", ErrInvalidSweep, i)
		}
		if cl.Value <= 0 || cl.Value > btcutil.MaxSatoshi {
			return 0, 0, fmt.Errorf("%w: claim %d value %v", ErrInvalidSweep, i, cl.Value)
		}
		if cl.LockTime >= MaxCLTVExpiry {
			return 0, 0, fmt.Errorf("%w: claim %d locktime %d is not a block height", ErrInvalidSweep, i, cl.LockTime)
		}
		if taken[cl.OutPoint] {
			return 0, 0, fmt.Errorf("%w: outpoint %v spent twice", ErrInvalidSweep, cl.OutPoint)
		}
		taken[cl.OutPoint] = true
		lockTime = max(lockTime, cl.LockTime)
		total += cl.Value
		if total > btcutil.MaxSatoshi {
			return 0, 0, fmt.Errorf("%w: claims total more than 21 million BTC", ErrInvalidSweep)
		}
	}
	return lockTime, total, nil
}

// addClaimInputs appends one input per claim, with the largest witness
// the claim's path can have, for weighing.
func addClaimInputs(tx *btcwire.MsgTx, claims []Claim) {
	dummy := make([]byte, maxWitnessSig)
	for i := range claims {
		cl := &claims[i]
		tx.TxIn = append(tx.TxIn, &btcwire.TxIn{
			PreviousOutPoint: cl.OutPoint,
			Sequence:         cl.Sequence,
			Witness:          cl.witness(dummy),
		})
	}
}

// txWeight returns the weight of tx as serialized: 3 × the size without
// witnesses plus the full size (BIP 141).
func txWeight(tx *btcwire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
}

// signClaims signs inputs first.. of tx, which spend claims, and sets
// their witnesses. tx must be final but for its witnesses.
func signClaims(ctx context.Context, s Signer, tx *btcwire.MsgTx, first int, claims []Claim, checkSigs bool) error {
	var hashes *txscript.TxSigHashes
	for i := range claims {
		cl := &claims[i]
		idx := first + i
		if !cl.signed {
			tx.TxIn[idx].Witness = cl.witness(nil)
			continue
		}
		if s == nil {
			return fmt.Errorf("%w: no signer", ErrInvalidParams)
		}
		if hashes == nil {
			hashes = txscript.NewTxSigHashes(tx, emptyFetcher)
		}
		req := cl.req
		req.Tx, req.InputIndex, req.Value, req.SigHashes = tx, idx, cl.Value, hashes
		sig, err := s.SignInput(ctx, &req)
		if err != nil {
			return fmt.Errorf("channel: signing %v input %d: %w", cl.Kind, idx, err)
		}
		if checkSigs {
			if err := checkSignerSig(&req, sig, cl.pub); err != nil {
				return fmt.Errorf("%w (%v input %d)", err, cl.Kind, idx)
			}
		}
		ws, err := witnessSig(sig, req.HashType)
		if err != nil {
			return err
		}
		tx.TxIn[idx].Witness = cl.witness(ws)
	}
	return nil
}

// checkSignerSig verifies a signature the Signer returned for req against
// the key the spent script expects, so that a signer holding other keys
// is noticed before a transaction that cannot confirm is broadcast.
func checkSignerSig(req *SignRequest, sig wire.Signature, pub *btcec.PublicKey) error {
	if pub == nil {
		return nil
	}
	digest, err := req.digest()
	if err != nil {
		return err
	}
	if !verifySig(sig, digest[:], pub) {
		return fmt.Errorf("%w: the signer's %v signature does not verify against the script's key", ErrInvalidSweep, req.Key)
	}
	return nil
}

// sweepTx is SweepClaims for the wrappers below, which return the bare
// transaction.
func sweepTx(ctx context.Context, s Signer, claims []Claim, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	st, err := SweepClaims(ctx, s, claims, dest, feeRate)
	if err != nil {
		return nil, err
	}
	return st.Tx, nil
}

// JusticeTx builds and signs the penalty transaction for the peer's revoked
// commitment c (c.Owner must be Remote), given the per_commitment_secret the
// peer revealed for it in revoke_and_ack. It sweeps, to dest, at feeRate,
// every claim of RevokedClaims: to_local and every HTLC output through the
// revocation key, and this node's own to_remote output. Anchor outputs are
// left alone.
//
// It is valid only while all those outputs are unspent. Once the peer has
// moved an HTLC output to an HTLC transaction, build the penalty from
// UnspentClaims(RevokedClaims(...), htlcTx) and RevokedSecondLevelClaims
// with SweepClaims instead.
func JusticeTx(ctx context.Context, s Signer, c *Commitment, secret *btcec.PrivateKey, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	claims, err := RevokedClaims(c, secret)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, claims, dest, feeRate)
}

// JusticeSecondLevelTx sweeps, through the revocation key, every output of
// htlcTx that pays the second-stage script of the peer's revoked
// commitment c (see RevokedSecondLevelClaims): htlcTx is an HTLC-timeout
// or HTLC-success transaction the peer broadcast, or several of them
// batched into one, at any output index.
func JusticeSecondLevelTx(ctx context.Context, s Signer, c *Commitment, secret *btcec.PrivateKey, htlcTx *btcwire.MsgTx, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	claims, err := RevokedSecondLevelClaims(c, secret, htlcTx)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, claims, dest, feeRate)
}

// SweepToLocalTx sweeps the to_local output of this node's commitment c
// (c.Owner must be Local) to dest once to_self_delay blocks have passed
// since c confirmed: the input's sequence is to_self_delay, so the
// transaction is valid no earlier. p, when not nil, must have c's
// to_self_delay as p.Local.ToSelfDelay.
func SweepToLocalTx(ctx context.Context, s Signer, p *Params, c *Commitment, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if err := checkDelay(p, c); err != nil {
		return nil, err
	}
	cl, err := ToLocalClaim(c)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, []Claim{cl}, dest, feeRate)
}

// SweepSecondLevelTx sweeps every output of htlcTx, this node's confirmed
// HTLC-timeout or HTLC-success transaction of commitment c, that pays c's
// second-stage script, after to_self_delay (see SecondLevelClaims). p,
// when not nil, must have c's to_self_delay as p.Local.ToSelfDelay.
func SweepSecondLevelTx(ctx context.Context, s Signer, p *Params, c *Commitment, htlcTx *btcwire.MsgTx, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if err := checkDelay(p, c); err != nil {
		return nil, err
	}
	claims, err := SecondLevelClaims(c, htlcTx)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, claims, dest, feeRate)
}

func checkDelay(p *Params, c *Commitment) error {
	if p != nil && c != nil && p.Local.ToSelfDelay != c.ToSelfDelay {
		return fmt.Errorf("%w: to_self_delay %d in the parameters, %d in the commitment", ErrInvalidSweep, p.Local.ToSelfDelay, c.ToSelfDelay)
	}
	return nil
}

// SweepToRemoteTx sweeps this node's to_remote output of the peer's
// commitment c (c.Owner must be Remote), revoked or not, to dest: under
// option_anchors the P2WSH `<remotepubkey> OP_CHECKSIGVERIFY 1
// OP_CHECKSEQUENCEVERIFY`, spent with witness `<sig>` and sequence 1, so
// valid from the block after c's; under option_static_remotekey the
// P2WPKH to this node's payment_basepoint, at once.
func SweepToRemoteTx(ctx context.Context, s Signer, c *Commitment, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	cl, err := ToRemoteClaim(c)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, []Claim{cl}, dest, feeRate)
}

// ClaimHTLCTx spends HTLC output c.HTLCs[i] of the peer's commitment c
// (c.Owner must be Remote; the peer broadcast it) directly to dest: an HTLC
// the peer offered, with its preimage (witness `<sig> <preimage>`), or an
// HTLC this node offered, after timeout (witness `<sig> 0`, locktime
// cltv_expiry, so valid from that height on). preimage is ignored for
// timeouts. See RemoteHTLCClaim.
func ClaimHTLCTx(ctx context.Context, s Signer, c *Commitment, i int, preimage *htlc.Preimage, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	cl, err := RemoteHTLCClaim(c, i, preimage)
	if err != nil {
		return nil, err
	}
	return sweepTx(ctx, s, []Claim{cl}, dest, feeRate)
}
