package publish

import (
	"strings"
	"testing"

	"aggregator"
	"aggregator/internal/xsstest"
)

// The HTML of an entry is sanitised with its relative links resolved against
// the article's link, else its feed's site, else the feed; HTML sanitised
// already (as older versions stored it) comes back as it is.
func TestSanitizeEntries(t *testing.T) {
	raw := `<p><a href="/more">More</a><img src="pic.jpg" onerror="alert(1)"></p><script>alert(2)</script>` + strings.Join(xsstest.Vectors, "")
	entry := func(link, site string) aggregator.Entry {
		return aggregator.Entry{ID: "urn:x", Item: aggregator.Item{Link: link, Summary: raw, Content: raw},
			Sources: []aggregator.Source{{Feed: aggregator.Feed{URL: "https://feed.example/rss", SiteURL: site}}}}
	}
	tests := []struct {
		name string
		e    aggregator.Entry
		more string
	}{
		{"article's link", entry("https://news.example/world/kim", "https://site.example/"), `href="https://news.example/more"`},
		{"feed's site", entry("", "https://site.example/"), `href="https://site.example/more"`},
		{"feed", entry("", ""), `href="https://feed.example/more"`},
	}
	var s sanitizer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := s.sanitize([]aggregator.Entry{tt.e}, true)
			if tt.e.Item.Summary != raw {
				t.Fatal("sanitize changed the entry it was given")
			}
			got := out[0].Item.Content
			if !strings.Contains(got, tt.more) || out[0].Item.Summary != got {
				t.Errorf("sanitised %q, want %s", got, tt.more)
			}
			for _, bad := range []string{"<script", "onerror", "javascript:", "<iframe", "onload"} {
				if strings.Contains(strings.ToLower(got), bad) {
					t.Errorf("sanitised HTML keeps %s: %q", bad, got)
				}
			}
			again := tt.e
			again.Item.Summary, again.Item.Content = got, got
			if twice := s.sanitize([]aggregator.Entry{again}, false)[0].Item.Content; twice != got {
				t.Errorf("sanitising again gave\n%q\nnot\n%q", twice, got)
			}
		})
	}
	if len(s.cur) != len(tests) {
		t.Errorf("the cache holds %d articles, want %d: only those kept", len(s.cur), len(tests))
	}
}

// The cache is bounded: two generations of sanitizedCache articles.
func TestSanitizeCacheBounded(t *testing.T) {
	var s sanitizer
	for i := range 3*sanitizedCache + 1 {
		e := aggregator.Entry{ID: "urn:x", Item: aggregator.Item{Summary: "<p>" + strings.Repeat("x", i) + "</p>"}}
		if got := s.sanitize([]aggregator.Entry{e}, true)[0].Item.Summary; got != e.Item.Summary {
			t.Fatalf("sanitised %q to %q", e.Item.Summary, got)
		}
	}
	if n := len(s.cur) + len(s.old); n > 2*sanitizedCache {
		t.Errorf("the cache holds %d articles, over %d", n, 2*sanitizedCache)
	}
}
