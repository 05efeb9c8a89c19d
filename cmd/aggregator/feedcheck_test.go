package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aggregator/internal/feedcheck"
	"aggregator/internal/shared"
)

// checkOutputs runs feedcheck over every feed under dir, published at base,
// and fails the test on each problem; it returns how many feeds it checked.
func checkOutputs(t *testing.T, dir, base string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".atom", ".rss", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		problems, err := feedcheck.Check(path, data, base+filepath.ToSlash(rel), time.Now())
		if err != nil {
			return err
		}
		for _, p := range problems {
			t.Errorf("%s: %s", rel, p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnceOutputsPassFeedcheck: every feed --once writes from the Kim
// fixtures, the empty ones and the archives included, passes the W3C
// validator's rules without a warning.
func TestOnceOutputsPassFeedcheck(t *testing.T) {
	dir := t.TempDir()
	for _, pattern := range []string{"*.rss", "*.atom", "*.json", "config.yaml"} {
		files, err := filepath.Glob(filepath.Join("../../testdata/kim", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	// 5 outputs in 3 formats, 2 archive pages and the health feed.
	if n := checkOutputs(t, filepath.Join(dir, "public"), "http://127.0.0.1:8080/"); n != 18 {
		t.Errorf("checked %d feeds, want 18", n)
	}
}

// TestRealweekOutputsPassFeedcheck: so do the outputs of a real day of 83
// news feeds, with their odd titles, links, dates and categories.
func TestRealweekOutputsPassFeedcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("a real day of 83 feeds")
	}
	rw := shared.Path(t, "fixtures", "realweek")
	dir := t.TempDir()
	cfg := writeRealweekConfig(t, rw, dir)
	docs, err := filepath.Glob(filepath.Join(rw, "feeds", "2023-09-18", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		copyFile(t, d, filepath.Join(dir, "feeds", filepath.Base(d)))
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--once", "--force"}, &stdout, &stderr); err != nil && !strings.Contains(err.Error(), "failed") {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	if n := checkOutputs(t, filepath.Join(dir, "public"), "http://127.0.0.1:8080/"); n < 3 {
		t.Errorf("checked %d feeds, want every output's three", n)
	}
}
