package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aggregator"
)

const testUA = "aggregator-test/1.0 (+https://agg.example/)"

// t0 is the fixed clock of the tests: Friday 15 March 2024, noon UTC.
var t0 = time.Date(2024, time.March, 15, 12, 0, 0, 0, time.UTC)

func newTestClient() *Client {
	c := NewClient(testUA)
	c.AllowPrivate = true // the test servers listen on 127.0.0.1
	c.Timeout = 5 * time.Second
	c.Now = func() time.Time { return t0 }
	return c
}

// fetchURL fetches feedURL with state and nothing else.
func fetchURL(t *testing.T, c *Client, feedURL string, state aggregator.FeedState) (*Result, error) {
	t.Helper()
	return c.Fetch(t.Context(), Request{URL: feedURL, State: state})
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rssDoc is a small RSS 2.0 document with n items.
func rssDoc(title string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://site.example/</link>`, title)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>%s item %d</title><link>https://site.example/%d</link><guid>%s-%d</guid>`+
			`<description>Item &lt;b&gt;%d&lt;/b&gt; of %s.</description><pubDate>Fri, 15 Mar 2024 10:%02d:00 GMT</pubDate></item>`,
			title, i, i, title, i, i, title, i%60)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// waitUntil spins (yielding, never sleeping) until cond holds, failing the
// test after 5s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

func TestNewClient(t *testing.T) {
	c := NewClient("ua")
	if c.UserAgent != "ua" || c.MaxBodySize != DefaultMaxBodySize || c.Timeout != DefaultTimeout ||
		c.Concurrency != DefaultConcurrency || c.PerHost != DefaultPerHost || c.Now != nil {
		t.Errorf("NewClient = %+v", c)
	}
	tr, ok := c.HTTP.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T, want *http.Transport", c.HTTP.Transport)
	}
	if tr.Proxy == nil || !tr.ForceAttemptHTTP2 || tr.TLSHandshakeTimeout == 0 || tr.DisableCompression {
		t.Errorf("Transport not tuned: %+v", tr)
	}
	if tr.ResponseHeaderTimeout != 0 {
		t.Errorf("ResponseHeaderTimeout = %v, want none: the fetch's timeout bounds the wait", tr.ResponseHeaderTimeout)
	}
}

// TestFetchSlowHeaders: a fetch waits for the response headers as long as
// its own timeout allows, even past every timeout of the Transport. Those
// are scaled down a hundredfold here, as are the fetch's timeout (1 s for
// 100 s) and the server's delay (300 ms for 30 s): a 20 s wait for headers
// would have been 200 ms.
func TestFetchSlowHeaders(t *testing.T) {
	const scale = 100
	const delay = 300 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Write(rssDoc("Slow", 1))
	}))
	defer srv.Close()

	c := newTestClient()
	tr := c.HTTP.Transport.(*http.Transport)
	defer tr.CloseIdleConnections()
	tr.TLSHandshakeTimeout /= scale
	tr.ResponseHeaderTimeout /= scale
	tr.ExpectContinueTimeout /= scale
	tr.IdleConnTimeout /= scale

	res, err := c.Fetch(t.Context(), Request{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		t.Fatalf("fetch with a 1 s timeout from a server that answers in %v: %v", delay, err)
	}
	if len(res.Items) != 1 {
		t.Errorf("got %d items, want 1", len(res.Items))
	}
}

