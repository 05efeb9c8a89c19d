package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLocalConfig writes config.yaml with body into a new folder beside a
// copy of the Kim fixture korea-desk.atom, and returns its path.
func writeLocalConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("../../testdata/kim/korea-desk.atom")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "korea-desk.atom"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestCheckFeedFiles checks that --check reports a file feed whose file is
// missing or a folder, with the config's file, line and field, while
// --once takes such a feed for one that failed and writes the others.
func TestCheckFeedFiles(t *testing.T) {
	cfg := writeLocalConfig(t, "store: agg.db\npublish:\n  base_url: http://feeds.example/\nfeeds:\n"+
		"  - url: korea-desk.atom\n  - url: world-wire.rss\n  - url: feeds\n")
	dir := filepath.Dir(cfg)
	if err := os.Mkdir(filepath.Join(dir, "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--config", cfg, "--check"}, &stdout, &stderr)
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

// TestDaemonPortTaken checks that a daemon whose server.listen is taken
// names the setting, its value and the config, says what to do, and exits
// with 3.
func TestDaemonPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	feed, err := filepath.Abs("../../testdata/kim/korea-desk.atom")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", feed)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run(ctx, []string{"--config", cfg}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitCannotRun {
		t.Fatalf("exit code %d (%v), want %d", code, err, exitCannotRun)
	}
	for _, want := range []string{
		cfg + ": server.listen: cannot listen on " + addr,
		"address already in use",
		"perhaps another aggregator",
		"set server.listen to a free port",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestNextPort(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8081",
		":8080":          ":8081",
		"[::1]:65535":    "[::1]:65534",
		"localhost":      "127.0.0.1:8081",
	} {
		if got := nextPort(listen); got != want {
			t.Errorf("nextPort(%q) = %q, want %q", listen, got, want)
		}
	}
}

// TestWarnWithoutBaseURL checks that without publish.base_url --check
// warns once which links the outputs would point at the daemon's address,
// and still exits 0, and that --once warns so before it runs, on the line
// that cron would mail, or in the log when the log shows warnings.
func TestWarnWithoutBaseURL(t *testing.T) {
	cfg := writeLocalConfig(t, "store: agg.db\npublish:\n  dir: public\nfeeds:\n  - url: korea-desk.atom\n")
	const want = "publish.base_url: not set, so the outputs' ids and self links, the links between their formats, their archive pages, " +
		"_health.atom and the User-Agent name http://127.0.0.1:8080/"

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--config", cfg, "--check"}, &stdout, &stderr); err != nil {
		t.Fatalf("--check: %v", err)
	}
	if !strings.Contains(stdout.String(), ": ok (1 feed,") {
		t.Errorf("--check printed %q, want ok", stdout.String())
	}
	if got := stderr.String(); strings.Count(got, "warning") != 1 || !strings.HasPrefix(got, "aggregator: warning: "+cfg+":2: "+want) {
		t.Errorf("--check warned:\n%s\nwant once: %s", got, want)
	}

	stderr.Reset()
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, &stdout, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	if got := stderr.String(); !strings.HasPrefix(got, "aggregator: warning: "+cfg+":2: "+want) || strings.Count(got, "\n") != 1 {
		t.Errorf("--once printed:\n%s\nwant one line: aggregator: warning: %s…", got, want)
	}

	stderr.Reset()
	args := []string{"--config", cfg, "--once", "--log-level", "warn", "--log-format", "json"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("--once: %v\n%s", err, stderr.String())
	}
	var rec struct {
		Level, Msg, Field string
	}
	line, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level != "WARN" || rec.Field != "publish.base_url" ||
		!strings.HasPrefix(rec.Msg, "config: not set") {
		t.Errorf("--once with a JSON log wrote %q (%v), want a warning about publish.base_url", line, err)
	}
}
