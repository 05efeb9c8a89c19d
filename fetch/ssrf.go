package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
)

// Protection against server-side request forgery: a feed URL, or a redirect
// from one, must not make the aggregator talk to itself, to the machines of
// its own network or to a cloud metadata service. Addresses are checked in
// net.Dialer.Control, that is after DNS resolution and for every address
// actually dialled, so a name that resolves (or re-resolves) to a private
// address is caught too.

// ErrPrivateAddress is returned (wrapped in a *PrivateAddressError) when a
// Client with AllowPrivate false would connect to a non-public address.
var ErrPrivateAddress = errors.New("refusing to connect to a non-public address")

// PrivateAddressError is the error of a refused connection.
type PrivateAddressError struct {
	Addr netip.Addr // the address refused, IPv4-mapped forms unmapped
	Kind string     // what it is: "loopback", "private", "cloud metadata"…
}

func (e *PrivateAddressError) Error() string {
	article := "a"
	switch e.Kind[0] {
	case 'a', 'e', 'i', 'o', 'u':
		article = "an"
	}
	return fmt.Sprintf("refusing to connect to %s, %s %s address; set fetch.allow_private_addresses: true to allow it",
		e.Addr, article, e.Kind)
}

// Unwrap makes errors.Is(err, ErrPrivateAddress) hold.
func (e *PrivateAddressError) Unwrap() error { return ErrPrivateAddress }

var (
	// metadataAddrs are cloud metadata services (AWS, GCP, Azure… and AWS
	// over IPv6). The ranges below cover them; they are named apart only
	// so that the error says what they are.
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"),
		netip.MustParseAddr("fd00:ec2::254"),
	}
	// Ranges netip has no predicate for.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")     // "this network"; 0.0.0.0 reaches the host itself
	cgnat       = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT shared space (RFC 6598)
	broadcast   = netip.MustParseAddr("255.255.255.255")
	nat64       = netip.MustParsePrefix("64:ff9b::/96") // IPv4 embedded in IPv6 by a NAT64 gateway (RFC 6052)
)

// addrKind says why a connection to a is refused, "" if it is allowed: a
// public unicast address.
func addrKind(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, m := range metadataAddrs {
		if a == m {
			return "cloud metadata"
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified(), thisNetwork.Contains(a):
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case cgnat.Contains(a):
		return "shared (CGNAT)"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(), a == broadcast:
		return "multicast or broadcast"
	}
	return ""
}

// checkAddr is the check of one address: nil if it is public.
func checkAddr(a netip.Addr) error {
	if kind := addrKind(a); kind != "" {
		return &PrivateAddressError{Addr: a.WithZone("").Unmap(), Kind: kind}
	}
	return nil
}

// dialControl is a net.Dialer.Control refusing non-public addresses unless
// allowPrivate says otherwise. address is the resolved "ip:port".
func dialControl(allowPrivate func() bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate != nil && allowPrivate() {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			// Not an IP address (a Unix socket, say): nothing an HTTP
			// fetch should dial.
			return fmt.Errorf("refusing to connect to %q over %s: not an IP address", address, network)
		}
		return checkAddr(ap.Addr())
	}
}

// guardedDialer dials with the address check, except to the proxy the
// Transport chose for the request being sent (from HTTP_PROXY and the
// like): the operator configured it, and a proxy on 127.0.0.1 is common.
// Which dial is the one to that proxy is told by the proxyRoute in the
// dial's context (see withProxyRoute), not by the address: a redirect to
// the proxy's own address, which is not proxied if it is a loopback one,
// is dialled with the check like any other.
type guardedDialer struct {
	allowPrivate func() bool
	checked      *net.Dialer // Control refuses non-public addresses
	plain        *net.Dialer // for proxies
	proxy        func(*http.Request) (*url.URL, error)
}

func newGuardedDialer(d *net.Dialer, proxy func(*http.Request) (*url.URL, error), allowPrivate func() bool) *guardedDialer {
	checked := *d
	checked.Control = dialControl(allowPrivate)
	return &guardedDialer{allowPrivate: allowPrivate, checked: &checked, plain: d, proxy: proxy}
}

// proxyRoute is the "host:port" of the proxy through which the request of
// a fetch now being sent goes, "" for none. A fetch sends its requests
// (one per redirect hop) one after another, and the Transport asks for
// the proxy of each (guardedDialer.Proxy) before it dials for it, so one
// proxyRoute serves a whole fetch.
type proxyRoute struct {
	addr atomic.Pointer[string]
}

type proxyRouteKey struct{}

// withProxyRoute returns ctx with a new proxyRoute, for the requests of one
// fetch. A request whose context has none is never dialled unchecked, not
// even to its proxy.
func withProxyRoute(ctx context.Context) context.Context {
	return context.WithValue(ctx, proxyRouteKey{}, new(proxyRoute))
}

func routeOf(ctx context.Context) *proxyRoute {
	r, _ := ctx.Value(proxyRouteKey{}).(*proxyRoute)
	return r
}

// Proxy is the Transport's Proxy: g.proxy, noting the proxy's address in
// the request's proxyRoute. A proxy resolves the feed's host itself, so
// only a literal non-public IP address can be refused before the request
// is sent.
func (g *guardedDialer) Proxy(req *http.Request) (*url.URL, error) {
	route, addr := routeOf(req.Context()), ""
	if route != nil {
		defer func() { route.addr.Store(&addr) }()
	}
	if g.proxy == nil {
		return nil, nil
	}
	p, err := g.proxy(req)
	if err != nil || p == nil {
		return p, err
	}
	if g.allowPrivate == nil || !g.allowPrivate() {
		if a, err := netip.ParseAddr(req.URL.Hostname()); err == nil {
			if err := checkAddr(a); err != nil {
				return nil, err
			}
		}
	}
	addr = proxyAddr(p)
	return p, nil
}

// proxyAddr is the "host:port" the Transport dials for proxy p.
func proxyAddr(p *url.URL) string {
	port := p.Port()
	if port == "" {
		switch p.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(p.Hostname(), port)
}

// DialContext is the Transport's DialContext. A refused address comes back
// as the bare *PrivateAddressError, whose message says what to do, rather
// than inside a *net.OpError.
func (g *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if route := routeOf(ctx); route != nil {
		if p := route.addr.Load(); p != nil && strings.EqualFold(*p, addr) {
			return g.plain.DialContext(ctx, network, addr)
		}
	}
	conn, err := g.checked.DialContext(ctx, network, addr)
	if pe, ok := errors.AsType[*PrivateAddressError](err); ok {
		return nil, pe
	}
	return conn, err
}
