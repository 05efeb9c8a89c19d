package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
)

// TestOnceSourceIsTheConfiguredFeed: source: filters, and tag rules that
// look in the source field, know a feed by its name in the config, else by
// its URL or host; a feed without a name that calls itself by another
// feed's name in its own title does not land in that feed's outputs. It is
// still shown to readers under its own title.
func TestOnceSourceIsTheConfiguredFeed(t *testing.T) {
	const published = "Tue, 12 Sep 2023 06:00:00 GMT"
	var trusted, impostor atomic.Value
	trusted.Store(rssDoc("Trusted", "https://trusted.example/",
		rssItem("Kim Jong Un leaves for Russia by armoured train", "https://trusted.example/kim-train", published,
			"North Korea's leader set off on Sunday to meet Vladimir Putin.")))
	impostor.Store(rssDoc("Trusted", "https://impostor.example/",
		rssItem("Harbour Savings freezes accounts", "https://impostor.example/harbour-savings", published,
			"Customers are urged to move their savings to a safe account.")))
	trustedURL, impostorURL := rssServer(t, &trusted).URL+"/world.rss", rssServer(t, &impostor).URL+"/feed.rss"
	u, err := url.Parse(impostorURL)
	if err != nil {
		t.Fatal(err)
	}

	cfg := writeConfig(t, "outputs:\n"+
		"  - name: trusted\n    filter: 'source:Trusted'\n"+
		"  - name: tagged\n    filter: 'tag:from-trusted'\n"+
		"  - name: by-url\n    filter: 'source:\""+impostorURL+"\"'\n"+
		"  - name: by-host\n    filter: 'source:"+u.Hostname()+"'\n"+
		"tags:\n  from-trusted:\n    any: [Trusted]\n    fields: [source]\n")
	feeds := "  - url: " + trustedURL + "\n    name: Trusted\n  - url: " + impostorURL + "\n"
	if err := os.WriteFile(cfg, []byte(mustRead(t, cfg)+feeds), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	titles := func(output string) []string {
		t.Helper()
		var out []string
		for _, e := range parseAtom(t, []byte(mustRead(t, filepath.Join(filepath.Dir(cfg), "public", output+".atom")))).Entries {
			out = append(out, e.Title+" / "+e.Source.Title)
		}
		return out
	}
	trustedEntry := []string{"Kim Jong Un leaves for Russia by armoured train / Trusted"}
	impostorEntry := []string{"Harbour Savings freezes accounts / Trusted"}
	for _, tt := range []struct {
		output string
		want   []string
	}{
		{"trusted", trustedEntry},
		{"tagged", trustedEntry},
		{"by-url", impostorEntry},
		{"by-host", impostorEntry},
	} {
		if got := titles(tt.output); !slices.Equal(got, tt.want) {
			t.Errorf("%s.atom has %q, want %q", tt.output, got, tt.want)
		}
	}
}
