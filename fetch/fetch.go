// Package fetch gets feed documents over HTTP(S) or from file:// URLs and
// parses them (RSS, Atom, JSON Feed) into normalised aggregator items. It is
// polite: conditional GETs, a body hash for servers without validators, HTTP
// caching headers, the feed's own <ttl>, skipHours and skipDays, Retry-After,
// and limits on simultaneous fetches overall and per host. Policy turns the
// outcome of a fetch into the feed's next state.
package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"aggregator"
)

const (
	// DefaultTimeout bounds one HTTP exchange: connecting, waiting, and
	// reading the body. Waiting for a concurrency slot does not count.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodySize caps a feed body, in bytes, counted after decompression.
	DefaultMaxBodySize = 10 << 20
	// DefaultConcurrency is how many HTTP fetches a Client runs at once, all
	// hosts together.
	DefaultConcurrency = 8
	// DefaultPerHost is how many HTTP fetches a Client runs at once to one host.
	DefaultPerHost = 2
	// DefaultMaxParseMemory bounds the bytes of feed bodies a Client has
	// read and not yet parsed, all fetches together: two bodies of
	// DefaultMaxBodySize. Parsing takes several times a body's size in
	// memory.
	DefaultMaxParseMemory = 2 * DefaultMaxBodySize
	// DefaultMaxWait caps any wait that a server or a feed asks for.
	DefaultMaxWait = 24 * time.Hour
	// DefaultBackoffBase is the backoff after the first failure.
	DefaultBackoffBase = 15 * time.Minute
	// DefaultBackoffMax caps the backoff after repeated failures.
	DefaultBackoffMax = 24 * time.Hour
)

// maxRedirects is how many redirect hops one fetch follows.
const maxRedirects = 10

// ErrTooLarge is returned (wrapped) when a feed body is larger than the
// client's MaxBodySize.
var ErrTooLarge = errors.New("feed body exceeds the size limit")

// ErrUnsupportedScheme is returned (wrapped) for a feed URL that is neither
// http(s):// nor file://.
var ErrUnsupportedScheme = errors.New("unsupported url scheme")

// ErrNotRegularFile is returned (wrapped) for a file:// feed that is not a
// regular file: a named pipe, whose opening or reading would wait for a
// writer, a device, a directory.
var ErrNotRegularFile = errors.New("not a regular file")

// ErrTooManyRedirects is returned (wrapped) when a fetch would follow more
// than 10 redirects, a redirect loop for instance.
var ErrTooManyRedirects = errors.New("too many redirects")

// ErrRedirectScheme is returned (wrapped) when a server redirects to a URL
// that is not http(s).
var ErrRedirectScheme = errors.New("redirect to a non-http(s) url")

// acceptHeader lists the feed media types first.
const acceptHeader = "application/atom+xml, application/rss+xml, application/feed+json, " +
	"application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// HTTPError is a non-2xx, non-304 answer.
