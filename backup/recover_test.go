package backup_test

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/wire"
)

// hostKeys is the host's key manager of the test: it derives a channel's
// basepoint secrets and shachain seed from the node seed and the
// channel's key info (here, a channel index), as a real key manager would
// from a key family and index.
func hostKeys(seed, keyInfo []byte) (channel.BasepointSecrets, [32]byte) {
	d := func(label string) *btcec.PrivateKey {
		h := sha256.Sum256(append(append(append([]byte(nil), seed...), keyInfo...), label...))
		k, _ := btcec.PrivKeyFromBytes(h[:])
		return k
	}
	return channel.BasepointSecrets{
		Funding: d("funding"), Revocation: d("revocation"), Payment: d("payment"),
		DelayedPayment: d("delayed"), HTLC: d("htlc"),
	}, sha256.Sum256(append(append(append([]byte(nil), seed...), keyInfo...), "shachain"...))
}

// machineNode is one side of a channel and the host around its Machine:
// it keeps the messages to send, the HTLC events and the failure.
type machineNode struct {
	name   string
	m      *channel.Machine
	signer *channel.MemorySigner
	out    []wire.Message
	locked []*channel.HTLCLockedIn
	failed *channel.ChannelFailed
}

func (n *machineNode) apply(acts []channel.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Send:
			n.out = append(n.out, a.Msg)
		case *channel.HTLCLockedIn:
			n.locked = append(n.locked, a)
		case *channel.ChannelFailed:
			n.failed = a
		}
	}
}

// settle delivers messages both ways, through the wire encoding, until
// none is left.
func settle(t *testing.T, ctx context.Context, a, b *machineNode) {
	t.Helper()
	for i := 0; i < 10000; i++ {
		from, to := a, b
		if len(from.out) == 0 {
			from, to = b, a
		}
		if len(from.out) == 0 {
			return
		}
		msg := from.out[0]
		from.out = from.out[1:]
		raw, err := wire.EncodeMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		msg, err = wire.DecodeMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := to.m.ReceiveMessage(ctx, msg)
		if err != nil {
			t.Fatalf("%s receiving %v: %v", to.name, msg.MsgType(), err)
		}
		to.apply(acts)
	}
	t.Fatal("did not settle")
}

// pay sends amount from payer to payee over the channel and settles it.
func pay(t *testing.T, ctx context.Context, payer, payee *machineNode, amount wire.MilliSatoshi, label string) {
	t.Helper()
	var pre htlc.Preimage
	copy(pre[:], label)
	var onion [wire.OnionPacketSize]byte
	_, acts, err := payer.m.AddHTLC(&channel.AddHTLC{Amount: amount, PaymentHash: pre.Hash(), Expiry: 800_000, Onion: &onion})
	if err != nil {
		t.Fatal(err)
	}
	payer.apply(acts)
	acts, err = payer.m.SignCommitment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payer.apply(acts)
	settle(t, ctx, payer, payee)
	if len(payee.locked) != 1 {
		t.Fatalf("%d HTLCs locked in at %s", len(payee.locked), payee.name)
	}
	id := payee.locked[0].HTLC.ID
	payee.locked = nil
	if acts, err = payee.m.FulfillHTLC(id, pre, nil); err != nil {
		t.Fatal(err)
	}
	payee.apply(acts)
	if acts, err = payee.m.SignCommitment(ctx); err != nil {
		t.Fatal(err)
	}
	payee.apply(acts)
	settle(t, ctx, payer, payee)
}

