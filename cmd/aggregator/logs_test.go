package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
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
