package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func buildSite(t *testing.T) *Site {
	t.Helper()
	p := &Publisher{Outputs: []Output{allOutput}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	site, err := p.Build(context.Background(), fakeSource{entries: buildEntries()})
	if err != nil {
		t.Fatal(err)
	}
	return site
}

func do(t *testing.T, ts *httptest.Server, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// A transport that neither asks for gzip nor decompresses it, so that the
	// test sees the bytes and headers the server sent.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestServer(t *testing.T) {
	site := buildSite(t)
	feed, index := site.Files["feeds/all.atom"], site.Files["index.html"]
	lastMod := feed.ModTime.UTC().Format(http.TimeFormat)

	srv := NewServer()
	srv.MaxAge = 300
	srv.now = func() time.Time { return feed.ModTime } // Last-Modified is the feed's newest update
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	const anyBody = "\x00any"
	tests := []struct {
		name, method, path string
		header             http.Header
		wantStatus         int
		wantHeader         map[string]string // "" means absent
		wantBody           string
	}{
		{"feed", "GET", "/feeds/all.atom", nil, 200, map[string]string{
			"Content-Type":           "application/atom+xml; charset=utf-8",
			"ETag":                   feed.ETag,
			"Last-Modified":          lastMod,
			"Cache-Control":          "public, max-age=300",
			"Content-Length":         strconv.Itoa(len(feed.Body)),
			"X-Content-Type-Options": "nosniff",
		}, string(feed.Body)},
		{"matching etag", "GET", "/feeds/all.atom", http.Header{"If-None-Match": {feed.ETag}}, 304,
			map[string]string{"ETag": feed.ETag, "Content-Type": ""}, ""},
		{"one of several etags", "GET", "/feeds/all.atom", http.Header{"If-None-Match": {`"x", ` + feed.ETag}}, 304, nil, ""},
		{"other etag", "GET", "/feeds/all.atom", http.Header{"If-None-Match": {`"stale"`}}, 200, nil, string(feed.Body)},
		{"not modified since", "GET", "/feeds/all.atom", http.Header{"If-Modified-Since": {lastMod}}, 304, nil, ""},
		{"modified since", "GET", "/feeds/all.atom",
			http.Header{"If-Modified-Since": {feed.ModTime.Add(-time.Second).UTC().Format(http.TimeFormat)}}, 200, nil, string(feed.Body)},
		{"etag wins over date", "GET", "/feeds/all.atom",
			http.Header{"If-None-Match": {`"stale"`}, "If-Modified-Since": {lastMod}}, 200, nil, string(feed.Body)},
		{"head", "HEAD", "/feeds/all.atom", nil, 200, map[string]string{
			"Content-Type":   "application/atom+xml; charset=utf-8",
			"ETag":           feed.ETag,
			"Content-Length": strconv.Itoa(len(feed.Body)),
		}, ""},
		{"unknown feed", "GET", "/feeds/nope.atom", nil, 404, map[string]string{"ETag": ""}, anyBody},
		{"feed outside feeds/", "GET", "/all.atom", nil, 404, nil, anyBody},
		{"dot-dot", "GET", "/feeds/../etc/passwd", nil, 404, nil, "404 page not found\n"},
		{"escaped dot-dot", "GET", "/feeds/%2e%2e/%2e%2e/etc/passwd", nil, 404, nil, "404 page not found\n"},
		{"post", "POST", "/feeds/all.atom", nil, 405, map[string]string{"Allow": "GET, HEAD", "ETag": ""}, anyBody},
		{"delete index", "DELETE", "/", nil, 405, map[string]string{"Allow": "GET, HEAD"}, anyBody},
		{"index", "GET", "/", nil, 200, map[string]string{
			"Content-Type": "text/html; charset=utf-8",
			"ETag":         index.ETag,
		}, string(index.Body)},
		{"index by name", "GET", "/index.html", nil, 200, map[string]string{"ETag": index.ETag}, string(index.Body)},
		{"healthz", "GET", "/healthz", nil, 200, map[string]string{"Content-Type": "text/plain; charset=utf-8", "ETag": ""}, "ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, ts, tt.method, tt.path, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.wantBody != anyBody && body != tt.wantBody {
				t.Errorf("body = %.200q, want %.200q", body, tt.wantBody)
			}
		})
	}
}

