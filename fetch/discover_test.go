package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"aggregator"
)

// atomDoc is a small Atom document titled title.
func atomDoc(title string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>` + title +
		`</title><id>urn:x:` + title + `</id><updated>2024-03-15T10:00:00Z</updated><entry><title>An entry</title>` +
		`<id>urn:x:1</id><link href="https://site.example/1"/><updated>2024-03-15T10:00:00Z</updated></entry></feed>`)
}

// site is a test web site: its pages by path, and the paths asked for, in
// order. A path it has no page for answers 404.
type site struct {
	srv *httptest.Server

	mu    sync.Mutex
	pages map[string]page
	asked []string
}

type page struct {
	contentType string
	body        string // "{{host}}" reads as the server's host:port
	handler     http.HandlerFunc
}

func newSite(t *testing.T, pages map[string]page) *site {
	t.Helper()
	s := &site{pages: pages}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.asked = append(s.asked, r.URL.Path)
		p, ok := s.pages[r.URL.Path]
		s.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case p.handler != nil:
			p.handler(w, r)
		default:
			if p.contentType != "" {
				w.Header().Set("Content-Type", p.contentType)
			}
			fmt.Fprint(w, strings.ReplaceAll(p.body, "{{host}}", r.Host))
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

func notFeedError(t *testing.T, err error) *NotFeedError {
	t.Helper()
	if !errors.Is(err, ErrNotFeed) {
		t.Fatalf("error %v is not ErrNotFeed", err)
	}
	nf, ok := errors.AsType[*NotFeedError](err)
	if !ok {
		t.Fatalf("error %v holds no *NotFeedError", err)
	}
	return nf
}

// TestFetchNotFeedSaysWhatCameBack: a document that is no feed fails with
// an error that says what it is, with its Content-Type, and looks for no
// feed unless it is a web page.
func TestFetchNotFeedSaysWhatCameBack(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
	tests := []struct {
		name, contentType, body string
		want                    string
	}{
		{"empty", "text/html; charset=utf-8", "", "not a feed but an empty body: check the feed's url"},
		{"blank", "", " \r\n", "not a feed but an empty body: check"},
		{"JSON object", "application/json", `{"status": "ok", "data": {"id": 3}}`,
			"not a feed but a JSON document that is not JSON Feed (application/json): check"},
		{"JSON array", "application/json; charset=utf-8", `[{"id": 1}]`,
			"not a feed but a JSON document that is not JSON Feed (application/json): check"},
		{"JSON as HTML", "text/html", `{"error": "not found"}`,
			"not a feed but a JSON document that is not JSON Feed (text/html): check"},
		{"plain text", "text/plain", "Service temporarily unavailable\n", "not a feed but a plain text document (text/plain): check"},
		{"image", "image/png", png, "not a feed but an image (image/png): check"},
		{"sitemap", "application/xml", `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://site.example/</loc></url></urlset>`,
			"not a feed but an XML document whose root element is <urlset>, not <rss>, <rdf:RDF> or <feed> (application/xml): check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, map[string]page{"/feed.xml": {contentType: tt.contentType, body: tt.body}})
			_, err := fetchURL(t, newTestClient(), s.srv.URL+"/feed.xml", aggregator.FeedState{})
			nf := notFeedError(t, err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\n does not say %q", err, tt.want)
			}
			if len(nf.Feeds) != 0 || nf.Guessed {
				t.Errorf("found feeds %v in what is not a web page", nf.Feeds)
			}
			if got := s.paths(); len(got) != 1 {
				t.Errorf("asked for %v; a document that is not a web page is searched for no feed", got)
			}
		})
	}
}

