// Command commitment prints a channel's commitment transaction and its HTLC
// transactions, fully signed, for parameters given by flags. The defaults
// are the BOLT 3 Appendix C base case ("simple commitment tx with no
// HTLCs"), whose keys are public test keys: both sides' secrets are known,
// so the program signs for both.
//
//	go run ./examples/commitment
//	go run ./examples/commitment -feerate 0 -to-local-msat 6988000000 \
//	    -htlc received:1000000:500:0000000000000000000000000000000000000000000000000000000000000000 ...
//
// Each -htlc is direction:amount_msat:cltv_expiry:preimage_hex, direction
// offered or received as seen from the local node (the opener).
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// BOLT 3 Appendix C keys. The local revocation and remote delayed payment
// secrets are not in the appendix (no output of the local commitment uses
// them); any value works.
const (
	localFundingSecret     = "30ff4956bbdd3222d44cc5e8a1261dab1e07957bdac5ae88fe3261ef321f3749"
	remoteFundingSecret    = "1552dfba4f6cf29a62a0af13c8d6981d36d0ef8d61ba10fb0fe90da7634d7e13"
	localPaymentSecret     = "1111111111111111111111111111111111111111111111111111111111111111"
	remoteRevocationSecret = "2222222222222222222222222222222222222222222222222222222222222222"
	localDelayedSecret     = "3333333333333333333333333333333333333333333333333333333333333333"
	remotePaymentSecret    = "4444444444444444444444444444444444444444444444444444444444444444"
	localRevocationSecret  = "5555555555555555555555555555555555555555555555555555555555555555"
	remoteDelayedSecret    = "6666666666666666666666666666666666666666666666666666666666666666"
	perCommitmentSecret    = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
	fundingTxID            = "8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "commitment:", err)
		os.Exit(1)
	}
}

type htlcFlags []string

func (h *htlcFlags) String() string     { return strings.Join(*h, ",") }
func (h *htlcFlags) Set(v string) error { *h = append(*h, v); return nil }

func key(s string) *btcec.PrivateKey {
	b, _ := hex.DecodeString(s)
	k, _ := btcec.PrivKeyFromBytes(b)
	return k
}