func TestServerSwap(t *testing.T) {
	srv := NewServer()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	if resp, _ := do(t, ts, "GET", "/feeds/all.atom", nil); resp.StatusCode != 404 {
		t.Errorf("before the first Swap: status %d, want 404", resp.StatusCode)
	}
	if resp, body := do(t, ts, "GET", "/healthz", nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz before the first Swap: %d %q", resp.StatusCode, body)
	}

	first := buildSite(t)
	srv.Swap(first)
	resp, _ := do(t, ts, "GET", "/feeds/all.atom", nil)
	oldTag := resp.Header.Get("ETag")
	if oldTag != first.Files["feeds/all.atom"].ETag {
		t.Fatalf("ETag = %q, want %q", oldTag, first.Files["feeds/all.atom"].ETag)
	}

	p := &Publisher{Outputs: []Output{allOutput}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	second, err := p.Build(context.Background(), fakeSource{entries: testEntries()[1:]})
	if err != nil {
		t.Fatal(err)
	}
	newFeed := second.Files["feeds/all.atom"]
	if newFeed.ETag == oldTag {
		t.Fatal("the second site has the same ETag; the test proves nothing")
	}
	srv.Swap(second)
	resp, body := do(t, ts, "GET", "/feeds/all.atom", http.Header{"If-None-Match": {oldTag}})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != newFeed.ETag || body != string(newFeed.Body) {
		t.Errorf("after Swap: status %d ETag %q; want 200, %q and the new body", resp.StatusCode, resp.Header.Get("ETag"), newFeed.ETag)
	}
}

// TestServerConcurrentSwap is for the race detector: requests in flight while
// the site is replaced.
func TestServerConcurrentSwap(t *testing.T) {
	sites := []*Site{buildSite(t), site(map[string]string{"feeds/all.atom": "other"})}
	srv := NewServer()
	srv.Swap(sites[0])
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if g == 0 {
					srv.Swap(sites[i%2])
					continue
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/all.atom", nil))
				if rec.Code != 200 {
					t.Errorf("status %d during swaps", rec.Code)
				}
			}
		})
	}
	wg.Wait()
}

// gunzip decompresses body, failing the test when it is not gzip.
func gunzip(t *testing.T, body string) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return string(out)
}

// gzTag is the ETag the server gives the gzip copy of a file with etag.
func gzTag(etag string) string { return etag[:len(etag)-1] + `-gz"` }