// TestFetchPageLinksFeeds: a web page instead of a feed fails with an
// error that names the feeds its head links, relative and absolute hrefs
// resolved against the page, without fetching any of them.
func TestFetchPageLinksFeeds(t *testing.T) {
	s := newSite(t, map[string]page{
		"/news/today.html": {contentType: "text/html; charset=utf-8", body: `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Today</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="fr" href="/fr/news/today.html">
<link rel="alternate" type="application/rss+xml" title="Site News" href="feed.xml">
<link rel="alternate" type="application/atom+xml" title="Site News (Atom)" href="http://{{host}}/atom">
<link rel="alternate" type="application/rss+xml" title="Again" href="/news/feed.xml">
</head><body><link rel="alternate" type="application/rss+xml" href="/in-body.xml"><p>News</p></body></html>`},
	})
	_, err := fetchURL(t, newTestClient(), s.srv.URL+"/news/today.html", aggregator.FeedState{})
	nf := notFeedError(t, err)
	want := []FeedLink{
		{URL: s.srv.URL + "/news/feed.xml", Title: "Site News", Type: "RSS"},
		{URL: s.srv.URL + "/atom", Title: "Site News (Atom)", Type: "Atom"},
	}
	if !reflect.DeepEqual(nf.Feeds, want) || nf.Guessed {
		t.Errorf("Feeds = %+v (guessed %v), want %+v", nf.Feeds, nf.Guessed, want)
	}
	for _, say := range []string{
		"not a feed but an HTML page (text/html), which links 2 feeds: ",
		s.srv.URL + `/news/feed.xml (RSS, "Site News")`,
		s.srv.URL + `/atom (Atom, "Site News (Atom)")`,
		"make one of them the feed's url",
	} {
		if !strings.Contains(err.Error(), say) {
			t.Errorf("error %q\n does not say %q", err, say)
		}
	}
	if got := s.paths(); len(got) != 1 {
		t.Errorf("asked for %v, want the page alone: linked feeds are named, not fetched", got)
	}
}

// TestFetchPageGuessesFeed: a web page that links no feed fails with an
// error that names the feed at /feed, which is fetched as a fetch would:
// with the client's User-Agent, the feed's credentials on the same host,
// and no validators.
func TestFetchPageGuessesFeed(t *testing.T) {
	var feedReq *http.Request
	s := newSite(t, map[string]page{
		"/": {contentType: "text/html", body: `<html><head><title>Home</title></head><body><a href="/feed">RSS</a></body></html>`},
		"/feed": {handler: func(w http.ResponseWriter, r *http.Request) {
			feedReq = r
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(rssDoc("Home News", 2))
		}},
		"/rss.xml": {contentType: "application/rss+xml", body: string(rssDoc("Other", 1))},
	})
	_, err := newTestClient().Fetch(t.Context(), Request{URL: s.srv.URL + "/", Username: "kim", Password: "pw",
		State: aggregator.FeedState{ETag: `"v1"`, LastModified: "Fri, 15 Mar 2024 10:00:00 GMT"}})
	nf := notFeedError(t, err)
	want := []FeedLink{{URL: s.srv.URL + "/feed", Title: "Home News", Type: "RSS"}}
	if !reflect.DeepEqual(nf.Feeds, want) || !nf.Guessed {
		t.Errorf("Feeds = %+v (guessed %v), want %+v, guessed", nf.Feeds, nf.Guessed, want)
	}
	say := `not a feed but an HTML page (text/html), which links no feed, but ` + s.srv.URL + `/feed (RSS, "Home News") is one: make that the feed's url`
	if !strings.HasSuffix(err.Error(), say) {
		t.Errorf("error %q\n does not end %q", err, say)
	}
	if got, want := s.paths(), []string{"/", "/feed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("asked for %v, want %v: no path after the first that is a feed", got, want)
	}
	if feedReq == nil {
		t.Fatal("/feed was not fetched")
	}
	if ua := feedReq.Header.Get("User-Agent"); ua != testUA {
		t.Errorf("/feed fetched as %q, want the client's User-Agent", ua)
	}
	if u, p, ok := feedReq.BasicAuth(); !ok || u != "kim" || p != "pw" {
		t.Errorf("/feed fetched without the feed's basic auth")
	}
	if feedReq.Header.Get("If-None-Match") != "" || feedReq.Header.Get("If-Modified-Since") != "" {
		t.Errorf("/feed fetched with the page's validators: %v", feedReq.Header)
	}
}

// TestFetchPageNoFeedDoesNotLoop: a site that answers every path with the
// same page, and redirects /feed to it, is asked for each common path
// once: what discovery fetches is never searched itself.
func TestFetchPageNoFeedDoesNotLoop(t *testing.T) {
	home := page{contentType: "text/html", body: `<!doctype html><title>Everything</title><p>Hello`}
	pages := map[string]page{"/feed": {handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusFound)
	}}}
	for _, p := range []string{"/", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml"} {
		pages[p] = home
	}
	s := newSite(t, pages)
	_, err := fetchURL(t, newTestClient(), s.srv.URL+"/", aggregator.FeedState{})
	nf := notFeedError(t, err)
	if len(nf.Feeds) != 0 {
		t.Errorf("found %+v", nf.Feeds)
	}
	say := "not a feed but an HTML page (text/html), which links no feed, and none answers at /feed, /rss.xml, /atom.xml, /feed.xml or /index.xml: find the feed's url"
	if !strings.Contains(err.Error(), say) {
		t.Errorf("error %q\n does not say %q", err, say)
	}
	want := []string{"/", "/feed", "/", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml"}
	if got := s.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("asked for %v, want %v", got, want)
	}
}

