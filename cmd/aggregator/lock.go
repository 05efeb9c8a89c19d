package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// errLocked means another --once run holds the lock.
var errLocked = errors.New("another aggregator --once is running")

// onceLock is the lock that keeps two --once runs on one store apart. It is a
// flock(2) on a file beside the store, so it is released whenever the process
// ends, even by kill -9.
type onceLock struct{ f *os.File }

// lockOnce takes the lock of the store at storePath. Without wait it fails at
// once with errLocked when another run holds it; with wait it waits until the
// other run ends or ctx is done.
func lockOnce(ctx context.Context, storePath string, wait bool) (*onceLock, error) {
	path := lockPath(storePath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &onceLock{f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			f.Close()
			return nil, fmt.Errorf("%w (it holds %s); try again later, or pass --wait to wait for it", errLocked, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockPath is the file whose lock keeps --once runs on the store at
// storePath apart.
func lockPath(storePath string) string { return storePath + ".lock" }

// Unlock releases the lock.
func (l *onceLock) Unlock() error { return l.f.Close() }
