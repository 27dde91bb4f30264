package onion

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

// stripLength removes the BigSize length prefix the vector files include in
// their payloads.
func stripLength(t testing.TB, b []byte) []byte {
	t.Helper()
	l, n, err := wire.DecodeBigSize(b)
	if err != nil || int(l) != len(b)-n {
		t.Fatalf("payload length prefix %d does not match %d bytes", l, len(b)-n)
	}
	return b[n:]
}

type onionTestVector struct {
	Generate struct {
		SessionKey     string `json:"session_key"`
		AssociatedData string `json:"associated_data"`
		Hops           []struct {
			PubKey  string `json:"pubkey"`
			Payload string `json:"payload"`
		} `json:"hops"`
	} `json:"generate"`
	Onion  string   `json:"onion"`
	Decode []string `json:"decode"`
}

// TestOnionVector builds the packet of onion-test.json byte for byte and
// peels it at every hop with the hops' private keys.
func TestOnionVector(t *testing.T) {
	var v onionTestVector
	testutil.LoadJSON(t, "onion-test.json", &v)
	var hops []Hop
	for _, h := range v.Generate.Hops {
		hops = append(hops, Hop{PubKey: testutil.PubKey(t, h.PubKey), Payload: stripLength(t, testutil.Hex(t, h.Payload))})
	}
	assoc := testutil.Hex(t, v.Generate.AssociatedData)
	want := testutil.Hex(t, v.Onion)

	// The session key comes through the injectable reader.
	pkt, secrets, err := NewPacket(bytes.NewReader(testutil.Hex(t, v.Generate.SessionKey)), hops, assoc)
	if err != nil {
		t.Fatal(err)
	}
	if got := pkt.Encode(); !bytes.Equal(got, want) {
		t.Fatalf("onion mismatch\n got %x\nwant %x", got, want)
	}

	decoded, err := DecodePacket(want)
	if err != nil {
		t.Fatal(err)
	}
	cur := decoded
	for i, keyHex := range v.Decode {
		priv, pub := btcec.PrivKeyFromBytes(testutil.Hex(t, keyHex))
		if !pub.IsEqual(hops[i].PubKey) {
			t.Fatalf("hop %d: decode key does not match the route", i)
		}
		var fastNext []byte
		for _, name := range []string{"fast", "interface"} {
			var key wire.NodeKey = wire.NewPrivateNodeKey(priv)
			if name == "interface" {
				key = plainECDH{priv}
			}
			proc := NewProcessor(key, NewMemoryReplayLog())
			res, err := proc.Process(context.Background(), cur, assoc, nil)
			if err != nil {
				t.Fatalf("hop %d (%s): %v", i, name, err)
			}
			if !bytes.Equal(res.Payload, hops[i].Payload) {
				t.Fatalf("hop %d (%s): payload %x, want %x", i, name, res.Payload, hops[i].Payload)
			}
			if res.SharedSecret != secrets[i] {
				t.Fatalf("hop %d (%s): shared secret differs from the sender's", i, name)
			}
			if res.Final != (i == len(hops)-1) {
				t.Fatalf("hop %d (%s): final = %v", i, name, res.Final)
			}
			if res.Final {
				continue
			}
			if name == "fast" {
				fastNext = res.Next.Encode()
				continue
			}
			if !bytes.Equal(fastNext, res.Next.Encode()) {
				t.Fatalf("hop %d: the shared-table path and the interface path disagree on the next packet", i)
			}
			next := res.Next
			cur = &next
		}
	}
}

// plainECDH implements wire.NodeKey without being a
// *wire.PrivateNodeKey, as an HSM would, so that the Processor's generic
// path is exercised.
type plainECDH struct{ k *btcec.PrivateKey }

func (p plainECDH) PubKey() *btcec.PublicKey { return p.k.PubKey() }

func (p plainECDH) ECDH(pub *btcec.PublicKey) ([32]byte, error) {
	return sharedSecret(&p.k.Key, pub), nil
}

type onionErrorVector struct {
	Generate struct {
		SessionKey     string `json:"session_key"`
		FailureMessage string `json:"failure_message"`
		Hops           []struct {
			PubKey          string `json:"pubkey"`
			HopSharedSecret string `json:"hop_shared_secret"`
			AmmagKey        string `json:"ammag_key"`
			UmKey           string `json:"um_key"`
			Payload         string `json:"payload"`
		} `json:"hops"`
	} `json:"generate"`
	ErrorPacket string `json:"errorpacket"`
}

// TestOnionErrorVector checks every value onion-error-test.json gives: the
// shared secrets (from the session key), the ammag and um keys, the padded
// failure payload, and the error packet after obfuscation by every hop; the
// origin then decrypts it to hop 4.
func TestOnionErrorVector(t *testing.T) {
	var v onionErrorVector
	testutil.LoadJSON(t, "onion-error-test.json", &v)
	var hops []Hop
	for _, h := range v.Generate.Hops {
		hops = append(hops, Hop{PubKey: testutil.PubKey(t, h.PubKey)})
	}
	sk, err := parseScalar(testutil.Hex(t, v.Generate.SessionKey))
	if err != nil {
		t.Fatal(err)
	}
	_, secrets, err := computeSharedSecrets(&sk, hops)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range v.Generate.Hops {
		if got := hex.EncodeToString(secrets[i][:]); got != h.HopSharedSecret {
			t.Fatalf("hop %d shared secret %s, want %s", i, got, h.HopSharedSecret)
		}
		if ammag := generateKey(keyTypeAmmag, &secrets[i]); hex.EncodeToString(ammag[:]) != h.AmmagKey {
			t.Fatalf("hop %d ammag key %x, want %s", i, ammag, h.AmmagKey)
		}
		if h.UmKey != "" {
			if um := generateKey(keyTypeUm, &secrets[i]); hex.EncodeToString(um[:]) != h.UmKey {
				t.Fatalf("hop %d um key %x, want %s", i, um, h.UmKey)
			}
		}
	}
	last := len(hops) - 1
	msg, err := DecodeFailureMessage(testutil.Hex(t, v.Generate.FailureMessage))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Code != CodeTemporaryNodeFailure {
		t.Fatalf("vector failure is %s", msg.Code)
	}
	reason, err := NewFailure(secrets[last], msg)
	if err != nil {
		t.Fatal(err)
	}
	// Undo the erring node's own layer to compare the plaintext payload.
	plain := bytes.Clone(reason)
	ObfuscateFailure(secrets[last], plain)
	if got := hex.EncodeToString(plain[HMACSize:]); got != v.Generate.Hops[last].Payload {
		t.Fatalf("failure payload\n got %s\nwant %s", got, v.Generate.Hops[last].Payload)
	}
	um := generateKey(keyTypeUm, &secrets[last])
	if mac := stdHMAC(um[:], plain[HMACSize:]); !bytes.Equal(mac[:], plain[:HMACSize]) {
		t.Fatal("failure HMAC does not match um key over the payload")
	}
	for i := last - 1; i >= 0; i-- {
		ObfuscateFailure(secrets[i], reason)
	}
	if got := hex.EncodeToString(reason); got != v.ErrorPacket {
		t.Fatalf("error packet\n got %s\nwant %s", got, v.ErrorPacket)
	}
	d, err := secrets.DecryptFailure(testutil.Hex(t, v.ErrorPacket))
	if err != nil {
		t.Fatal(err)
	}
	if d.SourceIndex != last || d.Code != CodeTemporaryNodeFailure || d.MessageErr != nil {
		t.Fatalf("decrypted %+v", d)
	}
}
