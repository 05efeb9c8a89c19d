package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aggregator"
)

const testUA = "aggregator-test/1.0 (+https://agg.example/)"

func newTestClient() *Client {
	c := NewClient(testUA)
	c.Timeout = 5 * time.Second
	return c
}

func gzipBytes(t *testing.T, b []byte) []byte {
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

func TestNewClient(t *testing.T) {
	c := NewClient("ua")
	if c.UserAgent != "ua" || c.MaxBodySize != DefaultMaxBodySize || c.Timeout != DefaultTimeout {
		t.Errorf("NewClient = %+v", c)
	}
	tr, ok := c.HTTP.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T, want *http.Transport", c.HTTP.Transport)
	}
	if tr.Proxy == nil || !tr.ForceAttemptHTTP2 || tr.ResponseHeaderTimeout == 0 || tr.TLSHandshakeTimeout == 0 || tr.DisableCompression {
		t.Errorf("Transport not tuned: %+v", tr)
	}
}

// TestFetchConditional: a first fetch returns the validators, a second one
// sends them back and gets a 304.
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
		if r.Header.Get("If-None-Match") == etag {
			if r.URL.Query().Get("omit") == "" {
				w.Header().Set("ETag", `"v2"`)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Write(feed)
	}))
	defer srv.Close()

	c := newTestClient()
	ctx := t.Context()
	res, err := c.Fetch(ctx, srv.URL+"/feed.atom", aggregator.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NotModified || res.ETag != etag || res.LastModified != lastMod {
		t.Errorf("first fetch: NotModified=%v ETag=%q LastModified=%q", res.NotModified, res.ETag, res.LastModified)
	}
	if len(res.Items) != 3 || res.Title != "Korea Desk" || res.AtomID != "tag:korea-desk.example,2023:feed" {
		t.Errorf("first fetch: %d items, Title %q, AtomID %q", len(res.Items), res.Title, res.AtomID)
	}

	t.Run("304 with new validators", func(t *testing.T) {
		state := aggregator.FeedState{ETag: res.ETag, LastModified: res.LastModified}
		res2, err := c.Fetch(ctx, srv.URL+"/feed.atom", state)
		if err != nil {
			t.Fatal(err)
		}
		want := &Result{NotModified: true, ETag: `"v2"`, LastModified: lastMod}
		if res2.NotModified != want.NotModified || res2.ETag != want.ETag || res2.LastModified != want.LastModified || res2.Items != nil || res2.Title != "" {
			t.Errorf("304 result = %+v, want %+v", res2, want)
		}
	})
	t.Run("304 keeps old validators", func(t *testing.T) {
		state := aggregator.FeedState{ETag: etag, LastModified: lastMod}
		res3, err := c.Fetch(ctx, srv.URL+"/feed.atom?omit=1", state)
		if err != nil {
			t.Fatal(err)
		}
		if !res3.NotModified || res3.ETag != etag || res3.LastModified != lastMod {
			t.Errorf("304 result = %+v", res3)
		}
	})

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(got))
	}
	for i, h := range got {
		if h.Get("User-Agent") != testUA {
			t.Errorf("request %d User-Agent = %q", i, h.Get("User-Agent"))
		}
		if h.Get("Accept") != acceptHeader || !strings.HasPrefix(h.Get("Accept"), "application/atom+xml, application/rss+xml, application/feed+json") {
			t.Errorf("request %d Accept = %q", i, h.Get("Accept"))
		}
		if !strings.Contains(h.Get("Accept-Encoding"), "gzip") {
			t.Errorf("request %d Accept-Encoding = %q, want gzip offered", i, h.Get("Accept-Encoding"))
		}
	}
	if got[0].Get("If-None-Match") != "" || got[0].Get("If-Modified-Since") != "" {
		t.Errorf("first request was conditional: %v", got[0])
	}
	if got[1].Get("If-None-Match") != etag || got[1].Get("If-Modified-Since") != lastMod {
		t.Errorf("second request: If-None-Match %q, If-Modified-Since %q", got[1].Get("If-None-Match"), got[1].Get("If-Modified-Since"))
	}
}

