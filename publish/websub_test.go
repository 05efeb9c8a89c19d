package publish

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPingerRetries(t *testing.T) {
	var (
		mu     sync.Mutex
		calls  int
		pinged []string
	)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("hub.mode") != "publish" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		pinged = append(pinged, r.PostForm.Get("hub.url"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()

	p := &Pinger{Hub: hub.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	p.Notify([]string{"https://agg.example/feeds/all.atom", "https://agg.example/feeds/all.rss"})

	want := []string{"https://agg.example/feeds/all.atom", "https://agg.example/feeds/all.rss"}
	for deadline := time.Now().Add(5 * time.Second); ; {
		mu.Lock()
		got := slices.Sorted(slices.Values(pinged))
		mu.Unlock()
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub was told about %v, want %v (after one failure and a retry)", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

// hubFunc is an http.RoundTripper that answers every request itself.
type hubFunc func(*http.Request) (*http.Response, error)

func (f hubFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPingerBackoff: while the hub keeps failing, the Pinger asks it again
// after waits that double from MinBackoff up to MaxBackoff. Its Log is nil:
// warnings go nowhere. The waits are on synctest's clock, so the test takes
// no time.
func TestPingerBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu       sync.Mutex
			attempts []time.Time
		)
		hub := hubFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
				Body: io.NopCloser(strings.NewReader("busy")), Request: r}, nil
		})
		p := &Pinger{Hub: "https://hub.example/", Client: &http.Client{Transport: hub},
			MinBackoff: time.Second, MaxBackoff: 4 * time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		p.Notify([]string{"https://agg.example/feeds/all.atom"})
		time.Sleep(20 * time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}

		mu.Lock()
		defer mu.Unlock()
		var waits []time.Duration
		for i := 1; i < len(attempts); i++ {
			waits = append(waits, attempts[i].Sub(attempts[i-1]))
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second} // pings at 0, 1, 3, 7, 11, 15 and 19s
		if !slices.Equal(waits, want) {
			t.Errorf("waits between pings = %v, want %v", waits, want)
		}
	})
}

func TestChangedFeeds(t *testing.T) {
	base := mustURL("https://agg.example/")
	prev := &Site{Files: map[string]*File{
		"feeds/a.atom": {ETag: `"1"`}, "feeds/b.atom": {ETag: `"2"`}, "index.html": {ETag: `"3"`},
	}}
	next := &Site{Files: map[string]*File{
		"feeds/a.atom": {ETag: `"1"`}, "feeds/b.atom": {ETag: `"9"`}, "feeds/c.json": {ETag: `"4"`}, "index.html": {ETag: `"5"`},
	}}
	got := ChangedFeeds(prev, next, base)
	want := []string{"https://agg.example/feeds/b.atom", "https://agg.example/feeds/c.json"}
	if !slices.Equal(got, want) {
		t.Errorf("ChangedFeeds = %v, want %v", got, want)
	}
	if n := len(ChangedFeeds(nil, next, base)); n != 3 {
		t.Errorf("with no previous site, %d feeds changed, want all 3", n)
	}
}

// With a hub, every format names it; the site lists the subscriptions.
func TestBuildNamesHub(t *testing.T) {
	p := &Publisher{
		Outputs: []Output{{Name: "all", Title: "All"}}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/",
		Hub:           "https://hub.example/",
		Subscriptions: []Subscription{{Title: "Wire", XMLURL: "https://wire.example/feed.xml"}},
	}
	site, err := p.Build(context.Background(), fakeSource{entries: testEntries()})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"feeds/all.atom": `<link href="https://hub.example/" rel="hub"></link>`,
		"feeds/all.rss":  `<atom:link href="https://hub.example/" rel="hub"></atom:link>`,
		"feeds/all.json": `"hubs": [`,
		OPMLPath:         `xmlUrl="https://wire.example/feed.xml"`,
	} {
		f, ok := site.Files[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if !strings.Contains(string(f.Body), want) {
			t.Errorf("%s lacks %s", name, want)
		}
	}
}

func TestServeOPML(t *testing.T) {
	s := NewServer()
	s.Swap(&Site{Files: map[string]*File{OPMLPath: newFile([]byte("<opml/>"), OPMLContentType, time.Time{})}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/opml", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != OPMLContentType || rec.Body.String() != "<opml/>" {
		t.Errorf("GET /opml = %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestReadyz(t *testing.T) {
	s := NewServer()
	get := func() int {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	if code := get(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the first fetches = %d, want 503", code)
	}
	s.SetReady()
	if code := get(); code != http.StatusOK {
		t.Errorf("/readyz after = %d, want 200", code)
	}
}

// The health feed announces each outage once, and the recovery after it.
func TestHealthFeed(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 12, 0, 0, 0, time.UTC)
	health := healthSource{
		{Name: "Down", URL: "https://down.example/feed", Health: "failing", Failures: 3, Error: "boom",
			LastAttempt: t0, FailingSince: t0.Add(-2 * time.Hour)},
		{Name: "Back", URL: "https://back.example/feed", Health: "ok", LastAttempt: t0, LastSuccess: t0,
			OutageFrom: t0.Add(-5 * time.Hour), RecoveredAt: t0.Add(-time.Hour)},
		{Name: "Long ago", URL: "https://old.example/feed", Health: "ok", LastAttempt: t0, LastSuccess: t0,
			OutageFrom: t0.Add(-30 * 24 * time.Hour), RecoveredAt: t0.Add(-29 * 24 * time.Hour)},
		{Name: "Fine", URL: "https://fine.example/feed", Health: "ok", LastAttempt: t0, LastSuccess: t0},
	}
	p := &Publisher{BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/", Health: health}
	site, err := p.Build(context.Background(), fakeSource{})
	if err != nil {
		t.Fatal(err)
	}
	feed := string(site.Files["feeds/"+HealthFeed].Body)
	for _, want := range []string{"Down is failing", "Back works again"} {
		if !strings.Contains(feed, want) {
			t.Errorf("health feed lacks %q", want)
		}
	}
	if strings.Contains(feed, "Long ago") || strings.Contains(feed, "Fine") {
		t.Errorf("health feed announces what needs no news:\n%s", feed)
	}
	again, _ := p.Build(context.Background(), fakeSource{})
	if string(again.Files["feeds/"+HealthFeed].Body) != feed {
		t.Error("the health feed changed between two builds of the same state")
	}
	page := string(site.Files[StatusPath].Body)
	if !strings.Contains(page, `class="failing"`) || !strings.Contains(page, "boom") {
		t.Errorf("status page lacks the failing feed")
	}
}

type healthSource []FeedHealth

func (h healthSource) FeedHealth(context.Context) ([]FeedHealth, error) { return h, nil }
