package filter

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Durations of age predicates: Go's units, and d and w.

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// formatDuration writes d in the largest whole unit of w, d, or Go's own
// form without its trailing zero units: "2w", "3d", "36h", "1h30m".
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%week == 0:
		return strconv.FormatInt(int64(d/week), 10) + "w"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String() // "36h0m0s", "1h30m0s", "1.5s"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseDuration parses a non-negative Go duration that may also use the
// units d (24h) and w (7d), in any case: "48h", "2d", "1w2d", "1.5h", "0".
func parseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "0" {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || '0' <= s[i] && s[i] <= '9') {
			i++
		}
		j := i
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		num, unit := s[:i], s[i:j]
		s = s[j:]
		if num == "" {
			return 0, false
		}
		var d time.Duration
		var err error
		switch unit {
		case "d", "w":
			mult := time.Duration(24)
			if unit == "w" {
				mult = 24 * 7
			}
			d, err = time.ParseDuration(num + "h")
			if err == nil && d > math.MaxInt64/mult {
				return 0, false
			}
			d *= mult
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			d, err = time.ParseDuration(num + unit)
		default:
			return 0, false
		}
		if err != nil || d > math.MaxInt64-total {
			return 0, false
		}
		total += d
	}
	return total, true
}
