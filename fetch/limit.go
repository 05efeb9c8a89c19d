package fetch

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
)

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

// acquire waits for a slot for host and a global slot, or until ctx is done.
// On success the caller must call release exactly once.
func (l *limiter) acquire(ctx context.Context, host string) (release func(), err error) {
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
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		<-h.sem
		l.unref(host, h)
		return nil, ctx.Err()
	}
	return func() {
		<-l.global
		<-h.sem
		l.unref(host, h)
	}, nil
}

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
