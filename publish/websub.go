package publish

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Pinger tells a WebSub hub (https://www.w3.org/TR/websub/) which feeds
// changed, so that it can push them to subscribers. Notify never blocks;
// Run sends, and retries failed pings with exponential backoff.
type Pinger struct {
	Hub        string        // the hub's URL
	Client     *http.Client  // nil: http.DefaultClient
	Log        *slog.Logger  // failed pings; nil: none logged
	MinBackoff time.Duration // first wait after a failed ping; 0: 5s
	MaxBackoff time.Duration // longest wait; 0: 10m

	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
	once    sync.Once
}

func (p *Pinger) init() {
	p.once.Do(func() {
		p.pending = map[string]bool{}
		p.wake = make(chan struct{}, 1)
	})
}

// Notify queues the feeds at these URLs for the next ping.
func (p *Pinger) Notify(urls []string) {
	p.init()
	if len(urls) == 0 {
		return
	}
	p.mu.Lock()
	for _, u := range urls {
		p.pending[u] = true
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run pings the hub for queued feeds until ctx is done.
func (p *Pinger) Run(ctx context.Context) error {
	p.init()
	minWait, maxWait := p.MinBackoff, p.MaxBackoff
	if minWait <= 0 {
		minWait = 5 * time.Second
	}
	if maxWait <= 0 {
		maxWait = 10 * time.Minute
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wait := minWait
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.wake:
		}
		p.mu.Lock()
		urls := make([]string, 0, len(p.pending))
		for u := range p.pending {
			urls = append(urls, u)
		}
		clear(p.pending)
		p.mu.Unlock()
		slices.Sort(urls)

		var failed []string
		for _, u := range urls {
			if err := p.ping(ctx, u); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Warn("websub ping failed; will retry", "hub", p.Hub, "feed", u, "err", err, "retry_in", wait)
				failed = append(failed, u)
			}
		}
		if len(failed) == 0 {
			wait = minWait
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
		p.Notify(failed)
	}
}

// ping tells the hub that the feed at feedURL changed.
func (p *Pinger) ping(ctx context.Context, feedURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {feedURL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := p.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	return nil
}

// ChangedFeeds returns the absolute URLs of the feeds (Atom, RSS, JSON) that
// differ between two sites, or that are new in next.
func ChangedFeeds(prev, next *Site, base *url.URL) []string {
	var out []string
	for name, f := range next.Files {
		if !isFeedFile(name) {
			continue
		}
		if prev != nil {
			if old, ok := prev.Files[name]; ok && old.ETag == f.ETag {
				continue
			}
		}
		out = append(out, base.JoinPath(name).String())
	}
	slices.Sort(out)
	return out
}

func isFeedFile(name string) bool {
	for _, ext := range []string{".atom", ".rss", ".json"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
