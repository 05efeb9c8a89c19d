package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"aggregator"
	"aggregator/fetch"
	"aggregator/internal/storetest"
	"aggregator/publish"
	"aggregator/store"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const normalFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Normal</title><link>https://normal.example/</link>
<item><title>A normal story</title><link>https://normal.example/story</link><guid>normal-1</guid>
<pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate><description>Nothing to see.</description></item>
</channel></rss>`

// hostileRSS wraps items in an RSS 2.0 channel.
func hostileRSS(items string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile</title>` +
		`<link>https://hostile.example/</link>` + items + `</channel></rss>`
}

func serveString(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(body))
	}
}

// gzipBomb compresses n zero bytes (after a feed prologue).
var gzipBomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write([]byte(hostileRSS("<item><title>")))
	zeros := make([]byte, 1<<20)
	for range 100 { // 100 MiB inflated
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	return buf.Bytes()
})

// stored returns the stored articles of the feed at url.
func stored(t *testing.T, st *store.Store, url string) []store.Stored {
	t.Helper()
	var out []store.Stored
	err := st.Replay(context.Background(), time.Time{}, func(s store.Stored) error {
		if s.Source == url {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type hostileCase struct {
	name    string
	handler http.HandlerFunc
	client  func(*fetch.Client) // adjusts the client; may be nil
	// wantErr, when set, is what the hostile feed's error must wrap; else
	// the feed must be stored without error and check (if set) vets it.
	wantErr error
	anyErr  bool // an error is fine (any), as is success with check passing
	check   func(t *testing.T, items []store.Stored)
	// published, if set, vets every file of the site published from the
	// store (see publishedFiles), by path.
	published func(t *testing.T, files map[string][]byte)
	maxTime   time.Duration // the hostile feed's fetch and parse (Report.Took); 0: unbounded
	maxAlloc  uint64        // bytes allocated during RunAll; 0: unchecked
}

// Hostile feeds end in a per-feed error or a neutralised result, and never
// stop another feed of the same run from being stored.
func TestHostileFeeds(t *testing.T) {
	const lol = "lol"
	billion := `<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>Laughs &lol9;</title><link>https://hostile.example/lol</link><description>&lol9;</description></item>
</channel></rss>`

	deep := func(open, close string) string {
		const n = 100_000
		return hostileRSS(`<item><title>Deep</title><link>https://hostile.example/deep</link>` +
			strings.Repeat(open, n) + "x" + strings.Repeat(close, n) + `</item>`)
	}
	bigAttr := func(n int) string {
		return hostileRSS(`<item><title>Big attribute</title><link>https://hostile.example/attr</link>` +
			`<category domain="` + strings.Repeat("A", n) + `">news</category></item>`)
	}
	manyItems := func() string {
		var b strings.Builder
		start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 100_000 {
			fmt.Fprintf(&b, "<item><title>Item %d</title><pubDate>%s</pubDate></item>",
				i, start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		}
		return hostileRSS(b.String())
	}()

	cases := []hostileCase{
		{
			name: "gzip bomb",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(gzipBomb())
			},
			// Stopped by the cap, however slowly a loaded machine
			// inflates the 10 MiB before it.
			client:  func(c *fetch.Client) { c.Timeout = 10 * time.Minute },
			wantErr: fetch.ErrTooLarge,
		},
		{
			name: "plain body over the cap",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				_, _ = w.Write([]byte(hostileRSS("<item><title>")))
				chunk := bytes.Repeat([]byte("a"), 64<<10)
				for range 4 << 20 / len(chunk) { // 4 MiB against a 1 MiB cap
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			client:  func(c *fetch.Client) { c.MaxBodySize = 1 << 20 },
			wantErr: fetch.ErrTooLarge,
		},
		{
			name: "endless slow drip",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				_, _ = w.Write([]byte(hostileRSS("<item><title>")))
				w.(http.Flusher).Flush()
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-r.Context().Done():
						return
					case <-tick.C:
						if _, err := w.Write([]byte("a")); err != nil {
							return
						}
						w.(http.Flusher).Flush()
					}
				}
			},
			client:  func(c *fetch.Client) { c.Timeout = 300 * time.Millisecond },
			wantErr: context.DeadlineExceeded,
			maxTime: 2 * time.Second,
		},
		{
			name: "invalid UTF-8 in title and description",
			handler: serveString("application/rss+xml", hostileRSS(
				"<item><title>Bad \xff\xfe title \xc3</title><link>https://hostile.example/utf8</link>"+
					"<description>Bad \xed\xa0\x80 surrogate and \x80 byte</description></item>")),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 1 {
					t.Fatalf("%d items stored, want 1", len(items))
				}
				if !strings.Contains(items[0].Item.Title, "Bad") || !strings.Contains(items[0].Item.Title, "\uFFFD") {
					t.Errorf("title %q: want the text kept and the bad bytes replaced by U+FFFD", items[0].Item.Title)
				}
			},
		},
		{
			name: "declares ISO-8859-1, is UTF-8",
			handler: serveString("application/rss+xml", strings.Replace(hostileRSS(
				"<item><title>Café über</title><link>https://hostile.example/latin1</link>"+
					"<description>Naïve — text</description></item>"), "UTF-8", "ISO-8859-1", 1)),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 1 {
					t.Fatalf("%d items stored, want 1", len(items))
				}
				// Decoded as Latin-1 the UTF-8 bytes become mojibake, but
				// valid UTF-8 all the same.
				if !strings.HasPrefix(items[0].Item.Title, "Caf") {
					t.Errorf("title %q", items[0].Item.Title)
				}
			},
		},
		{
			name: "declares UTF-8, has windows-1252 bytes",
			handler: serveString("application/rss+xml", hostileRSS(
				"<item><title>Caf\xe9 \x93quoted\x94</title><link>https://hostile.example/cp1252</link>"+
					"<description>\x96 dash</description></item>")),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 1 {
					t.Fatalf("%d items stored, want 1", len(items))
				}
				if !strings.HasPrefix(items[0].Item.Title, "Caf") || !strings.Contains(items[0].Item.Title, "quoted") {
					t.Errorf("title %q", items[0].Item.Title)
				}
			},
		},
		{
			name:    "100,000 nested elements in an item",
			handler: serveString("application/rss+xml", deep("<x>", "</x>")),
			anyErr:  true,
			maxTime: 10 * time.Second,
		},
		{
			name:    "100,000 nested namespaced (extension) elements in an item",
			handler: serveString("application/rss+xml", strings.Replace(deep("<e:x>", "</e:x>"), `<rss version="2.0">`, `<rss version="2.0" xmlns:e="urn:e">`, 1)),
			anyErr:  true,
			maxTime: 10 * time.Second,
		},
		{
			name:    "10 MiB attribute, over the cap",
			handler: serveString("application/rss+xml", bigAttr(10<<20)),
			wantErr: fetch.ErrTooLarge,
		},
		{
			name:    "9 MB attribute, under the cap",
			handler: serveString("application/rss+xml", bigAttr(9_000_000)),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 1 || items[0].Item.Title != "Big attribute" {
					t.Errorf("stored %+v, want the one item", items)
				}
			},
		},
		{
			name:     "billion laughs",
			handler:  serveString("application/rss+xml", billion),
			anyErr:   true,
			maxTime:  3 * time.Second,
			maxAlloc: 64 << 20,
			check: func(t *testing.T, items []store.Stored) {
				for _, it := range items {
					for _, s := range []string{it.Item.Title, it.Item.Summary, it.Item.Content} {
						if strings.Contains(s, strings.Repeat(lol, 10)) {
							t.Errorf("entity expanded: %.80q…", s)
						}
					}
				}
			},
		},
		{
			name:    "100,000 items",
			handler: serveString("application/rss+xml", manyItems),
			maxTime: 60 * time.Second, // the race detector slows parsing a lot
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != fetch.DefaultMaxItems {
					t.Fatalf("%d items stored, want DefaultMaxItems = %d", len(items), fetch.DefaultMaxItems)
				}
				// The newest are items 99,000 to 99,999.
				for _, it := range items {
					var n int
					if _, err := fmt.Sscanf(it.Item.Title, "Item %d", &n); err != nil || n < 100_000-fetch.DefaultMaxItems {
						t.Fatalf("kept %q, not among the newest", it.Item.Title)
					}
				}
			},
		},
		{
			name: "items with missing fields",
			handler: serveString("application/rss+xml", hostileRSS(
				`<item><description>Only a description</description></item>`+
					`<item><title>Only a title</title></item>`+
					`<item><guid>only-a-guid</guid></item>`+
					`<item><link>https://hostile.example/only-link</link></item>`+
					`<item></item>`+
					`<item><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item>`)),
			check: func(t *testing.T, items []store.Stored) {
				// The two items with nothing to show are dropped.
				if len(items) != 4 {
					for _, it := range items {
						t.Logf("stored %+v", it.Item)
					}
					t.Errorf("%d items stored, want 4", len(items))
				}
			},
		},
		{
			name: "dates far in the future and before 1970",
			handler: serveString("application/rss+xml", hostileRSS(
				`<item><title>Future</title><link>https://hostile.example/future</link><pubDate>Sat, 01 Jan 3000 00:00:00 GMT</pubDate></item>`+
					`<item><title>Sixties</title><link>https://hostile.example/1969</link><pubDate>Sun, 20 Jul 1969 20:17:00 GMT</pubDate></item>`+
					`<item><title>Year one</title><link>https://hostile.example/0001</link><pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate></item>`+
					`<item><title>Atomic</title><link>https://hostile.example/neg</link><pubDate>-0044-03-15T00:00:00Z</pubDate></item>`+
					`<item><title>Year 44</title><link>https://hostile.example/0044</link><pubDate>0044-03-15T00:00:00Z</pubDate></item>`+
					`<item><title>Garbage</title><link>https://hostile.example/garbage</link><pubDate>not a date at all</pubDate></item>`)),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 6 {
					t.Fatalf("%d items stored, want 6", len(items))
				}
				now := time.Now()
				for _, it := range items {
					p := it.Item.Published
					s := p.Format(time.RFC3339)
					if back, err := time.Parse(time.RFC3339, s); err != nil || !back.Equal(p) || p.Year() < 1000 {
						t.Errorf("%s: published %q does not render as valid RFC 3339", it.Item.Title, s)
					}
					if p.After(now.Add(time.Minute)) {
						t.Errorf("%s: published %s is in the future", it.Item.Title, s)
					}
					if it.Item.Title == "Sixties" && p.Year() != 1969 {
						t.Errorf("Sixties: published %s, want the 1969 date kept", s)
					}
					if (it.Item.Title == "Year one" || it.Item.Title == "Year 44") && now.Sub(p) > time.Hour {
						t.Errorf("Year one: published %s, want it treated as undated (now)", s)
					}
				}
			},
		},
		{
			name: "duplicate GUIDs",
			handler: serveString("application/rss+xml", hostileRSS(
				`<item><title>First</title><guid>dup</guid><link>https://hostile.example/a</link></item>`+
					`<item><title>Second</title><guid>dup</guid><link>https://hostile.example/b</link></item>`+
					`<item><title>Third</title><guid>dup</guid><link>https://hostile.example/a</link></item>`)),
			check: func(t *testing.T, items []store.Stored) {
				// The first item with a GUID wins, whatever the links.
				if len(items) != 1 || items[0].Item.Title != "First" {
					for _, it := range items {
						t.Logf("stored %+v", it.Item)
					}
					t.Errorf("%d items stored, want only the first", len(items))
				}
			},
		},
		{
			name: "active HTML content",
			handler: serveString("application/rss+xml", `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Hostile</title>
<link>javascript:alert(1)</link>
<item><title>&lt;script&gt;alert(1)&lt;/script&gt;XSS</title><link>javascript:alert(1)</link><guid>xss-1</guid>
<description><![CDATA[<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">a</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a><svg onload=alert(1)></svg>
<div style="width: expression(alert(1))">css</div><p onclick="alert(1)">p</p><iframe src="https://evil.example/"></iframe>]]></description>
<content:encoded><![CDATA[<SCRIPT SRC=https://evil.example/x.js></SCRIPT><IMG SRC=JaVaScRiPt:alert(1)>
<a href="jav&#x09;ascript:alert(1)">t</a><svg><script>alert(1)</script></svg><object data="x.swf"></object>
<form action="javascript:alert(1)"><input></form><style>@import 'x.css';</style>kept text]]></content:encoded>
</item>
<item><title>Data link</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link><guid>xss-2</guid></item>
</channel></rss>`),
			check: func(t *testing.T, items []store.Stored) {
				if len(items) != 2 {
					t.Fatalf("%d items stored, want 2", len(items))
				}
				for _, it := range items {
					// The store keeps the feed's own HTML: the outputs
					// sanitise it (see published).
					if it.Item.Title == "Data link" {
						continue
					}
					if !strings.Contains(it.Item.Summary, "<script>alert(1)</script>") || !strings.Contains(it.Item.Content, "kept text") {
						t.Errorf("stored %q and %q, want the feed's HTML", it.Item.Summary, it.Item.Content)
					}
					if strings.Contains(strings.ToLower(it.Item.Title), "<script") {
						t.Errorf("title %q", it.Item.Title)
					}
					if l := strings.ToLower(it.Item.Link); l != "" && !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
						t.Errorf("link %q: want http(s) or none", it.Item.Link)
					}
				}
			},
			published: func(t *testing.T, files map[string][]byte) {
				for _, want := range []string{"feeds/all.atom", "feeds/all.rss", "feeds/all.json", "index.html",
					"feeds/one/archive/1.atom", archivesPrefix + "feeds/one/archive/1.atom"} {
					if files[want] == nil {
						t.Errorf("no %s among the outputs", want)
					}
				}
				if !strings.Contains(string(files["feeds/all.atom"]), "kept text") {
					t.Error("all.atom lacks the article's text")
				}
				for name, body := range files {
					found, err := activeIn(name, body)
					if err != nil {
						t.Errorf("%s: %v", name, err)
					}
					for _, a := range found {
						t.Errorf("%s: active content %s", name, a)
					}
					low := strings.ToLower(string(body))
					for _, bad := range []string{"<script", "onerror", "javascript:", "data:text/html"} {
						if strings.Contains(low, bad) {
							t.Errorf("%s contains %q", name, bad)
						}
					}
				}
			},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hostile := httptest.NewServer(tc.handler)
			defer hostile.Close()
			normal := httptest.NewServer(serveString("application/rss+xml", normalFeed))
			defer normal.Close()

			st := storetest.New(t)
			c := fetch.NewClient("test")
			c.AllowPrivate = true // the test servers listen on 127.0.0.1
			if tc.client != nil {
				tc.client(c)
			}
			var logs syncBuffer
			r := &Runner{Store: st, Fetcher: c, Log: slog.New(slog.NewTextHandler(&logs, nil))}
			feeds := []Feed{{URL: hostile.URL + "/feed", Name: "hostile"}, {URL: normal.URL + "/feed", Name: "normal"}}

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			reports := func() (reps []Report) {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("RunAll panicked: %v", p)
					}
				}()
				return r.RunAll(context.Background(), feeds, false)
			}()
			took := time.Since(start)
			runtime.ReadMemStats(&after)

			// The hostile feed's fetch and parse (not the store, slow under
			// the race detector) end by the client's own limits, not by its
			// timeout cutting a fetch that would go on; where the time is
			// the point, within maxTime.
			if err := reports[0].Err; errors.Is(err, context.DeadlineExceeded) && !errors.Is(tc.wantErr, context.DeadlineExceeded) {
				t.Errorf("the hostile feed ran into the fetch timeout: %v", err)
			}
			if tc.maxTime > 0 && reports[0].Took > tc.maxTime {
				t.Errorf("fetching the hostile feed took %s, want at most %s", reports[0].Took, tc.maxTime)
			}
			if tc.maxAlloc > 0 {
				if n := after.TotalAlloc - before.TotalAlloc; n > tc.maxAlloc {
					t.Errorf("RunAll allocated %d MiB, want at most %d MiB", n>>20, tc.maxAlloc>>20)
				}
			}

			// One broken feed never stops the others.
			if err := reports[1].Err; err != nil {
				t.Errorf("normal feed: %v", err)
			}
			if got := stored(t, st, feeds[1].URL); len(got) != 1 || got[0].Item.Title != "A normal story" {
				t.Errorf("normal feed: stored %+v, want its one story", got)
			}

			rep := reports[0]
			switch {
			case tc.wantErr != nil:
				if !errors.Is(rep.Err, tc.wantErr) {
					t.Fatalf("hostile feed: err = %v, want %v", rep.Err, tc.wantErr)
				}
			case rep.Err != nil && !tc.anyErr:
				t.Fatalf("hostile feed: err = %v, want it stored", rep.Err)
			}
			if rep.Err != nil {
				if out := logs.String(); !strings.Contains(out, "fetch failed") || !strings.Contains(out, feeds[0].URL) {
					t.Errorf("the hostile feed's error is not logged: %s", out)
				}
				t.Logf("hostile feed: %v (took %s)", rep.Err, took.Round(time.Millisecond))
				if n := len(stored(t, st, feeds[0].URL)); n != 0 {
					t.Errorf("%d items stored from a failed fetch", n)
				}
				return
			}
			items := stored(t, st, feeds[0].URL)
			t.Logf("hostile feed: stored %d items (took %s)", len(items), took.Round(time.Millisecond))
			for _, it := range items {
				for _, s := range []string{it.Item.Title, it.Item.Summary, it.Item.Content, it.Item.Link} {
					if !utf8.ValidString(s) {
						t.Errorf("stored text is not valid UTF-8: %q", s)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, items)
			}
			if tc.published != nil {
				base, _ := url.Parse("https://agg.example/")
				// One story a page: the hostile articles are on archive
				// pages too.
				pub := &publish.Publisher{BaseURL: base, FeedDir: "feeds/",
					Outputs: []publish.Output{{Name: "all", Title: "All"}, {Name: "one", Title: "One", Limit: 1}}}
				tc.published(t, publishedFiles(t, pub, StoryEntries{Store: st}))
			}
		})
	}
}