// TestFetchConditional: a first fetch returns the validators, a second one
// sends them back and gets a 304, which is not read or parsed.
func TestFetchConditional(t *testing.T) {
	feed := readFixture(t, "korea-desk.atom")
	const etag = `"v1"`
	const lastMod = "Tue, 12 Sep 2023 07:45:00 GMT"

	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		switch {
		case r.URL.Query().Has("garbage") && (inm != "" || ims != ""):
			// A 304 with a body, which a client must not read.
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 304 Not Modified\r\nContent-Length: 24\r\nConnection: close\r\n\r\n\x00\x01 not < a feed at all {")
			buf.Flush()
			return
		case inm == etag || (inm == "" && ims == lastMod):
			if !r.URL.Query().Has("omit") {
				w.Header().Set("ETag", `"v2"`)
			}
			w.Header().Set("Cache-Control", "max-age=300")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		if !r.URL.Query().Has("lm-only") {
			w.Header().Set("ETag", etag)
		}
		w.Header().Set("Last-Modified", lastMod)
		w.Write(feed)
	}))
	defer srv.Close()

	c := newTestClient()
	res, err := fetchURL(t, c, srv.URL+"/feed.atom", aggregator.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.NotModified || res.Unchanged || res.ETag != etag || res.LastModified != lastMod {
		t.Errorf("first fetch: Status %d NotModified=%v Unchanged=%v ETag=%q LastModified=%q",
			res.StatusCode, res.NotModified, res.Unchanged, res.ETag, res.LastModified)
	}
	if res.BodyHash != hashOf(feed) {
		t.Errorf("BodyHash = %q, want %q", res.BodyHash, hashOf(feed))
	}
	if len(res.Items) != 3 || res.Title != "Korea Desk" || res.AtomID != "tag:korea-desk.example,2023:feed" {
		t.Errorf("first fetch: %d items, Title %q, AtomID %q", len(res.Items), res.Title, res.AtomID)
	}
	mu.Lock()
	got = nil
	mu.Unlock()

	tests := []struct {
		name     string
		query    string
		state    aggregator.FeedState
		wantETag string
		wantLM   string
		wantSent [2]string // If-None-Match, If-Modified-Since
	}{
		{"etag round trip, new validators", "", aggregator.FeedState{ETag: etag, LastModified: lastMod}, `"v2"`, lastMod, [2]string{etag, lastMod}},
		{"304 omitting validators keeps the old ones", "?omit", aggregator.FeedState{ETag: etag, LastModified: lastMod}, etag, lastMod, [2]string{etag, lastMod}},
		{"last-modified round trip", "?omit", aggregator.FeedState{LastModified: lastMod}, "", lastMod, [2]string{"", lastMod}},
		{"304 with a body is not read", "?garbage", aggregator.FeedState{ETag: etag}, etag, "", [2]string{etag, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			res, err := fetchURL(t, c, srv.URL+"/feed.atom"+tt.query, tt.state)
			if err != nil {
				t.Fatal(err)
			}
			if !res.NotModified || res.StatusCode != http.StatusNotModified || res.ETag != tt.wantETag || res.LastModified != tt.wantLM {
				t.Errorf("result = %+v, want 304 with ETag %q, Last-Modified %q", res, tt.wantETag, tt.wantLM)
			}
			if res.Items != nil || res.Title != "" || res.BodyHash != "" || res.Unchanged {
				t.Errorf("304 was parsed or hashed: %+v", res)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("server saw %d requests", len(got))
			}
			if sent := [2]string{got[0].Get("If-None-Match"), got[0].Get("If-Modified-Since")}; sent != tt.wantSent {
				t.Errorf("sent If-None-Match, If-Modified-Since = %q, want %q", sent, tt.wantSent)
			}
		})
	}

	t.Run("304 freshness", func(t *testing.T) {
		res, err := fetchURL(t, c, srv.URL+"/feed.atom", aggregator.FeedState{ETag: etag})
		if err != nil {
			t.Fatal(err)
		}
		if res.Freshness != 5*time.Minute {
			t.Errorf("Freshness = %v, want 5m from the 304's Cache-Control", res.Freshness)
		}
	})

	t.Run("request headers", func(t *testing.T) {
		mu.Lock()
		got = nil
		mu.Unlock()
		if _, err := fetchURL(t, c, srv.URL+"/feed.atom", aggregator.FeedState{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		h := got[0]
		if h.Get("User-Agent") != testUA {
			t.Errorf("User-Agent = %q", h.Get("User-Agent"))
		}
		if h.Get("Accept") != acceptHeader || !strings.HasPrefix(h.Get("Accept"), "application/atom+xml, application/rss+xml, application/feed+json") {
			t.Errorf("Accept = %q", h.Get("Accept"))
		}
		if !strings.Contains(h.Get("Accept-Encoding"), "gzip") {
			t.Errorf("Accept-Encoding = %q, want gzip offered", h.Get("Accept-Encoding"))
		}
		if h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
			t.Errorf("request without state was conditional: %v", h)
		}
	})
}

// TestFetchUnchanged: without validators, the body hash stands in for them.
func TestFetchUnchanged(t *testing.T) {
	var mu sync.Mutex
	body := rssDoc("One", 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		if r.URL.Query().Has("validators") {
			w.Header().Set("ETag", `"always-new"`) // and never answers 304
		}
		if r.URL.Query().Has("garbage") {
			b = []byte("\x00 not a feed {")
		}
		w.Write(b)
	}))
	defer srv.Close()
	c := newTestClient()

	first, err := fetchURL(t, c, srv.URL+"/feed", aggregator.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Unchanged || len(first.Items) != 2 || first.BodyHash != hashOf(body) {
		t.Fatalf("first fetch = %+v", first)
	}
	state := aggregator.FeedState{BodyHash: first.BodyHash}

	t.Run("same body", func(t *testing.T) {
		res, err := fetchURL(t, c, srv.URL+"/feed", state)
		if err != nil {
			t.Fatal(err)
		}
		want := &Result{StatusCode: 200, Unchanged: true, BodyHash: first.BodyHash}
		if !equalResults(res, want) {
			t.Errorf("got %+v, want %+v", res, want)
		}
	})
	t.Run("same body is not parsed", func(t *testing.T) {
		res, err := fetchURL(t, c, srv.URL+"/feed?garbage", aggregator.FeedState{BodyHash: hashOf([]byte("\x00 not a feed {"))})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Unchanged {
			t.Errorf("got %+v, want Unchanged", res)
		}
	})
	t.Run("validators sent: parsed", func(t *testing.T) {
		res, err := fetchURL(t, c, srv.URL+"/feed?validators", state)
		if err != nil {
			t.Fatal(err)
		}
		if res.Unchanged || len(res.Items) != 2 || res.BodyHash != first.BodyHash || res.ETag != `"always-new"` {
			t.Errorf("got %+v, want parsed", res)
		}
	})
	t.Run("changed body", func(t *testing.T) {
		mu.Lock()
		body = rssDoc("Two", 3)
		mu.Unlock()
		res, err := fetchURL(t, c, srv.URL+"/feed", state)
		if err != nil {
			t.Fatal(err)
		}
		if res.Unchanged || len(res.Items) != 3 || res.Title != "Two" || res.BodyHash != hashOf(rssDoc("Two", 3)) {
			t.Errorf("got %+v, want parsed with a new hash", res)
		}
	})
}

