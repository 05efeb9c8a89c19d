package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLockRun: one run lock per store, on every engine; a second store on
// the same database is refused it, or waits for it, until it is released.
func TestLockRun(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		ctx := context.Background()
		name := eng.store(t)
		if eng.name == "postgres" {
			// The test cluster trusts its users: the password is
			// there to be kept out of errors.
			name = strings.Replace(name, "@", ":s3cret@", 1)
		}
		open := func() *Store {
			s, err := Open(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		a, b := open(), open()
		unlock, err := a.LockRun(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.LockRun(ctx, false)
		if locked, ok := errors.AsType[*LockedError](err); !ok {
			t.Fatalf("second lock: %v, want a *LockedError", err)
		} else if locked.Lock == "" || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("second lock: %q; want which lock is held, without a password", err)
		}
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := b.LockRun(short, true); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting for a held lock: %v, want the context's deadline", err)
		}
		waited := make(chan error, 1)
		go func() {
			unlock, err := b.LockRun(ctx, true)
			if err == nil {
				unlock()
			}
			waited <- err
		}()
		time.Sleep(100 * time.Millisecond)
		unlock()
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("waiting lock: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the waiting lock was not taken once released")
		}
		// Released by the waiter in turn: the first store takes it again.
		unlock, err = a.LockRun(ctx, false)
		if err != nil {
			t.Fatalf("lock again: %v", err)
		}
		unlock()
	})
}
