package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	urls := kimURLs(t)
	cfg := writeConfig(t, "", urls...)
	public := filepath.Join(filepath.Dir(cfg), "public")
	if err := os.MkdirAll(public, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", public).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	defer exec.Command("umount", public).Run()

	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(public, "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	// Fill the disk, then give the run something new to write.
	filler, err := os.Create(filepath.Join(public, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := filler.Write(buf); err != nil {
			break
		}
	}
	filler.Close()
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

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
