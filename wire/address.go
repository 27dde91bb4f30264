package wire

import (
	"crypto/sha3"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// AddressType is the first byte of a BOLT 7 address descriptor, as carried in
// node_announcement's addresses and init's remote_addr.
type AddressType uint8

// Address descriptor types of BOLT 7, "The node_announcement Message".
const (
	// AddressIPv4 is an IPv4 address and port (data length 6).
	AddressIPv4 AddressType = 1
	// AddressIPv6 is an IPv6 address and port (data length 18).
	AddressIPv6 AddressType = 2
	// AddressTorV2 is a deprecated Tor v2 onion service (data length 12:
	// a 10-byte onion identifier and a port). BOLT 7 says nodes SHOULD NOT
	// announce it and SHOULD ignore it.
	AddressTorV2 AddressType = 3
	// AddressTorV3 is a Tor v3 onion service (data length 37: a 32-byte
	// ed25519 key, a 2-byte checksum, a version byte and a port).
	AddressTorV3 AddressType = 4
	// AddressDNS is a DNS hostname (data: a length byte, up to 255 ASCII
	// bytes of hostname and a port).
	AddressDNS AddressType = 5
)

// Sizes of the address part (without the port) of fixed-size descriptors.
const (
	IPv4AddrLen  = 4
	IPv6AddrLen  = 16
	TorV2AddrLen = 10
	TorV3AddrLen = 35
	// MaxHostnameLen is the longest DNS hostname a descriptor can carry.
	MaxHostnameLen = 255
)

// torV3Version is the version byte that ends a Tor v3 onion address.
const torV3Version = 3

// ErrInvalidAddress means an address descriptor breaks a BOLT 7 rule, or a
// host:port string cannot be turned into one.
var ErrInvalidAddress = errors.New("wire: invalid address descriptor")

// Known reports whether BOLT 7 defines t, so that its length is known.
func (t AddressType) Known() bool { return t >= AddressIPv4 && t <= AddressDNS }

// fixedLen returns the address size of a fixed-size type, or 0.
func (t AddressType) fixedLen() int {
	switch t {
	case AddressIPv4:
		return IPv4AddrLen
	case AddressIPv6:
		return IPv6AddrLen
	case AddressTorV2:
		return TorV2AddrLen
	case AddressTorV3:
		return TorV3AddrLen
	}
	return 0
}

// String names the type ("ipv4", "ipv6", "torv2", "torv3", "dns") or gives
// its number.
func (t AddressType) String() string {
	switch t {
	case AddressIPv4:
		return "ipv4"
	case AddressIPv6:
		return "ipv6"
	case AddressTorV2:
		return "torv2"
	case AddressTorV3:
		return "torv3"
	case AddressDNS:
		return "dns"
	}
	return "type" + strconv.Itoa(int(t))
}

// NetAddress is one BOLT 7 address descriptor. It implements net.Addr, so a
// host can hand String() to its dialer (after checking Type: Tor addresses
// need a Tor dialer).
//
// Addr holds the address part exactly as on the wire:
//   - AddressIPv4: 4 bytes; AddressIPv6: 16 bytes;
//   - AddressTorV2: the 10-byte onion identifier;
//   - AddressTorV3: 35 bytes, ed25519 public key || checksum || version;
//   - AddressDNS: the hostname's bytes (without the length byte);
//   - any other type: every byte after the type byte up to the end of the
//     enclosing field, since a reader cannot know where an unknown
//     descriptor ends. Port is then 0.
//
// Decoders accept any bytes in these fields, so that a received message
// re-encodes exactly and its signature still verifies; Validate applies the
// rules BOLT 7 sets for creating an address.
type NetAddress struct {
	Type AddressType
	Addr []byte
	Port uint16
}

var _ net.Addr = NetAddress{}

// Network implements net.Addr; Lightning connections use TCP.
func (a NetAddress) Network() string { return "tcp" }

// IP returns the address of an IPv4 or IPv6 descriptor, and false for
// other types or a malformed length.
func (a NetAddress) IP() (netip.Addr, bool) {
	switch {
	case a.Type == AddressIPv4 && len(a.Addr) == IPv4AddrLen:
		return netip.AddrFrom4([4]byte(a.Addr)), true
	case a.Type == AddressIPv6 && len(a.Addr) == IPv6AddrLen:
		return netip.AddrFrom16([16]byte(a.Addr)), true
	}
	return netip.Addr{}, false
}

// torBase32 is the lowercase, unpadded base32 alphabet of onion hostnames.
var torBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Host returns the host part: an IP literal, an onion hostname such as
// "<56 characters>.onion", a DNS hostname, or, for an unknown type, the
// type and the raw bytes in hex.
func (a NetAddress) Host() string {
	switch a.Type {
	case AddressIPv4, AddressIPv6:
		if ip, ok := a.IP(); ok {
			return ip.String()
		}
	case AddressTorV2, AddressTorV3:
		return torBase32.EncodeToString(a.Addr) + ".onion"
	case AddressDNS:
		return string(a.Addr)
	}
	return a.Type.String() + "-" + hex.EncodeToString(a.Addr)
}

// String returns "host:port" (IPv6 hosts in brackets). For an unknown type
// it returns Host() alone, as there is no port.
func (a NetAddress) String() string {
	if !a.Type.Known() {
		return a.Host()
	}
	return net.JoinHostPort(a.Host(), strconv.Itoa(int(a.Port)))
}

// encodedLen returns the size of the descriptor including its type byte,
// or an error if Addr does not fit the type.
func (a NetAddress) encodedLen() (int, error) {
	switch {
	case a.Type == AddressDNS:
		if len(a.Addr) > MaxHostnameLen {
			return 0, fmt.Errorf("%w: dns hostname of %d bytes, at most %d", ErrInvalidAddress, len(a.Addr), MaxHostnameLen)
		}
		return 1 + 1 + len(a.Addr) + 2, nil
	case a.Type.Known():
		if n := a.Type.fixedLen(); len(a.Addr) != n {
			return 0, fmt.Errorf("%w: %s address of %d bytes, want %d", ErrInvalidAddress, a.Type, len(a.Addr), n)
		}
		return 1 + len(a.Addr) + 2, nil
	default:
		if a.Port != 0 {
			return 0, fmt.Errorf("%w: port set on an address of unknown %s", ErrInvalidAddress, a.Type)
		}
		return 1 + len(a.Addr), nil
	}
}

// AppendNetAddress appends the descriptor: type byte, address and port. It
// fails if Addr has the wrong size for Type, or if Port is set on an unknown
// type (whose bytes are written as they are, with no port).
func AppendNetAddress(b []byte, a NetAddress) ([]byte, error) {
	if _, err := a.encodedLen(); err != nil {
		return b, err
	}
	b = append(b, byte(a.Type))
	if a.Type == AddressDNS {
		b = append(b, byte(len(a.Addr)))
	}
	b = append(b, a.Addr...)
	if a.Type.Known() {
		b = AppendU16(b, a.Port)
	}
	return b, nil
}

// decodeNetAddress decodes one descriptor from the front of b and returns
// it with the number of bytes used. Addr aliases b. A descriptor of unknown
// type takes the rest of b. A known descriptor that does not fit in b is
// an ErrInvalidAddress wrapping ErrTruncated.
func decodeNetAddress(b []byte) (NetAddress, int, error) {
	if len(b) == 0 {
		return NetAddress{}, 0, fmt.Errorf("%w: missing type byte: %w", ErrInvalidAddress, ErrTruncated)
	}
	a := NetAddress{Type: AddressType(b[0])}
	rest := b[1:]
	var n int
	switch {
	case a.Type == AddressDNS:
		if len(rest) == 0 {
			return NetAddress{}, 0, fmt.Errorf("%w: dns hostname length: %w", ErrInvalidAddress, ErrTruncated)
		}
		n = int(rest[0])
		rest = rest[1:]
	case a.Type.Known():
		n = a.Type.fixedLen()
	default:
		if len(rest) > 0 {
			a.Addr = rest[:len(rest):len(rest)]
		}
		return a, len(b), nil
	}
	if len(rest) < n+2 {
		return NetAddress{}, 0, fmt.Errorf("%w: %s descriptor needs %d bytes, %d left: %w", ErrInvalidAddress, a.Type, n+2, len(rest), ErrTruncated)
	}
	if n > 0 {
		a.Addr = rest[:n:n]
	}
	a.Port = uint16(rest[n])<<8 | uint16(rest[n+1])
	used := len(b) - len(rest) + n + 2
	return a, used, nil
}

// Validate checks the rules BOLT 7 sets for an address a node creates:
//   - the address part has its type's size;
//   - IPv4, IPv6 and DNS descriptors have a non-zero port;
//   - a DNS hostname is 1 to 255 ASCII bytes (non-ASCII names are sent as
//     Punycode);
//   - a Tor v3 address has version 3 and a correct checksum.
//
// An unknown type is reported as invalid: it cannot be checked.
func (a NetAddress) Validate() error {
	if !a.Type.Known() {
		return fmt.Errorf("%w: unknown %s", ErrInvalidAddress, a.Type)
	}
	if _, err := a.encodedLen(); err != nil {
		return err
	}
	switch a.Type {
	case AddressIPv4, AddressIPv6:
		if a.Port == 0 {
			return fmt.Errorf("%w: %s with port 0", ErrInvalidAddress, a.Type)
		}
	case AddressDNS:
		if a.Port == 0 {
			return fmt.Errorf("%w: dns hostname with port 0", ErrInvalidAddress)
		}
		if len(a.Addr) == 0 {
			return fmt.Errorf("%w: empty dns hostname", ErrInvalidAddress)
		}
		for i, c := range a.Addr {
			if c >= 0x80 {
				return fmt.Errorf("%w: dns hostname byte %d is not ASCII (use Punycode)", ErrInvalidAddress, i)
			}
		}
	case AddressTorV3:
		if a.Addr[34] != torV3Version {
			return fmt.Errorf("%w: tor v3 version byte %d", ErrInvalidAddress, a.Addr[34])
		}
		if sum := torV3Checksum(a.Addr[:32]); sum != [2]byte(a.Addr[32:34]) {
			return fmt.Errorf("%w: tor v3 checksum mismatch", ErrInvalidAddress)
		}
	}
	return nil
}

// torV3Checksum computes SHA3-256(".onion checksum" || pubkey || version)[:2]
// (Tor rend-spec-v3, as BOLT 7 cites it).
func torV3Checksum(pubkey []byte) [2]byte {
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(pubkey)
	h.Write([]byte{torV3Version})
	var sum [32]byte
	h.Sum(sum[:0])
	return [2]byte(sum[:2])
}

// NewNetAddress converts a net.Addr to a descriptor. A *net.TCPAddr (or
// *net.UDPAddr) becomes an IPv4 or IPv6 descriptor, an IPv4-mapped IPv6
// address becoming IPv4; a NetAddress is returned as it is; anything else
// goes through ParseNetAddress(addr.String()).
func NewNetAddress(addr net.Addr) (NetAddress, error) {
	switch v := addr.(type) {
	case nil:
		return NetAddress{}, fmt.Errorf("%w: nil address", ErrInvalidAddress)
	case NetAddress:
		return v, v.Validate()
	case *NetAddress:
		return *v, v.Validate()
	case *net.TCPAddr:
		return fromIPPort(v.IP, v.Zone, v.Port)
	case *net.UDPAddr:
		return fromIPPort(v.IP, v.Zone, v.Port)
	}
	return ParseNetAddress(addr.String())
}

// fromIPPort builds an IP descriptor.
func fromIPPort(ip net.IP, zone string, port int) (NetAddress, error) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || zone != "" {
		return NetAddress{}, fmt.Errorf("%w: ip %v%%%s", ErrInvalidAddress, ip, zone)
	}
	if port <= 0 || port > 0xffff {
		return NetAddress{}, fmt.Errorf("%w: port %d", ErrInvalidAddress, port)
	}
	return netAddressFromIP(a, uint16(port)), nil
}

