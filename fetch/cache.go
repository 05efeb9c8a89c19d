package fetch

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxDeltaSeconds is what RFC 9111 section 1.2.2 says a delta-seconds value
// too large to represent counts as: 2^31 seconds.
const maxDeltaSeconds = 1 << 31

// freshness is how long a response stays fresh for a private cache (RFC 9111
// section 4.2), less its current Age. Cache-Control no-store or no-cache
// mean 0; else max-age (a bad value means 0); else Expires minus Date
// (now when Date is absent or bad; a bad Expires means 0). It is never
// negative.
func freshness(h http.Header, now time.Time) time.Duration {
	var lifetime time.Duration
	if d, ok := cacheControlMaxAge(h.Values("Cache-Control")); ok {
		lifetime = d
	} else if v := h.Get("Expires"); v != "" {
		if exp, err := http.ParseTime(v); err == nil {
			lifetime = exp.Sub(dateOr(h, now))
		}
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
		lifetime -= deltaSeconds(age)
	}
	return max(lifetime, 0)
}

// cacheControlMaxAge reads the Cache-Control fields of a response. ok is
// false when they decide nothing, and the Expires header applies.
func cacheControlMaxAge(fields []string) (d time.Duration, ok bool) {
	var maxAge time.Duration
	haveMaxAge := false
	for _, field := range fields {
		for name, value := range directives(field) {
			switch name {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				if haveMaxAge {
					continue // the first one counts
				}
				haveMaxAge = true
				secs, err := strconv.ParseInt(value, 10, 64)
				switch {
				case err != nil && isDigits(value):
					maxAge = deltaSeconds(math.MaxInt64) // overflows: the cap
				case err != nil || secs < 0:
					maxAge = 0
				default:
					maxAge = deltaSeconds(secs)
				}
			}
		}
	}
	return maxAge, haveMaxAge
}

// deltaSeconds converts delta-seconds, capped at 2^31 seconds.
func deltaSeconds(secs int64) time.Duration {
	return time.Duration(min(secs, maxDeltaSeconds)) * time.Second
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// directives yields the directives of one Cache-Control field, names in
// lower case and values unquoted: `max-age=60, private="a, b"` yields
// ("max-age", "60") and ("private", "a, b").
func directives(field string) func(yield func(name, value string) bool) {
	return func(yield func(name, value string) bool) {
		s := field
		for s != "" {
			// Name: up to '=' or ','.
			i := strings.IndexAny(s, "=,")
			if i < 0 {
				i = len(s)
			}
			name := strings.ToLower(strings.TrimSpace(s[:i]))
			s = s[i:]
			var value string
			if strings.HasPrefix(s, "=") {
				s = strings.TrimLeft(s[1:], " \t")
				if strings.HasPrefix(s, `"`) {
					value, s = quoted(s)
				} else {
					j := strings.IndexByte(s, ',')
					if j < 0 {
						j = len(s)
					}
					value, s = strings.TrimSpace(s[:j]), s[j:]
				}
			}
			// Skip whatever is left up to the next directive.
			if j := strings.IndexByte(s, ','); j >= 0 {
				s = s[j+1:]
			} else {
				s = ""
			}
			if name != "" && !yield(name, value) {
				return
			}
		}
	}
}

// quoted reads the quoted-string that s starts with; rest follows its
// closing quote (an unterminated string runs to the end).
func quoted(s string) (value, rest string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}
