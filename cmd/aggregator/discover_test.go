package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discoverSite serves a home page that links the Kim fixtures' RSS and
// Atom feeds, one by a relative href and one by an absolute one, and a
// page that links none.
func discoverSite(t *testing.T) *httptest.Server {
	t.Helper()
	files := http.FileServer(http.Dir("../../testdata/kim"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><title>Home</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="world-wire.rss">
<link rel="alternate" type="application/atom+xml" title="Atom" href="http://%s/korea-desk.atom">
</head><body>Home</body></html>`, r.Host)
		case "/about":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><html><head><title>About</title></head><body>About us</body></html>`)
		default:
			files.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOnceNamesFeedOfPage: a feed whose url is a web page fails, and its
// error, as status shows it, names the feed to use instead.
func TestOnceNamesFeedOfPage(t *testing.T) {
	srv := discoverSite(t)
	cfg := writeConfig(t, "", srv.URL+"/", srv.URL+"/about")
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); exitCode(err) != exitFeeds {
		t.Fatalf("--once: %v, want exit %d", err, exitFeeds)
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"status", "--config", cfg, "--json"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	var lines []feedStatus
	if err := json.Unmarshal(stdout.Bytes(), &lines); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stdout.String())
	}
	if len(lines) != 2 {
		t.Fatalf("status lists %d feeds, want 2", len(lines))
	}
	for i, want := range []string{
		"not a feed but an HTML page (text/html), which links 2 feeds: " + srv.URL + `/world-wire.rss (RSS, "RSS"), ` +
			srv.URL + `/korea-desk.atom (Atom, "Atom"): make one of them the feed's url`,
		"not a feed but an HTML page (text/html), which links no feed, and none answers at /feed, /rss.xml, /atom.xml, /feed.xml or /index.xml",
	} {
		if !strings.Contains(lines[i].Error, want) {
			t.Errorf("%s: error %q\n does not say %q", lines[i].URL, lines[i].Error, want)
		}
	}
}