// Characters XML cannot carry (a JSON Feed may hold them) never reach the
// outputs: RSS carries an entry's HTML as CDATA, which escapes nothing.
func TestControlCharactersPublishable(t *testing.T) {
	ctx := context.Background()
	const feed = `{"version":"https://jsonfeed.org/version/1.1","title":"Feed \u0001 title","items":[` +
		`{"id":"1","url":"https://c.example/1","title":"One \u0002","content_html":"<p>\u0001 bell \u0007 \ufffe \uffff</p>","summary":"S \u0003"},` +
		`{"id":"2","content_html":"<p>\u0008 keyed by GUID</p>"},{"content_html":"<p>\u0008 keyed by content</p>"}]}`
	srv := httptest.NewServer(serveString("application/feed+json", feed))
	defer srv.Close()
	st := storetest.New(t)
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet()}
	// Twice, as two sources of every article: the entries list the
	// outlets by name in their HTML.
	if err := Failed(r.RunAll(ctx, []Feed{{URL: srv.URL + "/a"}, {URL: srv.URL + "/b"}}, false)); err != nil {
		t.Fatal(err)
	}
	entries, err := StoryEntries{Store: st}.Entries(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The linked article has both feeds as sources, and the one keyed by
	// its content too; the one with a GUID only is each feed's own.
	if len(entries) != 4 {
		t.Fatalf("%d entries, want 4", len(entries))
	}
	out := publish.Output{Name: "all", Title: "All"}
	for _, render := range []struct {
		name string
		fn   func(publish.Output, []aggregator.Entry, string, string) ([]byte, error)
	}{{"all.atom", publish.Atom}, {"all.rss", publish.RSS}, {"all.json", publish.JSONFeed}} {
		doc, err := render.fn(out, entries, "https://feeds.example/"+render.name, "https://feeds.example/")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := activeIn(render.name, doc); err != nil {
			t.Errorf("%s: %v\n%s", render.name, err, doc)
		}
	}
}
