package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"aggregator/internal/pgtest"
	"aggregator/store"
)

// lockedBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// countingServer serves the Kim fixture feeds and counts the requests for
// each path.
type countingServer struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int
}

func newCountingServer(t *testing.T) *countingServer {
	t.Helper()
	c := &countingServer{count: map[string]int{}}
	files := http.FileServer(http.Dir("../../testdata/kim"))
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.count[r.URL.Path]++
		c.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// requests returns how many requests path had.
func (c *countingServer) requests(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[path]
}

// SIGHUP reloads the config: a dropped feed is no longer fetched, an added
// one is, the status page lists the new feeds, and a new output appears,
// all without a restart while a client keeps downloading; an invalid config
// leaves the running one.
func TestReload(t *testing.T) {
	srv := newCountingServer(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	const (
		dropped = "/korea-desk.atom"
		kept    = "/newsroom.json"
		added   = "/daily-ledger.rss"
	)
	feed := func(path, name string) string {
		return "  - url: " + srv.URL + path + "\n    name: " + name + "\n"
	}
	write := func(feeds, extra string) {
		t.Helper()
		body := "store: agg.db\nschedule: \"@every 1s\"\nfetch:\n  jitter: 0s\n  min_interval: 1s\n  allow_private_addresses: true\nserver:\n  listen: " + addr +
			"\nfeeds:\n" + feeds + extra
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(feed(dropped, "Dropped Desk")+feed(kept, "Kept Newsroom"), "")
	// Listen as systemd would for the daemon's notifications.
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	t.Setenv("NOTIFY_SOCKET", sock.LocalAddr().String())
	notes := &lockedBuffer{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			notes.Write(append(buf[:n:n], '\n'))
		}
	}()
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, logs) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}()
	status := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		waitUntil(t, 15*time.Second, cond, "timed out waiting for %s; logs:\n%s", what, logs)
	}
	waitFor("/readyz", func() bool { return status("/readyz") == http.StatusOK })

	// A client downloads all the while; none of its requests may fail.
	stopClient := make(chan struct{})
	clientErrs := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stopClient:
				clientErrs <- nil
				return
			default:
			}
			if code := status("/feeds/all.atom"); code != http.StatusOK {
				clientErrs <- errors.New("GET /feeds/all.atom failed during a reload")
				return
			}
		}
	}()

	if status("/feeds/korea.atom") != http.StatusNotFound {
		t.Fatal("korea.atom exists before the reload")
	}
	waitFor("the feed to be dropped to be fetched on its schedule", func() bool { return srv.requests(dropped) >= 2 })
	write(feed(kept, "Kept Newsroom")+feed(added, "Added Ledger"),
		"tags:\n  north-korea:\n    any: [North Korea, Pyongyang]\noutputs:\n  - name: all\n  - name: korea\n    filter: tag:north-korea\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the new output", func() bool { return status("/feeds/korea.atom") == http.StatusOK })
	waitFor("the reload to finish", func() bool { return strings.Contains(logs.String(), "config reloaded") })

	// The scheduler runs the new feeds only: the added one is fetched, the
	// kept one goes on, the dropped one is left alone.
	droppedBefore, keptBefore := srv.requests(dropped), srv.requests(kept)
	waitFor("the added feed to be fetched", func() bool { return srv.requests(added) >= 1 })
	waitFor("the kept feed to be fetched twice more", func() bool { return srv.requests(kept) >= keptBefore+2 })
	if n := srv.requests(dropped); n != droppedBefore {
		t.Errorf("the dropped feed was fetched %d times after the reload", n-droppedBefore)
	}
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Kept Newsroom", "Added Ledger"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/status after the reload does not list %s:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), "Dropped Desk") {
		t.Errorf("/status after the reload still lists the dropped feed:\n%s", page)
	}

	write(feed(kept, "Kept Newsroom"), "outputs:\n  - name: all\n    filter: tag:north-korea AND\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the failed reload to be logged", func() bool { return strings.Contains(logs.String(), "reload failed") })
	if status("/feeds/korea.atom") != http.StatusOK {
		t.Error("an invalid config replaced the running one")
	}
	close(stopClient)
	if err := <-clientErrs; err != nil {
		t.Error(err)
	}
	cancel()
	<-done
	done <- nil // for the deferred check
	for _, want := range []string{"READY=1", "RELOADING=1", "STOPPING=1"} {
		if !strings.Contains(notes.String(), want) {
			t.Errorf("systemd was not told %s; it heard:\n%s", want, notes.String())
		}
	}
}

// A reload that changes a PostgreSQL store is refused, and logged without
// the passwords of either URL.
func TestReloadStorePostgres(t *testing.T) {
	// The test cluster trusts its users: the passwords are there to be
	// kept out of the logs.
	dsn := strings.Replace(pgtest.DSN(t), "@", ":s3cret@", 1)
	srv := newCountingServer(t)
	addr := freeAddr(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(store string) {
		t.Helper()
		body := "store: \"" + store + "\"\nstore_password_file: " + pwFile + "\nschedule: \"@every 1h\"\nfetch:\n  jitter: 0s\n  allow_private_addresses: true\nserver:\n  listen: " + addr +
			"\nfeeds:\n  - url: " + srv.URL + "/korea-desk.atom\n"
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dsn)
	logs := &lockedBuffer{}
	runDaemonUntilEnd(t, cfg, logs)
	waitUntil(t, 15*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "timed out waiting for /readyz; logs:\n%s", logs)

	for i, tt := range []struct{ store, password, want string }{
		{strings.Replace(dsn, "s3cret", "n3wpass", 1), "s3cret", "changed (its password); a new store needs a restart"},
		{strings.Replace(strings.Replace(dsn, "s3cret", "n3wpass", 1), "/pgtest_", "/other_", 1), "s3cret", "was postgres://aggregator:xxxxx@"},
		{dsn, "n3wpass", "store_password_file: the password changed"},
	} {
		if err := os.WriteFile(pwFile, []byte(tt.password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		write(tt.store)
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		waitUntil(t, 15*time.Second, func() bool { return strings.Count(logs.String(), "reload failed") == i+1 },
			"timed out waiting for the failed reload to be logged; logs:\n%s", logs)
		if s := logs.String(); !strings.Contains(s, tt.want) {
			t.Errorf("reload to %s: the logs do not say %q:\n%s", store.Redacted(tt.store), tt.want, s)
		}
	}
	if s := logs.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "n3wpass") {
		t.Errorf("a password reached the logs:\n%s", s)
	}
}
