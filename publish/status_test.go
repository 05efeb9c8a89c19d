package publish

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The status page shows times in its time zone, and each next fetch as
// how far it is from when the page was rendered.
func TestStatusPageTimes(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 7, 0, 0, time.UTC)
	cest := time.FixedZone("CEST", 2*60*60)
	p := &Publisher{BaseURL: mustURL("https://agg.example/"), Location: cest, Now: func() time.Time { return now },
		Health: healthSource{
			{Name: "A", URL: "https://a.example/feed", Health: "ok", LastAttempt: now.Add(-time.Minute),
				LastSuccess: now.Add(-time.Minute), NextFetch: now.Add(4 * time.Minute)},
			{Name: "B", URL: "https://b.example/feed", Health: "failing", LastAttempt: now.Add(-time.Minute),
				Failures: 3, NextFetch: now.Add(2*time.Hour + 8*time.Minute)},
		}}
	site, err := p.Build(context.Background(), fakeSource{})
	if err != nil {
		t.Fatal(err)
	}
	page := string(site.Files[StatusPath].Body)
	for _, want := range []string{"as of 12 Sep 12:07 CEST", "12 Sep 12:06 CEST", "12 Sep 12:11 CEST (in 4 min)", "12 Sep 14:15 CEST (in 2 h 8 min)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q:\n%s", want, page)
		}
	}
}

// leading is a Leader that leads, or not.
type leading bool

func (l leading) Leading() (bool, int64) { return bool(l), 1 }

// Among instances sharing a store, the status page names the instance
// that fetched each feed, and the one that rendered it and whether it
// leads; names are escaped. Without them (one process on its store) it
// names none.
func TestStatusPageFleet(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 7, 0, 0, time.UTC)
	health := healthSource{
		{Name: "A", URL: "https://a.example/feed", Health: "ok", LastAttempt: now, LastSuccess: now, FetchedBy: "feeds-2"},
		{Name: "B", URL: "https://b.example/feed", Health: "ok", LastAttempt: now, LastSuccess: now, FetchedBy: "<b>x</b>"},
		{Name: "C", URL: "https://c.example/feed", Health: "new"},
	}
	render := func(p *Publisher) string {
		t.Helper()
		p.BaseURL, p.Now, p.Health = mustURL("https://agg.example/"), func() time.Time { return now }, health
		site, err := p.Build(context.Background(), fakeSource{})
		if err != nil {
			t.Fatal(err)
		}
		return string(site.Files[StatusPath].Body)
	}

	page := render(&Publisher{Instance: "feeds-1", Leader: leading(true)})
	for _, want := range []string{
		"Rendered by feeds-1, which leads the instances sharing this store.",
		"fetched by feeds-2", "fetched by &lt;b&gt;x&lt;/b&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q:\n%s", want, page)
		}
	}
	if n := strings.Count(page, "fetched by"); n != 2 {
		t.Errorf("the status page names a fetcher %d times, want 2 (none for the feed never fetched):\n%s", n, page)
	}
	if strings.Contains(page, "<b>x") {
		t.Errorf("the status page does not escape an instance's name:\n%s", page)
	}

	page = render(&Publisher{Instance: "feeds-3:41", Leader: leading(false)})
	if want := "Rendered by feeds-3:41, one of the instances sharing this store."; !strings.Contains(page, want) {
		t.Errorf("the status page of an instance that does not lead lacks %q:\n%s", want, page)
	}

	for i := range health {
		health[i].FetchedBy = ""
	}
	page = render(&Publisher{})
	for _, unwanted := range []string{"Rendered by", "fetched by", `class="fleet"`, `class="by"`} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the status page of a store not shared shows %q:\n%s", unwanted, page)
		}
	}
}

func TestUntil(t *testing.T) {
	now := time.Date(2023, 9, 12, 10, 7, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-time.Minute: "due now", 0: "due now", 20 * time.Second: "in under a minute",
		4*time.Minute + 10*time.Second: "in 4 min", time.Hour: "in 1 h", 2*time.Hour + 8*time.Minute: "in 2 h 8 min",
		72 * time.Hour: "in 3 days",
	} {
		if got := Until(now.Add(d), now); got != want {
			t.Errorf("Until(now+%v) = %q, want %q", d, got, want)
		}
	}
}
