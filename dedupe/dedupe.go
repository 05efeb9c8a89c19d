// Package dedupe decides when two items are the same: canonical URLs without
// tracking parameters, and the exact keys that identify a stored item.
package dedupe

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"sort"
	"strings"

	"aggregator"
)

// trackingParams are query parameters that only say where a click came from.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true,
	"mc_cid": true, "mc_eid": true, "_ga": true, "_gl": true,
	"ref_src": true, "ref_url": true, "ocid": true, "cmpid": true,
}

// isTracking reports whether a query parameter name is a tracking parameter.
func isTracking(name string) bool {
	name = strings.ToLower(name)
	return trackingParams[name] || strings.HasPrefix(name, "utm_")
}

// CanonicalURL returns the form of an http(s) link under which two links to the
// same article compare equal: https scheme, lower-case host without default port,
// no fragment, no tracking parameters, remaining parameters sorted, and no
// trailing slash. It returns "" for anything that is not an absolute http(s) URL.
func CanonicalURL(raw string) string {
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
	for k := range q {
		if !isTracking(k) {
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
func Key(feedURL string, it aggregator.Item) string {
	if c := CanonicalURL(it.Link); c != "" {
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
func StripTracking(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	removed := false
	for k := range q {
		if isTracking(k) {
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
