package aggregator

import (
	"cmp"
	"net/url"
	"path"
	"strings"
	"unicode"
)

// redacted replaces the value of a query parameter that looks like a
// secret in a PublicURL.
const redacted = "redacted"

// PublicURL is what of a feed's URL may be shown outside the process: in the
// outputs, the OPML, the status views, error messages and logs. Of a URL
// with a host it drops the user name and password and replaces the value of
// every query parameter that looks like a secret (see SecretParam) with
// "redacted"; a URL with neither is returned as written. Of a file URL or a
// local path it keeps the file's name alone, as "file:NAME". A URL that does
// not parse loses its user information and everything from its query on.
//
// Only the fetch uses the URL itself; the store keeps it to fetch by.
func PublicURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return unparsedPublicURL(raw)
	}
	if strings.EqualFold(u.Scheme, "file") || (u.Scheme == "" && u.Host == "" && u.User == nil) {
		return "file:" + path.Base(cmp.Or(u.Path, u.Opaque))
	}
	query := redactQuery(u.RawQuery)
	if u.User == nil && query == u.RawQuery {
		return raw // as written: nothing to hide
	}
	u.User, u.RawQuery = nil, query
	return u.String()
}

// PublicURL is the public form of the feed's URL (see PublicURL).
func (f Feed) PublicURL() string { return PublicURL(f.URL) }

// unparsedPublicURL is PublicURL of a URL that does not parse.
func unparsedPublicURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, p, slash := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	if slash {
		authority += "/" + p
	}
	return scheme + "://" + authority
}

// redactQuery replaces the values of the secret parameters of a raw query
// and leaves the rest of it as written.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	params := strings.Split(raw, "&")
	for i, p := range params {
		name, _, hasValue := strings.Cut(p, "=")
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		if hasValue && SecretParam(name) {
			params[i] = p[:strings.IndexByte(p, '=')+1] + redacted
		}
	}
	return strings.Join(params, "&")
}

// secretParts are found anywhere in the names of parameters that carry
// secrets: access_token, client_secret, X-Amz-Signature, apikey...
var secretParts = []string{"token", "secret", "passw", "apikey", "signature", "credential"}

// secretWords are words of such names: api_key, sig, auth, authKey...
var secretWords = map[string]bool{
	"key": true, "sig": true, "auth": true, "pass": true, "pwd": true,
	"session": true, "sessionid": true, "jwt": true,
}

// SecretParam reports whether a query parameter of that name, compared
// ignoring case, looks like it carries a secret: token, key, api_key,
// apikey, access_token, secret, password, passwd, sig, signature, auth,
// and names made of such words (authKey, X-Amz-Signature).
func SecretParam(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range secretParts {
		if strings.Contains(lower, s) {
			return true
		}
	}
	for _, w := range nameWords(name) {
		if secretWords[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// nameWords splits a parameter name into words at anything but letters and
// digits, and where a lower-case letter meets an upper-case one (authKey).
func nameWords(name string) []string {
	var words []string
	start := -1
	var prev rune
	for i, r := range name {
		isWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case !isWord:
			if start >= 0 {
				words = append(words, name[start:i])
			}
			start = -1
		case start < 0:
			start = i
		case unicode.IsLower(prev) && unicode.IsUpper(r):
			words = append(words, name[start:i])
			start = i
		}
		prev = r
	}
	if start >= 0 {
		words = append(words, name[start:])
	}
	return words
}
