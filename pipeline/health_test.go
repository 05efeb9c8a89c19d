package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
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
	st := openStore(t)
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
