// Package fetch gets feed documents over HTTP(S) or from file:// URLs and
// parses them (RSS, Atom, JSON Feed) into normalised aggregator items.
package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"aggregator"
)

const (
	// DefaultTimeout bounds one Fetch: connecting, waiting, and reading the body.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodySize caps a feed body, in bytes, counted after decompression.
	DefaultMaxBodySize = 10 << 20
)

// ErrTooLarge is returned (wrapped) when a feed body is larger than the
// client's MaxBodySize.
var ErrTooLarge = errors.New("feed body exceeds the size limit")

// ErrUnsupportedScheme is returned (wrapped) for a feed URL that is neither
// http(s):// nor file://.
var ErrUnsupportedScheme = errors.New("unsupported url scheme")

// acceptHeader lists the feed media types first.
const acceptHeader = "application/atom+xml, application/rss+xml, application/feed+json, " +
	"application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// HTTPError is a non-2xx, non-304 answer.
type HTTPError struct {
	URL        string
	StatusCode int
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date), 0 if absent
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("fetch %s: http status %d", e.URL, e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		msg += " " + text
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Client fetches feeds. Its fields are read-only once it is in use, and one
// Client is safe for concurrent use by many goroutines: share it, so that all
// fetches share one connection pool.
type Client struct {
	HTTP        *http.Client  // shared; nil means http.DefaultClient
	UserAgent   string        // sent on every request
	MaxBodySize int64         // 0 → DefaultMaxBodySize
	Timeout     time.Duration // per Fetch; 0 → DefaultTimeout
}

// NewClient returns a Client whose http.Client uses a Transport tuned for
// polling many feed servers.
func NewClient(userAgent string) *Client {
	return &Client{
		HTTP:        &http.Client{Transport: newTransport()},
		UserAgent:   userAgent,
		MaxBodySize: DefaultMaxBodySize,
		Timeout:     DefaultTimeout,
	}
}

// newTransport builds the one Transport a Client shares across fetches. It
// asks for gzip itself (no Accept-Encoding is set on requests), so bodies
// arrive decompressed and the size cap counts decompressed bytes.
func newTransport() *http.Transport {
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
	}
}

// Result of one fetch.
type Result struct {
	NotModified  bool   // 304, nothing else set except validators
	ETag         string // validators to send next time
	LastModified string
	Title        string // the feed's own title (plain text)
	SiteURL      string // the feed's home page link, absolute
	AtomID       string // atom:id of the feed if Atom, else ""
	Items        []aggregator.Item
}

// Fetch gets and parses one feed. feedURL is http(s):// or file:// (absolute
// path). state carries the validators from the last fetch (ETag,
// LastModified) for a conditional GET.
func (c *Client) Fetch(ctx context.Context, feedURL string, state aggregator.FeedState) (*Result, error) {
	u, err := url.Parse(feedURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return c.fetchHTTP(ctx, feedURL, state)
	case "file":
		return c.fetchFile(ctx, u)
	}
	return nil, fmt.Errorf("fetch %s: %w %q", feedURL, ErrUnsupportedScheme, u.Scheme)
}

func (c *Client) fetchHTTP(ctx context.Context, feedURL string, state aggregator.FeedState) (*Result, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	req.Header.Set("User-Agent", c.UserAgent)
	req.Header.Set("Accept", acceptHeader)
	if state.ETag != "" {
		req.Header.Set("If-None-Match", state.ETag)
	}
	if state.LastModified != "" {
		req.Header.Set("If-Modified-Since", state.LastModified)
	}

	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// A *url.Error repeats the method and URL that this message names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		res := &Result{
			NotModified:  true,
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
		}
		if res.ETag == "" {
			res.ETag = state.ETag
		}
		if res.LastModified == "" {
			res.LastModified = state.LastModified
		}
		return res, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &HTTPError{
			URL:        feedURL,
			StatusCode: resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}

	limit := c.maxBodySize()
	if resp.ContentLength > limit { // -1 when unknown or decompressed
		return nil, fmt.Errorf("fetch %s: %w (content-length %d > %d)", feedURL, ErrTooLarge, resp.ContentLength, limit)
	}
	body, err := readLimited(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}

	// Relative links resolve against where the document really came from,
	// after redirects.
	base := feedURL
	if resp.Request != nil && resp.Request.URL != nil {
		base = resp.Request.URL.String()
	}
	res, err := Parse(bytes.NewReader(body), base)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	res.ETag = resp.Header.Get("ETag")
	res.LastModified = resp.Header.Get("Last-Modified")
	return res, nil
}

func (c *Client) fetchFile(ctx context.Context, u *url.URL) (*Result, error) {
	feedURL := u.String()
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("fetch %s: file url with remote host %q", feedURL, u.Host)
	}
	if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, fmt.Errorf("fetch %s: file url path is not absolute", feedURL)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	defer f.Close()
	body, err := readLimited(f, c.maxBodySize())
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	res, err := Parse(bytes.NewReader(body), feedURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", feedURL, err)
	}
	return res, nil
}

func (c *Client) maxBodySize() int64 {
	if c.MaxBodySize <= 0 {
		return DefaultMaxBodySize
	}
	return c.MaxBodySize
}

// readLimited reads all of r, failing with ErrTooLarge past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, limit)
	}
	return body, nil
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
// It returns 0 when the header is absent, malformed, or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