type HTTPError struct {
	URL        string // the URL fetched, as aggregator.PublicURL shows it
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

// Client fetches feeds. Its exported fields are read-only once it is in use,
// and one Client is safe for concurrent use by many goroutines: share it, so
// that all fetches share one connection pool and one set of limits. A Client
// must not be copied after first use.
type Client struct {
	HTTP        *http.Client     // shared; nil means http.DefaultClient
	UserAgent   string           // sent on every request unless Request.Header overrides it
	MaxBodySize int64            // 0 → DefaultMaxBodySize
	MaxItems    int              // items kept per document, the newest (see Parse); 0 → DefaultMaxItems
	Timeout     time.Duration    // per fetch unless Request.Timeout > 0; 0 → DefaultTimeout
	Concurrency int              // 0 → DefaultConcurrency; limits simultaneous HTTP fetches overall
	PerHost     int              // 0 → DefaultPerHost; limits simultaneous HTTP fetches per host (case-insensitive host:port)
	Now         func() time.Time // nil → time.Now; used for Expires/Date and Retry-After dates

	// MaxParseMemory bounds the bytes of feed bodies read and not yet
	// parsed, all fetches together (see Fetch); 0 → DefaultMaxParseMemory.
	MaxParseMemory int64

	// HostLimit, when not nil, is a limit per host shared with other
	// Clients, those of other instances on one store for instance
	// (store.HostSlots): an HTTP fetch holds one of its slots for the URL's
	// host besides its own PerHost and Concurrency slots (see Fetch). nil:
	// PerHost holds for this Client alone.
	HostLimit HostLimit

	// AllowPrivate lets fetches connect to loopback, private, link-local,
	// CGNAT, unspecified, multicast and cloud metadata addresses, which are
	// otherwise refused (after DNS resolution, on every redirect hop). It is
	// enforced by the Transport NewClient builds; a Client whose HTTP is
	// set otherwise gets no such check.
	AllowPrivate bool

	limitsOnce sync.Once
	limits     *limiter // built from Concurrency and PerHost on first use
	budgetOnce sync.Once
	budget     *budget // built from MaxParseMemory on first use

	// For tests.
	openFile  func(path string) (*os.File, error)                                        // nil: os.OpenFile, not waiting for a pipe's writer
	parseBody func(body []byte, contentType, base string, maxItems int) (*Result, error) // nil: parse
}

// NewClient returns a Client whose http.Client uses a Transport tuned for
// polling many feed servers.
func NewClient(userAgent string) *Client {
	c := &Client{
		UserAgent:      userAgent,
		MaxBodySize:    DefaultMaxBodySize,
		Timeout:        DefaultTimeout,
		Concurrency:    DefaultConcurrency,
		PerHost:        DefaultPerHost,
		MaxParseMemory: DefaultMaxParseMemory,
	}
	// The Transport reads AllowPrivate at each dial, so it may be set
	// after NewClient (before first use, like every field).
	c.HTTP = &http.Client{Transport: newTransport(func() bool { return c.AllowPrivate })}
	return c
}

// newTransport builds the one Transport a Client shares across fetches. It
// asks for gzip itself (no Accept-Encoding is set on requests), so bodies
// arrive decompressed and the size cap counts decompressed bytes. Dialling
// and the TLS handshake have their own timeouts; the wait for the response
// headers has none, so that each fetch's timeout (Request.Timeout, else
// Client.Timeout), however long, is what bounds it. Unless allowPrivate
// reports true, it refuses to connect to non-public addresses (see
// ssrf.go), except to the proxy from the environment that a request of
// Client.Fetch goes through.
func newTransport(allowPrivate func() bool) *http.Transport {
	dialer := newGuardedDialer(&net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}, http.ProxyFromEnvironment, allowPrivate)
	return &http.Transport{
		Proxy:                 dialer.Proxy,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
	}
}

// Request is one fetch of one feed.
type Request struct {
	URL      string               // http(s):// or file://
	State    aggregator.FeedState // ETag, LastModified, BodyHash from the last fetch
	Header   http.Header          // extra request headers from the config; never logged
	Username string               // HTTP basic auth when non-empty
	Password string               // never logged
	Timeout  time.Duration        // > 0 overrides Client.Timeout
}

// Result of one fetch.
type Result struct {
	StatusCode   int    // of the final response (200, 304…); 0 for file://
	NotModified  bool   // 304: not parsed
	Unchanged    bool   // no ETag and no Last-Modified, and the body hash equals State.BodyHash: not parsed
	ETag         string // validators to send next time (on a 304 that omits them, the old ones)
	LastModified string
	BodyHash     string        // hex SHA-256 of the body, set whenever a body was read (200 or file)
	MovedTo      string        // final URL when every redirect hop was permanent (301 or 308); "" otherwise
	Freshness    time.Duration // from Cache-Control max-age, else Expires minus Date; never negative

	// From the document, only when it was parsed.
	TTL       time.Duration  // RSS <ttl>, or sy:updatePeriod / sy:updateFrequency; the larger if both
	SkipHours []int          // RSS <skipHours>: 0–23, sorted, deduplicated
	SkipDays  []time.Weekday // RSS <skipDays>: sorted, deduplicated
	Title     string         // the feed's own title (plain text)
	SiteURL   string         // the feed's home page link, absolute
	AtomID    string         // atom:id of the feed if Atom, else ""
	Language  string         // the language the feed declares, lower-case ("en-gb"); "" if none
	// Items, newest kept (see Parse). Titles and authors are plain text;
	// Summary and Content are the feed's HTML as given (valid UTF-8,
	// trimmed): Sanitize them before they are stored or published.
	Items []aggregator.Item

	base *url.URL // what relative links in the items resolve against
}

