package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"aggregator"
	"aggregator/fetch"
	"aggregator/internal/storetest"
	"aggregator/store"
	"aggregator/story"
	"aggregator/tag"
)

var kimFiles = []string{"korea-desk.atom", "world-wire.rss", "daily-ledger.rss", "newsroom.json", "pacific-observer.rss"}

func kimFeeds(t *testing.T) []Feed {
	t.Helper()
	dir, err := filepath.Abs("../testdata/kim")
	if err != nil {
		t.Fatal(err)
	}
	var feeds []Feed
	for _, f := range kimFiles {
		feeds = append(feeds, Feed{URL: "file://" + filepath.ToSlash(filepath.Join(dir, f)), Schedule: "@every 15m"})
	}
	return feeds
}

// testClient is a fetch client that may reach the test servers on loopback.
func testClient() *fetch.Client {
	c := fetch.NewClient("test")
	c.AllowPrivate = true
	return c
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunAll(t *testing.T) {
	feeds := kimFeeds(t)
	missing := Feed{URL: "file:///nonexistent/feed.xml"}
	feeds = append(feeds[:2], append([]Feed{missing}, feeds[2:]...)...)

	st := storetest.New(t)
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet()}
	reports := r.RunAll(context.Background(), feeds, false)

	if len(reports) != len(feeds) {
		t.Fatalf("%d reports for %d feeds", len(reports), len(feeds))
	}
	added := 0
	for i, rep := range reports {
		if rep.Feed.URL != feeds[i].URL {
			t.Errorf("report %d is for %s, want %s", i, rep.Feed.URL, feeds[i].URL)
		}
		if (rep.Err != nil) != (rep.Feed.URL == missing.URL) {
			t.Errorf("%s: err = %v", rep.Feed.URL, rep.Err)
		}
		added += rep.Added
	}
	// 14 items in the feeds; two are the same World Wire article.
	if added != 13 {
		t.Errorf("added %d items, want 13", added)
	}
	err := Failed(reports)
	if err == nil || !strings.HasPrefix(err.Error(), "file:feed.xml: ") || strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("Failed() = %v, want the missing feed named by its file's name, not its path", err)
	}

	again := r.RunAll(context.Background(), feeds, false)
	for _, rep := range again {
		if rep.Added != 0 || rep.Changed != 0 {
			t.Errorf("%s: a second run added %d, changed %d", rep.Feed.URL, rep.Added, rep.Changed)
		}
	}
}

// The stories published do not depend on how many feeds are fetched at once,
// and a store rebuilt from the same feeds in the same order publishes the
// same entries with the same ids.
func TestRunAllDeterministic(t *testing.T) {
	var results [][]aggregator.Entry
	// One clock for every run: a run that happens to span a second
	// boundary sees its articles first seen at different times, and says so.
	now := time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, n := range []int{1, 8, 8} {
		st := storetest.New(t)
		st.SetClock(clock)
		c := testClient()
		c.Concurrency = n
		r := &Runner{Store: st, Fetcher: c, Log: quiet(), Stories: story.New(story.DefaultConfig()), Now: clock}
		if err := Failed(r.RunAll(context.Background(), kimFeeds(t), false)); err != nil {
			t.Fatal(err)
		}
		entries, err := StoryEntries{Store: st}.Entries(context.Background(), 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range entries {
			for j := range entries[i].Sources {
				entries[i].Sources[j].Feed.ID = 0
			}
		}
		results = append(results, entries)
	}
	if len(results[0]) != 8 {
		t.Errorf("%d entries from the Kim feeds, want their 8 stories", len(results[0]))
	}
	for _, r := range results[1:] {
		if !reflect.DeepEqual(results[0], r) {
			t.Error("entries differ between runs")
		}
	}
}

// A runner restored from the store places new articles as the first one
// would have: an article on a known story joins it after a restart, whether
// restored at once or when first needed (RestoreLater, as --once does).
func TestRestore(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(fmt.Sprint("later=", lazy), func(t *testing.T) {
			ctx := context.Background()
			feeds := kimFeeds(t)
			st := storetest.New(t)
			first := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()),
				Now: func() time.Time { return time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC) }}
			// Everything but Newsroom Global, which carries the Kim train story too.
			if err := Failed(first.RunAll(ctx, append(feeds[:3:3], feeds[4]), false)); err != nil {
				t.Fatal(err)
			}
			second := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()),
				Now: first.Now}
			if lazy {
				second.RestoreLater()
			} else if err := second.Restore(ctx); err != nil {
				t.Fatal(err)
			}
			if lazy {
				// Nothing new: nothing restored.
				if err := Failed(second.RunAll(ctx, feeds[:1], true)); err != nil {
					t.Fatal(err)
				}
				if !second.restoring || second.Stories.Active() != 0 {
					t.Errorf("restored (%d stories open) for a run that found nothing new", second.Stories.Active())
				}
			}
			if err := Failed(second.RunAll(ctx, feeds[3:4], false)); err != nil {
				t.Fatal(err)
			}
			entries, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 8 {
				t.Errorf("%d entries after a restart, want the 8 stories", len(entries))
			}
			for _, e := range entries {
				if strings.Contains(e.Item.Title, "Kim") && strings.Contains(e.Item.Title, "train") && len(e.Sources) != 5 {
					t.Errorf("the Kim train story credits %d feeds after a restart, want 5", len(e.Sources))
				}
			}
		})
	}
}