// run parses args, builds the local commitment and prints it and its HTLC
// transactions to out.
func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("commitment", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		typeName  = fs.String("type", "static_remotekey", "channel type: static_remotekey or anchors")
		number    = fs.Uint64("number", 42, "commitment number")
		feeRate   = fs.Uint("feerate", 15000, "feerate_per_kw")
		toLocal   = fs.Uint64("to-local-msat", 7_000_000_000, "local balance in msat (the local node is the opener)")
		toRemote  = fs.Uint64("to-remote-msat", 3_000_000_000, "remote balance in msat")
		funding   = fs.Int64("funding-sat", 10_000_000, "funding amount in satoshis")
		delay     = fs.Uint("delay", 144, "to_self_delay of the local node's outputs")
		dustLimit = fs.Int64("dust", 546, "local dust_limit_satoshis")
		htlcs     htlcFlags
	)
	fs.Var(&htlcs, "htlc", "direction:amount_msat:cltv_expiry:preimage_hex (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var typ script.ChannelType
	switch *typeName {
	case "static_remotekey":
		typ = script.StaticRemoteKey
	case "anchors":
		typ = script.Anchors
	default:
		return fmt.Errorf("unknown channel type %q", *typeName)
	}
	if *feeRate > 1<<32-1 || *delay > 1<<16-1 {
		return errors.New("feerate or delay out of range")
	}

	localSigner := channel.NewMemorySigner(channel.BasepointSecrets{
		Funding: key(localFundingSecret), Revocation: key(localRevocationSecret), Payment: key(localPaymentSecret),
		DelayedPayment: key(localDelayedSecret), HTLC: key(localPaymentSecret),
	})
	remoteSigner := channel.NewMemorySigner(channel.BasepointSecrets{
		Funding: key(remoteFundingSecret), Revocation: key(remoteRevocationSecret), Payment: key(remotePaymentSecret),
		DelayedPayment: key(remoteDelayedSecret), HTLC: key(remotePaymentSecret),
	})
	txid, _ := chainhash.NewHashFromStr(fundingTxID)
	local := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: *txid, Index: 0},
		FundingAmount:   btcutil.Amount(*funding),
		Type:            typ,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: localSigner.Basepoints(), ToSelfDelay: uint16(*delay), DustLimit: btcutil.Amount(*dustLimit)},
		Remote:          channel.PartyParams{Basepoints: remoteSigner.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
	}
	remote := *local
	remote.Local, remote.Remote, remote.Opener = local.Remote, local.Local, channel.Remote

	st := &channel.State{
		Number: *number, FeeRate: wire.SatPerKWeight(*feeRate),
		LocalBalance: wire.MilliSatoshi(*toLocal), RemoteBalance: wire.MilliSatoshi(*toRemote),
	}
	preimages := map[htlc.PaymentHash]htlc.Preimage{}
	for i, spec := range htlcs {
		h, pre, err := parseHTLC(spec)
		if err != nil {
			return err
		}
		h.ID = uint64(i)
		preimages[h.PaymentHash] = pre
		st.HTLCs = append(st.HTLCs, h)
	}
	point := key(perCommitmentSecret).PubKey()

	ctx := context.Background()
	c, err := channel.LocalCommitment(local, st, point)
	if err != nil {
		return err
	}
	// The remote node signs the local commitment, from its own view.
	remoteState := *st
	remoteState.LocalBalance, remoteState.RemoteBalance = st.RemoteBalance, st.LocalBalance
	remoteState.HTLCs = nil
	for _, h := range st.HTLCs {
		remoteState.HTLCs = append(remoteState.HTLCs, h.Flip())
	}
	rc, err := channel.RemoteCommitment(&remote, &remoteState, point)
	if err != nil {
		return err
	}
	sigs, err := channel.SignCommitment(ctx, remoteSigner, &remote, rc)
	if err != nil {
		return err
	}
	if err := channel.VerifyCommitSigs(ctx, local, c, sigs); err != nil {
		return err
	}
	tx, err := channel.SignedCommitmentTx(ctx, localSigner, local, c, sigs.CommitSig)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "channel type: %v\n", typ)
	fmt.Fprintf(out, "commitment number: %d, feerate: %v\n", c.Number, c.FeeRate)
	fmt.Fprintf(out, "base fee: %d sat, actual fee: %d sat\n", int64(c.BaseFee), int64(c.Fee))
	fmt.Fprintf(out, "txid: %v\n", c.TxHash)
	for i, o := range c.Tx.TxOut {
		fmt.Fprintf(out, "output %d: %d sat %s\n", i, o.Value, describe(c, i))
	}
	for _, h := range c.Trimmed {
		fmt.Fprintf(out, "trimmed: HTLC %d %v %d msat\n", h.ID, h.Direction, uint64(h.Amount))
	}
	fmt.Fprintf(out, "commitment tx: %s\n", txHex(tx))
	for i, h := range c.HTLCs {
		var pre *htlc.Preimage
		kind := "htlc-timeout"
		if h.Direction == htlc.Received {
			kind = "htlc-success"
			p := preimages[h.PaymentHash]
			pre = &p
		}
		htx, err := channel.SignedHTLCTx(ctx, localSigner, c, i, sigs.HTLCSigs[i], pre)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s tx for HTLC %d (output %d): %s\n", kind, h.ID, h.Output.Index, txHex(htx))
	}
	return nil
}

func parseHTLC(spec string) (htlc.HTLC, htlc.Preimage, error) {
	var h htlc.HTLC
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return h, htlc.Preimage{}, fmt.Errorf("-htlc %q: want direction:amount_msat:cltv_expiry:preimage_hex", spec)
	}
	switch parts[0] {
	case "offered":
		h.Direction = htlc.Offered
	case "received":
		h.Direction = htlc.Received
	default:
		return h, htlc.Preimage{}, fmt.Errorf("-htlc %q: direction must be offered or received", spec)
	}
	amt, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil {
		return h, htlc.Preimage{}, fmt.Errorf("-htlc %q: amount: %w", spec, err)
	}
	cltv, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil {
		return h, htlc.Preimage{}, fmt.Errorf("-htlc %q: cltv_expiry: %w", spec, err)
	}
	pre, err := htlc.ParsePreimage(parts[3])
	if err != nil {
		return h, htlc.Preimage{}, fmt.Errorf("-htlc %q: %w", spec, err)
	}
	h.Amount, h.CLTVExpiry, h.PaymentHash = wire.MilliSatoshi(amt), uint32(cltv), pre.Hash()
	return h, pre, nil
}

func describe(c *channel.Commitment, i int) string {
	switch i {
	case c.ToLocal.Index:
		return "to_local"
	case c.ToRemote.Index:
		return "to_remote"
	case c.LocalAnchor.Index:
		return "to_local_anchor"
	case c.RemoteAnchor.Index:
		return "to_remote_anchor"
	}
	for _, h := range c.HTLCs {
		if h.Output.Index == i {
			return fmt.Sprintf("%v HTLC %d (cltv_expiry %d)", h.Direction, h.ID, h.CLTVExpiry)
		}
	}
	return "?"
}

func txHex(tx *btcwire.MsgTx) string {
	var b bytes.Buffer
	_ = tx.Serialize(&b)
	return hex.EncodeToString(b.Bytes())
}
