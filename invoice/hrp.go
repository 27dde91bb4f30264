package invoice

import (
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

// msatPerUnit gives, for each multiplier except p, the millisatoshis in one
// unit of the amount. A pico-bitcoin is a tenth of a millisatoshi: p amounts
// are handled apart, as millisatoshi digits followed by a 0.
func msatPerUnit(mult byte) (uint64, bool) {
	switch mult {
	case 0:
		return 1000 * 100_000_000, true // one bitcoin
	case 'm':
		return 100_000_000, true
	case 'u':
		return 100_000, true
	case 'n':
		return 100, true
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
	per, ok := msatPerUnit(mult)
	if !ok && mult != 'p' {
		return nil, 0, 0, errf(ErrInvalidMultiplier, "%q is not m, u, n or p", mult)
	}
	if len(amt) == 0 {
		return nil, 0, 0, errf(ErrInvalidAmount, "multiplier without digits")
	}
	if amt[0] == '0' {
		return nil, 0, 0, errf(ErrInvalidAmount, "amount %q has a leading zero or is zero", string(amt))
	}
	for _, c := range amt {
		if c < '0' || c > '9' {
			return nil, 0, 0, errf(ErrInvalidAmount, "amount %q is not a decimal number", string(amt))
		}
	}
	digits := amt
	if mult == 'p' {
		// "if multiplier is p and the last decimal of amount is not 0:
		// MUST fail the payment"; the other digits count millisatoshi.
		if amt[len(amt)-1] != '0' {
			return nil, 0, 0, errf(ErrSubMillisatoshi, "%sp is not a whole number of millisatoshi", string(amt))
		}
		digits, per = amt[:len(amt)-1], 1
	}
	var v uint64
	for _, c := range digits {
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return nil, 0, 0, errf(ErrInvalidAmount, "amount %q overflows 64-bit millisatoshi", string(amt))
		}
		v = lo
	}
	hi, msat := bits.Mul64(v, per)
	if hi != 0 {
		return nil, 0, 0, errf(ErrInvalidAmount, "amount %q%c overflows 64-bit millisatoshi", string(amt), mult)
	}
	return net, wire.MilliSatoshi(msat), mult, nil
}

// amountDigits appends the decimal digits of amount in the given
// multiplier's unit, or reports false if the amount is not a whole number of
// units.
func amountDigits(dst []byte, amount wire.MilliSatoshi, mult byte) ([]byte, bool) {
	if amount == 0 {
		return dst, false
	}
	if mult == 'p' {
		return append(strconv.AppendUint(dst, uint64(amount), 10), '0'), true
	}
	per, ok := msatPerUnit(mult)
	if !ok || uint64(amount)%per != 0 {
		return dst, false
	}
	return strconv.AppendUint(dst, uint64(amount)/per, 10), true
}

// shortestMultiplier picks the largest multiplier (none first) in which
// amount is a whole number, which gives the shortest representation BOLT 11
// asks writers to use.
func shortestMultiplier(amount wire.MilliSatoshi) byte {
	for _, m := range [...]byte{0, 'm', 'u', 'n'} {
		if per, _ := msatPerUnit(m); uint64(amount)%per == 0 {
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
