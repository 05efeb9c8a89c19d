package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretFeeds serves and writes feeds whose URLs hold secrets, and returns
// their URLs and the secrets: a feed behind a password and a token in its
// URL, one that moved permanently to a URL with an api key, a broken one
// with a password and a signature, and two file feeds in a folder whose
// name must not be shown.
func secretFeeds(t *testing.T) (urls, secrets []string) {
	t.Helper()
	const user, pass, token = "reader-user", "hunter2-pass", "tok-SECRET-1"
	secrets = []string{user, pass, token, "key-SECRET-2", "user-2", "pw-SECRET-3", "sig-SECRET-4", "secret-plans-dir"}
	rss := func(title, headline, path string) string {
		return `<?xml version="1.0"?><rss version="2.0"><channel><title>` + title + `</title><link>/</link>` +
			`<item><title>` + headline + `</title><link>/` + path + `</link>` +
			`<description>&lt;p&gt;Read &lt;a href="/more"&gt;more&lt;/a&gt;.&lt;/p&gt;</description>` +
			`<pubDate>Tue, 12 Sep 2023 06:00:00 GMT</pubDate></item></channel></rss>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/members.xml":
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass || r.URL.Query().Get("token") != token {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, rss("Members Wire", "Kim Jong Un boards his armoured train to Russia", "kim-train"))
		case "/old.xml":
			http.Redirect(w, r, "/new.xml?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case "/new.xml":
			fmt.Fprint(w, rss("Moved Desk", "Typhoon closes ports across southern Japan", "typhoon"))
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "secret-plans-dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.xml"), []byte(rss("Notes", "Central bank holds interest rates steady", "rates")), 0o644); err != nil {
		t.Fatal(err)
	}
	withUser := func(userinfo string) string { return strings.Replace(srv.URL, "://", "://"+userinfo+"@", 1) }
	urls = []string{
		withUser(user+":"+pass) + "/members.xml?lang=en&token=" + token,
		srv.URL + "/old.xml?api_key=key-SECRET-2",
		withUser("user-2:pw-SECRET-3") + "/broken.xml?sig=sig-SECRET-4",
		"file://" + filepath.ToSlash(filepath.Join(dir, "notes.xml")),
		filepath.Join(dir, "missing.xml"),
	}
	return urls, secrets
}

// noSecrets fails the test for each secret that text shows.
func noSecrets(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if i := strings.Index(text, s); i >= 0 {
			t.Errorf("%s shows %q: …%s…", what, s, text[max(0, i-100):min(len(text), i+60)])
		}
	}
}

// TestOnceHidesFeedSecrets: a --once run on feeds whose URLs hold
// passwords, secret query parameters and local paths writes none of them
// in any file of the publish folder, its logs or its summary, and
// `aggregator status` shows none either; the feeds are fetched all the
// same.
func TestOnceHidesFeedSecrets(t *testing.T) {
	urls, secrets := secretFeeds(t)
	cfg := writeConfig(t, "", urls...)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--config", cfg, "--once", "--log-level", "debug"}, &stdout, &stderr)
	if code := exitCode(err); code != exitFeeds {
		t.Fatalf("--once: exit %d (%v), want %d: two feeds fail\n%s", code, err, exitFeeds, stderr.String())
	}
	noSecrets(t, "--once's output", stdout.String()+stderr.String(), secrets)
	for _, want := range []string{"token=redacted", "sig=redacted", "file:missing.xml"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, stderr.String())
		}
	}

	public := filepath.Join(filepath.Dir(cfg), "public")
	var files []string
	err = filepath.WalkDir(public, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, d.Name())
		noSecrets(t, d.Name(), string(data), secrets)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"all.atom", "all.rss", "all.json", "index.html", "status.html", "_health.atom", "subscriptions.opml"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("%s not written: %v", want, files)
		}
	}
	atom, err := os.ReadFile(filepath.Join(public, "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"armoured train", "Typhoon", "interest rates", "token=redacted", "<id>file:notes.xml</id>"} {
		if !strings.Contains(string(atom), want) {
			t.Errorf("all.atom lacks %q", want)
		}
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"status", "--config", cfg, "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	noSecrets(t, "status --json", stdout.String(), secrets)
	var lines []feedStatus
	if err := json.Unmarshal(stdout.Bytes(), &lines); err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(urls) || !strings.HasSuffix(lines[0].URL, "/members.xml?lang=en&token=redacted") ||
		!strings.HasSuffix(lines[1].CurrentURL, "/new.xml?api_key=redacted") || lines[4].URL != "file:missing.xml" {
		t.Errorf("status --json: %+v", lines)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"status", "--config", cfg}, &stdout, &stderr); err != nil {
		t.Fatalf("status: %v", err)
	}
	noSecrets(t, "status", stdout.String(), secrets)
}

// TestDaemonHidesFeedSecrets: the daemon serves no secret of a feed's URL,
// on its pages, its feeds or its metrics.
func TestDaemonHidesFeedSecrets(t *testing.T) {
	urls, secrets := secretFeeds(t)
	addr := freeAddr(t)
	startDaemon(t, writeConfig(t, "server:\n  listen: "+addr+"\n", urls...), addr)
	for _, path := range []string{"/", "/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json", "/opml", "/status", "/feeds/_health.atom", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, %v", path, resp.StatusCode, err)
		}
		noSecrets(t, path, string(body), secrets)
	}
}
