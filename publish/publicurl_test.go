package publish

import (
	"context"
	"strings"
	"testing"

	"aggregator"
)

// TestBuildHidesFeedSecrets: no file of a site shows the password, the
// secret query parameters or the local path of a feed's URL: not the
// formats' sources, the OPML, the status page or the health feed.
func TestBuildHidesFeedSecrets(t *testing.T) {
	const (
		secretURL = "https://reader:hunter2@private.example/feed.xml?lang=en&access_token=tok-9f8e7d6c"
		movedURL  = "https://private.example/new.xml?apiKey=key-5a4b3c"
		fileURL   = "file:///home/kim/secret-plans/notes.xml"
		public    = "https://private.example/feed.xml?lang=en&amp;access_token=redacted"
	)
	secrets := []string{"hunter2", "tok-9f8e7d6c", "key-5a4b3c", "secret-plans"}
	private := aggregator.Feed{URL: secretURL}
	notes := aggregator.Feed{URL: fileURL}
	t0 := date("2023-09-12T06:00:00Z")
	entries := []aggregator.Entry{
		{
			ID: aggregator.EntryID("private"), Item: aggregator.Item{Title: "Kim boards a train", Link: "https://private.example/kim"},
			Published: t0, Updated: t0,
			Sources: []aggregator.Source{{Feed: private, Link: "https://private.example/kim"}, {Feed: notes}},
		},
		{
			ID: aggregator.EntryID("notes"), Item: aggregator.Item{Title: "Trains, not planes", Summary: "<p>Trains.</p>"},
			Published: t0, Updated: t0,
			Sources: []aggregator.Source{{Feed: notes}},
		},
	}
	p := &Publisher{
		Outputs: []Output{{Name: "all", Title: "All"}}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/",
		Subscriptions: []Subscription{{XMLURL: secretURL}, {XMLURL: fileURL}, {Title: "Moved", XMLURL: movedURL}},
		Health: healthSource{
			{Name: private.DisplayName(), URL: secretURL, CurrentURL: movedURL, Health: "failing", Failures: 2,
				LastAttempt: t0, FailingSince: t0},
			{Name: notes.DisplayName(), URL: fileURL, Health: "retired", LastAttempt: t0},
			{Name: "Moved", URL: movedURL, Health: "ok", LastAttempt: t0, RecoveredAt: t0, OutageFrom: t0.Add(-1)},
		},
	}
	site, err := p.Build(context.Background(), fakeSource{entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"feeds/all.atom", "feeds/all.rss", "feeds/all.json", OPMLPath, StatusPath, "feeds/" + HealthFeed} {
		if _, ok := site.Files[name]; !ok {
			t.Errorf("no %s among %v", name, keys(site))
		}
	}
	for name, f := range site.Files {
		for _, s := range secrets {
			if i := strings.Index(string(f.Body), s); i >= 0 {
				t.Errorf("%s shows %q: …%s…", name, s, f.Body[max(0, i-80):min(len(f.Body), i+40)])
			}
		}
	}
	// What is shown instead.
	for name, want := range map[string]string{
		"feeds/all.atom":      `<id>` + public + `</id>`,
		"feeds/" + HealthFeed: `<id>file:notes.xml</id>`,
		OPMLPath:              `xmlUrl="https://private.example/new.xml?apiKey=redacted"`, // moved there
		StatusPath:            "moved to https://private.example/new.xml?apiKey=redacted",
		"feeds/all.json":      `"feed_url": "https://private.example/feed.xml?lang=en&access_token=redacted"`,
		"feeds/all.rss":       `<source url="` + public + `">`,
	} {
		if f := site.Files[name]; f != nil && !strings.Contains(string(f.Body), want) {
			t.Errorf("%s lacks %s:\n%s", name, want, f.Body)
		}
	}
}
