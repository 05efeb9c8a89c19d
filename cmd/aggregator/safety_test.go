package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aggregator/store"
)

// A slowloris client, sending its headers a byte at a time, is cut off by the
// read-header timeout; a header over the limit is refused.
func TestServerCutsSlowClients(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), quietLogger())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("a timeout or limit is unset: %+v", srv)
	}
	srv.ReadHeaderTimeout = 300 * time.Millisecond // the daemon's is 10s; the mechanism is the same
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
			if _, err := conn.Write([]byte{b}); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes the connection
		closed <- time.Since(start)
	}()
	select {
	case d := <-closed:
		if d > 2*time.Second {
			t.Errorf("the slow client was cut off after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server kept a slowloris client for 5s")
	}

	// A header far over MaxHeaderBytes gets 431.
	c2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	go c2.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*srv.MaxHeaderBytes) + "\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a huge header got %d, want 431", resp.StatusCode)
	}
}

// A full disk makes --once fail with a clear error, and the files it wrote
// before stay whole: every one is the old version, complete.
func TestOnceFullDisk(t *testing.T) {
	urls := kimURLs(t)
	cfg := writeConfig(t, "", urls...)
	public := filepath.Join(filepath.Dir(cfg), "public")
	mountSmallTmpfs(t, public, "1m")

	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(public, "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	// Fill the disk, then give the run something new to write.
	fillDisk(t, public)
	cfg2 := strings.Replace(string(must(os.ReadFile(cfg))), "base_url: http://feeds.example/", "base_url: http://news.example/", 1)
	os.WriteFile(cfg, []byte(cfg2), 0o644)

	var stderr bytes.Buffer
	err = run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("--once on a full disk: %v, want an error saying the disk is full", err)
	}
	after, err := os.ReadFile(filepath.Join(public, "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("all.atom changed although the run failed")
	}
	if err := xml.Unmarshal(after, new(struct{})); err != nil {
		t.Errorf("all.atom is no longer whole XML: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(public, ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// needTmpfsRoot skips a full-disk test unless it runs as root, which
// mounting a tmpfs needs.
func needTmpfsRoot(t *testing.T) {
	t.Helper()
	if uid := os.Geteuid(); uid != 0 {
		t.Skipf("full-disk test skipped: mounting a small tmpfs to fill up needs root (running as uid %d)", uid)
	}
}

// mountSmallTmpfs mounts a tmpfs of the given size (as mount's size=) on
// dir, until the test ends; it skips the test where that cannot be done.
func mountSmallTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	needTmpfsRoot(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("full-disk test skipped: cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// fillDisk writes a file into dir until the file system is full, and
// returns its path: removing it frees the space.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	// The last bytes too, should a page be part free.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			break
		}
	}
	return path
}

// diskFull reports whether msg says that a disk is full, as the OS
// (ENOSPC) or SQLite (SQLITE_FULL) says it.
func diskFull(msg string) bool {
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "database or disk is full")
}

// The daemon's store is on a disk that fills up: the cycle that brings new
// items fails to store them and logs an error, the daemon keeps running and
// serving the outputs it had, byte for byte, and once there is space again
// the next cycle stores the items.
func TestDaemonStoreFullDisk(t *testing.T) {
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "store")
	mountSmallTmpfs(t, storeDir, "2m")

	const nFeeds = 3
	var items atomic.Int64 // in each feed
	items.Store(2)
	urls := crashFeedServer(t, nFeeds, func(int) int { return int(items.Load()) })
	addr := freeAddr(t)
	cfg := writeCrashConfig(t, dir, filepath.Join(storeDir, "agg.db"), "schedule: \"@every 1s\"\nserver:\n  listen: "+addr+"\n", urls)

	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	var runErr error
	stopped := make(chan struct{})
	go func() { runErr = run(ctx, []string{"--config", cfg}, io.Discard, logs); close(stopped) }()
	// Stopped before the tmpfs is unmounted, should the test fail.
	t.Cleanup(func() { cancel(); <-stopped })
	running := func(when string) {
		t.Helper()
		select {
		case <-stopped:
			t.Fatalf("the daemon stopped (%v) %s; logs:\n%s", runErr, when, logs.String())
		default:
		}
	}
	feedURL := "http://" + addr + "/feeds/all.atom"
	// get returns the body of all.atom and its number of entries; -1 when
	// the daemon does not serve it.
	get := func() ([]byte, int) {
		resp, err := http.Get(feedURL)
		if err != nil {
			return nil, -1
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, -1
		}
		return body, len(parseAtom(t, body).Entries)
	}
	// await waits until all.atom has n entries, and returns it.
	await := func(n int, why string) []byte {
		t.Helper()
		var (
			body []byte
			got  int
		)
		waitUntil(t, 20*time.Second, func() bool {
			running(why)
			body, got = get()
			return got == n
		}, "all.atom has %s entries, want %d %s; logs:\n%s", lazy(func() string { return fmt.Sprint(got) }), n, why, logs)
		return body
	}
	before := await(nFeeds*2, "at start")

	filler := fillDisk(t, storeDir)
	items.Store(4) // new items, to store on the full disk
	mark := len(logs.String())
	logsSince := lazy(func() string { return logs.String()[mark:] })
	waitUntil(t, 20*time.Second, func() bool {
		for line := range strings.Lines(logsSince.String()) {
			if strings.Contains(line, "level=ERROR") && strings.Contains(line, "store failed") && diskFull(line) {
				return true
			}
		}
		return false
	}, "no error logged for the store on a full disk; logs since it filled:\n%s", logsSince)
	// One more cycle on the full disk, and the daemon still serves the
	// outputs it had.
	time.Sleep(1500 * time.Millisecond)
	running("with its store on a full disk")
	if body, n := get(); !bytes.Equal(body, before) {
		t.Fatalf("all.atom changed on the full disk (%d entries, %d bytes; it had %d bytes)", n, len(body), len(before))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	await(nFeeds*4, "once the disk has space again")
	cancel()
	select {
	case <-stopped:
		if runErr != nil {
			t.Fatalf("daemon: %v", runErr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not stop within 15s")
	}
	var st crashState
	if err := inspectStore(context.Background(), filepath.Join(storeDir, "agg.db"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Integrity != "ok" || len(st.Keys) != nFeeds*4 {
		t.Errorf("after the full disk: integrity_check %q, %d items, want ok and %d", st.Integrity, len(st.Keys), nFeeds*4)
	}
}

// A --once run whose store is on a full disk exits non-zero saying what
// failed, and the store stays whole with every item stored before and no
// part of the run's; with space again, the next run stores the new items.
// The store is either closed when the run starts (cron's --once alone),
// or held open by another connection, as a daemon on the same store holds
// it: then the store opens, and its writes fail.
func TestOnceStoreFullDisk(t *testing.T) {
	needTmpfsRoot(t)
	for _, tc := range []struct {
		name string
		held bool
		// says checks the message of the run on the full disk.
		says func(msg, dbPath string) bool
	}{
		// The store does not open: SQLite cannot size its shared-memory
		// file and says "disk I/O error (4874)"; the message names the
		// store and says its disk is full.
		{"closed", false, func(msg, dbPath string) bool {
			return strings.Contains(msg, "open store "+dbPath) && strings.Contains(msg, store.ErrDiskFull.Error())
		}},
		{"held open", true, func(msg, _ string) bool { return diskFull(msg) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			storeDir := filepath.Join(dir, "store")
			mountSmallTmpfs(t, storeDir, "2m")
			const nFeeds = 3
			var items atomic.Int64 // in each feed
			items.Store(2)
			urls := crashFeedServer(t, nFeeds, func(int) int { return int(items.Load()) })
			dbPath := filepath.Join(storeDir, "agg.db")
			cfg := writeCrashConfig(t, dir, dbPath, "", urls)
			ctx := context.Background()
			inspect := func(when string) []string {
				t.Helper()
				var st crashState
				if err := inspectStore(ctx, dbPath, &st); err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				if st.Integrity != "ok" {
					t.Fatalf("%s: integrity_check: %s", when, st.Integrity)
				}
				return st.Keys
			}

			var stderr bytes.Buffer
			if err := run(ctx, []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
				t.Fatalf("--once: %v\n%s", err, stderr.String())
			}
			stored := inspect("after the first run")
			if len(stored) != nFeeds*2 {
				t.Fatalf("the first run stored %d items, want %d", len(stored), nFeeds*2)
			}
			var holder *sql.DB
			if tc.held {
				var err error
				if holder, err = sql.Open("sqlite", dbPath); err != nil {
					t.Fatal(err)
				}
				defer holder.Close()
				if err := holder.Ping(); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := holder.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil {
					t.Fatal(err)
				}
			}

			filler := fillDisk(t, storeDir)
			items.Store(4) // new items, to store on the full disk
			stderr.Reset()
			err := run(ctx, []string{"--config", cfg, "--once"}, io.Discard, &stderr)
			code := exitCode(err)
			msg := stderr.String()
			if ee := (*exitError)(nil); err != nil && (!errors.As(err, &ee) || ee.err != nil) {
				msg += "aggregator: " + err.Error() + "\n" // as main prints it
			}
			t.Logf("--once on the full disk: exit %d:\n%s", code, msg)
			if code == exitOK {
				t.Fatal("--once with its store on a full disk exited 0")
			}
			if !tc.says(msg, dbPath) {
				t.Errorf("--once on the full disk did not say what failed:\n%s", msg)
			}

			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			if holder != nil {
				holder.Close()
			}
			if got := inspect("after the run on the full disk"); !slices.Equal(got, stored) {
				t.Errorf("after the run on the full disk the store holds %d items, want the %d stored before and no other", len(got), len(stored))
			}
			stderr.Reset()
			if err := run(ctx, []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
				t.Fatalf("--once with space again: %v\n%s", err, stderr.String())
			}
			if n := len(inspect("with space again")); n != nFeeds*4 {
				t.Errorf("with space again --once stored %d items, want %d", n, nFeeds*4)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
