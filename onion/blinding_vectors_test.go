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

type routeBlindingVector struct {
	Generate struct {
		Hops []struct {
			SessionKey    string `json:"session_key"`
			NodeID        string `json:"node_id"`
			EncodedTLVs   string `json:"encoded_tlvs"`
			PathPrivKey   string `json:"path_privkey"`
			PathKey       string `json:"path_key"`
			SharedSecret  string `json:"shared_secret"`
			Rho           string `json:"rho"`
			EncryptedData string `json:"encrypted_data"`
			BlindedNodeID string `json:"blinded_node_id"`
		} `json:"hops"`
	} `json:"generate"`
	Route struct {
		FirstNodeID  string `json:"first_node_id"`
		FirstPathKey string `json:"first_path_key"`
		Hops         []struct {
			BlindedNodeID string `json:"blinded_node_id"`
			EncryptedData string `json:"encrypted_data"`
		} `json:"hops"`
	} `json:"route"`
	Unblind struct {
		Hops []struct {
			NodePrivKey         string `json:"node_privkey"`
			PathKey             string `json:"path_key"`
			BlindedPrivKey      string `json:"blinded_privkey"`
			DecryptedData       string `json:"decrypted_data"`
			NextPathKey         string `json:"next_path_key"`
			NextPathKeyOverride string `json:"next_path_key_override"`
		} `json:"hops"`
	} `json:"unblind"`
}

func pubHex(k *btcec.PublicKey) string { return hex.EncodeToString(k.SerializeCompressed()) }

// TestRouteBlindingVector builds the two blinded routes of
// route-blinding-test.json (Bob->Carol, then Dave->Eve, joined by Carol's
// next_path_key_override), checks every intermediate value, and unblinds
// at each hop.
func TestRouteBlindingVector(t *testing.T) {
	var v routeBlindingVector
	testutil.LoadJSON(t, "route-blinding-test.json", &v)
	gh := v.Generate.Hops
	var all []BlindedHop
	var firstKey *btcec.PublicKey
	// Each session key starts a route that runs to the next session key.
	for start := 0; start < len(gh); {
		end := start + 1
		for end < len(gh) && gh[end].SessionKey == "" {
			end++
		}
		var nodes []*btcec.PublicKey
		var data [][]byte
		for _, h := range gh[start:end] {
			nodes = append(nodes, testutil.PubKey(t, h.NodeID))
			data = append(data, testutil.Hex(t, h.EncodedTLVs))
		}
		path, err := BuildBlindedPathWithSessionKey(testutil.Hex(t, gh[start].SessionKey), nodes, data)
		if err != nil {
			t.Fatal(err)
		}
		if start == 0 {
			firstKey = path.FirstPathKey
		}
		// Intermediate values, recomputed from path_privkey.
		for i, h := range gh[start:end] {
			e, err := parseScalar(testutil.Hex(t, h.PathPrivKey))
			if err != nil {
				t.Fatal(err)
			}
			E := baseMul(&e)
			if hex.EncodeToString(E[:]) != h.PathKey {
				t.Fatalf("%s: path key", h.NodeID)
			}
			ss := sharedSecret(&e, nodes[i])
			rho := generateKey(keyTypeRho, &ss)
			if hex.EncodeToString(ss[:]) != h.SharedSecret || hex.EncodeToString(rho[:]) != h.Rho {
				t.Fatalf("hop %d: shared secret or rho", start+i)
			}
			if got := hex.EncodeToString(path.Hops[i].EncryptedData); got != h.EncryptedData {
				t.Fatalf("hop %d: encrypted data\n got %s\nwant %s", start+i, got, h.EncryptedData)
			}
			if pubHex(path.Hops[i].BlindedNodeID) != h.BlindedNodeID {
				t.Fatalf("hop %d: blinded node id", start+i)
			}
		}
		all = append(all, path.Hops...)
		start = end
	}
	if pubHex(firstKey) != v.Route.FirstPathKey {
		t.Fatal("first path key")
	}
	for i, h := range v.Route.Hops {
		if pubHex(all[i].BlindedNodeID) != h.BlindedNodeID || hex.EncodeToString(all[i].EncryptedData) != h.EncryptedData {
			t.Fatalf("route hop %d", i)
		}
	}

	for i, h := range v.Unblind.Hops {
		priv, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, h.NodePrivKey))
		pathKey := testutil.PubKey(t, h.PathKey)
		if got := BlindedPrivateKey(priv, pathKey); hex.EncodeToString(got.Serialize()) != h.BlindedPrivKey {
			t.Fatalf("hop %d: blinded private key", i)
		}
		proc := NewProcessor(wire.NewPrivateNodeKey(priv), nil)
		rd, err := proc.DecryptRecipientData(pathKey, all[i].EncryptedData)
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		if hex.EncodeToString(rd.Plaintext) != h.DecryptedData {
			t.Fatalf("hop %d: decrypted data", i)
		}
		re, err := rd.Data.Encode()
		if err != nil || !bytes.Equal(re, rd.Plaintext) {
			t.Fatalf("hop %d: encrypted_data_tlv does not re-encode: %v", i, err)
		}
		// next_path_key is the computed key; an override replaces it.
		want := h.NextPathKey
		if h.NextPathKeyOverride != "" {
			want = h.NextPathKeyOverride
			E := [33]byte(pathKey.SerializeCompressed())
			ss := sharedSecret(&priv.Key, pathKey)
			b := blindingFactor(&E, &ss)
			if c := mulPoint(&b, pathKey); hex.EncodeToString(c[:]) != h.NextPathKey {
				t.Fatalf("hop %d: computed next path key", i)
			}
		}
		if pubHex(rd.NextPathKey) != want {
			t.Fatalf("hop %d: next path key %s, want %s", i, pubHex(rd.NextPathKey), want)
		}
	}
}