// Fetch gets and, unless it is unchanged, parses one feed.
//
// For http(s), Fetch first waits for a slot for the URL's host, then for
// one of Client.HostLimit if set, then for a global one (see
// Client.Concurrency and PerHost); only ctx bounds that wait, and a
// HostLimit that fails fails the fetch. The timeout (Request.Timeout, else
// Client.Timeout) starts once the slots are held and covers the HTTP
// exchange and the reading of the body.
// A 2xx body holds its share of Client.MaxParseMemory, its size (all of the
// budget for a body larger than that, which so is parsed alone), from
// before it is read until it is parsed: the whole of its Content-Length at
// once, else growing as it is read. The fetch holds its slots while it
// waits for room, and the timeout stops meanwhile; the slots are released
// before parsing. Redirects are followed (at most 10, to http(s) only);
// relative links resolve against the final URL as aggregator.PublicURL
// shows it, without a user name and password. Extra headers (except
// Accept-Encoding, which would defeat transparent decompression and so the
// size cap) and basic auth are sent; both are dropped on a redirect to
// another host (other than a subdomain) or from https to http. No Referer
// is sent, on a redirect either, unless Request.Header sets one.
//
// A document that is no feed fails with a *NotFeedError that says what it
// is and, for a web page, which feeds it links, else which one answers at
// a common path (see discover.go).
//
// file:// URLs ignore the slots and the validators; the body hash applies
// to them as to a 200 without validators. The timeout covers opening and
// reading the file, which must be a regular file (else ErrNotRegularFile):
// a file on a hung mount fails when it runs out, as does a fetch whose ctx
// ends, though the system call itself may still wait. A file waits for its
// share of MaxParseMemory, by its size, between opening and reading; the
// timeout stops meanwhile.
func (c *Client) Fetch(ctx context.Context, req Request) (*Result, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		// A *url.Error repeats the URL, and its cause may quote a part
		// of it: either may hold a password.
		if strings.Contains(req.URL, "@") {
			return nil, fmt.Errorf("fetch %s: invalid url", aggregator.PublicURL(req.URL))
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetch %s: %w", aggregator.PublicURL(req.URL), err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return c.fetchHTTP(ctx, u, req)
	case "file":
		return c.fetchFile(ctx, u, req)
	}
	return nil, fmt.Errorf("fetch %s: %w %q", aggregator.PublicURL(req.URL), ErrUnsupportedScheme, u.Scheme)
}

// response is what fetchHTTP keeps of an HTTP response once the connection
// and the slots are released.
type response struct {
	status    int
	header    http.Header
	body      []byte // nil unless 2xx
	share     *share // of the parse budget, held for body; nil unless 2xx
	finalURL  string
	permanent bool // at least one redirect, and every one was 301 or 308
}

