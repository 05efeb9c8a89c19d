package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
		Fetch:    Fetch{Concurrency: DefaultConcurrency, Timeout: Duration(DefaultTimeout)},
		Feeds:    []Feed{{URL: "https://example.com/feed.xml", Schedule: DefaultSchedule}},
		Outputs:  []Output{{Name: "all", Title: "All feeds", Limit: DefaultOutputLimit}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFile:\n got %+v\nwant %+v", got, want)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Store != DefaultStore || c.Schedule != DefaultSchedule || c.Server.Listen != DefaultListen ||
		c.Publish.Dir != DefaultPublishDir || c.Publish.BaseURL != "http://127.0.0.1:8080/" ||
		c.Fetch.Concurrency != DefaultConcurrency || c.Fetch.Timeout.Std() != DefaultTimeout ||
		c.Feeds != nil || c.Outputs != nil {
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
			":3: serve: unknown key; known keys here are store, schedule, server, publish, fetch, feeds, outputs",
		}},
		{"unknown key in a feed", "feeds:\n  - url: https://a.example/\n  - url: https://b.example/\n    tags: [x]\n", []string{
			":4: feeds[1].tags: unknown key; known keys here are url, name, schedule",
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
			`:5: feeds[3].url: "file://$DIR/a.xml" is listed twice (also as feeds[2]); remove one`,
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
			":1: want keys, found a list; the keys here are store, schedule, server, publish, fetch, feeds, outputs",
		}},
		{"typo hides the feeds", "feed:\n  - url: https://example.com/\n", []string{
			":1: feed: unknown key; known keys here are store, schedule, server, publish, fetch, feeds, outputs",
			": feeds: no feeds; add at least one under feeds:",
		}},
		{"two documents", "feeds:\n  - url: https://example.com/\n---\nstore: x.db\n", []string{
			":3: a second YAML document; a config file holds one, so remove the extra ---",
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
	for _, key := range allKeys(reflect.TypeFor[Config]()) {
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
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, allKeys(ft)...)
		}
	}
	return keys
}