// netAddressFromIP builds an IPv4 or IPv6 descriptor.
func netAddressFromIP(ip netip.Addr, port uint16) NetAddress {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		return NetAddress{Type: AddressIPv4, Addr: b[:], Port: port}
	}
	b := ip.As16()
	return NetAddress{Type: AddressIPv6, Addr: b[:], Port: port}
}

// ParseNetAddress parses "host:port" into a descriptor: an IP literal gives
// IPv4 or IPv6, a name ending in ".onion" gives Tor v3 (56 characters) or
// Tor v2 (16 characters), and anything else gives a DNS hostname. The port
// must be 1 to 65535. A DNS hostname must be ASCII (Punycode for
// international names), at most 255 bytes, and made of RFC 1123 labels
// (letters, digits and inner hyphens, 1 to 63 characters each), which is
// stricter than what a decoder accepts from the wire. The result passes
// Validate.
func ParseNetAddress(hostport string) (NetAddress, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return NetAddress{}, fmt.Errorf("%w: %v", ErrInvalidAddress, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return NetAddress{}, fmt.Errorf("%w: port %q", ErrInvalidAddress, portStr)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return NetAddress{}, fmt.Errorf("%w: zoned ip %q", ErrInvalidAddress, host)
		}
		return netAddressFromIP(ip, uint16(port)), nil
	}
	if name, ok := strings.CutSuffix(strings.ToLower(host), ".onion"); ok {
		raw, err := torBase32.DecodeString(name)
		var a NetAddress
		switch {
		case err != nil:
		case len(raw) == TorV3AddrLen:
			a = NetAddress{Type: AddressTorV3, Addr: raw, Port: uint16(port)}
		case len(raw) == TorV2AddrLen:
			a = NetAddress{Type: AddressTorV2, Addr: raw, Port: uint16(port)}
		}
		if a.Type == 0 {
			return NetAddress{}, fmt.Errorf("%w: onion host %q", ErrInvalidAddress, host)
		}
		return a, a.Validate()
	}
	if err := checkHostname(host); err != nil {
		return NetAddress{}, err
	}
	a := NetAddress{Type: AddressDNS, Addr: []byte(host), Port: uint16(port)}
	return a, a.Validate()
}

