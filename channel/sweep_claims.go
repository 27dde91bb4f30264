package channel

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
)

// ClaimKind names the spend path a Claim takes (BOLT 3 scripts, BOLT 5
// "Unilateral Close Handling" and "Revoked Transaction Close Handling").
type ClaimKind uint8

const (
	// ClaimRevokedToLocal takes the to_local output of the peer's revoked
	// commitment with the revocation key: witness `<revocation_sig> 1`.
	ClaimRevokedToLocal ClaimKind = iota + 1
	// ClaimRevokedHTLC takes an HTLC output of the peer's revoked
	// commitment with the revocation key: witness `<revocation_sig>
	// <revocationpubkey>`.
	ClaimRevokedHTLC
	// ClaimRevokedSecondLevel takes an output of an HTLC-timeout or
	// HTLC-success transaction the peer spent its revoked commitment
	// with, through the revocation key: witness `<revocation_sig> 1`.
	ClaimRevokedSecondLevel
	// ClaimToRemote takes this node's to_remote output of the peer's
	// commitment, revoked or not: P2WPKH witness `<sig> <pubkey>`, or
	// under option_anchors `<sig>` with sequence 1.
	ClaimToRemote
	// ClaimToLocal takes the to_local output of this node's commitment
	// after to_self_delay: witness `<local_delayedsig> 0`, sequence
	// to_self_delay.
	ClaimToLocal
	// ClaimSecondLevel takes the output of this node's HTLC-timeout or
	// HTLC-success transaction after to_self_delay, like ClaimToLocal.
	ClaimSecondLevel
	// ClaimHTLCPreimage takes an HTLC the peer offered from the peer's
	// commitment with its preimage: witness `<remotehtlcsig>
	// <payment_preimage>` (sequence 1 under option_anchors).
	ClaimHTLCPreimage
	// ClaimHTLCTimeout takes an HTLC this node offered back from the
	// peer's commitment after its cltv_expiry: witness `<remotehtlcsig>
	// 0`, locktime cltv_expiry (sequence 1 under option_anchors).
	ClaimHTLCTimeout
	// ClaimAnchor spends this node's anchor output with its funding key,
	// at any time: witness `<sig>`.
	ClaimAnchor
	// ClaimAnchorSweep spends either anchor output without a signature
	// once it is 16 blocks deep: witness `<>`, sequence 16. Anyone can.
	ClaimAnchorSweep
)

// String names the kind.
func (k ClaimKind) String() string {
	switch k {
	case ClaimRevokedToLocal:
		return "revoked to_local"
	case ClaimRevokedHTLC:
		return "revoked HTLC"
	case ClaimRevokedSecondLevel:
		return "revoked HTLC transaction output"
	case ClaimToRemote:
		return "to_remote"
	case ClaimToLocal:
		return "to_local"
	case ClaimSecondLevel:
		return "HTLC transaction output"
	case ClaimHTLCPreimage:
		return "HTLC with preimage"
	case ClaimHTLCTimeout:
		return "HTLC timeout"
	case ClaimAnchor:
		return "anchor"
	case ClaimAnchorSweep:
		return "anchor sweep"
	default:
		return fmt.Sprintf("ClaimKind(%d)", uint8(k))
	}
}

