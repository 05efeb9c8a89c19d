//go:build unix

package pipeline

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"aggregator/fetch"
	"aggregator/internal/storetest"
	"aggregator/store"
	"aggregator/story"
	"aggregator/tag"
)

const (
	benchFeeds        = 200
	benchItemsPerFeed = 50
	benchItems        = benchFeeds * benchItemsPerFeed
)

// BenchmarkRunAll runs Runner.RunAll over 200 distinct RSS feeds of 50
// items of about 9 KB each (a ~300-character description and ~8.5 KB of
// HTML content), served by one local server:
//
//   - cold: a fresh store each time, so every feed answers 200 and every
//     item is parsed, keyed and stored;
//   - warm: the ETags are sent back and every feed answers 304;
//   - warm-no-validators: the server sends no validators, so every body is
//     read and hashed, and found unchanged;
//   - changed: every tenth feed gained 2 items since the last run (the
//     others answer 304);
//   - parse: the floor, a bare gofeed parse of the same bodies on one
//     goroutine, for comparison with cold.
//
// The store's setup is not measured. cpu-s/op is the user+system CPU time
// of the whole process (the server included) per RunAll.
func BenchmarkRunAll(b *testing.B) {
	bodies := renderBenchFeeds(0)
	site := &benchSite{}
	site.serve(bodies)
	srv := httptest.NewServer(site.handler())
	defer srv.Close()
	client := newBenchClient()
	defer client.HTTP.Transport.(*http.Transport).CloseIdleConnections()

	withETag := benchFeedList(srv.URL + "/feed/")
	noValidators := benchFeedList(srv.URL + "/plain/")

	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var cpu cpuMeter
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			st := storetest.Open(b, filepath.Join(dir, "agg.db"))
			r := newBenchRunner(st, client)
			cpu.start()
			b.StartTimer()
			reps := r.RunAll(b.Context(), withETag, false)
			b.StopTimer()
			cpu.stop()
			if added := addedBy(b, reps); added != benchItems {
				b.Fatalf("added %d items, want %d", added, benchItems)
			}
			if _, items, err := st.Counts(b.Context()); err != nil || items != benchItems {
				b.Fatalf("store holds %d items (err %v), want %d", items, err, benchItems)
			}
			st.Close()
			os.RemoveAll(dir)
			b.StartTimer()
		}
		reportRates(b, &cpu)
	})

	b.Run("warm", func(b *testing.B) {
		r := primedRunner(b, client, withETag)
		benchUnchanged(b, r, withETag, func(res *fetch.Result) bool { return res.NotModified })
	})

	b.Run("warm-no-validators", func(b *testing.B) {
		r := primedRunner(b, client, noValidators)
		benchUnchanged(b, r, noValidators, func(res *fetch.Result) bool { return res.Unchanged && !res.NotModified })
	})

	b.Run("changed", func(b *testing.B) {
		gained := slices.Clone(bodies)
		for n := 0; n < benchFeeds; n += 10 {
			gained[n] = renderBenchFeed(n, 2)
		}
		defer site.serve(bodies)
		b.ReportAllocs()
		var cpu cpuMeter
		for b.Loop() {
			b.StopTimer()
			site.serve(bodies)
			r := primedRunner(b, client, withETag)
			site.serve(gained)
			cpu.start()
			b.StartTimer()
			reps := r.RunAll(b.Context(), withETag, true)
			b.StopTimer()
			cpu.stop()
			if added := addedBy(b, reps); added != 2*benchFeeds/10 {
				b.Fatalf("added %d items, want %d", added, 2*benchFeeds/10)
			}
			b.StartTimer()
		}
		reportRates(b, &cpu)
	})

	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		var cpu cpuMeter
		for b.Loop() {
			cpu.start()
			n := 0
			for _, body := range bodies {
				feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				n += len(feed.Items)
			}
			cpu.stop()
			if n != benchItems {
				b.Fatalf("parsed %d items, want %d", n, benchItems)
			}
		}
		reportRates(b, &cpu)
	})
}

// benchUnchanged measures forced RunAlls in which no feed has changed;
// unchanged says how each fetch must have found it so.
func benchUnchanged(b *testing.B, r *Runner, feeds []Feed, unchanged func(*fetch.Result) bool) {
	b.ReportAllocs()
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		reps := r.RunAll(b.Context(), feeds, true)
		if added := addedBy(b, reps); added != 0 {
			b.Fatalf("added %d items, want 0", added)
		}
		for _, rep := range reps {
			if !unchanged(rep.Result) {
				b.Fatalf("%s: status %d, not modified %v, unchanged %v: want it reported unchanged",
					rep.Feed.URL, rep.Result.StatusCode, rep.Result.NotModified, rep.Result.Unchanged)
			}
		}
	}
	cpu.stop()
	reportRates(b, &cpu)
}

