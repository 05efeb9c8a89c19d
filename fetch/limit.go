package fetch

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/sync/semaphore"
)

// HostLimit bounds simultaneous fetches to one host beyond one Client: the
// per-host limit of a fleet of instances that share it (see Client.HostLimit).
// host is the key the Client limits the host under: lower-case host:port.
// Acquire waits for a slot for host, or until ctx is done, when it returns
// ctx's error; on success the caller calls release exactly once. It must be
// safe for concurrent use.
type HostLimit interface {
	Acquire(ctx context.Context, host string) (release func(), err error)
}

// limiter bounds simultaneous fetches: perHost at once to one host, global
// at once in all. A fetch takes its host's slot before a global one, so that
// fetches queued behind a slow host hold no global slot and do not hold up
// other hosts.
type limiter struct {
	global  chan struct{}
	perHost int

	mu    sync.Mutex
	hosts map[string]*hostSlots // hosts with a fetch running or waiting
}

type hostSlots struct {
	sem  chan struct{}
	refs int // fetches running or waiting; the entry goes when it drops to 0
}

func newLimiter(global, perHost int) *limiter {
	return &limiter{
		global:  make(chan struct{}, global),
		perHost: perHost,
		hosts:   make(map[string]*hostSlots),
	}
}

// acquire waits for a slot for host, then one of fleet for host (unless
// fleet is nil), then a global slot, or until ctx is done. On success the
// caller must call release exactly once.
//
// The fleet's slot comes between the two local ones. Before the global
// slot, because a host may be busy with the fetches of other instances for
// long: waiting for it with a global slot held would hold up this
// instance's fetches of every other host. After the host's local slot, so
// that at most perHost fetches of this Client ask the fleet for one host.
// The price is that a fetch may hold a fleet slot while it waits for a
// global one, keeping it from the other instances meanwhile; that wait
// ends as soon as one of this Client's running fetches does.
func (l *limiter) acquire(ctx context.Context, host string, fleet HostLimit) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := l.ref(host)
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		l.unref(host, h)
		return nil, ctx.Err()
	}
	releaseFleet := noRelease
	if fleet != nil {
		if releaseFleet, err = fleet.Acquire(ctx, host); err != nil {
			<-h.sem
			l.unref(host, h)
			return nil, err
		}
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		releaseFleet()
		<-h.sem
		l.unref(host, h)
		return nil, ctx.Err()
	}
	return func() {
		<-l.global
		releaseFleet()
		<-h.sem
		l.unref(host, h)
	}, nil
}

// noRelease is the release of a slot not taken.
func noRelease() {}

func (l *limiter) ref(host string) *hostSlots {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlots{sem: make(chan struct{}, l.perHost)}
		l.hosts[host] = h
	}
	h.refs++
	return h
}

func (l *limiter) unref(host string, h *hostSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h.refs--
	if h.refs == 0 {
		delete(l.hosts, host)
	}
}

// refs is how many fetches to host are running or waiting (for tests).
func (l *limiter) refs(host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hosts[host]; h != nil {
		return h.refs
	}
	return 0
}

// hostKey is the key a URL's host is limited under: lower-case host:port,
// with the scheme's default port when the URL names none.
func hostKey(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(host, port)
}

// budget bounds the bytes of feed bodies read or held to be parsed at once.
type budget struct {
	size int64
	sem  *semaphore.Weighted
}

func newBudget(size int64) *budget {
	return &budget{size: size, sem: semaphore.NewWeighted(size)}
}

// acquire waits until n bytes of the budget are free and takes them, or
// until ctx is done. An n larger than the budget takes all of it, so that a
// body larger than the budget is parsed alone rather than never. Waiters
// are served in the order they came: a large body is not passed over by
// smaller ones. On success the caller must release the share.
func (b *budget) acquire(ctx context.Context, n int64) (*share, error) {
	s := b.share()
	if err := s.grow(ctx, n); err != nil {
		return nil, err
	}
	return s, nil
}

// share returns an empty share of the budget, to grow.
func (b *budget) share() *share { return &share{b: b} }

// share is the bytes a fetch holds of a budget.
type share struct {
	b *budget
	n int64
}

// tryGrow grows the share to n bytes, all of the budget at most, if the
// budget has room now and nobody waits for it; it reports whether it did.
func (s *share) tryGrow(n int64) bool {
	n = min(n, s.b.size)
	if n <= s.n {
		return true
	}
	if !s.b.sem.TryAcquire(n - s.n) {
		return false
	}
	s.n = n
	return true
}

// grow grows the share to n bytes, all of the budget at most, waiting for
// room or until ctx is done. A share that must wait is given back first,
// so that shares never wait for one another; it holds nothing if grow
// fails.
func (s *share) grow(ctx context.Context, n int64) error {
	if s.tryGrow(n) {
		return nil
	}
	s.release()
	n = min(n, s.b.size)
	if err := s.b.sem.Acquire(ctx, n); err != nil {
		return err
	}
	s.n = n
	return nil
}

// shrinkTo gives back what the share holds beyond n bytes.
func (s *share) shrinkTo(n int64) {
	if n = max(n, 0); n < s.n {
		s.b.sem.Release(s.n - n)
		s.n = n
	}
}

// release gives the share back; a second call, or one on a nil share (a
// response that holds none), does nothing.
func (s *share) release() {
	if s == nil {
		return
	}
	s.b.sem.Release(s.n)
	s.n = 0
}
