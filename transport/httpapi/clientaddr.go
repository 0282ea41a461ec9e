package httpapi

import (
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// clientResolver works out which client a request comes from, for login
// throttling and the audit log.
type clientResolver struct {
	trusted []netip.Prefix
	header  string
	xff     bool
}

func newClientResolver(trusted []netip.Prefix, header string) (clientResolver, error) {
	trusted = slices.Clone(trusted)
	for i, p := range trusted {
		if !p.IsValid() {
			return clientResolver{}, errors.New("httpapi: Config.TrustedProxies holds an invalid prefix")
		}
		// Peers are unmapped (::ffff:10.0.0.1 is 10.0.0.1), so an
		// IPv4-mapped prefix must be too, or it would never match.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			trusted[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
	}
	if header == "" {
		header = DefaultClientIPHeader
	}
	header = http.CanonicalHeaderKey(header)
	return clientResolver{
		trusted: trusted,
		header:  header,
		xff:     header == "X-Forwarded-For",
	}, nil
}

// client returns the client key of req (see ports.LoginAttempt.Client): the
// peer's address or, if the peer is a trusted proxy, the address the proxy
// reports; "" if neither parses.
func (c clientResolver) client(req Request) string {
	peer, ok := parseAddr(req.RemoteAddr)
	if !ok {
		return ""
	}
	if c.isTrusted(peer) && req.Header != nil {
		if ip, ok := c.forwarded(req.Header(c.header)); ok {
			return clientKey(ip)
		}
	}
	return clientKey(peer)
}

// proxyHeaders are the headers by which a proxy relays another client's
// request. A loopback peer that sends one of them (and is not a trusted
// proxy) is relaying a client that may be anywhere.
var proxyHeaders = []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded", "X-Forwarded-Host", "Via"}

// remote reports whether req may come from another machine than the
// server's (see usecase.Client.Local). It is local only from a
// loopback peer that relays nobody: no proxy header, or, if the peer is a
// trusted proxy, a forwarded client and hops that are all loopback
// addresses. A peer address that does not parse (a Unix socket) counts as
// remote.
func (c clientResolver) remote(req Request) bool {
	peer, ok := parseAddr(req.RemoteAddr)
	if !ok || !peer.IsLoopback() {
		return true
	}
	if req.Header == nil {
		return false
	}
	if c.isTrusted(peer) {
		if values := req.Header(c.header); len(values) > 0 {
			if ip, ok := c.forwarded(values); ok {
				return !ip.IsLoopback()
			}
			// Every hop a trusted proxy: local only if every one is on
			// this machine (a trusted proxy elsewhere on the network
			// relays a client that is not).
			return !c.onlyLoopback(values)
		}
	}
	if len(req.Header(c.header)) > 0 {
		return true
	}
	return slices.ContainsFunc(proxyHeaders, func(h string) bool { return len(req.Header(h)) > 0 })
}

func (c clientResolver) isTrusted(ip netip.Addr) bool {
	return slices.ContainsFunc(c.trusted, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// forwarded returns the client address in the values of the client IP
// header. For X-Forwarded-For (a list appended to by each proxy) it is the
// rightmost address that is not a trusted proxy: the left part is whatever
// the client sent, and cannot be believed.
func (c clientResolver) forwarded(values []string) (netip.Addr, bool) {
	if !c.xff {
		if len(values) != 1 {
			return netip.Addr{}, false
		}
		return parseAddr(values[0])
	}
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseAddr(hops[i])
		if !ok {
			return netip.Addr{}, false
		}
		if !c.isTrusted(ip) {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// onlyLoopback reports whether the X-Forwarded-For values name loopback
// addresses only.
func (c clientResolver) onlyLoopback(values []string) bool {
	if !c.xff {
		return false
	}
	for _, v := range values {
		for _, hop := range strings.Split(v, ",") {
			if ip, ok := parseAddr(hop); !ok || !ip.IsLoopback() {
				return false
			}
		}
	}
	return true
}

// parseAddr parses an IP address with or without a port, unmapping
// IPv4-in-IPv6 and dropping any zone.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

// clientKey is the throttling key of an address: an IPv4 address itself,
// an IPv6 address's /64, the smallest block a single subscriber is usually
// given (so rotating through it gains nothing).
func clientKey(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}
