package wtclient_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/monitor/wtclient"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// eligible are the revoked states of the fixture a tower can act on: 2
// has no to_remote (the kit has only to_local), 4 has no to_local and is
// not sent.
var eligible = []int{0, 1, 2, 3, 5}

// TestBackupJusticeBothTypes backs up the revoked states of a channel of
// each type to the fake tower, then lets bob broadcast each revoked
// commitment: the tower decrypts the blob found by its hint, rebuilds the
// justice transaction as lnd's lookout does, and the result spends the
// commitment under txscript and is accepted by chainsim, paying alice's
// sweep script.
func TestBackupJusticeBothTypes(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		t.Run(typ.String(), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, typ)
			tw := newFakeTower(t, "justice "+typ.String())
			c := f.newClient(store.NewMemory(), tw)
			f.feed(ctx, c, 0, 6)
			if err := c.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			st := stats(t, c)
			if st.Acked != len(eligible) || st.Unacked != 0 || st.Queued != 0 || st.Waiting != 1 {
				t.Fatalf("stats %+v", st)
			}
			sessions := tw.sessionList()
			if len(sessions) != 1 {
				t.Fatalf("%d sessions", len(sessions))
			}
			wantType, _ := wtclient.BlobTypeFor(typ)
			if got := sessions[0].policy; got.BlobType != wantType || got.MaxUpdates != wtclient.DefaultMaxUpdates ||
				got.SweepFeeRate != wtclient.DefaultSweepFeeRate || got.RewardBase != 0 || got.RewardRate != 0 {
				t.Fatalf("session policy %+v", got)
			}

			for _, n := range []int{0, 1, 2, 3, 4, 5, 6} {
				breach := f.cheat(n)
				jt, err := tw.justice(breach)
				if n == 4 || n == 6 {
					// 4 was not eligible, 6 is not revoked.
					if !errors.Is(err, errNoMatch) {
						t.Fatalf("commitment %d: %v", n, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("commitment %d: %v", n, err)
				}
				if err := executeAll(jt, breach); err != nil {
					t.Fatalf("commitment %d justice: %v", n, err)
				}
				wantIn := 2
				if n == 2 {
					wantIn = 1
				}
				if len(jt.TxIn) != wantIn || len(jt.TxOut) != 1 || !bytes.Equal(jt.TxOut[0].PkScript, f.sweep) {
					t.Fatalf("commitment %d justice: %d inputs, outputs %v", n, len(jt.TxIn), jt.TxOut)
				}
				// A justice transaction with a wrong signature fails.
				bad := jt.Copy()
				bad.TxIn[0].Witness[0][10] ^= 1
				if executeAll(bad, breach) == nil {
					t.Fatalf("commitment %d: corrupted justice signature accepted", n)
				}
			}

			// On chain: bob broadcasts revoked commitment 3, the tower
			// its justice transaction.
			breach := f.cheat(3)
			if _, err := f.chain.MineTx(ctx, breach); err != nil {
				t.Fatal(err)
			}
			jt, err := tw.justice(breach)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.chain.Broadcast(ctx, jt); err != nil {
				t.Fatalf("justice refused: %v", err)
			}
			if _, err := f.chain.Mine(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if got := f.chain.Balance(f.sweep); int64(got) != jt.TxOut[0].Value || got <= 0 {
				t.Fatalf("sweep balance %v", got)
			}
		})
	}
}

