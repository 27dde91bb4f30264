package script

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/txscript"
)

// AppendOfferedHTLCScript appends the offered HTLC witness script of p to
// dst and returns the extended slice: the bytes of
// OfferedHTLCScriptFromParams(anchors, p), written directly, so that a
// caller building many scripts (one per HTLC of a commitment) can keep
// them all in one buffer.
func AppendOfferedHTLCScript(dst []byte, anchors bool, p *HTLCScriptParams) []byte {
	dst = appendHTLCScriptHead(dst, p)
	dst = append(dst, txscript.OP_NOTIF,
		txscript.OP_DROP, txscript.OP_2, txscript.OP_SWAP, txscript.OP_DATA_33)
	dst = append(dst, p.LocalHTLCKey[:]...)
	dst = append(dst, txscript.OP_2, txscript.OP_CHECKMULTISIG,
		txscript.OP_ELSE,
		txscript.OP_HASH160, txscript.OP_DATA_20)
	dst = append(dst, p.PaymentHashLock[:]...)
	dst = append(dst, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG,
		txscript.OP_ENDIF)
	return appendHTLCScriptTail(dst, anchors)
}

// AppendReceivedHTLCScript appends the received HTLC witness script of p
// to dst: the bytes of ReceivedHTLCScriptFromParams(anchors, p), written
// directly (see AppendOfferedHTLCScript).
func AppendReceivedHTLCScript(dst []byte, anchors bool, p *HTLCScriptParams) []byte {
	dst = appendHTLCScriptHead(dst, p)
	dst = append(dst, txscript.OP_IF,
		txscript.OP_HASH160, txscript.OP_DATA_20)
	dst = append(dst, p.PaymentHashLock[:]...)
	dst = append(dst, txscript.OP_EQUALVERIFY,
		txscript.OP_2, txscript.OP_SWAP, txscript.OP_DATA_33)
	dst = append(dst, p.LocalHTLCKey[:]...)
	dst = append(dst, txscript.OP_2, txscript.OP_CHECKMULTISIG,
		txscript.OP_ELSE,
		txscript.OP_DROP)
	dst = appendScriptUint(dst, p.CLTVExpiry)
	dst = append(dst, txscript.OP_CHECKLOCKTIMEVERIFY, txscript.OP_DROP,
		txscript.OP_CHECKSIG,
		txscript.OP_ENDIF)
	return appendHTLCScriptTail(dst, anchors)
}

// appendHTLCScriptHead appends the part both HTLC scripts share, up to
// the OP_EQUAL that tests the preimage size:
//
//	OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
//	OP_IF OP_CHECKSIG OP_ELSE
//	<remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
func appendHTLCScriptHead(dst []byte, p *HTLCScriptParams) []byte {
	dst = append(dst, txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20)
	dst = append(dst, p.RevocationKeyHash[:]...)
	dst = append(dst, txscript.OP_EQUAL,
		txscript.OP_IF, txscript.OP_CHECKSIG,
		txscript.OP_ELSE, txscript.OP_DATA_33)
	dst = append(dst, p.RemoteHTLCKey[:]...)
	// 32 is pushed as one data byte: the small-integer opcodes stop at 16.
	return append(dst, txscript.OP_SWAP, txscript.OP_SIZE, txscript.OP_DATA_1, 32, txscript.OP_EQUAL)
}

// appendHTLCScriptTail appends the anchors-only `1 OP_CHECKSEQUENCEVERIFY
// OP_DROP` and the final OP_ENDIF.
func appendHTLCScriptTail(dst []byte, anchors bool) []byte {
	if anchors {
		dst = append(dst, txscript.OP_1, txscript.OP_CHECKSEQUENCEVERIFY, txscript.OP_DROP)
	}
	return append(dst, txscript.OP_ENDIF)
}

// appendScriptUint appends the minimal push of v as a script number, as
// txscript.ScriptBuilder.AddInt64 writes it: OP_0, OP_1..OP_16, or the
// little-endian bytes of v (with a 0x00 byte added when the top bit is set,
// which would otherwise mean negative) behind their length.
func appendScriptUint(dst []byte, v uint32) []byte {
	switch {
	case v == 0:
		return append(dst, txscript.OP_0)
	case v <= 16:
		return append(dst, byte(txscript.OP_1-1+v))
	}
	var num [5]byte
	n := 0
	for x := v; x > 0; x >>= 8 {
		num[n] = byte(x)
		n++
	}
	if num[n-1]&0x80 != 0 {
		num[n] = 0
		n++
	}
	dst = append(dst, byte(txscript.OP_DATA_1-1+n))
	return append(dst, num[:n]...)
}

// AppendP2WSH appends the P2WSH output script of witnessScript (see
// P2WSH) to dst.
func AppendP2WSH(dst, witnessScript []byte) []byte {
	h := sha256.Sum256(witnessScript)
	dst = append(dst, txscript.OP_0, txscript.OP_DATA_32)
	return append(dst, h[:]...)
}
