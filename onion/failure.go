package onion

import (
	"encoding/binary"
	"fmt"

	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// Sizes of a returned failure (BOLT 4 "Returning Errors").
const (
	// MinFailurePadded is the least failure_len + pad_len an erring node
	// must produce; it should produce exactly this much when the message
	// fits, so every failure looks alike on the way back.
	MinFailurePadded = 256
	// decryptRounds is how many hops the origin decrypts for at least,
	// with dummy keys past the route's end, so the time taken does not
	// reveal the failing hop's position (the spec says 20).
	decryptRounds = 20
)

// NewFailure builds the failure packet an erring node returns in
// update_fail_htlc's reason: HMAC under the um key, failure_len, the
// encoded message, pad_len and zero padding so that failure_len + pad_len
// is 256 (or the message length, when longer), all encrypted with the
// ammag stream of the shared secret the node got from processing the
// onion.
func NewFailure(sharedSecret [32]byte, msg *FailureMessage) ([]byte, error) {
	enc, err := msg.Encode(nil)
	if err != nil {
		return nil, err
	}
	return newFailureRaw(&sharedSecret, enc, MinFailurePadded)
}

// newFailureRaw wraps an encoded failuremsg, padding to at least minPadded.
func newFailureRaw(ss *[32]byte, failureMsg []byte, minPadded int) ([]byte, error) {
	if len(failureMsg) > 0xffff-4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrFailureMessage, len(failureMsg))
	}
	pad := max(minPadded-len(failureMsg), 0)
	out := make([]byte, HMACSize+2+len(failureMsg)+2+pad)
	body := out[HMACSize:]
	binary.BigEndian.PutUint16(body, uint16(len(failureMsg)))
	copy(body[2:], failureMsg)
	binary.BigEndian.PutUint16(body[2+len(failureMsg):], uint16(pad))
	um := generateKey(keyTypeUm, ss)
	var mac [32]byte
	fastcrypto.HMACSHA256(&mac, um[:], body, nil)
	copy(out, mac[:])
	ObfuscateFailure(*ss, out)
	return out, nil
}

// ObfuscateFailure applies a hop's layer of encryption to a failure packet
// in place: each hop on the way back calls it with its own shared secret
// before passing the reason on. (The erring node's NewFailure already
// applies its own layer.)
func ObfuscateFailure(sharedSecret [32]byte, reason []byte) {
	ammag := generateKey(keyTypeAmmag, &sharedSecret)
	xorKeyStream(&ammag, reason, reason, 0)
}

// The constant keys of the dummy decryption rounds.
var dummyAmmag, dummyUm = func() ([32]byte, [32]byte) {
	var zero [32]byte
	return generateKey(keyTypeAmmag, &zero), generateKey(keyTypeUm, &zero)
}()

// DecryptedFailure is a failure as the origin decrypted it.
type DecryptedFailure struct {
	// SourceIndex is the index in the route of the hop that produced the
	// failure (0 is the first hop after the origin).
	SourceIndex int
	// Code is the failure code.
	Code FailureCode
	// Message is the decoded failure, nil when its data did not decode
	// (MessageErr says why).
	Message *FailureMessage
	// MessageErr is set when the authenticated failuremsg is malformed.
	MessageErr error
	// Raw is the failuremsg (failure code and data).
	Raw []byte
}

// DecryptFailure peels a returned failure with the route's shared secrets
// and finds the hop whose HMAC matches. It performs no elliptic-curve
// operation. A failure no hop's HMAC matches was corrupted on the way and
// yields ErrFailureGarbled: which hop corrupted it cannot be told.
func (s SharedSecrets) DecryptFailure(reason []byte) (*DecryptedFailure, error) {
	if len(reason) < HMACSize+4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrFailureGarbled, len(reason))
	}
	buf := make([]byte, len(reason))
	copy(buf, reason)
	found := -1
	var body []byte
	rounds := max(len(s), decryptRounds)
	for i := 0; i < rounds; i++ {
		// Past the route's end the rounds use constant keys: the same
		// work whatever the failing hop's position (BOLT 4 "Returning
		// Errors": the origin SHOULD decrypt 20 times, with constant
		// ammag and um keys to hide the route length).
		ammag, um := &dummyAmmag, &dummyUm
		var ak, uk [32]byte
		if i < len(s) {
			ak, uk = generateKey(keyTypeAmmag, &s[i]), generateKey(keyTypeUm, &s[i])
			ammag, um = &ak, &uk
		}
		xorKeyStream(ammag, buf, buf, 0)
		var mac [32]byte
		fastcrypto.HMACSHA256(&mac, um[:], buf[HMACSize:], nil)
		if found < 0 && i < len(s) && hmacEqual(mac[:], buf[:HMACSize]) {
			found = i
			body = append([]byte(nil), buf[HMACSize:]...)
		}
	}
	if found < 0 {
		return nil, ErrFailureGarbled
	}
	d := &DecryptedFailure{SourceIndex: found}
	fl := int(binary.BigEndian.Uint16(body))
	if fl+2 > len(body) {
		d.MessageErr = fmt.Errorf("%w: failure_len %d exceeds the packet", ErrFailureMessage, fl)
		return d, nil
	}
	d.Raw = body[2 : 2+fl]
	if fl >= 2 {
		d.Code = FailureCode(binary.BigEndian.Uint16(d.Raw))
	}
	d.Message, d.MessageErr = DecodeFailureMessage(d.Raw)
	return d, nil
}
