package channel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// vectorFile is the shape shared by commitment_static_remotekey.json and
// commitment_anchors.json.
type vectorFile struct {
	Parameters struct {
		FundingTxID          string       `json:"funding_tx_id"`
		FundingOutputIndex   uint32       `json:"funding_output_index"`
		FundingAmountSatoshi int64        `json:"funding_amount_satoshi"`
		CommitmentNumber     uint64       `json:"commitment_number"`
		LocalDelay           uint16       `json:"local_delay"`
		LocalDustLimit       int64        `json:"local_dust_limit_satoshi"`
		HTLCs                []vectorHTLC `json:"htlcs"`
		LocalPaymentBase     string       `json:"local_payment_basepoint"`
		RemotePaymentBase    string       `json:"remote_payment_basepoint"`
		LocalHTLCBase        string       `json:"local_htlc_basepoint"`
		RemoteHTLCBase       string       `json:"remote_htlc_basepoint"`
		LocalFundingPriv     string       `json:"local_funding_privkey"`
		LocalFundingPub      string       `json:"local_funding_pubkey"`
		RemoteFundingPub     string       `json:"remote_funding_pubkey"`
		LocalHTLCPub         string       `json:"local_htlcpubkey"`
		RemoteHTLCPub        string       `json:"remote_htlcpubkey"`
		LocalDelayedPub      string       `json:"local_delayedpubkey"`
		LocalRevocationPub   string       `json:"local_revocation_pubkey"`
		FundingWScript       string       `json:"funding_wscript"`
		Internal             struct {
			RemoteFundingPriv       string `json:"remote_funding_privkey"`
			LocalPaymentBaseSecret  string `json:"local_payment_basepoint_secret"`
			RemoteRevocationSecret  string `json:"remote_revocation_basepoint_secret"`
			LocalDelayedBaseSecret  string `json:"local_delayed_payment_basepoint_secret"`
			RemotePaymentBaseSecret string `json:"remote_payment_basepoint_secret"`
			LocalPerCommitSecret    string `json:"x_local_per_commitment_secret"`
			RemoteRevocationBase    string `json:"remote_revocation_basepoint"`
			LocalDelayedBase        string `json:"local_delayed_payment_basepoint"`
			LocalPerCommitPoint     string `json:"local_per_commitment_point"`
		} `json:"internal_derivation_values"`
	} `json:"parameters"`
	TestCases []vectorCase `json:"test_cases"`
}

type vectorHTLC struct {
	ID         uint64 `json:"id"`
	Direction  string `json:"direction"`
	AmountMsat uint64 `json:"amount_msat"`
	Expiry     uint32 `json:"expiry"`
	Preimage   string `json:"payment_preimage"`
}

type vectorCase struct {
	Name            string       `json:"name"`
	FeeRate         uint32       `json:"local_feerate_per_kw"`
	DustLimit       *int64       `json:"local_dust_limit_satoshi"`
	ToLocalMsat     uint64       `json:"to_local_msat"`
	ToRemoteMsat    uint64       `json:"to_remote_msat"`
	HTLCs           []vectorHTLC `json:"htlcs"`
	BaseFee         *int64       `json:"base_commitment_tx_fee"`
	ActualFee       *int64       `json:"actual_commitment_tx_fee"`
	RemoteSignature string       `json:"remote_signature"`
	LocalSignature  string       `json:"local_signature"`
	OutputCommitTx  string       `json:"output_commit_tx"`
	NumHTLCs        int          `json:"num_htlcs"`
	HTLCTxs         []struct {
		OutputIndex *int    `json:"output_index"`
		TxType      string  `json:"tx_type"`
		HTLCID      *uint64 `json:"htlc_id"`
		RemoteSig   string  `json:"remote_htlc_signature"`
		LocalSig    string  `json:"local_htlc_signature"`
		TxHex       string  `json:"tx_hex"`
	} `json:"htlc_txs"`
}

func loadVectors(t testing.TB, name string) *vectorFile {
	t.Helper()
	var v vectorFile
	testutil.LoadJSON(t, name, &v)
	return &v
}

// unhex, pub and priv are the package's short names for testutil.Hex,
// testutil.PubKey and testutil.PrivKey (a spec private key: 32 bytes, with
// or without the trailing 01).
func unhex(t testing.TB, s string) []byte { t.Helper(); return testutil.Hex(t, s) }

func pub(t testing.TB, s string) *btcec.PublicKey { t.Helper(); return testutil.PubKey(t, s) }

func priv(t testing.TB, s string) *btcec.PrivateKey { t.Helper(); return testutil.PrivKey(t, s) }

func toHTLC(t testing.TB, v vectorHTLC) (htlc.HTLC, htlc.Preimage) {
	t.Helper()
	var pre htlc.Preimage
	copy(pre[:], unhex(t, v.Preimage))
	h := htlc.HTLC{ID: v.ID, Amount: wire.MilliSatoshi(v.AmountMsat), CLTVExpiry: v.Expiry, PaymentHash: pre.Hash()}
	switch v.Direction {
	case "local->remote":
		h.Direction = htlc.Offered
	case "remote->local":
		h.Direction = htlc.Received
	default:
		t.Fatalf("direction %q", v.Direction)
	}
	return h, pre
}

// vectorSetup is a vector file turned into both nodes' parameters and
// signers. Keys the spec does not give (local revocation basepoint, remote
// delayed payment basepoint) are made up: no output of the local
// commitment depends on them.
type vectorSetup struct {
	local, remote             *Params // each from its own node's view
	localSigner, remoteSigner *MemorySigner
	point                     *btcec.PublicKey
	secret                    *btcec.PrivateKey
	preimages                 map[uint64]htlc.Preimage
}

