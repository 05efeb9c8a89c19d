package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// LockedError is LockRun's error when another run holds the store's run
// lock.
type LockedError struct {
	// Lock is the lock the other run holds: a file, or an advisory lock
	// of a database.
	Lock string
}

func (e *LockedError) Error() string {
	return "another run holds the store's lock (" + e.Lock + ")"
}

// runLock is the key of the session-level advisory lock that keeps runs
// (aggregator --once) on one PostgreSQL store apart; "once" read as four
// bytes. It differs from writeLock, which write transactions take.
const runLock = 0x6f6e6365

// LockRun takes the store's run lock, which keeps two runs on one store
// apart, and returns the function that releases it. Without wait it fails
// at once with a *LockedError when another run holds the lock;
// with wait it waits until the other run ends or ctx is done.
//
// On SQLite the lock is a flock(2) on the file RunLockFile names; on
// PostgreSQL, a session-level advisory lock held by a connection of its own,
// outside the store's pool. Either is released when the process ends, even
// by kill -9: the kernel drops the flock, and the server ends the session
// of a connection that closed.
func (s *Store) LockRun(ctx context.Context, wait bool) (unlock func(), err error) {
	if s.db.pool != nil {
		return s.lockRunPostgres(ctx, wait)
	}
	return lockRunFile(ctx, RunLockFile(s.name), wait)
}

// RunLockFile is the file whose flock is the run lock of the SQLite store
// at path.
func RunLockFile(path string) string { return path + ".lock" }

// lockRunFile takes the flock on path; see LockRun.
func lockRunFile(ctx context.Context, path string, wait bool) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			f.Close()
			return nil, &LockedError{Lock: path}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockRunPostgres takes the advisory lock runLock on a connection of its
// own: pg_try_advisory_lock without wait, pg_advisory_lock with it, which
// waits in the server until the holder's session releases the lock or
// ends (or ctx is done: pgx then cancels the query).
func (s *Store) lockRunPostgres(ctx context.Context, wait bool) (func(), error) {
	conn, err := pgx.ConnectConfig(ctx, s.db.pool.Config().ConnConfig)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("lock store %s: %w", s.name, err)
	}
	// The lock of the whole database is runLock; that of a scope, the
	// two-key lock (runLock, the scope's hash).
	key, args, what := "$1", []any{int64(runLock)}, fmt.Sprintf("the advisory lock %d on %s", runLock, s.name)
	if s.runScope != "" {
		h := fnv.New32a()
		h.Write([]byte(s.runScope))
		key, args = "$1, $2", []any{int32(runLock), int32(h.Sum32())}
		what = fmt.Sprintf("the advisory lock of %s's runs on %s", s.runScope, s.name)
	}
	if wait {
		_, err = conn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`, args...)
	} else {
		var locked bool
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+key+`)`, args...).Scan(&locked)
		if err == nil && !locked {
			err = &LockedError{Lock: what}
		}
	}
	if err != nil {
		conn.Close(context.Background())
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, ok := err.(*LockedError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("lock store %s: %w", s.name, err)
	}
	// Closing the connection ends its session, which releases the lock;
	// an explicit pg_advisory_unlock would add nothing.
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn.Close(ctx)
	}, nil
}