// Claim is one output this node can spend on chain, with everything
// needed to spend it: what an on-chain monitor keeps for every output it
// has to resolve. The constructors below make claims (RevokedClaims,
// RevokedSecondLevelClaims, ToLocalClaim, SecondLevelClaims,
// ToRemoteClaim, RemoteHTLCClaim, AnchorClaim, AnchorSweepClaim), and
// SweepClaims spends any list of them, from one transaction or several,
// in one transaction; UnspentClaims drops those another transaction has
// already spent.
//
// The exported fields describe the spend, for the monitor to watch the
// outpoint and to know from when it is valid; a spend built from a claim
// whose fields were changed is not valid.
type Claim struct {
	// Kind is the spend path.
	Kind ClaimKind
	// OutPoint is the output spent.
	OutPoint btcwire.OutPoint
	// Value is the output's amount.
	Value btcutil.Amount
	// PkScript is the output's script.
	PkScript []byte
	// WitnessScript is the script the witness reveals: nil when the
	// output is a P2WPKH.
	WitnessScript []byte
	// Sequence is the spending input's nSequence: the relative timelock
	// in blocks (BIP 68) the path needs, counted from the confirmation of
	// the output's transaction (to_self_delay, 1 or 16), or 0xFFFFFFFD.
	Sequence uint32
	// LockTime is the smallest nLockTime, a block height, the spending
	// transaction may have: cltv_expiry for ClaimHTLCTimeout, otherwise 0.
	LockTime uint32
	// HTLC is the HTLC an HTLC output, or an HTLC transaction output,
	// carries, its Direction from the commitment owner's point of view;
	// nil for other outputs and when it cannot be told.
	HTLC *htlc.HTLC

	// signed is false for the one path without a signature (anchor
	// sweep); req is then unused.
	signed bool
	// req is the signing template: Tx, InputIndex, Value and SigHashes
	// are filled in when the transaction is built.
	req SignRequest
	// pub is the key the signature must verify against.
	pub *btcec.PublicKey
	// witness builds the input's witness from the signature (with its
	// sighash byte).
	witness func(sig []byte) btcwire.TxWitness
}

// PrevOut returns the output the claim spends, as a prevout fetcher or
// the script engine needs it.
func (cl *Claim) PrevOut() *btcwire.TxOut {
	return &btcwire.TxOut{Value: int64(cl.Value), PkScript: cl.PkScript}
}

// WitnessSize returns the size in bytes of the claim's witness as
// serialized, with its signature counted at 73 bytes (the largest): the
// weight the input adds beyond its 164 non-witness weight units.
func (cl *Claim) WitnessSize() int {
	if cl.witness == nil {
		return 0
	}
	return cl.witness(make([]byte, maxWitnessSig)).SerializeSize()
}

func outpoint(c *Commitment, index int) btcwire.OutPoint {
	return btcwire.OutPoint{Hash: c.TxHash, Index: uint32(index)}
}

// outputClaim starts a claim on output o of commitment c.
func outputClaim(k ClaimKind, c *Commitment, o *Output) Claim {
	return Claim{
		Kind: k, OutPoint: outpoint(c, o.Index), Value: o.Value,
		PkScript: o.PkScript, WitnessScript: o.WitnessScript, Sequence: rbfSequence,
	}
}

// checkRevocationSecret makes sure secret is the per-commitment secret of
// the revoked commitment c of the peer.
func checkRevocationSecret(c *Commitment, secret *btcec.PrivateKey) error {
	if c == nil || c.Owner != Remote || c.Keys == nil {
		return fmt.Errorf("%w: a justice transaction spends the peer's revoked commitment", ErrInvalidSweep)
	}
	if secret == nil || !secret.PubKey().IsEqual(c.Keys.PerCommitmentPoint) {
		return fmt.Errorf("%w: per_commitment_secret does not match the commitment's per_commitment_point", ErrInvalidSweep)
	}
	return nil
}

// revocationSign is the signing template of every revocation path.
func revocationSign(c *Commitment, secret *btcec.PrivateKey, ws []byte) SignRequest {
	return SignRequest{Key: KeyRevocation, PerCommitmentSecret: secret, HashType: txscript.SigHashAll, WitnessScript: ws}
}