func TestServerGzipNegotiation(t *testing.T) {
	site := buildSite(t)
	feed := site.Files["feeds/all.atom"]
	srv := NewServer()
	srv.MaxAge = 600
	srv.now = func() time.Time { return feed.ModTime } // Last-Modified is the feed's newest update
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	tests := []struct {
		acceptEncoding string // "-" sends no Accept-Encoding
		wantGzip       bool
	}{
		{"-", false},
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;Q=0", false},
		{"br, gzip;q=0.5", true},
		{"deflate, gzip;q=1.0, br;q=0.9", true},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"identity", false},
		{"br", false},
		{"gzip;q=0.5, identity", false},   // identity explicitly preferred
		{"gzip, identity;q=0.5", true},    // gzip preferred
		{"identity;q=0, gzip;q=0", false}, // nothing acceptable: identity anyway
		{"gzip;q=nonsense", false},        // malformed qvalue counts as 0
		{"gzip;level=9;q=0.8", true},      // other parameters are skipped
		{" , gzip ,", true},               // empty list elements
	}
	for _, tt := range tests {
		t.Run(tt.acceptEncoding, func(t *testing.T) {
			var h http.Header
			if tt.acceptEncoding != "-" {
				h = http.Header{"Accept-Encoding": {tt.acceptEncoding}}
			}
			resp, body := do(t, ts, "GET", "/feeds/all.atom", h)
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			wantEnc, wantTag, identity := "", feed.ETag, body
			if tt.wantGzip {
				wantEnc, wantTag, identity = "gzip", gzTag(feed.ETag), gunzip(t, body)
			}
			for k, want := range map[string]string{
				"Content-Encoding":       wantEnc,
				"ETag":                   wantTag,
				"Vary":                   "Accept-Encoding",
				"Content-Type":           "application/atom+xml; charset=utf-8",
				"Cache-Control":          "public, max-age=600",
				"X-Content-Type-Options": "nosniff",
				"Last-Modified":          feed.ModTime.UTC().Format(http.TimeFormat),
				"Content-Length":         strconv.Itoa(len(body)),
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if identity != string(feed.Body) {
				t.Errorf("body (decoded) = %.100q..., want the feed", identity)
			}
			if tt.wantGzip && len(body) >= len(feed.Body) {
				t.Errorf("gzip body %d bytes, identity %d", len(body), len(feed.Body))
			}

			head, headBody := do(t, ts, "HEAD", "/feeds/all.atom", h)
			if head.StatusCode != 200 || headBody != "" {
				t.Errorf("HEAD: status %d, %d bytes of body", head.StatusCode, len(headBody))
			}
			for _, k := range []string{"Content-Length", "Content-Encoding", "ETag", "Vary", "Content-Type", "Cache-Control", "Last-Modified"} {
				if got, want := head.Header.Get(k), resp.Header.Get(k); got != want {
					t.Errorf("HEAD %s = %q, GET has %q", k, got, want)
				}
			}
		})
	}
}

