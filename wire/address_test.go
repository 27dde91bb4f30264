package wire

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// A real Tor v3 address (the Tor Project's own onion service), used to
// check the checksum rule.
const torV3Host = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"

// randomNetAddress returns a random well-formed descriptor of a known type.
func randomNetAddress(rng *rand.Rand) NetAddress {
	port := uint16(1 + rng.Intn(0xffff))
	switch t := AddressType(1 + rng.Intn(5)); t {
	case AddressDNS:
		n := 1 + rng.Intn(30)
		h := make([]byte, n)
		for i := range h {
			h[i] = "abcdefghijklmnopqrstuvwxyz0123456789-."[rng.Intn(38)]
		}
		return NetAddress{Type: t, Addr: h, Port: port}
	default:
		b := make([]byte, t.fixedLen())
		rng.Read(b)
		return NetAddress{Type: t, Addr: b, Port: port}
	}
}

// randomAddressList returns 0 to 4 ascending descriptors, sometimes ending
// with one of unknown type.
func randomAddressList(rng *rand.Rand) []NetAddress {
	var out []NetAddress
	for i := rng.Intn(5); i > 0; i-- {
		out = append(out, randomNetAddress(rng))
	}
	if rng.Intn(4) == 0 {
		out = append(out, NetAddress{Type: AddressType(6 + rng.Intn(250)), Addr: randomBytes(rng, 20)})
	}
	return out
}

func TestNetAddressEncoding(t *testing.T) {
	tor3, err := ParseNetAddress(net.JoinHostPort(torV3Host, "9735"))
	require.NoError(t, err)
	tests := []struct {
		name string
		addr NetAddress
		hex  string
		str  string
	}{
		{"ipv4", NetAddress{Type: AddressIPv4, Addr: []byte{192, 0, 2, 1}, Port: 9735},
			"01" + "c0000201" + "2607", "192.0.2.1:9735"},
		{"ipv6", NetAddress{Type: AddressIPv6, Addr: netip.MustParseAddr("2001:db8::1").AsSlice(), Port: 9735},
			"02" + "20010db8000000000000000000000001" + "2607", "[2001:db8::1]:9735"},
		{"torv2", NetAddress{Type: AddressTorV2, Addr: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Port: 80},
			"03" + "0102030405060708090a" + "0050", "aebagbafaydqqcik.onion:80"},
		{"torv3", tor3,
			"04" + "d1b38b83a83b3ed918c5bb69dd444ad56bc8d5835a914de73447474e5f02591b" + "ddd9" + "03" + "2607",
			torV3Host + ":9735"},
		{"dns", NetAddress{Type: AddressDNS, Addr: []byte("ln.example.com"), Port: 9735},
			"05" + "0e" + "6c6e2e6578616d706c652e636f6d" + "2607", "ln.example.com:9735"},
		{"unknown", NetAddress{Type: 9, Addr: []byte{0xaa, 0xbb}},
			"09aabb", "type9-aabb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := AppendNetAddress(nil, tc.addr)
			require.NoError(t, err)
			require.Equal(t, tc.hex, hexString(enc))
			got, n, err := decodeNetAddress(enc)
			require.NoError(t, err)
			require.Equal(t, len(enc), n)
			require.Equal(t, tc.addr, got)
			require.Equal(t, tc.str, got.String())
			require.Equal(t, "tcp", got.Network())
			if tc.addr.Type.Known() {
				require.NoError(t, got.Validate())
				// Every strict prefix of a known descriptor is truncated.
				for i := 0; i < len(enc); i++ {
					_, _, err := decodeNetAddress(enc[:i])
					require.ErrorIs(t, err, ErrTruncated, "prefix %d", i)
					require.ErrorIs(t, err, ErrInvalidAddress)
				}
			} else {
				require.ErrorIs(t, got.Validate(), ErrInvalidAddress)
			}
		})
	}
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

func TestNetAddressValidate(t *testing.T) {
	bad := []struct {
		name string
		addr NetAddress
	}{
		{"ipv4 port 0", NetAddress{Type: AddressIPv4, Addr: []byte{1, 2, 3, 4}}},
		{"ipv6 port 0", NetAddress{Type: AddressIPv6, Addr: make([]byte, 16)}},
		{"dns port 0", NetAddress{Type: AddressDNS, Addr: []byte("a.b")}},
		{"ipv4 short", NetAddress{Type: AddressIPv4, Addr: []byte{1, 2, 3}, Port: 1}},
		{"dns empty", NetAddress{Type: AddressDNS, Port: 1}},
		{"dns non-ascii", NetAddress{Type: AddressDNS, Addr: []byte("bücher.example"), Port: 1}},
		{"dns too long", NetAddress{Type: AddressDNS, Addr: make([]byte, 256), Port: 1}},
		{"torv3 bad version", NetAddress{Type: AddressTorV3, Addr: make([]byte, 35), Port: 1}},
		{"unknown type", NetAddress{Type: 7, Addr: []byte{1}}},
	}
	for _, tc := range bad {
		require.ErrorIs(t, tc.addr.Validate(), ErrInvalidAddress, tc.name)
	}
	tor, err := ParseNetAddress(net.JoinHostPort(torV3Host, "1"))
	require.NoError(t, err)
	tor.Addr[33] ^= 1
	require.ErrorIs(t, tor.Validate(), ErrInvalidAddress, "tor v3 checksum")

	// Tor v2 and Tor v3 onion services have no port rule.
	require.NoError(t, NetAddress{Type: AddressTorV2, Addr: make([]byte, 10)}.Validate())

	// The encoder refuses a port on an unknown type and a wrong size.
	_, err = AppendNetAddress(nil, NetAddress{Type: 7, Port: 1})
	require.ErrorIs(t, err, ErrInvalidAddress)
	_, err = AppendNetAddress(nil, NetAddress{Type: AddressIPv6, Addr: []byte{1}})
	require.ErrorIs(t, err, ErrInvalidAddress)
}