func equalResults(a, b *Result) bool {
	return fmt.Sprintf("%#v", *a) == fmt.Sprintf("%#v", *b)
}

func TestFetchResponses(t *testing.T) {
	worldWire := readFixture(t, "world-wire.rss")
	// Valid RSS that inflates to ~1 MiB but compresses to a few KiB.
	bomb := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Bomb</title><description>` +
		strings.Repeat(" ", 1<<20) + `</description></channel></rss>`)
	bombGz := gzipBytes(t, bomb)
	const bombLimit = 64 << 10
	if len(bombGz) >= 8<<10 {
		t.Fatalf("gzip bomb is %d bytes compressed, not a few KiB", len(bombGz))
	}

	tests := []struct {
		name    string
		handler http.HandlerFunc
		maxBody int64
		check   func(t *testing.T, res *Result, err error)
	}{
		{
			name: "gzip decoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipBytes(t, worldWire))
			},
			check: func(t *testing.T, res *Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Items) != 3 || res.Items[0].GUID != "ww-asia-66789012" || res.BodyHash != hashOf(worldWire) {
					t.Errorf("got %+v", res)
				}
				if res.TTL != 15*time.Minute {
					t.Errorf("TTL = %v, want the fixture's 15m", res.TTL)
				}
			},
		},
		{
			name: "too large with content-length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(worldWire)
			},
			maxBody: 1024,
			check:   wantTooLarge,
		},
		{
			name: "too large chunked",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for chunk := range slices.Chunk(worldWire, 256) {
					w.Write(chunk)
					w.(http.Flusher).Flush()
				}
			},
			maxBody: 1024,
			check:   wantTooLarge,
		},
		{
			// Only a bounded read stops here: reading it all would run into
			// the timeout instead.
			name: "endless body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				chunk := bytes.Repeat([]byte("<x>"), 1024)
				for r.Context().Err() == nil {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			maxBody: 1 << 20,
			check:   wantTooLarge,
		},
		{
			name: "exactly at the limit",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(worldWire)
			},
			maxBody: int64(len(worldWire)),
			check: func(t *testing.T, res *Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Items) != 3 {
					t.Errorf("got %d items", len(res.Items))
				}
			},
		},
		{
			name: "gzip bomb inflating past the limit",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(bombGz)
			},
			maxBody: bombLimit,
			check:   wantTooLarge,
		},
		{
			name:    "404",
			handler: http.NotFound,
			check: func(t *testing.T, res *Result, err error) {
				he := wantHTTPError(t, res, err, http.StatusNotFound)
				if he.RetryAfter != 0 {
					t.Errorf("RetryAfter = %v, want 0", he.RetryAfter)
				}
				if !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), he.URL) {
					t.Errorf("error %q names neither status nor URL", err)
				}
			},
		},
		{
			name: "garbage body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Write([]byte("\x00\x01 definitely { not < a feed"))
			},
			check: func(t *testing.T, res *Result, err error) {
				if err == nil {
					t.Fatalf("no error, got %+v", res)
				}
				var he *HTTPError
				if errors.As(err, &he) || errors.Is(err, ErrTooLarge) {
					t.Errorf("wrong error kind: %v", err)
				}
				if !strings.Contains(err.Error(), "parse feed: ") {
					t.Errorf("error %q lacks parse feed context", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := newTestClient()
			if tt.maxBody != 0 {
				c.MaxBodySize = tt.maxBody
			}
			res, err := fetchURL(t, c, srv.URL+"/feed.xml", aggregator.FeedState{})
			tt.check(t, res, err)
		})
	}
}

func wantTooLarge(t *testing.T, res *Result, err error) {
	t.Helper()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v (res %+v), want ErrTooLarge", err, res)
	}
}

func wantHTTPError(t *testing.T, res *Result, err error, status int) *HTTPError {
	t.Helper()
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v (res %+v), want *HTTPError", err, res)
	}
	if he.StatusCode != status {
		t.Errorf("StatusCode = %d, want %d", he.StatusCode, status)
	}
	if !strings.HasSuffix(he.URL, "/feed.xml") {
		t.Errorf("URL = %q", he.URL)
	}
	return he
}

// TestFetchRetryAfter: an HTTPError carries Retry-After, and Policy waits
// for it. Dates count from the response's Date, else from Client.Now.
func TestFetchRetryAfter(t *testing.T) {
	httpDate := func(d time.Duration) string { return t0.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name       string
		status     int
		retryAfter string
		date       string // "" suppresses the Date header
		want       time.Duration
	}{
		{"429 seconds", http.StatusTooManyRequests, "120", "", 2 * time.Minute},
		{"429 http date, no Date", http.StatusTooManyRequests, httpDate(time.Hour), "", time.Hour},
		{"429 http date against the server's Date", http.StatusTooManyRequests, httpDate(70 * time.Minute), httpDate(10 * time.Minute), time.Hour},
		{"429 http date in the past", http.StatusTooManyRequests, httpDate(-time.Hour), "", 0},
		{"503 seconds", http.StatusServiceUnavailable, "300", "", 5 * time.Minute},
		{"503 without Retry-After", http.StatusServiceUnavailable, "", "", 0},
		{"503 beyond MaxWait", http.StatusServiceUnavailable, "604800", "", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.date == "" {
					w.Header()["Date"] = nil
				} else {
					w.Header().Set("Date", tt.date)
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, "busy", tt.status)
			}))
			defer srv.Close()
			res, err := fetchURL(t, newTestClient(), srv.URL+"/feed.xml", aggregator.FeedState{})
			he := wantHTTPError(t, res, err, tt.status)
			if he.RetryAfter != tt.want {
				t.Errorf("RetryAfter = %v, want %v", he.RetryAfter, tt.want)
			}

			p := Policy{Rand: func() float64 { return 0 }}
			st := p.Apply(t0, aggregator.FeedState{Failures: 1}, nil, err)
			wantNext := t0.Add(min(tt.want, DefaultMaxWait))
			if tt.want == 0 {
				wantNext = t0.Add(DefaultBackoffBase) // failure 2: 30m, jitter 0 → 15m
			}
			if !st.NextFetch.Equal(wantNext) || st.Failures != 2 || st.LastStatus != tt.status || st.Error != p.CapRetryAfter(err).Error() {
				t.Errorf("state = %+v, want NextFetch %v", st, wantNext)
			}
		})
	}
}

// TestFetchFreshnessWired checks that a 200 carries the caching headers'
// freshness, counted against Client.Now when there is no Date.
func TestFetchFreshnessWired(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Expires", t0.Add(90*time.Minute).Format(http.TimeFormat))
		w.Write(rssDoc("F", 1))
	}))
	defer srv.Close()
	res, err := fetchURL(t, newTestClient(), srv.URL, aggregator.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Freshness != 90*time.Minute {
		t.Errorf("Freshness = %v, want 1h30m", res.Freshness)
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>R</title><item><title>x</title><link>item/1</link></item></channel></rss>`))
	})
	redirect := func(code int, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
	}
	mux.Handle("/p301", redirect(301, "/feed"))
	mux.Handle("/p302", redirect(302, "/feed"))
	mux.Handle("/p303", redirect(303, "/feed"))
	mux.Handle("/p307", redirect(307, "/feed"))
	mux.Handle("/p308", redirect(308, "/feed"))
	mux.Handle("/p301-308", redirect(301, "/p308"))
	mux.Handle("/p301-302", redirect(301, "/p302"))
	mux.Handle("/p302-301", redirect(302, "/p301"))
	mux.Handle("/loop", redirect(301, "/loop"))
	mux.Handle("/ftp", redirect(301, "ftp://ftp.example/feed"))
	mux.Handle("/javascript", redirect(302, "javascript:alert(1)"))
	mux.HandleFunc("/hops/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hops/%d", n-1), http.StatusMovedPermanently)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	final := srv.URL + "/feed"

	tests := []struct {
		path    string
		movedTo string
		err     error
	}{
		{"/feed", "", nil},
		{"/p301", final, nil},
		{"/p308", final, nil},
		{"/p302", "", nil},
		{"/p303", "", nil},
		{"/p307", "", nil},
		{"/p301-308", final, nil},
		{"/p301-302", "", nil},
		{"/p302-301", "", nil},
		{"/hops/9", final, nil}, // 10 hops: the most followed
		{"/hops/10", "", ErrTooManyRedirects},
		{"/loop", "", ErrTooManyRedirects},
		{"/ftp", "", ErrRedirectScheme},
		{"/javascript", "", ErrRedirectScheme},
	}
	c := newTestClient()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := fetchURL(t, c, srv.URL+tt.path, aggregator.FeedState{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), "fetch "+srv.URL+tt.path+": ") {
					t.Errorf("error %q does not name the feed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.MovedTo != tt.movedTo {
				t.Errorf("MovedTo = %q, want %q", res.MovedTo, tt.movedTo)
			}
			// Relative links resolve against the final URL.
			if len(res.Items) != 1 || res.Items[0].Link != srv.URL+"/item/1" {
				t.Errorf("items = %+v", res.Items)
			}
		})
	}

	t.Run("permanent redirect then 304", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/new" {
				http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
				return
			}
			if r.Header.Get("If-None-Match") != `"e"` {
				t.Errorf("If-None-Match not carried across the redirect: %q", r.Header.Get("If-None-Match"))
			}
			w.WriteHeader(http.StatusNotModified)
		}))
		defer srv.Close()
		res, err := fetchURL(t, c, srv.URL+"/old", aggregator.FeedState{ETag: `"e"`})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NotModified || res.MovedTo != srv.URL+"/new" {
			t.Errorf("got %+v", res)
		}
	})
}

