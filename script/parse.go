package script

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/txscript"

	"github.com/lnkit/lnkit/wire"
)

// ScriptType names a BOLT 3 witness script template.
type ScriptType uint8

const (
	// ScriptFunding is the 2-of-2 funding script.
	ScriptFunding ScriptType = iota + 1
	// ScriptToLocal is the to_local script, also the output script of
	// HTLC-success and HTLC-timeout transactions.
	ScriptToLocal
	// ScriptToRemoteAnchors is the option_anchors to_remote script.
	ScriptToRemoteAnchors
	// ScriptAnchor is a to_local_anchor or to_remote_anchor script.
	ScriptAnchor
	// ScriptOfferedHTLC is an offered HTLC script.
	ScriptOfferedHTLC
	// ScriptReceivedHTLC is a received HTLC script.
	ScriptReceivedHTLC
)

var scriptTypeNames = [...]string{
	ScriptFunding:         "funding",
	ScriptToLocal:         "to_local",
	ScriptToRemoteAnchors: "to_remote (anchors)",
	ScriptAnchor:          "anchor",
	ScriptOfferedHTLC:     "offered HTLC",
	ScriptReceivedHTLC:    "received HTLC",
}

// String names the template.
func (t ScriptType) String() string {
	if int(t) < len(scriptTypeNames) && scriptTypeNames[t] != "" {
		return scriptTypeNames[t]
	}
	return fmt.Sprintf("ScriptType(%d)", uint8(t))
}

// ParsedScript is what ParseWitnessScript found in a witness script. Only
// the fields of its Type are set. Keys are returned as encoded, without
// checking that they are on the curve (use wire.Point.PublicKey).
type ParsedScript struct {
	// Type is the template the script matched.
	Type ScriptType
	// ChannelType is Anchors for the option_anchors forms of HTLC
	// scripts and for the scripts that exist only under option_anchors
	// (to_remote, anchors), StaticRemoteKey for legacy HTLC scripts, and
	// zero for funding and to_local scripts, which both types share.
	ChannelType ChannelType

	// FundingKeys are the two funding pubkeys in script (sorted) order.
	FundingKeys [2]wire.Point

	// RevocationKey, DelayedKey and ToSelfDelay describe a to_local
	// script.
	RevocationKey wire.Point
	DelayedKey    wire.Point
	ToSelfDelay   uint16

	// Key is remotepubkey of a to_remote script or funding_pubkey of an
	// anchor script.
	Key wire.Point

	// HTLC holds the parameters of an HTLC script; CLTVExpiry is set for
	// received HTLCs only.
	HTLC HTLCScriptParams
}

// Script rebuilds the witness script p describes. For a ParsedScript
// returned by ParseWitnessScript it returns the parsed bytes exactly.
func (p *ParsedScript) Script() []byte {
	anchors := p.ChannelType == Anchors
	switch p.Type {
	case ScriptFunding:
		return fundingScript(p.FundingKeys[0][:], p.FundingKeys[1][:])
	case ScriptToLocal:
		return toLocalScript(p.RevocationKey[:], p.DelayedKey[:], p.ToSelfDelay)
	case ScriptToRemoteAnchors:
		return toRemoteAnchorsScript(p.Key[:])
	case ScriptAnchor:
		return anchorScript(p.Key[:])
	case ScriptOfferedHTLC:
		return OfferedHTLCScriptFromParams(anchors, &p.HTLC)
	case ScriptReceivedHTLC:
		return ReceivedHTLCScriptFromParams(anchors, &p.HTLC)
	default:
		return nil
	}
}

// maxTemplateTokens is more opcodes than any template has (32).
const maxTemplateTokens = 33

// maxTemplateSize is more bytes than any template has.
const maxTemplateSize = 160

type token struct {
	op   byte
	data []byte
}

