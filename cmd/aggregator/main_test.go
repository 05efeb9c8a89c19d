package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/internal/pgtest"
	"aggregator/internal/shared"
	"aggregator/internal/storetest"
	"aggregator/pipeline"
	"aggregator/store"
	"aggregator/story"
)

var kimFeeds = []string{"korea-desk.atom", "world-wire.rss", "daily-ledger.rss", "newsroom.json", "pacific-observer.rss"}

// kimServer serves the Kim fixture feeds over HTTP on loopback.
func kimServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/kim")))
	t.Cleanup(srv.Close)
	return srv
}

// kimURLs serves the Kim fixture feeds over HTTP and returns their URLs.
func kimURLs(t *testing.T) []string {
	t.Helper()
	srv := kimServer(t)
	urls := make([]string, len(kimFeeds))
	for i, f := range kimFeeds {
		urls[i] = srv.URL + "/" + f
	}
	return urls
}

// writeConfig writes a config for the given feed URLs into a new folder.
func writeConfig(t *testing.T, extra string, urls ...string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("store: agg.db\nfetch:\n  jitter: 0s\n  allow_private_addresses: true\npublish:\n  dir: public\n  base_url: http://feeds.example/\n")
	b.WriteString(extra)
	b.WriteString("feeds:\n")
	for _, u := range urls {
		fmt.Fprintf(&b, "  - url: %s\n", u)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type atomDoc struct {
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Content string `xml:"content"`
		Summary string `xml:"summary"`
		Links   []struct {
			Href  string `xml:"href,attr"`
			Rel   string `xml:"rel,attr"`
			Title string `xml:"title,attr"`
		} `xml:"link"`
		Source struct {
			Title string `xml:"title"`
		} `xml:"source"`
	} `xml:"entry"`
}

func parseAtom(t *testing.T, data []byte) atomDoc {
	t.Helper()
	var doc atomDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("output is not XML: %v", err)
	}
	return doc
}

func TestOnceKimFixtures(t *testing.T) {
	urls := kimURLs(t)
	cfg := writeConfig(t, "", urls...)
	dir := filepath.Dir(cfg)

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("a successful --once without a terminal printed (cron would mail it):\n%s%s", stdout.String(), stderr.String())
	}
	first, err := os.ReadFile(filepath.Join(dir, "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "index.html")); err != nil {
		t.Errorf("index.html not written: %v", err)
	}

	// The store: 14 items in the feeds, of which two are the same World Wire
	// story under links with different tracking parameters.
	st := storetest.Open(t, filepath.Join(dir, "agg.db"))
	feeds, items, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if feeds != 5 || items != 13 {
		t.Errorf("stored %d feeds, %d items; want 5 feeds, 13 items", feeds, items)
	}
	stories, err := st.Stories(context.Background(), 100)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var pacific string
	for _, s := range stories {
		for _, m := range s.Members {
			if strings.HasPrefix(m.Item.Link, "https://pacific-observer.example/2023/09/12/kim") {
				pacific = m.Item.Title + " " + m.Item.Summary
			}
		}
	}
	for _, want := range []string{"Kim’s armoured train", "Russia’s far east", "“begging”", "confirmed – a trip"} {
		if !strings.Contains(pacific, want) {
			t.Errorf("windows-1252 text not decoded: want %q in %q", want, pacific)
		}
	}

	// The output: one entry per gold story, crediting every outlet.
	gold := goldStories(t)
	doc := parseAtom(t, first)
	if len(doc.Entries) != 8 {
		t.Errorf("all.atom has %d entries, want the 8 stories of expected.json", len(doc.Entries))
	}
	seen := map[string]int{}
	for _, e := range doc.Entries {
		labels := map[string]bool{}
		outlets := map[string]bool{e.Source.Title: true}
		for _, l := range e.Links {
			if strings.Contains(l.Href, "utm_") || strings.Contains(l.Href, "fbclid") {
				t.Errorf("tracking parameters republished: %s", l.Href)
			}
			labels[gold[dedupe.CanonicalURL(l.Href)]] = true
			if l.Title != "" {
				outlets[l.Title] = true
			}
		}
		if len(labels) != 1 {
			t.Errorf("entry %q mixes stories %v", e.Title, labels)
		}
		for label := range labels {
			seen[label]++
			if label == "kim-train" && len(outlets) != 5 {
				t.Errorf("the kim-train entry credits %d outlets, want all 5: %v", len(outlets), outlets)
			}
		}
		if strings.Contains(e.Content, "<script") || strings.Contains(e.Content, "onerror") {
			t.Errorf("hostile markup republished in %q", e.Title)
		}
	}
	for _, label := range gold {
		if seen[label] != 1 {
			t.Errorf("story %q is published in %d entries, want 1", label, seen[label])
		}
	}

	// A second run over unchanged feeds changes nothing, byte for byte.
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr); err != nil {
		t.Fatalf("second --once: %v\n%s", err, stderr.String())
	}
	second, err := os.ReadFile(filepath.Join(dir, "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("a second --once on unchanged feeds changed all.atom")
	}
}