func (c *Client) fetchHTTP(ctx context.Context, u *url.URL, req Request) (*Result, error) {
	name := aggregator.PublicURL(u.String())
	resp, err := c.exchange(ctx, u, req)
	if err != nil {
		return nil, err
	}

	now := c.now()
	switch {
	case resp.status == http.StatusNotModified:
		res := &Result{
			StatusCode:   resp.status,
			NotModified:  true,
			ETag:         resp.header.Get("ETag"),
			LastModified: resp.header.Get("Last-Modified"),
			Freshness:    freshness(resp.header, now),
		}
		if res.ETag == "" {
			res.ETag = req.State.ETag
		}
		if res.LastModified == "" {
			res.LastModified = req.State.LastModified
		}
		if resp.permanent {
			res.MovedTo = movedTo(u, resp.finalURL)
		}
		return res, nil
	case resp.status < 200 || resp.status > 299:
		return nil, &HTTPError{
			URL:        name,
			StatusCode: resp.status,
			RetryAfter: parseRetryAfter(resp.header.Get("Retry-After"), dateOr(resp.header, now)),
		}
	}

	etag, lastMod := resp.header.Get("ETag"), resp.header.Get("Last-Modified")
	hash, unchanged := hashBody(resp.body, req.State.BodyHash, etag == "" && lastMod == "")
	res := &Result{Unchanged: true, BodyHash: hash}
	if !unchanged {
		// Relative links resolve against the public URL: against the URL
		// itself, they would carry its user name and password.
		res, err = c.parse(resp.body, hash, resp.header.Get("Content-Type"), aggregator.PublicURL(resp.finalURL))
	}
	resp.share.release()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, c.lookForFeed(ctx, u, req, resp.finalURL, err))
	}
	res.StatusCode = resp.status
	res.ETag = etag
	res.LastModified = lastMod
	res.Freshness = freshness(resp.header, now)
	if resp.permanent {
		res.MovedTo = movedTo(u, resp.finalURL)
	}
	return res, nil
}

// exchange is roundTrip once u's host and the Client have a slot for it:
// the slots are held until the body is read.
func (c *Client) exchange(ctx context.Context, u *url.URL, req Request) (*response, error) {
	name := aggregator.PublicURL(u.String())
	release, err := c.limiter().acquire(ctx, hostKey(u), c.HostLimit)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: wait for a slot: %w", name, err)
	}
	defer release()
	resp, err := c.roundTrip(ctx, u, req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	return resp, nil
}

// roundTrip does the HTTP exchange of one fetch under its timeout and reads
// the body of a 2xx answer once it has the body's share of the parse
// budget, which the caller releases. The wait for that share does not count
// against the timeout.
func (c *Client) roundTrip(ctx context.Context, u *url.URL, req Request) (*response, error) {
	clock := startClock(ctx, c.timeout(req))
	defer clock.stop()
	ctx = withProxyRoute(clock.ctx) // see guardedDialer

	hreq, extra, err := c.newRequest(ctx, u, req)
	if err != nil {
		return nil, err
	}

	// A shallow copy of the shared client: same Transport, own redirect
	// policy, which records the kind of every hop.
	hc := *c.httpClient()
	hops := &redirects{extra: extra, permanent: true}
	hc.CheckRedirect = hops.check

	resp, err := hc.Do(hreq)
	if err != nil {
		// A *url.Error repeats the method and the URL, which the caller names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, clock.explain(err)
	}
	defer resp.Body.Close()

	out := &response{
		status:   resp.StatusCode,
		header:   resp.Header,
		finalURL: u.String(),
	}
	if resp.Request != nil && resp.Request.URL != nil {
		out.finalURL = resp.Request.URL.String()
		out.permanent = hops.permanent && resp.Request.Response != nil
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		// No body to read: a 304 is never parsed.
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return out, nil
	}

	limit := c.maxBodySize()
	if resp.ContentLength > limit { // -1 when unknown or decompressed
		return nil, fmt.Errorf("%w (content-length %d > %d)", ErrTooLarge, resp.ContentLength, limit)
	}
	if out.body, out.share, err = c.readBody(clock, resp.Body, resp.ContentLength, limit); err != nil {
		return nil, clock.explain(err)
	}
	return out, nil
}

