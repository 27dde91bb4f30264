package wtclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/txsort"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/monitor/wtclient"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// This file is an in-process tower: the server side of lnd's watchtower
// protocol (watchtower/wtserver), its session rules (wtdb's
// AcceptUpdateSequence) and its justice transaction reconstruction
// (watchtower/lookout/justice_descriptor.go), written from lnd's code
// independently of the client under test, over a real loopback BOLT 8
// connection.

var regtestHash = *chaincfg.RegressionNetParams.GenesisHash

// towerSession is the tower's record of one session (lnd's
// wtdb.SessionInfo).
type towerSession struct {
	policy            wtclient.CreateSession
	lastApplied       uint16
	clientLastApplied uint16
	blobs             map[wtclient.BreachHint][]byte
	received          []*wtclient.StateUpdate // every accepted update, in order
}

// rawFrame is a frame the tower sends as it is (for malformed replies).
type rawFrame []byte

func (rawFrame) MsgType() wtclient.MessageType            { return 0xffff }
func (r rawFrame) AppendPayload(b []byte) ([]byte, error) { return append(b, r...), nil }
func (rawFrame) DecodePayload([]byte) error               { return errors.New("raw") }

// hangup, returned by a hook, makes the tower close the connection
// without replying.
var hangup wtclient.Message = &hangupMsg{}

type hangupMsg struct{ apply bool }

func (*hangupMsg) MsgType() wtclient.MessageType          { return 0xfffe }
func (*hangupMsg) AppendPayload(b []byte) ([]byte, error) { return b, nil }
func (*hangupMsg) DecodePayload([]byte) error             { return nil }

// applyThenHangup makes the tower apply the update, then close the
// connection: the acknowledgement is lost.
var applyThenHangup wtclient.Message = &hangupMsg{apply: true}

func isHangup(m wtclient.Message) bool { _, ok := m.(*hangupMsg); return ok }

type fakeTower struct {
	t     testing.TB
	key   *btcec.PrivateKey
	ln    net.Listener
	chain wire.ChainHash

	mu       sync.Mutex
	sessions map[[33]byte]*towerSession
	// Hooks, each optional, called with mu held.
	onInit   func(remote *wtclient.Init) wtclient.Message
	onCreate func(id [33]byte, req *wtclient.CreateSession) wtclient.Message
	// onUpdate sees each update before the tower applies it: nil lets
	// lnd's rules apply it and reply; another message is sent instead
	// (and the update not applied); hangup closes the connection without
	// applying it, applyThenHangup after applying it.
	onUpdate    func(n int, u *wtclient.StateUpdate) wtclient.Message
	updateCount int
	connections int
	remoteInits []*wtclient.Init

	wg   sync.WaitGroup
	done chan struct{}
}

func newFakeTower(t testing.TB, label string) *fakeTower {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := btcec.PrivKeyFromBytes([]byte(fmt.Sprintf("tower key %-22s", label))[:32])
	tw := &fakeTower{t: t, key: key, ln: ln, chain: regtestHash, sessions: map[[33]byte]*towerSession{}, done: make(chan struct{})}
	tw.wg.Add(1)
	go tw.serve()
	t.Cleanup(tw.stop)
	return tw
}

func (tw *fakeTower) addr() string            { return tw.ln.Addr().String() }
func (tw *fakeTower) pub() *btcec.PublicKey   { return tw.key.PubKey() }
func (tw *fakeTower) hook(f func(*fakeTower)) { tw.mu.Lock(); f(tw); tw.mu.Unlock() }

func (tw *fakeTower) stop() {
	select {
	case <-tw.done:
		return
	default:
	}
	close(tw.done)
	tw.ln.Close()
	tw.wg.Wait()
}

func (tw *fakeTower) serve() {
	defer tw.wg.Done()
	for {
		conn, err := tw.ln.Accept()
		if err != nil {
			return
		}
		tw.wg.Add(1)
		go func() {
			defer tw.wg.Done()
			tw.handle(conn)
		}()
	}
}

func (tw *fakeTower) write(t *peer.Transport, m wtclient.Message) error {
	if r, ok := m.(rawFrame); ok {
		return t.WriteFrame(r)
	}
	b, err := wtclient.EncodeMessage(m)
	if err != nil {
		return err
	}
	return t.WriteFrame(b)
}

