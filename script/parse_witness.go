package script

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // BOLT 3 needs RIPEMD160
)

// SpendPath names the way a witness spends a BOLT 3 output.
type SpendPath uint8

const (
	// PathFundingCooperative: both funding signatures.
	PathFundingCooperative SpendPath = iota + 1
	// PathToLocalDelayed: the owner after to_self_delay.
	PathToLocalDelayed
	// PathToLocalRevoke: the counterparty with the revocation key.
	PathToLocalRevoke
	// PathToRemote: the option_anchors to_remote output by its owner.
	PathToRemote
	// PathAnchorOwner: an anchor by its owner's funding key.
	PathAnchorOwner
	// PathAnchorSweep: an anchor by anyone after 16 blocks.
	PathAnchorSweep
	// PathHTLCRevoke: an HTLC output with the revocation key.
	PathHTLCRevoke
	// PathOfferedRemoteSuccess: an offered HTLC by the remote node with
	// the preimage.
	PathOfferedRemoteSuccess
	// PathOfferedLocalTimeout: an offered HTLC by the HTLC-timeout
	// transaction (2-of-2).
	PathOfferedLocalTimeout
	// PathReceivedRemoteTimeout: a received HTLC by the remote node after
	// cltv_expiry.
	PathReceivedRemoteTimeout
	// PathReceivedLocalSuccess: a received HTLC by the HTLC-success
	// transaction (2-of-2 with the preimage).
	PathReceivedLocalSuccess
)

var spendPathNames = [...]string{
	PathFundingCooperative:    "funding cooperative",
	PathToLocalDelayed:        "to_local delayed",
	PathToLocalRevoke:         "to_local revocation",
	PathToRemote:              "to_remote",
	PathAnchorOwner:           "anchor by owner",
	PathAnchorSweep:           "anchor by anyone",
	PathHTLCRevoke:            "HTLC revocation",
	PathOfferedRemoteSuccess:  "offered HTLC remote success",
	PathOfferedLocalTimeout:   "offered HTLC local timeout",
	PathReceivedRemoteTimeout: "received HTLC remote timeout",
	PathReceivedLocalSuccess:  "received HTLC local success",
}

// String names the spend path.
func (p SpendPath) String() string {
	if int(p) < len(spendPathNames) && spendPathNames[p] != "" {
		return spendPathNames[p]
	}
	return fmt.Sprintf("SpendPath(%d)", uint8(p))
}

// ParsedWitness is what ParseWitness found in a P2WSH witness.
type ParsedWitness struct {
	// Script is the parsed witness script (the last witness item).
	Script ParsedScript
	// Path is the spend path the witness takes.
	Path SpendPath
	// Sigs are the signatures in witness order (two for the 2-of-2
	// paths: remote then local for HTLCs, key order for funding).
	// They alias the witness and are not checked.
	Sigs [][]byte
	// Preimage is the payment preimage of the success paths; HasPreimage
	// says whether it is set. A chain watcher learns preimages here.
	Preimage    wire.Preimage
	HasPreimage bool
	// RevocationKey is the revocationpubkey revealed by PathHTLCRevoke.
	RevocationKey [33]byte
}

// ParseWitness classifies a witness that spends a P2WSH output of one of
// the BOLT 3 templates: it parses the witness script (the last item) with
// ParseWitnessScript and matches the other items against that script's
// spend paths, as the witness builders of this package lay them out. A
// success-path preimage must hash to the script's payment hash and a
// revealed revocation key to its key hash. Signatures are not verified.
// It fails with ErrUnknownScript or ErrUnknownWitness.
func ParseWitness(w btcwire.TxWitness) (*ParsedWitness, error) {
	if len(w) < 2 || len(w) > 5 {
		return nil, fmt.Errorf("%d witness items: %w", len(w), ErrUnknownWitness)
	}
	ps, err := ParseWitnessScript(w[len(w)-1])
	if err != nil {
		return nil, err
	}
	pw := &ParsedWitness{Script: *ps}
	if !pw.classify(w[:len(w)-1]) || !witnessEqual(pw.Witness(), w) {
		return nil, fmt.Errorf("%v script: %w", ps.Type, ErrUnknownWitness)
	}
	return pw, nil
}