// TestFetchGone: a 410 retires the feed.
func TestFetchGone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer srv.Close()
	res, err := fetchURL(t, newTestClient(), srv.URL+"/feed.xml", aggregator.FeedState{})
	wantHTTPError(t, res, err, http.StatusGone)
	st := Policy{}.Apply(t0, aggregator.FeedState{URL: srv.URL + "/feed.xml"}, res, err)
	if !st.Retired || st.LastStatus != http.StatusGone || st.Failures != 1 || !st.NextFetch.After(t0) {
		t.Errorf("state = %+v, want retired", st)
	}
}

// TestFetchTimeout: a server that hangs, before the headers or in the middle
// of the body, costs no more than the timeout.
func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name       string
		headers    bool
		clientTO   time.Duration
		requestTO  time.Duration
		parentTO   time.Duration // if set, the caller's context is what expires
		wantCancel bool
	}{
		{name: "hang before headers", clientTO: 100 * time.Millisecond},
		{name: "hang mid-body", headers: true, clientTO: 100 * time.Millisecond},
		{name: "request timeout overrides", clientTO: time.Minute, requestTO: 100 * time.Millisecond},
		{name: "caller's context", clientTO: time.Minute, parentTO: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.headers {
					w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
					w.(http.Flusher).Flush()
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release)

			c := newTestClient()
			c.Timeout = tt.clientTO
			ctx := t.Context()
			if tt.parentTO > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.parentTO)
				defer cancel()
			}
			done := make(chan error, 1)
			go func() {
				_, err := c.Fetch(ctx, Request{URL: srv.URL, Timeout: tt.requestTO})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want context.DeadlineExceeded", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Fetch did not return within 5s")
			}
		})
	}
}