// newRequest builds the GET of one fetch of u: User-Agent, Accept and the
// conditional headers from req.State, then req's headers, which replace any
// of those, and its basic auth. An Accept-Encoding in req.Header is left
// out: it would defeat transparent decompression. extra lists the canonical
// names of the headers req set.
func (c *Client) newRequest(ctx context.Context, u *url.URL, req Request) (hreq *http.Request, extra []string, err error) {
	hreq, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	hreq.Header.Set("User-Agent", c.UserAgent)
	hreq.Header.Set("Accept", acceptHeader)
	if req.State.ETag != "" {
		hreq.Header.Set("If-None-Match", req.State.ETag)
	}
	if req.State.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.State.LastModified)
	}
	for k, vs := range req.Header {
		k = http.CanonicalHeaderKey(k)
		if k == "Accept-Encoding" {
			continue
		}
		hreq.Header.Del(k)
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
		extra = append(extra, k)
	}
	if req.Username != "" {
		hreq.SetBasicAuth(req.Username, req.Password)
		extra = append(extra, "Authorization")
	}
	return hreq, extra, nil
}

// redirects is the redirect policy of one fetch: it stops at more than
// maxRedirects hops or at a scheme other than http(s), sends no Referer,
// and drops the configured headers (extra, but User-Agent and Accept) on a
// hop to where credentials are not kept (see keepCredentials).
type redirects struct {
	extra     []string // canonical names of the configured headers
	permanent bool     // every hop so far was 301 or 308
}

// check is the policy as an http.Client's CheckRedirect.
func (r *redirects) check(next *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, maxRedirects)
	}
	if s := next.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: %s", ErrRedirectScheme, aggregator.PublicURL(next.URL.String()))
	}
	if resp := next.Response; resp == nil || (resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusPermanentRedirect) {
		r.permanent = false
	}
	// http.Client names the URL redirected from, query and all, in
	// a Referer before it asks: a feed's URL is nobody's business.
	if !slices.Contains(r.extra, "Referer") {
		next.Header.Del("Referer")
	}
	if !keepCredentials(via[0].URL, next.URL) {
		for _, k := range r.extra {
			if k != "User-Agent" && k != "Accept" {
				next.Header.Del(k)
			}
		}
	}
	return nil
}

// readChunk is how much of a body of unknown size is read at a time, and
// so how far its share of the parse budget runs ahead of it.
const readChunk = 16 << 10

// readBody reads a response body of size bytes (-1 if unknown), failing
// with ErrTooLarge past limit bytes, and returns it with its share of the
// parse budget, which the caller releases. A body of known size takes its
// share before it is read; one of unknown size (chunked, or decompressed by
// the Transport) grows its share as it is read, a chunk ahead, while the
// budget has room. The waits for the share do not count against clock.
func (c *Client) readBody(clock *clock, r io.Reader, size, limit int64) (_ []byte, _ *share, err error) {
	sh := c.parseBudget().share()
	defer func() {
		if err != nil {
			sh.release()
		}
	}()
	if size >= 0 {
		if err := c.growShare(clock, sh, size); err != nil {
			return nil, nil, err
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, nil, fmt.Errorf("read body: %w", err)
		}
		return body, sh, nil
	}
	var chunks [][]byte
	var n int64
	for {
		next := min(readChunk, limit+1-n)
		// Out of room, it waits for room for the largest body, holding
		// nothing meanwhile: bodies never wait for one another, and each
		// waits once at most.
		if !sh.tryGrow(n + next) {
			if err := c.growShare(clock, sh, limit+1); err != nil {
				return nil, nil, err
			}
		}
		chunk := make([]byte, next)
		k, err := io.ReadFull(r, chunk)
		chunks = append(chunks, chunk[:k])
		n += int64(k)
		if n > limit {
			return nil, nil, fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, limit)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read body: %w", err)
		}
	}
	sh.shrinkTo(n)
	return bytes.Join(chunks, nil), sh, nil
}