// TestBackupSequenceNumbers checks the session's numbering: updates 1..n
// in order, each echoing the previous acknowledgement, the last flagged
// is_complete, Init with the anchor bit only when negotiating an anchor
// session, and a second batch continuing the numbering on a new
// connection.
func TestBackupSequenceNumbers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.Anchors)
	tw := newFakeTower(t, "seq")
	c := f.newClient(store.NewMemory(), tw)
	f.feed(ctx, c, 0, 3) // revokes 0, 1, 2
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f.feed(ctx, c, 4, 6) // revokes 3, 4 (not eligible), 5
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s := tw.sessionList()[0]
	if len(s.received) != 5 {
		t.Fatalf("%d updates", len(s.received))
	}
	for i, u := range s.received {
		want := uint16(i + 1)
		complete := uint8(0)
		if i == 2 || i == 4 {
			complete = 1
		}
		if u.SeqNum != want || u.LastApplied != want-1 || u.IsComplete != complete {
			t.Fatalf("update %d: seq %d last applied %d complete %d", i, u.SeqNum, u.LastApplied, u.IsComplete)
		}
		if len(u.EncryptedBlob) != wtclient.EncryptedBlobSize {
			t.Fatalf("blob of %d bytes", len(u.EncryptedBlob))
		}
	}
	tw.mu.Lock()
	inits := tw.remoteInits
	tw.mu.Unlock()
	// negotiation, then two upload connections.
	if len(inits) != 3 {
		t.Fatalf("%d connections", len(inits))
	}
	negotiate := wire.NewFeatureVector(wtclient.FeatureAltruistSessionsRequired, wtclient.FeatureAnchorCommitRequired)
	upload := wire.NewFeatureVector(wtclient.FeatureAltruistSessionsRequired)
	if !bytes.Equal(inits[0].Features, negotiate) || !bytes.Equal(inits[1].Features, upload) || inits[0].ChainHash != regtestHash {
		t.Fatalf("init features %x, %x", inits[0].Features, inits[1].Features)
	}
	if st := stats(t, c); st.Acked != 5 || st.Unacked != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBackupReconnect: the tower drops the connection instead of
// acknowledging update 2. Flush fails; the next Flush sends update 2 again
// with the same bytes, the tower acknowledges it, and the rest follows.
func TestBackupReconnect(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.StaticRemoteKey)
	tw := newFakeTower(t, "reconnect")
	var firstTry []byte
	tw.hook(func(tw *fakeTower) {
		tw.onUpdate = func(n int, u *wtclient.StateUpdate) wtclient.Message {
			if n == 2 {
				firstTry = append([]byte(nil), u.EncryptedBlob...)
				return applyThenHangup // the reply is lost
			}
			return nil
		}
	})
	c := f.newClient(store.NewMemory(), tw)
	f.feed(ctx, c, 0, 6)
	if err := c.Flush(ctx); err == nil {
		t.Fatal("flush succeeded over a dropped connection")
	}
	if st := stats(t, c); st.Acked != 1 || st.Unacked != 4 {
		t.Fatalf("after the drop: %+v", st)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := stats(t, c); st.Acked != 5 || st.Unacked != 0 {
		t.Fatalf("after reconnecting: %+v", st)
	}
	s := tw.sessionList()[0]
	// The tower applied update 2 twice (the resend is accepted as lnd's
	// tower accepts seqnum == last applied); both were the same bytes.
	var twos [][]byte
	for _, u := range s.received {
		if u.SeqNum == 2 {
			twos = append(twos, u.EncryptedBlob)
		}
	}
	if len(twos) != 2 || !bytes.Equal(twos[0], firstTry) || !bytes.Equal(twos[1], firstTry) {
		t.Fatalf("update 2 sent %d times, identical: %v", len(twos), len(twos) == 2 && bytes.Equal(twos[0], twos[1]))
	}
	if tw.hints() != len(eligible) {
		t.Fatalf("tower holds %d hints", tw.hints())
	}
}

