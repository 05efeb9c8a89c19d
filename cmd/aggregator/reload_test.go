package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

// SIGHUP reloads the config: a new output appears without a restart while a
// client keeps downloading, and an invalid config leaves the running one.
func TestReload(t *testing.T) {
	srv := kimServer(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	write := func(extra string) {
		t.Helper()
		body := "store: agg.db\nfetch:\n  jitter: 0s\n  allow_private_addresses: true\nserver:\n  listen: " + addr + "\nfeeds:\n" +
			"  - url: " + srv.URL + "/korea-desk.atom\n  - url: " + srv.URL + "/newsroom.json\n" + extra
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("")
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
		for deadline := time.Now().Add(15 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; logs:\n%s", what, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
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
	write("tags:\n  north-korea:\n    any: [North Korea, Pyongyang]\noutputs:\n  - name: all\n  - name: korea\n    filter: tag:north-korea\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the new output", func() bool { return status("/feeds/korea.atom") == http.StatusOK })

	write("outputs:\n  - name: all\n    filter: tag:north-korea AND\n")
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
