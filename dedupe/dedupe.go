// Package dedupe decides when two items are the same: canonical URLs without
// tracking parameters, and the exact keys that identify a stored item.
package dedupe

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"

	"aggregator"
)

// trackingParams are query parameters that only say where a click came from.
var trackingParams = []string{
	"utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
	"mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "ref_url", "ocid", "cmpid", "_hsenc", "_hsmi",
	"mkt_tok", "vero_id", "oly_enc_id", "oly_anon_id", "wt.mc_id", "s_cid",
}

// refValues are values of "ref" that mark where a click came from; "ref" is
// kept otherwise, since some sites use it for content.
var refValues = map[string]bool{
	"rss": true, "rss2": true, "feed": true, "feeds": true, "atom": true, "feedly": true,
	"twitter": true, "tw": true, "facebook": true, "fb": true, "social": true, "linkedin": true,
	"reddit": true, "hn": true, "newsletter": true, "email": true, "homepage": true, "home": true,
}

// Rules says which query parameters are tracking parameters.
type Rules struct {
	exact    map[string]bool
	prefixes []string
}

// Default holds the built-in tracking parameters.
var Default = NewRules(nil)

// NewRules returns the built-in tracking parameters plus extra ones, matched
// ignoring case; a name ending in "*" is a prefix.
func NewRules(extra []string) *Rules {
	r := &Rules{exact: map[string]bool{}}
	for _, p := range append(slices.Clone(trackingParams), extra...) {
		p = strings.ToLower(strings.TrimSpace(p))
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			r.prefixes = append(r.prefixes, prefix)
		} else if p != "" {
			r.exact[p] = true
		}
	}
	return r
}

// isTracking reports whether a query parameter is a tracking parameter.
func (r *Rules) isTracking(name string, values []string) bool {
	name = strings.ToLower(name)
	if r.exact[name] {
		return true
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == "ref" && len(values) == 1 && refValues[strings.ToLower(values[0])]
}

// CanonicalURL is Default.CanonicalURL.
func CanonicalURL(raw string) string { return Default.CanonicalURL(raw) }

// StripTracking is Default.StripTracking.
func StripTracking(raw string) string { return Default.StripTracking(raw) }

// Key is Default.Key.
func Key(feedURL string, it aggregator.Item) string { return Default.Key(feedURL, it) }

// CanonicalURL returns the form of an http(s) link under which two links to the
// same article compare equal: https scheme, lower-case host without default port,
// no fragment, no tracking parameters, remaining parameters sorted, and no
// trailing slash. It returns "" for anything that is not an absolute http(s) URL.
func (r *Rules) CanonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return ""
	}
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p != "" {
		p = path.Clean(p)
	}
	p = strings.TrimSuffix(p, "/")

	q := u.Query()
	keys := make([]string, 0, len(q))
	for k, vs := range q {
		if !r.isTracking(k, vs) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("https://")
	b.WriteString(host)
	b.WriteString(p)
	for i, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for j, v := range vs {
			if i == 0 && j == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// Key identifies an item across fetches and feeds: its canonical link, else
// its GUID within the feed it came from, else a hash of its text.
func (r *Rules) Key(feedURL string, it aggregator.Item) string {
	if c := r.CanonicalURL(it.Link); c != "" {
		return "url:" + c
	}
	if it.GUID != "" {
		return "guid:" + feedURL + " " + it.GUID
	}
	return "hash:" + ContentHash(it)
}

// ContentHash is a digest of the parts of an item a reader sees; it changes
// exactly when the published entry should change.
func ContentHash(it aggregator.Item) string {
	h := sha256.New()
	for _, s := range []string{it.Title, it.Link, it.Summary, it.Content, it.Author, strings.Join(it.Categories, "\x1f")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// StripTracking removes tracking parameters (and nothing else) from a link, so
// that what is republished points at the article without the click trail. It
// returns raw unchanged when it has nothing to remove or does not parse.
func (r *Rules) StripTracking(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	removed := false
	for k, vs := range q {
		if r.isTracking(k, vs) {
			q.Del(k)
			removed = true
		}
	}
	if !removed {
		return raw
	}
	u.RawQuery = q.Encode()
	return u.String()
}
