package invoice

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/wire"
)

// The human-readable part is "ln" + a BIP 173 currency prefix + an optional
// amount with an optional multiplier (BOLT 11, "Human-Readable Part").

// currencies maps BOLT 11 currency prefixes to networks. "tb" is shared by
// testnet3 and testnet4; decoding returns testnet3's parameters, whose
// address encodings are the same.
var currencies = []struct {
	prefix string
	net    *chaincfg.Params
}{
	{"bc", &chaincfg.MainNetParams},
	{"tb", &chaincfg.TestNet3Params},
	{"tbs", &chaincfg.SigNetParams},
	{"bcrt", &chaincfg.RegressionNetParams},
	{"sb", &chaincfg.SimNetParams},
}

// CurrencyPrefix returns the BOLT 11 currency prefix for a network ("bc",
// "tb", "tbs", "bcrt" or "sb"), or ErrUnknownNetwork.
func CurrencyPrefix(net *chaincfg.Params) (string, error) {
	if net == nil {
		return "", errf(ErrUnknownNetwork, "no network")
	}
	switch net.Name {
	case chaincfg.MainNetParams.Name:
		return "bc", nil
	case chaincfg.TestNet3Params.Name, chaincfg.TestNet4Params.Name:
		return "tb", nil
	case chaincfg.SigNetParams.Name:
		return "tbs", nil
	case chaincfg.RegressionNetParams.Name:
		return "bcrt", nil
	case chaincfg.SimNetParams.Name:
		return "sb", nil
	}
	return "", errf(ErrUnknownNetwork, "%q", net.Name)
}

// msatPerUnit gives, for each multiplier, the millisatoshis in one unit of
// the amount, times ten (so that pico, a tenth of a millisatoshi, is an
// integer).
func msatPerUnitX10(mult byte) (uint64, bool) {
	switch mult {
	case 0:
		return 1000 * 100_000_000 * 10, true // one bitcoin
	case 'm':
		return 100_000_000 * 10, true
	case 'u':
		return 100_000 * 10, true
	case 'n':
		return 100 * 10, true
	case 'p':
		return 1, true
	}
	return 0, false
}

// parseHRP parses a lower-case human-readable part. It returns the network,
// the amount (0 when absent) and the multiplier as written (0 for none).
func parseHRP(hrp []byte) (*chaincfg.Params, wire.MilliSatoshi, byte, error) {
	if len(hrp) < 2 || hrp[0] != 'l' || hrp[1] != 'n' {
		return nil, 0, 0, errf(ErrUnknownPrefix, "human-readable part %q does not start with \"ln\"", string(hrp))
	}
	rest := hrp[2:]
	i := 0
	for i < len(rest) && (rest[i] < '0' || rest[i] > '9') {
		i++
	}
	var net *chaincfg.Params
	for _, c := range currencies {
		if c.prefix == string(rest[:i]) {
			net = c.net
			break
		}
	}
	if net == nil {
		return nil, 0, 0, errf(ErrUnknownPrefix, "currency %q is not bc, tb, tbs, bcrt or sb", string(rest[:i]))
	}
	amt := rest[i:]
	if len(amt) == 0 {
		return net, 0, 0, nil
	}
	var mult byte
	if c := amt[len(amt)-1]; c < '0' || c > '9' {
		mult = c
		amt = amt[:len(amt)-1]
	}
	per, ok := msatPerUnitX10(mult)
	if !ok {
		return nil, 0, 0, errf(ErrInvalidMultiplier, "%q is not m, u, n or p", mult)
	}
	if len(amt) == 0 {
		return nil, 0, 0, errf(ErrInvalidAmount, "multiplier without digits")
	}
	if amt[0] == '0' {
		return nil, 0, 0, errf(ErrInvalidAmount, "amount %q has a leading zero or is zero", string(amt))
	}
	var v uint64
	for _, c := range amt {
		if c < '0' || c > '9' {
			return nil, 0, 0, errf(ErrInvalidAmount, "amount %q is not a decimal number", string(amt))
		}
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return nil, 0, 0, errf(ErrInvalidAmount, "amount %q overflows", string(amt))
		}
		v = lo
	}
	if mult == 'p' && v%10 != 0 {
		return nil, 0, 0, errf(ErrSubMillisatoshi, "%sp is not a whole number of millisatoshi", string(amt))
	}
	hi, x10 := bits.Mul64(v, per)
	if hi != 0 {
		return nil, 0, 0, errf(ErrInvalidAmount, "amount %q%c overflows 64-bit millisatoshi", string(amt), mult)
	}
	return net, wire.MilliSatoshi(x10 / 10), mult, nil
}

// amountDigits returns the decimal digits for amount in the given
// multiplier's unit, or false if the amount is not a whole number of units.
func amountDigits(dst []byte, amount wire.MilliSatoshi, mult byte) ([]byte, bool) {
	per, ok := msatPerUnitX10(mult)
	if !ok || amount == 0 {
		return dst, false
	}
	hi, x10 := bits.Mul64(uint64(amount), 10)
	if hi != 0 || x10%per != 0 {
		return dst, false
	}
	return strconv.AppendUint(dst, x10/per, 10), true
}

// shortestMultiplier picks the largest multiplier (none first) in which
// amount is a whole number, which gives the shortest representation BOLT 11
// asks writers to use.
func shortestMultiplier(amount wire.MilliSatoshi) byte {
	for _, m := range [...]byte{0, 'm', 'u', 'n'} {
		per, _ := msatPerUnitX10(m)
		if uint64(amount) <= math.MaxUint64/10 && uint64(amount)*10%per == 0 {
			return m
		}
	}
	return 'p'
}

// appendHRP appends "ln" + currency + amount to dst.
func appendHRP(dst []byte, currency string, amount wire.MilliSatoshi, mult byte) []byte {
	dst = append(dst, 'l', 'n')
	dst = append(dst, currency...)
	if amount == 0 {
		return dst
	}
	dst, _ = amountDigits(dst, amount, mult)
	if mult != 0 {
		dst = append(dst, mult)
	}
	return dst
}