// countingFetcher counts the fetches of each feed.
type countingFetcher struct {
	Fetcher
	mu sync.Mutex
	n  map[string]int
}

func (c *countingFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Result, error) {
	c.mu.Lock()
	c.n[req.URL]++
	c.mu.Unlock()
	return c.Fetcher.Fetch(ctx, req)
}

func TestSchedulerFollowsSchedules(t *testing.T) {
	// Feeds without <ttl>: world-wire.rss asks for 15 minutes between fetches.
	all := kimFeeds(t)
	feeds := []Feed{all[0], all[2]}
	feeds[0].Schedule = "@every 1m"
	feeds[1].Schedule = "@every 5m"
	st := storetest.New(t) // outside the bubble: database/sql keeps goroutines of its own

	synctest.Test(t, func(t *testing.T) {
		fetcher := &countingFetcher{Fetcher: testClient(), n: map[string]int{}}
		var mu sync.Mutex
		changes := 0
		s := &Scheduler{
			Runner: &Runner{Store: st, Fetcher: fetcher, Log: quiet()},
			Feeds:  feeds,
			Changed: func(context.Context) {
				mu.Lock()
				changes++
				mu.Unlock()
			},
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()

		// At start-up every feed is fetched; then on its schedule.
		time.Sleep(10*time.Minute + 30*time.Second)
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}

		fetcher.mu.Lock()
		defer fetcher.mu.Unlock()
		if got := fetcher.n[feeds[0].URL]; got != 11 {
			t.Errorf("every-minute feed fetched %d times in 10.5 minutes, want 11", got)
		}
		if got := fetcher.n[feeds[1].URL]; got != 3 {
			t.Errorf("every-5-minutes feed fetched %d times in 10.5 minutes, want 3", got)
		}
		mu.Lock()
		defer mu.Unlock()
		// The first fetches add items; the later ones find nothing new.
		if changes < 1 || changes > 2 {
			t.Errorf("Changed called %d times, want once or twice (after the start-up fetches only)", changes)
		}
	})
}

// A restarted daemon fetches at start-up only the feeds whose scheduled time
// passed while it was down.
func TestSchedulerStartupFetchesOnlyDueFeeds(t *testing.T) {
	all := kimFeeds(t)
	feeds := []Feed{all[0], all[2]}
	for i := range feeds {
		feeds[i].Schedule = "@every 15m"
	}
	st := storetest.New(t)

	synctest.Test(t, func(t *testing.T) {
		fetcher := &countingFetcher{Fetcher: testClient(), n: map[string]int{}}
		runner := &Runner{Store: st, Fetcher: fetcher, Log: quiet()}
		runFor := func(d time.Duration, feeds []Feed) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- (&Scheduler{Runner: runner, Feeds: feeds}).Run(ctx) }()
			time.Sleep(d)
			cancel()
			<-done
		}
		count := func(f Feed) int {
			fetcher.mu.Lock()
			defer fetcher.mu.Unlock()
			return fetcher.n[f.URL]
		}

		// First start: nothing was ever fetched, so everything is.
		runFor(time.Minute, feeds[:1])
		if n := count(feeds[0]); n != 1 {
			t.Fatalf("first start fetched %d times, want 1", n)
		}
		// Restart a minute later with a second feed: only the new one is due.
		runFor(time.Minute, feeds)
		if n0, n1 := count(feeds[0]), count(feeds[1]); n0 != 1 || n1 != 1 {
			t.Errorf("restart fetched the feeds %d and %d times, want 1 and 1", n0, n1)
		}
		// Restart after the schedule passed: the first feed is due again.
		time.Sleep(20 * time.Minute)
		runFor(time.Second, feeds[:1])
		if n := count(feeds[0]); n != 2 {
			t.Errorf("restart after 20m fetched %d times in all, want 2", n)
		}
	})
}

