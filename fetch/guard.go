package fetch

import (
	"fmt"
	"net/netip"
	"syscall"

	"code.dny.dev/ssrf"
)

// addressGuard decides which addresses the client may connect to. It runs in
// net.Dialer.Control, that is after DNS resolution and before connect(2), so
// it sees the address actually dialled, for every hop of a redirect chain.
type addressGuard struct {
	// allow lists the operator's exceptions (fetch.allow_cidrs).
	allow []netip.Prefix
	// deny is code.dny.dev/ssrf's table of the IANA special-purpose ranges:
	// loopback, RFC 1918, link-local (169.254.169.254 metadata), CGNAT
	// (100.100.100.200 metadata), multicast, unspecified, documentation,
	// benchmarking, and for IPv6 everything outside global unicast.
	deny *ssrf.Guardian
}

func newAddressGuard(cidrs []string) (*addressGuard, error) {
	g := &addressGuard{deny: ssrf.New(ssrf.WithAnyPort())}
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("allow_cidrs: %w", err)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}

// check returns nil when ip may be dialled and an error wrapping
// ErrBlockedAddress otherwise.
func (g *addressGuard) check(ip netip.Addr) error {
	if !ip.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlockedAddress)
	}
	// An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4
	// host: judge it as that host, so the allow list and the IPv4 deny
	// ranges apply to it alike.
	ip = ip.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if err := g.deny.SafeAddr(ip); err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ip)
	}
	return nil
}

// control is the net.Dialer.Control hook.
func (g *addressGuard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrBlockedAddress, address)
	}
	return g.check(ap.Addr())
}
