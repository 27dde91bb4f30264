package invoice

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// Fallback address versions of the f field (BOLT 11, "Tagged Fields").
const (
	fallbackP2PKH = 17
	fallbackP2SH  = 18
)

// decodeFallback interprets an f field. It returns (nil, nil) for a version
// this package cannot represent as a btcutil address (19-31 by the spec's
// rule, and witness versions other than 0 and 1-with-32-bytes), which the
// caller keeps as an extra field.
func decodeFallback(net *chaincfg.Params, words []byte) (btcutil.Address, error) {
	if len(words) == 0 {
		return nil, errf(ErrInvalidFallback, "f field has no version")
	}
	version := words[0]
	switch version {
	case 0, 1, fallbackP2PKH, fallbackP2SH:
	default:
		return nil, nil
	}
	var buf [40]byte
	if bytesLen(len(words)-1) > len(buf) {
		if version == 1 {
			return nil, nil
		}
		return nil, errf(ErrInvalidFallback, "version %d program of %d bytes", version, bytesLen(len(words)-1))
	}
	prog, err := wordsToBytes(buf[:0], words[1:])
	if err != nil {
		return nil, err
	}
	var addr btcutil.Address
	switch {
	case version == fallbackP2PKH && len(prog) == 20:
		addr, err = btcutil.NewAddressPubKeyHash(prog, net)
	case version == fallbackP2SH && len(prog) == 20:
		addr, err = btcutil.NewAddressScriptHashFromHash(prog, net)
	case version == 0 && len(prog) == 20:
		addr, err = btcutil.NewAddressWitnessPubKeyHash(prog, net)
	case version == 0 && len(prog) == 32:
		addr, err = btcutil.NewAddressWitnessScriptHash(prog, net)
	case version == 1 && len(prog) == 32:
		addr, err = btcutil.NewAddressTaproot(prog, net)
	case version == 1:
		// A witness v1 program that is not 32 bytes is not taproot; like
		// other future witness versions it is kept unparsed.
		return nil, nil
	default:
		return nil, errf(ErrInvalidFallback, "version %d with a %d-byte program", version, len(prog))
	}
	if err != nil {
		return nil, errf(ErrInvalidFallback, "%v", err)
	}
	return addr, nil
}

// fallbackProgram returns the f-field version and program of addr.
func fallbackProgram(net *chaincfg.Params, addr btcutil.Address) (byte, []byte, error) {
	if addr == nil {
		return 0, nil, errf(ErrInvalidFallback, "nil address")
	}
	if !addr.IsForNet(net) {
		return 0, nil, errf(ErrInvalidFallback, "%s is not an address of %s", addr, net.Name)
	}
	switch a := addr.(type) {
	case *btcutil.AddressPubKeyHash:
		return fallbackP2PKH, a.ScriptAddress(), nil
	case *btcutil.AddressScriptHash:
		return fallbackP2SH, a.ScriptAddress(), nil
	case *btcutil.AddressWitnessPubKeyHash:
		return 0, a.WitnessProgram(), nil
	case *btcutil.AddressWitnessScriptHash:
		return 0, a.WitnessProgram(), nil
	case *btcutil.AddressTaproot:
		return 1, a.WitnessProgram(), nil
	}
	return 0, nil, errf(ErrInvalidFallback, "%T cannot be a fallback", addr)
}