// Feeds with the same schedule fire at different moments, spread over the jitter.
func TestSchedulerSpreadsFeeds(t *testing.T) {
	// The URLs, which a feed's offsets are hashed from, do not depend on
	// where the checkout is; the fetcher reads none of them.
	var feeds []Feed
	for i := range 50 {
		feeds = append(feeds, Feed{URL: fmt.Sprintf("https://feed%d.example/rss.xml", i), Schedule: "@every 10m"})
	}
	st := storetest.New(t)
	synctest.Test(t, func(t *testing.T) {
		fetcher := &timingFetcher{times: map[string][]time.Time{}}
		runner := &Runner{Store: st, Fetcher: fetcher, Log: quiet()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- (&Scheduler{Runner: runner, Feeds: feeds, Jitter: 5 * time.Minute}).Run(ctx) }()
		time.Sleep(16 * time.Minute)
		cancel()
		<-done

		fetcher.mu.Lock()
		defer fetcher.mu.Unlock()
		startSeconds := map[int]bool{}
		laterSeconds := map[int]bool{}
		for _, f := range feeds {
			ts := fetcher.times[f.URL]
			if len(ts) != 2 {
				t.Fatalf("%s fetched %d times in 16 minutes, want 2 (start-up and one scheduled)", f.URL, len(ts))
			}
			if d := ts[0].Sub(start); d >= time.Minute {
				t.Errorf("start-up fetch after %v, want within a minute", d)
			}
			if d := ts[1].Sub(start); d < 10*time.Minute || d >= 15*time.Minute {
				t.Errorf("scheduled fetch after %v, want in [10m, 15m)", d)
			}
			startSeconds[int(ts[0].Sub(start)/time.Second)] = true
			laterSeconds[int(ts[1].Sub(start)/time.Second)] = true
		}
		if len(startSeconds) < 25 || len(laterSeconds) < 40 {
			t.Errorf("50 feeds fired in %d distinct seconds at start-up and %d later; want them spread",
				len(startSeconds), len(laterSeconds))
		}
	})
}

// timingFetcher records when each feed is fetched and answers with an empty feed.
type timingFetcher struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (f *timingFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Result, error) {
	f.mu.Lock()
	f.times[req.URL] = append(f.times[req.URL], time.Now())
	f.mu.Unlock()
	return &fetch.Result{StatusCode: 200}, nil
}

// A new rule applies to what is already stored: the store is tagged again
// when the tagging fingerprint changes, and only then.
func TestRetag(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	feeds := kimFeeds(t)
	newRunner := func(rules ...tag.RuleSpec) *Runner {
		tagger, err := tag.New(tag.Options{Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		return &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Tagger: tagger}
	}
	hasTag := func(slug string) int {
		entries, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			for _, tg := range e.Tags {
				if tg.Slug == slug {
					n++
				}
			}
		}
		return n
	}

	first := newRunner()
	if _, err := first.Retag(ctx, feeds, "v1", nil); err != nil {
		t.Fatal(err)
	}
	if err := Failed(first.RunAll(ctx, feeds, false)); err != nil {
		t.Fatal(err)
	}
	if n := hasTag("floods"); n != 0 {
		t.Fatalf("%d entries tagged floods before any rule", n)
	}
	second := newRunner(tag.RuleSpec{Name: "floods", Any: []string{"floods", "flood"}})
	if did, err := second.Retag(ctx, feeds, "v1", nil); err != nil || did {
		t.Errorf("Retag with the same fingerprint = %v, %v; want no work", did, err)
	}
	if did, err := second.Retag(ctx, feeds, "v2", nil); err != nil || !did {
		t.Fatalf("Retag with a new fingerprint = %v, %v; want the store tagged again", did, err)
	}
	// No clusterer here: the two articles on the Libya floods are two entries.
	if n := hasTag("floods"); n != 2 {
		t.Errorf("%d entries tagged floods after the new rule, want the 2 Libya articles", n)
	}
}

