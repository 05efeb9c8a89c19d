package publish

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"aggregator"
)

// benchWords make text that compresses about as well as real news copy.
var benchWords = strings.Fields(`the a of to in and for on with by at from as that
	said says will has have was were is are be been not but or after before over
	government minister president talks summit leader officials report reported
	police court city council market prices energy weather storm election vote
	parliament border trade deal weapons train Russia Korea Ukraine China Europe
	Pyongyang Moscow Seoul Tokyo Kyiv Washington Beijing London economy growth
	inflation bank rate percent million billion year week Monday Tuesday Wednesday
	Thursday Friday yesterday today according statement spokesperson agency
	football league match season club coach injury final championship record`)

func benchSentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		w := benchWords[r.IntN(len(benchWords))]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// benchEntries makes n entries with the sizes of real ones: a title, a
// summary, a few paragraphs of content, categories, one to three sources.
func benchEntries(n int) []aggregator.Entry {
	r := rand.New(rand.NewPCG(1, 2))
	feeds := []aggregator.Feed{koreaDesk, worldWire,
		{ID: 4, URL: "https://daily-ledger.example/rss", Title: "Daily Ledger", SiteURL: "https://daily-ledger.example/"},
		{ID: 5, URL: "https://newsroom.example/feed.json", Title: "Newsroom", SiteURL: "https://newsroom.example/"}}
	start := date("2023-09-12T12:00:00Z")
	entries := make([]aggregator.Entry, n)
	for i := range entries {
		slug := fmt.Sprintf("2023/09/%02d/story-%d", 1+i%28, i)
		var content strings.Builder
		for range 1 + r.IntN(2) {
			content.WriteString("<p>")
			for range 2 {
				content.WriteString(benchSentence(r, 8+r.IntN(12)) + " ")
			}
			content.WriteString("</p>\n")
		}
		var sources []aggregator.Source
		for j := range 1 + r.IntN(3) {
			f := feeds[(i+j)%len(feeds)]
			sources = append(sources, aggregator.Source{Feed: f, Link: f.SiteURL + slug + "?utm_source=rss"})
		}
		t := start.Add(-time.Duration(i) * 37 * time.Minute)
		entries[i] = aggregator.Entry{
			ID: aggregator.EntryID("url:" + sources[0].Link),
			Item: aggregator.Item{
				Link:       sources[0].Link,
				Title:      benchSentence(r, 6+r.IntN(6)),
				Summary:    "<p>" + benchSentence(r, 12+r.IntN(12)) + "</p>",
				Content:    content.String(),
				Author:     "Staff reporter",
				Categories: []string{benchWords[r.IntN(len(benchWords))], benchWords[r.IntN(len(benchWords))]},
			},
			Published: t,
			Updated:   t.Add(10 * time.Minute),
			Sources:   sources,
		}
	}
	return entries
}

// benchSite is a site with one ~150 KB Atom feed of 100 entries.
func benchSite(b *testing.B) (*Site, *File) {
	b.Helper()
	entries := benchEntries(100)
	body, err := Atom(allOutput, entries, testSelf, testHome)
	if err != nil {
		b.Fatal(err)
	}
	f := newFile(body, "application/atom+xml; charset=utf-8", entries[0].Updated)
	return &Site{Files: map[string]*File{"feeds/all.atom": f}}, f
}

func BenchmarkServe(b *testing.B) {
	site, feed := benchSite(b)
	srv := NewServer()
	srv.MaxAge = 900
	srv.Swap(site)
	gz := srv.site.Load().files["feeds/all.atom"].gzip
	b.Logf("feed: %d bytes, gzip %d bytes", len(feed.Body), len(gz.body))

	for _, bc := range []struct {
		name       string
		header     http.Header
		wantStatus int
		wantLen    int
	}{
		{"identity", nil, 200, len(feed.Body)},
		{"gzip", http.Header{"Accept-Encoding": {"gzip, deflate, br, zstd"}}, 200, len(gz.body)},
		{"304", http.Header{"Accept-Encoding": {"gzip, deflate, br, zstd"}, "If-None-Match": {gz.etag}}, 304, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/feeds/all.atom", nil)
			req.Header = bc.header
			if req.Header == nil {
				req.Header = http.Header{}
			}
			// One body buffer for all requests, so that the recorder's
			// buffer growth is not counted as the server's allocations.
			buf := bytes.NewBuffer(make([]byte, 0, len(feed.Body)))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				rec := httptest.NewRecorder()
				buf.Reset()
				rec.Body = buf
				srv.ServeHTTP(rec, req)
				if rec.Code != bc.wantStatus || buf.Len() != bc.wantLen {
					b.Fatalf("status %d, %d bytes; want %d, %d", rec.Code, buf.Len(), bc.wantStatus, bc.wantLen)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but its header map,
// so that allocations measured are the server's own.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// TestServeAllocs keeps the hot path free of allocations: serving a file,
// its gzip copy or a 304 builds nothing per request.
func TestServeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocations differ under instrumentation")
	}
	srv := NewServer()
	srv.MaxAge = 900
	srv.Swap(buildSite(t))
	gzTag := srv.site.Load().files["feeds/all.atom"].gzip.etag
	for name, h := range map[string]http.Header{
		"identity": {},
		"gzip":     {"Accept-Encoding": {"gzip, deflate, br;q=0.9, zstd"}},
		"304":      {"Accept-Encoding": {"gzip"}, "If-None-Match": {`"x", ` + gzTag}},
		"head":     {"Accept-Encoding": {"gzip"}},
	} {
		req := httptest.NewRequest("GET", "/feeds/all.atom", nil)
		if name == "head" {
			req.Method = "HEAD"
		}
		req.Header = h
		w := &discardWriter{h: http.Header{}}
		allocs := testing.AllocsPerRun(100, func() {
			clear(w.h)
			srv.ServeHTTP(w, req)
		})
		if allocs != 0 || w.code == 0 {
			t.Errorf("%s: %v allocations per request (status %d)", name, allocs, w.code)
		}
	}
}