// ParseWitnessScript recognises ws as one of the BOLT 3 witness script
// templates and returns its parameters. It accepts a script only if
// rebuilding it from the parameters gives the same bytes, so minimal
// pushes and number encodings are enforced. Anything else fails with
// ErrUnknownScript. It never allocates more than a small fixed amount,
// whatever the input.
func ParseWitnessScript(ws []byte) (*ParsedScript, error) {
	if len(ws) > maxTemplateSize {
		return nil, fmt.Errorf("%d-byte script: %w", len(ws), ErrUnknownScript)
	}
	var toks [maxTemplateTokens]token
	n := 0
	tz := txscript.MakeScriptTokenizer(0, ws)
	for tz.Next() {
		if n == len(toks) {
			return nil, fmt.Errorf("too many opcodes: %w", ErrUnknownScript)
		}
		toks[n] = token{op: tz.Opcode(), data: tz.Data()}
		n++
	}
	if err := tz.Err(); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrUnknownScript)
	}
	p := &ParsedScript{}
	if !p.extract(toks[:n]) || !bytes.Equal(p.Script(), ws) {
		return nil, ErrUnknownScript
	}
	return p, nil
}

// extract reads the template parameters at their positions in the token
// list; the caller then checks the whole script by rebuilding it.
func (p *ParsedScript) extract(t []token) bool {
	switch {
	case len(t) == 5 && t[0].op == txscript.OP_2:
		p.Type = ScriptFunding
		return get(t, 1, p.FundingKeys[0][:]) && get(t, 2, p.FundingKeys[1][:]) &&
			bytes.Compare(p.FundingKeys[0][:], p.FundingKeys[1][:]) <= 0
	case len(t) == 9 && t[0].op == txscript.OP_IF:
		p.Type = ScriptToLocal
		d, ok := scriptNum(t[3], 3)
		if !ok || d > 0xffff {
			return false
		}
		p.ToSelfDelay = uint16(d)
		return get(t, 1, p.RevocationKey[:]) && get(t, 6, p.DelayedKey[:])
	case len(t) == 4:
		p.Type, p.ChannelType = ScriptToRemoteAnchors, Anchors
		return get(t, 0, p.Key[:])
	case len(t) == 7:
		p.Type, p.ChannelType = ScriptAnchor, Anchors
		return get(t, 0, p.Key[:])
	case (len(t) == 26 || len(t) == 29) && t[12].op == txscript.OP_NOTIF:
		p.Type, p.ChannelType = ScriptOfferedHTLC, StaticRemoteKey
		if len(t) == 29 {
			p.ChannelType = Anchors
		}
		h := &p.HTLC
		return get(t, 2, h.RevocationKeyHash[:]) && get(t, 7, h.RemoteHTLCKey[:]) &&
			get(t, 16, h.LocalHTLCKey[:]) && get(t, 21, h.PaymentHashLock[:])
	case (len(t) == 29 || len(t) == 32) && t[12].op == txscript.OP_IF:
		p.Type, p.ChannelType = ScriptReceivedHTLC, StaticRemoteKey
		if len(t) == 32 {
			p.ChannelType = Anchors
		}
		h := &p.HTLC
		c, ok := scriptNum(t[23], 5)
		if !ok || c > 0xffffffff {
			return false
		}
		h.CLTVExpiry = uint32(c)
		return get(t, 2, h.RevocationKeyHash[:]) && get(t, 7, h.RemoteHTLCKey[:]) &&
			get(t, 18, h.LocalHTLCKey[:]) && get(t, 14, h.PaymentHashLock[:])
	}
	return false
}

// get copies the data pushed by token i into dst if it has dst's length.
func get(t []token, i int, dst []byte) bool {
	if len(t[i].data) != len(dst) {
		return false
	}
	copy(dst, t[i].data)
	return true
}

// scriptNum decodes a non-negative script number of at most maxLen bytes
// pushed by tok (OP_0, OP_1..OP_16 or a data push). Minimality is not
// checked here; the rebuild comparison does that.
func scriptNum(tok token, maxLen int) (uint64, bool) {
	switch {
	case tok.op == txscript.OP_0:
		return 0, true
	case tok.op >= txscript.OP_1 && tok.op <= txscript.OP_16:
		return uint64(tok.op - txscript.OP_1 + 1), true
	case tok.op >= txscript.OP_DATA_1 && tok.op <= txscript.OP_DATA_75:
	default:
		return 0, false
	}
	d := tok.data
	if len(d) == 0 || len(d) > maxLen || d[len(d)-1]&0x80 != 0 {
		return 0, false // empty, too long, or negative
	}
	var v uint64
	for i := len(d) - 1; i >= 0; i-- {
		v = v<<8 | uint64(d[i])
	}
	return v, true
}