// slowFetcher takes a while (in the bubble's time) and notes whether its
// context was cancelled before it finished.
type slowFetcher struct {
	took      time.Duration
	mu        sync.Mutex
	cancelled int
	finished  int
}

func (f *slowFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Result, error) {
	select {
	case <-time.After(f.took):
		f.mu.Lock()
		f.finished++
		f.mu.Unlock()
		return &fetch.Result{StatusCode: 200}, nil
	case <-ctx.Done():
		f.mu.Lock()
		f.cancelled++
		f.mu.Unlock()
		return nil, ctx.Err()
	}
}

// A stop lets a fetch in flight finish within the grace period, and cancels
// it after.
func TestSchedulerGrace(t *testing.T) {
	for _, tt := range []struct {
		name          string
		grace         time.Duration
		wantFinished  int
		wantCancelled int
	}{
		{"within the grace", 3 * time.Second, 1, 0},
		{"past the grace", 500 * time.Millisecond, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			feed := kimFeeds(t)[0]
			synctest.Test(t, func(t *testing.T) {
				f := &slowFetcher{took: 2 * time.Second}
				s := &Scheduler{Runner: &Runner{Store: st, Fetcher: f, Log: quiet()}, Feeds: []Feed{feed}, Grace: tt.grace}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx) }()
				time.Sleep(time.Second) // the start-up fetch is under way
				cancel()
				<-done
				if f.finished != tt.wantFinished || f.cancelled != tt.wantCancelled {
					t.Errorf("finished %d, cancelled %d; want %d, %d", f.finished, f.cancelled, tt.wantFinished, tt.wantCancelled)
				}
			})
		})
	}
}

// TestRunAllFetchesAhead: RunAll stores and reports every feed once, and
// never has more than fetchAhead feeds fetched and not yet stored.
func TestRunAllFetchesAhead(t *testing.T) {
	const n = 3 * fetchAhead
	var mu sync.Mutex
	requests, reported, worst := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		worst = max(worst, requests-reported)
		mu.Unlock()
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>F</title><item><title>Item %s</title><link>https://x.example%s</link></item></channel></rss>`, r.URL.Path, r.URL.Path)
	}))
	defer srv.Close()
	var feeds []Feed
	for i := range n {
		feeds = append(feeds, Feed{URL: fmt.Sprintf("%s/%d", srv.URL, i)})
	}
	seen := map[string]int{}
	r := &Runner{Store: storetest.New(t), Fetcher: testClient(), Log: quiet(), OnReport: func(rep Report) {
		mu.Lock()
		reported++
		mu.Unlock()
		seen[rep.Feed.URL]++
	}}
	reps := r.RunAll(context.Background(), feeds, false)
	if err := Failed(reps); err != nil {
		t.Fatal(err)
	}
	for i, f := range feeds {
		if reps[i].Feed.URL != f.URL || reps[i].Added != 1 || seen[f.URL] != 1 {
			t.Fatalf("report %d: %s added %d, reported %d times; want %s added 1, reported once",
				i, reps[i].Feed.URL, reps[i].Added, seen[f.URL], f.URL)
		}
	}
	if worst > fetchAhead {
		t.Errorf("%d feeds fetched ahead of the last one stored, want at most %d", worst, fetchAhead)
	}
}

// TestRunAllStartsAfterAWholeWindow: when every feed started is stored
// before the next are started (a window whose fetches all ended at once),
// RunAll starts the next feeds instead of waiting for an outcome that no
// fetch will send. A window of one feed ends that way after each feed.
func TestRunAllStartsAfterAWholeWindow(t *testing.T) {
	docs := documents{}
	var feeds []Feed
	for i := range 5 {
		u := fmt.Sprintf("http://feeds.invalid/%d", i)
		docs[u] = fmt.Appendf(nil, `<rss version="2.0"><channel><title>F</title><item><title>Item %d</title><link>https://x.example/%d</link></item></channel></rss>`, i, i)
		feeds = append(feeds, Feed{URL: u})
	}
	r := &Runner{Store: storetest.New(t), Fetcher: docs, Log: quiet(), ahead: 1}
	done := make(chan []Report)
	go func() { done <- r.RunAll(context.Background(), feeds, false) }()
	select {
	case reps := <-done:
		if err := Failed(reps); err != nil {
			t.Fatal(err)
		}
		for i, rep := range reps {
			if rep.Added != 1 {
				t.Errorf("feed %d: added %d, want 1", i, rep.Added)
			}
		}
	case <-time.After(time.Minute):
		t.Fatal("RunAll still waits a minute later, with no fetch in flight")
	}
}

