package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/storetest"
	"aggregator/publish"
)

// TestFeedHealthSite: a feed's health carries the site it links to and
// its own title, which the OPML export uses, and the name the config gives.
func TestFeedHealthSite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Korea Desk</title><link>https://korea.example/</link>
<item><title>Kim boards a train</title><link>https://korea.example/kim</link></item></channel></rss>`)
	}))
	defer srv.Close()
	ctx := context.Background()
	st := storetest.New(t)
	feeds := []Feed{{URL: srv.URL + "/a"}, {URL: srv.URL + "/b", Name: "Desk B"}, {URL: srv.URL + "/never"}}
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet()}
	if err := Failed(r.RunAll(ctx, feeds[:2], false)); err != nil {
		t.Fatal(err)
	}
	got, err := Health{Store: st, Feeds: feeds}.FeedHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, site, health string }{
		{"Korea Desk", "https://korea.example/", "ok"},
		{"Desk B", "https://korea.example/", "ok"},
		{srv.URL + "/never", "", "new"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d feeds' health, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].SiteURL != w.site || got[i].Health != w.health {
			t.Errorf("feed %d: name %q, site %q, health %q; want %q, %q, %q",
				i, got[i].Name, got[i].SiteURL, got[i].Health, w.name, w.site, w.health)
		}
	}
}

// On a shared store (PostgreSQL), the instance that fetched a feed reaches
// its health and the status page; a feed never fetched names none. On
// SQLite, where one process owns the store, no fetcher is named.
func TestFeedHealthFetchedBy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Korea Desk</title><link>https://korea.example/</link>
<item><title>Kim boards a train</title><link>https://korea.example/kim</link></item></channel></rss>`)
	}))
	defer srv.Close()
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		st := eng.New(t)
		feeds := []Feed{{URL: srv.URL + "/a", Name: "Desk A"}, {URL: srv.URL + "/never", Name: "Desk Never"}}
		r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Instance: "feeds-2"}
		if err := Failed(r.RunAll(ctx, feeds[:1], false)); err != nil {
			t.Fatal(err)
		}
		health := Health{Store: st, Feeds: feeds}
		got, err := health.FeedHealth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "feeds-2", false: ""}[st.Shared()]
		if len(got) != 2 || got[0].FetchedBy != want || got[1].FetchedBy != "" {
			t.Fatalf("feeds' health %+v: want the first fetched by %q, the second by none", got, want)
		}
		base, _ := url.Parse("https://agg.example/")
		site, err := (&publish.Publisher{BaseURL: base, Health: health}).Build(ctx, StoryEntries{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		page := string(site.Files[publish.StatusPath].Body)
		if n, want := strings.Count(page, "fetched by"), map[bool]int{true: 1, false: 0}[st.Shared()]; n != want ||
			st.Shared() && !strings.Contains(page, "fetched by feeds-2") {
			t.Errorf("the status page names a fetcher %d times, want %d (feeds-2):\n%s", n, want, page)
		}
	})
}

// The next attempt is a run of the feed's schedule, after now, and not
// before what the store says the feed must wait for.
func TestNextAttempt(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 7, 30, 0, time.UTC)
	at := func(hm string) time.Time {
		t, err := time.Parse("15:04", hm)
		if err != nil {
			panic(err)
		}
		return time.Date(2023, 9, 12, t.Hour(), t.Minute(), 0, 0, time.UTC)
	}
	feed := Feed{URL: "https://a.example/feed", Schedule: "*/15 * * * *"}
	tests := []struct {
		name  string
		state aggregator.FeedState
		want  time.Time
	}{
		{"never fetched", aggregator.FeedState{}, at("10:15")},
		{"due: the next run", aggregator.FeedState{LastAttempt: at("09:45"), NextFetch: at("09:50")}, at("10:15")},
		{"backing off", aggregator.FeedState{LastAttempt: at("10:00"), NextFetch: at("10:40"), Failures: 2}, at("10:45")},
		{"Retry-After on a run", aggregator.FeedState{LastAttempt: at("10:00"), NextFetch: at("11:00")}, at("11:00")},
		{"half an interval after the last", aggregator.FeedState{LastAttempt: at("10:08")}, at("10:30")},
		{"retired", aggregator.FeedState{Retired: true, LastAttempt: at("10:00")}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextAttempt(feed, tt.state, 0, now)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("NextAttempt = %v, want %v", got, tt.want)
			}
		})
	}
	// With jitter, the feed's runs are shifted by its offset, as the
	// Scheduler shifts them.
	sched, _, err := feedSchedule(feed, 5*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NextAttempt(feed, aggregator.FeedState{}, 5*time.Minute, now)
	if err != nil || !got.Equal(sched.Next(now)) || !got.After(now) {
		t.Errorf("with jitter: NextAttempt = %v, %v; want the scheduler's next run %v", got, err, sched.Next(now))
	}
}

// The shortest interval is that of the most frequent schedule; feeds
// whose schedule does not parse do not count.
func TestShortestInterval(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		schedules []string
		want      time.Duration
		ok        bool
	}{
		{[]string{"@every 15m"}, 15 * time.Minute, true},
		{[]string{"@daily", "*/10 * * * *", "@every 15m"}, 10 * time.Minute, true},
		{[]string{"not a schedule", "@hourly"}, time.Hour, true},
		{[]string{"not a schedule"}, 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		var feeds []Feed
		for _, s := range tt.schedules {
			feeds = append(feeds, Feed{Schedule: s})
		}
		if got, ok := ShortestInterval(feeds, now); got != tt.want || ok != tt.ok {
			t.Errorf("ShortestInterval(%q) = %v, %v; want %v, %v", tt.schedules, got, ok, tt.want, tt.ok)
		}
	}
}