func newVectorSetup(t testing.TB, v *vectorFile, typ script.ChannelType) *vectorSetup {
	t.Helper()
	p := v.Parameters
	in := p.Internal
	localSecrets := BasepointSecrets{
		Funding:        priv(t, p.LocalFundingPriv),
		Revocation:     scripttest.Key("vector local revocation"),
		Payment:        priv(t, in.LocalPaymentBaseSecret),
		DelayedPayment: priv(t, in.LocalDelayedBaseSecret),
		HTLC:           priv(t, in.LocalPaymentBaseSecret), // local_htlc_basepoint = local_payment_basepoint
	}
	remoteSecrets := BasepointSecrets{
		Funding:        priv(t, in.RemoteFundingPriv),
		Revocation:     priv(t, in.RemoteRevocationSecret),
		Payment:        priv(t, in.RemotePaymentBaseSecret),
		DelayedPayment: scripttest.Key("vector remote delayed"),
		HTLC:           priv(t, in.RemotePaymentBaseSecret), // remote_htlc_basepoint = remote_payment_basepoint
	}
	s := &vectorSetup{
		localSigner:  NewMemorySigner(localSecrets),
		remoteSigner: NewMemorySigner(remoteSecrets),
		preimages:    map[uint64]htlc.Preimage{},
	}
	lb, rb := s.localSigner.Basepoints(), s.remoteSigner.Basepoints()
	// The published public values must match the secrets.
	for _, c := range []struct {
		got  *btcec.PublicKey
		want string
	}{
		{lb.Funding, p.LocalFundingPub}, {rb.Funding, p.RemoteFundingPub},
		{lb.Payment, p.LocalPaymentBase}, {rb.Payment, p.RemotePaymentBase},
		{lb.HTLC, p.LocalHTLCBase}, {rb.HTLC, p.RemoteHTLCBase},
		{lb.DelayedPayment, in.LocalDelayedBase}, {rb.Revocation, in.RemoteRevocationBase},
	} {
		if hex.EncodeToString(c.got.SerializeCompressed()) != c.want {
			t.Fatalf("basepoint %x, vector says %s", c.got.SerializeCompressed(), c.want)
		}
	}
	txid, err := chainhash.NewHashFromStr(p.FundingTxID)
	if err != nil {
		t.Fatal(err)
	}
	s.local = &Params{
		FundingOutpoint: btcwire.OutPoint{Hash: *txid, Index: p.FundingOutputIndex},
		FundingAmount:   btcutil.Amount(p.FundingAmountSatoshi),
		Type:            typ,
		Opener:          Local,
		Local:           PartyParams{Basepoints: lb, ToSelfDelay: p.LocalDelay, DustLimit: btcutil.Amount(p.LocalDustLimit)},
		Remote:          PartyParams{Basepoints: rb, ToSelfDelay: 144, DustLimit: 546},
	}
	s.remote = swapView(s.local)
	s.secret = priv(t, in.LocalPerCommitSecret)
	s.point = pub(t, in.LocalPerCommitPoint)
	if !s.secret.PubKey().IsEqual(s.point) {
		t.Fatal("per_commitment_point does not match its secret")
	}
	for _, h := range p.HTLCs {
		_, pre := toHTLC(t, h)
		s.preimages[h.ID] = pre
	}
	return s
}

// swapView returns the same channel seen from the other node.
func swapView(p *Params) *Params {
	q := *p
	q.Local, q.Remote = p.Remote, p.Local
	q.Opener = p.Opener.Other()
	return &q
}

// swapState returns the same state seen from the other node.
func swapState(st *State) *State {
	q := *st
	q.LocalBalance, q.RemoteBalance = st.RemoteBalance, st.LocalBalance
	q.HTLCs = make([]htlc.HTLC, len(st.HTLCs))
	for i, h := range st.HTLCs {
		q.HTLCs[i] = h.Flip()
	}
	return &q
}

func serialize(t testing.TB, tx *btcwire.MsgTx) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// derHex returns the DER encoding of a compact signature, as the vectors
// write signatures.
func derHex(t testing.TB, sig wire.Signature) string {
	t.Helper()
	s, err := sig.ToECDSA()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(s.Serialize())
}

// fundingPrevOut returns the funding output the commitments spend.
func fundingPrevOut(t testing.TB, p *Params) *btcwire.TxOut {
	t.Helper()
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		t.Fatal(err)
	}
	return btcwire.NewTxOut(int64(p.FundingAmount), script.P2WSH(ws))
}

// execute runs the script engine on input idx of tx, spending prevOuts.
func execute(tx *btcwire.MsgTx, idx int, prevOuts map[btcwire.OutPoint]*btcwire.TxOut) error {
	return scripttest.ForTx(tx, prevOuts).Execute(idx)
}

// prevOutsOf maps every output of parent.
func prevOutsOf(parent *btcwire.MsgTx) map[btcwire.OutPoint]*btcwire.TxOut {
	m := make(map[btcwire.OutPoint]*btcwire.TxOut, len(parent.TxOut))
	h := parent.TxHash()
	for i, o := range parent.TxOut {
		m[btcwire.OutPoint{Hash: h, Index: uint32(i)}] = o
	}
	return m
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

func btcAmount(v int64) btcutil.Amount { return btcutil.Amount(v) }

// msat converts a satoshi amount the test knows to be in range.
func msat(sat btcutil.Amount) wire.MilliSatoshi {
	m, err := wire.NewMilliSatoshi(sat)
	if err != nil {
		panic(err)
	}
	return m
}
