package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"aggregator/internal/shared"
	"aggregator/internal/storetest"
	"aggregator/publish"
	"aggregator/story"
)

// FuzzIngest serves arbitrary bytes as a feed and takes them down the path
// that publishes them: a Runner fetches the feed over HTTP, keys its items,
// stores them in a real SQLite store and places them in stories; a
// Publisher builds the site from the stored stories, sanitising their HTML.
// Whatever a feed holds, every output (Atom, RSS, JSON Feed and the index
// page) must be valid UTF-8, the Atom and RSS well-formed XML, the JSON Feed
// valid JSON, and none may carry active content (see activeIn).
//
//	go test -run '^$' -fuzz FuzzIngest -fuzztime 2000x -fuzzminimizetime 100x ./pipeline
func FuzzIngest(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"../testdata/kim/*.rss", "../testdata/kim/*.atom", "../testdata/kim/*.json"} {
		m, _ := filepath.Glob(pat)
		seeds = append(seeds, m...)
	}
	for _, name := range []string{
		// Small ones: the fuzzer minimises every new interesting input, and
		// large seeds make that slow.
		"seths-blog-feed.xml",
		"9to5linux-com-category-news-feed.xml",
		"desmog-com-feed.xml",
		"feeds-washingtonpost-com-rss-business-technology.xml",
		"codeproject-com-webservices-newsrss-aspx.xml",
	} {
		seeds = append(seeds, filepath.Join(shared.Dir(), "fixtures", "realweek", "feeds", "2023-09-18", name))
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // a missing fixture is not a failure
		}
		f.Add(data)
	}
	f.Add([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a &amp; b</title><link>/x</link></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;b&gt;x&lt;/b&gt;</title></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>\u0001</p>"}]}`))
	f.Add([]byte(`<rss version="2.0"><channel><title>x</title><link>javascript:alert(1)</link><item><title>&amp;lt;script&amp;gt;</title>` +
		`<link>javascript:alert(1)</link><description>&lt;img src=x onerror=alert(1)&gt;&lt;a href="jav&amp;#x09;ascript:alert(1)"&gt;a&lt;/a&gt;</description></item></channel></rss>`))

	// One store, server and client per fuzzing process: opening a store
	// costs more than the rest of an execution. Each execution fetches a
	// feed URL of its own and empties the store after it, so that none
	// sees another's feed state or items.
	ctx := context.Background()
	path := filepath.Join(f.TempDir(), "fuzz.db")
	st := storetest.Open(f, path)
	// Pruning leaves tombstones that would keep a later input's items out
	// of the store; they go through a second connection to the same file.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { raw.Close() })
	var (
		mu   sync.Mutex
		body []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		w.Write(b)
	}))
	f.Cleanup(srv.Close)
	client := testClient()
	runs := 0
	outputs := []publish.Output{{Name: "all", Title: "All"}}
	home, _ := url.Parse("https://feeds.example/")

	f.Fuzz(func(t *testing.T, data []byte) {
		mu.Lock()
		body = data
		mu.Unlock()
		runs++
		feed := Feed{URL: fmt.Sprintf("%s/feed/%d", srv.URL, runs)}
		r := &Runner{Store: st, Fetcher: client, Log: quiet(), Stories: story.New(story.DefaultConfig())}
		rep := r.RunAll(ctx, []Feed{feed}, false)[0]
		if rep.Added > 0 {
			defer func() {
				// Forget every story: all were stored before now.
				if _, _, err := st.Prune(ctx, time.Now().Add(time.Hour), 0, 0); err != nil {
					t.Fatalf("emptying the store: %v", err)
				}
				if _, err := raw.ExecContext(ctx, "DELETE FROM tombstones"); err != nil {
					t.Fatalf("emptying the store: %v", err)
				}
			}()
		}
		if rep.Err != nil {
			if rep.Result != nil {
				t.Fatalf("parsed, not stored: %v", rep.Err)
			}
			return // not a feed
		}
		// The store keeps the feed's own HTML: what reaches the outputs is
		// what the publisher sanitises. Archives are left out: the store
		// is emptied after every execution.
		site, err := (&publish.Publisher{Outputs: outputs, BaseURL: home, FeedDir: "feeds/"}).Build(ctx, publish.Entries(StoryEntries{Store: st}))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"feeds/all.atom", "feeds/all.rss", "feeds/all.json", "index.html"} {
			doc := site.Files[name].Body
			if !utf8.Valid(doc) {
				t.Fatalf("%s is not valid UTF-8:\n%q", name, doc)
			}
			found, err := activeIn(name, doc)
			if err != nil {
				t.Fatalf("%s is not well-formed: %v\n%s", name, err, doc)
			}
			if len(found) > 0 {
				t.Fatalf("%s carries active content %q:\n%s", name, found, doc)
			}
		}
	})
}