// blockingServer answers every request with a feed once release is closed,
// and tells arrived about each request first.
func blockingServer(t *testing.T) (srv *httptest.Server, arrived chan struct{}, release chan struct{}) {
	t.Helper()
	arrived = make(chan struct{}, 100)
	release = make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(rssDoc("Slow", 1))
	}))
	t.Cleanup(srv.Close)
	return srv, arrived, release
}

// TestFetchSlowHostDoesNotBlockOthers: with two slots in all and one per
// host, three fetches to a hung host hold one global slot between them, and
// a fetch to another host still goes through.
func TestFetchSlowHostDoesNotBlockOthers(t *testing.T) {
	slow, arrived, release := blockingServer(t)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(rssDoc("Fast", 1))
	}))
	defer fast.Close()

	c := newTestClient()
	c.Concurrency, c.PerHost = 2, 1
	slowURL, _ := url.Parse(slow.URL)

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			_, err := c.Fetch(t.Context(), Request{URL: slow.URL})
			errs <- err
		})
	}
	<-arrived
	waitUntil(t, "three fetches to the slow host are queued", func() bool { return c.limiter().refs(hostKey(slowURL)) == 3 })

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := c.Fetch(ctx, Request{URL: fast.URL})
	if err != nil {
		t.Fatalf("fetch to another host while one hangs: %v", err)
	}
	if res.Title != "Fast" {
		t.Errorf("got %+v", res)
	}
	select {
	case <-arrived:
		t.Error("a second fetch reached the slow host despite PerHost 1")
	default:
	}

	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestFetchPerHostLimit: 50 fetches at once to one host run at most PerHost