func (tw *fakeTower) read(t *peer.Transport) (wtclient.Message, error) {
	b, err := t.ReadFrame()
	if err != nil {
		return nil, err
	}
	return wtclient.DecodeMessage(b)
}

// handle is lnd's wtserver.handleClient: Init, then one CreateSession, one
// DeleteSession or a stream of StateUpdates.
func (tw *fakeTower) handle(conn net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	t, err := peer.Respond(ctx, conn, peer.HandshakeConfig{NodeKey: wire.NewPrivateNodeKey(tw.key)})
	if err != nil {
		return
	}
	defer t.Close()
	var id [33]byte
	copy(id[:], t.RemotePubKey().SerializeCompressed())

	m, err := tw.read(t)
	if err != nil {
		return
	}
	remote, ok := m.(*wtclient.Init)
	if !ok {
		return
	}
	tw.mu.Lock()
	tw.connections++
	tw.remoteInits = append(tw.remoteInits, remote)
	var local wtclient.Message = &wtclient.Init{
		Features:  wire.NewFeatureVector(wtclient.FeatureAltruistSessionsOptional, wtclient.FeatureAnchorCommitOptional),
		ChainHash: tw.chain,
	}
	if tw.onInit != nil {
		local = tw.onInit(remote)
	}
	tw.mu.Unlock()
	if isHangup(local) || tw.write(t, local) != nil {
		return
	}
	// lnd's CheckRemoteInit on the client's Init.
	if remote.ChainHash != tw.chain {
		return
	}
	if _, unknown := wtclient.UnknownRequiredFeature(remote.Features); unknown {
		return
	}
	m, err = tw.read(t)
	if err != nil {
		return
	}
	switch m := m.(type) {
	case *wtclient.CreateSession:
		tw.mu.Lock()
		reply := tw.createSession(id, m)
		if tw.onCreate != nil {
			reply = tw.onCreate(id, m)
		}
		tw.mu.Unlock()
		if !isHangup(reply) {
			tw.write(t, reply)
		}
	case *wtclient.StateUpdate:
		for u := m; ; {
			tw.mu.Lock()
			var reply wtclient.Message
			if tw.onUpdate != nil {
				tw.updateCount++
				reply = tw.onUpdate(tw.updateCount, u)
			}
			if reply == nil || reply == applyThenHangup {
				def := tw.stateUpdate(id, u)
				if reply == nil {
					reply = def
				}
			}
			tw.mu.Unlock()
			if isHangup(reply) || tw.write(t, reply) != nil {
				return
			}
			if r, ok := reply.(*wtclient.StateUpdateReply); !ok || r.Code != wtclient.CodeOK || u.IsComplete == 1 {
				return
			}
			next, err := tw.read(t)
			if err != nil {
				return
			}
			if u, ok = next.(*wtclient.StateUpdate); !ok {
				return
			}
		}
	}
}

// createSession is lnd's handleCreateSession for altruist sessions.
func (tw *fakeTower) createSession(id [33]byte, req *wtclient.CreateSession) wtclient.Message {
	if s, ok := tw.sessions[id]; ok && s.lastApplied > 0 {
		return &wtclient.CreateSessionReply{Code: wtclient.CreateSessionCodeAlreadyExists, LastApplied: s.lastApplied}
	}
	if !req.BlobType.Supported() {
		return &wtclient.CreateSessionReply{Code: wtclient.CreateSessionCodeRejectBlobType}
	}
	tw.sessions[id] = &towerSession{policy: *req, blobs: map[wtclient.BreachHint][]byte{}}
	return &wtclient.CreateSessionReply{Code: wtclient.CodeOK}
}

// stateUpdate is lnd's handleStateUpdate with wtdb's sequence rules.
func (tw *fakeTower) stateUpdate(id [33]byte, u *wtclient.StateUpdate) wtclient.Message {
	s, ok := tw.sessions[id]
	if !ok {
		return &wtclient.StateUpdateReply{Code: wtclient.CodePermanentFailure}
	}
	code := wtclient.CodeOK
	switch {
	case u.SeqNum <= u.LastApplied:
		code = wtclient.CodePermanentFailure
	case u.LastApplied < s.clientLastApplied:
		code = wtclient.StateUpdateCodeClientBehind
	case u.SeqNum > s.policy.MaxUpdates:
		code = wtclient.StateUpdateCodeMaxUpdatesExceeded
	case u.SeqNum != s.lastApplied && u.SeqNum != s.lastApplied+1:
		code = wtclient.StateUpdateCodeSeqNumOutOfOrder
	case len(u.EncryptedBlob) != wtclient.EncryptedBlobSize:
		code = wtclient.CodePermanentFailure
	}
	if code != wtclient.CodeOK {
		return &wtclient.StateUpdateReply{Code: code, LastApplied: s.lastApplied}
	}
	s.lastApplied, s.clientLastApplied = u.SeqNum, u.LastApplied
	s.blobs[u.Hint] = append([]byte(nil), u.EncryptedBlob...)
	cp := *u
	s.received = append(s.received, &cp)
	return &wtclient.StateUpdateReply{Code: wtclient.CodeOK, LastApplied: s.lastApplied}
}

