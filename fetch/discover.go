package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"aggregator"
)

// Feed discovery: a feed URL that turns out to be a web page is read for
// the feeds it links (<link rel="alternate" type="application/rss+xml">
// and the like, in its head), else the paths where feeds commonly are are
// tried. Every request goes through the Client as a fetch does (its slots,
// timeouts, address rules, size cap and redirect limit), and what is found
// is never itself searched: discovery does not loop.

// commonPaths are where sites commonly serve their feed, tried in order
// when a page links none.
var commonPaths = []string{"/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml"}

// maxLinks bounds the feed links read from one page.
const maxLinks = 20

const typeJSON = "JSON"

// linkTypes are the media types of feed links, and the types they name.
var linkTypes = map[string]string{
	"application/rss+xml":   "RSS",
	"application/atom+xml":  "Atom",
	"application/feed+json": "JSON Feed",
	"application/json":      typeJSON, // a JSON Feed, or some other JSON: to be fetched to know
}

// pageLinks reads the feed links of an HTML page from its head, in page
// order and each once, at most maxLinks: <link rel="alternate"> elements
// of a feed type (see linkTypes) whose href, resolved against the page's
// <base href> and base, is an http(s) URL other than the page's own.
// contentType is the page's Content-Type, whose charset (else a <meta>
// one) says how to read it.
func pageLinks(body []byte, contentType string, base *url.URL) []FeedLink {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		r = bytes.NewReader(body)
	}
	var (
		links   []FeedLink
		seen    = make(map[string]bool)
		z       = xhtml.NewTokenizer(r)
		resolve = base
		hadBase bool
	)
	if base != nil {
		seen[base.String()] = true
	}
	for len(links) < maxLinks {
		switch z.Next() {
		case xhtml.ErrorToken:
			return links
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return links
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return links
			case "base":
				attrs := tagAttrs(z, hasAttr)
				if href, ok := attrs["href"]; ok && !hadBase && base != nil {
					hadBase = true
					if u, err := base.Parse(strings.TrimSpace(href)); err == nil {
						resolve = u
					}
				}
			case "link":
				attrs := tagAttrs(z, hasAttr)
				typ := linkTypes[mediaType(attrs["type"])]
				if typ == "" || !hasToken(attrs["rel"], "alternate") || resolve == nil {
					continue
				}
				u, err := resolve.Parse(strings.TrimSpace(attrs["href"]))
				if err != nil || !safeFeedURL(u, base) || seen[u.String()] {
					continue
				}
				seen[u.String()] = true
				links = append(links, FeedLink{URL: u.String(), Title: collapseSpace(attrs["title"]), Type: typ})
			}
		}
	}
	return links
}

// tagAttrs are the attributes of the tag z is at, names in lower case; the
// first of a name counts.
func tagAttrs(z *xhtml.Tokenizer, more bool) map[string]string {
	attrs := make(map[string]string)
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if _, ok := attrs[string(k)]; !ok {
			attrs[string(k)] = string(v)
		}
	}
	return attrs
}

// hasToken reports whether the space-separated list s holds token, in
// any case.
func hasToken(s, token string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, token) {
			return true
		}
	}
	return false
}

// lookForFeed completes err, the error of a fetch of u (by req) whose
// final URL was page: when err is the *NotFeedError of a web page that
// links no RSS, Atom or JSON Feed, its application/json links and then
// the common paths are tried until one is a feed, all within one fetch
// timeout, and the error says what was found. Any other error is
// returned as it is.
func (c *Client) lookForFeed(ctx context.Context, u *url.URL, req Request, page string, err error) error {
	nf, ok := errors.AsType[*NotFeedError](err)
	if !ok || !nf.page || len(nf.Feeds) > 0 {
		return err
	}
	pageURL, perr := url.Parse(page)
	if perr != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout(req))
	defer cancel()
	found := *nf
	if f, ok := c.firstFeed(ctx, u, req, jsonLinks(nf.links)); ok {
		found.Feeds = []FeedLink{f}
	} else {
		found.Guessed, found.Tried = true, commonPaths
		if f, ok := c.firstFeed(ctx, u, req, guesses(pageURL, u)); ok {
			found.Feeds = []FeedLink{f}
		}
	}
	return fmt.Errorf("parse feed: %w", &found) // as parse wraps it
}

// firstFeed is the first of candidates that is a feed, looked for until
// ctx ends. Its deadline is compared with the clock too: a candidate's own
// fetch timer, due a moment after ctx's, may fire first on a busy machine
// and end that fetch while ctx still looks alive.
func (c *Client) firstFeed(ctx context.Context, first *url.URL, req Request, candidates []FeedLink) (FeedLink, bool) {
	deadline, bounded := ctx.Deadline()
	for _, l := range candidates {
		if ctx.Err() != nil || bounded && !time.Now().Before(deadline) {
			break
		}
		if f, _, err := c.tryFeed(ctx, first, req, l); err == nil {
			return f, true
		}
	}
	return FeedLink{}, false
}

// jsonLinks are the links of type application/json among links.
func jsonLinks(links []FeedLink) []FeedLink {
	var out []FeedLink
	for _, l := range links {
		if l.Type == typeJSON {
			out = append(out, l)
		}
	}
	return out
}