// RevokedClaims lists every output of the peer's revoked commitment c
// (c.Owner must be Remote) this node can take with the
// per_commitment_secret the peer revealed for it: to_local
// (ClaimRevokedToLocal) and each HTLC output (ClaimRevokedHTLC) through
// the revocation key, and this node's own to_remote output (ClaimToRemote),
// in that order. Anchors are not listed (see AnchorClaim).
//
// A monitor spends all of them at once (SweepClaims), or in several
// transactions, and, when the peer spends some HTLC outputs first with its
// HTLC transactions, drops those (UnspentClaims) and adds the outputs of
// the HTLC transactions (RevokedSecondLevelClaims). Under option_anchors
// the to_remote claim needs c to be confirmed (sequence 1); the
// revocation paths do not.
func RevokedClaims(c *Commitment, secret *btcec.PrivateKey) ([]Claim, error) {
	if err := checkRevocationSecret(c, secret); err != nil {
		return nil, err
	}
	claims := make([]Claim, 0, len(c.HTLCs)+2)
	if c.ToLocal.Present() {
		cl := outputClaim(ClaimRevokedToLocal, c, &c.ToLocal)
		ws := c.ToLocal.WitnessScript
		cl.signed, cl.req, cl.pub = true, revocationSign(c, secret, ws), c.Keys.RevocationKey
		cl.witness = func(sig []byte) btcwire.TxWitness { return script.ToLocalRevokeWitness(sig, ws) }
		claims = append(claims, cl)
	}
	for i := range c.HTLCs {
		h := &c.HTLCs[i]
		cl := outputClaim(ClaimRevokedHTLC, c, &h.Output)
		ws, rev := h.Output.WitnessScript, c.Keys.RevocationKey
		hc := h.HTLC
		cl.HTLC = &hc
		cl.signed, cl.req, cl.pub = true, revocationSign(c, secret, ws), rev
		cl.witness = func(sig []byte) btcwire.TxWitness { return script.HTLCRevokeWitness(sig, rev, ws) }
		claims = append(claims, cl)
	}
	if c.ToRemote.Present() {
		cl, err := ToRemoteClaim(c)
		if err != nil {
			return nil, err
		}
		claims = append(claims, cl)
	}
	return claims, nil
}

// RevokedSecondLevelClaims lists, as ClaimRevokedSecondLevel, every output
// of tx that pays the second-stage script of the peer's revoked commitment
// c (c.Owner must be Remote), found by script, at any index. tx is an
// HTLC-timeout or HTLC-success transaction the peer spent c with: under
// option_anchors the peer may have batched several of them, with inputs
// and outputs of its own, into one transaction, since this node's
// signatures on them are SIGHASH_SINGLE|SIGHASH_ANYONECANPAY. Each output
// can be taken at once through the revocation key, before the peer's
// to_self_delay runs out. It fails when tx pays no such output.
func RevokedSecondLevelClaims(c *Commitment, secret *btcec.PrivateKey, tx *btcwire.MsgTx) ([]Claim, error) {
	if err := checkRevocationSecret(c, secret); err != nil {
		return nil, err
	}
	ws := c.SecondLevelScript
	return secondLevelClaims(c, tx, func(cl *Claim) {
		cl.Kind = ClaimRevokedSecondLevel
		cl.signed, cl.req, cl.pub = true, revocationSign(c, secret, ws), c.Keys.RevocationKey
		cl.witness = func(sig []byte) btcwire.TxWitness { return script.ToLocalRevokeWitness(sig, ws) }
	})
}

// SecondLevelClaims lists, as ClaimSecondLevel, every output of tx that
// pays the second-stage script of this node's commitment c (c.Owner must
// be Local), found by script: the output of this node's HTLC-timeout or
// HTLC-success transaction (output 0, also when fee inputs and a change
// output were added). Each is spendable to_self_delay blocks after tx
// confirms. It fails when tx pays no such output.
func SecondLevelClaims(c *Commitment, tx *btcwire.MsgTx) ([]Claim, error) {
	if c == nil || c.Owner != Local || c.Keys == nil {
		return nil, fmt.Errorf("%w: second-stage outputs of the local commitment only", ErrInvalidSweep)
	}
	if c.ToSelfDelay == 0 {
		return nil, fmt.Errorf("%w: commitment has no to_self_delay", ErrInvalidSweep)
	}
	return secondLevelClaims(c, tx, func(cl *Claim) { delayedClaim(c, cl, ClaimSecondLevel) })
}

