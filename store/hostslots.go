package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// HostSlots are the slots for fetches to one host that every instance on
// one PostgreSQL database shares, perHost per host: taking one before each
// fetch (as fetch.Client.HostLimit does) keeps the whole fleet to perHost
// fetches at once to a host. Its methods are safe for concurrent use.
//
// Slot i of host h is the session-level advisory lock with the two int4
// keys (hash of h, i). Two-key advisory locks are a key space of their own
// in PostgreSQL, apart from that of the one-bigint keys of writeLock and
// runLock, so that no slot is ever one of those. Two hosts whose hashes
// collide share their slots: that makes them slower, never impolite.
//
// A slot is held by a connection of its own, from a pool of the store's
// that only holds slots. If its instance dies or the connection drops, the
// server ends the session and the lock goes with it: no slot stays taken
// by an instance that is gone. The fetch that held it, if its process
// lives on, runs to its end unaware, so that for its remainder the host may
// get one fetch more than perHost.
type HostSlots struct {
	s       *Store
	perHost int32
	conns   int32 // the size of the pool the slots are held on
}

// HostSlots returns the store's host slots, perHost (at least 1) per host,
// for a caller that runs concurrency fetches at once; nil on SQLite, which
// one process uses at a time and where fetch.Client's own PerHost
// suffices. Give it to a fetch.Client only when it is not nil: a nil
// *HostSlots limits nothing, but in an interface it is not nil.
//
// The slots are held on connections of their own, outside the pool of the
// store's queries, which pgx sizes by the CPUs (four at least): fetches
// holding slots or waiting for the database to take one would otherwise
// keep the store's queries, and so the saving of what they fetched, from
// it. That pool has concurrency+1 connections: a fetch holds one while it
// holds a slot, which it takes before its global fetch slot (see
// fetch.Client), so that concurrency connections serve the running fetches
// and one more the waits, while the number of slots this instance holds
// without fetching stays bounded; a fetch waits for a connection as it
// would for its global slot. The HostSlots of one store and of the same
// concurrency share a pool, so that a daemon's reloads add none; the pools
// close with the store, which waits for the slots held on them to be
// released.
func (s *Store) HostSlots(perHost, concurrency int) *HostSlots {
	if s.slots == nil {
		return nil
	}
	return &HostSlots{s: s, perHost: int32(max(perHost, 1)), conns: int32(max(concurrency, 1) + 1)}
}

// Acquire waits for one of host's slots, or until ctx is done, when it
// returns ctx's error. It tries each slot in turn without waiting in the
// server, and while all are taken retries every 50 to 200 ms, holding no
// connection in between. On success the caller calls release once.
func (h *HostSlots) Acquire(ctx context.Context, host string) (release func(), err error) {
	if h == nil {
		return func() {}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := hostLockKey(host)
	for {
		release, err := h.try(ctx, key)
		if ctx.Err() != nil {
			if release != nil {
				release()
			}
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("host slot for %s on %s: %w", host, h.s.name, err)
		}
		if release != nil {
			return release, nil
		}
		t := time.NewTimer(50*time.Millisecond + rand.N(150*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// try takes one of the slots of the host whose lock key is key, if one is
// free, and returns its release; nil if none is.
func (h *HostSlots) try(ctx context.Context, key int32) (func(), error) {
	pool, err := h.s.slots.pool(h.conns)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	for slot := range h.perHost {
		var locked bool
		err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, key, slot).Scan(&locked)
		if err != nil {
			// Whether the lock was taken is unknown; ending the
			// session releases it if it was.
			discard(conn)
			return nil, err
		}
		if locked {
			return func() { unlockSlot(conn, key, slot) }, nil
		}
	}
	conn.Release()
	return nil, nil
}

// unlockSlot releases the slot (key, slot) that conn holds and gives conn
// back to its pool.
func unlockSlot(conn *pgxpool.Conn, key, slot int32) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var unlocked bool
	err := conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1, $2)`, key, slot).Scan(&unlocked)
	if err != nil || !unlocked {
		// The session is gone, and its locks with it, or in doubt: a
		// connection back in the pool must hold no lock, or the next
		// to take the slot on it would take it twice (advisory locks
		// are reentrant within a session).
		discard(conn)
		return
	}
	conn.Release()
}

// discard closes conn, taken from a pool, instead of giving it back: the
// server ends its session and releases the locks it held.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.Hijack().Close(ctx)
}

// hostLockKey is the first key of the advisory locks of a host's slots:
// the 32-bit FNV-1a hash of its name.
func hostLockKey(host string) int32 {
	h := fnv.New32a()
	h.Write([]byte(host))
	return int32(h.Sum32())
}

// slotPools are the connection pools that hold a PostgreSQL store's host
// slots, one per size, made on first use and closed with the store.
type slotPools struct {
	cfg *pgxpool.Config // the store's pool's

	mu     sync.Mutex
	closed bool
	pools  map[int32]*pgxpool.Pool
}

func newSlotPools(cfg *pgxpool.Config) *slotPools {
	return &slotPools{cfg: cfg, pools: make(map[int32]*pgxpool.Pool)}
}

// errClosed is the error of host slots of a closed store.
var errClosed = errors.New("store closed")

// pool returns the pool of size connections, making it on first use. It
// connects lazily, so that a pool holds no connection until a slot is
// first taken.
func (p *slotPools) pool(size int32) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if pool := p.pools[size]; pool != nil {
		return pool, nil
	}
	cfg := p.cfg.Copy()
	cfg.MaxConns = size
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	p.pools[size] = pool
	return pool, nil
}

// close closes the pools, once their connections are all back.
func (p *slotPools) close() {
	p.mu.Lock()
	p.closed = true
	pools := p.pools
	p.pools = nil
	p.mu.Unlock()
	for _, pool := range pools {
		pool.Close()
	}
}
