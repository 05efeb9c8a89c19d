package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aggregator/internal/pgtest"
	"aggregator/internal/storetest"
)

// fleetFarm serves n RSS feeds of three items each, counting the requests
// of each feed.
type fleetFarm struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int
}

func newFleetFarm(t *testing.T, n int) *fleetFarm {
	f := &fleetFarm{requests: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests[r.URL.Path]++
		f.mu.Unlock()
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &i); err != nil || i >= n {
			http.NotFound(w, r)
			return
		}
		time.Sleep(20 * time.Millisecond) // so that fetches overlap
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Desk %d</title><link>https://desk%d.example/</link>`, i, i)
		for j := range 3 {
			// Words of their own, so that each item is a story of its own.
			k := 10 * (3*i + j)
			fmt.Fprintf(w, `<item><title>Report %d from desk %d: %s %s %s</title><link>https://desk%d.example/%d</link>
				<description>%s %s %s %s %s.</description>
				<pubDate>Tue, 12 Sep 2023 %02d:%02d:00 GMT</pubDate></item>`, j, i, word(k), word(k+1), word(k+2), i, j,
				word(k+3), word(k+4), word(k+5), word(k+6), word(k+7), 6+j, i%60)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(f.Close)
	return f
}

// word is a made-up word of its own for each n below 10,000.
func word(n int) string {
	syllables := []string{"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"}
	return syllables[n%10] + syllables[n/10%10] + syllables[n/100%10] + syllables[n/1000%10] + "n"
}

func (f *fleetFarm) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.requests))
	for k, v := range f.requests {
		out[k] = v
	}
	return out
}