// TestRestoreLaterEmpty: a --once run on a new store places its articles
// as a runner restored at once would: nothing is replayed twice.
func TestRestoreLaterEmpty(t *testing.T) {
	ctx := context.Background()
	var got [][]aggregator.Entry
	for _, lazy := range []bool{false, true} {
		st := storetest.New(t)
		r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()),
			Now: func() time.Time { return time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC) }}
		if lazy {
			r.RestoreLater()
		} else if err := r.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if err := Failed(r.RunAll(ctx, kimFeeds(t), false)); err != nil {
			t.Fatal(err)
		}
		entries, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entries)
	}
	if len(got[0]) != 8 || len(got[1]) != len(got[0]) {
		t.Errorf("%d entries restored later, %d restored at once; want the 8 stories both ways", len(got[1]), len(got[0]))
	}
}

// TestRunAllSlowFeedDelaysNoOther: a feed that hangs holds back no other
// feed, however many come after it: every other one is fetched and stored
// while it hangs, and what waits to be stored stays within fetchAhead.
func TestRunAllSlowFeedDelaysNoOther(t *testing.T) {
	const fast = 2 * fetchAhead
	release := make(chan struct{})
	var mu sync.Mutex
	requests, reported, worst := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		mu.Lock()
		requests++
		worst = max(worst, requests-reported)
		mu.Unlock()
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>F</title><item><title>Item %s</title><link>https://x.example%s</link></item></channel></rss>`, r.URL.Path, r.URL.Path)
	}))
	defer srv.Close()
	// The timeout only ends the test should the slow feed hold the others
	// back; it is never reached otherwise.
	feeds := []Feed{{URL: srv.URL + "/slow", Timeout: 20 * time.Second}}
	for i := range fast {
		feeds = append(feeds, Feed{URL: fmt.Sprintf("%s/%d", srv.URL, i)})
	}
	c := testClient()
	c.PerHost = c.Concurrency
	othersStored := make(chan struct{})
	slowStored := make(chan Report, 1)
	st := storetest.New(t)
	r := &Runner{Store: st, Fetcher: c, Log: quiet(), OnReport: func(rep Report) {
		if rep.Feed.URL == feeds[0].URL {
			slowStored <- rep
			return
		}
		mu.Lock()
		defer mu.Unlock()
		reported++
		if reported == fast {
			close(othersStored)
		}
	}}
	done := make(chan []Report, 1)
	go func() { done <- r.RunAll(context.Background(), feeds, false) }()

	select {
	case <-othersStored:
	case rep := <-slowStored:
		t.Fatalf("the slow feed ended (err %v) before the %d others were stored", rep.Err, fast)
	}
	if _, items, err := st.Counts(context.Background()); err != nil || items != fast {
		t.Errorf("%d items stored while the slow feed hangs (err %v), want %d", items, err, fast)
	}
	mu.Lock()
	if requests != fast {
		t.Errorf("%d feeds requested while the slow feed hangs, want %d", requests, fast)
	}
	mu.Unlock()
	close(release)
	reps := <-done
	if err := Failed(reps); err != nil {
		t.Fatal(err)
	}
	for i, rep := range reps {
		if rep.Feed.URL != feeds[i].URL || rep.Added != 1 {
			t.Errorf("report %d: %s added %d, want %s added 1", i, rep.Feed.URL, rep.Added, feeds[i].URL)
		}
	}
	if worst > fetchAhead {
		t.Errorf("%d feeds fetched and not yet stored, want at most %d", worst, fetchAhead)
	}
}

