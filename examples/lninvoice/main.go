// Command lninvoice decodes and creates BOLT 11 invoices.
//
//	go run ./examples/lninvoice decode <invoice>
//	go run ./examples/lninvoice encode -network testnet -key <hex> -preimage <hex> \
//		-amount-msat 250000 -description "1 cup coffee" [-expiry 3600] [-cltv 40] \
//		[-fallback <address>] [-hop <node>:<scid>:<fee_base_msat>:<fee_ppm>:<cltv_delta>]...
//
// decode prints the invoice as JSON with the field names of lnd's
// "lncli decodepayreq" (64-bit numbers as strings, as lncli prints them). An
// invalid invoice is reported on one line and the exit status is 1. A
// "lightning:" prefix is accepted.
//
// encode builds an invoice from its flags, signs it with the private key
// given in hex and prints it. It refuses mainnet: this is a tool for test
// networks (testnet, signet, regtest, simnet).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: lninvoice decode <invoice> | lninvoice encode -network <net> -key <hex> ... (-h for flags)"

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "decode":
		if len(args) != 2 {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		err = decode(args[1], stdout)
	case "encode":
		err = encode(args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
	default:
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "lninvoice:", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

// payReq mirrors the JSON of lncli decodepayreq.
type payReq struct {
	Destination     string             `json:"destination"`
	PaymentHash     string             `json:"payment_hash"`
	NumSatoshis     string             `json:"num_satoshis"`
	Timestamp       string             `json:"timestamp"`
	Expiry          string             `json:"expiry"`
	Description     string             `json:"description"`
	DescriptionHash string             `json:"description_hash"`
	FallbackAddr    string             `json:"fallback_addr"`
	CLTVExpiry      string             `json:"cltv_expiry"`
	RouteHints      []routeHint        `json:"route_hints"`
	PaymentAddr     string             `json:"payment_addr"`
	NumMsat         string             `json:"num_msat"`
	Features        map[string]feature `json:"features"`
}

type routeHint struct {
	HopHints []hopHint `json:"hop_hints"`
}

type hopHint struct {
	NodeID                    string `json:"node_id"`
	ChanID                    string `json:"chan_id"`
	FeeBaseMsat               uint32 `json:"fee_base_msat"`
	FeeProportionalMillionths uint32 `json:"fee_proportional_millionths"`
	CLTVExpiryDelta           uint32 `json:"cltv_expiry_delta"`
}

type feature struct {
	Name       string `json:"name"`
	IsRequired bool   `json:"is_required"`
	IsKnown    bool   `json:"is_known"`
}

func decode(s string, w io.Writer) error {
	s = strings.TrimSpace(s)
	if len(s) > 10 && strings.EqualFold(s[:10], "lightning:") {
		s = s[10:]
	}
	inv, err := invoice.Decode(s)
	if err != nil {
		return err
	}
	out := payReq{
		Destination: hex.EncodeToString(inv.Destination.SerializeCompressed()),
		PaymentHash: hex.EncodeToString(inv.PaymentHash[:]),
		NumSatoshis: "0",
		NumMsat:     "0",
		Timestamp:   strconv.FormatInt(inv.Timestamp.Unix(), 10),
		Expiry:      strconv.FormatInt(int64(inv.ExpiryDuration()/time.Second), 10),
		CLTVExpiry:  strconv.FormatUint(inv.MinFinalCLTVExpiryDelta(), 10),
		PaymentAddr: hex.EncodeToString(inv.PaymentSecret[:]),
		RouteHints:  []routeHint{},
		Features:    map[string]feature{},
	}
	if inv.Amount != nil {
		out.NumSatoshis = strconv.FormatInt(int64(inv.Amount.ToSatoshis()), 10)
		out.NumMsat = strconv.FormatUint(uint64(*inv.Amount), 10)
	}
	if inv.Description != nil {
		out.Description = *inv.Description
	}
	if inv.DescriptionHash != nil {
		out.DescriptionHash = hex.EncodeToString(inv.DescriptionHash[:])
	}
	if len(inv.Fallbacks) > 0 {
		out.FallbackAddr = inv.Fallbacks[0].EncodeAddress()
	}
	for _, h := range inv.RouteHints {
		var rh routeHint
		for _, hop := range h {
			rh.HopHints = append(rh.HopHints, hopHint{
				NodeID:                    hex.EncodeToString(hop.NodeID.SerializeCompressed()),
				ChanID:                    strconv.FormatUint(hop.ChannelID.ToUint64(), 10),
				FeeBaseMsat:               uint32(hop.FeeBase),
				FeeProportionalMillionths: hop.FeeProportionalMillionths,
				CLTVExpiryDelta:           uint32(hop.CLTVExpiryDelta),
			})
		}
		out.RouteHints = append(out.RouteHints, rh)
	}
	for _, b := range inv.Features.Bits() {
		k, known := wire.LookupFeature(b)
		out.Features[strconv.Itoa(int(b))] = feature{Name: k.Name, IsRequired: b.IsRequired(), IsKnown: known}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}

// testNetworks are the networks encode accepts.
var testNetworks = map[string]*chaincfg.Params{
	"testnet": &chaincfg.TestNet3Params,
	"signet":  &chaincfg.SigNetParams,
	"regtest": &chaincfg.RegressionNetParams,
	"simnet":  &chaincfg.SimNetParams,
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func encode(args []string, w, stderr io.Writer) error {
	fs := flag.NewFlagSet("encode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	names := make([]string, 0, len(testNetworks))
	for n := range testNetworks {
		names = append(names, n)
	}
	sort.Strings(names)
	network := fs.String("network", "testnet", "network: "+strings.Join(names, ", "))
	keyHex := fs.String("key", "", "payee private key, 32 bytes hex (required)")
	hashHex := fs.String("hash", "", "payment hash, 32 bytes hex")
	preimageHex := fs.String("preimage", "", "payment preimage, 32 bytes hex (instead of -hash)")
	secretHex := fs.String("secret", "", "payment secret, 32 bytes hex (default: random)")
	amount := fs.Uint64("amount-msat", 0, "amount in millisatoshi (0: any amount)")
	desc := fs.String("description", "", "description (d field)")
	descHash := fs.String("description-hash", "", "SHA256 of a description given elsewhere, hex (h field)")
	expiry := fs.Duration("expiry", 0, "expiry, e.g. 1h (default: none, readers use 1h)")
	cltv := fs.Uint64("cltv", invoice.DefaultMinFinalCLTVExpiryDelta, "min_final_cltv_expiry_delta")
	timestamp := fs.Int64("timestamp", 0, "creation time, seconds since 1970 (default: now)")
	explicit := fs.Bool("explicit-node-id", false, "include the payee's node id (n field)")
	var fallbacks, hops multiFlag
	fs.Var(&fallbacks, "fallback", "on-chain fallback address (repeatable)")
	fs.Var(&hops, "hop", "route hint hop node:scid:fee_base_msat:fee_ppm:cltv_delta, scid as BLOCKxTXxOUT (repeatable; all hops form one route)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	net, ok := testNetworks[*network]
	if !ok {
		return fmt.Errorf("network %q is not one of %s (mainnet is refused)", *network, strings.Join(names, ", "))
	}
	keyBytes, err := hex32("key", *keyHex)
	if err != nil {
		return err
	}
	key, _ := btcec.PrivKeyFromBytes(keyBytes[:])
	b := invoice.NewBuilder(net).MinFinalCLTVExpiryDelta(*cltv)
	switch {
	case *hashHex != "" && *preimageHex != "":
		return errors.New("give -hash or -preimage, not both")
	case *hashHex != "":
		h, err := hex32("hash", *hashHex)
		if err != nil {
			return err
		}
		b.PaymentHash(h)
	case *preimageHex != "":
		p, err := hex32("preimage", *preimageHex)
		if err != nil {
			return err
		}
		b.PaymentHash(sha256.Sum256(p[:]))
	default:
		return errors.New("-hash or -preimage is required")
	}
	if *secretHex != "" {
		s, err := hex32("secret", *secretHex)
		if err != nil {
			return err
		}
		b.PaymentSecret(s)
	}
	if *amount != 0 {
		b.Amount(wire.MilliSatoshi(*amount))
	}
	if *descHash != "" {
		h, err := hex32("description-hash", *descHash)
		if err != nil {
			return err
		}
		b.DescriptionHash(h)
	} else {
		b.Description(*desc)
	}
	if *expiry != 0 {
		b.Expiry(*expiry)
	}
	if *timestamp != 0 {
		b.Timestamp(time.Unix(*timestamp, 0))
	}
	if *explicit {
		b.ExplicitDestination()
	}
	for _, a := range fallbacks {
		addr, err := btcutil.DecodeAddress(a, net)
		if err != nil {
			return fmt.Errorf("fallback %q: %w", a, err)
		}
		b.Fallback(addr)
	}
	if len(hops) > 0 {
		route := make([]invoice.HopHint, 0, len(hops))
		for _, h := range hops {
			hop, err := parseHop(h)
			if err != nil {
				return err
			}
			route = append(route, hop)
		}
		b.RouteHint(route...)
	}
	inv, err := b.Build(context.Background(), invoice.NewKeySigner(key))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, inv.String())
	return err
}

func hex32(name, s string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, fmt.Errorf("-%s must be 32 bytes of hex", name)
	}
	copy(out[:], b)
	return out, nil
}

func parseHop(s string) (invoice.HopHint, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 5 {
		return invoice.HopHint{}, fmt.Errorf("hop %q: want node:scid:fee_base_msat:fee_ppm:cltv_delta", s)
	}
	nodeBytes, err := hex.DecodeString(parts[0])
	if err != nil {
		return invoice.HopHint{}, fmt.Errorf("hop %q: node id: %w", s, err)
	}
	node, err := btcec.ParsePubKey(nodeBytes)
	if err != nil {
		return invoice.HopHint{}, fmt.Errorf("hop %q: node id: %w", s, err)
	}
	scid, err := wire.ParseShortChannelID(parts[1])
	if err != nil {
		return invoice.HopHint{}, fmt.Errorf("hop %q: %w", s, err)
	}
	var n [3]uint64
	for i, bitsize := range []int{32, 32, 16} {
		if n[i], err = strconv.ParseUint(parts[2+i], 10, bitsize); err != nil {
			return invoice.HopHint{}, fmt.Errorf("hop %q: %w", s, err)
		}
	}
	return invoice.HopHint{
		NodeID: node, ChannelID: scid, FeeBase: wire.MilliSatoshi(n[0]),
		FeeProportionalMillionths: uint32(n[1]), CLTVExpiryDelta: uint16(n[2]),
	}, nil
}
