package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// notifier tells systemd about the daemon's state when it runs under
// systemd (NOTIFY_SOCKET set), and does nothing otherwise.
//
// It speaks the sd_notify(3) protocol itself: every message is one datagram of
// newline-separated VAR=value assignments sent to the unix socket named by
// $NOTIFY_SOCKET, a path or, when it starts with '@', an abstract socket name.
// The unit must have Type=notify (and NotifyAccess=main, the default) for
// systemd to act on them.
type notifier struct {
	addr     *net.UnixAddr // nil: not under systemd, every call is a no-op
	watchdog time.Duration // 0: the watchdog is off
}

// newNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once. The
// watchdog counts as on only when WATCHDOG_USEC is a positive number and
// WATCHDOG_PID, if set, is this process: a child that inherited the variables
// must not ping on its parent's behalf. Socket kinds other than a unix path or
// an abstract name (systemd 254's "vsock:") are not supported and leave the
// notifier off.
func newNotifier() *notifier {
	n := &notifier{}
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" || (sock[0] != '/' && sock[0] != '@') {
		return n
	}
	// Go's net package turns a leading '@' into the NUL byte that names an
	// abstract socket on Linux.
	n.addr = &net.UnixAddr{Name: sock, Net: "unixgram"}

	usec, err := strconv.ParseUint(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec == 0 {
		return n
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil || p != os.Getpid() {
			return n
		}
	}
	n.watchdog = time.Duration(usec) * time.Microsecond
	return n
}

// send writes one datagram to the notify socket; a no-op without one.
func (n *notifier) send(msg string) error {
	if n == nil || n.addr == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	_, err = conn.Write([]byte(msg))
	return errors.Join(err, conn.Close())
}

// Ready says that start-up, or a reload, is complete.
func (n *notifier) Ready() error { return n.send("READY=1") }

// Reloading says that the daemon is reloading its configuration; it must send
// Ready when it is done. systemd 253 and later want MONOTONIC_USEC (the
// CLOCK_MONOTONIC time the reload began) with RELOADING=1; older ones ignore it.
func (n *notifier) Reloading() error {
	if n == nil || n.addr == nil {
		return nil
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return err
	}
	usec := ts.Nano() / int64(time.Microsecond)
	return n.send("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10))
}

// Stopping says that the daemon is shutting down.
func (n *notifier) Stopping() error { return n.send("STOPPING=1") }

// Status sets the free-form status line systemctl status shows. A newline
// would start a new assignment, so newlines become spaces.
func (n *notifier) Status(s string) error {
	return n.send("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// WatchdogEnabled reports whether systemd expects watchdog keep-alives
// (WatchdogSec= set in the unit).
func (n *notifier) WatchdogEnabled() bool {
	return n != nil && n.addr != nil && n.watchdog > 0
}

// Watchdog sends WATCHDOG=1 at once and then every half the watchdog interval
// until ctx is done, if the watchdog is on; it returns when ctx is done. A failed send is
// not fatal: the next tick tries again, and if they keep failing systemd
// restarts the service, which is the point of the watchdog.
func (n *notifier) Watchdog(ctx context.Context) {
	if !n.WatchdogEnabled() {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(n.watchdog / 2)
	defer t.Stop()
	_ = n.send("WATCHDOG=1")
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = n.send("WATCHDOG=1")
		}
	}
}
