package main

import (
	"context"
	"errors"
	"fmt"

	"aggregator/store"
)

// errLocked means another --once run holds the lock.
var errLocked = errors.New("another aggregator --once is running")

// lockOnce takes the run lock of the store st, which keeps two --once runs
// on one store apart (see store.LockRun: a flock beside a SQLite file, an
// advisory lock on PostgreSQL; either released whenever the process ends,
// even by kill -9). Without wait it fails at once with errLocked when
// another run holds it; with wait it waits until the other run ends or ctx
// is done.
func lockOnce(ctx context.Context, st *store.Store, wait bool) (unlock func(), err error) {
	unlock, err = st.LockRun(ctx, wait)
	if locked, ok := errors.AsType[*store.LockedError](err); ok {
		return nil, fmt.Errorf("%w (it holds %s); try again later, or pass --wait to wait for it", errLocked, locked.Lock)
	}
	return unlock, err
}

// lockPath is the file whose lock keeps --once runs on the SQLite store at
// storePath apart.
func lockPath(storePath string) string { return store.RunLockFile(storePath) }