// guesses are the common paths on the host of page, but the page itself
// and first, the URL asked for.
func guesses(page, first *url.URL) []FeedLink {
	var out []FeedLink
	for _, p := range commonPaths {
		g := &url.URL{Scheme: page.Scheme, User: page.User, Host: page.Host, Path: p}
		if s := g.String(); s != page.String() && s != first.String() {
			out = append(out, FeedLink{URL: s})
		}
	}
	return out
}

// tryFeed fetches the candidate l, found for a fetch of first by req, and
// parses it as a feed: no conditional GET and no discovery. The headers
// and basic auth of req go along only where they would follow a redirect
// (see keepCredentials). The FeedLink has the feed's own title (else l's)
// and its type; hash is the body's.
func (c *Client) tryFeed(ctx context.Context, first *url.URL, req Request, l FeedLink) (f FeedLink, hash string, err error) {
	u, err := url.Parse(l.URL)
	if err != nil {
		return FeedLink{}, "", err
	}
	r := Request{URL: l.URL, Timeout: req.Timeout}
	if keepCredentials(first, u) {
		r.Header, r.Username, r.Password = req.Header, req.Username, req.Password
	}
	resp, err := c.get(ctx, u, r)
	if err != nil {
		return FeedLink{}, "", err
	}
	ct := resp.header.Get("Content-Type")
	hash, _ = hashBody(resp.body, "", false)
	res, err := c.parse(resp.body, hash, ct, aggregator.PublicURL(resp.finalURL))
	if err != nil {
		return FeedLink{}, "", fmt.Errorf("fetch %s: %w", aggregator.PublicURL(l.URL), err)
	}
	f = FeedLink{URL: l.URL, Title: res.Title, Type: feedType(resp.body, ct)}
	if f.Title == "" {
		f.Title = l.Title
	}
	return f, res.BodyHash, nil
}

// get is one GET of u by req under the Client's limits: the body of a 2xx
// answer, else an *HTTPError.
func (c *Client) get(ctx context.Context, u *url.URL, req Request) (*response, error) {
	name := aggregator.PublicURL(u.String())
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fmt.Errorf("fetch %s: %w %q", name, ErrUnsupportedScheme, u.Scheme)
	}
	resp, err := c.exchange(ctx, u, req)
	if err != nil {
		return nil, err
	}
	// The pages and feeds looked at to find a feed are held only while
	// they are read: they keep no share of the parse budget.
	resp.share.release()
	if resp.status < 200 || resp.status > 299 {
		return nil, &HTTPError{URL: name, StatusCode: resp.status}
	}
	return resp, nil
}

// Discovery is what Discover found.
type Discovery struct {
	Feeds   []FeedLink // each feed once, in the order found
	IsFeed  bool       // the URL is a feed itself, the one in Feeds
	Guessed bool       // the page links no feed that loads: Feeds were found at the common paths
	Tried   []string   // the common paths looked at, when Guessed
	Broken  []error    // one for each RSS, Atom or JSON Feed link of the page that did not load as a feed
}

// Discover finds the feeds that the web page at pageURL (http or https)
// offers: those its head links, each fetched to learn its title and type,
// else those at the common paths (/feed, /rss.xml, /atom.xml, /feed.xml,
// /index.xml). The same feed at several URLs is listed once. A pageURL
// that is a feed is the one feed found. An error says why nothing could
// be looked for: the page did not load, or is neither a feed nor a web
// page (a *NotFeedError).
func (c *Client) Discover(ctx context.Context, pageURL string) (*Discovery, error) {
	name := aggregator.PublicURL(pageURL)
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("discover %s: invalid url", name)
	}
	resp, err := c.get(ctx, u, Request{URL: pageURL})
	if err != nil {
		return nil, err
	}
	ct := resp.header.Get("Content-Type")
	hash, _ := hashBody(resp.body, "", false)
	res, err := c.parse(resp.body, hash, ct, aggregator.PublicURL(resp.finalURL))
	if err == nil {
		return &Discovery{IsFeed: true, Feeds: []FeedLink{{URL: pageURL, Title: res.Title, Type: feedType(resp.body, ct)}}}, nil
	}
	nf, ok := errors.AsType[*NotFeedError](err)
	if !ok || !nf.page {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}

	d := &Discovery{}
	seen := make(map[string]bool) // body hashes
	add := func(f FeedLink, hash string) {
		if !seen[hash] {
			seen[hash] = true
			d.Feeds = append(d.Feeds, f)
		}
	}
	for _, l := range nf.links {
		f, hash, err := c.tryFeed(ctx, u, Request{}, l)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if l.Type != typeJSON { // an application/json link is often an API's, not a feed
				d.Broken = append(d.Broken, fmt.Errorf("the page links %s: %w", l, err))
			}
			continue
		}
		add(f, hash)
	}
	if len(d.Feeds) > 0 {
		return d, nil
	}
	page, err := url.Parse(resp.finalURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	d.Guessed, d.Tried = true, commonPaths
	for _, l := range guesses(page, u) {
		if f, hash, err := c.tryFeed(ctx, u, Request{}, l); err == nil {
			add(f, hash)
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return d, nil
}
