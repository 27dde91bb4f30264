package wtclient_test

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/monitor/wtclient"
)

// A tower that sees a transaction computes its breach hint; when a stored
// update carries that hint, the transaction id is the key that opens the
// justice kit.
func Example() {
	txid := chainhash.HashH([]byte("a revoked commitment"))
	kit := &wtclient.JusticeKit{
		SweepScript: append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0xab}, 20)...),
		CSVDelay:    144,
	}
	kit.RevocationKey[0], kit.DelayedKey[0] = 0x02, 0x03
	nonce := bytes.NewReader(make([]byte, wtclient.NonceSize))
	blob, err := kit.Encrypt(wtclient.NewBreachKey(&txid), nonce)
	if err != nil {
		panic(err)
	}
	hint := wtclient.NewBreachHint(&txid)
	fmt.Printf("blob: %d bytes, hint %x\n", len(blob), hint[:4])

	opened, err := wtclient.DecryptJusticeKit(wtclient.NewBreachKey(&txid), blob)
	fmt.Println(err, opened.CSVDelay, opened.HasToRemote())

	other := chainhash.HashH([]byte("another transaction"))
	_, err = wtclient.DecryptJusticeKit(wtclient.NewBreachKey(&other), blob)
	fmt.Println(err)
	// Output:
	// blob: 314 bytes, hint 1dab3072
	// <nil> 144 false
	// wtclient: justice kit does not decrypt
}