func TestServerConditionalGzip(t *testing.T) {
	site := buildSite(t)
	feed := site.Files["feeds/all.atom"]
	lastMod := feed.ModTime.UTC().Format(http.TimeFormat)
	idTag, gz := feed.ETag, gzTag(feed.ETag)
	srv := NewServer()
	srv.MaxAge = 60
	srv.now = func() time.Time { return feed.ModTime } // Last-Modified is the feed's newest update
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	tests := []struct {
		name           string
		acceptEncoding string
		header         http.Header
		wantStatus     int
		wantTag        string
		wantEnc        string // of a 200
	}{
		{"identity tag, identity", "", http.Header{"If-None-Match": {idTag}}, 304, idTag, ""},
		{"gzip tag, gzip", "gzip", http.Header{"If-None-Match": {gz}}, 304, gz, ""},
		{"weak identity tag", "", http.Header{"If-None-Match": {"W/" + idTag}}, 304, idTag, ""},
		{"weak gzip tag", "gzip", http.Header{"If-None-Match": {"W/" + gz}}, 304, gz, ""},
		{"gzip tag in a list", "gzip", http.Header{"If-None-Match": {`"a", W/"b",` + gz}}, 304, gz, ""},
		{"tags in several lines", "gzip", http.Header{"If-None-Match": {`"a"`, gz}}, 304, gz, ""},
		{"star", "gzip", http.Header{"If-None-Match": {"*"}}, 304, gz, ""},
		{"gzip tag, no gzip accepted", "", http.Header{"If-None-Match": {gz}}, 200, idTag, ""},
		{"gzip tag, gzip refused", "gzip;q=0", http.Header{"If-None-Match": {gz}}, 200, idTag, ""},
		// A cache holding the identity response keeps using it.
		{"identity tag, gzip accepted", "gzip", http.Header{"If-None-Match": {idTag}}, 304, idTag, ""},
		{"identity tag, identity refused", "gzip, identity;q=0", http.Header{"If-None-Match": {idTag}}, 200, gz, "gzip"},
		{"both tags, gzip", "gzip", http.Header{"If-None-Match": {idTag + ", " + gz}}, 304, gz, ""},
		{"stale tag, gzip", "gzip", http.Header{"If-None-Match": {`"stale"`}}, 200, gz, "gzip"},
		{"not modified since, gzip", "gzip", http.Header{"If-Modified-Since": {lastMod}}, 304, gz, ""},
		{"not modified since, identity", "", http.Header{"If-Modified-Since": {lastMod}}, 304, idTag, ""},
		{"malformed tag", "gzip", http.Header{"If-None-Match": {gz[1:]}}, 200, gz, "gzip"},
		{"if-match gzip tag", "gzip", http.Header{"If-Match": {gz}}, 200, gz, "gzip"},
		{"if-match identity tag, gzip chosen", "gzip", http.Header{"If-Match": {idTag}}, 412, "", ""},
		{"if-match weak tag", "", http.Header{"If-Match": {"W/" + idTag}}, 412, "", ""},
		{"if-match star", "", http.Header{"If-Match": {"*"}}, 200, idTag, ""},
		{"if-unmodified-since, modified", "", http.Header{"If-Unmodified-Since": {feed.ModTime.Add(-time.Hour).UTC().Format(http.TimeFormat)}}, 412, "", ""},
		{"if-unmodified-since, unmodified", "", http.Header{"If-Unmodified-Since": {lastMod}}, 200, idTag, ""},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				h := tt.header.Clone()
				if tt.acceptEncoding != "" {
					h.Set("Accept-Encoding", tt.acceptEncoding)
				}
				resp, body := do(t, ts, method, "/feeds/all.atom", h)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				if got := resp.Header.Get("ETag"); got != tt.wantTag {
					t.Errorf("ETag = %q, want %q", got, tt.wantTag)
				}
				if got := resp.Header.Get("Content-Encoding"); got != tt.wantEnc {
					t.Errorf("Content-Encoding = %q, want %q", got, tt.wantEnc)
				}
				switch tt.wantStatus {
				case 304:
					if body != "" {
						t.Errorf("304 with %d bytes of body", len(body))
					}
					for k, want := range map[string]string{
						"Vary": "Accept-Encoding", "Cache-Control": "public, max-age=60",
						"Content-Type": "", "Content-Length": "", "Last-Modified": "",
					} {
						if got := resp.Header.Get(k); got != want {
							t.Errorf("304 %s = %q, want %q", k, got, want)
						}
					}
				case 200:
					want := string(feed.Body)
					if method == "HEAD" {
						want = ""
					} else if tt.wantEnc == "gzip" {
						body = gunzip(t, body)
					}
					if body != want {
						t.Errorf("body = %.100q, want %.100q", body, want)
					}
				}
			})
		}
	}
}