// TestBackupRestartResume: a client crashes (is dropped) with updates
// queued and committed but unsent; a new client over the same store
// resumes: the committed updates go out with their sequence numbers and
// bytes, the queued ones follow, and later states continue the session.
func TestBackupRestartResume(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.Anchors)
	tw := newFakeTower(t, "restart")
	st := store.NewMemory()
	tw.hook(func(tw *fakeTower) {
		tw.onUpdate = func(n int, u *wtclient.StateUpdate) wtclient.Message {
			if n == 1 {
				return hangup // not applied, no reply
			}
			return nil
		}
	})
	c1 := f.newClient(st, tw)
	f.feed(ctx, c1, 0, 3)
	if err := c1.Flush(ctx); err == nil {
		t.Fatal("flush succeeded")
	}
	before := stats(t, c1)
	if before.Unacked != 3 || before.Acked != 0 || before.ActiveSessions != 1 {
		t.Fatalf("before restart: %+v", before)
	}

	// "Restart": a new client, same store, same keys.
	c2 := f.newClient(st, tw)
	f.feed(ctx, c2, 4, 6)
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	after := stats(t, c2)
	if after.Acked != 5 || after.Unacked != 0 || after.Queued != 0 || after.ActiveSessions != 1 {
		t.Fatalf("after restart: %+v", after)
	}
	s := tw.sessionList()
	if len(s) != 1 || len(s[0].received) != 5 || s[0].lastApplied != 5 {
		t.Fatalf("tower: %d sessions, %d received, last applied %d", len(s), len(s[0].received), s[0].lastApplied)
	}
	for i := range eligible {
		if _, err := tw.justice(f.cheat(eligible[i])); err != nil {
			t.Fatalf("commitment %d: %v", eligible[i], err)
		}
	}
}

// TestBackupMalformedTowerReplies: replies lnd's protocol does not allow
// are refused, the connection dropped, and the update kept for the next
// try, which a well-behaved tower then acknowledges.
func TestBackupMalformedTowerReplies(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(tw *fakeTower)
		target error
	}{
		{"wrong message", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return &wtclient.CreateSessionReply{}
			}
		}, wtclient.ErrTowerReply},
		{"undecodable frame", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return rawFrame{0x02, 0x5d, 0x00} // StateUpdateReply cut short
			}
		}, wtclient.ErrMalformed},
		{"unknown message type", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return rawFrame{0x02, 0x70}
			}
		}, wtclient.ErrUnknownMessage},
		{"ack beyond what was sent", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return &wtclient.StateUpdateReply{LastApplied: 9}
			}
		}, wtclient.ErrTowerReply},
		{"ack of another update", func(tw *fakeTower) {
			tw.onUpdate = func(_ int, u *wtclient.StateUpdate) wtclient.Message {
				return &wtclient.StateUpdateReply{LastApplied: u.SeqNum - 1}
			}
		}, wtclient.ErrTowerReply},
		{"temporary failure", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return &wtclient.StateUpdateReply{Code: wtclient.CodeTemporaryFailure}
			}
		}, wtclient.ErrTowerRejected},
		{"error message", func(tw *fakeTower) {
			tw.onUpdate = func(int, *wtclient.StateUpdate) wtclient.Message {
				return &wtclient.Error{Code: wtclient.CodeTemporaryFailure, Data: []byte("busy")}
			}
		}, wtclient.ErrTowerRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, script.StaticRemoteKey)
			tw := newFakeTower(t, "malformed "+tc.name)
			c := f.newClient(store.NewMemory(), tw)
			f.feed(ctx, c, 0, 2)
			tw.hook(tc.setup)
			err := c.Flush(ctx)
			if !errors.Is(err, tc.target) {
				t.Fatalf("flush: %v, want %v", err, tc.target)
			}
			if st := stats(t, c); st.Acked != 0 || st.Unacked != 2 {
				t.Fatalf("stats after a bad reply: %+v", st)
			}
			tw.hook(func(tw *fakeTower) { tw.onUpdate = nil })
			if err := c.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if st := stats(t, c); st.Acked != 2 || st.Unacked != 0 || st.ActiveSessions != 1 {
				t.Fatalf("stats after a good reply: %+v", st)
			}
		})
	}
}

