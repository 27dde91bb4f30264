package wtclient_test

import (
	"reflect"
	"testing"

	"github.com/lnkit/lnkit/monitor/wtclient"
)

// lndStateUpdateVectors are the update sequences and replies of lnd's
// watchtower/wtserver/server_test.go (stateUpdateTests): max updates, then
// pairs of (seqnum, last applied) sent and (code, last applied) expected.
// A zero pair {} stands for lnd's nil entry, a reconnection.
var lndStateUpdateVectors = []struct {
	name    string
	max     uint16
	updates [][2]uint16
	replies [][2]uint16
}{
	{"perm fail after sending seqnum equal lastapplied", 3,
		[][2]uint16{{1, 0}, {2, 1}, {3, 2}, {3, 3}},
		[][2]uint16{{0, 1}, {0, 2}, {0, 3}, {50, 3}}},
	{"skip sequence number", 4,
		[][2]uint16{{2, 0}},
		[][2]uint16{{72, 0}}},
	{"revert to older seqnum", 4,
		[][2]uint16{{1, 0}, {2, 0}, {1, 0}},
		[][2]uint16{{0, 1}, {0, 2}, {72, 2}}},
	{"revert to older lastapplied", 4,
		[][2]uint16{{1, 0}, {2, 1}, {3, 2}, {4, 1}},
		[][2]uint16{{0, 1}, {0, 2}, {0, 3}, {70, 3}}},
	{"resume after disconnect", 4,
		[][2]uint16{{1, 0}, {2, 1}, {}, {3, 2}, {4, 3}},
		[][2]uint16{{0, 1}, {0, 2}, {}, {0, 3}, {0, 4}}},
	{"resume after disconnect lagging lastapplied", 4,
		[][2]uint16{{1, 0}, {2, 0}, {}, {3, 0}, {4, 3}},
		[][2]uint16{{0, 1}, {0, 2}, {}, {0, 3}, {0, 4}}},
	{"resume last update after disconnect lagging lastapplied", 4,
		[][2]uint16{{1, 0}, {2, 0}, {}, {2, 0}, {3, 0}, {4, 3}},
		[][2]uint16{{0, 1}, {0, 2}, {}, {0, 2}, {0, 3}, {0, 4}}},
	{"seqnum exceed maxupdates", 3,
		[][2]uint16{{1, 0}, {2, 1}, {3, 2}, {4, 3}},
		[][2]uint16{{0, 1}, {0, 2}, {0, 3}, {71, 3}}},
	{"perm fail after seqnum 0", 3,
		[][2]uint16{{0, 0}},
		[][2]uint16{{50, 0}}},
}

// TestFakeTowerFollowsLndStateUpdateVectors checks the in-process tower,
// which the client tests rely on, against lnd's own server vectors.
func TestFakeTowerFollowsLndStateUpdateVectors(t *testing.T) {
	blob := make([]byte, wtclient.EncryptedBlobSize)
	for _, v := range lndStateUpdateVectors {
		t.Run(v.name, func(t *testing.T) {
			tw := newFakeTower(t, "rules")
			var id [33]byte
			id[0] = 2
			tw.mu.Lock()
			defer tw.mu.Unlock()
			create := tw.createSession(id, &wtclient.CreateSession{BlobType: wtclient.BlobTypeAltruistCommit, MaxUpdates: v.max, SweepFeeRate: 10000})
			if r := create.(*wtclient.CreateSessionReply); r.Code != wtclient.CodeOK {
				t.Fatalf("create: %v", r.Code)
			}
			for i, u := range v.updates {
				if u == [2]uint16{} && i > 0 {
					continue // reconnection: no state changes
				}
				got := tw.stateUpdate(id, &wtclient.StateUpdate{SeqNum: u[0], LastApplied: u[1], EncryptedBlob: blob})
				want := &wtclient.StateUpdateReply{Code: wtclient.ErrorCode(v.replies[i][0]), LastApplied: v.replies[i][1]}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("update %d (%v): %+v, lnd replies %+v", i, u, got, want)
				}
			}
			// lnd's duplicate CreateSession after use.
			dup := tw.createSession(id, &wtclient.CreateSession{BlobType: wtclient.BlobTypeAltruistCommit, MaxUpdates: v.max})
			if r := dup.(*wtclient.CreateSessionReply); tw.sessions[id].lastApplied > 0 &&
				(r.Code != wtclient.CreateSessionCodeAlreadyExists || r.LastApplied != tw.sessions[id].lastApplied) {
				t.Fatalf("duplicate create: %+v", r)
			}
		})
	}
}
