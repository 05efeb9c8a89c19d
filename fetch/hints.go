package fetch

import (
	"slices"
	"strconv"
	"strings"
	"time"

	ext "github.com/mmcdole/gofeed/extensions"
)

// maxMinutes is the largest number of minutes a time.Duration holds.
const maxMinutes = int64(1<<63-1) / int64(time.Minute)

// rssTTL reads RSS <ttl>: minutes; 0 when absent, not a positive integer.
func rssTTL(s string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, maxMinutes)) * time.Minute
}

// syPeriods are the sy:updatePeriod values.
var syPeriods = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour,
	"yearly":  365 * 24 * time.Hour,
}

// syndicationTTL reads the syndication module (RSS 1.0 mod_syndication):
// the feed updates sy:updateFrequency times per sy:updatePeriod. As the
// module says, the period defaults to daily and the frequency to 1 (as does
// a frequency that is not a positive integer). 0 when the feed has neither,
// or an unknown period.
func syndicationTTL(sy map[string][]ext.Extension) time.Duration {
	periodText, freqText := firstExt(sy, "updatePeriod"), firstExt(sy, "updateFrequency")
	if periodText == "" && freqText == "" {
		return 0
	}
	period := 24 * time.Hour
	if periodText != "" {
		var ok bool
		if period, ok = syPeriods[strings.ToLower(periodText)]; !ok {
			return 0
		}
	}
	freq, err := strconv.ParseInt(freqText, 10, 64)
	if err != nil || freq <= 0 {
		freq = 1
	}
	return period / time.Duration(freq)
}

// firstExt is the trimmed value of the first extension element name.
func firstExt(m map[string][]ext.Extension, name string) string {
	for _, e := range m[name] {
		return strings.TrimSpace(e.Value)
	}
	return ""
}

// skipHours reads RSS <skipHours><hour> values: 0–23, 24 meaning 0; others
// dropped. The result is sorted and deduplicated, nil when empty.
func skipHours(in []string) []int {
	var out []int
	for _, s := range in {
		h, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || h < 0 || h > 24 {
			continue
		}
		out = append(out, h%24)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// weekdays maps RSS <skipDays><day> names, in lower case.
var weekdays = map[string]time.Weekday{
	"sunday":    time.Sunday,
	"monday":    time.Monday,
	"tuesday":   time.Tuesday,
	"wednesday": time.Wednesday,
	"thursday":  time.Thursday,
	"friday":    time.Friday,
	"saturday":  time.Saturday,
}

// skipDays reads RSS <skipDays><day> values (Monday…Sunday, any case);
// unknown ones are dropped. The result is sorted and deduplicated, nil when
// empty.
func skipDays(in []string) []time.Weekday {
	var out []time.Weekday
	for _, s := range in {
		if d, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]; ok {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
