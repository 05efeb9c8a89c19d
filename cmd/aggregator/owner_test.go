package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// rssDoc is an RSS 2.0 document whose channel links to site.
func rssDoc(title, site, items string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>` + title + `</title><link>` + site +
		`</link><description>` + title + `</description>` + items + `</channel></rss>`
}

func rssItem(title, link, published, text string) string {
	return `<item><title>` + title + `</title><link>` + link + `</link><guid>` + link + `</guid><pubDate>` + published +
		`</pubDate><description>` + text + `</description></item>`
}

// rssServer serves the document *doc holds at the time of each request.
func rssServer(t *testing.T, doc *atomic.Value) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, doc.Load())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOnceOwnerDecidesText: a feed that lists an article of a site it does
// not own, under the article's own link, with text of its own, never
// decides what readers see of it once the site's feed carries it, in
// whichever order the feeds come: in one --once run, listed first or
// last, or in an earlier run. Within one run the article joins the story
// its own text tells, not the one the other feed made up for it.
func TestOnceOwnerDecidesText(t *testing.T) {
	const (
		link      = "https://www.trusted.example/world/2023/09/12/kim-train"
		title     = "Kim Jong Un leaves for Russia by armoured train"
		text      = "North Korea's leader set off on Sunday to meet Vladimir Putin in the Russian far east, state media said."
		fakeTitle = "Harbour Savings freezes accounts as regulators close in"
		fakeText  = "Customers of Harbour Savings cannot withdraw their deposits; regulators urge them to move their savings to a safe account."
		published = "Tue, 12 Sep 2023 06:00:00 GMT"
	)
	trustedDoc := rssDoc("Trusted World", "https://www.trusted.example/", rssItem(title, link, published, text))
	// The other feed tells a story of its own under the site's link; in
	// one run it also carries its own copy of the story, to draw the
	// site's article into it.
	fake := rssItem(fakeTitle, link, published, fakeText)
	hostileDoc := rssDoc("Hostile Wire", "https://hostile.example/",
		fake+rssItem(fakeTitle, "https://hostile.example/harbour-savings", published, fakeText))
	emptyDoc := func(title, site string) string { return rssDoc(title, site, "") }

	tests := []struct {
		name         string
		hostileFirst bool // listed first in the config, or served first
		earlierRun   bool // the first feed carries the article a run before the second does
	}{
		{"one run, the other feed listed first", true, false},
		{"one run, the site's feed listed first", false, false},
		{"the other feed a run earlier", true, true},
		{"the site's feed a run earlier", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trusted, hostile atomic.Value
			trusted.Store(trustedDoc)
			hostile.Store(hostileDoc)
			if tt.earlierRun {
				hostile.Store(rssDoc("Hostile Wire", "https://hostile.example/", fake))
				if tt.hostileFirst {
					trusted.Store(emptyDoc("Trusted World", "https://www.trusted.example/"))
				} else {
					hostile.Store(emptyDoc("Hostile Wire", "https://hostile.example/"))
				}
			}
			trustedURL, hostileURL := rssServer(t, &trusted).URL+"/world.rss", rssServer(t, &hostile).URL+"/feed.rss"
			urls := []string{trustedURL, hostileURL}
			if tt.hostileFirst {
				urls = []string{hostileURL, trustedURL}
			}
			cfg := writeConfig(t, "", urls...)
			once := func() []byte {
				t.Helper()
				var stdout, stderr bytes.Buffer
				if err := run(context.Background(), []string{"--config", cfg, "--once", "--force"}, &stdout, &stderr); err != nil {
					t.Fatalf("--once: %v\n%s", err, stderr.String())
				}
				data, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "public", "all.atom"))
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			out := once()
			if tt.earlierRun {
				trusted.Store(trustedDoc)
				hostile.Store(rssDoc("Hostile Wire", "https://hostile.example/", fake))
				out = once()
			}

			found := false
			for _, e := range parseAtom(t, out).Entries {
				carries := false
				for _, l := range e.Links {
					carries = carries || l.Href == link
				}
				if !carries {
					continue
				}
				found = true
				if e.Title != title || !strings.Contains(e.Content+e.Summary, "set off on Sunday") {
					t.Errorf("the site's article is published as %q: %s%s", e.Title, e.Summary, e.Content)
				}
				if e.Source.Title != "Trusted World" {
					t.Errorf("its atom:source is %q, want the site's feed", e.Source.Title)
				}
				if strings.Contains(e.Content+e.Summary, "Harbour Savings") {
					t.Errorf("the other feed's text is published with the site's article: %s%s", e.Summary, e.Content)
				}
			}
			if !found {
				t.Fatalf("no entry links %s:\n%s", link, out)
			}
			if want := map[bool]int{false: 2, true: 1}[tt.earlierRun]; strings.Count(string(out), "<entry>") != want {
				t.Errorf("want %d entries: the site's article on its own, and the other feed's story if it told one:\n%s", want, out)
			}
		})
	}
}