// secondLevelClaims finds the outputs of tx paying c.SecondLevelScript and
// lets finish set the spend path of each.
func secondLevelClaims(c *Commitment, tx *btcwire.MsgTx, finish func(*Claim)) ([]Claim, error) {
	if tx == nil || len(tx.TxIn) == 0 || len(tx.TxOut) == 0 {
		return nil, fmt.Errorf("%w: not an HTLC transaction", ErrInvalidSweep)
	}
	pk := script.P2WSH(c.SecondLevelScript)
	txid := tx.TxHash()
	if txid == c.TxHash {
		// Its to_local output pays the same script, but is claimed as
		// to_local (RevokedClaims, ToLocalClaim).
		return nil, fmt.Errorf("%w: that is the commitment transaction, not an HTLC transaction", ErrInvalidSweep)
	}
	var claims []Claim
	for k, out := range tx.TxOut {
		if string(out.PkScript) != string(pk) || out.Value <= 0 {
			continue
		}
		cl := Claim{
			OutPoint: btcwire.OutPoint{Hash: txid, Index: uint32(k)},
			Value:    btcutil.Amount(out.Value), PkScript: out.PkScript,
			WitnessScript: c.SecondLevelScript, Sequence: rbfSequence,
			HTLC: pairedHTLC(c, tx, k),
		}
		finish(&cl)
		claims = append(claims, cl)
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: the transaction pays no output to this commitment's second-stage script", ErrInvalidSweep)
	}
	return claims, nil
}

// pairedHTLC returns the HTLC whose output input k of tx spends: an HTLC
// transaction's output k is paired with its input k, since the peer's
// signature is SIGHASH_SINGLE (or the transaction has one of each).
func pairedHTLC(c *Commitment, tx *btcwire.MsgTx, k int) *htlc.HTLC {
	if k >= len(tx.TxIn) || tx.TxIn[k].PreviousOutPoint.Hash != c.TxHash {
		return nil
	}
	idx := int(tx.TxIn[k].PreviousOutPoint.Index)
	for i := range c.HTLCs {
		if c.HTLCs[i].Output.Index == idx {
			h := c.HTLCs[i].HTLC
			return &h
		}
	}
	return nil
}

// delayedClaim sets the to_self_delay path of a to_local-shaped output of
// this node's commitment c.
func delayedClaim(c *Commitment, cl *Claim, k ClaimKind) {
	ws := c.SecondLevelScript
	cl.Kind = k
	cl.Sequence = uint32(c.ToSelfDelay)
	cl.signed, cl.pub = true, c.Keys.LocalDelayedKey
	cl.req = SignRequest{
		Key: KeyDelayedPayment, PerCommitmentPoint: c.Keys.PerCommitmentPoint,
		HashType: txscript.SigHashAll, WitnessScript: ws,
	}
	cl.witness = func(sig []byte) btcwire.TxWitness { return script.ToLocalDelayedWitness(sig, ws) }
}

// ToLocalClaim returns the to_local output of this node's commitment c
// (c.Owner must be Local) as ClaimToLocal: spendable to_self_delay blocks
// after c confirms.
func ToLocalClaim(c *Commitment) (Claim, error) {
	if c == nil || c.Owner != Local || c.Keys == nil || !c.ToLocal.Present() {
		return Claim{}, fmt.Errorf("%w: no to_local output on the local commitment", ErrInvalidSweep)
	}
	if c.ToSelfDelay == 0 {
		return Claim{}, fmt.Errorf("%w: commitment has no to_self_delay", ErrInvalidSweep)
	}
	cl := outputClaim(ClaimToLocal, c, &c.ToLocal)
	delayedClaim(c, &cl, ClaimToLocal)
	return cl, nil
}

