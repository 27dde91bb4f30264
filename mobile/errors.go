package mobile

import (
	"context"
	"errors"
	"strings"

	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/node"
)

// Error codes. Every error the package returns is a *CodedError whose Code is
// one of these; its message starts with the code and a colon, so that a
// host that only sees the message (a Java Exception's getMessage, an
// NSError's localizedDescription) recovers the code with ErrorCode.
const (
	// CodeNotRunning: the node is not started, or was stopped.
	CodeNotRunning = "NOT_RUNNING"
	// CodeInvalidArgument: an argument is malformed or missing (bad hex,
	// a key that is not a point, an amount out of range, ...).
	CodeInvalidArgument = "INVALID_ARGUMENT"
	// CodeInvalidInvoice: a BOLT 11 invoice does not decode or verify.
	CodeInvalidInvoice = "INVALID_INVOICE"
	// CodeInvalidMnemonic: a BIP 39 mnemonic has an unknown word, a wrong
	// word count or a wrong checksum.
	CodeInvalidMnemonic = "INVALID_MNEMONIC"
	// CodeUnknownPeer: the node is not connected to that peer.
	CodeUnknownPeer = "UNKNOWN_PEER"
	// CodeUnknownChannel: the node has no such channel.
	CodeUnknownChannel = "UNKNOWN_CHANNEL"
	// CodeNoRoute: no route to the destination was found.
	CodeNoRoute = "NO_ROUTE"
	// CodePaymentFailed: the payment failed for good (ListPayments has
	// its record and reason).
	CodePaymentFailed = "PAYMENT_FAILED"
	// CodeDuplicatePayment: the payment id or hash is already used.
	CodeDuplicatePayment = "DUPLICATE_PAYMENT"
	// CodeInsufficientFunds: the wallet cannot pay for the request.
	CodeInsufficientFunds = "INSUFFICIENT_FUNDS"
	// CodeTimeout: the call's timeout passed before it finished (what it
	// started may go on: a payment stays in ListPayments).
	CodeTimeout = "TIMEOUT"
	// CodeBackend: the host's ChainBackend or Wallet failed or answered
	// something invalid.
	CodeBackend = "BACKEND"
	// CodeBackup: a backup does not decrypt with this seed or is damaged.
	CodeBackup = "BACKUP"
	// CodeFailed: any other failure; the message says what.
	CodeFailed = "FAILED"
)

// CodedError is the error every function and method of the package returns:
// a code for programs and a message for people. In Go, errors.As gives
// the *CodedError and errors.Is reaches the cause (node.ErrNoRoute,
// chain.ErrInsufficientFunds, invoice.ErrInvalidChecksum, ...).
type CodedError struct {
	// Code is one of the Code constants.
	Code string
	// Message describes the failure.
	Message string

	cause error
}

// Error returns "CODE: message".
func (e *CodedError) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *CodedError) Unwrap() error { return e.cause }

// ErrorCode returns the code at the start of an error message produced by
// this package ("NO_ROUTE: ..." gives "NO_ROUTE"), or "" if the message
// does not start with one. Hosts call it with the message of the exception
// a bound call threw.
func ErrorCode(message string) string {
	code, _, ok := strings.Cut(message, ":")
	if !ok {
		return ""
	}
	for _, c := range allCodes {
		if c == code {
			return c
		}
	}
	return ""
}

var allCodes = []string{
	CodeNotRunning, CodeInvalidArgument, CodeInvalidInvoice, CodeInvalidMnemonic,
	CodeUnknownPeer, CodeUnknownChannel, CodeNoRoute, CodePaymentFailed,
	CodeDuplicatePayment, CodeInsufficientFunds, CodeTimeout, CodeBackend,
	CodeBackup, CodeFailed,
}

// newError returns a *CodedError with code whose message is msg.
func newError(code, msg string) *CodedError { return &CodedError{Code: code, Message: msg} }

// wrapCode returns err as a *CodedError with code, keeping it as the cause.
func wrapCode(code string, err error) *CodedError {
	return &CodedError{Code: code, Message: err.Error(), cause: err}
}

// backendError marks an error that came from the host's ChainBackend or
// Wallet, so that it maps to CodeBackend however the node wrapped it.
type backendError struct {
	op  string
	err error
}

// Error names the host call that failed.
func (e *backendError) Error() string { return "host " + e.op + ": " + e.err.Error() }

// Unwrap returns the host's error.
func (e *backendError) Unwrap() error { return e.err }

// mapError turns an error from the node, the host or this package into an
// *CodedError with the code that fits it (nil stays nil).
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*CodedError); ok {
		return e
	}
	var be *backendError
	fromHost := errors.As(err, &be)
	var e *CodedError
	if !fromHost && errors.As(err, &e) {
		// One of this package's errors, wrapped by the node.
		return &CodedError{Code: e.Code, Message: err.Error(), cause: err}
	}
	code := CodeFailed
	switch {
	case errors.Is(err, node.ErrStopped):
		code = CodeNotRunning
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code = CodeTimeout
	case errors.Is(err, node.ErrUnknownPeer):
		code = CodeUnknownPeer
	case errors.Is(err, node.ErrUnknownChannel):
		code = CodeUnknownChannel
	case errors.Is(err, node.ErrNoRoute):
		code = CodeNoRoute
	case errors.Is(err, node.ErrPaymentFailed):
		code = CodePaymentFailed
	case errors.Is(err, node.ErrDuplicatePayment):
		code = CodeDuplicatePayment
	case errors.Is(err, chain.ErrInsufficientFunds):
		code = CodeInsufficientFunds
	case fromHost:
		code = CodeBackend
	case errors.Is(err, backup.ErrInvalid), errors.Is(err, backup.ErrDecrypt), errors.Is(err, backup.ErrFormat),
		errors.Is(err, backup.ErrMalformed), errors.Is(err, backup.ErrTooLarge):
		code = CodeBackup
	case errors.Is(err, node.ErrInvalidRequest):
		code = CodeInvalidArgument
	}
	return wrapCode(code, err)
}
