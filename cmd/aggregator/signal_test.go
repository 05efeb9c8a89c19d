package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the program itself, instead of the tests, when the
// environment asks for it: the tests below start the test binary as the
// aggregator and send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("AGGREGATOR_TEST_AS_MAIN") == "1" {
		main()
		return // main exits
	}
	os.Exit(m.Run())
}

// program is the test binary run as the aggregator.
type program struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer // its standard output and error
	exited chan struct{} // closed when it has ended
	err    error         // cmd.Wait's, once exited is closed
}

// startProgram starts the test binary as the aggregator with args; it is
// killed when the test ends, if it still runs.
func startProgram(t *testing.T, args ...string) *program {
	t.Helper()
	p := &program{cmd: exec.Command(os.Args[0], args...), logs: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "AGGREGATOR_TEST_AS_MAIN=1")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// running reports whether the program has not ended yet.
func (p *program) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// wait waits up to d for the program to end and returns its exit status;
// the test fails if it does not end or a signal killed it.
func (p *program) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("the program did not exit within %s; it logged:\n%s", d, p.logs.String())
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatal(p.err)
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the program was killed by %v; it logged:\n%s", ws.Signal(), p.logs.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// hangingServer never answers, like a stuck server, until the test ends;
// hits counts the requests it has had.
func hangingServer(t *testing.T) (srv *httptest.Server, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	release := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, hits
}

// waitForHit waits until hits counts a request, failing the test if the
// program ends first or 15s pass.
func (p *program) waitForHit(t *testing.T, hits *atomic.Int32) {
	t.Helper()
	waitUntil(t, 15*time.Second, func() bool {
		if !p.running() {
			t.Fatalf("the program ended before it fetched the hanging feed; logs:\n%s", p.logs)
		}
		return hits.Load() > 0
	}, "the hanging feed was never fetched; logs:\n%s", p.logs)
}

// A real SIGTERM while a fetch hangs: the daemon gives the fetch its grace,
// cancels it, and the process exits 0.
func TestSIGTERMExitsZero(t *testing.T) {
	slow, hits := hangingServer(t)
	srv := kimServer(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", srv.URL+"/korea-desk.atom", slow.URL+"/feed.xml")

	p := startProgram(t, "--config", cfg)
	p.waitForHit(t, hits)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 15*time.Second); code != exitOK {
		t.Errorf("exit status %d after SIGTERM with a fetch hanging, want 0; logs:\n%s", code, p.logs.String())
	}
}

// A SIGHUP while the daemon starts, before it serves, does not kill it: the
// reload waits until the daemon runs. The store is held locked so that the
// daemon stays in its start-up while the signal comes.
func TestSIGHUPDuringStartup(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to see the daemon open its store:", err)
	}
	srv := kimServer(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", srv.URL+"/korea-desk.atom")
	dbPath := filepath.Join(filepath.Dir(cfg), "agg.db")

	// An exclusive lock on a new database in rollback-journal mode keeps
	// every other connection out, so the daemon's store.Open waits on it.
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE hold (x)"); err != nil {
		t.Fatal(err)
	}

	p := startProgram(t, "--config", cfg)
	fdDir := fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid)
	opened := func() bool {
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if target, _ := os.Readlink(filepath.Join(fdDir, fd.Name())); target == dbPath {
				return true
			}
		}
		return false
	}
	waitUntil(t, 15*time.Second, func() bool {
		if !p.running() {
			t.Fatalf("the daemon ended before it opened its store; logs:\n%s", p.logs)
		}
		return opened()
	}, "the daemon never opened its store; logs:\n%s", p.logs)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // for the signal to arrive while the store is locked
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	db.Close()

	waitUntil(t, 15*time.Second, func() bool {
		if !p.running() {
			t.Fatalf("the daemon ended (exit %d) after a SIGHUP during start-up; logs:\n%s", p.wait(t, 0), p.logs)
		}
		return strings.Contains(p.logs.String(), "config reloaded")
	}, "no reload after a SIGHUP during start-up; logs:\n%s", p.logs)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != exitOK {
		t.Errorf("exit status %d after SIGTERM, want 0; logs:\n%s", code, p.logs.String())
	}
}

// A real SIGTERM ends --once while a fetch hangs, with a named pipe among
// the feeds: the process exits promptly rather than waiting on either.
func TestSIGTERMEndsOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "feed.xml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	slow, hits := hangingServer(t)
	cfg := writeConfig(t, "", fifo, slow.URL+"/feed.xml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(mustRead(t, cfg), "fetch:\n", "fetch:\n  timeout: 1h\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	p := startProgram(t, "--config", cfg, "--once")
	p.waitForHit(t, hits)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 15*time.Second)
}
