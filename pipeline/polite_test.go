package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"aggregator/fetch"
	"aggregator/internal/storetest"
	"aggregator/publish"
)

const rssDoc = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>
<item><title>One</title><link>https://t.example/1</link><guid>1</guid></item></channel></rss>`

// hits counts requests per path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) add(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[path]++
}

func (h *hits) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[path]
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func politeServer(t *testing.T, h *hits) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		switch r.URL.Path {
		case "/hourly":
			w.Header().Set("Cache-Control", "max-age=3600")
			fmt.Fprint(w, rssDoc)
		case "/old":
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
		case "/temp":
			http.Redirect(w, r, "/new", http.StatusFound)
		case "/new":
			fmt.Fprint(w, rssDoc)
		case "/gone":
			http.Error(w, "gone", http.StatusGone)
		case "/busy":
			w.Header().Set("Retry-After", "7200")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunAllIsPolite(t *testing.T) {
	var h hits
	srv := politeServer(t, &h)
	clk := &clock{t: time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)}
	st := storetest.New(t)
	client := testClient()
	client.Now = clk.Now
	r := &Runner{Store: st, Fetcher: client, Log: quiet(), Now: clk.Now,
		Policy: fetch.Policy{Rand: func() float64 { return 0 }}}
	feeds := []Feed{{URL: srv.URL + "/hourly"}, {URL: srv.URL + "/old"}, {URL: srv.URL + "/temp"},
		{URL: srv.URL + "/gone"}, {URL: srv.URL + "/busy"}}

	run := func(force bool) map[string]Report {
		out := map[string]Report{}
		for _, rep := range r.RunAll(context.Background(), feeds, force) {
			out[rep.Feed.URL[len(srv.URL):]] = rep
		}
		return out
	}

	first := run(false)
	for _, p := range []string{"/hourly", "/old", "/temp"} {
		if first[p].Err != nil || first[p].Skipped != "" {
			t.Errorf("%s: first run: err %v, skipped %q", p, first[p].Err, first[p].Skipped)
		}
	}
	if first["/gone"].Err == nil || first["/busy"].Err == nil {
		t.Errorf("410 and 429 should fail: %v, %v", first["/gone"].Err, first["/busy"].Err)
	}

	// Five minutes later, as a cron job every five minutes would.
	clk.advance(5 * time.Minute)
	second := run(false)
	wantSkipped := map[string]bool{"/hourly": true, "/gone": true, "/busy": true, "/old": false, "/temp": false}
	for p, want := range wantSkipped {
		if got := second[p].Skipped != ""; got != want {
			t.Errorf("%s after 5m: skipped = %v (%q), want %v", p, got, second[p].Skipped, want)
		}
	}
	// The permanent redirect was followed once and then remembered; the
	// temporary one is asked again every time.
	if h.get("/old") != 1 {
		t.Errorf("/old requested %d times, want once (moved permanently)", h.get("/old"))
	}
	if h.get("/temp") != 2 {
		t.Errorf("/temp requested %d times, want 2 (moved temporarily)", h.get("/temp"))
	}
	_, state, err := st.Feed(context.Background(), srv.URL+"/old", "")
	if err != nil {
		t.Fatal(err)
	}
	if state.URL != srv.URL+"/new" {
		t.Errorf("moved feed's URL = %q, want %q", state.URL, srv.URL+"/new")
	}
	_, gone, _ := st.Feed(context.Background(), srv.URL+"/gone", "")
	if !gone.Retired || gone.LastStatus != http.StatusGone {
		t.Errorf("410 feed: retired %v, status %d", gone.Retired, gone.LastStatus)
	}

	// Two hours on: the hourly feed and the 429 one (Retry-After: 2h) are
	// due again; the retired one never is, unless forced.
	clk.advance(2 * time.Hour)
	third := run(false)
	for p, want := range map[string]bool{"/hourly": false, "/busy": false, "/gone": true} {
		if got := third[p].Skipped != ""; got != want {
			t.Errorf("%s after 2h: skipped = %v (%q), want %v", p, got, third[p].Skipped, want)
		}
	}
	forced := run(true)
	for p, rep := range forced {
		if rep.Skipped != "" {
			t.Errorf("%s: skipped %q although forced", p, rep.Skipped)
		}
	}
	if h.get("/gone") != 2 {
		t.Errorf("/gone requested %d times, want 2 (first run and forced run)", h.get("/gone"))
	}
}

func TestOffset(t *testing.T) {
	const max = 5 * time.Minute
	seen := map[time.Duration]bool{}
	for i := range 1000 {
		url := fmt.Sprintf("https://feeds.example/%d.xml", i)
		o := offset(url, max)
		if o < 0 || o >= max {
			t.Fatalf("offset(%q) = %v, outside [0, %v)", url, o, max)
		}
		if o != offset(url, max) {
			t.Fatalf("offset(%q) is not stable", url)
		}
		seen[o.Truncate(time.Second)] = true
	}
	// 1,000 feeds over 300 seconds: nearly every second gets some.
	if len(seen) < 250 {
		t.Errorf("1,000 offsets fall in only %d distinct seconds of 300", len(seen))
	}
	if offset("x", 0) != 0 {
		t.Error("offset with no jitter is not 0")
	}
}