// TestFetchPageDiscoveryLimits: what discovery fetches has the client's
// size cap, and all of it one fetch timeout.
func TestFetchPageDiscoveryLimits(t *testing.T) {
	html := page{contentType: "text/html", body: `<html><head></head><body>No feed here</body></html>`}
	t.Run("size", func(t *testing.T) {
		s := newSite(t, map[string]page{
			"/":        html,
			"/feed":    {contentType: "application/rss+xml", body: string(rssDoc("Big", 50))},
			"/rss.xml": {contentType: "application/rss+xml", body: string(rssDoc("Small", 1))},
		})
		c := newTestClient()
		c.MaxBodySize = int64(len(rssDoc("Small", 1)))
		_, err := fetchURL(t, c, s.srv.URL+"/", aggregator.FeedState{})
		nf := notFeedError(t, err)
		if want := []FeedLink{{URL: s.srv.URL + "/rss.xml", Title: "Small", Type: "RSS"}}; !reflect.DeepEqual(nf.Feeds, want) {
			t.Errorf("Feeds = %+v, want %+v: /feed is over the size cap", nf.Feeds, want)
		}
	})
	t.Run("time", func(t *testing.T) {
		s := newSite(t, map[string]page{
			"/": html,
			"/feed": {handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // until the client gives up
			}},
			"/rss.xml": {contentType: "application/rss+xml", body: string(rssDoc("Late", 1))},
		})
		_, err := newTestClient().Fetch(t.Context(), Request{URL: s.srv.URL + "/", Timeout: time.Second})
		nf := notFeedError(t, err)
		if len(nf.Feeds) != 0 {
			t.Errorf("found %+v after /feed took the whole timeout", nf.Feeds)
		}
		if got, want := s.paths(), []string{"/", "/feed"}; !reflect.DeepEqual(got, want) {
			t.Errorf("asked for %v, want %v: the paths share one timeout", got, want)
		}
	})
}