// growShare grows sh to n bytes of the parse budget, waiting for room with
// clock paused.
func (c *Client) growShare(clock *clock, sh *share, n int64) error {
	if sh.tryGrow(n) {
		return nil
	}
	clock.pause()
	defer clock.resume()
	if err := sh.grow(clock.ctx, n); err != nil {
		return fmt.Errorf("wait for parse memory: %w", err)
	}
	return nil
}

// clock is the timeout of one fetch: a context that ends once the fetch has
// run for its time, not counting the spans between pause and resume.
type clock struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	left   time.Duration // when paused
	since  time.Time     // of the last start
}

// startClock starts a clock of d under parent; stop releases it.
func startClock(parent context.Context, d time.Duration) *clock {
	ctx, cancel := context.WithCancelCause(parent)
	k := &clock{ctx: ctx, cancel: cancel, left: d, since: time.Now()}
	// The cause is what net/http reports, as with context.WithTimeout.
	k.timer = time.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return k
}

func (k *clock) pause() {
	if k.timer.Stop() {
		k.left -= time.Since(k.since)
	}
}

func (k *clock) resume() {
	if k.ctx.Err() == nil {
		k.since = time.Now()
		k.timer.Reset(k.left)
	}
}

func (k *clock) stop() {
	k.timer.Stop()
	k.cancel(nil)
}

// explain is err, of a step under the clock, saying that the time ran out
// when it did and err does not say so already.
func (k *clock) explain(err error) error {
	if cause := context.Cause(k.ctx); cause == context.DeadlineExceeded && !errors.Is(err, cause) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// keepCredentials reports whether configured headers and basic auth may
// follow a redirect from the first URL to next: same host or a subdomain of
// it, and no downgrade from https to http.
func keepCredentials(first, next *url.URL) bool {
	if strings.EqualFold(first.Scheme, "https") && !strings.EqualFold(next.Scheme, "https") {
		return false
	}
	from, to := strings.ToLower(first.Hostname()), strings.ToLower(next.Hostname())
	return to == from || strings.HasSuffix(to, "."+from)
}

// movedTo is the final URL of a permanent redirect chain, "" if it leads
// back to where it started.
func movedTo(u *url.URL, final string) string {
	if final == u.String() {
		return ""
	}
	return final
}

func (c *Client) fetchFile(ctx context.Context, u *url.URL, req Request) (*Result, error) {
	name := aggregator.PublicURL(u.String())
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("fetch %s: file url with remote host %q", name, u.Host)
	}
	if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, fmt.Errorf("fetch %s: file url path is not absolute", name)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	// The timeout covers opening and reading, not the wait for parse
	// memory between them.
	timeout := c.timeout(req)
	start := time.Now()
	openCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f, err := blocking(openCtx, func() (regularFile, error) { return c.openRegular(u.Path) }, regularFile.close)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, gaveUp(openCtx, "open", withoutPath(err), timeout))
	}
	opening := time.Since(start)
	limit := c.maxBodySize()
	if f.size > limit {
		f.close()
		return nil, fmt.Errorf("fetch %s: %w (%d bytes > %d)", name, ErrTooLarge, f.size, limit)
	}
	share, err := c.parseBudget().acquire(ctx, f.size)
	if err != nil {
		f.close()
		return nil, fmt.Errorf("fetch %s: wait for parse memory: %w", name, err)
	}
	defer share.release()
	readCtx, cancel := context.WithTimeout(ctx, timeout-opening)
	defer cancel()
	body, err := blocking(readCtx, func() ([]byte, error) {
		defer f.close()
		return readLimited(f.f, limit)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, gaveUp(readCtx, "read", withoutPath(err), timeout))
	}
	hash, unchanged := hashBody(body, req.State.BodyHash, true)
	if unchanged {
		return &Result{Unchanged: true, BodyHash: hash}, nil
	}
	res, err := c.parse(body, hash, "", u.String())
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	return res, nil
}

// regularFile is an open regular file and its size when it was opened.
type regularFile struct {
	f    *os.File
	size int64
}

func (r regularFile) close() { r.f.Close() }