// A permanent redirect is followed and logged once: the next run fetches
// the new URL directly and has nothing to say about it.
func TestRunAllLogsPermanentRedirectOnce(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var h hits
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.add(r.URL.Path)
				switch r.URL.Path {
				case "/old":
					http.Redirect(w, r, "/new", code)
				case "/new":
					fmt.Fprint(w, rssDoc)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			clk := &clock{t: time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)}
			client := testClient()
			client.Now = clk.Now
			var logs syncBuffer
			r := &Runner{Store: storetest.New(t), Fetcher: client, Now: clk.Now,
				Log:    slog.New(slog.NewTextHandler(&logs, nil)),
				Policy: fetch.Policy{Rand: func() float64 { return 0 }}}
			feeds := []Feed{{URL: srv.URL + "/old"}}
			for range 2 {
				if err := Failed(r.RunAll(context.Background(), feeds, false)); err != nil {
					t.Fatal(err)
				}
				clk.advance(time.Hour)
			}
			if n := strings.Count(logs.String(), "feed moved permanently"); n != 1 {
				t.Errorf("the move was logged %d times in two runs, want once:\n%s", n, logs.String())
			}
			if h.get("/old") != 1 || h.get("/new") != 2 {
				t.Errorf("/old requested %d times, /new %d; want 1 and 2", h.get("/old"), h.get("/new"))
			}
		})
	}
}

// After a plain 500 (no Retry-After) the feed backs off: a --once run
// within the backoff skips it, and a forced one fetches it.
func TestRunAllBacksOffAfterServerError(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer srv.Close()
	clk := &clock{t: time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)}
	client := testClient()
	client.Now = clk.Now
	r := &Runner{Store: storetest.New(t), Fetcher: client, Log: quiet(), Now: clk.Now,
		Policy: fetch.Policy{BackoffBase: 15 * time.Minute, Rand: func() float64 { return 0 }}}
	feeds := []Feed{{URL: srv.URL + "/feed"}}

	rep := r.RunAll(context.Background(), feeds, false)[0]
	var he *fetch.HTTPError
	if !errors.As(rep.Err, &he) || he.StatusCode != http.StatusInternalServerError || he.RetryAfter != 0 {
		t.Fatalf("first run: err %v, want a 500 without Retry-After", rep.Err)
	}
	// Five minutes on, as a cron job every five minutes would.
	clk.advance(5 * time.Minute)
	rep = r.RunAll(context.Background(), feeds, false)[0]
	if rep.Skipped == "" || rep.Err != nil || h.get("/feed") != 1 {
		t.Errorf("within the backoff: skipped %q, err %v, %d requests; want skipped, 1 request", rep.Skipped, rep.Err, h.get("/feed"))
	}
	rep = r.RunAll(context.Background(), feeds, true)[0]
	if rep.Skipped != "" || h.get("/feed") != 2 {
		t.Errorf("forced: skipped %q, %d requests; want fetched, 2 requests", rep.Skipped, h.get("/feed"))
	}
	// The backoff is over: fetched again without force.
	clk.advance(time.Hour)
	if rep = r.RunAll(context.Background(), feeds, false)[0]; rep.Skipped != "" || h.get("/feed") != 3 {
		t.Errorf("after the backoff: skipped %q, %d requests; want fetched, 3 requests", rep.Skipped, h.get("/feed"))
	}
}

// A Retry-After far in the future is told as the wait the feed gets,
// fetch.max_wait, in the report, the log, the stored state and the status
// page: not as the 2562047h47m16s the header asks for.
func TestRetryAfterBeyondMaxWait(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "99999999999")
		http.Error(w, "come back much later", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	clk := &clock{t: time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)}
	client := testClient()
	client.Now = clk.Now
	var logs syncBuffer
	st := storetest.New(t)
	r := &Runner{Store: st, Fetcher: client, Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.Now,
		Policy: fetch.Policy{MaxWait: 6 * time.Hour}}
	feeds := []Feed{{URL: srv.URL + "/feed"}}

	rep := r.RunAll(ctx, feeds, false)[0]
	const want = "(retry after 6h0m0s)"
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), want) {
		t.Errorf("report: err %v, want it to say %s", rep.Err, want)
	}
	if !strings.Contains(logs.String(), want) || strings.Contains(logs.String(), "2562047h") {
		t.Errorf("log:\n%s\nwant it to say %s", logs.String(), want)
	}
	stored, err := st.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || !strings.Contains(stored[0].State.Error, want) ||
		!stored[0].State.NextFetch.Equal(clk.Now().Add(6*time.Hour)) {
		t.Fatalf("stored state %+v, want an error saying %s and the next fetch in 6h", stored, want)
	}
	base, _ := url.Parse("https://feeds.example/")
	pub := &publish.Publisher{Outputs: []publish.Output{{Name: "all"}}, BaseURL: base, Health: Health{Store: st, Feeds: feeds}}
	site, err := pub.Build(ctx, StoryEntries{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{publish.StatusPath, publish.HealthFeed} {
		if body := string(site.Files[name].Body); !strings.Contains(body, want) || strings.Contains(body, "2562047h") {
			t.Errorf("%s does not say %s:\n%s", name, want, body)
		}
	}
}
