package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The index page, loaded in headless Chromium as a reader would: it lists
// every output with its three formats and the stories with their outlets,
// and its Content-Security-Policy blocks nothing it uses.
// The screenshot is kept at $AGGREGATOR_SCREENSHOT when set.
func TestIndexInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed")
	}
	dir := t.TempDir()
	for _, name := range append(append([]string{}, kimFeeds...), "config.yaml") {
		data, err := os.ReadFile(filepath.Join("../../testdata/kim", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "config.yaml" {
			data = append(data, []byte("server:\n  listen: "+freeAddr(t)+"\nfetch:\n  jitter: 0s\n")...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	// Fill the store first, so the daemon serves the stories at once.
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := loaded.Server.Listen

	startDaemon(t, cfg, addr)
	page := "http://" + addr + "/"

	shot := os.Getenv("AGGREGATOR_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "index.png")
	}
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "chromium"), "--window-size=412,2000"}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	// The console, logged to stderr, says what the page's
	// Content-Security-Policy blocked: nothing, or the page lacks it.
	dump := exec.CommandContext(cctx, browser, append(flags, "--enable-logging=stderr", "--v=0", "--dump-dom", page)...)
	var console strings.Builder
	dump.Stderr = &console
	dom, err := dump.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, console.String())
	}
	for line := range strings.Lines(console.String()) {
		if strings.Contains(line, "Content Security Policy") {
			t.Errorf("the page's Content-Security-Policy blocks what it uses: %s", line)
		}
	}
	for _, want := range []string{
		"Korea watch", "Korea, widely reported",
		`href="feeds/korea.atom"`, `href="feeds/korea.rss"`, `href="feeds/korea.json"`,
		"Kremlin confirms Kim Jong-un visit as Putin seeks ammunition for Ukraine war", "Kim Jong Un and Putin hold talks at Russian space centre",
		"Pacific Observer", "Newsroom Global", "Vladimir Putin",
	} {
		if !strings.Contains(string(dom), want) && !strings.Contains(string(dom), strings.ReplaceAll(want, "’", "&rsquo;")) {
			t.Errorf("the page as Chromium sees it lacks %q", want)
		}
	}
	if strings.Contains(string(dom), "<script") {
		t.Error("the page carries a <script>")
	}
	if out, err := exec.CommandContext(cctx, browser, append(flags, "--screenshot="+shot, page)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