type blindedPaymentVector struct {
	Generate struct {
		SessionKey     string `json:"session_key"`
		AssociatedData string `json:"associated_data"`
		FullRoute      struct {
			Hops []struct {
				PubKey  string `json:"pubkey"`
				Payload string `json:"payload"`
			} `json:"hops"`
		} `json:"full_route"`
		Onion string `json:"onion"`
	} `json:"generate"`
	Decrypt struct {
		Hops []struct {
			Onion       string `json:"onion"`
			NodePrivKey string `json:"node_privkey"`
			NextPathKey string `json:"next_path_key"`
		} `json:"hops"`
	} `json:"decrypt"`
}

// TestBlindedPaymentOnionVector builds the onion of
// blinded-payment-onion-test.json and peels it: Alice outside the blinded
// route, Bob as introduction node (path key in his payload), then Carol,
// Dave and Eve with the path key arriving beside the packet.
func TestBlindedPaymentOnionVector(t *testing.T) {
	var v blindedPaymentVector
	testutil.LoadJSON(t, "blinded-payment-onion-test.json", &v)
	var hops []Hop
	for _, h := range v.Generate.FullRoute.Hops {
		hops = append(hops, Hop{PubKey: testutil.PubKey(t, h.PubKey), Payload: stripLength(t, testutil.Hex(t, h.Payload))})
	}
	assoc := testutil.Hex(t, v.Generate.AssociatedData)
	pkt, _, err := NewPacketWithSessionKey(testutil.Hex(t, v.Generate.SessionKey), hops, assoc)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(pkt.Encode()) != v.Generate.Onion {
		t.Fatal("blinded payment onion differs")
	}
	var pathKey *btcec.PublicKey
	for i, h := range v.Decrypt.Hops {
		if got := hex.EncodeToString(pkt.Encode()); got != h.Onion {
			t.Fatalf("hop %d: incoming onion differs", i)
		}
		priv, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, h.NodePrivKey))
		proc := NewProcessor(wire.NewPrivateNodeKey(priv), nil)
		res, err := proc.Process(context.Background(), pkt, assoc, &ProcessOptions{PathKey: pathKey})
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		if !bytes.Equal(res.Payload, hops[i].Payload) {
			t.Fatalf("hop %d: payload", i)
		}
		p, err := DecodeHopPayload(res.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(res.Final, pathKey != nil); err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		if p.IsBlinded() {
			var rd *RecipientData
			if pathKey == nil {
				pk, err := PathKeyFromPayload(nil, p)
				if err != nil {
					t.Fatal(err)
				}
				rd, err = proc.DecryptRecipientData(pk, p.EncryptedRecipientData)
				if err != nil {
					t.Fatal(err)
				}
			} else if rd, err = res.DecryptRecipientData(p.EncryptedRecipientData); err != nil {
				t.Fatal(err)
			}
			if pubHex(rd.NextPathKey) != h.NextPathKey {
				t.Fatalf("hop %d: next path key", i)
			}
			pathKey = rd.NextPathKey
		}
		if res.Final != (i == len(hops)-1) {
			t.Fatalf("hop %d: final %v", i, res.Final)
		}
		if !res.Final {
			next := res.Next
			pkt = &next
		}
	}
}