func (pw *ParsedWitness) classify(items [][]byte) bool {
	s := &pw.Script
	n := len(items)
	switch s.Type {
	case ScriptFunding:
		if n != 3 {
			return false
		}
		pw.Path, pw.Sigs = PathFundingCooperative, items[1:3]
	case ScriptToLocal:
		if n != 2 {
			return false
		}
		pw.Sigs = items[:1]
		switch {
		case len(items[1]) == 0:
			pw.Path = PathToLocalDelayed
		case bytes.Equal(items[1], []byte{1}):
			pw.Path = PathToLocalRevoke
		default:
			return false
		}
	case ScriptToRemoteAnchors:
		if n != 1 {
			return false
		}
		pw.Path, pw.Sigs = PathToRemote, items[:1]
	case ScriptAnchor:
		if n != 1 {
			return false
		}
		if len(items[0]) == 0 {
			pw.Path = PathAnchorSweep
		} else {
			pw.Path, pw.Sigs = PathAnchorOwner, items[:1]
		}
	case ScriptOfferedHTLC, ScriptReceivedHTLC:
		return pw.classifyHTLC(items)
	default:
		return false
	}
	return true
}

func (pw *ParsedWitness) classifyHTLC(items [][]byte) bool {
	h := &pw.Script.HTLC
	offered := pw.Script.Type == ScriptOfferedHTLC
	switch len(items) {
	case 2:
		pw.Sigs = items[:1]
		x := items[1]
		switch {
		case len(x) == 33:
			if [20]byte(btcutil.Hash160(x)) != h.RevocationKeyHash {
				return false
			}
			pw.Path = PathHTLCRevoke
			copy(pw.RevocationKey[:], x)
		case offered && len(x) == 32:
			pw.Path = PathOfferedRemoteSuccess
			return pw.setPreimage(x)
		case !offered && len(x) == 0:
			pw.Path = PathReceivedRemoteTimeout
		default:
			return false
		}
	case 4:
		if len(items[0]) != 0 {
			return false
		}
		pw.Sigs = items[1:3]
		if offered {
			pw.Path = PathOfferedLocalTimeout
			return len(items[3]) == 0
		}
		pw.Path = PathReceivedLocalSuccess
		return len(items[3]) == 32 && pw.setPreimage(items[3])
	default:
		return false
	}
	return true
}

// setPreimage records x as the preimage if it matches the hash lock.
func (pw *ParsedWitness) setPreimage(x []byte) bool {
	ph := sha256.Sum256(x)
	r := ripemd160.New()
	r.Write(ph[:])
	if !bytes.Equal(r.Sum(nil), pw.Script.HTLC.PaymentHashLock[:]) {
		return false
	}
	copy(pw.Preimage[:], x)
	pw.HasPreimage = true
	return true
}

// Witness rebuilds the witness pw describes with the witness builders of
// this package. For a ParsedWitness returned by ParseWitness it returns
// the parsed witness exactly.
func (pw *ParsedWitness) Witness() btcwire.TxWitness {
	ws := pw.Script.Script()
	sig := func(i int) []byte {
		if i < len(pw.Sigs) {
			return pw.Sigs[i]
		}
		return nil
	}
	switch pw.Path {
	case PathFundingCooperative:
		return witnessWithScript(ws, nil, sig(0), sig(1))
	case PathToLocalDelayed:
		return ToLocalDelayedWitness(sig(0), ws)
	case PathToLocalRevoke:
		return ToLocalRevokeWitness(sig(0), ws)
	case PathToRemote:
		return ToRemoteAnchorsWitness(sig(0), ws)
	case PathAnchorOwner:
		return AnchorWitness(sig(0), ws)
	case PathAnchorSweep:
		return AnchorSweepWitness(ws)
	case PathHTLCRevoke:
		return witnessWithScript(ws, sig(0), pw.RevocationKey[:])
	case PathOfferedRemoteSuccess:
		return OfferedHTLCRemoteSuccessWitness(sig(0), pw.Preimage, ws)
	case PathOfferedLocalTimeout:
		return OfferedHTLCLocalTimeoutWitness(sig(0), sig(1), ws)
	case PathReceivedRemoteTimeout:
		return ReceivedHTLCRemoteTimeoutWitness(sig(0), ws)
	case PathReceivedLocalSuccess:
		return ReceivedHTLCLocalSuccessWitness(sig(0), sig(1), pw.Preimage, ws)
	default:
		return nil
	}
}

// witnessEqual reports whether two witnesses have the same items, treating
// nil and empty items alike.
func witnessEqual(a, b btcwire.TxWitness) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