// fleetConfig writes the config of one instance of a fleet on the store
// dsn, listening on addr.
func fleetConfig(t *testing.T, dsn, name, addr, farm string, feeds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %q\ninstance: %s\nserver:\n  listen: %s\n", dsn, name, addr)
	b.WriteString("schedule: \"@every 1h\"\nfetch:\n  jitter: 0s\n  allow_private_addresses: true\n")
	b.WriteString("publish:\n  dir: public\n  base_url: http://feeds.example/\n")
	// Pages of 2 stories: archive pages, which every instance renders from
	// the store, as well as the files the leader stores.
	b.WriteString("outputs:\n  - name: all\n    limit: 2\nfeeds:\n")
	for i := range feeds {
		fmt.Fprintf(&b, "  - url: %s/feed/%d.xml\n", farm, i)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// storedItems lists the items of the store that driver opens at dsn: key,
// link, title and content, sorted.
func storedItems(t *testing.T, driver, dsn string) []string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key, link, title, content, summary FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key, link, title, content, summary string
		if err := rows.Scan(&key, &link, &title, &content, &summary); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{key, link, title, content, summary}, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// fleetGet fetches path from the instance at addr: its body and ETag.
func fleetGet(addr, path string) (string, string, error) {
	resp, err := http.Get("http://" + addr + "/" + path)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("%s: %s", path, resp.Status)
	}
	return string(body), resp.Header.Get("ETag"), err
}

// TestFleet: three daemons on one PostgreSQL store share the fetching
// (every feed fetched once), one leads, and all three serve the same
// bytes; when the leader stops, another takes over and the others follow
// it.
func TestFleet(t *testing.T) {
	const feeds = 24
	dsn := pgtest.DSN(t)
	farm := newFleetFarm(t, feeds)
	type instance struct {
		name, addr string
		logs       *lockedBuffer
		stop       func()
	}
	instances := make([]*instance, 3)
	for i := range instances {
		in := &instance{name: fmt.Sprint("feeds-", i+1), addr: freeAddr(t), logs: &lockedBuffer{}}
		cfg := fleetConfig(t, dsn, in.name, in.addr, farm.URL, feeds)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, in.logs) }()
		var once sync.Once
		in.stop = func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("%s: %v", in.name, err)
				}
			})
		}
		t.Cleanup(in.stop)
		instances[i] = in
	}
	for _, in := range instances {
		waitUntil(t, 30*time.Second, func() bool { return isReady(in.addr) }, "%s never became ready; logs:\n%s", in.name, in.logs)
	}

	// Every feed fetched once, by one of the three.
	waitUntil(t, 20*time.Second, func() bool { return len(farm.counts()) == feeds }, "not every feed was fetched: %v", lazy(func() string { return fmt.Sprint(farm.counts()) }))
	time.Sleep(time.Second)
	for path, n := range farm.counts() {
		if n != 1 {
			t.Errorf("%s fetched %d times, want once", path, n)
		}
	}
	st := storetest.Open(t, dsn)
	if _, items, err := st.Counts(context.Background()); err != nil || items != 3*feeds {
		t.Errorf("%d items stored (%v), want %d", items, err, 3*feeds)
	}
	statuses, err := st.Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, f := range statuses {
		by[f.FetchedBy]++
	}
	if by[""] != 0 {
		t.Errorf("feeds by fetcher %v: want every feed named with its fetcher", by)
	}

	// The same items as one instance on SQLite stores from the same feeds.
	urls := make([]string, feeds)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed/%d.xml", farm.URL, i)
	}
	one := writeConfig(t, "", urls...)
	if err := run(context.Background(), []string{"--once", "--config", one}, io.Discard, io.Discard); err != nil {
		t.Fatalf("--once on SQLite: %v", err)
	}
	fleetItems, oneItems := storedItems(t, "pgx", dsn), storedItems(t, "sqlite", filepath.Join(filepath.Dir(one), "agg.db"))
	if !slices.Equal(fleetItems, oneItems) || len(oneItems) != 3*feeds {
		t.Errorf("the fleet stored %d items, one instance on SQLite %d; want the same %d:\n%v\n%v",
			len(fleetItems), len(oneItems), 3*feeds, fleetItems, oneItems)
	}

	leader, err := st.LeaderName(context.Background())
	if err != nil || leader == "" {
		t.Fatalf("leader %q, %v", leader, err)
	}
	same := func(path string, among []*instance) func() bool {
		return func() bool {
			var first string
			for i, in := range among {
				body, etag, err := fleetGet(in.addr, path)
				if err != nil || !strings.Contains(body, "<entry>") && !strings.Contains(body, "<html") {
					return false
				}
				if i == 0 {
					first = etag + body
				} else if etag+body != first {
					return false
				}
			}
			return true
		}
	}
	served := func(path string, among []*instance) lazy {
		return func() string {
			var b strings.Builder
			for _, in := range among {
				body, etag, err := fleetGet(in.addr, path)
				fmt.Fprintf(&b, "%s: %s %v %d bytes\n%.300s\nlogs:\n%s\n", in.name, etag, err, len(body), body, in.logs)
			}
			return b.String()
		}
	}
	waitUntil(t, 20*time.Second, same("feeds/all.atom", instances), "the instances never served the same all.atom:\n%s", served("feeds/all.atom", instances))
	waitUntil(t, 20*time.Second, same("index.html", instances), "the instances never served the same index.html")
	if body, _, _ := fleetGet(instances[0].addr, "feeds/all.atom"); !strings.Contains(body, "prev-archive") {
		t.Errorf("all.atom links no archive:\n%s", body)
	}
	waitUntil(t, 20*time.Second, same("feeds/all/archive/1.atom", instances), "the instances never served the same archive page:\n%s", served("feeds/all/archive/1.atom", instances))

	// The leader stops; one of the others leads within 30 s, and the last
	// follows it.
	var rest []*instance
	for _, in := range instances {
		if in.name == leader {
			in.stop()
		} else {
			rest = append(rest, in)
		}
	}
	if len(rest) != 2 {
		t.Fatalf("leader %q is none of the instances", leader)
	}
	waitUntil(t, 30*time.Second, func() bool {
		name, err := st.LeaderName(context.Background())
		return err == nil && name != "" && name != leader
	}, "no instance took over from %s", leader)
	next, _ := st.LeaderName(context.Background())
	for _, in := range rest {
		if in.name == next {
			waitUntil(t, 10*time.Second, func() bool { return strings.Contains(in.logs.String(), "leading the instances") },
				"%s leads and did not say so; logs:\n%s", next, in.logs)
		}
	}
	waitUntil(t, 20*time.Second, same("feeds/all.atom", rest), "after the take-over, the instances never served the same all.atom")
}