// TestRunAllSlowFeedClustersInOrder: articles published at the same time go
// to the clusterer in the order of their feeds, even when a slow feed is
// stored after a later one: the story keeps the same id either way.
func TestRunAllSlowFeedClustersInOrder(t *testing.T) {
	const item = `<rss version="2.0"><channel><title>%[1]s</title><item><title>Kim Jong Un arrives in Russia by armoured train for talks with Putin</title>` +
		`<link>https://%[1]s.example/kim-train</link><pubDate>Tue, 12 Sep 2023 06:00:00 GMT</pubDate>` +
		`<description>The North Korean leader crossed the border by train ahead of a summit with Vladimir Putin.</description></item></channel></rss>`
	ids := map[bool]string{}
	for _, slow := range []bool{false, true} {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/first" && slow {
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
			fmt.Fprintf(w, item, r.URL.Path[1:])
		}))
		feeds := []Feed{{URL: srv.URL + "/first"}, {URL: srv.URL + "/second"}}
		var order []string
		st := storetest.New(t)
		r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()),
			OnReport: func(rep Report) {
				order = append(order, rep.Feed.URL)
				if rep.Feed.URL == feeds[1].URL && slow {
					close(release) // the second feed is stored: let the first answer
				}
			}}
		if err := Failed(r.RunAll(context.Background(), feeds, false)); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if want := feeds[0].URL; slow == (order[0] == want) {
			t.Fatalf("slow %v: stored %v", slow, order)
		}
		entries, err := StoryEntries{Store: st}.Entries(context.Background(), 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || len(entries[0].Sources) != 2 {
			t.Fatalf("slow %v: %d entries, want the one story of both feeds", slow, len(entries))
		}
		ids[slow] = entries[0].ID
	}
	if ids[false] != ids[true] {
		t.Errorf("the story's id is %s with the first feed slow, %s without", ids[true], ids[false])
	}
}

// overlapFetcher takes a while (in the bubble's time) and records how many
// fetches of one feed ran at once.
type overlapFetcher struct {
	took    time.Duration
	mu      sync.Mutex
	running int
	most    int
	starts  []time.Time
}

func (f *overlapFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Result, error) {
	f.mu.Lock()
	f.running++
	f.most = max(f.most, f.running)
	f.starts = append(f.starts, time.Now())
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.took):
		return &fetch.Result{StatusCode: 200}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A fetch that outlasts its feed's interval is not joined by a second one:
// the tick that comes while it runs is skipped, and the next one fetches.
func TestSchedulerNeverOverlapsAFeed(t *testing.T) {
	feed := kimFeeds(t)[0]
	feed.Schedule = "@every 1m"
	st := storetest.New(t)
	synctest.Test(t, func(t *testing.T) {
		f := &overlapFetcher{took: 70 * time.Second}
		s := &Scheduler{Runner: &Runner{Store: st, Fetcher: f, Log: quiet()}, Feeds: []Feed{feed}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.Run(ctx) }()
		// Fetches at 0s (start-up) until 70s, skipping the tick at 60s;
		// at 120s until 190s, skipping 180s; at 240s.
		time.Sleep(4*time.Minute + 30*time.Second)
		cancel()
		<-done

		f.mu.Lock()
		defer f.mu.Unlock()
		if f.most != 1 {
			t.Errorf("%d fetches of the feed ran at once, want 1", f.most)
		}
		var at []time.Duration
		for _, s := range f.starts {
			at = append(at, s.Sub(start))
		}
		if want := []time.Duration{0, 2 * time.Minute, 4 * time.Minute}; !reflect.DeepEqual(at, want) {
			t.Errorf("fetches started at %v, want %v", at, want)
		}
	})
}