// checkHostname applies RFC 1123 label syntax to a hostname we create.
func checkHostname(host string) error {
	h := strings.TrimSuffix(host, ".")
	if h == "" || len(host) > MaxHostnameLen {
		return fmt.Errorf("%w: hostname %q: length", ErrInvalidAddress, host)
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w: hostname %q: bad label %q", ErrInvalidAddress, host, label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%w: hostname %q: character %q (use Punycode for non-ASCII names)", ErrInvalidAddress, host, c)
			}
		}
	}
	return nil
}

// addressListLen returns the encoded size of addrs, checking that only the
// last one may have an unknown type.
func addressListLen(addrs []NetAddress) (int, error) {
	total := 0
	for i, a := range addrs {
		if !a.Type.Known() && i != len(addrs)-1 {
			return 0, fmt.Errorf("%w: address %d of unknown %s is not last", ErrInvalidAddress, i, a.Type)
		}
		n, err := a.encodedLen()
		if err != nil {
			return 0, fmt.Errorf("address %d: %w", i, err)
		}
		total += n
	}
	return total, nil
}

// appendAddressList appends addrlen and the descriptors.
func appendAddressList(b []byte, addrs []NetAddress) ([]byte, error) {
	n, err := addressListLen(addrs)
	if err != nil {
		return b, err
	}
	if n > 0xffff {
		return b, fmt.Errorf("addresses: %w", ErrFieldTooLong)
	}
	b = AppendU16(b, uint16(n))
	for _, a := range addrs {
		b, _ = AppendNetAddress(b, a)
	}
	return b, nil
}

// decodeAddressList parses the addresses field of node_announcement. raw
// must be a private copy: the returned addresses alias it. Parsing stops at
// the first descriptor of unknown type, which keeps the remaining bytes
// (BOLT 7: a reader SHOULD ignore the first unknown descriptor; as
// descriptors are in ascending order nothing after it can be known).
func decodeAddressList(raw []byte) ([]NetAddress, error) {
	// Count first so that the slice is allocated once, at its final size.
	count := 0
	for b := raw; len(b) > 0; count++ {
		_, n, err := decodeNetAddress(b)
		if err != nil {
			return nil, fmt.Errorf("address %d: %w", count, err)
		}
		b = b[n:]
	}
	if count == 0 {
		return nil, nil
	}
	addrs := make([]NetAddress, 0, count)
	for b := raw; len(b) > 0; {
		a, n, _ := decodeNetAddress(b)
		addrs = append(addrs, a)
		b = b[n:]
	}
	return addrs, nil
}