// openChannel funds a channel on chain between alice (the opener, whose
// keys come from seed) and bob, both Machines at commitment 0 with
// channel_ready exchanged.
func openChannel(t *testing.T, ctx context.Context, typ script.ChannelType, seed, keyInfo []byte, chn *chainsim.Chain) (alice, bob *machineNode) {
	t.Helper()
	aSecrets, aSeed := hostKeys(seed, keyInfo)
	aSigner := channel.NewMemorySigner(aSecrets)
	bSigner := channel.NewMemorySigner(channel.BasepointSecrets{
		Funding: scripttest.Key("bob f"), Revocation: scripttest.Key("bob r"), Payment: scripttest.Key("bob p"),
		DelayedPayment: scripttest.Key("bob d"), HTLC: scripttest.Key("bob h"),
	})
	const funding = btcutil.Amount(2_000_000)
	_, out, err := script.FundingOutput(aSigner.Basepoints().Funding, bSigner.Basepoints().Funding, funding)
	if err != nil {
		t.Fatal(err)
	}
	ftx, err := chn.Faucet(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var op btcwire.OutPoint
	for i, o := range ftx.TxOut {
		if string(o.PkScript) == string(out.PkScript) {
			op = btcwire.OutPoint{Hash: ftx.TxHash(), Index: uint32(i)}
		}
	}
	ap := &channel.Params{
		FundingOutpoint: op, FundingAmount: funding, Type: typ, Opener: channel.Local,
		Local:  channel.PartyParams{Basepoints: aSigner.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote: channel.PartyParams{Basepoints: bSigner.Basepoints(), ToSelfDelay: 100, DustLimit: 354},
	}
	bp := *ap
	bp.Local, bp.Remote, bp.Opener = ap.Remote, ap.Local, channel.Remote
	aSec := revocation.NewProducer(aSeed)
	bSec := revocation.NewProducer(sha256.Sum256([]byte("bob shachain")))
	cons := channel.Constraints{MaxHTLCValueInFlight: wire.MilliSatoshi(funding) * 1000, ChannelReserve: funding / 100, HTLCMinimum: 1, MaxAcceptedHTLCs: 30}
	total := wire.MilliSatoshi(funding) * 1000
	const feeRate = 2500
	a0, _ := aSec.Point(0)
	b0, _ := bSec.Point(0)
	sign0 := func(p *channel.Params, s channel.Signer, st *channel.State, theirPoint *btcec.PublicKey) wire.Signature {
		c, err := channel.NewCommitment(p, channel.Remote, st, theirPoint)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := channel.SignCommitment(ctx, s, p, c)
		if err != nil {
			t.Fatal(err)
		}
		return sigs.CommitSig
	}
	aBal, bBal := total, wire.MilliSatoshi(0)
	sigForA := sign0(&bp, bSigner, &channel.State{FeeRate: feeRate, LocalBalance: bBal, RemoteBalance: aBal}, a0)
	sigForB := sign0(ap, aSigner, &channel.State{FeeRate: feeRate, LocalBalance: aBal, RemoteBalance: bBal}, b0)
	mk := func(name string, cfg channel.MachineConfig, init *channel.InitialState, s *channel.MemorySigner) *machineNode {
		m, acts, err := channel.NewMachine(cfg, init)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := &machineNode{name: name, m: m, signer: s}
		n.apply(acts)
		return n
	}
	alice = mk("alice", channel.MachineConfig{Params: ap, LocalConstraints: cons, RemoteConstraints: cons, Signer: aSigner, Secrets: aSec},
		&channel.InitialState{LocalBalance: aBal, RemoteBalance: bBal, FeeRate: feeRate, RemoteSig: sigForA, RemotePoint: b0, Connected: true}, aSigner)
	bob = mk("bob", channel.MachineConfig{Params: &bp, LocalConstraints: cons, RemoteConstraints: cons, Signer: bSigner, Secrets: bSec},
		&channel.InitialState{LocalBalance: bBal, RemoteBalance: aBal, FeeRate: feeRate, RemoteSig: sigForB, RemotePoint: a0, Connected: true}, bSigner)
	settle(t, ctx, alice, bob)
	if !alice.m.Ready() || !bob.m.Ready() {
		t.Fatal("channel not ready")
	}
	return alice, bob
}

// TestRecoverFromBackup: alice and bob make payments; alice, who made a
// static backup when the channel opened and gave it to bob in
// peer_storage, loses everything. Restored from her seed and the blob bob
// returns, she sends the recovery channel_reestablish; bob's Machine fails
// the channel and asks to broadcast; bob's commitment confirms on
// chainsim and alice's sweep of her balance, signed with keys derived
// again from the seed, is accepted.
func TestRecoverFromBackup(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		for _, payments := range []int{0, 4} {
			t.Run(fmt.Sprintf("%v/%d payments", typ, payments), func(t *testing.T) {
				testRecoverFromBackup(t, typ, payments)
			})
		}
	}
}

func testRecoverFromBackup(t *testing.T, typ script.ChannelType, payments int) {
	ctx := context.Background()
	chn := chainsim.New()
	seed := sha256.Sum256([]byte("alice node seed"))
	keyInfo := []byte{0, 0, 0, 7}
	alice, bob := openChannel(t, ctx, typ, seed[:], keyInfo, chn)

	// The static backup, made once when the channel opened, and stored
	// with bob (peer_storage, through the wire encoding).
	bobID := scripttest.Key("bob node").PubKey()
	single, err := backup.NewSingle(*chaincfg.RegressionNetParams.GenesisHash, bobID, []string{"127.0.0.2:9735"}, alice.m.Params(), keyInfo)
	if err != nil {
		t.Fatal(err)
	}
	key, err := backup.DeriveKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	ps, err := backup.PeerStorage(key, &backup.Multi{Singles: []backup.Single{*single}}, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := wire.EncodeMessage(ps)
	stored, err := wire.DecodeMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	bobKeeps := stored.(*wire.PeerStorage).Blob

	for i := 0; i < payments; i++ {
		pay(t, ctx, alice, bob, 150_000_000, fmt.Sprintf("alice pays %d", i))
		if i%2 == 1 {
			pay(t, ctx, bob, alice, 40_000_000, fmt.Sprintf("bob pays %d", i))
		}
	}
	if payments > 0 && (bob.m.LocalCommitmentNumber() < 2 || bob.m.RemoteCommitmentNumber() < 2) {
		t.Fatalf("bob at commitments %d/%d", bob.m.LocalCommitmentNumber(), bob.m.RemoteCommitmentNumber())
	}
	aliceBalance := bob.m.LocalState().RemoteBalance

	// Alice loses all her state. Restored: the seed gives the backup key
	// and, with the backup's key info, her channel keys.
	alice = nil
	restoredKey, _ := backup.DeriveKey(seed[:])
	multi, err := backup.FromPeerStorage(restoredKey, &wire.PeerStorageRetrieval{Blob: bobKeeps})
	if err != nil {
		t.Fatal(err)
	}
	if len(multi.Singles) != 1 {
		t.Fatalf("%d channels in the backup", len(multi.Singles))
	}
	restored := &multi.Singles[0]
	secrets, _ := hostKeys(seed[:], restored.KeyInfo)
	signer := channel.NewMemorySigner(secrets)
	if err := restored.VerifyBasepoints(signer.Basepoints()); err != nil {
		t.Fatal(err)
	}
	wrongSecrets, _ := hostKeys(seed[:], []byte{9})
	if err := restored.VerifyBasepoints(channel.NewMemorySigner(wrongSecrets).Basepoints()); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}

	// Reconnection: bob sends his channel_reestablish, alice hers.
	bob.out = nil
	bob.m.Disconnected()
	bob.apply(bob.m.Reconnected())
	if len(bob.out) != 1 {
		t.Fatalf("bob sends %d messages on reconnect", len(bob.out))
	}
	bobReest := bob.out[0].(*wire.ChannelReestablish)
	bob.out = nil
	reest, err := backup.Reestablish(restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Reestablish(nil, nil); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}
	if fc, err := backup.ForceCloseRequest(restored); err != nil || fc.ChannelID != bob.m.ChannelID() {
		t.Fatalf("force-close request: %v", err)
	}
	if _, err := backup.ForceCloseRequest(nil); !errors.Is(err, backup.ErrInvalid) {
		t.Fatal(err)
	}
	raw, err = wire.EncodeMessage(reest)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wire.DecodeMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r := msg.(*wire.ChannelReestablish); r.ChannelID != bob.m.ChannelID() || r.YourLastPerCommitmentSecret != [32]byte{} {
		t.Fatal("recovery reestablish for another channel or with a secret")
	}
	acts, err := bob.m.ReceiveMessage(ctx, msg)
	if !errors.Is(err, channel.ErrProtocolViolation) {
		t.Fatalf("bob on the recovery reestablish: %v", err)
	}
	bob.apply(acts)
	if bob.failed == nil || !bob.failed.Broadcast {
		t.Fatalf("bob's channel failed: %+v", bob.failed)
	}
	if len(bob.out) != 1 || bob.out[0].MsgType() != wire.MsgError {
		t.Fatalf("bob sends %v", bob.out)
	}

	// Bob broadcasts his latest commitment; it confirms.
	bc, err := bob.m.LocalCommitment()
	if err != nil {
		t.Fatal(err)
	}
	commitTx, err := channel.SignedCommitmentTx(ctx, bob.signer, bob.m.Params(), bc, bob.m.LocalSigs().CommitSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := chn.Broadcast(ctx, commitTx); err != nil {
		t.Fatal(err)
	}

	// Alice sweeps her balance with the point bob sent.
	point, err := bobReest.MyCurrentPerCommitmentPoint.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	dest := script.P2WPKH(scripttest.Key("alice wallet").PubKey())
	sweep, err := backup.SweepToRemote(ctx, signer, restored, commitTx, point, dest, 2500)
	if err != nil {
		t.Fatal(err)
	}
	if err := executeAll(sweep.Tx, commitTx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	// Under anchors the to_remote output needs one confirmation.
	err = chn.Broadcast(ctx, sweep.Tx)
	if typ.HasAnchors() {
		if !errors.Is(err, chain.ErrSequenceLock) {
			t.Fatalf("anchors sweep with an unconfirmed commitment: %v", err)
		}
		if _, err := chn.Mine(ctx, 1); err != nil {
			t.Fatal(err)
		}
		err = chn.Broadcast(ctx, sweep.Tx)
	}
	if err != nil {
		t.Fatalf("sweep refused: %v", err)
	}
	if _, err := chn.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if chn.Confirmations(commitTx.TxHash()) < 1 || chn.Confirmations(sweep.Tx.TxHash()) != 1 {
		t.Fatal("not confirmed")
	}
	got := chn.Balance(dest)
	want := bc.ToRemote.Value - sweep.Fee
	if got != want || got <= 0 {
		t.Fatalf("alice recovered %v, want %v (balance %v)", got, want, aliceBalance)
	}
	// Without the point (option_static_remotekey needs none) the same
	// output is claimed.
	again, err := backup.SweepToRemote(ctx, signer, restored, commitTx, nil, dest, 2500)
	if err != nil || again.Tx.TxIn[0].PreviousOutPoint != sweep.Tx.TxIn[0].PreviousOutPoint {
		t.Fatalf("sweep without the point: %v", err)
	}
	// The wrong seed's keys do not sign for the output.
	if _, err := backup.SweepToRemote(ctx, channel.NewMemorySigner(wrongSecrets), restored, commitTx, point, dest, 2500); !errors.Is(err, channel.ErrInvalidSweep) {
		t.Fatalf("sweep with the wrong keys: %v", err)
	}
	if _, err := backup.RemoteCommitment(restored, sweep.Tx, point); !errors.Is(err, backup.ErrInvalid) {
		t.Fatalf("a transaction that does not spend the funding output: %v", err)
	}
}

// executeAll runs every input of tx through txscript, spending outputs
// of prev.
func executeAll(tx, prev *btcwire.MsgTx) error {
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, o := range prev.TxOut {
		fetcher.AddPrevOut(btcwire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}, o)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		out := fetcher.FetchPrevOutput(in.PreviousOutPoint)
		if out == nil {
			return fmt.Errorf("input %d spends nothing of prev", i)
		}
		vm, err := txscript.NewEngine(out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, fetcher)
		if err != nil {
			return err
		}
		if err := vm.Execute(); err != nil {
			return err
		}
	}
	return nil
}
