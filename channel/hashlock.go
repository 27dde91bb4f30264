package channel

import (
	"hash"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // BOLT 3 needs RIPEMD160(payment_hash)
)

// htlcScriptSizeHint is the size of the longest HTLC witness script (a
// received HTLC's under option_anchors with a 5-byte cltv_expiry push),
// rounded up.
const htlcScriptSizeHint = 144

// hashLocker computes script.PaymentHashLock for many payment hashes with
// one RIPEMD-160 state and one output buffer.
type hashLocker struct {
	h   hash.Hash
	out []byte
}

// lock returns RIPEMD160(paymentHash).
func (l *hashLocker) lock(paymentHash [32]byte) [20]byte {
	if l.h == nil {
		l.h = ripemd160.New()
		l.out = make([]byte, 0, ripemd160.Size)
	} else {
		l.h.Reset()
	}
	l.h.Write(paymentHash[:])
	var lock [20]byte
	copy(lock[:], l.h.Sum(l.out[:0]))
	return lock
}
