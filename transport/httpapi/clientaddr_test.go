package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// clientAPI returns an API on svc with the given trusted proxies and
// client IP header.
func clientAPI(t testing.TB, svc *usecase.Service, trusted []string, header string) *httpapi.API {
	t.Helper()
	var prefixes []netip.Prefix
	for _, s := range trusted {
		prefixes = append(prefixes, netip.MustParsePrefix(s))
	}
	api, err := httpapi.New(httpapi.Config{Service: svc, TrustedProxies: prefixes, ClientIPHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// headers returns a Request.Header function over the given name, value
// pairs, as the net/http adapter builds it: canonical names, every line of
// a repeated header in order.
func headers(kv ...string) func(string) []string {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h.Values
}

// checkClientKey fails unless key is "", an IPv4 address in its canonical
// form or a canonical IPv6 /64 prefix with no zone: the only client keys
// ports.LoginAttempt.Client documents.
func checkClientKey(t testing.TB, key string) {
	t.Helper()
	if key == "" {
		return
	}
	if ip, err := netip.ParseAddr(key); err == nil && ip.Is4() && ip.String() == key {
		return
	}
	if p, err := netip.ParsePrefix(key); err == nil && p.Addr().Is6() && p.Addr().Zone() == "" &&
		p.Bits() == 64 && p == p.Masked() && p.String() == key {
		return
	}
	t.Fatalf("client key %q is neither an IPv4 address nor an IPv6 /64", key)
}

func TestClientAddress(t *testing.T) {
	svc := mustService(t)
	proxies := []string{"10.0.0.0/8"}
	tests := []struct {
		name    string
		trusted []string // Config.TrustedProxies
		header  string   // Config.ClientIPHeader
		remote  string   // Request.RemoteAddr
		hdr     []string // request headers, name and value pairs
		want    string
	}{
		// No trusted proxies (the default): only the connection counts.
		{name: "IPv4 peer with port", remote: "192.0.2.1:1234", want: "192.0.2.1"},
		{name: "IPv4 peer without port", remote: "192.0.2.1", want: "192.0.2.1"},
		{name: "X-Forwarded-For ignored without trusted proxies (spoofing)", remote: "198.51.100.7:5555",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "198.51.100.7"},
		{name: "X-Real-IP ignored without trusted proxies", header: "X-Real-IP", remote: "198.51.100.7:5555",
			hdr: []string{"X-Real-IP", "203.0.113.9"}, want: "198.51.100.7"},
		{name: "IPv6 peer grouped by /64", remote: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2::/64"},
		{name: "IPv6 peer without port", remote: "2001:db8:1:2:3:4:5:6", want: "2001:db8:1:2::/64"},
		{name: "IPv6 peer in brackets without port", remote: "[2001:db8:1:2::9]", want: "2001:db8:1:2::/64"},
		{name: "IPv4-mapped IPv6 peer unmapped", remote: "[::ffff:1.2.3.4]:80", want: "1.2.3.4"},
		{name: "zone dropped", remote: "[fe80::1%eth0]:80", want: "fe80::/64"},
		{name: "zone dropped, no port", remote: "fe80::1:2:3:4%25", want: "fe80::/64"},
		{name: "empty RemoteAddr", remote: "", want: ""},
		{name: "unparsable RemoteAddr", remote: "not-an-address:80", want: ""},
		{name: "RemoteAddr with empty port", remote: "192.0.2.1:", want: ""},
		{name: "RemoteAddr a host name", remote: "localhost:80", want: ""},
		{name: "unparsable RemoteAddr not rescued by a trusted-proxy header", trusted: []string{"0.0.0.0/0", "::/0"},
			remote: "", hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: ""},

		// Behind a trusted proxy, X-Forwarded-For (the default header).
		{name: "trusted proxy: rightmost untrusted hop", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, 10.0.0.2"}, want: "203.0.113.9"},
		{name: "IPv4-mapped trusted prefix matches an IPv4 peer", trusted: []string{"::ffff:10.0.0.0/104"}, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "IPv4-mapped trusted prefix matches a mapped peer", trusted: []string{"::ffff:10.0.0.0/104"}, remote: "[::ffff:10.0.0.1]:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted proxy: single hop", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted proxy: hops over several header lines", trusted: proxies, remote: "10.0.0.1:443",
			hdr:  []string{"X-Forwarded-For", "198.51.100.1, 203.0.113.9", "X-Forwarded-For", "10.0.0.3", "X-Forwarded-For", "10.0.0.2"},
			want: "203.0.113.9"},
		{name: "trusted proxy: address on the last line wins", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "trusted proxy: client-prepended fake address ignored", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted proxy: garbage the client prepended is never read", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "garbage, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted proxy: every hop trusted, peer used", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "10.0.0.5, 10.0.0.2"}, want: "10.0.0.1"},
		{name: "trusted proxy: garbage hop, peer used", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, garbage"}, want: "10.0.0.1"},
		{name: "trusted proxy: empty hop, peer used", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, , 10.0.0.2"}, want: "10.0.0.1"},
		{name: "trusted proxy: empty header, peer used", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", ""}, want: "10.0.0.1"},
		{name: "trusted proxy: no header, peer used", trusted: proxies, remote: "10.0.0.1:443", want: "10.0.0.1"},
		{name: "trusted proxy: hop with port and spaces", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", " \t203.0.113.9:8080 ,10.0.0.2"}, want: "203.0.113.9"},
		{name: "trusted proxy: IPv6 hop grouped by /64", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "2001:db8:a:b:c:d:e:f"}, want: "2001:db8:a:b::/64"},
		{name: "trusted proxy: IPv4-mapped hop unmapped", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "::ffff:203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted proxy: IPv4-mapped trusted hop skipped", trusted: proxies, remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, ::ffff:10.0.0.2"}, want: "203.0.113.9"},
		{name: "trusted proxy: IPv4-mapped peer unmapped before the trust check", trusted: proxies, remote: "[::ffff:10.0.0.1]:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "trusted IPv6 proxy", trusted: []string{"2001:db8:ffff::/48"}, remote: "[2001:db8:ffff::1]:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "peer outside the trusted proxies: header ignored", trusted: proxies, remote: "192.0.2.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "192.0.2.1"},
		{name: "header name in lower case in the config", trusted: proxies, header: "x-forwarded-for", remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9"}, want: "203.0.113.9"},

		// Behind a trusted proxy, X-Real-IP: one value, taken as is.
		{name: "X-Real-IP single value", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "X-Real-IP named in lower case", trusted: proxies, header: "x-real-ip", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "X-Real-IP IPv6", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "[2001:db8:1:2::1]:5000"}, want: "2001:db8:1:2::/64"},
		{name: "X-Real-IP on several lines, peer used", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "203.0.113.9", "X-Real-IP", "198.51.100.1"}, want: "10.0.0.1"},
		{name: "X-Real-IP holding a list, peer used", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "203.0.113.9, 198.51.100.1"}, want: "10.0.0.1"},
		{name: "X-Real-IP garbage, peer used", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Real-IP", "garbage"}, want: "10.0.0.1"},
		{name: "X-Real-IP configured: X-Forwarded-For ignored", trusted: proxies, header: "X-Real-IP", remote: "10.0.0.1:443",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: "10.0.0.1"},
		{name: "X-Real-IP from an untrusted peer ignored", trusted: proxies, header: "X-Real-IP", remote: "192.0.2.1:443",
			hdr: []string{"X-Real-IP", "203.0.113.9"}, want: "192.0.2.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := clientAPI(t, svc, tc.trusted, tc.header)
			req := httpapi.Request{RemoteAddr: tc.remote}
			if tc.hdr != nil {
				req.Header = headers(tc.hdr...)
			}
			got := api.ClientForTest(req)
			if got != tc.want {
				t.Errorf("client of RemoteAddr %q, headers %q = %q; want %q", tc.remote, tc.hdr, got, tc.want)
			}
			checkClientKey(t, got)
		})
	}
}

// TestRemote checks which requests count as coming from the server's own
// machine, where the built-in default admin password may log in: a
// loopback peer relaying nobody, or trusted proxies naming only loopback
// addresses.
func TestRemote(t *testing.T) {
	svc := mustService(t)
	loopProxy := []string{"127.0.0.0/8", "::1/128"}
	tests := []struct {
		name    string
		trusted []string
		remote  string
		hdr     []string
		want    bool
	}{
		{name: "loopback IPv4 peer", remote: "127.0.0.1:5000", want: false},
		{name: "loopback IPv6 peer", remote: "[::1]:5000", want: false},
		{name: "loopback peer in 127/8", remote: "127.0.0.2:5000", want: false},
		{name: "other peer", remote: "192.0.2.1:5000", want: true},
		{name: "private network peer", remote: "10.0.0.5:5000", want: true},
		{name: "unparsable peer (Unix socket)", remote: "@", want: true},
		{name: "empty peer", remote: "", want: true},
		{name: "loopback peer relaying with X-Forwarded-For, not trusted", remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: true},
		{name: "loopback peer with a spoofed loopback X-Forwarded-For, not trusted", remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "127.0.0.1"}, want: true},
		{name: "loopback peer relaying with X-Real-IP", remote: "127.0.0.1:5000", hdr: []string{"X-Real-Ip", "203.0.113.9"}, want: true},
		{name: "loopback peer relaying with Forwarded", remote: "127.0.0.1:5000", hdr: []string{"Forwarded", "for=203.0.113.9"}, want: true},
		{name: "loopback peer relaying with Via", remote: "127.0.0.1:5000", hdr: []string{"Via", "1.1 nginx"}, want: true},
		{name: "trusted loopback proxy naming a remote client", trusted: loopProxy, remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9"}, want: true},
		{name: "trusted loopback proxy naming a loopback client", trusted: loopProxy, remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "127.0.0.1"}, want: false},
		{name: "trusted loopback proxy without a header", trusted: loopProxy, remote: "127.0.0.1:5000", want: false},
		{name: "trusted proxies only, one of them on another host (a sidecar's client)",
			trusted: []string{"127.0.0.0/8", "10.0.0.0/8"}, remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "10.1.2.3"}, want: true},
		{name: "trusted proxies only, a spoofed loopback hop before another host",
			trusted: []string{"127.0.0.0/8", "10.0.0.0/8"}, remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "127.0.0.1, 10.1.2.3"}, want: true},
		{name: "trusted proxy elsewhere naming a loopback client", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "127.0.0.1"}, want: true},
		{name: "garbage forwarded hop", trusted: loopProxy, remote: "127.0.0.1:5000",
			hdr: []string{"X-Forwarded-For", "garbage"}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := clientAPI(t, svc, tc.trusted, "")
			req := httpapi.Request{RemoteAddr: tc.remote}
			if tc.hdr != nil {
				req.Header = headers(tc.hdr...)
			}
			if got := api.RemoteForTest(req); got != tc.want {
				t.Errorf("remote(RemoteAddr %q, headers %q) = %v; want %v", tc.remote, tc.hdr, got, tc.want)
			}
		})
	}
}

// TestClientAddressTrustedNilHeader checks that a trusted peer with no
// Header function (an adapter that does not fill it) is taken as the client.
func TestClientAddressTrustedNilHeader(t *testing.T) {
	api := clientAPI(t, mustService(t), []string{"10.0.0.0/8"}, "")
	if got := api.ClientForTest(httpapi.Request{RemoteAddr: "10.0.0.1:443"}); got != "10.0.0.1" {
		t.Errorf("client %q; want the peer 10.0.0.1", got)
	}
}

// TestClientAddressSame64 checks that the addresses of one IPv6 /64 share
// one key, so that rotating through them gains nothing, and that other
// /64s do not.
func TestClientAddressSame64(t *testing.T) {
	api := clientAPI(t, mustService(t), nil, "")
	key := func(remote string) string { return api.ClientForTest(httpapi.Request{RemoteAddr: remote}) }
	a, b := key("[2001:db8:1:2:3:4:5:6]:443"), key("[2001:db8:1:2:ffff:ffff:ffff:ffff]:50000")
	if a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("same /64: keys %q and %q; want both 2001:db8:1:2::/64", a, b)
	}
	if c := key("[2001:db8:1:3::6]:443"); c == a {
		t.Errorf("next /64 has the same key %q", c)
	}
}

// TestTrustedProxiesChecked checks that New refuses an invalid prefix.
func TestTrustedProxiesChecked(t *testing.T) {
	svc := mustService(t)
	for _, trusted := range [][]netip.Prefix{
		{{}},
		{netip.MustParsePrefix("10.0.0.0/8"), {}},
		{netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 33)},
		{netip.PrefixFrom(netip.MustParseAddr("2001:db8::"), -1)},
	} {
		if _, err := httpapi.New(httpapi.Config{Service: svc, TrustedProxies: trusted}); err == nil {
			t.Errorf("New accepted TrustedProxies %v", trusted)
		}
	}
	if _, err := httpapi.New(httpapi.Config{Service: svc, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::/0")}}); err != nil {
		t.Errorf("New refused ::/0: %v", err)
	}
}

// FuzzClientAddress sends arbitrary peer addresses and X-Forwarded-For (or
// X-Real-IP) values, its lines split at '\n', and checks that the client key
// is always "", an IPv4 address or an IPv6 /64; that with no trusted
// proxies the header never changes it; and that with trusted proxies it
// does so only when the peer is one of them.
func FuzzClientAddress(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.1:443", "203.0.113.9, 10.0.0.2"},
		{"198.51.100.7:5555", "203.0.113.9"},
		{"[2001:db8:ffff::1]:443", "1.1.1.1, 2001:db8:1:2::5\n2001:db8:ffff::2"},
		{"[::ffff:10.0.0.1]:80", "[fe80::1%eth0]:1"},
		{"", "203.0.113.9"},
	} {
		f.Add(s[0], s[1])
	}
	svc := newService(f, usecase.Config{})
	trusted := []string{"10.0.0.0/8", "127.0.0.1/32", "2001:db8:ffff::/48"}
	direct := clientAPI(f, svc, nil, "")
	behind := []*httpapi.API{clientAPI(f, svc, trusted, ""), clientAPI(f, svc, trusted, "X-Real-IP")}
	// isTrusted reports whether a peer's key lies in trusted; the /48 holds
	// whole /64s, so a /64 key is in it exactly when the peer is.
	isTrusted := func(key string) bool {
		ip, err := netip.ParseAddr(key)
		if err != nil {
			ip = netip.MustParsePrefix(key).Addr()
		}
		for _, s := range trusted {
			if netip.MustParsePrefix(s).Contains(ip) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, remoteAddr, header string) {
		lines := strings.Split(header, "\n")
		hdr := http.Header{"X-Forwarded-For": lines, "X-Real-Ip": lines}
		peer := direct.ClientForTest(httpapi.Request{RemoteAddr: remoteAddr})
		checkClientKey(t, peer)
		if got := direct.ClientForTest(httpapi.Request{RemoteAddr: remoteAddr, Header: hdr.Values}); got != peer {
			t.Fatalf("no trusted proxies: RemoteAddr %q with header %q gives %q, without %q", remoteAddr, header, got, peer)
		}
		for _, api := range behind {
			got := api.ClientForTest(httpapi.Request{RemoteAddr: remoteAddr, Header: hdr.Values})
			checkClientKey(t, got)
			switch {
			case peer == "" && got != "":
				t.Fatalf("unparsable RemoteAddr %q gave %q from header %q", remoteAddr, got, header)
			case peer != "" && got == "":
				t.Fatalf("RemoteAddr %q (%q) lost behind header %q", remoteAddr, peer, header)
			case peer != "" && !isTrusted(peer) && got != peer:
				t.Fatalf("untrusted peer %q (%q) believed header %q: %q", remoteAddr, peer, header, got)
			}
		}
	})
}
