package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"aggregator/pipeline"
)

// The log says the tagging changed only when it did, and what changed: not
// on a first start, nor on a restart, nor for a feed added without tags.
func TestTaggingChangeLogged(t *testing.T) {
	srv := kimServer(t)
	rules := "tags:\n  russia:\n    any: [Russia]\n"
	cfg := writeConfig(t, rules, srv.URL+"/korea-desk.atom")
	once := func(step string) string {
		t.Helper()
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{"--config", cfg, "--once", "--log-level", "info"}, &bytes.Buffer{}, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", step, err, stderr.String())
		}
		return stderr.String()
	}
	rewrite := func(extra string, urls ...string) {
		t.Helper()
		data, err := os.ReadFile(writeConfig(t, extra, urls...))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []string{"first start", "restart"} {
		if log := once(step); strings.Contains(log, "tagg") {
			t.Errorf("%s: the log speaks of tagging though nothing changed:\n%s", step, log)
		}
	}
	rewrite(rules, srv.URL+"/korea-desk.atom", srv.URL+"/world-wire.rss")
	if log := once("a feed added"); strings.Contains(log, "tagg") {
		t.Errorf("a feed without tags added: the log speaks of tagging:\n%s", log)
	}
	rewrite("tags:\n  russia:\n    any: [Russia, Kremlin]\n  arms:\n    any: [missiles]\n", srv.URL+"/korea-desk.atom", srv.URL+"/world-wire.rss")
	log := once("rules changed")
	if want := `msg="tagging changed; stored articles tagged again" changes="tags.arms added; tags.russia changed"`; !strings.Contains(log, want) {
		t.Errorf("rules changed: the log lacks %s:\n%s", want, log)
	}
}

// What a --once run, --check and the log say, in the operator's words: one
// feed is "1 feed", a feed is named as the config names it, with its URL,
// and when every feed failed the summary does not speak of "the others".
func TestOperatorWords(t *testing.T) {
	t.Run("once summary", func(t *testing.T) {
		var b bytes.Buffer
		o := &onceReport{w: &b, live: true, total: 1}
		o.add(pipeline.Report{Feed: pipeline.Feed{URL: "https://desk.example/korea.atom", Name: "Korea Desk"}, Err: errors.New("http status 503")})
		o.finish(context.Background(), func(context.Context) (int, error) { return 1, nil })
		out := b.String()
		for _, want := range []string{"1 feed: 0 fetched", "0 new items; 1 story stored", "every feed failed",
			"  Korea Desk (https://desk.example/korea.atom): http status 503"} {
			if !strings.Contains(out, want) {
				t.Errorf("the summary lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "1 feeds") || strings.Contains(out, "the others") {
			t.Errorf("the summary:\n%s", out)
		}
	})
	t.Run("check", func(t *testing.T) {
		var stdout bytes.Buffer
		cfg := writeConfig(t, "outputs:\n  - name: all\n", "https://desk.example/korea.atom")
		if err := run(context.Background(), []string{"--config", cfg, "--check"}, &stdout, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(stdout.String(), ": ok (1 feed, 1 output)\n") {
			t.Errorf("--check says %q", stdout.String())
		}
	})
	t.Run("log", func(t *testing.T) {
		srv := kimServer(t)
		cfg := writeConfig(t, "", srv.URL+"/korea-desk.atom")
		data, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, append(data, "    name: Korea Desk\n"...), 0o644)
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{"--config", cfg, "--once", "--log-level", "info"}, io.Discard, &stderr); err != nil {
			t.Fatal(err)
		}
		if want := `msg=fetched feed="Korea Desk" url=` + srv.URL + "/korea-desk.atom "; !strings.Contains(stderr.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, stderr.String())
		}
	})
}