// goldStories maps the canonical link of every article in
// testdata/kim/expected.json to its story label.
func goldStories(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/kim/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected struct {
		Stories map[string][]string `json:"stories"`
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	gold := map[string]string{}
	for label, links := range expected.Stories {
		for _, l := range links {
			gold[dedupe.CanonicalURL(l)] = label
		}
	}
	return gold
}

func TestOnceSomeFeedsFail(t *testing.T) {
	srv := kimServer(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom", broken.URL+"/feed.xml", srv.URL+"/newsroom.json")

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr)
	if code := exitCode(err); code != exitFeeds {
		t.Fatalf("exit code %d (%v), want %d", code, err, exitFeeds)
	}
	if !strings.Contains(stderr.String(), "1 of 3 feeds failed") {
		t.Errorf("stderr lacks a summary: %q", stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	// Korea Desk's and Newsroom's three articles each; the two on Kim's
	// train are one story.
	if n := len(parseAtom(t, data).Entries); n != 5 {
		t.Errorf("all.atom has %d entries, want the 5 stories of the two working feeds", n)
	}
}

func TestCheck(t *testing.T) {
	good := writeConfig(t, "", "https://example.org/feed.xml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("feeds:\n  - url: https://example.org/a.xml\n    nmae: typo\n"), 0o644)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"valid", []string{"--config", good, "--check"}, exitOK, "ok (1 feed, 1 output)"},
		{"unknown key", []string{"--config", bad, "--check"}, exitUsage, "bad.yaml:3: feeds[0].nmae"},
		{"missing file", []string{"--config", filepath.Join(t.TempDir(), "none.yaml"), "--check"}, exitUsage, "none.yaml"},
		{"bad flag", []string{"--nope"}, exitUsage, ""},
		{"stray argument", []string{"--config", good, "extra"}, exitUsage, "unexpected argument"},
		{"version", []string{"version"}, exitOK, "aggregator "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
			out := stdout.String()
			if err != nil {
				out += err.Error()
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output %q does not contain %q", out, tt.wantOut)
			}
		})
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestDaemon(t *testing.T) {
	urls := kimURLs(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", urls...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, io.Discard) }()

	feedURL := "http://" + addr + "/feeds/all.atom"
	var (
		resp    *http.Response
		lastErr error
	)
	waitUntil(t, 20*time.Second, func() bool {
		resp, lastErr = http.Get(feedURL)
		if lastErr != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && len(parseAtom(t, body).Entries) == 8
	}, "the daemon did not serve 8 entries at %s (last error %v)", feedURL, lazy(func() string { return fmt.Sprint(lastErr) }))
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("Content-Type %q", ct)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("missing validators: ETag %q, Last-Modified %q", etag, resp.Header.Get("Last-Modified"))
	}
	req, _ := http.NewRequest(http.MethodGet, feedURL, nil)
	req.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", resp2.StatusCode)
	}
	waitUntil(t, 10*time.Second, func() bool { return isReady(addr) }, "/readyz never became ready")
	index, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(index.Body)
	index.Body.Close()
	if !strings.Contains(string(page), `href="feeds/all.atom"`) {
		t.Errorf("index does not link the output:\n%s", page)
	}

	cancel()
	select {
	case err := <-done:
		if code := exitCode(err); err != nil || code != exitOK {
			t.Errorf("daemon stopped with %v (exit %d), want a clean stop (exit 0)", err, code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop within 10s of cancellation")
	}
}

func TestStatus(t *testing.T) {
	srv := kimServer(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom", broken.URL+"/feed.xml")
	var stdout, stderr bytes.Buffer

	// Before any fetch, every feed is new.
	if err := run(context.Background(), []string{"status", "--config", cfg}, &stdout, &stderr); err != nil {
		t.Fatalf("status: %v\n%s", err, stderr.String())
	}
	if got := strings.Count(stdout.String(), " new "); got != 2 {
		t.Errorf("status before any fetch shows %d new feeds, want 2:\n%s", got, stdout.String())
	}

	run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard)
	// A second run right away leaves the failing feed alone: it is backing off.
	err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitOK {
		t.Errorf("second --once: exit %d (%v), want 0: the failing feed is backing off, not retried", code, err)
	}

	// The same health, for people: a status page and a feed of broken feeds.
	public := filepath.Join(filepath.Dir(cfg), "public")
	page, err := os.ReadFile(filepath.Join(public, "status.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `class="failing"`) || !strings.Contains(string(page), "Korea Desk") {
		t.Errorf("status.html does not show the failing feed:\n%s", page)
	}
	if strings.Contains(string(page), "Rendered by") || strings.Contains(string(page), "fetched by") {
		t.Errorf("status.html of a SQLite store names instances:\n%s", page)
	}
	healthFeed, err := os.ReadFile(filepath.Join(public, "_health.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if doc := parseAtom(t, healthFeed); len(doc.Entries) != 1 || !strings.Contains(doc.Entries[0].Title, "is failing") {
		t.Errorf("_health.atom = %+v, want one entry announcing the failing feed", doc.Entries)
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"status", "--config", cfg, "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stderr.String())
	}
	var lines []feedStatus
	if err := json.Unmarshal(stdout.Bytes(), &lines); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, stdout.String())
	}
	if len(lines) != 2 {
		t.Fatalf("status lists %d feeds, want 2", len(lines))
	}
	// No instances share a SQLite store: every fetched_by is there, empty.
	if n := strings.Count(stdout.String(), `"fetched_by": ""`); n != 2 {
		t.Errorf("status --json has %d empty fetched_by, want 2:\n%s", n, stdout.String())
	}
	ok, bad := lines[0], lines[1]
	// The second run was a conditional GET.
	if ok.Health != "ok" || ok.LastStatus != http.StatusNotModified || ok.LastSuccess == nil || ok.Failures != 0 || ok.Name != "Korea Desk" {
		t.Errorf("working feed: %+v", ok)
	}
	if bad.Health != "failing" || bad.LastStatus != 500 || bad.Failures != 1 || bad.LastSuccess != nil ||
		bad.NextFetch == nil || !bad.NextFetch.After(*bad.LastAttempt) || !strings.Contains(bad.Error, "500") {
		t.Errorf("failing feed: %+v", bad)
	}

	// The next fetch is the daemon's next attempt: never in the past, and
	// for the failing feed not before its back-off ends.
	now := time.Now()
	for _, l := range lines {
		if l.NextFetch == nil || !l.NextFetch.After(now) || l.NextFetch.Location() != time.UTC {
			t.Errorf("%s: next_fetch %v, want a time in UTC after now (%v)", l.Name, l.NextFetch, now)
		}
	}
	if bad.NotBefore == nil || bad.NextFetch.Before(*bad.NotBefore) {
		t.Errorf("failing feed: next_fetch %v before the back-off's end %v", bad.NextFetch, bad.NotBefore)
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"status", "--config", cfg}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FEED", "LAST ATTEMPT", "Korea Desk", "ok", "failing", "500"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("status table lacks %q:\n%s", want, stdout.String())
		}
	}
	// The failing feed was attempted but never succeeded: its row shows
	// both, in the columns the header names.
	table := strings.Split(stdout.String(), "\n")
	if len(table) < 3 {
		t.Fatalf("status table:\n%s", stdout.String())
	}
	header, row := table[0], table[2]
	cell := func(column, next string) string {
		from, to := strings.Index(header, column), strings.Index(header, next)
		if from < 0 || to < from || to > len(row) {
			t.Fatalf("status table has no column %s before %s:\n%s", column, next, stdout.String())
		}
		return strings.TrimSpace(row[from:to])
	}
	if got := cell("LAST ATTEMPT", "LAST SUCCESS"); !strings.HasSuffix(got, " ago") {
		t.Errorf("the failing feed's LAST ATTEMPT is %q, want a time ago", got)
	}
	if got := cell("LAST SUCCESS", "STATUS"); got != "never" {
		t.Errorf("the failing feed's LAST SUCCESS is %q, want never", got)
	}
	for _, r := range table[1:3] {
		row = r
		if got := cell("NEXT FETCH", "ERROR"); !regexp.MustCompile(`^(\d+ \w+ )?\d\d:\d\d \S+ \(in (\d+ min|\d+ h( \d+ min)?|under a minute)\)$`).MatchString(got) {
			t.Errorf("NEXT FETCH is %q, want a local time and how far it is (\"14:05 CEST (in 4 min)\")", got)
		}
	}
	if strings.Contains(stdout.String(), "leader:") || strings.Contains(header, "FETCHED BY") {
		t.Errorf("status of a SQLite store names a leader or fetchers:\n%s", stdout.String())
	}
}

func TestEvalClusters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pred.jsonl")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"eval-clusters", "../../story/testdata/kim.jsonl", "--out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("eval-clusters: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"\npairwise precision=1.000 recall=1.000 f1=1.000", "\nbcubed precision=1.000 recall=1.000 f1=1.000"} {
		if !strings.Contains("\n"+stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"cluster":`); n != 13 {
		t.Errorf("--out wrote %d assignments, want 13", n)
	}
	err = run(context.Background(), []string{"eval-clusters"}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitUsage {
		t.Errorf("eval-clusters without a file: exit %d, want %d", code, exitUsage)
	}
}

func TestExplain(t *testing.T) {
	urls := kimURLs(t)
	cfg := writeConfig(t, "", urls...)
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	link := "https://worldwire.example/asia/kim-jong-un-train-russia-putin-20230912?utm_source=twitter"
	if err := run(context.Background(), []string{"explain", "--config", cfg, link}, &stdout, io.Discard); err != nil {
		t.Fatalf("explain: %v", err)
	}
	for _, want := range []string{"4 articles", "started it", "Pacific Observer", "Newsroom Global", "→", "putin",
		"headline: ", "tags: ", "north-korea", "Each article's own tags", "kim-jong-il"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, stdout.String())
		}
	}
	err := run(context.Background(), []string{"explain", "--config", cfg, "https://nowhere.example/x"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no stored article") {
		t.Errorf("explain of an unknown link: %v", err)
	}
}

// explain prints no article's HTML: the store keeps the feeds' own, active
// content and all, and explain shows titles, tags and words of the text,
// which leave out markup and the bodies of scripts and styles.
func TestExplainHostileHTML(t *testing.T) {
	const feed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title><link>https://hostile.example/</link>
<item><title>Volcano &lt;script&gt;alert(1)&lt;/script&gt;erupts near Quorvale</title><link>https://hostile.example/1</link>
<pubDate>Tue, 12 Sep 2023 06:00:00 +0000</pubDate>
<description><![CDATA[<p>The volcano near Quorvale erupted at dawn.</p><script>alert("aascript")</script><img src=x onerror="alert(1)">
<style>p { content: "aastyle" }</style><a href="javascript:alert(1)">lava</a>]]></description></item>
<item><title>Quorvale volcano eruption forces evacuation</title><link>https://hostile.example/2</link>
<pubDate>Tue, 12 Sep 2023 07:00:00 +0000</pubDate>
<description><![CDATA[<p>The volcano near Quorvale erupted at dawn, and villages were evacuated.</p><svg onload=alert(1)></svg>
<script>document.write("aascript")</script><style>aastyle{}</style>]]></description></item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, feed)
	}))
	defer srv.Close()
	cfg := writeConfig(t, "", srv.URL+"/feed")
	ctx := context.Background()
	if err := run(ctx, []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// The store holds the feed's HTML: explain has it to print.
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "agg.db"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = st.Replay(ctx, time.Time{}, func(s store.Stored) error {
		n++
		if !strings.Contains(s.Item.Summary, "<script>") {
			t.Errorf("stored summary %q, want the feed's HTML", s.Item.Summary)
		}
		return nil
	})
	st.Close()
	if err != nil || n != 2 {
		t.Fatalf("%d articles stored (%v), want 2", n, err)
	}
	var stdout bytes.Buffer
	if err := run(ctx, []string{"explain", "--config", cfg, "https://hostile.example/1"}, &stdout, io.Discard); err != nil {
		t.Fatalf("explain: %v", err)
	}
	out := stdout.String()
	if !strings.Contains(out, "2 articles") || !strings.Contains(out, "quorvale") {
		t.Errorf("explain does not show the story and its shared words:\n%s", out)
	}
	for _, bad := range []string{"<", ">", "alert", "onerror", "onload", "javascript", "aascript", "aastyle"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("explain prints %q:\n%s", bad, out)
		}
	}
}

// explain says how each article came into its story: the one it began with
// started it; one that began a story merged into it later was merged in,
// not joined with a probability of 1, which is only the store's placeholder.
func TestExplainMergedStory(t *testing.T) {
	ctx := context.Background()
	feedURL := "https://desk.example/feed.xml"
	cfg := writeConfig(t, "", feedURL)
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "agg.db"))
	if err != nil {
		t.Fatal(err)
	}
	feed, _, err := st.Feed(ctx, feedURL, "Desk")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	titles := []string{"Kim's train rolls toward Russia", "Kim heads to Russia by armoured train", "Kim's armoured train reaches Russia"}
	var items []store.Keyed
	for i, title := range titles {
		link := fmt.Sprintf("https://desk.example/%d", i)
		items = append(items, store.Keyed{Key: link, Hash: title, Item: aggregator.Item{GUID: link, Link: link, Title: title,
			Published: t0.Add(time.Duration(i) * time.Hour)}})
	}
	if _, _, err := st.SaveFetch(ctx, feed.ID, store.Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return aggregator.EntryID(items[i].Key) }
	// The first article starts a story, the second one of its own, and the
	// third joins the first and shows that both are the same event.
	if err := st.Place(ctx, []store.Placed{
		{EntryID: id(0), StoryID: id(0)},
		{EntryID: id(1), StoryID: id(1)},
		{EntryID: id(2), StoryID: id(0), Score: 0.5, Merges: []string{id(1)}},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var stdout bytes.Buffer
	if err := run(ctx, []string{"explain", "--config", cfg, items[1].Item.Link}, &stdout, io.Discard); err != nil {
		t.Fatalf("explain: %v", err)
	}
	out := stdout.String()
	_, table, _ := strings.Cut(out, "JOINED")
	row := func(title string) string {
		for line := range strings.Lines(table) {
			if strings.Contains(line, title) && strings.Contains(line, "Desk") {
				return line
			}
		}
		t.Fatalf("no row for %q:\n%s", title, out)
		return ""
	}
	for i, want := range []string{"started it", "merged in", "0.500"} {
		if got := row(titles[i]); !strings.Contains(got, " "+want+" ") {
			t.Errorf("the row of %q does not say %q:\n%s", titles[i], want, out)
		}
	}
	if strings.Contains(out, "1.000") || !strings.Contains(out, "merged in: it started a story of its own") {
		t.Errorf("explain shows the placeholder score, or does not say what merged in means:\n%s", out)
	}
}

// The README's example of explain is what explain prints for the Korea
// Desk article of the offline demo after one --once run.
func TestExplainREADME(t *testing.T) {
	cfg := writeKimDemo(t, t.TempDir(), "")
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	link := "https://korea-desk.example/2023/09/12/kim-train-russia"
	if err := run(context.Background(), []string{"explain", "--config", cfg, link}, &stdout, io.Discard); err != nil {
		t.Fatalf("explain: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```\nstory "
	_, example, ok := strings.Cut(string(readme), start)
	example, _, _ = strings.Cut(example, "```")
	if !ok || "story "+example != stdout.String() {
		t.Errorf("the README's example of explain is not what it prints; it prints:\n%s", stdout.String())
	}
}

// The demo config's topic rules and filtered outputs: the Kim train story
// carries the four topic tags and both leaders as entity tags; the korea
// output carries the two Kim stories, korea-top only the widely reported one,
// and sport nothing.
func TestOnceTagsAndFilters(t *testing.T) {
	dir := t.TempDir()
	for _, name := range append(slices.Clone(kimFeeds), "config.yaml") {
		data, err := os.ReadFile(filepath.Join("../../testdata/kim", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	gold := goldStories(t)
	stories := func(output string) map[string][]string {
		data, err := os.ReadFile(filepath.Join(dir, "public", output+".atom"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Entries []struct {
				Links []struct {
					Href string `xml:"href,attr"`
					Rel  string `xml:"rel,attr"`
				} `xml:"link"`
				Categories []struct {
					Term   string `xml:"term,attr"`
					Scheme string `xml:"scheme,attr"`
				} `xml:"category"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, e := range doc.Entries {
			var label string
			for _, l := range e.Links {
				if l.Rel == "alternate" {
					label = gold[dedupe.CanonicalURL(l.Href)]
				}
			}
			for _, c := range e.Categories {
				term := c.Term
				if c.Scheme == "urn:aggregator:tag:entity" {
					term = "entity:" + term
				}
				out[label] = append(out[label], term)
			}
			if out[label] == nil {
				out[label] = []string{}
			}
		}
		return out
	}

	// The hostile markup in world-wire.rss leaves no trace in any file.
	err := filepath.WalkDir(filepath.Join(dir, "public"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"<script", "&lt;script", "onerror", "document.write", "alert(document.cookie)"} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s carries %q", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	all := stories("all")
	for _, want := range []string{"north-korea", "russia", "ukraine-war", "arms", "entity:kim-jong-un", "entity:vladimir-putin"} {
		if !slices.Contains(all["kim-train"], want) {
			t.Errorf("the kim-train story lacks the tag %s: %v", want, all["kim-train"])
		}
	}
	for _, tt := range []struct {
		output string
		want   []string
	}{
		{"korea", []string{"kim-train", "vostochny-talks"}},
		{"korea-top", []string{"kim-train"}},
		{"sport", nil},
	} {
		got := slices.Sorted(maps.Keys(stories(tt.output)))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s carries %v, want %v", tt.output, got, tt.want)
		}
	}
}

func TestCheckReportsFilterErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("feeds:\n  - url: https://example.org/a.xml\noutputs:\n  - name: korea\n    filter: tag:north-korea AND AND tag:x\n"), 0o644)
	err := run(context.Background(), []string{"--config", path, "--check"}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitUsage {
		t.Fatalf("exit %d (%v), want %d", code, err, exitUsage)
	}
	if msg := err.Error(); !strings.Contains(msg, `config.yaml:5: outputs[0].filter: output "korea": column 21:`) {
		t.Errorf("error %q does not name the line, the field, the output and the column", msg)
	}
}

func TestMaxAge(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		schedules []string
		want      int
	}{
		{[]string{"@every 15m"}, 900},
		{[]string{"@every 15m", "*/10 * * * *"}, 600},
		{[]string{"@daily"}, 3600},
		{[]string{"@every 10s"}, 60},
		{nil, 3600},
	}
	for _, tt := range tests {
		var feeds []pipeline.Feed
		for _, s := range tt.schedules {
			feeds = append(feeds, pipeline.Feed{Schedule: s})
		}
		if got := maxAge(feeds, now); got != tt.want {
			t.Errorf("maxAge(%v) = %d, want %d", tt.schedules, got, tt.want)
		}
	}
}

// Two --once runs on one store do not overlap: the second exits with 4, or
// waits with --wait.
func TestOnceLock(t *testing.T) {
	cfg := writeConfig(t, "", kimServer(t).URL+"/korea-desk.atom")
	loaded, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockOnce(context.Background(), storetest.Open(t, loaded.Store), false)
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitLocked || !strings.Contains(err.Error(), "--wait") {
		t.Errorf("second run: exit %d (%v), want %d and a hint about --wait", code, err, exitLocked)
	}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"--config", cfg, "--once", "--wait"}, io.Discard, io.Discard)
	}()
	select {
	case err := <-done:
		t.Fatalf("--wait returned while the lock was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("--wait run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--wait did not run after the lock was released")
	}
}

// Two --once runs on one PostgreSQL store do not overlap either: while the
// first fetches, the second exits with 4, or waits with --wait; and no lock
// file is made after the URL.
func TestOnceLockPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	kim, err := filepath.Abs("../../testdata/kim")
	if err != nil {
		t.Fatal(err)
	}
	feeds := http.FileServer(http.Dir(kim))
	started, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first.Do(func() {
			close(started)
			<-release
		})
		feeds.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom")
	setStore(t, cfg, dsn)
	dir := t.TempDir()
	t.Chdir(dir)

	once := func(args ...string) <-chan error {
		done := make(chan error, 1)
		go func() {
			done <- run(context.Background(), append([]string{"--config", cfg, "--once"}, args...), io.Discard, io.Discard)
		}()
		return done
	}
	running := once()
	select {
	case <-started:
	case err := <-running:
		t.Fatalf("first run ended before it fetched: %v", err)
	}
	err = <-once()
	if code := exitCode(err); code != exitLocked || !strings.Contains(err.Error(), "--wait") || !strings.Contains(err.Error(), "advisory lock") {
		t.Errorf("second run: exit %d (%v), want %d, the advisory lock and a hint about --wait", code, err, exitLocked)
	}
	waiting := once("--wait")
	select {
	case err := <-waiting:
		t.Fatalf("--wait returned while the first run held the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for name, done := range map[string]<-chan error{"first run": running, "--wait run": waiting} {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not end", name)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("the runs left %v in the working folder", files)
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "*.lock")); len(files) != 0 {
		t.Errorf("the runs left lock files %v beside the config", files)
	}
}

// setStore rewrites the store line of the config at path to store.
func setStore(t *testing.T, path, store string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "store: agg.db\n", fmt.Sprintf("store: %q\n", store), 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger(&b, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "feed", "https://x.example/")
	if s := b.String(); strings.Contains(s, "hidden") || !strings.Contains(s, `"msg":"shown"`) {
		t.Errorf("json warn logger wrote %q", s)
	}

	b.Reset()
	t.Setenv("JOURNAL_STREAM", "8:12345")
	log, err = newLogger(&b, "info", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("under journald")
	if s := b.String(); strings.Contains(s, "time=") || !strings.Contains(s, "msg=\"under journald\"") {
		t.Errorf("journald text logger wrote %q, want no time", s)
	}

	for _, bad := range [][2]string{{"loud", "text"}, {"info", "xml"}} {
		if _, err := newLogger(&b, bad[0], bad[1]); err == nil {
			t.Errorf("newLogger(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// --once applies the retention limits before it writes the outputs: with
// max_items 3, only the newest stories that fit stay, and all.atom shows
// those and no more.
func TestOnceRetention(t *testing.T) {
	urls := kimURLs(t)
	cfg := writeConfig(t, "retention:\n  max_items: 3\n", urls...)
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, filepath.Join(filepath.Dir(cfg), "agg.db"))
	_, items, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if items == 0 || items > 3 {
		t.Errorf("%d items stored after a run with max_items 3", items)
	}
	stories, err := st.StoryCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parseAtom(t, data).Entries); n != stories {
		t.Errorf("all.atom has %d entries; the store keeps %d stories (%d items)", n, stories, items)
	}
}

// The daemon applies the retention limits as it starts, before it first
// publishes: a store filled without limits is served within them at once.
func TestDaemonRetentionAtStart(t *testing.T) {
	urls := kimURLs(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", urls...)
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("retention:\n  max_items: 3\n")
	f.Close()
	startDaemon(t, cfg, addr)

	resp, err := http.Get("http://" + addr + "/feeds/all.atom")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st := storetest.Open(t, filepath.Join(filepath.Dir(cfg), "agg.db"))
	_, items, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stories, err := st.StoryCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if items == 0 || items > 3 {
		t.Errorf("%d items stored after the daemon started with max_items 3", items)
	}
	if n := len(parseAtom(t, data).Entries); n != stories {
		t.Errorf("the daemon serves %d entries; the store keeps %d stories (%d items)", n, stories, items)
	}
}

// fetch.max_items reaches the fetch client: of Korea Desk's three articles,
// --once with max_items 2 stores the two newest.
func TestOnceFetchMaxItems(t *testing.T) {
	cfg := writeConfig(t, "", kimServer(t).URL+"/korea-desk.atom")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "fetch:\n", "fetch:\n  max_items: 2\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, filepath.Join(filepath.Dir(cfg), "agg.db"))
	stories, err := st.Stories(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, s := range stories {
		for _, m := range s.Members {
			titles = append(titles, m.Item.Title)
		}
	}
	if len(titles) != 2 || slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(s, "balloon") }) {
		t.Errorf("stored %q; want the two newest of the three articles", titles)
	}
}

// SIGTERM in the middle of a cycle: the daemon exits 0 and the store it
// leaves passes PRAGMA integrity_check with every finished fetch kept.
func TestStopMidCycle(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the test is over, like a server that never answers
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer once.Do(func() { close(release) })
	srv := kimServer(t)
	// Port 0: the test does not read the daemon over HTTP, and a port chosen
	// by the kernel at listen time cannot be taken by another test first.
	cfg := writeConfig(t, "server:\n  listen: 127.0.0.1:0\n",
		srv.URL+"/korea-desk.atom", slow.URL+"/feed.xml", srv.URL+"/newsroom.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, logs) }()
	dbPath := filepath.Join(filepath.Dir(cfg), "agg.db")
	// Wait until the two quick feeds are stored while the slow one hangs.
	waitUntil(t, 10*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("the daemon stopped before SIGTERM: %v; logs:\n%s", err, logs)
		default:
		}
		st, err := store.Open(context.Background(), dbPath)
		if err != nil {
			return false
		}
		defer st.Close()
		_, items, _ := st.Counts(context.Background())
		return items == 6
	}, "the quick feeds were not stored; logs:\n%s", logs)
	cancel() // what SIGTERM does, through signal.NotifyContext
	select {
	case err := <-done:
		if code := exitCode(err); err != nil || code != exitOK {
			t.Fatalf("exit %d (%v) after SIGTERM, want a clean stop (exit 0)", code, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop within 10s of SIGTERM, with a fetch hanging")
	}
	st := storetest.Open(t, dbPath)
	if res, err := st.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Errorf("integrity_check = %q, %v", res, err)
	}
	if _, items, _ := st.Counts(context.Background()); items != 6 {
		t.Errorf("%d items after the stop, want the 6 of the finished fetches", items)
	}
}

// startDaemon runs the daemon on cfg, listening on addr, until the test
// ends, and returns once /readyz says it is ready.
func startDaemon(t *testing.T, cfg, addr string) {
	t.Helper()
	runDaemonUntilEnd(t, cfg, io.Discard)
	waitUntil(t, 15*time.Second, func() bool { return isReady(addr) }, "the daemon on %s never became ready", addr)
}

// runDaemonUntilEnd starts the daemon on cfg, logging to logs, and stops
// it when the test ends, failing the test unless it stops cleanly.
func runDaemonUntilEnd(t *testing.T, cfg string, logs io.Writer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
}

// TestEvalClustersConfig: the stories settings of --config reach the
// clusterer: a stricter join probability (threshold: 0.6) joins fewer of
// the uci-dev headlines (its first 600: enough to tell, and a run under
// -race takes seconds rather than a minute).
func TestEvalClustersConfig(t *testing.T) {
	all, err := os.ReadFile(shared.Path(t, "fixtures", "stories", "uci-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(all), "\n")
	uci := filepath.Join(t.TempDir(), "uci-dev-600.jsonl")
	if err := os.WriteFile(uci, []byte(strings.Join(lines[:min(600, len(lines))], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	stories := func(extra string) string {
		var stdout, stderr bytes.Buffer
		args := []string{"eval-clusters", uci}
		if extra != "" {
			args = append(args, "--config", writeConfig(t, extra, "https://feeds.example/world.xml"))
		}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("eval-clusters %q: %v\n%s", extra, err, stderr.String())
		}
		first, _, _ := strings.Cut(stdout.String(), "\n")
		return first
	}
	def, off := stories(""), stories("stories:\n  threshold: 0.6\n")
	var nDef, nOff int
	fmt.Sscanf(def[strings.Index(def, "stories="):], "stories=%d", &nDef)
	fmt.Sscanf(off[strings.Index(off, "stories="):], "stories=%d", &nOff)
	if nDef == 0 || nOff <= nDef {
		t.Errorf("threshold: 0.6 gave %q, the default %q; want more, smaller stories", off, def)
	}
}

// explain shows a story's storyline: the developments it follows, and
// those that follow it.
func TestExplainStoryline(t *testing.T) {
	t0 := time.Date(2023, 9, 13, 8, 40, 0, 0, time.UTC)
	src := aggregator.Source{Feed: aggregator.Feed{Name: "Korea Desk"}, Link: "https://korea-desk.example/talks"}
	m := aggregator.Member{EntryID: "urn:uuid:talks", Item: aggregator.Item{Title: "Kim and Putin hold talks", Link: src.Link, Published: t0},
		Sources: []aggregator.Source{src}}
	s := aggregator.Story{ID: "urn:uuid:talks", Members: []aggregator.Member{m}, Follows: "urn:uuid:train"}
	e := s.Entry(aggregator.EntryRule{})
	e.Earlier = []aggregator.Development{{ID: "urn:uuid:train", Title: "Kim heads to Russia by train", Published: t0.Add(-27 * time.Hour)}}
	later := []aggregator.Entry{{ID: "urn:uuid:invite", Item: aggregator.Item{Title: "Putin accepts invitation to Pyongyang"}, Published: t0.Add(5 * time.Hour)}}
	var out strings.Builder
	printExplanation(&out, store.Placement{Story: s, Scores: []float64{1}}, e, later, story.DefaultConfig())
	for _, want := range []string{
		"follows: 2023-09-12 05:40  urn:uuid:train  Kim heads to Russia by train",
		"followed by: 2023-09-13 13:40  urn:uuid:invite  Putin accepts invitation to Pyongyang",
		"headline: Kim and Putin hold talks (Korea Desk)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, out.String())
		}
	}
}

// A feed that is a named pipe nobody writes to does not hang --once: it
// fails with a clear error, and the outputs are written from the others.
func TestOnceNamedPipeFeed(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "feed.xml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	healthy, err := filepath.Abs("../../testdata/kim/korea-desk.atom")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "", fifo, healthy)

	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(t.Context(), []string{"--config", cfg, "--once"}, io.Discard, &stderr) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("--once did not end within 30s with a named pipe as a feed; it wrote:\n%s", stderr.String())
	}
	if code := exitCode(err); code != exitFeeds {
		t.Fatalf("exit code %d (%v), want %d; stderr:\n%s", code, err, exitFeeds, stderr.String())
	}
	if want := "feed.xml: not a regular file (a named pipe)"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parseAtom(t, data).Entries); n != 3 {
		t.Errorf("all.atom has %d entries, want Korea Desk's 3", n)
	}
}

// The fetch client gets the fetch settings of the config, the parse
// budget among them, and their defaults when the config leaves them out.
func TestNewFetchClient(t *testing.T) {
	tests := []struct {
		name, extra          string
		maxBody, parseMemory int64
	}{
		{"defaults", "", 10 << 20, 20 << 20},
		{"given", "fetch:\n  max_body_size: 2MiB\n  max_parse_memory: 64MiB\n", 2 << 20, 64 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(tt.extra+"feeds:\n  - url: https://example.com/feed.xml\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			c := newFetchClient(cfg)
			if c.MaxBodySize != tt.maxBody || c.MaxParseMemory != tt.parseMemory {
				t.Errorf("MaxBodySize %d, MaxParseMemory %d; want %d and %d", c.MaxBodySize, c.MaxParseMemory, tt.maxBody, tt.parseMemory)
			}
		})
	}
}
