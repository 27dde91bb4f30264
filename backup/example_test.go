package backup_test

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/backup"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

// A node backs up a channel once, when it opens, under a key derived from
// its seed; the backup opens only with that seed's key.
func Example() {
	seed := bytes.Repeat([]byte{0x42}, 32)
	key, err := backup.DeriveKey(seed)
	if err != nil {
		panic(err)
	}
	params := &channel.Params{
		FundingOutpoint: scripttest.FakeOutPoint("example funding", 0),
		FundingAmount:   1_000_000,
		Type:            script.Anchors,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: basepoints("us"), ToSelfDelay: 144, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: basepoints("them"), ToSelfDelay: 144, DustLimit: 546},
	}
	single, err := backup.NewSingle(*chaincfg.MainNetParams.GenesisHash, scripttest.Key("peer").PubKey(),
		[]string{"203.0.113.7:9735"}, params, []byte("channel index 3"))
	if err != nil {
		panic(err)
	}
	nonce := bytes.NewReader(make([]byte, 24))
	blob, err := backup.EncryptMulti(key, &backup.Multi{Singles: []backup.Single{*single}}, nonce)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q, %d bytes\n", blob[:4], len(blob))

	m, err := backup.DecryptMulti(key, blob)
	fmt.Println(err, len(m.Singles), m.Singles[0].PeerAddresses[0], m.Singles[0].FundingAmount, string(m.Singles[0].KeyInfo))

	other, _ := backup.DeriveKey(bytes.Repeat([]byte{0x43}, 32))
	_, err = backup.DecryptMulti(other, blob)
	fmt.Println(err)
	// Output:
	// "LNKB", 554 bytes
	// <nil> 1 203.0.113.7:9735 0.01000000 BTC channel index 3
	// backup: wrong key or damaged backup
}
