package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFeedFiles checks that --check reports a file feed whose file is
// missing or a folder, with the config's file, line and field, while
// --once takes such a feed for one that failed and writes the others.
func TestCheckFeedFiles(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../testdata/kim/korea-desk.atom")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "korea-desk.atom"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	body := "store: agg.db\npublish:\n  base_url: http://feeds.example/\nfeeds:\n" +
		"  - url: korea-desk.atom\n  - url: world-wire.rss\n  - url: feeds\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"--config", cfg, "--check"}, &stdout, &stderr)
	if code := exitCode(err); code != exitUsage {
		t.Fatalf("--check: exit code %d (%v), want %d", code, err, exitUsage)
	}
	for _, want := range []string{
		cfg + ":6: feeds[1].url: cannot read " + filepath.Join(dir, "world-wire.rss") + ": no such file or directory; check the path",
		cfg + ":7: feeds[2].url: " + filepath.Join(dir, "feeds") + " is a folder; write the path of the feed file in it",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("--check said:\n%v\nwant a line with %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "feeds[0]") {
		t.Errorf("--check reports the readable feed:\n%v", err)
	}

	err = run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr)
	if code := exitCode(err); code != exitFeeds {
		t.Fatalf("--once: exit code %d (%v), want %d (some feeds failed)\n%s", code, err, exitFeeds, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "all.atom")); err != nil {
		t.Errorf("--once wrote no outputs from the readable feed: %v", err)
	}
}