// sessionList returns the tower's sessions.
func (tw *fakeTower) sessionList() []*towerSession {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	var out []*towerSession
	for _, s := range tw.sessions {
		out = append(out, s)
	}
	return out
}

// hints returns how many distinct breach hints the tower holds.
func (tw *fakeTower) hints() int {
	n := 0
	for _, s := range tw.sessionList() {
		n += len(s.blobs)
	}
	return n
}

// justice is what lnd's lookout does when tx confirms: match its hint,
// decrypt the blob with its txid, rebuild the justice transaction from the
// kit and the session policy, attach the client's signatures and check
// every input with txscript.
func (tw *fakeTower) justice(tx *btcwire.MsgTx) (*btcwire.MsgTx, error) {
	txid := tx.TxHash()
	hint := wtclient.NewBreachHint(&txid)
	tw.mu.Lock()
	var blob []byte
	var pol wtclient.CreateSession
	for _, s := range tw.sessions {
		if b, ok := s.blobs[hint]; ok {
			blob, pol = b, s.policy
		}
	}
	tw.mu.Unlock()
	if blob == nil {
		return nil, errNoMatch
	}
	kit, err := wtclient.DecryptJusticeKit(wtclient.NewBreachKey(&txid), blob)
	if err != nil {
		return nil, err
	}
	return lookoutJustice(tx, kit, pol)
}

var errNoMatch = errors.New("tower: no update for this transaction")

type breachedInput struct {
	out      btcwire.OutPoint
	txOut    *btcwire.TxOut
	witness  btcwire.TxWitness
	sequence uint32
}