type onionMessageVector struct {
	Generate struct {
		SessionKey string `json:"session_key"`
		Hops       []struct {
			PathKeySecret         string `json:"path_key_secret"`
			EncryptedDataTLV      string `json:"encrypted_data_tlv"`
			BlindedNodeID         string `json:"blinded_node_id"`
			E                     string `json:"E"`
			EncryptedRecipientDat string `json:"encrypted_recipient_data"`
			TLVs                  struct {
				NextNodeID string `json:"next_node_id"`
			} `json:"tlvs"`
		} `json:"hops"`
	} `json:"generate"`
	Route struct {
		FirstNodeID  string `json:"first_node_id"`
		FirstPathKey string `json:"first_path_key"`
	} `json:"route"`
	OnionMessage struct {
		Unknown1 string `json:"unknown_tag_1"`
		Packet   string `json:"onion_message_packet"`
	} `json:"onionmessage"`
	Decrypt struct {
		Hops []struct {
			PrivKey      string `json:"privkey"`
			OnionMessage string `json:"onion_message"`
			NextNodeID   string `json:"next_node_id"`
		} `json:"hops"`
	} `json:"decrypt"`
}

// TestOnionMessageVector builds the blinded path and the onion message of
// blinded-onion-message-onion-test.json and has each hop process it.
func TestOnionMessageVector(t *testing.T) {
	var v onionMessageVector
	testutil.LoadJSON(t, "blinded-onion-message-onion-test.json", &v)
	// The real node ids are the decrypting hops' keys; Alice's blinded
	// hop is built alone (her data overrides the next path key), the
	// rest from Bob's path key secret onwards.
	var nodes []*btcec.PublicKey
	for _, h := range v.Decrypt.Hops {
		_, pub := btcec.PrivKeyFromBytes(testutil.Hex(t, h.PrivKey))
		nodes = append(nodes, pub)
	}
	var blinded []BlindedHop
	for _, r := range [][2]int{{0, 1}, {1, len(nodes)}} {
		var data [][]byte
		for _, h := range v.Generate.Hops[r[0]:r[1]] {
			data = append(data, testutil.Hex(t, h.EncryptedDataTLV))
		}
		path, err := BuildBlindedPathWithSessionKey(testutil.Hex(t, v.Generate.Hops[r[0]].PathKeySecret), nodes[r[0]:r[1]], data)
		if err != nil {
			t.Fatal(err)
		}
		if r[0] == 0 && pubHex(path.FirstPathKey) != v.Route.FirstPathKey {
			t.Fatal("first path key")
		}
		blinded = append(blinded, path.Hops...)
	}
	for i, h := range v.Generate.Hops {
		if pubHex(blinded[i].BlindedNodeID) != h.BlindedNodeID || hex.EncodeToString(blinded[i].EncryptedData) != h.EncryptedRecipientDat {
			t.Fatalf("hop %d: blinded hop differs", i)
		}
	}
	var hops []Hop
	for i, b := range blinded {
		mp := &MessagePayload{EncryptedRecipientData: b.EncryptedData}
		if i == len(blinded)-1 {
			mp.Extra = wire.ExtraTLVs{{Type: 1, Value: testutil.Hex(t, v.OnionMessage.Unknown1)}}
		}
		payload, err := mp.Encode()
		if err != nil {
			t.Fatal(err)
		}
		hops = append(hops, Hop{PubKey: b.BlindedNodeID, Payload: payload})
	}
	want := testutil.Hex(t, v.OnionMessage.Packet)
	pkt, err := NewMessagePacketWithSessionKey(testutil.Hex(t, v.Generate.SessionKey), hops, len(want)-packetOverhead)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkt.Encode(), want) {
		t.Fatal("onion message packet differs")
	}
	msg := &wire.OnionMessage{PathKey: wire.NewPoint(testutil.PubKey(t, v.Route.FirstPathKey)), Packet: pkt.Encode()}
	for i, h := range v.Decrypt.Hops {
		enc, err := wire.EncodeMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(enc); got != h.OnionMessage {
			t.Fatalf("hop %d: incoming onion_message differs", i)
		}
		decMsg, err := wire.DecodeMessage(testutil.Hex(t, h.OnionMessage))
		if err != nil {
			t.Fatal(err)
		}
		dec := decMsg.(*wire.OnionMessage)
		priv, _ := btcec.PrivKeyFromBytes(testutil.Hex(t, h.PrivKey))
		hop, err := NewProcessor(wire.NewPrivateNodeKey(priv), nil).ProcessMessage(context.Background(), dec)
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		if i == len(v.Decrypt.Hops)-1 {
			if !hop.Final || hex.EncodeToString(hop.Payload.Extra[0].Value) != v.OnionMessage.Unknown1 {
				t.Fatal("final hop did not get hello")
			}
			if hop.Recipient.Data.PathID == nil {
				t.Fatal("final hop lacks path_id")
			}
			break
		}
		if hop.Final || pubHex(hop.NextNodeID) != h.NextNodeID {
			t.Fatalf("hop %d: next node", i)
		}
		msg = hop.Next
	}
}
