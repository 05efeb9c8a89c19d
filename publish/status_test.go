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