// ToRemoteClaim returns this node's to_remote output of the peer's
// commitment c (c.Owner must be Remote), revoked or not, as ClaimToRemote.
// It pays this node's payment_basepoint: a P2WPKH spendable at once under
// option_static_remotekey, or under option_anchors the P2WSH
// `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`, spendable
// from the block after c's (sequence 1).
func ToRemoteClaim(c *Commitment) (Claim, error) {
	if c == nil || c.Owner != Remote || c.Keys == nil || !c.ToRemote.Present() {
		return Claim{}, fmt.Errorf("%w: no to_remote output on the remote commitment", ErrInvalidSweep)
	}
	cl := outputClaim(ClaimToRemote, c, &c.ToRemote)
	cl.signed, cl.pub = true, c.Keys.ToRemoteKey
	cl.req = SignRequest{Key: KeyPayment, HashType: txscript.SigHashAll}
	if c.Type.HasAnchors() {
		ws := c.ToRemote.WitnessScript
		cl.Sequence = 1
		cl.req.WitnessScript = ws
		cl.witness = func(sig []byte) btcwire.TxWitness { return script.ToRemoteAnchorsWitness(sig, ws) }
	} else {
		key := c.Keys.ToRemoteKey
		cl.req.WitnessScript = c.ToRemote.PkScript
		cl.witness = func(sig []byte) btcwire.TxWitness { return script.P2WPKHWitness(sig, key) }
	}
	return cl, nil
}

// RemoteHTLCClaim returns HTLC output c.HTLCs[i] of the peer's commitment
// c (c.Owner must be Remote) spent directly by this node: an HTLC the peer
// offered, with its preimage (ClaimHTLCPreimage), or one this node offered
// after its cltv_expiry (ClaimHTLCTimeout; preimage is ignored). Under
// option_anchors both need c to be confirmed (sequence 1).
func RemoteHTLCClaim(c *Commitment, i int, preimage *htlc.Preimage) (Claim, error) {
	if c == nil || c.Owner != Remote || c.Keys == nil || i < 0 || i >= len(c.HTLCs) {
		return Claim{}, fmt.Errorf("%w: no HTLC %d on the remote commitment", ErrInvalidSweep, i)
	}
	h := &c.HTLCs[i]
	ws := h.Output.WitnessScript
	cl := outputClaim(ClaimHTLCPreimage, c, &h.Output)
	hc := h.HTLC
	cl.HTLC = &hc
	cl.signed, cl.pub = true, c.Keys.RemoteHTLCKey
	cl.req = SignRequest{
		Key: KeyHTLC, PerCommitmentPoint: c.Keys.PerCommitmentPoint,
		HashType: txscript.SigHashAll, WitnessScript: ws,
	}
	if c.Type.HasAnchors() {
		cl.Sequence = 1 // the anchors HTLC scripts require 1 OP_CHECKSEQUENCEVERIFY
	}
	if h.Direction == htlc.Offered {
		// The peer offered it: this node claims it with the preimage.
		if preimage == nil || !preimage.Matches(h.PaymentHash) {
			return Claim{}, fmt.Errorf("%w: claiming HTLC %d needs the preimage of %v", ErrInvalidSweep, h.ID, h.PaymentHash)
		}
		pre := *preimage
		cl.witness = func(sig []byte) btcwire.TxWitness {
			return script.OfferedHTLCRemoteSuccessWitness(sig, pre, ws)
		}
		return cl, nil
	}
	// This node offered it: it times out at cltv_expiry.
	if h.CLTVExpiry >= MaxCLTVExpiry {
		return Claim{}, fmt.Errorf("%w: HTLC %d cltv_expiry %d", ErrHTLCExpiry, h.ID, h.CLTVExpiry)
	}
	cl.Kind = ClaimHTLCTimeout
	cl.LockTime = h.CLTVExpiry
	cl.witness = func(sig []byte) btcwire.TxWitness {
		return script.ReceivedHTLCRemoteTimeoutWitness(sig, ws)
	}
	return cl, nil
}