func TestServerRange(t *testing.T) {
	site := buildSite(t)
	feed := site.Files["feeds/all.atom"]
	srv := NewServer()
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	resp, body := do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {"bytes=0-9"}})
	if resp.StatusCode != 206 || body != string(feed.Body[:10]) || resp.Header.Get("Content-Length") != "10" ||
		resp.Header.Get("ETag") != feed.ETag {
		t.Errorf("identity range: %d %q Content-Length %q ETag %q", resp.StatusCode, body, resp.Header.Get("Content-Length"), resp.Header.Get("ETag"))
	}

	_, whole := do(t, ts, "GET", "/feeds/all.atom", http.Header{"Accept-Encoding": {"gzip"}})
	resp, body = do(t, ts, "GET", "/feeds/all.atom", http.Header{"Accept-Encoding": {"gzip"}, "Range": {"bytes=-5"}})
	if resp.StatusCode != 206 || body != whole[len(whole)-5:] || resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Content-Range") != "bytes "+strconv.Itoa(len(whole)-5)+"-"+strconv.Itoa(len(whole)-1)+"/"+strconv.Itoa(len(whole)) {
		t.Errorf("gzip range: %d %q Content-Range %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}

	resp, body = do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {"bytes=0-9"}, "If-Range": {`"stale"`}})
	if resp.StatusCode != 200 || body != string(feed.Body) {
		t.Errorf("range with a stale If-Range: %d, %d bytes", resp.StatusCode, len(body))
	}

	resp, _ = do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {"bytes=999999-"}})
	if resp.StatusCode != 416 || resp.Header.Get("ETag") != "" {
		t.Errorf("unsatisfiable range: %d ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

// A suffix range of length 0 selects no byte: 416 with the representation's
// size, never a 206 whose Content-Range ends before it starts; with other
// ranges, only those are served.
func TestServerEmptySuffixRange(t *testing.T) {
	site := buildSite(t)
	feed := site.Files["feeds/all.atom"]
	size := strconv.Itoa(len(feed.Body))
	srv := NewServer()
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for _, rng := range []string{"bytes=-0", "bytes=-000", "bytes= -0 ,", "bytes=-+0"} {
		resp, _ := do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {rng}})
		if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != "bytes */"+size {
			t.Errorf("Range: %s: %d Content-Range %q, want 416 and %q", rng, resp.StatusCode, resp.Header.Get("Content-Range"), "bytes */"+size)
		}
	}
	resp, body := do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {"bytes=-0,0-9"}})
	if resp.StatusCode != 206 || body != string(feed.Body[:10]) || resp.Header.Get("Content-Range") != "bytes 0-9/"+size {
		t.Errorf("Range: bytes=-0,0-9: %d %q Content-Range %q, want the first ten bytes", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	resp, body = do(t, ts, "GET", "/feeds/all.atom", http.Header{"Range": {"bytes=-0"}, "If-Range": {`"stale"`}})
	if resp.StatusCode != 200 || body != string(feed.Body) {
		t.Errorf("Range: bytes=-0 with a stale If-Range: %d, %d bytes, want 200 and the whole feed", resp.StatusCode, len(body))
	}
}

// Every response carries the security headers, the pages a policy that
// allows their inline style and nothing else.
func TestServerSecurityHeaders(t *testing.T) {
	srv := NewServer()
	srv.Swap(buildSite(t))
	srv.SetReady()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
	}
	for _, path := range []string{"/", "/index.html", "/feeds/all.atom", "/healthz", "/readyz", "/nope"} {
		for _, method := range []string{"GET", "HEAD"} {
			resp, _ := do(t, ts, method, path, nil)
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s %s: %s = %q, want %q", method, path, k, got, v)
				}
			}
		}
	}
}

