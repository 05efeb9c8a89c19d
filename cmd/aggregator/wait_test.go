package main

import (
	"net/http"
	"testing"
	"time"
)

// pollEvery is how often waitUntil checks its condition.
const pollEvery = 20 * time.Millisecond

// waitUntil checks cond until it holds, and fails the test if it does not
// within timeout, with the message that format and args make at that
// moment: an argument that is a fmt.Stringer, such as a *lockedBuffer of
// logs or a lazy, shows what it holds then, not when the wait began.
func waitUntil(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(pollEvery) {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
	}
}

// lazy is a value for a waitUntil message that is worked out only when the
// message is: the state the wait gave up on.
type lazy func() string

func (f lazy) String() string { return f() }

// isReady reports whether the daemon listening on addr says on /readyz that
// it is ready.
func isReady(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
