package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"aggregator/fetch"
	"aggregator/internal/pgtest"
)

// HostSlots is what a fetch.Client takes as its HostLimit.
var _ fetch.HostLimit = (*HostSlots)(nil)

// openStores opens n stores on the database at dsn, as n instances would,
// and closes them when tb ends.
func openStores(tb testing.TB, dsn string, n int) []*Store {
	tb.Helper()
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

// fleetClient is a fetch client of one instance of a fleet on st.
func fleetClient(st *Store, perHost, concurrency int) *fetch.Client {
	c := fetch.NewClient("aggregator-test")
	c.AllowPrivate = true // the test servers listen on 127.0.0.1
	c.PerHost, c.Concurrency = perHost, concurrency
	c.HostLimit = st.HostSlots(perHost, concurrency)
	return c
}

// inFlight counts the requests a server is answering, and the most ever.
type inFlight struct{ now, most atomic.Int32 }

func (f *inFlight) enter() {
	n := f.now.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
}

func (f *inFlight) leave() { f.now.Add(-1) }

// slowFeeds is a server of feeds that holds each request for hold,
// counting the requests in flight in each of counters.
func slowFeeds(t *testing.T, hold time.Duration, counters ...*inFlight) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range counters {
			c.enter()
		}
		time.Sleep(hold)
		for _, c := range counters {
			c.leave()
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>`+
			`<item><title>%s</title><guid>%[1]s</guid></item></channel></rss>`, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fetchAll fetches n feeds of each server with each client, all at once,
// and fails t for every fetch that fails.
func fetchAll(t *testing.T, clients []*fetch.Client, servers []*httptest.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for ci, c := range clients {
		for _, srv := range servers {
			for i := range n {
				wg.Go(func() {
					res, err := c.Fetch(ctx, fetch.Request{URL: fmt.Sprintf("%s/feed/%d/%d", srv.URL, ci, i)})
					if err != nil {
						t.Error(err)
					} else if len(res.Items) != 1 {
						t.Errorf("got %d items, want 1", len(res.Items))
					}
				})
			}
		}
	}
	wg.Wait()
}

// slotLocks is how many host slots are held in the database at dsn, by
// every session.
func slotLocks(t *testing.T, dsn string) int {
	t.Helper()
	var n int
	queryOnce(t, dsn, func(conn *pgx.Conn) error {
		return conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND objsubid = 2 AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	})
	return n
}

// queryOnce runs f on a connection of its own to the database at dsn.
func queryOnce(t *testing.T, dsn string, f func(*pgx.Conn) error) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := f(conn); err != nil {
		t.Fatal(err)
	}
}

// heldConns is how many connections of s's slot pools are taken.
func heldConns(s *Store) int32 {
	s.slots.mu.Lock()
	defer s.slots.mu.Unlock()
	var n int32
	for _, p := range s.slots.pools {
		n += p.Stat().AcquiredConns()
	}
	return n
}

// TestHostSlotsFleet: three instances on one database, each fetching with
// PerHost 2 and its store's host slots, send one host two requests at
// once at most between them, and all their fetches succeed.
func TestHostSlotsFleet(t *testing.T) {
	const perHost = 2
	dsn := pgtest.DSN(t)
	var host inFlight
	srv := slowFeeds(t, 75*time.Millisecond, &host)
	var clients []*fetch.Client
	for _, st := range openStores(t, dsn, 3) {
		clients = append(clients, fleetClient(st, perHost, 8))
	}
	start := time.Now()
	fetchAll(t, clients, []*httptest.Server{srv}, 8)
	t.Logf("%d fetches of 75 ms in %s, %d at most in flight", 3*8, time.Since(start).Round(time.Millisecond), host.most.Load())
	if got := host.most.Load(); got != perHost {
		t.Errorf("at most %d requests in flight to the host, want %d: the fleet's per_host", got, perHost)
	}
	if n := slotLocks(t, dsn); n != 0 {
		t.Errorf("%d host slots still held", n)
	}
}

// TestHostSlotsHostsApart: hosts have slots of their own, though both
// servers are 127.0.0.1 and only their ports differ: one host's held
// slots keep nobody from another, and two instances fetch two hosts in
// parallel, PerHost each.
func TestHostSlotsHostsApart(t *testing.T) {
	dsn := pgtest.DSN(t)
	stores := openStores(t, dsn, 2)

	t.Run("held", func(t *testing.T) {
		busy, free := slowFeeds(t, 0), slowFeeds(t, 0)
		busyHost, _ := url.Parse(busy.URL)
		release, err := stores[0].HostSlots(1, 8).Acquire(t.Context(), busyHost.Host)
		if err != nil {
			t.Fatal(err)
		}
		c := fleetClient(stores[1], 1, 8)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := c.Fetch(ctx, fetch.Request{URL: free.URL}); err != nil {
			t.Errorf("fetch of a host whose slot is free: %v", err)
		}
		short, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		if _, err := c.Fetch(short, fetch.Request{URL: busy.URL}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("fetch of a host whose only slot another instance holds: %v, want to wait until the deadline", err)
		}
		release()
		if _, err := c.Fetch(ctx, fetch.Request{URL: busy.URL}); err != nil {
			t.Errorf("fetch of a host whose slot was released: %v", err)
		}
	})

	t.Run("parallel", func(t *testing.T) {
		const perHost = 2
		var both, a, b inFlight
		servers := []*httptest.Server{slowFeeds(t, 100*time.Millisecond, &both, &a), slowFeeds(t, 100*time.Millisecond, &both, &b)}
		clients := []*fetch.Client{fleetClient(stores[0], perHost, 8), fleetClient(stores[1], perHost, 8)}
		fetchAll(t, clients, servers, 6)
		t.Logf("at most %d and %d requests in flight to each host, %d to both", a.most.Load(), b.most.Load(), both.most.Load())
		if a.most.Load() > perHost || b.most.Load() > perHost {
			t.Errorf("at most %d and %d requests in flight to each host, want %d at most", a.most.Load(), b.most.Load(), perHost)
		}
		if both.most.Load() <= perHost {
			t.Errorf("at most %d requests in flight to both hosts, want more than one host's %d", both.most.Load(), perHost)
		}
	})
	if n := slotLocks(t, dsn); n != 0 {
		t.Errorf("%d host slots still held", n)
	}
}

// TestHostSlotsHolderGone: a slot whose holder's connection ends (its
// instance died, or the server dropped it) is free for another instance;
// the holder's release then harms nobody.
func TestHostSlotsHolderGone(t *testing.T) {
	const host = "feeds.example:443"
	dsn := pgtest.DSN(t)
	stores := openStores(t, dsn, 2)
	gone, other := stores[0].HostSlots(1, 8), stores[1].HostSlots(1, 8)
	releaseGone, err := gone.Acquire(t.Context(), host)
	if err != nil {
		t.Fatal(err)
	}
	type acquired struct {
		release func()
		err     error
	}
	waiter := make(chan acquired, 1)
	go func() {
		release, err := other.Acquire(t.Context(), host)
		waiter <- acquired{release, err}
	}()
	select {
	case got := <-waiter:
		t.Fatalf("took a slot that another instance holds (err %v)", got.err)
	case <-time.After(300 * time.Millisecond):
	}

	queryOnce(t, dsn, func(conn *pgx.Conn) error {
		var ended bool
		err := conn.QueryRow(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE locktype = 'advisory' AND objsubid = 2 AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&ended)
		if err == nil && !ended {
			err = errors.New("the holder's backend was not terminated")
		}
		return err
	})
	var got acquired
	select {
	case got = <-waiter:
		if got.err != nil {
			t.Fatal(got.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the slot of a terminated holder was not taken")
	}

	releaseGone() // on a connection the server ended
	if n := heldConns(stores[0]); n != 0 {
		t.Errorf("%d slot connections held after the release", n)
	}
	short, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := gone.Acquire(short, host); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the first holder took the slot again (err %v), the second one's release undone", err)
	}
	got.release()
	if n := slotLocks(t, dsn); n != 0 {
		t.Errorf("%d host slots still held", n)
	}
}

// TestHostSlotsCancelWhileWaiting: an Acquire that waits for a slot ends
// soon after its context does, with its error, holding no lock and no
// connection.
func TestHostSlotsCancelWhileWaiting(t *testing.T) {
	const host = "feeds.example:443"
	dsn := pgtest.DSN(t)
	stores := openStores(t, dsn, 2)
	holder, waiter := stores[0].HostSlots(2, 8), stores[1].HostSlots(2, 8)
	var releases []func()
	for range 2 {
		release, err := holder.Acquire(t.Context(), host)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}

	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
		{"done before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			release, err := waiter.Acquire(ctx, host)
			took := time.Since(start)
			if release != nil || err != tt.want {
				t.Errorf("Acquire = %v, %v; want no slot and %v", release != nil, err, tt.want)
			}
			if took > time.Second {
				t.Errorf("Acquire took %s to give up after 300 ms at most", took)
			}
			if n := heldConns(stores[1]); n != 0 {
				t.Errorf("%d slot connections held after giving up", n)
			}
			if n := slotLocks(t, dsn); n != 2 {
				t.Errorf("%d host slots held after giving up, want the holder's 2", n)
			}
		})
	}

	for _, release := range releases {
		release()
	}
	if n := heldConns(stores[0]); n != 0 {
		t.Errorf("%d slot connections held after the releases", n)
	}
	if n := slotLocks(t, dsn); n != 0 {
		t.Errorf("%d host slots still held", n)
	}
	// Free again: the waiter takes both at once.
	for range 2 {
		release, err := waiter.Acquire(t.Context(), host)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
}

// TestHostSlotsSQLite: a SQLite store has no host slots, and a nil
// HostSlots limits nothing.
func TestHostSlotsSQLite(t *testing.T) {
	s := sqliteEngine.open(t)
	slots := s.HostSlots(2, 8)
	if slots != nil {
		t.Fatalf("HostSlots on SQLite = %v, want nil", slots)
	}
	release, err := slots.Acquire(t.Context(), "feeds.example:443")
	if err != nil {
		t.Fatal(err)
	}
	release()
}