// primedRunner returns a Runner over a new store that has already fetched
// every feed once (all 200s).
func primedRunner(b *testing.B, client *fetch.Client, feeds []Feed) *Runner {
	b.Helper()
	st := storetest.New(b)
	r := newBenchRunner(st, client)
	if added := addedBy(b, r.RunAll(b.Context(), feeds, false)); added != benchItems {
		b.Fatalf("priming added %d items, want %d", added, benchItems)
	}
	return r
}

// addedBy fails b on any failed or skipped feed and returns how many items
// the reports added.
func addedBy(b *testing.B, reps []Report) int {
	b.Helper()
	if len(reps) != benchFeeds {
		b.Fatalf("%d reports, want %d", len(reps), benchFeeds)
	}
	added := 0
	for _, rep := range reps {
		if rep.Err != nil || rep.Skipped != "" {
			b.Fatalf("%s: err %v, skipped %q", rep.Feed.URL, rep.Err, rep.Skipped)
		}
		added += rep.Added
	}
	return added
}

// reportRates reports items and feeds fetched per second of measured time,
// and the CPU time per RunAll.
func reportRates(b *testing.B, cpu *cpuMeter) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*benchItems)/secs, "items/s")
	b.ReportMetric(float64(b.N*benchFeeds)/secs, "feeds/s")
	b.ReportMetric(cpu.total.Seconds()/float64(b.N), "cpu-s/op")
}

// newBenchClient is the production client with per-host limits raised,
// since one loopback server stands in for many hosts; its idle pool keeps
// one connection per concurrent fetch, as many hosts would.
func newBenchClient() *fetch.Client {
	c := testClient()
	c.Concurrency = 16
	c.PerHost = 16
	c.HTTP.Transport.(*http.Transport).MaxIdleConnsPerHost = c.PerHost
	return c
}

// newBenchRunner is a Runner as the daemon sets it up: entity tagging and
// a few rule tags, and story clustering.
func newBenchRunner(st *store.Store, client *fetch.Client) *Runner {
	tagger, err := tag.New(tag.Options{Entities: true, Rules: []tag.RuleSpec{
		{Name: "korea", Any: []string{"North Korea", "Pyongyang", "Kim Jong Un"}},
		{Name: "energy", Any: []string{"energy", "climate"}, None: []string{"sport"}},
		{Name: "transport", Any: []string{"railway", "bridge", "transport"}, Fields: []string{"title"}},
	}})
	if err != nil {
		panic(err)
	}
	return &Runner{Store: st, Fetcher: client, Log: slog.New(slog.DiscardHandler),
		Tagger: tagger, Stories: story.New(story.DefaultConfig())}
}

// benchFeedList lists the feeds prefix+"0" … prefix+"999".
func benchFeedList(prefix string) []Feed {
	feeds := make([]Feed, benchFeeds)
	for i := range feeds {
		feeds[i] = Feed{URL: prefix + strconv.Itoa(i), Name: fmt.Sprintf("Bench feed %d", i)}
	}
	return feeds
}

// benchSite serves the feeds' current bodies: at /feed/N with an ETag of
// the body (304 when If-None-Match matches it), and at /plain/N with no
// validators at all.
type benchSite struct {
	cur atomic.Pointer[benchBodies]
}

type benchBodies struct {
	bodies [][]byte
	etags  []string
}

// serve makes the site serve bodies from now on.
func (s *benchSite) serve(bodies [][]byte) {
	v := &benchBodies{bodies: bodies, etags: make([]string, len(bodies))}
	for i, b := range bodies {
		v.etags[i] = fmt.Sprintf(`"%x"`, sha256.Sum256(b))
	}
	s.cur.Store(v)
}

func (s *benchSite) handler() http.Handler {
	feed := func(w http.ResponseWriter, r *http.Request) (body []byte, etag string, ok bool) {
		cur := s.cur.Load()
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= len(cur.bodies) {
			http.NotFound(w, r)
			return nil, "", false
		}
		return cur.bodies[n], cur.etags[n], true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feed/{n}", func(w http.ResponseWriter, r *http.Request) {
		body, etag, ok := feed(w, r)
		if !ok {
			return
		}
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	})
	mux.HandleFunc("GET /plain/{n}", func(w http.ResponseWriter, r *http.Request) {
		body, _, ok := feed(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	})
	return mux
}

