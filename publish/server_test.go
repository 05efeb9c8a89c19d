package publish

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	resp, err := ts.Client().Do(req)
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