// Archive pages carry the entries of EntriesAfter, with the summary of an
// article that has one in place of its full text.
func TestPageEntriesAfter(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	f, _, err := st.Feed(ctx, "https://news.example/feed", "News")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	items := []store.Keyed{
		{Key: "a", Hash: "a", Item: aggregator.Item{Link: "https://news.example/a", Title: "Kim leaves for Russia", Published: t0,
			Summary: "<p>By train.</p>", Content: "<p>By armoured train, to meet Putin.</p>"}},
		{Key: "b", Hash: "b", Item: aggregator.Item{Link: "https://news.example/b", Title: "Kim arrives", Published: t0.Add(time.Hour),
			Content: "<p>In Vladivostok.</p>"}},
	}
	if _, _, err := st.SaveFetch(ctx, f.ID, store.Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	src := StoryEntries{Store: st}
	full, err := src.EntriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := src.PageEntries(ctx, []int64{full[0].Seq, full[1].Seq})
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 2 || len(pages) != 2 {
		t.Fatalf("%d entries, %d for pages; want 2", len(full), len(pages))
	}
	if c := pages[0].Item.Content; c != "" {
		t.Errorf("a page carries the full text %q of an article with a summary", c)
	}
	if c := pages[1].Item.Content; c != "<p>In Vladivostok.</p>" {
		t.Errorf("a page carries %q of an article without a summary, want its text", c)
	}
	full[0].Entry.Item.Content = ""
	if !reflect.DeepEqual(pages, []aggregator.Entry{full[0].Entry, full[1].Entry}) {
		t.Errorf("page entries %+v, want %+v", pages, full)
	}
}

// An entry links the earlier developments of its storyline, latest first,
// at most maxEarlier of them, each headed as it is published; archives do
// the same.
func TestStorylines(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	f, _, err := st.Feed(ctx, "https://news.example/feed", "News")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	var items []store.Keyed
	var placed []store.Placed
	titles := []string{"Kim leaves for Russia", "Kim arrives in Vladivostok", "Kim and Putin meet", "Putin accepts invitation", "Kim returns home"}
	for i, title := range titles {
		link := fmt.Sprintf("https://news.example/%d", i)
		items = append(items, store.Keyed{Key: link, Hash: title, Item: aggregator.Item{
			Link: link, Title: title, Published: t0.Add(time.Duration(i) * 24 * time.Hour)}})
		p := store.Placed{EntryID: aggregator.EntryID(link), StoryID: aggregator.EntryID(link)}
		if i > 0 {
			p.Follows = placed[i-1].StoryID
		}
		placed = append(placed, p)
	}
	if _, _, err := st.SaveFetch(ctx, f.ID, store.Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	if err := st.Place(ctx, placed); err != nil {
		t.Fatal(err)
	}
	entries, err := StoryEntries{Store: st}.Entries(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	archived, err := StoryEntries{Store: st}.EntriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 || len(archived) != 5 {
		t.Fatalf("%d entries, %d archived, want 5", len(entries), len(archived))
	}
	latest := entries[0] // newest first
	var got []string
	for _, d := range latest.Earlier {
		got = append(got, d.Title)
	}
	if want := []string{"Putin accepts invitation", "Kim and Putin meet", "Kim arrives in Vladivostok"}; !slices.Equal(got, want) {
		t.Errorf("the latest development links %q, want %q", got, want)
	}
	if d := latest.Earlier[0]; d.ID != placed[3].StoryID || d.Link != "https://news.example/3" || !d.Published.Equal(t0.Add(72*time.Hour)) {
		t.Errorf("earlier development = %+v", d)
	}
	if first := entries[4]; len(first.Earlier) != 0 {
		t.Errorf("the first development links %d earlier ones, want none", len(first.Earlier))
	}
	if !reflect.DeepEqual(archived[4].Entry.Earlier, latest.Earlier) {
		t.Errorf("archived entry links %+v, the feed %+v", archived[4].Entry.Earlier, latest.Earlier)
	}
	// Developments that are not among the entries are read from the store.
	alone, err := StoryEntries{Store: st}.Entries(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(alone) != 1 || !reflect.DeepEqual(alone[0].Earlier, latest.Earlier) {
		t.Errorf("the latest entry alone links %+v, want %+v", alone[0].Earlier, latest.Earlier)
	}
}

// Articles stored but never placed in a story (a run stopped between the
// two) are placed by the next runner that restores: they do not stay
// stories of their own.
func TestRestorePlacesWhatWasLeft(t *testing.T) {
	ctx := context.Background()
	feeds := kimFeeds(t)
	st := storetest.New(t)
	first := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig())}
	if err := Failed(first.RunAll(ctx, feeds[:1], false)); err != nil {
		t.Fatal(err)
	}
	// The other feeds are stored, and the run stops before placing them.
	stopped := &Runner{Store: st, Fetcher: testClient(), Log: quiet()}
	if err := Failed(stopped.RunAll(ctx, feeds[1:], false)); err != nil {
		t.Fatal(err)
	}
	if entries, err := (StoryEntries{Store: st}).Entries(ctx, 100, nil); err != nil || len(entries) != 13 {
		t.Fatalf("%d entries (%v) before the restore, want the 13 articles on their own", len(entries), err)
	}
	next := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig())}
	if err := next.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if err := next.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 8 {
		t.Errorf("%d entries after the restore, want the 8 stories", len(entries))
	}
	// Placed once: a later restore finds nothing left.
	again := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig())}
	if err := again.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if len(again.pending) != 0 {
		t.Errorf("%d articles left to place after they were placed", len(again.pending))
	}
}