// renderBenchFeeds renders the RSS 2.0 documents of all the feeds, each
// with extra items more than the usual 50.
func renderBenchFeeds(extra int) [][]byte {
	bodies := make([][]byte, benchFeeds)
	for i := range bodies {
		bodies[i] = renderBenchFeed(i, extra)
	}
	return bodies
}

// benchWords is the vocabulary of the generated text: plain ASCII, nothing
// to escape.
var benchWords = strings.Fields(`the of and to in a is that for on with as by at from
	council budget market energy report climate city research transport health
	school river election harbour festival library museum vaccine railway bridge
	announced reviewed expected published delayed approved rejected proposed
	record quarterly regional national annual local new early late major minor
	data study plan policy price growth storm water housing court trade union`)

// benchText returns deterministic words from rng, about n characters long.
func benchText(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(benchWords[rng.IntN(len(benchWords))])
	}
	return sb.String()
}

// benchHTML returns about n bytes of article HTML: paragraphs of words with
// a link, emphasis and an image now and then.
func benchHTML(rng *rand.Rand, site string, n int) string {
	var sb strings.Builder
	for p := 0; sb.Len() < n; p++ {
		sb.WriteString("<p>")
		sb.WriteString(benchText(rng, 200))
		switch p % 4 {
		case 0:
			fmt.Fprintf(&sb, ` <a href="%s/related/%d">%s</a>`, site, rng.IntN(1e6), benchText(rng, 20))
		case 1:
			fmt.Fprintf(&sb, " <em>%s</em> %s", benchText(rng, 15), benchText(rng, 120))
		case 2:
			fmt.Fprintf(&sb, `</p><p><img src="/img/%d.jpg" alt="%s" width="640" height="360">`, rng.IntN(1e6), benchText(rng, 20))
		case 3:
			fmt.Fprintf(&sb, " <strong>%s</strong>", benchText(rng, 25))
		}
		sb.WriteString(benchText(rng, 250))
		sb.WriteString("</p>\n")
	}
	return sb.String()
}

// renderBenchFeed renders feed n: 50 items, each with a ~70-character title,
// a ~300-character description, ~8.5 KB of HTML content (escaped as XML
// text, as most feeds do), a GUID, a link of its own and an RFC 1123 pubDate,
// an hour apart.
//
// With extra > 0, the feed has as many newer items on top: the same feed
// later.
func renderBenchFeed(n, extra int) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 0x5eed))
	site := fmt.Sprintf("https://site-%d.example", n)
	newest := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(-time.Duration(n) * time.Minute)
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>` + "\n")
	fmt.Fprintf(&sb, "<title>Bench feed %d</title>\n<link>%s/</link>\n<description>%s</description>\n",
		n, site, benchText(rng, 60))
	fmt.Fprintf(&sb, "<language>en</language>\n<lastBuildDate>%s</lastBuildDate>\n", newest.Format(http.TimeFormat))
	for i := -extra; i < benchItemsPerFeed; i++ {
		rng := rand.New(rand.NewPCG(uint64(n), uint64(i+1000)))
		fmt.Fprintf(&sb, "<item>\n<title>%s</title>\n<link>%s/%d/%02d/story-%d-%d</link>\n"+
			"<guid isPermaLink=\"false\">urn:bench:%d:%d</guid>\n<pubDate>%s</pubDate>\n"+
			"<description>%s</description>\n<content:encoded>%s</content:encoded>\n</item>\n",
			benchText(rng, 70), site, newest.Year(), int(newest.Month()), n, i,
			n, i, newest.Add(-time.Duration(i)*time.Hour).Format(http.TimeFormat),
			benchText(rng, 300), html.EscapeString(benchHTML(rng, site, 8500)))
	}
	sb.WriteString("</channel></rss>\n")
	return []byte(sb.String())
}

// cpuMeter adds up the process's user+system CPU time between start and stop.
type cpuMeter struct {
	total, mark time.Duration
}

func (m *cpuMeter) start() { m.mark = processCPU() }
func (m *cpuMeter) stop()  { m.total += processCPU() - m.mark }

// processCPU is the user+system CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
