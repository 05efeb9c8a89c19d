package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeConfig writes src to config.yaml in a new temporary folder and
// returns its path.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	path := writeConfig(t, "feeds:\n  - url: https://example.com/feed.xml\n")
	dir := filepath.Dir(path)
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path:     path,
		Store:    filepath.Join(dir, DefaultStore),
		Schedule: DefaultSchedule,
		Server:   Server{Listen: DefaultListen},
		Publish:  Publish{Dir: filepath.Join(dir, DefaultPublishDir), BaseURL: "http://127.0.0.1:8080/"},
		Fetch: Fetch{
			Concurrency:    DefaultConcurrency,
			PerHost:        DefaultPerHost,
			Timeout:        Duration(DefaultTimeout),
			MaxBodySize:    DefaultMaxBodySize,
			MaxParseMemory: DefaultMaxParseMemory,
			MaxItems:       DefaultFetchMaxItems,
			MaxWait:        Duration(DefaultMaxWait),
			BackoffBase:    Duration(DefaultBackoffBase),
			BackoffMax:     Duration(DefaultBackoffMax),
			Jitter:         Duration(DefaultJitter),
			MinInterval:    Duration(DefaultMinInterval),
		},
		Feeds:     []Feed{{URL: "https://example.com/feed.xml", Schedule: DefaultSchedule, Timeout: Duration(DefaultTimeout)}},
		Outputs:   []Output{{Name: "all", Title: "All feeds", Limit: DefaultOutputLimit}},
		Stories:   Stories{Enabled: new(true), Window: Duration(DefaultStoryWindow)},
		Tagging:   Tagging{Entities: new(true)},
		Retention: Retention{MaxAge: Duration(DefaultRetentionMaxAge)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFile:\n got %+v\nwant %+v", got, want)
	}
}