// anchorOf returns the anchor output of commitment c that belongs to side
// (from this node's point of view).
func anchorOf(c *Commitment, side Side) (*Output, error) {
	if c == nil || !c.Type.HasAnchors() {
		return nil, fmt.Errorf("%w: not an option_anchors commitment", ErrInvalidSweep)
	}
	if side != Local && side != Remote {
		return nil, fmt.Errorf("%w: side %d", ErrInvalidSweep, side)
	}
	o := &c.RemoteAnchor
	if side == c.Owner {
		o = &c.LocalAnchor
	}
	if !o.Present() {
		return nil, fmt.Errorf("%w: the commitment has no %v anchor", ErrInvalidSweep, side)
	}
	return o, nil
}

// AnchorClaim returns this node's anchor output of commitment c, its own
// or the peer's (option_anchors), as ClaimAnchor: spent with this node's
// funding key, witness `<sig>`, at any time, including while c is
// unconfirmed, which is how c is fee-bumped by child-pays-for-parent
// (AnchorCPFPTx).
func AnchorClaim(c *Commitment) (Claim, error) {
	o, err := anchorOf(c, Local)
	if err != nil {
		return Claim{}, err
	}
	pub, err := anchorKey(o.WitnessScript)
	if err != nil {
		return Claim{}, err
	}
	ws := o.WitnessScript
	cl := outputClaim(ClaimAnchor, c, o)
	cl.signed, cl.pub = true, pub
	cl.req = SignRequest{Key: KeyFunding, HashType: txscript.SigHashAll, WitnessScript: ws}
	cl.witness = func(sig []byte) btcwire.TxWitness { return script.AnchorWitness(sig, ws) }
	return cl, nil
}

// AnchorSweepClaim returns the anchor output of commitment c that belongs
// to owner (Local: this node's, Remote: the peer's) as ClaimAnchorSweep:
// the path anyone may take once c has 16 confirmations, witness `<>` and
// sequence 16, which needs no key. Two anchors of 330 sat barely pay for
// their own spend; sweep them together, or with other claims.
func AnchorSweepClaim(c *Commitment, owner Side) (Claim, error) {
	o, err := anchorOf(c, owner)
	if err != nil {
		return Claim{}, err
	}
	ws := o.WitnessScript
	cl := outputClaim(ClaimAnchorSweep, c, o)
	cl.Sequence = script.AnchorCSVDelay
	cl.witness = func([]byte) btcwire.TxWitness { return script.AnchorSweepWitness(ws) }
	return cl, nil
}

// anchorKey reads the funding key out of an anchor witness script
// `<funding_pubkey> OP_CHECKSIG ...`.
func anchorKey(ws []byte) (*btcec.PublicKey, error) {
	if len(ws) != script.AnchorScriptSize || ws[0] != txscript.OP_DATA_33 {
		return nil, fmt.Errorf("%w: not an anchor script", ErrInvalidSweep)
	}
	return btcec.ParsePubKey(ws[1:34])
}

// UnspentClaims returns the claims whose outpoints no input of spenders
// spends: once the peer (or anyone) has spent some outputs a monitor
// meant to claim, such as revoked HTLC outputs moved to HTLC
// transactions, what is left can still be swept. The result is a new
// slice; claims is not modified.
func UnspentClaims(claims []Claim, spenders ...*btcwire.MsgTx) []Claim {
	spent := make(map[btcwire.OutPoint]bool)
	for _, tx := range spenders {
		if tx == nil {
			continue
		}
		for _, in := range tx.TxIn {
			spent[in.PreviousOutPoint] = true
		}
	}
	out := make([]Claim, 0, len(claims))
	for _, cl := range claims {
		if !spent[cl.OutPoint] {
			out = append(out, cl)
		}
	}
	return out
}
