package fetch

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http/httpproxy"

	"aggregator"
)

func TestAddrKind(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" for allowed
	}{
		// Public: allowed.
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"100.63.255.255", ""}, // just below CGNAT
		{"100.128.0.0", ""},    // just above
		{"172.15.255.255", ""}, // just below 172.16/12
		{"172.32.0.0", ""},
		{"169.253.255.255", ""},
		{"2606:4700:4700::1111", ""},
		{"2001:4860:4860::8888", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8

		// Refused.
		{"127.0.0.1", "loopback"},
		{"127.1.2.3", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.5", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:192.168.1.1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"169.254.0.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"169.254.169.254", "cloud metadata"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.100.100.200", "shared (CGNAT)"}, // Alibaba Cloud metadata
		{"100.127.255.255", "shared (CGNAT)"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"224.0.0.1", "multicast or broadcast"},
		{"239.255.255.250", "multicast or broadcast"},
		{"255.255.255.255", "multicast or broadcast"},
		{"ff02::1", "multicast or broadcast"},
		{"ff05::2", "multicast or broadcast"},
		{"64:ff9b::7f00:1", "loopback"}, // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", "cloud metadata"},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := addrKind(a); got != tt.want {
			t.Errorf("addrKind(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestDialControl calls the dialer's Control as the net package does: with
// the resolved address.
func TestDialControl(t *testing.T) {
	tests := []struct {
		network, address string
		allow            bool
		want             string // substring of the error; "" for nil
	}{
		{"tcp4", "93.184.216.34:443", false, ""},
		{"tcp6", "[2606:4700:4700::1111]:80", false, ""},
		{"tcp4", "10.0.0.5:80", false, "refusing to connect to 10.0.0.5, a private address; set fetch.allow_private_addresses: true to allow it"},
		{"tcp4", "127.0.0.1:8080", false, "127.0.0.1, a loopback address"},
		{"tcp6", "[::1]:8080", false, "::1, a loopback address"},
		{"tcp6", "[::ffff:10.1.2.3]:80", false, "10.1.2.3, a private address"},
		{"tcp6", "[fe80::1%eth0]:80", false, "fe80::1, a link-local address"},
		{"tcp4", "169.254.169.254:80", false, "169.254.169.254, a cloud metadata address"},
		{"tcp6", "[fd00:ec2::254]:80", false, "fd00:ec2::254, a cloud metadata address"},
		{"tcp4", "100.64.1.1:80", false, "100.64.1.1, a shared (CGNAT) address"},
		{"tcp4", "0.0.0.0:80", false, "0.0.0.0, an unspecified address"},
		{"tcp6", "[::]:80", false, "to ::, an unspecified address"},
		{"tcp4", "224.0.0.1:80", false, "a multicast or broadcast address"},
		{"unix", "/run/docker.sock", false, "not an IP address"},

		{"tcp4", "10.0.0.5:80", true, ""},
		{"tcp4", "127.0.0.1:8080", true, ""},
		{"tcp4", "169.254.169.254:80", true, ""},
	}
	for _, tt := range tests {
		control := dialControl(func() bool { return tt.allow })
		err := control(tt.network, tt.address, nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("control(%s, %s), allow %v = %v, want nil", tt.network, tt.address, tt.allow, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("control(%s, %s), allow %v = %v, want an error with %q", tt.network, tt.address, tt.allow, err, tt.want)
		}
		if err != nil && tt.network != "unix" && !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("control(%s, %s) = %v, not ErrPrivateAddress", tt.network, tt.address, err)
		}
	}
}

func TestNewClientRefusesPrivate(t *testing.T) {
	if NewClient("ua").AllowPrivate {
		t.Fatal("NewClient allows private addresses")
	}
}

// TestFetchPrivate: a server on 127.0.0.1 is refused unless AllowPrivate,
// and so is the same server named localhost, which resolves to it.
func TestFetchPrivate(t *testing.T) {
	feed := rssDoc("Local", 1)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(feed)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	byName := "http://localhost:" + u.Port() + "/feed.xml"

	for _, feedURL := range []string{srv.URL + "/feed.xml", byName} {
		c := newTestClient()
		c.AllowPrivate = false
		_, err := fetchURL(t, c, feedURL, aggregator.FeedState{})
		if !errors.Is(err, ErrPrivateAddress) {
			t.Fatalf("fetch %s: err = %v, want ErrPrivateAddress", feedURL, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "fetch "+feedURL+": refusing to connect to ") ||
			!strings.HasSuffix(msg, ", a loopback address; set fetch.allow_private_addresses: true to allow it") {
			t.Errorf("error = %q", msg)
		}

		c = newTestClient() // AllowPrivate: true
		res, err := fetchURL(t, c, feedURL, aggregator.FeedState{})
		if err != nil {
			t.Fatalf("fetch %s with AllowPrivate: %v", feedURL, err)
		}
		if len(res.Items) != 1 {
			t.Errorf("fetch %s: %d items", feedURL, len(res.Items))
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("server hit %d times, want 2 (only with AllowPrivate)", n)
	}
}

// firstHop answers requests to public.example itself, standing in for a
// public server, and passes the rest to the real Transport.
type firstHop struct {
	next     http.RoundTripper
	location string
}

func (f firstHop) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "public.example" {
		return f.next.RoundTrip(r)
	}
	return &http.Response{
		StatusCode: http.StatusFound,
		Header:     http.Header{"Location": {f.location}},
		Body:       http.NoBody,
		Request:    r,
	}, nil
}

// TestFetchRedirectToPrivate: a public server redirecting to a loopback one
// (by address and by name) is refused unless AllowPrivate.
func TestFetchRedirectToPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(rssDoc("Local", 1))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	for _, target := range []string{srv.URL + "/feed.xml", "http://localhost:" + u.Port() + "/feed.xml"} {
		for _, allow := range []bool{false, true} {
			c := newTestClient()
			c.AllowPrivate = allow
			c.HTTP.Transport = firstHop{next: c.HTTP.Transport, location: target}
			res, err := fetchURL(t, c, "http://public.example/feed", aggregator.FeedState{})
			if allow {
				if err != nil || len(res.Items) != 1 {
					t.Errorf("redirect to %s, AllowPrivate: %+v, %v", target, res, err)
				}
				continue
			}
			if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "fetch.allow_private_addresses") {
				t.Errorf("redirect to %s: err = %v, want ErrPrivateAddress", target, err)
			}
		}
	}
}

// TestFetchFileUnaffected: file:// feeds are read whatever AllowPrivate says.
func TestFetchFileUnaffected(t *testing.T) {
	c := NewClient(testUA)
	path := t.TempDir() + "/feed.xml"
	if err := os.WriteFile(path, rssDoc("File", 2), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := fetchURL(t, c, "file://"+path, aggregator.FeedState{})
	if err != nil || len(res.Items) != 2 {
		t.Fatalf("fetch file: %+v, %v", res, err)
	}
}

// TestFetchViaProxy: a proxy on a loopback address is dialled (the operator
// configured it), but a literal non-public target is refused before the
// proxy sees it.
func TestFetchViaProxy(t *testing.T) {
	var seen atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.String()) // absolute-form request target
		w.Write(rssDoc("Proxied", 1))
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)

	c := newTestClient()
	c.AllowPrivate = false
	g := newGuardedDialer(&net.Dialer{}, http.ProxyURL(proxyURL), func() bool { return c.AllowPrivate })
	c.HTTP = &http.Client{Transport: &http.Transport{Proxy: g.Proxy, DialContext: g.DialContext}}

	res, err := fetchURL(t, c, "http://public.example/feed", aggregator.FeedState{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("fetch via proxy: %+v, %v", res, err)
	}
	if got := seen.Load(); got != "http://public.example/feed" {
		t.Errorf("proxy saw %v", got)
	}
	_, err = fetchURL(t, c, "http://169.254.169.254/latest/meta-data/", aggregator.FeedState{})
	if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "cloud metadata") {
		t.Errorf("fetch metadata via proxy: err = %v, want ErrPrivateAddress", err)
	}
}

// TestFetchRedirectToProxyAddress: a proxied server that redirects to the
// proxy's own loopback address (which is not proxied, as with HTTP_PROXY)
// does not reach the proxy's port directly: only the dials to the proxy
// that the Transport chose for the request are exempt from the check.
func TestFetchRedirectToProxyAddress(t *testing.T) {
	var proxied, direct atomic.Int32
	var proxyURL *url.URL
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !r.URL.IsAbs(): // origin-form: a request straight to this port
			direct.Add(1)
			w.Write(rssDoc("Behind the proxy", 1))
		case r.URL.Path == "/redirect":
			proxied.Add(1)
			http.Redirect(w, r, "http://"+proxyURL.Host+"/admin", http.StatusFound)
		default:
			proxied.Add(1)
			w.Write(rssDoc("Proxied", 1))
		}
	}))
	defer proxy.Close()
	proxyURL, _ = url.Parse(proxy.URL)
	fromEnv := (&httpproxy.Config{HTTPProxy: proxy.URL}).ProxyFunc()

	c := newTestClient()
	c.AllowPrivate = false
	g := newGuardedDialer(&net.Dialer{}, func(r *http.Request) (*url.URL, error) { return fromEnv(r.URL) }, func() bool { return c.AllowPrivate })
	tr := &http.Transport{Proxy: g.Proxy, DialContext: g.DialContext}
	defer tr.CloseIdleConnections()
	c.HTTP = &http.Client{Transport: tr}

	// The loopback proxy is dialled for a proxied request…
	res, err := fetchURL(t, c, "http://public.example/feed", aggregator.FeedState{})
	if err != nil || len(res.Items) != 1 || res.Title != "Proxied" {
		t.Fatalf("fetch via proxy: %+v, %v", res, err)
	}
	// …but not for a redirect to its address, fresh connection or not.
	for _, keepAlive := range []bool{true, false} {
		tr.DisableKeepAlives = !keepAlive
		_, err = fetchURL(t, c, "http://public.example/redirect", aggregator.FeedState{})
		if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "127.0.0.1, a loopback address") {
			t.Errorf("keep-alive %v: err = %v, want ErrPrivateAddress for 127.0.0.1", keepAlive, err)
		}
	}
	if n := proxied.Load(); n != 3 {
		t.Errorf("the proxy relayed %d requests, want 3", n)
	}
	if n := direct.Load(); n != 0 {
		t.Errorf("the proxy's port was reached directly %d times, want 0", n)
	}
}
