package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"aggregator/config"
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

// TestDiscoverCommand: discover prints the feeds a page links as a
// config's feeds: list, named by their own titles, typed in comments, and
// the list makes a config that loads.
func TestDiscoverCommand(t *testing.T) {
	srv := discoverSite(t)
	cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"discover", "--config", cfg, srv.URL + "/"}, &stdout, &stderr); err != nil {
		t.Fatalf("discover: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	wantOut := "feeds:\n" +
		"  - url: " + srv.URL + "/world-wire.rss # RSS\n" +
		"    name: World Wire – Top stories\n" +
		"  - url: " + srv.URL + "/korea-desk.atom # Atom\n" +
		"    name: Korea Desk\n"
	if out != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, wantOut)
	}
	if want := srv.URL + "/: links 2 feeds\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}

	loaded, err := config.LoadFile(writeTemp(t, "config.yaml", "store: agg.db\n"+out))
	if err != nil {
		t.Fatalf("config with the printed feeds does not load: %v\n%s", err, out)
	}
	var got [][2]string
	for _, f := range loaded.Feeds {
		got = append(got, [2]string{f.URL, f.Name})
	}
	want := [][2]string{{srv.URL + "/world-wire.rss", "World Wire – Top stories"}, {srv.URL + "/korea-desk.atom", "Korea Desk"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config feeds = %v, want %v", got, want)
	}
}

// TestDiscoverCommandErrors: discover exits 1 when it finds no feed,
// saying why, and 2 on bad usage.
func TestDiscoverCommandErrors(t *testing.T) {
	srv := discoverSite(t)
	cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom")
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in the error
	}{
		{"no feed", []string{"--config", cfg, srv.URL + "/about"}, exitFeeds,
			srv.URL + "/about: an HTML page that links no feed, and none answers at /feed, /rss.xml, /atom.xml, /feed.xml, /index.xml"},
		{"not a page", []string{"--config", cfg, srv.URL + "/expected.json"}, exitFeeds, "not a feed but a JSON document that is not JSON Feed"},
		{"no url", []string{"--config", cfg}, exitUsage, "discover takes one URL"},
		{"two urls", []string{"--config", cfg, srv.URL, srv.URL}, exitUsage, "discover takes one URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(context.Background(), append([]string{"discover"}, tt.args...), &stdout, io.Discard)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
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