// TestPageLinks: the feed links of a page's head, resolved against its
// <base href> and its URL.
func TestPageLinks(t *testing.T) {
	base, _ := url.Parse("https://site.example/blog/post.html")
	tests := []struct {
		name, contentType, html string
		want                    []FeedLink
	}{
		{"relative and absolute", "", `<head><link rel="alternate" type="application/rss+xml" href="feed.xml">` +
			`<LINK REL="Alternate feed" TYPE="Application/Atom+XML; charset=utf-8" HREF="//cdn.example/atom" TITLE=" Site
			 Atom ">` +
			`<link rel="alternate" type="application/feed+json" href="/feed.json" title="JSON">`,
			[]FeedLink{
				{URL: "https://site.example/blog/feed.xml", Type: "RSS"},
				{URL: "https://cdn.example/atom", Title: "Site Atom", Type: "Atom"},
				{URL: "https://site.example/feed.json", Title: "JSON", Type: "JSON Feed"},
			}},
		{"base href", "", `<head><base href="/static/"><link rel="alternate" type="application/rss+xml" href="rss">`,
			[]FeedLink{{URL: "https://site.example/static/rss", Type: "RSS"}}},
		{"application/json", "", `<head><link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">`,
			[]FeedLink{{URL: "https://site.example/wp-json/wp/v2/pages/2", Type: "JSON"}}},
		{"not feeds", "", `<head><link rel="alternate" href="/fr/"><link rel="feed" type="application/rss+xml" href="/a">` +
			`<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">` +
			`<link rel="alternate" type="application/rss+xml" href="post.html">` +
			`<script>document.write('<link rel="alternate" type="application/rss+xml" href="/s">')</script></head>` +
			`<link rel="alternate" type="application/rss+xml" href="/after-head">`, nil},
		{"windows-1252", "text/html; charset=windows-1252", "<head><link rel=alternate type=application/rss+xml title=\"Caf\xe9\" href=/rss>",
			[]FeedLink{{URL: "https://site.example/rss", Title: "Café", Type: "RSS"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pageLinks([]byte(tt.html), tt.contentType, base)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pageLinks = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDiscover: Discover lists the feeds a page links, fetched for their
// own titles and types, each once; else those at the common paths; a feed
// is its own one feed.
func TestDiscover(t *testing.T) {
	rss, atom := string(rssDoc("Site News", 2)), string(atomDoc("Site Comments"))
	t.Run("linked", func(t *testing.T) {
		s := newSite(t, map[string]page{
			"/": {contentType: "text/html", body: `<html><head>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/news.rss">
<link rel="alternate" type="application/atom+xml" title="Comments" href="http://{{host}}/comments">
<link rel="alternate" type="application/rss+xml" title="Old" href="/gone.rss">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
<link rel="alternate" type="application/rss+xml" title="Same" href="/news.rss?again">
</head></html>`},
			"/news.rss":              {contentType: "application/rss+xml", body: rss},
			"/comments":              {contentType: "application/atom+xml", body: atom},
			"/wp-json/wp/v2/pages/2": {contentType: "application/json", body: `{"id": 2}`},
		})
		d, err := newTestClient().Discover(t.Context(), s.srv.URL+"/")
		if err != nil {
			t.Fatal(err)
		}
		want := []FeedLink{
			{URL: s.srv.URL + "/news.rss", Title: "Site News", Type: "RSS"},
			{URL: s.srv.URL + "/comments", Title: "Site Comments", Type: "Atom"},
		}
		if !reflect.DeepEqual(d.Feeds, want) || d.IsFeed || d.Guessed {
			t.Errorf("Discover = %+v, want feeds %+v", d, want)
		}
		if len(d.Broken) != 1 || !strings.Contains(d.Broken[0].Error(), "/gone.rss") || !strings.Contains(d.Broken[0].Error(), "404") {
			t.Errorf("Broken = %v, want the link to /gone.rss alone", d.Broken)
		}
		for _, p := range s.paths() {
			if p == "/feed" {
				t.Errorf("asked for /feed although the page links feeds")
			}
		}
	})
	t.Run("guessed", func(t *testing.T) {
		s := newSite(t, map[string]page{
			"/blog/":    {contentType: "text/html", body: `<html><head><title>Blog</title></head><body></body></html>`},
			"/feed":     {contentType: "application/rss+xml", body: rss},
			"/rss.xml":  {contentType: "application/rss+xml", body: rss},
			"/atom.xml": {contentType: "application/atom+xml", body: atom},
		})
		d, err := newTestClient().Discover(t.Context(), s.srv.URL+"/blog/")
		if err != nil {
			t.Fatal(err)
		}
		want := []FeedLink{
			{URL: s.srv.URL + "/feed", Title: "Site News", Type: "RSS"},
			{URL: s.srv.URL + "/atom.xml", Title: "Site Comments", Type: "Atom"},
		}
		if !reflect.DeepEqual(d.Feeds, want) || !d.Guessed {
			t.Errorf("Discover = %+v, want feeds %+v, guessed", d, want)
		}
	})
	t.Run("a feed", func(t *testing.T) {
		s := newSite(t, map[string]page{"/feed.json": {contentType: "application/feed+json",
			body: `{"version": "https://jsonfeed.org/version/1.1", "title": "JSON News", "items": []}`}})
		d, err := newTestClient().Discover(t.Context(), s.srv.URL+"/feed.json")
		if err != nil {
			t.Fatal(err)
		}
		want := []FeedLink{{URL: s.srv.URL + "/feed.json", Title: "JSON News", Type: "JSON Feed"}}
		if !reflect.DeepEqual(d.Feeds, want) || !d.IsFeed {
			t.Errorf("Discover = %+v, want feeds %+v, a feed", d, want)
		}
	})
	t.Run("not a page", func(t *testing.T) {
		s := newSite(t, map[string]page{"/api": {contentType: "application/json", body: `[]`}})
		_, err := newTestClient().Discover(t.Context(), s.srv.URL+"/api")
		if nf := notFeedError(t, err); nf.Got != "a JSON document that is not JSON Feed" {
			t.Errorf("Got = %q", nf.Got)
		}
	})
}

// TestDiscoverKeepsNoParseMemory: the pages and feeds Discover reads give
// their share of the parse budget back, so that later fetches still find
// room in it.
func TestDiscoverKeepsNoParseMemory(t *testing.T) {
	rss := string(rssDoc("Site News", 2))
	s := newSite(t, map[string]page{
		"/": {contentType: "text/html", body: `<html><head>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/news.rss">
</head></html>`},
		"/news.rss": {contentType: "application/rss+xml", body: rss},
	})
	c := newTestClient()
	c.MaxParseMemory = int64(2 * len(rss))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for range 3 {
		if _, err := c.Discover(ctx, s.srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Fetch(ctx, Request{URL: s.srv.URL + "/news.rss"}); err != nil {
		t.Fatalf("a fetch after three discoveries: %v", err)
	}
}