// at a time, and all succeed.
func TestFetchPerHostLimit(t *testing.T) {
	const perHost, fetches = 3, 50
	var inFlight, maxInFlight atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if n >= perHost {
			fullOnce.Do(func() { close(full) })
		}
		// The first requests wait until PerHost of them are in flight, so
		// the limit is reached, not just respected.
		select {
		case <-full:
		case <-r.Context().Done():
		}
		inFlight.Add(-1) // before the response: the client may start the next one on reading it
		w.Header().Set("ETag", `"x"`)
		w.Write(rssDoc("Busy", 2))
	}))
	defer srv.Close()

	c := newTestClient()
	c.PerHost = perHost
	tr := c.HTTP.Transport.(*http.Transport)
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range fetches {
		wg.Go(func() {
			res, err := c.Fetch(ctx, Request{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)})
			if err != nil {
				t.Error(err)
				return
			}
			if len(res.Items) == 2 {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if got := maxInFlight.Load(); got != perHost {
		t.Errorf("max in flight = %d, want %d", got, perHost)
	}
	if ok.Load() != fetches {
		t.Errorf("%d of %d fetches succeeded", ok.Load(), fetches)
	}
	c.limits.mu.Lock()
	defer c.limits.mu.Unlock()
	if len(c.limits.hosts) != 0 || len(c.limits.global) != 0 {
		t.Errorf("limiter not released: %d hosts, %d global slots held", len(c.limits.hosts), len(c.limits.global))
	}
}

// TestFetchCancelWhileWaiting: a fetch waiting for a slot, of its host or a
// global one, gives up when its context ends, and gives its place back.
func TestFetchCancelWhileWaiting(t *testing.T) {
	tests := []struct {
		name      string
		sameHost  bool
		configure func(c *Client)
	}{
		{"for a global slot", false, func(c *Client) { c.Concurrency = 1 }},
		{"for a host slot", true, func(c *Client) { c.PerHost = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slow, arrived, release := blockingServer(t)
			c := newTestClient()
			tt.configure(c)
			holder := make(chan error, 1)
			go func() {
				_, err := c.Fetch(t.Context(), Request{URL: slow.URL})
				holder <- err
			}()
			<-arrived

			target := slow.URL + "/second"
			if !tt.sameHost {
				other := httptest.NewServer(http.NotFoundHandler())
				defer other.Close()
				target = other.URL
			}
			u, _ := url.Parse(target)
			key := hostKey(u)
			waiting := 1
			if tt.sameHost {
				waiting = 2
			}
			ctx, cancel := context.WithCancel(t.Context())
			waiter := make(chan error, 1)
			go func() {
				_, err := c.Fetch(ctx, Request{URL: target})
				waiter <- err
			}()
			waitUntil(t, "the second fetch waits", func() bool { return c.limiter().refs(key) == waiting })
			cancel()
			if err := <-waiter; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "wait for a slot") {
				t.Errorf("waiting fetch: err = %v, want context.Canceled while waiting", err)
			}
			if n := c.limiter().refs(key); n != waiting-1 {
				t.Errorf("%d fetches counted for the host after the cancel, want %d", n, waiting-1)
			}
			close(release)
			if err := <-holder; err != nil {
				t.Error(err)
			}
			// Every slot is free again.
			c.limits.mu.Lock()
			defer c.limits.mu.Unlock()
			if len(c.limits.hosts) != 0 || len(c.limits.global) != 0 {
				t.Errorf("limiter not released: %d hosts, %d global slots held", len(c.limits.hosts), len(c.limits.global))
			}
		})
	}
}

// TestFetchAuth: configured headers and basic auth reach the server; neither
// the password nor a header value ever appears in an error.
func TestFetchAuth(t *testing.T) {
	const user, pass, token = "reader", "hunter2-s3cret", "tok-9f8e7d6c"
	var mu sync.Mutex
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		if r.URL.Path == "/ftp" {
			http.Redirect(w, r, "ftp://"+user+":"+pass+"@ftp.example/feed.xml?token="+token, http.StatusFound)
			return
		}
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass || r.Header.Get("X-Api-Key") != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="feeds"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Write(rssDoc("Private", 1))
	}))
	defer srv.Close()

	header := http.Header{
		"X-Api-Key":       {token},
		"accept":          {"application/rss+xml"}, // not canonical: still overrides
		"User-Agent":      {"custom-agent/2"},
		"Accept-Encoding": {"identity"}, // ignored: the Transport asks for gzip
	}
	c := newTestClient()

	t.Run("accepted", func(t *testing.T) {
		res, err := c.Fetch(t.Context(), Request{URL: srv.URL + "/feed.xml", Header: header, Username: user, Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		if res.Title != "Private" {
			t.Errorf("got %+v", res)
		}
		mu.Lock()
		defer mu.Unlock()
		for k, want := range map[string]string{"Accept": "application/rss+xml", "User-Agent": "custom-agent/2", "Accept-Encoding": "gzip"} {
			if got := seen.Values(k); len(got) != 1 || got[0] != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	})

	bad := []struct {
		name string
		req  Request
	}{
		{"wrong password", Request{URL: srv.URL + "/feed.xml", Header: header, Username: user, Password: pass + "x"}},
		{"no token", Request{URL: srv.URL + "/feed.xml", Username: user, Password: pass}},
		{"password in the url", Request{URL: strings.Replace(srv.URL, "://", "://"+user+":"+pass+"@", 1) + "/feed.xml", Header: http.Header{"X-Api-Key": {token + "x"}}}},
		{"token in the query", Request{URL: srv.URL + "/feed.xml?lang=en&token=" + token}},
		{"unparseable url with a password", Request{URL: "http://" + user + ":" + pass + "@[::1/feed.xml"}},
		{"unparseable url with a token", Request{URL: "http://[::1/feed.xml?api_key=" + token}},
		{"redirect to a url with a token", Request{URL: srv.URL + "/ftp"}},
		{"unreachable", Request{URL: "http://" + user + ":" + pass + "@127.0.0.1:1/feed.xml", Header: header, Username: user, Password: pass}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Fetch(t.Context(), tt.req)
			if err == nil {
				t.Fatal("no error")
			}
			for _, secret := range []string{pass, token} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
				if st := (Policy{}).Apply(t0, aggregator.FeedState{}, nil, err); strings.Contains(st.Error, secret) {
					t.Errorf("state error reveals %q: %q", secret, st.Error)
				}
			}
		})
	}
}

// TestFetchRedirectDropsCredentials: configured headers and basic auth do
// not follow a redirect to another host.
func TestFetchRedirectDropsCredentials(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Host] = r.Header.Clone()
		mu.Unlock()
		w.Write(rssDoc("Elsewhere", 1))
	}))
	defer feed.Close()
	_, port, _ := net.SplitHostPort(feed.Listener.Addr().String())
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "http://other.test:" + port + "/feed"
		if r.URL.Path == "/same" {
			to = "http://127.0.0.1:" + port + "/feed"
		}
		http.Redirect(w, r, to, http.StatusFound)
	}))
	defer origin.Close()

	c := newTestClient()
	tr := c.HTTP.Transport.(*http.Transport)
	tr.Proxy = nil
	dialer := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		// other.test is this machine.
		if host, p, err := net.SplitHostPort(addr); err == nil && host == "other.test" {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
		return dialer.DialContext(ctx, network, addr)
	}
	defer tr.CloseIdleConnections()

	req := Request{Header: http.Header{"X-Api-Key": {"k"}, "User-Agent": {"ua/2"}}, Username: "u", Password: "p"}
	tests := []struct {
		path, host string
		keep       bool
	}{
		{"/other", "other.test:" + port, false},
		{"/same", "127.0.0.1:" + port, true}, // same host name, other port
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req.URL = origin.URL + tt.path
			if _, err := c.Fetch(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			h := seen[tt.host]
			mu.Unlock()
			if h == nil {
				t.Fatalf("no request to %s", tt.host)
			}
			for _, k := range []string{"X-Api-Key", "Authorization"} {
				if got := h.Get(k) != ""; got != tt.keep {
					t.Errorf("%s kept = %v, want %v", k, got, tt.keep)
				}
			}
			if h.Get("User-Agent") != "ua/2" {
				t.Errorf("User-Agent = %q", h.Get("User-Agent"))
			}
		})
	}
}