func TestFetchResponses(t *testing.T) {
	worldWire := readFixture(t, "world-wire.rss")
	// Valid RSS that inflates to ~1 MiB but compresses to a few KiB.
	bomb := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Bomb</title><description>` +
		strings.Repeat(" ", 1<<20) + `</description></channel></rss>`)
	bombGz := gzipBytes(t, bomb)
	const bombLimit = 64 << 10
	if len(bombGz) >= bombLimit {
		t.Fatalf("gzip bomb is %d bytes compressed, not under the %d limit", len(bombGz), bombLimit)
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
				if len(res.Items) != 3 || res.Items[0].GUID != "ww-asia-66789012" {
					t.Errorf("got %+v", res)
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
			name: "gzip inflating past the limit",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(bombGz)
			},
			maxBody: bombLimit,
			check:   wantTooLarge,
		},
		{
			name: "503 with Retry-After seconds",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				http.Error(w, "busy", http.StatusServiceUnavailable)
			},
			check: func(t *testing.T, res *Result, err error) {
				he := wantHTTPError(t, res, err, http.StatusServiceUnavailable)
				if he.RetryAfter != 2*time.Minute {
					t.Errorf("RetryAfter = %v, want 2m", he.RetryAfter)
				}
			},
		},
		{
			name: "429 with Retry-After date",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
				http.Error(w, "slow down", http.StatusTooManyRequests)
			},
			check: func(t *testing.T, res *Result, err error) {
				he := wantHTTPError(t, res, err, http.StatusTooManyRequests)
				if he.RetryAfter < 58*time.Minute || he.RetryAfter > time.Hour {
					t.Errorf("RetryAfter = %v, want about 1h", he.RetryAfter)
				}
			},
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
		{
			name: "redirect followed, links resolve against final URL",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/moved/feed.xml" {
					http.Redirect(w, r, "/moved/feed.xml", http.StatusMovedPermanently)
					return
				}
				w.Write([]byte(`<rss version="2.0"><channel><title>R</title><item><title>x</title><link>item/1</link></item></channel></rss>`))
			},
			check: func(t *testing.T, res *Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Items) != 1 || !strings.HasSuffix(res.Items[0].Link, "/moved/item/1") {
					t.Errorf("got %+v", res.Items)
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
			res, err := c.Fetch(t.Context(), srv.URL+"/feed.xml", aggregator.FeedState{})
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

// TestFetchTimeout: a server that hangs, before the headers or in the middle
// of the body, costs no more than the client's Timeout.
func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name     string
		headers  bool
		parentTO time.Duration // if set, the caller's context is what expires
	}{
		{name: "hang before headers"},
		{name: "hang mid-body", headers: true},
		{name: "caller's context", parentTO: 100 * time.Millisecond},
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
			c.Timeout = 150 * time.Millisecond
			ctx := t.Context()
			if tt.parentTO > 0 {
				c.Timeout = time.Minute
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.parentTO)
				defer cancel()
			}
			done := make(chan error, 1)
			go func() {
				_, err := c.Fetch(ctx, srv.URL, aggregator.FeedState{})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want context.DeadlineExceeded", err)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("Fetch did not return within 3s")
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

	t.Run("fixture", func(t *testing.T) {
		res, err := newTestClient().Fetch(t.Context(), fileURL, aggregator.FeedState{ETag: `"x"`, LastModified: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if res.NotModified || res.ETag != "" || res.LastModified != "" {
			t.Errorf("file result has validators: %+v", res)
		}
		if len(res.Items) != 2 || res.Items[0].Title != "Kim\u2019s armoured train rolls toward Russia\u2019s far east for Putin meeting" {
			t.Errorf("got %+v", res.Items)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		c := newTestClient()
		c.MaxBodySize = 100
		_, err := c.Fetch(t.Context(), fileURL, aggregator.FeedState{})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
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
			res, err := newTestClient().Fetch(t.Context(), tt.url, aggregator.FeedState{})
			if err == nil {
				t.Fatalf("no error, got %+v", res)
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
			_, err := newTestClient().Fetch(t.Context(), tt.url, aggregator.FeedState{})
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
