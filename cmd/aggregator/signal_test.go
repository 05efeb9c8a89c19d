package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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

// startProgram starts the test binary as the aggregator with args. Its
// standard error goes to logs.
func startProgram(t *testing.T, logs *lockedBuffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AGGREGATOR_TEST_AS_MAIN=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// waitExit waits up to d for cmd to end and returns its exit status.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration, logs *lockedBuffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("the program was killed by %v; it logged:\n%s", ws.Signal(), logs.String())
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the program did not exit within %s; it logged:\n%s", d, logs.String())
		return -1
	}
}

// A real SIGTERM while a fetch hangs: the daemon gives the fetch its grace,
// cancels it, and the process exits 0.
func TestSIGTERMExitsZero(t *testing.T) {
	var hanging atomic.Int32
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hanging.Add(1)
		select { // never answer, like a stuck server
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	srv := kimServer(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", srv.URL+"/korea-desk.atom", slow.URL+"/feed.xml")

	logs := &lockedBuffer{}
	cmd := startProgram(t, logs, "--config", cfg)
	for deadline := time.Now().Add(15 * time.Second); hanging.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the hanging feed was never fetched; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 15*time.Second, logs); code != exitOK {
		t.Errorf("exit status %d after SIGTERM with a fetch hanging, want 0; logs:\n%s", code, logs.String())
	}
}