// TestFetchSendsNoReferer: a redirect, to the same server or another,
// arrives without a Referer naming the URL redirected from.
func TestFetchSendsNoReferer(t *testing.T) {
	var mu sync.Mutex
	referers := map[string][]string{}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		referers[r.URL.Path] = r.Header.Values("Referer")
		mu.Unlock()
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		w.Write(rssDoc("Elsewhere", 1))
	}))
	defer feed.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, feed.URL+"/hop", http.StatusFound)
	}))
	defer origin.Close()

	if _, err := fetchURL(t, newTestClient(), origin.URL+"/authredir?token=s3cret", aggregator.FeedState{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/hop", "/feed"} {
		got, ok := referers[path]
		if !ok {
			t.Errorf("no request for %s", path)
		}
		if len(got) > 0 {
			t.Errorf("%s arrived with Referer %q", path, got)
		}
	}
}

func TestKeepCredentials(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"https://feeds.example/a", "https://feeds.example/b", true},
		{"https://feeds.example/a", "https://FEEDS.example:8443/b", true},
		{"https://feeds.example/a", "https://cdn.feeds.example/b", true},
		{"https://feeds.example/a", "https://evilfeeds.example/b", false},
		{"https://feeds.example/a", "https://example/b", false},
		{"https://feeds.example/a", "http://feeds.example/b", false},
		{"http://feeds.example/a", "https://feeds.example/b", true},
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.to, func(t *testing.T) {
			from, _ := url.Parse(tt.from)
			to, _ := url.Parse(tt.to)
			if got := keepCredentials(from, to); got != tt.want {
				t.Errorf("keepCredentials = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHostKey(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://Feeds.Example/x", "feeds.example:80"},
		{"http://feeds.example:80/y", "feeds.example:80"},
		{"HTTPS://FEEDS.example/", "feeds.example:443"},
		{"https://feeds.example:8443/", "feeds.example:8443"},
		{"http://[::1]:8080/", "[::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := hostKey(u); got != tt.want {
				t.Errorf("hostKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFetchFile(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join(kimDir, "pacific-observer.rss"))
	if err != nil {
		t.Fatal(err)
	}
	fileURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()

	var first *Result
	t.Run("fixture", func(t *testing.T) {
		res, err := fetchURL(t, newTestClient(), fileURL, aggregator.FeedState{ETag: `"x"`, LastModified: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if res.NotModified || res.Unchanged || res.ETag != "" || res.LastModified != "" || res.StatusCode != 0 || res.BodyHash == "" {
			t.Errorf("file result = %+v", res)
		}
		if len(res.Items) != 2 || res.Items[0].Title != "Kim\u2019s armoured train rolls toward Russia\u2019s far east for Putin meeting" {
			t.Errorf("got %+v", res.Items)
		}
		first = res
	})
	t.Run("unchanged", func(t *testing.T) {
		if first == nil {
			t.Skip("no first fetch")
		}
		res, err := fetchURL(t, newTestClient(), fileURL, aggregator.FeedState{BodyHash: first.BodyHash})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Unchanged || res.Items != nil || res.BodyHash != first.BodyHash {
			t.Errorf("got %+v, want Unchanged", res)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		c := newTestClient()
		c.MaxBodySize = 100
		_, err := fetchURL(t, c, fileURL, aggregator.FeedState{})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("ignores the limits", func(t *testing.T) {
		slow, arrived, release := blockingServer(t)
		c := newTestClient()
		c.Concurrency = 1
		done := make(chan error, 1)
		go func() {
			_, err := c.Fetch(t.Context(), Request{URL: slow.URL})
			done <- err
		}()
		<-arrived
		if _, err := fetchURL(t, c, fileURL, aggregator.FeedState{}); err != nil {
			t.Error(err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	errTests := []struct {
		name, url string
	}{
		{"missing file", "file://" + filepath.ToSlash(filepath.Join(filepath.Dir(abs), "nope.rss"))},
		{"relative path", "file:testdata/kim/world-wire.rss"},
		{"remote host", "file://server.example/feed.rss"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := fetchURL(t, newTestClient(), tt.url, aggregator.FeedState{})
			if err == nil {
				t.Fatalf("no error, got %+v", res)
			}
			// A file feed is named by its file's name, not its path.
			if dir := filepath.ToSlash(filepath.Dir(abs)); strings.Contains(err.Error(), dir) {
				t.Errorf("error %q names the folder %s", err, dir)
			}
		})
	}
	t.Run("a folder", func(t *testing.T) {
		dir := t.TempDir()
		_, err := fetchURL(t, newTestClient(), (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String(), aggregator.FeedState{})
		if err == nil || strings.Contains(err.Error(), filepath.ToSlash(dir)) {
			t.Errorf("err = %v, want an error that does not name the folder", err)
		}
	})
}

// TestFetchLinksWithoutUserinfo: relative links in a feed fetched with a
// user name and password in its URL do not resolve to links that carry them.
func TestFetchLinksWithoutUserinfo(t *testing.T) {
	const user, pass = "reader", "hunter2-s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Private</title><link>/</link>`+
			`<item><title>Kim boards a train</title><link>/kim</link><description>&lt;a href="/more"&gt;More&lt;/a&gt;</description></item>`+
			`</channel></rss>`)
	}))
	defer srv.Close()

	res, err := fetchURL(t, newTestClient(), strings.Replace(srv.URL, "://", "://"+user+":"+pass+"@", 1)+"/feed.xml", aggregator.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("got %d items, want 1", len(res.Items))
	}
	it := res.Items[0]
	res.Sanitize(&it)
	if want := srv.URL + "/kim"; it.Link != want {
		t.Errorf("item link %q, want %q", it.Link, want)
	}
	for what, s := range map[string]string{"site": res.SiteURL, "link": it.Link, "summary": it.Summary} {
		if strings.Contains(s, user) || strings.Contains(s, pass) {
			t.Errorf("%s %q carries the user name or password", what, s)
		}
	}
}

// fetchWithin runs Fetch of req on its own goroutine and fails the test
// if it has not returned within d: a fetch that hangs must not hang the
// test too.
func fetchWithin(t *testing.T, ctx context.Context, c *Client, req Request, d time.Duration) (*Result, error) {
	t.Helper()
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Fetch(ctx, req)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(d):
		t.Fatalf("Fetch %s did not return within %s", req.URL, d)
		return nil, nil
	}
}

// mkfifo makes a named pipe in a folder of the test's and returns its path
// and file:// URL. Nothing writes to it.
func mkfifo(t *testing.T) (path, fileURL string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "feed.xml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	return path, (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// TestFetchFileNotRegular: a file feed that is a named pipe nobody writes
// to, a directory or a device fails at once with ErrNotRegularFile, rather
// than waiting for a writer forever.
func TestFetchFileNotRegular(t *testing.T) {
	_, fifoURL := mkfifo(t)
	tests := []struct{ name, url, kind string }{
		{"named pipe", fifoURL, "a named pipe"},
		{"directory", (&url.URL{Scheme: "file", Path: filepath.ToSlash(t.TempDir())}).String(), "a directory"},
		{"device", "file:///dev/null", "a character device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient()
			c.Timeout = time.Hour
			res, err := fetchWithin(t, t.Context(), c, Request{URL: tt.url}, 10*time.Second)
			if !errors.Is(err, ErrNotRegularFile) {
				t.Fatalf("got %+v, %v; want ErrNotRegularFile", res, err)
			}
			if !strings.Contains(err.Error(), tt.kind) {
				t.Errorf("err = %q, want it to name %s", err, tt.kind)
			}
		})
	}
}

// TestFetchFileHung: a file whose opening blocks in the kernel (here a
// named pipe opened without O_NONBLOCK, as a file on a hung mount would)
// fails when the fetch's timeout runs out, or its context ends.
func TestFetchFileHung(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // of the fetch
		cancel  time.Duration // of the caller's context, if set
		want    error
	}{
		{"timeout", 100 * time.Millisecond, 0, context.DeadlineExceeded},
		{"cancelled", time.Hour, 100 * time.Millisecond, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, fileURL := mkfifo(t)
			c := newTestClient()
			c.Timeout = tt.timeout
			opened := make(chan struct{}, 1)
			c.openFile = func(path string) (*os.File, error) {
				opened <- struct{}{}
				return os.Open(path) // waits for a writer
			}
			ctx := t.Context()
			if tt.cancel > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				time.AfterFunc(tt.cancel, cancel)
			}
			_, err := fetchWithin(t, ctx, c, Request{URL: fileURL}, 10*time.Second)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.want == context.DeadlineExceeded && !strings.Contains(err.Error(), "open: no answer within 100ms") {
				t.Errorf("err = %q, want it to say that the open had no answer within 100ms", err)
			}
			// Free the goroutine still opening the pipe: a writer
			// opens it too.
			<-opened
			deadline := time.Now().Add(5 * time.Second)
			for {
				w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
				if err == nil {
					w.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the pipe's reader never waited: %v", err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestFetchBadURL(t *testing.T) {
	tests := []struct {
		url       string
		badScheme bool
	}{
		{"ftp://ftp.example/feed.xml", true},
		{"gopher://x.example/", true},
		{"feed.example/rss", true}, // no scheme
		{"http://[::1", false},     // unparseable
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := fetchURL(t, newTestClient(), tt.url, aggregator.FeedState{})
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupportedScheme) != tt.badScheme {
				t.Errorf("err = %v; ErrUnsupportedScheme: %v, want %v", err, !tt.badScheme, tt.badScheme)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2023, 9, 12, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"Tue, 12 Sep 2023 12:10:00 GMT", 10 * time.Minute},
		{"Tue, 12 Sep 2023 11:00:00 GMT", 0},
		{"99999999999999999999", 0}, // overflows int64: ignored
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
