package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aggregator/store"
)

// TestCrashKill9 starts the daemon as a child process over and over, kills it
// with SIGKILL at a random moment (mid-fetch, mid-transaction), and checks
// after each kill that the store is intact (PRAGMA integrity_check) and never
// lost items it had committed. Finally a --once run over the same store must
// still publish a well-formed all.atom.
//
// It runs only with AGGREGATOR_CRASH=1 or under CI (CI set). 20 kills by
// default; AGGREGATOR_CRASH_KILLS=100 for more.
func TestCrashKill9(t *testing.T) {
	if os.Getenv("AGGREGATOR_CRASH") != "1" && os.Getenv("CI") == "" {
		t.Skip("set AGGREGATOR_CRASH=1 (or CI) to run the kill -9 crash test")
	}
	kills := 20
	if s := os.Getenv("AGGREGATOR_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("AGGREGATOR_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}

	bin := filepath.Join(t.TempDir(), "aggregator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// 50 small RSS feeds whose items grow over time: feed i has one more item
	// every 100 ms (up to 200), so each fetch cycle stores something new.
	const nFeeds = 50
	start := time.Now()
	feedBody := func(i int) string {
		var b strings.Builder
		n := min(1+int(time.Since(start)/(100*time.Millisecond)), 200)
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Crash feed %d</title><link>http://crash%d.example/</link>`, i, i)
		for k := n - 1; k >= 0; k-- {
			// Distinct words per item so that no two articles make one story.
			fmt.Fprintf(&b, `<item><title>Bulletin q%dx%d from desk %d number %d</title><link>http://crash%d.example/a/%d</link><guid>c-%d-%d</guid><pubDate>%s</pubDate><description>Report %d-%d.</description></item>`,
				i, k, i, k, i, k, i, k, start.Add(time.Duration(k)*time.Second).UTC().Format(time.RFC1123Z), i, k)
		}
		b.WriteString(`</channel></rss>`)
		return b.String()
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.rss", &i); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, feedBody(i))
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	urls := make([]string, nFeeds)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed/%d.rss", srv.URL, i)
	}
	// The test server is on loopback, which the fetcher refuses by default.
	fetchExtra := "  allow_private_addresses: true\n"
	var cb strings.Builder
	fmt.Fprintf(&cb, "store: agg.db\nschedule: \"@every 1s\"\nfetch:\n  jitter: 0s\n%sserver:\n  listen: %s\npublish:\n  dir: public\n  base_url: http://feeds.example/\nfeeds:\n",
		fetchExtra, freeAddr(t))
	for _, u := range urls {
		fmt.Fprintf(&cb, "  - url: %s\n", u)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(cb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "agg.db")

	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	prev, grew := 0, 0
	for k := 1; k <= kills; k++ {
		cmd := exec.Command(bin, "--config", cfg, "--log-level", "error")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(50+rng.IntN(651)) * time.Millisecond
		time.Sleep(wait)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		err := cmd.Wait()
		if cmd.ProcessState.Exited() {
			// It exited on its own before the kill: that is a failure to start.
			t.Fatalf("kill %d: the daemon exited by itself after %v (%v):\n%s", k, wait, err, stderr.String())
		}

		items := checkStore(t, ctx, dbPath, k)
		if items < prev {
			t.Fatalf("kill %d (after %v): the store has %d items, %d before: committed items were lost", k, wait, items, prev)
		}
		if items > prev {
			grew++
		}
		t.Logf("kill %2d after %3d ms: integrity ok, %d items", k, wait.Milliseconds(), items)
		prev = items
	}
	if prev == 0 {
		t.Fatalf("no items were ever stored in %d runs (%d HTTP feed requests): the test proved nothing", kills, requests.Load())
	}
	t.Logf("%d kills: store intact every time; item count grew after %d of them, to %d", kills, grew, prev)

	// A one-shot run over the store the daemon left behind.
	once := exec.Command(bin, "--config", cfg, "--once")
	if out, err := once.CombinedOutput(); err != nil {
		t.Fatalf("--once after the kills: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "public", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	doc := parseAtom(t, data)
	if len(doc.Entries) == 0 {
		t.Fatalf("all.atom after the kills has no entries:\n%.2000s", data)
	}
	if n := checkStore(t, ctx, dbPath, kills+1); n < prev {
		t.Errorf("--once left %d items, the daemon had stored %d", n, prev)
	}
}

// checkStore opens the store, checks its integrity and returns its item count.
func checkStore(t *testing.T, ctx context.Context, path string, k int) int {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0 // killed before it created the store
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("kill %d: the store does not open: %v", k, err)
	}
	defer st.Close()
	verdict, err := st.IntegrityCheck(ctx)
	if err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	if verdict != "ok" {
		t.Fatalf("kill %d: integrity_check: %s", k, verdict)
	}
	_, items, err := st.Counts(ctx)
	if err != nil {
		t.Fatalf("kill %d: count items: %v", k, err)
	}
	return items
}

// A run killed while it wrote the outputs leaves its temporary files; the
// next --once run removes them, in the publish folder and in the archive
// folders, and leaves every other file alone, names close to theirs
// included.
func TestOnceRemovesStaleTempFiles(t *testing.T) {
	cfg := writeConfig(t, "outputs:\n  - name: all\n    limit: 2\n", kimURLs(t)...)
	public := filepath.Join(filepath.Dir(cfg), "public")
	once := func() {
		t.Helper()
		var stderr strings.Builder
		if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
			t.Fatalf("--once: %v\n%s", err, stderr.String())
		}
	}
	once()
	archive := filepath.Join(public, "all", "archive")
	if _, err := os.Stat(filepath.Join(archive, "1.atom")); err != nil {
		t.Fatalf("no archive page to test with: %v", err)
	}
	stale := []string{
		filepath.Join(public, ".all.atom.1234567.tmp"),
		filepath.Join(public, ".index.html.42.tmp"),
		filepath.Join(archive, ".1.atom.987654321.tmp"),
	}
	kept := []string{
		filepath.Join(public, "notes.tmp"),
		filepath.Join(public, ".all.atom.tmp"),     // no number
		filepath.Join(public, ".all.atom.12a.tmp"), // not a number
		filepath.Join(public, "all.atom.123.tmp"),  // not hidden
		filepath.Join(public, ".all.atom.123.tmp~"),
		filepath.Join(public, ".123.tmp"), // no file name
		filepath.Join(archive, "keep.txt"),
	}
	for _, p := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(p, []byte("<feed><entry>half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once() // the same feeds: no output changes
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale temporary file %s still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s, not a temporary file of ours, was removed: %v", p, err)
		}
	}
}