// TestBackupRefusedInit: a tower on another chain, or one requiring a
// feature bit the client does not know, gets no session.
func TestBackupRefusedInit(t *testing.T) {
	for name, init := range map[string]*wtclient.Init{
		"other chain":              {ChainHash: chainhash.HashH([]byte("other")), Features: wire.NewFeatureVector(wtclient.FeatureAltruistSessionsOptional)},
		"unknown required feature": {ChainHash: regtestHash, Features: wire.NewFeatureVector(wtclient.FeatureAltruistSessionsOptional, 10)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, script.StaticRemoteKey)
			tw := newFakeTower(t, "init "+name)
			tw.hook(func(tw *fakeTower) { tw.onInit = func(*wtclient.Init) wtclient.Message { return init } })
			c := f.newClient(store.NewMemory(), tw)
			f.feed(ctx, c, 0, 1)
			err := c.Flush(ctx)
			if !errors.Is(err, wtclient.ErrTowerInit) || !errors.Is(err, wtclient.ErrNoTower) {
				t.Fatalf("flush: %v", err)
			}
			if st := stats(t, c); st.Queued != 1 || st.ActiveSessions != 0 {
				t.Fatalf("stats %+v", st)
			}
			if len(tw.sessionList()) != 0 {
				t.Fatal("tower created a session")
			}
		})
	}
}

// TestBackupSessionRefusals: a reply to CreateSession with a reused key
// makes the client take the next key; a new session that claims a last
// applied, or a rejected blob type, gives no session.
func TestBackupSessionRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.StaticRemoteKey)
	tw := newFakeTower(t, "refusals")
	var keys [][33]byte
	tw.hook(func(tw *fakeTower) {
		tw.onCreate = func(id [33]byte, req *wtclient.CreateSession) wtclient.Message {
			keys = append(keys, id)
			if len(keys) == 1 {
				return &wtclient.CreateSessionReply{Code: wtclient.CreateSessionCodeAlreadyExists, LastApplied: 3}
			}
			return tw.createSession(id, req)
		}
	})
	c := f.newClient(store.NewMemory(), tw)
	f.feed(ctx, c, 0, 1)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("session keys %x", keys)
	}
	if st := stats(t, c); st.Acked != 1 || st.ActiveSessions != 1 {
		t.Fatalf("stats %+v", st)
	}

	for name, reply := range map[string]wtclient.Message{
		"reject blob type":      &wtclient.CreateSessionReply{Code: wtclient.CreateSessionCodeRejectBlobType},
		"new session with acks": &wtclient.CreateSessionReply{LastApplied: 1},
		"state update reply":    &wtclient.StateUpdateReply{},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, script.Anchors)
			tw := newFakeTower(t, "refuse "+name)
			tw.hook(func(tw *fakeTower) {
				tw.onCreate = func([33]byte, *wtclient.CreateSession) wtclient.Message { return reply }
			})
			c := f.newClient(store.NewMemory(), tw)
			f.feed(ctx, c, 0, 1)
			if err := c.Flush(ctx); !errors.Is(err, wtclient.ErrNoTower) {
				t.Fatalf("flush: %v", err)
			}
			if st := stats(t, c); st.ActiveSessions != 0 || st.Queued != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestBackupSessionsFillAndFailover: sessions of two updates fill up and