func TestParseNetAddress(t *testing.T) {
	good := []struct {
		in   string
		typ  AddressType
		want string
	}{
		{"192.0.2.7:9735", AddressIPv4, "192.0.2.7:9735"},
		{"[::ffff:192.0.2.7]:1", AddressIPv4, "192.0.2.7:1"},
		{"[2001:db8::7]:9735", AddressIPv6, "[2001:db8::7]:9735"},
		{"Node.Example.COM:9735", AddressDNS, "Node.Example.COM:9735"},
		{"xn--bcher-kva.example:9735", AddressDNS, "xn--bcher-kva.example:9735"},
		{torV3Host + ":9735", AddressTorV3, torV3Host + ":9735"},
		{"AEBAGBAFAYDQQCIK.onion:80", AddressTorV2, "aebagbafaydqqcik.onion:80"},
	}
	for _, tc := range good {
		a, err := ParseNetAddress(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.typ, a.Type, tc.in)
		require.Equal(t, tc.want, a.String(), tc.in)
		require.NoError(t, a.Validate())
	}
	for _, in := range []string{
		"192.0.2.7", "192.0.2.7:0", "192.0.2.7:65536", "[fe80::1%eth0]:9735",
		"bücher.example:9735", "-bad.example:1", "a..b:1", "under_score.example:1",
		"abc.onion:1", "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wia.onion:1",
	} {
		_, err := ParseNetAddress(in)
		require.ErrorIs(t, err, ErrInvalidAddress, in)
	}
}

func TestNewNetAddress(t *testing.T) {
	a, err := NewNetAddress(&net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 9735})
	require.NoError(t, err)
	require.Equal(t, NetAddress{Type: AddressIPv4, Addr: []byte{203, 0, 113, 9}, Port: 9735}, a)

	a, err = NewNetAddress(&net.TCPAddr{IP: net.ParseIP("2001:db8::2"), Port: 1})
	require.NoError(t, err)
	require.Equal(t, AddressIPv6, a.Type)

	// A NetAddress is itself a net.Addr.
	b, err := NewNetAddress(a)
	require.NoError(t, err)
	require.Equal(t, a, b)

	// Other net.Addr types go through their string form.
	a, err = NewNetAddress(stringAddr("ln.example.org:9735"))
	require.NoError(t, err)
	require.Equal(t, AddressDNS, a.Type)

	_, err = NewNetAddress(&net.TCPAddr{IP: net.ParseIP("203.0.113.9")})
	require.ErrorIs(t, err, ErrInvalidAddress)
	_, err = NewNetAddress(nil)
	require.ErrorIs(t, err, ErrInvalidAddress)
}

type stringAddr string

func (s stringAddr) Network() string { return "tcp" }
func (s stringAddr) String() string  { return string(s) }

func TestAddressList(t *testing.T) {
	list := []NetAddress{
		{Type: AddressIPv4, Addr: []byte{1, 2, 3, 4}, Port: 1},
		{Type: AddressDNS, Addr: []byte("x.y"), Port: 2},
		{Type: 0x2a, Addr: []byte{0xde, 0xad, 0x07}},
	}
	enc, err := appendAddressList(nil, list)
	require.NoError(t, err)
	require.Equal(t, "0012"+"01010203040001"+"0503782e790002"+"2adead07", hexString(enc))
	got, err := decodeAddressList(enc[2:])
	require.NoError(t, err)
	require.Equal(t, list, got)

	// Unknown types may only come last: nothing after them can be parsed.
	_, err = appendAddressList(nil, []NetAddress{list[2], list[0]})
	require.ErrorIs(t, err, ErrInvalidAddress)

	// A known descriptor cut short is an error.
	_, err = decodeAddressList(enc[2 : len(enc)-6])
	require.True(t, errors.Is(err, ErrTruncated) && errors.Is(err, ErrInvalidAddress), "%v", err)
}

// ExampleParseNetAddress turns host:port strings into BOLT 7 address
// descriptors, as a node would to fill node_announcement or remote_addr.
func ExampleParseNetAddress() {
	for _, s := range []string{"203.0.113.7:9735", "[2001:db8::7]:9735", "node.example.com:9735"} {
		a, err := ParseNetAddress(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		enc, _ := AppendNetAddress(nil, a)
		fmt.Printf("%-5s %-22s %x\n", a.Type, a, enc)
	}
	_, err := ParseNetAddress("bücher.example:9735")
	fmt.Println(errors.Is(err, ErrInvalidAddress))
	// Output:
	// ipv4  203.0.113.7:9735       01cb0071072607
	// ipv6  [2001:db8::7]:9735     0220010db80000000000000000000000072607
	// dns   node.example.com:9735  05106e6f64652e6578616d706c652e636f6d2607
	// true
}