// openRegular opens a file to read, failing with ErrNotRegularFile unless it
// is a regular file. It does not wait for a writer of a named pipe.
func (c *Client) openRegular(path string) (regularFile, error) {
	open := c.openFile
	if open == nil {
		open = func(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) }
	}
	f, err := open(path)
	if err != nil {
		return regularFile{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return regularFile{}, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return regularFile{}, fmt.Errorf("%w (%s); point the feed at a regular file", ErrNotRegularFile, fileKind(fi.Mode()))
	}
	return regularFile{f, fi.Size()}, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}

// blocking runs f on a goroutine of its own and returns what it returns,
// or ctx's error if ctx ends first. It is for system calls that no context
// can interrupt: opening or reading a file on a hung network mount blocks
// until the kernel gives up, if ever. The goroutine is then left to end
// when f returns, and discard (if not nil) is given what f returned without
// error.
func blocking[T any](ctx context.Context, f func() (T, error), discard func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	// Unbuffered: the result is either received or discarded, never both.
	ch := make(chan result)
	go func() {
		v, err := f()
		select {
		case ch <- result{v, err}:
		case <-ctx.Done():
			if err == nil && discard != nil {
				discard(v)
			}
		}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// gaveUp is err, the error of step (open, read) of a file fetch under ctx,
// saying so when the fetch's timeout ended it.
func gaveUp(ctx context.Context, step string, err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer within %s (%w); is its file system hung?", step, timeout, err)
	}
	return err
}

// hashBody is the hex SHA-256 of body, and whether the body is unchanged
// and so not to be parsed: when the document carries no validators
// (noValidators) and its hash is oldHash.
func hashBody(body []byte, oldHash string, noValidators bool) (hash string, unchanged bool) {
	sum := sha256.Sum256(body)
	hash = hex.EncodeToString(sum[:])
	return hash, noValidators && oldHash != "" && hash == oldHash
}

// parse parses body, whose hash is hash, keeping Client.MaxItems items at
// most (see Parse). contentType is the response's Content-Type, whose
// charset may say how body is encoded.
func (c *Client) parse(body []byte, hash, contentType, base string) (*Result, error) {
	p := c.parseBody
	if p == nil {
		p = parse
	}
	res, err := p(body, contentType, base, c.maxItems())
	if err != nil {
		return nil, err
	}
	res.BodyHash = hash
	return res, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// timeout is the time one fetch of req may take: Request.Timeout, else
// Client.Timeout, else DefaultTimeout.
func (c *Client) timeout(req Request) time.Duration {
	switch {
	case req.Timeout > 0:
		return req.Timeout
	case c.Timeout > 0:
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) maxBodySize() int64 {
	if c.MaxBodySize <= 0 {
		return DefaultMaxBodySize
	}
	return c.MaxBodySize
}

// limiter returns the Client's limiter, building it on first use.
func (c *Client) limiter() *limiter {
	c.limitsOnce.Do(func() {
		global, perHost := c.Concurrency, c.PerHost
		if global <= 0 {
			global = DefaultConcurrency
		}
		if perHost <= 0 {
			perHost = DefaultPerHost
		}
		c.limits = newLimiter(global, perHost)
	})
	return c.limits
}

// parseBudget returns the Client's parse budget, building it on first use.
func (c *Client) parseBudget() *budget {
	c.budgetOnce.Do(func() {
		size := c.MaxParseMemory
		if size <= 0 {
			size = DefaultMaxParseMemory
		}
		c.budget = newBudget(size)
	})
	return c.budget
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

// withoutPath is err without the path that an *fs.PathError in it names:
// a file feed is known by its PublicURL, its file's name.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// dateOr is the response's Date, else now.
func dateOr(h http.Header, now time.Time) time.Time {
	if v := h.Get("Date"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			return t
		}
	}
	return now
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date,
// the latter relative to now (the response's Date, else the clock). It
// returns 0 when the header is absent, malformed, or in the past.
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