// The probes answer only GET and HEAD, as the files do.
func TestServerProbeMethods(t *testing.T) {
	srv := NewServer()
	srv.SetReady()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for _, path := range []string{"/healthz", "/readyz"} {
		for _, method := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
			resp, _ := do(t, ts, method, path, nil)
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d Allow %q, want 405 and GET, HEAD", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
		if resp, _ := do(t, ts, "HEAD", path, nil); resp.StatusCode != 200 {
			t.Errorf("HEAD %s: %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestServerSmallFileNotCompressed(t *testing.T) {
	srv := NewServer()
	srv.Swap(site(map[string]string{"tiny.txt": "hi"}))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tag := srv.site.Load().files["tiny.txt"].identity.etag

	resp, body := do(t, ts, "GET", "/tiny.txt", http.Header{"Accept-Encoding": {"gzip"}})
	if resp.StatusCode != 200 || body != "hi" || resp.Header.Get("Content-Encoding") != "" ||
		resp.Header.Get("ETag") != tag || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("tiny file: %d %q Content-Encoding %q ETag %q Vary %q", resp.StatusCode, body,
			resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"), resp.Header.Get("Vary"))
	}
	if resp.Header.Get("Last-Modified") != "" {
		t.Errorf("Last-Modified = %q for a file with no time", resp.Header.Get("Last-Modified"))
	}
	resp, _ = do(t, ts, "GET", "/tiny.txt", http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {tag}})
	if resp.StatusCode != 304 {
		t.Errorf("tiny file, matching tag: %d", resp.StatusCode)
	}
}

func TestServerCacheControl(t *testing.T) {
	for _, tt := range []struct {
		before, after int // MaxAge before Swap, and set after it (applies at the next Swap)
		want          string
	}{
		{0, 0, ""},
		{300, 300, "public, max-age=300"},
		{0, 3600, ""},
		{300, 0, "public, max-age=300"},
	} {
		srv := NewServer()
		srv.MaxAge = tt.before
		srv.Swap(buildSite(t))
		srv.MaxAge = tt.after
		for _, ae := range []string{"", "gzip"} {
			for _, inm := range []string{"", "*"} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/", nil)
				if ae != "" {
					req.Header.Set("Accept-Encoding", ae)
				}
				if inm != "" {
					req.Header.Set("If-None-Match", inm)
				}
				srv.ServeHTTP(rec, req)
				if got := rec.Header().Get("Cache-Control"); got != tt.want {
					t.Errorf("MaxAge %d then %d, AE %q, INM %q: Cache-Control = %q, want %q",
						tt.before, tt.after, ae, inm, got, tt.want)
				}
			}
		}
	}
}

// TestServerSwapReusesGzip: a file whose bytes did not change is not
// compressed again.
func TestServerSwapReusesGzip(t *testing.T) {
	srv := NewServer()
	srv.Swap(buildSite(t))
	before := srv.site.Load().files["feeds/all.atom"].gzip.body
	srv.Swap(buildSite(t))
	after := srv.site.Load().files["feeds/all.atom"].gzip.body
	if len(before) == 0 || &before[0] != &after[0] {
		t.Error("the gzip copy was made again")
	}
	srv.Swap(site(map[string]string{"feeds/all.atom": strings.Repeat("other ", 100)}))
	if again := srv.site.Load().files["feeds/all.atom"].gzip.body; len(again) == 0 || &again[0] == &before[0] {
		t.Error("changed bytes kept the old gzip copy")
	}
}

// TestServerLazy: archive pages are rendered on first request, served with
// the same headers as other files, kept for later requests, and a render
// that fails is a 503, not a crash.
func TestServerLazy(t *testing.T) {
	renders := 0
	body := strings.Repeat("<entry>archived</entry>\n", 100)
	site := &Site{Files: map[string]*File{}, Lazy: map[string]LazyFile{
		"feeds/all/archive/1.atom": func(context.Context) (*File, error) {
			renders++
			return newFile([]byte(body), "application/atom+xml; charset=utf-8", time.Time{}), nil
		},
		"feeds/all/archive/2.atom": func(context.Context) (*File, error) {
			return nil, errors.New("store closed")
		},
	}}
	srv := NewServer()
	srv.Log = slog.New(slog.DiscardHandler)
	srv.Swap(site)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var etag string
	for range 3 {
		resp, err := http.Get(ts.URL + "/feeds/all/archive/1.atom")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != body || resp.Header.Get("ETag") == "" {
			t.Fatalf("archive page: %d, ETag %q, %d bytes", resp.StatusCode, resp.Header.Get("ETag"), len(got))
		}
		if etag != "" && resp.Header.Get("ETag") != etag {
			t.Errorf("ETag changed between requests: %q, %q", etag, resp.Header.Get("ETag"))
		}
		etag = resp.Header.Get("ETag")
	}
	if renders != 1 {
		t.Errorf("page rendered %d times for 3 requests, want 1", renders)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/feeds/all/archive/1.atom", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request: %v, %v", resp.Status, err)
	}
	for path, want := range map[string]int{"/feeds/all/archive/2.atom": 503, "/feeds/all/archive/3.atom": 404} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, err := http.Post(ts.URL+"/feeds/all/archive/1.atom", "text/plain", nil); err != nil || resp.StatusCode != 405 {
		t.Errorf("POST to an archive page: %v, %v", resp.Status, err)
	}
}