// new ones are negotiated; a tower that refuses a session's updates for
// good closes the session, whose updates move to the other tower; removing
// a tower moves its unacknowledged updates too.
func TestBackupSessionsFillAndFailover(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.StaticRemoteKey)
	a, b := newFakeTower(t, "failover a"), newFakeTower(t, "failover b")
	// Tower a refuses the second update of every session.
	a.hook(func(tw *fakeTower) {
		tw.onUpdate = func(_ int, u *wtclient.StateUpdate) wtclient.Message {
			if u.SeqNum == 2 {
				return &wtclient.StateUpdateReply{Code: wtclient.CodePermanentFailure, LastApplied: 1}
			}
			return nil
		}
	})
	c, err := wtclient.New(wtclient.Config{
		Store: store.NewMemory(), Signer: f.alice, ChainHash: regtestHash, MaxUpdates: 2,
		SessionKeys: wtclient.NewSeedSessionKeys([32]byte{7}),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Only tower a first: its refusals close sessions, until b comes.
	if err := c.AddTower(ctx, a.pub(), a.addr()); err != nil {
		t.Fatal(err)
	}
	if err := c.RegisterChannel(ctx, f.id, f.ap, f.sweep); err != nil {
		t.Fatal(err)
	}
	f.feed(ctx, c, 0, 6)
	if err := c.Flush(ctx); err == nil {
		t.Fatal("flush succeeded with every session refused")
	}
	if err := c.AddTower(ctx, b.pub(), b.addr()); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveTower(ctx, a.pub()); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := stats(t, c)
	if st.Unacked != 0 || st.Queued != 0 || st.Towers != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Every eligible state is at a tower, b holds at least what a lost.
	for _, n := range eligible {
		breach := f.cheat(n)
		_, errA := a.justice(breach)
		jb, errB := b.justice(breach)
		if errB == nil {
			if err := executeAll(jb, breach); err != nil {
				t.Fatal(err)
			}
		}
		if errA != nil && errB != nil {
			t.Fatalf("state %d at no tower: %v / %v", n, errA, errB)
		}
	}
	total := 0
	for _, s := range append(a.sessionList(), b.sessionList()...) {
		if len(s.received) > 2 {
			t.Fatalf("a session got %d updates, max 2", len(s.received))
		}
		total += len(s.received)
	}
	if total != len(eligible) || st.Acked != len(eligible) {
		t.Fatalf("towers acknowledged %d updates, client counts %d", total, st.Acked)
	}
	if n := len(b.sessionList()); n != (len(b.sessionList()[0].received)+1)/2 && n < 1 {
		t.Fatalf("tower b has %d sessions", n)
	}
}

// TestBackupStateErrors covers the inputs BackupState refuses.
func TestBackupStateErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, script.Anchors)
	c := f.newClient(store.NewMemory())
	if err := c.BackupState(ctx, nil); !errors.Is(err, wtclient.ErrInvalidConfig) {
		t.Fatal(err)
	}
	u := f.remote(0)
	u.ChannelID[0] ^= 1
	if err := c.BackupState(ctx, u); !errors.Is(err, wtclient.ErrUnknownChannel) {
		t.Fatal(err)
	}
	u = f.remote(0)
	u.Remote.TxID[0] ^= 1
	if err := c.BackupState(ctx, u); !errors.Is(err, wtclient.ErrInvalidConfig) {
		t.Fatal(err)
	}
	if err := c.BackupState(ctx, f.remote(0)); err != nil {
		t.Fatal(err)
	}
	r := f.revoke(1) // the secret of another commitment
	r.Revocation.Number = 0
	if err := c.BackupState(ctx, r); !errors.Is(err, wtclient.ErrInvalidConfig) {
		t.Fatal(err)
	}
	// Nothing queued, no tower: Flush has nothing to do.
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.BackupState(ctx, f.revoke(0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); !errors.Is(err, wtclient.ErrNoTower) {
		t.Fatal(err)
	}
	if err := c.RegisterChannel(ctx, f.id, f.ap, []byte{0x6a}); !errors.Is(err, wtclient.ErrSweepScript) {
		t.Fatal(err)
	}
	var other wire.ChannelID
	if err := c.RegisterChannel(ctx, other, f.ap, f.sweep); !errors.Is(err, wtclient.ErrInvalidConfig) {
		t.Fatal(err)
	}
	if _, err := wtclient.New(wtclient.Config{Store: store.NewMemory(), Signer: f.alice, SessionKeys: wtclient.NewSeedSessionKeys([32]byte{}), ChainHash: regtestHash, SweepFeeRate: 999}); !errors.Is(err, wtclient.ErrInvalidConfig) {
		t.Fatal(err)
	}
}

// TestBackupFlushCancelled: a tower that accepts the TCP connection and
// never answers holds Flush only until the context ends.
func TestBackupFlushCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	f := newFixture(t, script.StaticRemoteKey)
	c := f.newClient(store.NewMemory())
	if err := c.AddTower(context.Background(), scripttest.Key("silent tower").PubKey(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	f.feed(context.Background(), c, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("flush: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("flush took %v after its deadline", d)
	}
	if st := stats(t, c); st.Queued != 1 {
		t.Fatalf("stats %+v", st)
	}
}
