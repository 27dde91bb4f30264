package peer

import (
	"net"
	"testing"

	"github.com/lnkit/lnkit/wire"
	"github.com/stretchr/testify/require"
)

func TestRemoteAddrTLV(t *testing.T) {
	public4 := &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 9735}
	public6 := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 9736}

	a := remoteAddrTLV(public4, true)
	require.NotNil(t, a)
	require.Equal(t, wire.AddressIPv4, a.Type)
	require.Equal(t, "203.0.113.7:9735", a.String())

	a = remoteAddrTLV(public6, true)
	require.NotNil(t, a)
	require.Equal(t, wire.AddressIPv6, a.Type)
	require.Equal(t, uint16(9736), a.Port)

	require.Nil(t, remoteAddrTLV(public4, false), "outbound connections send none")
	for _, ip := range []string{"127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.1.1", "::1", "fd00::1", "fe80::1"} {
		require.Nil(t, remoteAddrTLV(&net.TCPAddr{IP: net.ParseIP(ip), Port: 9735}, true), ip)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	require.Nil(t, remoteAddrTLV(p1.RemoteAddr(), true), "not an IP connection")
}