// TestLoadStoriesEnabled checks that stories.enabled defaults to true and
// that Load never leaves it nil.
func TestLoadStoriesEnabled(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	for _, tt := range []struct {
		name string
		src  string
		want bool
	}{
		{"no stories", feed, true},
		{"stories null", "stories:\n" + feed, true},
		{"enabled unset", "stories:\n  window: 1h\n" + feed, true},
		{"enabled null", "stories:\n  enabled: ~\n" + feed, true},
		{"enabled true", "stories:\n  enabled: true\n" + feed, true},
		{"enabled false", "stories:\n  enabled: false\n" + feed, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFile(writeConfig(t, tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if c.Stories.Enabled == nil {
				t.Fatal("Stories.Enabled is nil")
			}
			if *c.Stories.Enabled != tt.want {
				t.Errorf("Stories.Enabled = %v, want %v", *c.Stories.Enabled, tt.want)
			}
		})
	}
	// Each config has its own flag.
	a, b := Default(), Default()
	*a.Stories.Enabled = false
	if !*b.Stories.Enabled {
		t.Error("Default() configs share Stories.Enabled")
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Store != DefaultStore || c.Schedule != DefaultSchedule || c.Server.Listen != DefaultListen ||
		c.Publish.Dir != DefaultPublishDir || c.Publish.BaseURL != "http://127.0.0.1:8080/" ||
		c.Fetch.Concurrency != DefaultConcurrency || c.Fetch.Timeout.Std() != DefaultTimeout ||
		c.Fetch.PerHost != DefaultPerHost || c.Fetch.MaxBodySize != 10<<20 ||
		c.Fetch.MaxWait.Std() != 24*time.Hour || c.Fetch.BackoffBase.Std() != 15*time.Minute ||
		c.Fetch.BackoffMax.Std() != 24*time.Hour || c.Fetch.Jitter.Std() != 5*time.Minute ||
		c.Fetch.MinInterval.Std() != time.Minute ||
		c.Fetch.UserAgent != "" || c.Feeds != nil || c.Outputs != nil ||
		c.Stories.Enabled == nil || !*c.Stories.Enabled || c.Stories.Threshold != 0 ||
		c.Stories.Window.Std() != 72*time.Hour || c.Stories.SourcePriority != nil || c.Stories.UpdateOnJoin ||
		c.Dedupe.TrackingParams != nil || c.Tags != nil ||
		c.Tagging.Entities == nil || !*c.Tagging.Entities || c.Tagging.Aliases != nil ||
		c.Retention.MaxAge.Std() != 90*24*time.Hour || c.Retention.MaxItems != 0 {
		t.Errorf("Default() = %+v", c)
	}
}

func TestLoadResolves(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	tests := []struct {
		name string
		src  string
		get  func(*Config) any
		want any // strings have $DIR replaced by the config's folder
	}{
		{"relative store", "store: data/agg.db\n" + feed,
			func(c *Config) any { return c.Store }, "$DIR/data/agg.db"},
		{"absolute store", "store: /var/lib/agg.db\n" + feed,
			func(c *Config) any { return c.Store }, "/var/lib/agg.db"},
		{"postgres URL kept as given", "store: postgres://agg@db.example:5432/agg?sslmode=disable\n" + feed,
			func(c *Config) any { return c.Store }, "postgres://agg@db.example:5432/agg?sslmode=disable"},
		{"postgresql URL kept as given", "store: postgresql://agg@db.example/agg\n" + feed,
			func(c *Config) any { return c.Store }, "postgresql://agg@db.example/agg"},
		{"relative publish dir", "publish:\n  dir: www/html\n" + feed,
			func(c *Config) any { return c.Publish.Dir }, "$DIR/www/html"},
		{"relative feed path", "feeds:\n  - url: feeds/world.xml\n",
			func(c *Config) any { return c.Feeds[0].URL }, "file://$DIR/feeds/world.xml"},
		{"absolute feed path", "feeds:\n  - url: /srv/feeds/world.xml\n",
			func(c *Config) any { return c.Feeds[0].URL }, "file:///srv/feeds/world.xml"},
		{"feed path with space", "feeds:\n  - url: /srv/my feeds/world.xml\n",
			func(c *Config) any { return c.Feeds[0].URL }, "file:///srv/my%20feeds/world.xml"},
		{"file URL", "feeds:\n  - url: file:///srv/feeds/../world.xml\n",
			func(c *Config) any { return c.Feeds[0].URL }, "file:///srv/world.xml"},
		{"http URL kept as given", "feeds:\n  - url: HTTPS://Example.com/Feed?x=1\n",
			func(c *Config) any { return c.Feeds[0].URL }, "HTTPS://Example.com/Feed?x=1"},
		{"feed schedule from top level", "schedule: \"@hourly\"\n" + feed,
			func(c *Config) any { return c.Feeds[0].Schedule }, "@hourly"},
		{"feed schedule of its own", "feeds:\n  - url: https://example.com/\n    schedule: \"*/5 * * * *\"\n",
			func(c *Config) any { return c.Feeds[0].Schedule }, "*/5 * * * *"},
		{"base URL gets a slash", "publish:\n  base_url: https://news.example.com/world\n" + feed,
			func(c *Config) any { return c.Publish.BaseURL }, "https://news.example.com/world/"},
		{"base URL from listen", "server:\n  listen: 0.0.0.0:9000\n" + feed,
			func(c *Config) any { return c.Publish.BaseURL }, "http://localhost:9000/"},
		{"timeout", "fetch:\n  timeout: 2m\n" + feed,
			func(c *Config) any { return c.Fetch.Timeout.Std() }, 2 * time.Minute},
		{"zero concurrency is the default", "fetch:\n  concurrency: 0\n" + feed,
			func(c *Config) any { return c.Fetch.Concurrency }, DefaultConcurrency},
		{"null keeps the default", "store:\nfetch: ~\n" + feed,
			func(c *Config) any { return []any{filepath.Base(c.Store), c.Fetch.Concurrency} }, []any{DefaultStore, DefaultConcurrency}},
		{"outputs replace the default", feed + "outputs:\n  - name: world\n  - name: top-10\n    title: Top\n    limit: 10\n",
			func(c *Config) any { return c.Outputs },
			[]Output{{Name: "world", Title: "world", Limit: DefaultOutputLimit}, {Name: "top-10", Title: "Top", Limit: 10}}},
		{"document markers", "---\nfeeds:\n  - url: https://example.com/\n---\n",
			func(c *Config) any { return len(c.Feeds) }, 1},
		{"aliases", "schedule: &s \"@daily\"\nfeeds:\n  - url: https://example.com/\n    schedule: *s\n",
			func(c *Config) any { return c.Feeds[0].Schedule }, "@daily"},
		{"fetch settings", "" +
			"fetch:\n" +
			"  per_host: 4\n" +
			"  max_body_size: 512KiB\n" +
			"  max_parse_memory: 64MiB\n" +
			"  max_items: 50\n" +
			"  max_wait: 6h\n" +
			"  backoff_base: 1m\n" +
			"  backoff_max: 2h\n" +
			"  jitter: 30s\n" +
			"  min_interval: 5m\n" +
			"  user_agent: Test/1.0 (+https://example.com/)\n" + feed,
			func(c *Config) any { return c.Fetch },
			Fetch{Concurrency: DefaultConcurrency, PerHost: 4, Timeout: Duration(DefaultTimeout), MaxBodySize: 512 << 10,
				MaxParseMemory: 64 << 20, MaxItems: 50, MaxWait: Duration(6 * time.Hour), BackoffBase: Duration(time.Minute), BackoffMax: Duration(2 * time.Hour),
				Jitter: Duration(30 * time.Second), MinInterval: Duration(5 * time.Minute), UserAgent: "Test/1.0 (+https://example.com/)"}},
		{"max body size in bytes", "fetch:\n  max_body_size: 2048\n" + feed,
			func(c *Config) any { return c.Fetch.MaxBodySize }, ByteSize(2048)},
		{"jitter unset is the default", feed,
			func(c *Config) any { return c.Fetch.Jitter.Std() }, DefaultJitter},
		{"jitter null is the default", "fetch:\n  jitter: ~\n" + feed,
			func(c *Config) any { return c.Fetch.Jitter.Std() }, DefaultJitter},
		{"jitter 0 turns it off", "fetch:\n  jitter: 0s\n" + feed,
			func(c *Config) any { return c.Fetch.Jitter.Std() }, time.Duration(0)},
		{"private addresses refused by default", feed,
			func(c *Config) any { return c.Fetch.AllowPrivate }, false},
		{"private addresses allowed", "fetch:\n  allow_private_addresses: true\n" + feed,
			func(c *Config) any { return c.Fetch.AllowPrivate }, true},
		{"retention", "retention:\n  max_age: 720h\n  max_items: 5000\n" + feed,
			func(c *Config) any { return c.Retention }, Retention{MaxAge: Duration(30 * 24 * time.Hour), MaxItems: 5000}},
		{"retention max_age unset is the default", "retention:\n  max_items: 10\n" + feed,
			func(c *Config) any { return c.Retention.MaxAge.Std() }, DefaultRetentionMaxAge},
		{"retention max_age null is the default", "retention:\n  max_age: ~\n" + feed,
			func(c *Config) any { return c.Retention.MaxAge.Std() }, DefaultRetentionMaxAge},
		{"retention max_age 0 keeps forever", "retention:\n  max_age: 0s\n" + feed,
			func(c *Config) any { return c.Retention.MaxAge.Std() }, time.Duration(0)},
		{"retention max_age bare 0 keeps forever", "retention:\n  max_age: 0\n" + feed,
			func(c *Config) any { return c.Retention.MaxAge.Std() }, time.Duration(0)},
		{"zero waits are the defaults", "fetch:\n  max_wait: 0s\n  backoff_base: 0s\n  backoff_max: 0s\n  per_host: 0\n" + feed,
			func(c *Config) any {
				return []any{c.Fetch.MaxWait.Std(), c.Fetch.BackoffBase.Std(), c.Fetch.BackoffMax.Std(), c.Fetch.PerHost}
			},
			[]any{DefaultMaxWait, DefaultBackoffBase, DefaultBackoffMax, DefaultPerHost}},
		{"feed timeout from fetch", "fetch:\n  timeout: 10s\n" + feed,
			func(c *Config) any { return c.Feeds[0].Timeout.Std() }, 10 * time.Second},
		{"feed timeout of its own", "feeds:\n  - url: https://example.com/\n    timeout: 2m\n",
			func(c *Config) any { return c.Feeds[0].Timeout.Std() }, 2 * time.Minute},
		{"headers", "feeds:\n  - url: https://example.com/\n    headers:\n      Accept-Language: en\n      X-Count: 5\n      X-Empty:\n",
			func(c *Config) any { return c.Feeds[0].Headers },
			map[string]string{"Accept-Language": "en", "X-Count": "5", "X-Empty": ""}},
		{"no auth", feed,
			func(c *Config) any { return c.Feeds[0].Auth }, (*Auth)(nil)},
		{"stories unset are the defaults", feed,
			func(c *Config) any { return c.Stories },
			Stories{Enabled: new(true), Window: Duration(DefaultStoryWindow)}},
		{"stories null are the defaults", "stories:\n  enabled: ~\n  threshold: ~\n  window: ~\n" + feed,
			func(c *Config) any { return c.Stories },
			Stories{Enabled: new(true), Window: Duration(DefaultStoryWindow)}},
		{"zero story window is the default", "stories:\n  window: 0s\n" + feed,
			func(c *Config) any { return c.Stories.Window.Std() }, DefaultStoryWindow},
		{"story settings", "" +
			"stories:\n" +
			"  enabled: true\n" +
			"  threshold: 0.35\n" +
			"  window: 36h\n" +
			"  source_priority: [Wire, https://example.org/]\n" +
			"  update_on_join: true\n" +
			"feeds:\n" +
			"  - url: https://example.org/\n" +
			"  - url: https://example.com/\n" +
			"    name: Wire\n",
			func(c *Config) any { return c.Stories },
			Stories{Enabled: new(true), Threshold: 0.35, Window: Duration(36 * time.Hour),
				SourcePriority: []string{"Wire", "https://example.org/"}, UpdateOnJoin: true}},
		{"threshold 1", "stories:\n  threshold: 1\n" + feed,
			func(c *Config) any { return c.Stories.Threshold }, 1.0},
		{"source priority by url becomes the feed's url", "" +
			"stories:\n" +
			"  source_priority:\n" +
			"    - ./feeds/../feeds/a.xml\n" +
			"    - https://EXAMPLE.com:443/Feed\n" +
			"    - Elsewhere\n" +
			"feeds:\n" +
			"  - url: HTTPS://Example.com/Feed\n" +
			"  - url: feeds/a.xml\n" +
			"    name: Local\n" +
			"  - url: https://example.net/\n" +
			"    name: Elsewhere\n",
			func(c *Config) any { return strings.Join(c.Stories.SourcePriority, " ") },
			"file://$DIR/feeds/a.xml HTTPS://Example.com/Feed Elsewhere"},
		{"source priority by resolved url", "feeds:\n  - url: /srv/a.xml\nstories:\n  source_priority: [\"file:///srv/a.xml\"]\n",
			func(c *Config) any { return c.Stories.SourcePriority }, []string{"file:///srv/a.xml"}},
		{"source priority: a name before a url", "" +
			"feeds:\n" +
			"  - url: https://example.com/a\n" +
			"  - url: https://example.com/b\n" +
			"    name: https://example.com/a\n" +
			"stories:\n" +
			"  source_priority: [https://example.com/a]\n",
			func(c *Config) any { return c.Stories.SourcePriority }, []string{"https://example.com/a"}},
		{"tracking params", "dedupe:\n  tracking_params: [ref, PK_*, x.y-z]\n" + feed,
			func(c *Config) any { return c.Dedupe.TrackingParams }, []string{"ref", "PK_*", "x.y-z"}},
		{"empty lists are none", "dedupe:\n  tracking_params: []\nstories:\n  source_priority: []\n" + feed,
			func(c *Config) any { return []any{c.Dedupe.TrackingParams, c.Stories.SourcePriority} },
			[]any{[]string(nil), []string(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			c, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if s, ok := want.(string); ok {
				want = strings.ReplaceAll(s, "$DIR", filepath.Dir(path))
			}
			if got := tt.get(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // problems, without the file name
	}{
		{"unknown top-level key", "feeds:\n  - url: https://example.com/\nserve:\n  listen: :80\n", []string{
			":3: serve: unknown key; known keys here are store, store_password_file, instance, schedule, server, publish, fetch, feeds, outputs, dedupe, stories, tags, tagging, retention",
		}},
		{"unknown key in a feed", "feeds:\n  - url: https://a.example/\n  - url: https://b.example/\n    category: [x]\n", []string{
			":4: feeds[1].category: unknown key; known keys here are url, name, schedule, headers, auth, timeout, tags",
		}},
		{"bad publication", "publish:\n  title: \"News\\nDigest\"\n  subtitle: \" \"\n  icon: javascript:alert(1)\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: publish.title: has a line break; write it on one line`,
			`:3: publish.subtitle: is blank; write a few words, or remove the key`,
			`:4: publish.icon: "javascript:alert(1)" is neither an http(s) URL nor a path under base_url; write e.g. https://news.example.com/icon.png or icon.png`,
		}},
		{"bad websub hub", "publish:\n  websub_hub: hub.example\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: publish.websub_hub: "hub.example" is not an http(s) URL; write the hub's URL, e.g. https://pubsubhubbub.appspot.com/`,
		}},
		{"key set twice", "store: a.db\nstore: b.db\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: store: set twice (also on line 1); remove one",
		}},
		{"many problems", "" +
			"server:\n" +
			"  listen: localhost\n" +
			"fetch:\n" +
			"  concurrency: -1\n" +
			"feeds:\n" +
			"  - url: feeds.example.com/world.xml\n" +
			"  - url: ftp://example.com/feed\n" +
			"  - name: no URL\n" +
			"  - url: http:///feed\n" +
			"outputs:\n" +
			"  - name: World News\n" +
			"    limit: -5\n",
			[]string{
				`:2: server.listen: "localhost" is not host:port (missing port in address); write e.g. "127.0.0.1:8080" or ":8080"`,
				":4: fetch.concurrency: -1 is negative; write a positive number, or 0 for the default (8)",
				":6: feeds[0].url: missing scheme; write https://feeds.example.com/world.xml, or ./feeds.example.com/world.xml if it is a local file",
				`:7: feeds[1].url: unsupported scheme "ftp"; use http, https or file, or write a file path`,
				":8: feeds[2].url: missing; write the feed's https://… URL or a file path",
				`:9: feeds[3].url: "http:///feed" has no host; write e.g. https://example.com/feed.xml`,
				`:11: outputs[0].name: "World News" is not a valid name; use lowercase letters, digits, - and _, e.g. "world-news"`,
				":12: outputs[0].limit: -5 is negative; write a positive number, or 0 for the default (100)",
			}},
		{"bad schedules", "schedule: every 15m\nfeeds:\n  - url: https://example.com/\n    schedule: \"61 * * * *\"\n  - url: https://example.org/\n", []string{
			`:1: schedule: "every 15m" is not a cron spec: expected exactly 5 fields, found 2: [every 15m]; write e.g. "@every 15m" or "*/10 * * * *"`,
			`:4: feeds[0].schedule: "61 * * * *" is not a cron spec: end of range (61) above maximum (59): 61; write e.g. "@every 15m" or "*/10 * * * *"`,
		}},
		{"duplicate feeds", "feeds:\n  - url: https://example.com/feed\n  - url: HTTPS://EXAMPLE.com:443/feed\n  - url: a.xml\n  - url: ./a.xml\n", []string{
			`:3: feeds[1].url: "HTTPS://EXAMPLE.com:443/feed" is listed twice (also as feeds[0]); remove one`,
			`:5: feeds[3].url: "file:a.xml" is listed twice (also as feeds[2]); remove one`,
		}},
		{"credentials in urls", "" +
			"feeds:\n" +
			"  - url: https://u:pw-S3@example.com/feed?token=t-S3\n" +
			"  - url: https://u:pw-S3@example.com/feed?token=t-S3\n" +
			"  - url: http://u:pw-S3@/feed?sig=t-S3\n" +
			"  - url: http://u:pw-S3@[::1/feed?key=t-S3\n", []string{
			`:3: feeds[1].url: "https://example.com/feed?token=redacted" is listed twice (also as feeds[0]); remove one`,
			`:4: feeds[2].url: "http:///feed?sig=redacted" has no host; write e.g. https://example.com/feed.xml`,
			`:5: feeds[3].url: "http://[::1/feed" is not a valid URL: missing ']' in host`,
		}},
		{"duplicate outputs", "feeds:\n  - url: https://example.com/\noutputs:\n  - name: all\n  - name: all\n", []string{
			`:5: outputs[1].name: "all" is used twice; output names must be unique`,
		}},
		{"bad types", "" +
			"server: 127.0.0.1:80\n" +
			"fetch:\n" +
			"  timeout: 30\n" +
			"feeds: https://example.com/\n" +
			"outputs:\n" +
			"  - name: [a, b]\n" +
			"    limit: many\n",
			[]string{
				`:1: server: want keys, found "127.0.0.1:80"; the keys here are listen`,
				`:3: fetch.timeout: "30" is not a duration; write e.g. "30s" or "2m"`,
				`:4: feeds: want a list, found "https://example.com/"; start each item on its own line with "- "`,
				`:6: outputs[0].name: want a string, found a list; quote it if need be`,
				`:7: outputs[0].limit: "many" is not a whole number; write one without quotes, e.g. 10`,
			}},
		{"syntax error", "store: a.db\nfeeds:\n  - url: https://example.com/\n    name x\n", []string{
			":4: invalid YAML: could not find expected ':'; check the indentation, colons and quotes here and on the line before",
		}},
		{"empty file", "", []string{
			": feeds: no feeds; add at least one under feeds:",
		}},
		{"not a mapping", "- https://example.com/\n", []string{
			":1: want keys, found a list; the keys here are store, store_password_file, instance, schedule, server, publish, fetch, feeds, outputs, dedupe, stories, tags, tagging, retention",
		}},
		{"typo hides the feeds", "feed:\n  - url: https://example.com/\n", []string{
			":1: feed: unknown key; known keys here are store, store_password_file, instance, schedule, server, publish, fetch, feeds, outputs, dedupe, stories, tags, tagging, retention",
			": feeds: no feeds; add at least one under feeds:",
		}},
		{"two documents", "feeds:\n  - url: https://example.com/\n---\nstore: x.db\n", []string{
			":3: a second YAML document; a config file holds one, so remove the extra ---",
		}},
		{"bad fetch settings", "" +
			"fetch:\n" +
			"  per_host: -1\n" +
			"  max_body_size: -5MiB\n" +
			"  max_wait: -1h\n" +
			"  backoff_base: -1m\n" +
			"  backoff_max: -2h\n" +
			"  jitter: -30s\n" +
			"  user_agent: \"Test/1.0\\r\\nX-Evil: 1\"\n" +
			"  max_items: -3\n" +
			"  max_parse_memory: -1MiB\n" +
			"feeds:\n" +
			"  - url: https://example.com/\n" +
			"    timeout: -5s\n",
			[]string{
				":2: fetch.per_host: -1 is negative; write a positive number, or 0 for the default (2)",
				`:3: fetch.max_body_size: -5MiB is negative; write a size such as "10MiB", or leave it out for the default (10MiB)`,
				`:4: fetch.max_wait: -1h is negative; write e.g. "12h", or 0 for the default (24h)`,
				`:5: fetch.backoff_base: -1m is negative; write e.g. "15m", or 0 for the default (15m)`,
				`:6: fetch.backoff_max: -2h is negative; write e.g. "24h", or 0 for the default (24h)`,
				`:7: fetch.jitter: -30s is negative; write e.g. "5m", or 0 for no jitter`,
				":8: fetch.user_agent: the value contains a line break, which would end the header early; put it on one line",
				":9: fetch.max_items: -3 is negative; write a positive number such as 200, or leave it out for the default (1000)",
				`:10: fetch.max_parse_memory: -1MiB is negative; write a size such as "20MiB", or leave it out for the default (20MiB)`,
				`:13: feeds[0].timeout: -5s is negative; write e.g. "1m", or 0 for fetch.timeout`,
			}},
		{"bad retention", "" +
			"retention:\n" +
			"  max_age: -24h\n" +
			"  max_items: -1\n" +
			"feeds:\n" +
			"  - url: https://example.com/\n",
			[]string{
				`:2: retention.max_age: -24h is negative; write e.g. "720h" for 30 days, 0 to keep stories forever, or leave it out for the default (2160h)`,
				":3: retention.max_items: -1 is negative; write a positive number, or 0 for no limit",
			}},
		{"bad retention types", "retention:\n  max_age: 90d\n  max_items: lots\n  keep: [x]\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: retention.max_age: "90d" is not a duration; write e.g. "30s" or "2m"`,
			`:3: retention.max_items: "lots" is not a whole number; write one without quotes, e.g. 10`,
			":4: retention.keep: unknown key; known keys here are max_age, max_items",
		}},
		{"max body size 0", "fetch:\n  max_body_size: 0\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: fetch.max_body_size: 0 would refuse every feed; write a size such as "10MiB", or leave it out for the default (10MiB)`,
		}},
		{"max parse memory 0", "fetch:\n  max_parse_memory: 0\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: fetch.max_parse_memory: 0 would parse no feed; write a size such as "20MiB", or leave it out for the default (20MiB)`,
		}},
		{"max items 0", "fetch:\n  max_items: 0\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: fetch.max_items: 0 would keep no items; write a positive number such as 200, or leave it out for the default (1000)",
		}},
		{"max items not a number", "fetch:\n  max_items: many\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: fetch.max_items: "many" is not a whole number; write one without quotes, e.g. 10`,
		}},
		{"bad sizes", "fetch:\n  max_body_size: 10Mb\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: fetch.max_body_size: "10Mb" has an unknown unit "Mb"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`,
		}},
		{"size as a list", "fetch:\n  max_body_size: [10, MiB]\nfeeds:\n  - url: https://example.com/\n", []string{
			`:2: fetch.max_body_size: want a size, found a list; write e.g. "10MiB"`,
		}},
		{"backoff base above max", "fetch:\n  backoff_base: 48h\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: fetch.backoff_base: 48h is more than fetch.backoff_max (24h); lower it, or raise backoff_max",
		}},
		{"backoff max below base", "fetch:\n  backoff_max: 10m\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: fetch.backoff_max: 10m is less than fetch.backoff_base (15m); raise it, or lower backoff_base",
		}},
		{"backoff both given", "fetch:\n  backoff_max: 1h\n  backoff_base: 2h\nfeeds:\n  - url: https://example.com/\n", []string{
			":3: fetch.backoff_base: 2h is more than fetch.backoff_max (1h); lower it, or raise backoff_max",
		}},
		{"bad headers", "" +
			"feeds:\n" +
			"  - url: https://example.com/\n" +
			"    headers:\n" +
			"      X Token: abc\n" +
			"      Host: example.org\n" +
			"      X-Multi: \"a\\nb\"\n" +
			"      X-Nul: \"a\\0b\"\n" +
			"      x-client: one\n" +
			"      X-Client: two\n" +
			"      x-client: three\n" +
			"      \"\": empty\n",
			[]string{
				`:4: feeds[0].headers.X Token: "X Token" is not a valid header name; use letters, digits and !#$%&'*+-.^_` + "`" + `|~ only, e.g. "X-Api-Key"`,
				":5: feeds[0].headers.Host: Host cannot be set here: Go's HTTP client takes the host from the feed's url and ignores a Host header; change url instead",
				":6: feeds[0].headers.X-Multi: the value contains a line break, which would end the header early; put it on one line",
				":7: feeds[0].headers.X-Nul: the value contains the control character U+0000; remove it",
				":9: feeds[0].headers.X-Client: same header as x-client (header names ignore case); remove one",
				":10: feeds[0].headers.x-client: set twice (also on line 8); remove one",
				`:11: feeds[0].headers.: "" is not a valid header name; use letters, digits and !#$%&'*+-.^_` + "`" + `|~ only, e.g. "X-Api-Key"`,
			}},
		{"headers not keys", "feeds:\n  - url: https://example.com/\n    headers: [Accept-Language, en]\n", []string{
			`:3: feeds[0].headers: want keys, found a list; write one "name: value" per line`,
		}},
		{"header value a list", "feeds:\n  - url: https://example.com/\n    headers:\n      Accept: [a, b]\n", []string{
			`:4: feeds[0].headers.Accept: want a string, found a list; quote it if need be`,
		}}, {"bad stories", "" +
			"feeds:\n" +
			"  - url: https://example.com/world\n" +
			"    name: World\n" +
			"  - url: feeds/local.xml\n" +
			"stories:\n" +
			"  threshold: 1.5\n" +
			"  window: -1h\n" +
			"  full_text_words: -3\n" +
			"  source_priority:\n" +
			"    - World\n" +
			"    - \"\"\n" +
			"    -\n" +
			"    - Reuters\n" +
			"    - World\n" +
			"    - https://EXAMPLE.com/world\n" +
			"    - feeds/local.xml\n" +
			"    - ./feeds/local.xml\n" +
			"    - \"  \"\n",
			[]string{
				":6: stories.threshold: 1.5 is not between 0 and 1; write a probability such as 0.5, or 0 for the default",
				`:7: stories.window: -1h is negative; write e.g. "48h", or 0 for the default (72h)`,
				":8: stories.full_text_words: -3 is negative; the setting is no longer used: remove it",
				":11: stories.source_priority[1]: empty; write the name or url of a feed under feeds, or remove the item",
				":12: stories.source_priority[2]: empty; write the name or url of a feed under feeds, or remove the item",
				`:13: stories.source_priority[3]: "Reuters": no feed has this name or url; write the name or url of a feed under feeds`,
				`:14: stories.source_priority[4]: "World" is listed twice (also as stories.source_priority[0]); remove one`,
				`:15: stories.source_priority[5]: "https://EXAMPLE.com/world" is feeds[0], as is stories.source_priority[0]; remove one`,
				`:17: stories.source_priority[7]: "./feeds/local.xml" is feeds[1], as is stories.source_priority[6]; remove one`,
				":18: stories.source_priority[8]: empty; write the name or url of a feed under feeds, or remove the item",
			}},
		{"negative threshold", "stories:\n  threshold: -0.1\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: stories.threshold: -0.1 is not between 0 and 1; write a probability such as 0.5, or 0 for the default",
		}},
		{"NaN threshold", "stories:\n  threshold: .nan\nfeeds:\n  - url: https://example.com/\n", []string{
			":2: stories.threshold: NaN is not between 0 and 1; write a probability such as 0.5, or 0 for the default",
		}},
		{"bad story types", "" +
			"stories:\n" +
			"  enabled: maybe\n" +
			"  threshold: high\n" +
			"  window: 3d\n" +
			"  source_priority: World\n" +
			"  update_on_join: [x]\n" +
			"  sources: [x]\n" +
			"feeds:\n" +
			"  - url: https://example.com/\n",
			[]string{
				`:2: stories.enabled: "maybe" is not true or false; write true or false`,
				`:3: stories.threshold: "high" is not a number; write one without quotes, e.g. 0.5`,
				`:4: stories.window: "3d" is not a duration; write e.g. "30s" or "2m"`,
				`:5: stories.source_priority: want a list, found "World"; start each item on its own line with "- "`,
				`:6: stories.update_on_join: want true or false, found a list; write true or false`,
				":7: stories.sources: unknown key; known keys here are enabled, threshold, full_text_words, window, source_priority, update_on_join",
			}},
		{"stories not keys", "stories: off\nfeeds:\n  - url: https://example.com/\n", []string{
			`:1: stories: want keys, found "off"; the keys here are enabled, threshold, full_text_words, window, source_priority, update_on_join`,
		}},
		{"source priority without feeds", "stories:\n  source_priority: [World]\n", []string{
			": feeds: no feeds; add at least one under feeds:",
		}},
		{"bad tracking params", "" +
			"dedupe:\n" +
			"  tracking_params:\n" +
			"    - \"\"\n" +
			"    - \"*\"\n" +
			"    - ref=x\n" +
			"    - a&b\n" +
			"    - \"#top\"\n" +
			"    - utm source\n" +
			"    - \"tab\\there\"\n" +
			"    - pk_*_id\n" +
			"    - pk_*\n" +
			"    - [a]\n" +
			"  strip: [x]\n" +
			"feeds:\n" +
			"  - url: https://example.com/\n",
			[]string{
				`:3: dedupe.tracking_params[0]: empty; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:4: dedupe.tracking_params[1]: "*" alone would strip every query parameter; write a prefix before the "*", e.g. "pk_*"`,
				`:5: dedupe.tracking_params[2]: "ref=x" contains '=', which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:6: dedupe.tracking_params[3]: "a&b" contains '&', which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:7: dedupe.tracking_params[4]: "#top" contains '#', which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:8: dedupe.tracking_params[5]: "utm source" contains a space, which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:9: dedupe.tracking_params[6]: "tab\there" contains the character U+0009, which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`,
				`:10: dedupe.tracking_params[7]: "pk_*_id" has a "*" before its end; "*" may only end a prefix, as in "pk_*"`,
				`:12: dedupe.tracking_params[9]: want a string, found a list; quote it if need be`,
				":13: dedupe.strip: unknown key; known keys here are tracking_params",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			c, err := LoadFile(path)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("LoadFile = %+v, %v; want *Error", c, err)
			}
			var got []string
			for _, p := range e.Problems {
				if p.File != path {
					t.Errorf("problem file = %q, want %q", p.File, path)
				}
				got = append(got, strings.TrimPrefix(p.String(), path))
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "$DIR", filepath.Dir(path)))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			if err.Error() != strings.Join(func() []string {
				s := make([]string, len(got))
				for i, g := range got {
					s[i] = path + g
				}
				return s
			}(), "\n") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "config.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestLoadWithoutPath(t *testing.T) {
	_, err := Load(strings.NewReader("feeds: []\n"), "")
	want := "<config>:1: feeds: no feeds; add at least one under feeds:"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestValidate(t *testing.T) {
	withFeed := func(c Config) Config {
		c.Feeds = []Feed{{URL: "https://example.com/feed.xml"}}
		return c
	}
	tests := []struct {
		name string
		c    Config
		want string // "" for valid
	}{
		{"default with a feed", withFeed(Default()), ""},
		{"zero values are defaults", withFeed(Config{}), ""},
		{"no feeds", Default(), "<config>: feeds: no feeds; add at least one under feeds:"},
		{"bad base URL", func() Config {
			c := withFeed(Default())
			c.Publish.BaseURL = "news.example.com"
			return c
		}(), `<config>: publish.base_url: "news.example.com" is not an absolute http(s) URL; write e.g. "https://news.example.com/"`},
		{"negative timeout", func() Config {
			c := withFeed(Default())
			c.Fetch.Timeout = Duration(-time.Second)
			return c
		}(), `<config>: fetch.timeout: -1s is negative; write e.g. "30s", or 0 for the default (30s)`},
		{"bad port", func() Config {
			c := withFeed(Default())
			c.Server.Listen = "localhost:http"
			return c
		}(), `<config>: server.listen: port "http" is not a number from 0 to 65535; write e.g. "127.0.0.1:8080" or ":8080"`},
		{"bad fetch settings", func() Config {
			c := withFeed(Config{})
			c.Fetch = Fetch{PerHost: -1, MaxBodySize: -1, MaxParseMemory: -1, MaxItems: -1, Jitter: Duration(-time.Minute), UserAgent: "a\x01b"}
			return c
		}(), "" +
			"<config>: fetch.per_host: -1 is negative; write a positive number, or 0 for the default (2)\n" +
			`<config>: fetch.max_body_size: -1B is negative; write a size such as "10MiB", or leave it out for the default (10MiB)` + "\n" +
			`<config>: fetch.max_parse_memory: -1B is negative; write a size such as "20MiB", or leave it out for the default (20MiB)` + "\n" +
			"<config>: fetch.max_items: -1 is negative; write a positive number such as 200, or leave it out for the default (1000)\n" +
			`<config>: fetch.jitter: -1m is negative; write e.g. "5m", or 0 for no jitter` + "\n" +
			"<config>: fetch.user_agent: the value contains the control character U+0001; remove it"},
		{"backoff base above the default max", func() Config {
			c := withFeed(Config{})
			c.Fetch.BackoffBase = Duration(25 * time.Hour)
			return c
		}(), "<config>: fetch.backoff_base: 25h is more than fetch.backoff_max (24h); lower it, or raise backoff_max"},
		{"auth not read", func() Config {
			c := withFeed(Config{})
			c.Feeds[0].Auth = &Auth{Username: "reader", PasswordEnv: "SURELY_UNSET_AGGREGATOR_VARIABLE"}
			return c
		}(), ""},
		{"auth with a password", func() Config {
			c := withFeed(Config{})
			c.Feeds[0].Auth = &Auth{Username: "reader", Password: "s3cret"}
			return c
		}(), ""},
		{"auth without one", func() Config {
			c := withFeed(Config{})
			c.Feeds[0].Auth = &Auth{}
			return c
		}(), "" +
			"<config>: feeds[0].auth.username: missing; write the user name for HTTP basic auth\n" +
			"<config>: feeds[0].auth: no password; set password_env to the name of an environment variable holding it, or password_file to a file holding it"},
		{"headers", func() Config {
			c := withFeed(Config{})
			c.Feeds[0].Headers = map[string]string{"X-B": "ok", "host": "x", "X-A": "a\nb", "x-b": "dup"}
			return c
		}(), "" +
			"<config>: feeds[0].headers.X-A: the value contains a line break, which would end the header early; put it on one line\n" +
			"<config>: feeds[0].headers.host: Host cannot be set here: Go's HTTP client takes the host from the feed's url and ignores a Host header; change url instead\n" +
			"<config>: feeds[0].headers.x-b: same header as X-B (header names ignore case); remove one"},
		{"story settings", func() Config {
			c := withFeed(Config{})
			c.Feeds = append(c.Feeds, Feed{URL: "feeds/a.xml", Name: "Local"})
			c.Stories = Stories{Enabled: new(false), Threshold: 1, Window: Duration(time.Hour),
				SourcePriority: []string{"Local", "https://example.com/feed.xml", "./feeds/a.xml"}}
			c.Stories.SourcePriority = append(c.Stories.SourcePriority, "feeds/a.xml")
			return c
		}(), `<config>: stories.source_priority[2]: "./feeds/a.xml" is feeds[1], as is stories.source_priority[0]; remove one` + "\n" +
			`<config>: stories.source_priority[3]: "feeds/a.xml" is feeds[1], as is stories.source_priority[0]; remove one`},
		{"bad stories", func() Config {
			c := withFeed(Config{})
			c.Stories = Stories{Threshold: 2, Window: Duration(-time.Hour), SourcePriority: []string{"Reuters"}}
			c.Dedupe.TrackingParams = []string{"a b"}
			return c
		}(), "" +
			`<config>: dedupe.tracking_params[0]: "a b" contains a space, which a query parameter's name cannot; write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"` + "\n" +
			"<config>: stories.threshold: 2 is not between 0 and 1; write a probability such as 0.5, or 0 for the default\n" +
			`<config>: stories.window: -1h is negative; write e.g. "48h", or 0 for the default (72h)` + "\n" +
			`<config>: stories.source_priority[0]: "Reuters": no feed has this name or url; write the name or url of a feed under feeds`},
		{"retention zero is valid", func() Config {
			c := withFeed(Config{})
			c.Retention = Retention{}
			return c
		}(), ""},
		{"bad retention", func() Config {
			c := withFeed(Default())
			c.Retention = Retention{MaxAge: Duration(-time.Hour), MaxItems: -3}
			return c
		}(), "" +
			`<config>: retention.max_age: -1h is negative; write e.g. "720h" for 30 days, 0 to keep stories forever, or leave it out for the default (2160h)` + "\n" +
			"<config>: retention.max_items: -3 is negative; write a positive number, or 0 for no limit"},
		{"negative feed timeout", func() Config {
			c := withFeed(Default())
			c.Feeds[0].Timeout = Duration(-time.Second)
			return c
		}(), `<config>: feeds[0].timeout: -1s is negative; write e.g. "1m", or 0 for fetch.timeout`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestExample checks that the repository's example config loads and
// documents every key.
func TestExample(t *testing.T) {
	const path = "../config.example.yaml"
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Feeds) == 0 {
		t.Error("example has no feeds")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := allKeys(reflect.TypeFor[Config]())
	for _, nested := range []string{"max_body_size", "headers", "password_env", "password_file", "regex", "fields", "entities", "filter"} {
		if !slices.Contains(keys, nested) {
			t.Errorf("allKeys misses %s", nested)
		}
	}
	for _, key := range keys {
		if !strings.Contains(string(text), key+":") {
			t.Errorf("example does not mention %s:", key)
		}
	}
}

// allKeys lists the YAML keys of struct type t and of the structs it holds.
func allKeys(t reflect.Type) []string {
	var keys []string
	for _, f := range yamlFields(t) {
		keys = append(keys, f.key)
		ft := t.Field(f.index).Type
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Map {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, allKeys(ft)...)
		}
	}
	return keys
}
