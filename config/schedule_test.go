package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLoadScheduleMinInterval checks that a schedule, the default or a
// feed's own, that would fetch more often than fetch.min_interval is an
// error at its line, and that an ordinary one is not.
func TestLoadScheduleMinInterval(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	for _, tt := range []struct {
		name string
		src  string
		want []string // problems, without the file name; none for a valid config
	}{
		{"every 0s", "schedule: \"@every 0s\"\n" + feed, []string{
			`:1: schedule: "@every 0s" would fetch every 1s, more often than fetch.min_interval (1m) allows; write e.g. "@every 15m" or "*/10 * * * *"`,
		}},
		{"a feed's own", feed + "    schedule: \"@every 30s\"\n", []string{
			`:3: feeds[0].schedule: "@every 30s" would fetch every 30s, more often than fetch.min_interval (1m) allows; write e.g. "@every 15m" or "*/10 * * * *"`,
		}},
		{"every minute", "schedule: \"@every 1m\"\n" + feed + "  - url: https://example.org/\n    schedule: \"* * * * *\"\n", nil},
		{"every five minutes", "schedule: \"*/5 * * * *\"\n" + feed, nil},
		{"hourly", "schedule: \"@hourly\"\n" + feed, nil},
		{"cron spec under a longer minimum", "fetch:\n  min_interval: 5m\n" + feed +
			"  - url: https://example.org/a\n    schedule: \"*/2 * * * *\"\n" +
			"  - url: https://example.org/b\n    schedule: \"0,3 * * * *\"\n" +
			"  - url: https://example.org/c\n    schedule: \"*/5 * * * *\"\n", []string{
			`:6: feeds[1].schedule: "*/2 * * * *" would fetch every 2m, more often than fetch.min_interval (5m) allows; write e.g. "@every 15m" or "*/10 * * * *"`,
			`:8: feeds[2].schedule: "0,3 * * * *" would fetch every 3m, more often than fetch.min_interval (5m) allows; write e.g. "@every 15m" or "*/10 * * * *"`,
		}},
		{"default schedule under an hour's minimum", "fetch:\n  min_interval: 1h\n" + feed, []string{
			`: schedule: "@every 15m" would fetch every 15m, more often than fetch.min_interval (1h) allows; write e.g. "@every 1h"`,
		}},
		{"a lower minimum", "schedule: \"@every 5s\"\nfetch:\n  min_interval: 5s\n" + feed, nil},
		{"negative minimum", "fetch:\n  min_interval: -1m\n" + feed, []string{
			`:2: fetch.min_interval: -1m is negative; write e.g. "1m", or 0 for the default (1m)`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			c, err := LoadFile(path)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("LoadFile: %v", err)
				}
				if err := c.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("LoadFile = %+v, %v; want *Error", c, err)
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, strings.TrimPrefix(p.String(), path))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

// TestValidateScheduleMinInterval checks Validate on a Config built in code,
// whose zero MinInterval stands for the default minute.
func TestValidateScheduleMinInterval(t *testing.T) {
	c := Config{Schedule: "@every 10s", Feeds: []Feed{{URL: "https://example.com/feed.xml"}}}
	want := `<config>: schedule: "@every 10s" would fetch every 10s, more often than fetch.min_interval (1m) allows; write e.g. "@every 15m" or "*/10 * * * *"`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
	c.Fetch.MinInterval = Duration(10 * time.Second)
	if err := c.Validate(); err != nil {
		t.Errorf("with min_interval 10s: Validate() = %v", err)
	}
}
