package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeFleet is a HostLimit of perHost slots per host, in memory: what the
// Clients of a fleet would share.
type fakeFleet struct {
	perHost int
	err     error // when set, every Acquire fails with it

	mu    sync.Mutex
	hosts map[string]chan struct{}
	asked map[string]int // Acquire calls per host
}

func newFakeFleet(perHost int) *fakeFleet {
	return &fakeFleet{perHost: perHost, hosts: map[string]chan struct{}{}, asked: map[string]int{}}
}

func (f *fakeFleet) sem(host string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked[host]++
	if f.hosts[host] == nil {
		f.hosts[host] = make(chan struct{}, f.perHost)
	}
	return f.hosts[host]
}

func (f *fakeFleet) Acquire(ctx context.Context, host string) (func(), error) {
	if f.err != nil {
		return nil, f.err
	}
	sem := f.sem(host)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once atomic.Bool
	return func() {
		if !once.CompareAndSwap(false, true) {
			panic("fleet slot released twice")
		}
		<-sem
	}, nil
}

// held is how many slots of host are held.
func (f *fakeFleet) held(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.hosts[host])
}

// limiterIdle fails t unless c's limiter holds nothing.
func limiterIdle(t *testing.T, c *Client) {
	t.Helper()
	c.limits.mu.Lock()
	defer c.limits.mu.Unlock()
	if len(c.limits.hosts) != 0 || len(c.limits.global) != 0 {
		t.Errorf("limiter not released: %d hosts, %d global slots held", len(c.limits.hosts), len(c.limits.global))
	}
}

// TestFetchHostLimit: two Clients of PerHost 2 sharing a HostLimit of one
// slot per host fetch one host one at a time, all of them; the HostLimit
// is asked for the host's key, host:port, once per fetch, and every slot is
// given back.
func TestFetchHostLimit(t *testing.T) {
	const fetches = 20
	var inFlight, maxInFlight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		time.Sleep(10 * time.Millisecond)
		inFlight.Add(-1)
		w.Write(rssDoc("Busy", 1))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	key := hostKey(u)

	fleet := newFakeFleet(1)
	clients := []*Client{newTestClient(), newTestClient()}
	for _, c := range clients {
		c.PerHost = 2
		c.HostLimit = fleet
	}
	var wg sync.WaitGroup
	for i := range fetches {
		c := clients[i%len(clients)]
		wg.Go(func() {
			if _, err := c.Fetch(t.Context(), Request{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := maxInFlight.Load(); got != 1 {
		t.Errorf("max in flight = %d, want 1 (the fleet's limit)", got)
	}
	fleet.mu.Lock()
	asked := fleet.asked
	fleet.mu.Unlock()
	if len(asked) != 1 || asked[key] != fetches {
		t.Errorf("fleet asked %v, want %d times for %q", asked, fetches, key)
	}
	if n := fleet.held(key); n != 0 {
		t.Errorf("%d fleet slots still held", n)
	}
	for _, c := range clients {
		limiterIdle(t, c)
	}
}

// TestFetchWaitForHostLimitHoldsNoGlobalSlot: with one slot in all, a fetch
// waiting for a host that the rest of the fleet keeps busy holds no global
// slot: a fetch to another host goes through meanwhile.
func TestFetchWaitForHostLimitHoldsNoGlobalSlot(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(rssDoc("Feed", 1)) })
	busy, other := httptest.NewServer(handler), httptest.NewServer(handler)
	defer busy.Close()
	defer other.Close()
	busyURL, _ := url.Parse(busy.URL)

	fleet := newFakeFleet(1)
	elsewhere, err := fleet.Acquire(t.Context(), hostKey(busyURL)) // another instance's fetch
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient()
	c.Concurrency = 1
	c.HostLimit = fleet
	waiting := make(chan error, 1)
	go func() {
		_, err := c.Fetch(t.Context(), Request{URL: busy.URL})
		waiting <- err
	}()
	waitUntil(t, "the fetch waits for the busy host", func() bool {
		fleet.mu.Lock()
		defer fleet.mu.Unlock()
		return fleet.asked[hostKey(busyURL)] == 2
	})

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Fetch(ctx, Request{URL: other.URL}); err != nil {
		t.Fatalf("fetch to another host while one is busy in the fleet: %v", err)
	}
	select {
	case err := <-waiting:
		t.Fatalf("the fetch to the busy host ended (%v) while the fleet held its slot", err)
	default:
	}
	elsewhere()
	if err := <-waiting; err != nil {
		t.Fatal(err)
	}
	limiterIdle(t, c)
}

// TestFetchHostLimitFails: a HostLimit that fails fails the fetch, which
// says so and gives its local slots back.
func TestFetchHostLimitFails(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write(rssDoc("Feed", 1))
	}))
	defer srv.Close()
	c := newTestClient()
	fleet := newFakeFleet(1)
	fleet.err = errors.New("host slots: connection refused")
	c.HostLimit = fleet
	_, err := c.Fetch(t.Context(), Request{URL: srv.URL})
	if !errors.Is(err, fleet.err) || !strings.Contains(err.Error(), "wait for a slot") {
		t.Errorf("err = %v, want the fleet's error while waiting for a slot", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server without a fleet slot", n)
	}
	limiterIdle(t, c)
}

// TestFetchCancelWhileWaitingWithHostLimit: a fetch holding its fleet slot
// while it waits for a global one gives the fleet slot back when its
// context ends.
func TestFetchCancelWhileWaitingWithHostLimit(t *testing.T) {
	slow, arrived, release := blockingServer(t)
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	otherURL, _ := url.Parse(other.URL)

	fleet := newFakeFleet(2)
	c := newTestClient()
	c.Concurrency = 1
	c.HostLimit = fleet
	holder := make(chan error, 1)
	go func() {
		_, err := c.Fetch(t.Context(), Request{URL: slow.URL})
		holder <- err
	}()
	<-arrived

	ctx, cancel := context.WithCancel(t.Context())
	waiter := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, Request{URL: other.URL})
		waiter <- err
	}()
	waitUntil(t, "the second fetch holds its fleet slot", func() bool { return fleet.held(hostKey(otherURL)) == 1 })
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting fetch: err = %v, want context.Canceled", err)
	}
	if n := fleet.held(hostKey(otherURL)); n != 0 {
		t.Errorf("%d fleet slots held after the cancel, want 0", n)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Error(err)
	}
	limiterIdle(t, c)
}
