package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listenNotify makes a unixgram socket in a temporary directory and points
// NOTIFY_SOCKET at it, as systemd does.
func listenNotify(t *testing.T) *net.UnixConn {
	t.Helper()
	return listenNotifyAt(t, filepath.Join(t.TempDir(), "notify.sock"))
}

func listenNotifyAt(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen on %q: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return conn
}

// recvNotify returns the next datagram, failing the test if none comes soon.
func recvNotify(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	msg, err := tryRecvNotify(conn, 2*time.Second)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return msg
}

func tryRecvNotify(conn *net.UnixConn, wait time.Duration) (string, error) {
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return "", err
	}
	n, err := conn.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// expectSilence fails the test if a datagram arrives within wait.
func expectSilence(t *testing.T, conn *net.UnixConn, wait time.Duration) {
	t.Helper()
	msg, err := tryRecvNotify(conn, wait)
	if err == nil {
		t.Fatalf("unexpected notification %q", msg)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
}

func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano() / 1000
}

func TestNotifierMessages(t *testing.T) {
	conn := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", "100000")
	n := newNotifier()

	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"Ready", n.Ready, "READY=1"},
		{"Stopping", n.Stopping, "STOPPING=1"},
		{"Status", func() error { return n.Status("fetched 12 feeds, 3 new items") }, "STATUS=fetched 12 feeds, 3 new items"},
		{"Status with newline", func() error { return n.Status("line one\nline two") }, "STATUS=line one line two"},
	} {
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := recvNotify(t, conn); got != c.want {
			t.Errorf("%s sent %q, want %q", c.name, got, c.want)
		}
	}
}

func TestNotifierReloading(t *testing.T) {
	conn := listenNotify(t)
	n := newNotifier()

	before := monotonicUsec(t)
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	after := monotonicUsec(t)

	got := recvNotify(t, conn)
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("Reloading sent %q, want \"RELOADING=1\\nMONOTONIC_USEC=<now>\"", got)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil {
		t.Fatalf("Reloading sent %q: %v", got, err)
	}
	if usec < before || usec > after {
		t.Errorf("MONOTONIC_USEC=%d, want between %d and %d", usec, before, after)
	}
}

func TestNotifierWatchdog(t *testing.T) {
	conn := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", "100000") // 100 ms: a ping every 50 ms
	n := newNotifier()
	if !n.WatchdogEnabled() {
		t.Fatal("WatchdogEnabled() = false with WATCHDOG_USEC=100000")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Watchdog(ctx)
		close(done)
	}()

	deadline := time.Now().Add(200 * time.Millisecond)
	pings := 0
	for pings < 2 {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		msg, err := tryRecvNotify(conn, wait)
		if err != nil {
			break
		}
		if msg != "WATCHDOG=1" {
			t.Fatalf("Watchdog sent %q, want \"WATCHDOG=1\"", msg)
		}
		pings++
	}
	if pings < 2 {
		t.Fatalf("got %d WATCHDOG=1 within 200ms, want at least 2", pings)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Watchdog did not return after ctx was cancelled")
	}
	// Drain a ping that may have raced with cancel, then expect silence for
	// longer than two intervals.
	for {
		if _, err := tryRecvNotify(conn, 10*time.Millisecond); err != nil {
			break
		}
	}
	expectSilence(t, conn, 150*time.Millisecond)
}

func TestNotifierWatchdogSettings(t *testing.T) {
	for _, c := range []struct {
		name, usec, pid string
		want            bool
	}{
		{"unset", "", "", false},
		{"zero", "0", "", false},
		{"garbage", "soon", "", false},
		{"on", "60000000", "", true},
		{"our pid", "60000000", strconv.Itoa(os.Getpid()), true},
		{"other pid", "60000000", strconv.Itoa(os.Getpid() + 1), false},
		{"bad pid", "60000000", "x", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := listenNotify(t)
			t.Setenv("WATCHDOG_USEC", c.usec)
			t.Setenv("WATCHDOG_PID", c.pid)
			n := newNotifier()
			if got := n.WatchdogEnabled(); got != c.want {
				t.Fatalf("WatchdogEnabled() = %v, want %v", got, c.want)
			}
			if c.want {
				return
			}
			// Off: Watchdog sends nothing and just waits for ctx.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			n.Watchdog(ctx)
			expectSilence(t, conn, 20*time.Millisecond)
		})
	}
}

func TestNotifierWithoutSystemd(t *testing.T) {
	for _, sock := range []string{"", "vsock:2:1234"} {
		t.Run(fmt.Sprintf("NOTIFY_SOCKET=%q", sock), func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", sock)
			t.Setenv("WATCHDOG_USEC", "100000")
			t.Setenv("WATCHDOG_PID", "")
			n := newNotifier()
			for name, call := range map[string]func() error{
				"Ready":     n.Ready,
				"Reloading": n.Reloading,
				"Stopping":  n.Stopping,
				"Status":    func() error { return n.Status("idle") },
			} {
				if err := call(); err != nil {
					t.Errorf("%s() = %v, want nil", name, err)
				}
			}
			if n.WatchdogEnabled() {
				t.Error("WatchdogEnabled() = true without a notify socket")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			n.Watchdog(ctx) // must return once ctx is done
		})
	}
}

func TestNotifierAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract unix sockets are Linux-only")
	}
	name := fmt.Sprintf("@aggregator-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn := listenNotifyAt(t, name)
	n := newNotifier()
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got := recvNotify(t, conn); got != "READY=1" {
		t.Errorf("Ready sent %q over %s, want \"READY=1\"", got, name)
	}
}

func TestNotifierSendError(t *testing.T) {
	// A socket path where nobody listens: the error reaches the caller.
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone.sock"))
	if err := newNotifier().Ready(); err == nil {
		t.Error("Ready() = nil with nobody listening, want an error")
	}
}
