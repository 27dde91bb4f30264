package peer

import (
	"net"

	"github.com/lnkit/lnkit/wire"
)

// remoteAddrTLV returns the remote_addr to put in our init (BOLT 1, "The
// init Message"): on an inbound connection over IP, the address we see the
// peer at, which tells a node behind NAT its public address. Outbound
// connections, connections not over IP (pipes, Tor through a proxy) and
// private, loopback or link-local addresses get none, as the spec asks.
func remoteAddrTLV(remote net.Addr, inbound bool) *wire.NetAddress {
	tcp, ok := remote.(*net.TCPAddr)
	if !inbound || !ok {
		return nil
	}
	ip := tcp.IP
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return nil
	}
	a, err := wire.NewNetAddress(tcp)
	if err != nil {
		return nil
	}
	return &a
}