// lookoutJustice rebuilds the justice transaction from a kit as lnd's
// JusticeDescriptor.CreateJusticeTxn does.
func lookoutJustice(breach *btcwire.MsgTx, kit *wtclient.JusticeKit, pol wtclient.CreateSession) (*btcwire.MsgTx, error) {
	anchor := pol.BlobType.Has(wtclient.FlagAnchorChannel)
	var est weightEstimator
	switch len(kit.SweepScript) {
	case 22:
		est.addOutput(31)
	case 34:
		est.addOutput(43)
	default:
		return nil, errors.New("tower: sweep addr is not p2wkh or p2wsh")
	}

	// to_local: CommitScriptToSelf, witness <sig> 1 <script>, sequence 0.
	rev, err := btcec.ParsePubKey(kit.RevocationKey[:])
	if err != nil {
		return nil, err
	}
	delay, err := btcec.ParsePubKey(kit.DelayedKey[:])
	if err != nil {
		return nil, err
	}
	toLocal, err := txscript.NewScriptBuilder().AddOp(txscript.OP_IF).AddData(rev.SerializeCompressed()).
		AddOp(txscript.OP_ELSE).AddInt64(int64(kit.CSVDelay)).AddOp(txscript.OP_CHECKSEQUENCEVERIFY).
		AddOp(txscript.OP_DROP).AddData(delay.SerializeCompressed()).AddOp(txscript.OP_ENDIF).
		AddOp(txscript.OP_CHECKSIG).Script()
	if err != nil {
		return nil, err
	}
	localSig, err := kit.ToLocalSig.ToECDSA()
	if err != nil {
		return nil, err
	}
	in, err := findInput(breach, p2wsh(toLocal), btcwire.TxWitness{
		append(localSig.Serialize(), byte(txscript.SigHashAll)), {1}, toLocal,
	}, 0)
	if err != nil {
		return nil, err
	}
	inputs := []*breachedInput{in}
	localWitness := 1 + 1 + 73 + 1 + 1 + 1 + 79
	if !anchor {
		localWitness-- // lnd keeps the old estimate for legacy sessions
	}
	est.addWitnessInput(localWitness)

	if kit.HasToRemote() {
		pk, err := btcec.ParsePubKey(kit.ToRemoteKey[:])
		if err != nil {
			return nil, err
		}
		remoteSig, err := kit.ToRemoteSig.ToECDSA()
		if err != nil {
			return nil, err
		}
		sig := append(remoteSig.Serialize(), byte(txscript.SigHashAll))
		var in *breachedInput
		if anchor {
			ws, _ := txscript.NewScriptBuilder().AddData(pk.SerializeCompressed()).AddOp(txscript.OP_CHECKSIGVERIFY).
				AddOp(txscript.OP_1).AddOp(txscript.OP_CHECKSEQUENCEVERIFY).Script()
			in, err = findInput(breach, p2wsh(ws), btcwire.TxWitness{sig, ws}, 1)
			est.addWitnessInput(1 + 1 + 73 + 1 + 37)
		} else {
			pkScript, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(pk.SerializeCompressed())).Script()
			in, err = findInput(breach, pkScript, btcwire.TxWitness{sig, pk.SerializeCompressed()}, 0)
			est.addWitnessInput(1 + 1 + 73 + 1 + 33)
		}
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}

	// assembleJusticeTxn.
	jt := btcwire.NewMsgTx(2)
	var total btcutil.Amount
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, in := range inputs {
		total += btcutil.Amount(in.txOut.Value)
		jt.AddTxIn(&btcwire.TxIn{PreviousOutPoint: in.out, Sequence: in.sequence})
		fetcher.AddPrevOut(in.out, in.txOut)
	}
	fee := btcutil.Amount(int64(pol.SweepFeeRate) * est.weight() / 1000)
	if fee > total {
		return nil, errors.New("tower: sweep fee exceeds input value")
	}
	dust := btcutil.Amount(294)
	if len(kit.SweepScript) == 34 {
		dust = 330
	}
	if total-fee < dust {
		return nil, errors.New("tower: justice transaction creates dust at fee rate")
	}
	jt.AddTxOut(&btcwire.TxOut{Value: int64(total - fee), PkScript: kit.SweepScript})
	txsort.InPlaceSort(jt)
	if err := blockchain.CheckTransactionSanity(btcutil.NewTx(jt)); err != nil {
		return nil, err
	}
	hashes := txscript.NewTxSigHashes(jt, fetcher)
	for _, in := range inputs {
		for i, txIn := range jt.TxIn {
			if txIn.PreviousOutPoint != in.out {
				continue
			}
			txIn.Witness = in.witness
			vm, err := txscript.NewEngine(in.txOut.PkScript, jt, i, txscript.StandardVerifyFlags, nil, hashes, in.txOut.Value, fetcher)
			if err != nil {
				return nil, err
			}
			if err := vm.Execute(); err != nil {
				return nil, fmt.Errorf("tower: justice input %d: %w", i, err)
			}
		}
	}
	return jt, nil
}

func p2wsh(ws []byte) []byte {
	h := sha256Sum(ws)
	pk, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(h[:]).Script()
	return pk
}

// findInput locates the first output of tx paying pkScript (lnd's
// FindScriptOutputIndex).
func findInput(tx *btcwire.MsgTx, pkScript []byte, w btcwire.TxWitness, seq uint32) (*breachedInput, error) {
	for i, out := range tx.TxOut {
		if string(out.PkScript) == string(pkScript) {
			return &breachedInput{out: btcwire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}, txOut: out, witness: w, sequence: seq}, nil
		}
	}
	return nil, errors.New("tower: unable to find output on commit tx")
}

// weightEstimator is lnd's input.TxWeightEstimator for witness inputs.
type weightEstimator struct {
	inputs, outputs, inputSize, witnessSize, outputSize int
}

func (e *weightEstimator) addWitnessInput(w int) {
	e.inputs++
	e.inputSize += 41
	e.witnessSize += w
}

func (e *weightEstimator) addOutput(size int) {
	e.outputs++
	e.outputSize += size
}

func (e *weightEstimator) weight() int64 {
	stripped := 8 + btcwire.VarIntSerializeSize(uint64(e.inputs)) + e.inputSize +
		btcwire.VarIntSerializeSize(uint64(e.outputs)) + e.outputSize
	return int64(stripped*4 + 2 + e.witnessSize)
}