// TestServerLastModifiedOnSwap: a file's Last-Modified moves forward
// whenever its bytes change, though its ModTime (the newest entry's update)
// does not, as when a story gains an outlet: If-Modified-Since with the old
// value gets the new body. A Swap of the same bytes keeps Last-Modified, and
// 304. The same goes for archive pages, which change when they gain their
// next-archive link.
func TestServerLastModifiedOnSwap(t *testing.T) {
	mod := time.Date(2023, 9, 13, 10, 0, 0, 0, time.UTC)
	clock := time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC)
	srv := NewServer()
	srv.now = func() time.Time { return clock }
	ts := httptest.NewServer(srv)
	defer ts.Close()
	swap := func(feed, page string) {
		srv.Swap(&Site{
			Files: map[string]*File{"feeds/all.atom": newFile([]byte(feed), "application/atom+xml", mod)},
			Lazy: map[string]LazyFile{"feeds/all/archive/1.atom": func(context.Context) (*File, error) {
				return newFile([]byte(page), "application/atom+xml", mod), nil
			}},
		})
	}
	paths := []string{"/feeds/all.atom", "/feeds/all/archive/1.atom"}
	lastModified := func(path string) time.Time {
		t.Helper()
		resp, _ := do(t, ts, "GET", path, nil)
		lm, err := http.ParseTime(resp.Header.Get("Last-Modified"))
		if err != nil {
			t.Fatalf("GET %s: Last-Modified %q: %v", path, resp.Header.Get("Last-Modified"), err)
		}
		return lm
	}
	// since asks for path with If-Modified-Since lm and returns the status.
	since := func(path string, lm time.Time) int {
		t.Helper()
		resp, _ := do(t, ts, "GET", path, http.Header{"If-Modified-Since": {lm.UTC().Format(http.TimeFormat)}})
		return resp.StatusCode
	}

	swap("<feed>one outlet</feed>", "<feed>page 1</feed>")
	first := map[string]time.Time{}
	for _, path := range paths {
		first[path] = lastModified(path)
		if code := since(path, first[path]); code != http.StatusNotModified {
			t.Errorf("%s not changed: If-Modified-Since got %d, want 304", path, code)
		}
	}

	// The same second: the bytes change, the ModTime does not.
	swap("<feed>two outlets</feed>", "<feed>page 1, next page 2</feed>")
	for _, path := range paths {
		if code := since(path, first[path]); code != http.StatusOK {
			t.Errorf("%s changed: If-Modified-Since with the old Last-Modified got %d, want 200", path, code)
		}
		if lm := lastModified(path); !lm.After(first[path]) {
			t.Errorf("%s changed: Last-Modified %v, not after %v", path, lm, first[path])
		}
	}

	// An hour later, the same bytes: Last-Modified stays, and 304.
	second := map[string]time.Time{}
	for _, path := range paths {
		second[path] = lastModified(path)
	}
	clock = clock.Add(time.Hour)
	swap("<feed>two outlets</feed>", "<feed>page 1, next page 2</feed>")
	for _, path := range paths {
		if lm := lastModified(path); !lm.Equal(second[path]) {
			t.Errorf("%s not changed: Last-Modified moved from %v to %v", path, second[path], lm)
		}
		if code := since(path, second[path]); code != http.StatusNotModified {
			t.Errorf("%s not changed: If-Modified-Since got %d, want 304", path, code)
		}
	}

	// A change after the clock stepped back: Last-Modified still moves
	// forward.
	clock = clock.Add(-3 * time.Hour)
	swap("<feed>three outlets</feed>", "<feed>page 1, next page 2, story gone</feed>")
	for _, path := range paths {
		if lm := lastModified(path); !lm.After(second[path]) {
			t.Errorf("%s changed after the clock stepped back: Last-Modified %v, not after %v", path, lm, second[path])
		}
		if code := since(path, second[path]); code != http.StatusOK {
			t.Errorf("%s changed after the clock stepped back: If-Modified-Since got %d, want 200", path, code)
		}
	}
}
