package channel

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// fundingKV is a RecordSource holding what a host persisted.
type fundingKV map[string][]byte

var errNoRecord = errors.New("no record")

func (kv fundingKV) Get(_ context.Context, key string) ([]byte, error) {
	v, ok := kv[key]
	if !ok {
		return nil, errNoRecord
	}
	return v, nil
}

func (kv fundingKV) List(_ context.Context, prefix string) ([]string, error) {
	var out []string
	for k := range kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// apply performs the writes of acts up to the first send or broadcast: what
// is durable when a message leaves.
func (kv fundingKV) apply(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *Persist:
			for _, op := range a.Ops {
				if op.Delete {
					delete(kv, op.Key)
				} else {
					kv[op.Key] = append([]byte(nil), op.Value...)
				}
			}
		case *Send, *BroadcastFunding:
			return
		}
	}
}

// TestFundingTermsPersisted: the writes that precede funding_signed (and
// the broadcast) hold the channel and its FundingTerms; both come back from
// the store.
func TestFundingTermsPersisted(t *testing.T) {
	ctx := context.Background()
	alias := wire.ShortChannelID{BlockHeight: 16_000_000, TxIndex: 9}
	acfg, bcfg := testFundingConfig("alice"), testFundingConfig("bob")
	acfg.Alias, bcfg.Alias = &alias, &alias
	acfg.UpfrontShutdownScript = append([]byte{0, 20}, make([]byte, 20)...)
	bcfg.UpfrontShutdownScript = p2trScript
	bcfg.Policy.AcceptZeroConf = true
	req := testOpenRequest()
	req.SCIDAlias, req.ZeroConf = true, true
	r := runFunding(t, acfg, bcfg, req)

	for name, c := range map[string]struct {
		f    *Funding
		acts []Action
		cfg  FundingConfig
	}{"alice": {r.a, r.aDone, acfg}, "bob": {r.b, r.bDone, bcfg}} {
		kv := fundingKV{}
		kv.apply(c.acts)
		res := c.f.Result()
		terms, err := LoadFundingTerms(ctx, kv, res.ChannelID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(*terms, res.FundingTerms) {
			t.Fatalf("%s: stored %+v, result %+v", name, *terms, res.FundingTerms)
		}
		if !terms.SCIDAlias || !terms.ZeroConf || terms.Announce || terms.MinimumDepth != 0 ||
			terms.TemporaryChannelID != r.open.TemporaryChannelID {
			t.Fatalf("%s: terms %+v", name, *terms)
		}
		m, err := RestoreMachine(ctx, kv, res.ChannelID, MachineConfig{Signer: c.cfg.Signer, Secrets: c.cfg.Secrets})
		if err != nil {
			t.Fatalf("%s: RestoreMachine: %v", name, err)
		}
		got, err := m.LocalCommitment()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.f.Machine().LocalCommitment()
		if got.TxHash != want.TxHash {
			t.Fatalf("%s: restored commitment differs", name)
		}
	}
	ra, rb := r.a.Result(), r.b.Result()
	if string(ra.LocalShutdownScript) != string(acfg.UpfrontShutdownScript) || string(ra.RemoteShutdownScript) != string(p2trScript) ||
		string(rb.RemoteShutdownScript) != string(acfg.UpfrontShutdownScript) || string(rb.LocalShutdownScript) != string(p2trScript) {
		t.Fatal("shutdown scripts")
	}
	if _, err := LoadFundingTerms(ctx, fundingKV{}, ra.ChannelID); !errors.Is(err, errNoRecord) {
		t.Fatalf("missing record: %v", err)
	}
}

// TestFundingTermsRecordCorrupt: every truncation, a trailing byte, an
// unknown flag or version is ErrCorruptRecord; nothing panics.
func TestFundingTermsRecordCorrupt(t *testing.T) {
	terms := FundingTerms{
		TemporaryChannelID: wire.ChannelID{1, 2, 3}, ChannelType: channelTypeVector(2, true, true),
		SCIDAlias: true, ZeroConf: true, Announce: true, MinimumDepth: 6,
		LocalShutdownScript: p2trScript, RemoteShutdownScript: []byte{0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
	}
	b, err := terms.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeFundingTerms(b)
	if err != nil || !reflect.DeepEqual(*got, terms) {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	bad := map[string][]byte{"trailing": append(append([]byte(nil), b...), 0)}
	for n := 0; n < len(b); n++ {
		bad[fmt.Sprintf("truncated to %d", n)] = b[:n]
	}
	v := append([]byte(nil), b...)
	v[0] = 2
	bad["version"] = v
	v = append([]byte(nil), b...)
	v[1+32+2+len(terms.ChannelType)] |= 0x80
	bad["flags"] = v
	for name, v := range bad {
		if _, err := decodeFundingTerms(v); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
