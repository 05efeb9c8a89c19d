package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults for the keys a config file may leave out.
const (
	DefaultStore       = "aggregator.db"
	DefaultSchedule    = "@every 15m"
	DefaultListen      = "127.0.0.1:8080"
	DefaultPublishDir  = "public"
	DefaultOutputLimit = 100
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
)

// Config is the aggregator's configuration. Zero values stand for defaults.
type Config struct {
	Path     string   `yaml:"-"`        // the file it was loaded from (absolute), "" if none
	Store    string   `yaml:"store"`    // SQLite file; after Load: absolute path
	Schedule string   `yaml:"schedule"` // default robfig/cron spec for every feed
	Server   Server   `yaml:"server"`
	Publish  Publish  `yaml:"publish"`
	Fetch    Fetch    `yaml:"fetch"`
	Feeds    []Feed   `yaml:"feeds"`
	Outputs  []Output `yaml:"outputs"`
}

// Server configures the HTTP server.
type Server struct {
	Listen string `yaml:"listen"` // host:port
}

// Publish configures where the output feeds are written and served from.
type Publish struct {
	Dir     string `yaml:"dir"`      // after Load: absolute path
	BaseURL string `yaml:"base_url"` // after Load: absolute http(s) URL ending in "/"
}

// Fetch configures how feeds are fetched.
type Fetch struct {
	Concurrency int      `yaml:"concurrency"` // feeds fetched at once
	Timeout     Duration `yaml:"timeout"`     // per fetch
}

// Feed is a subscribed feed.
type Feed struct {
	URL      string `yaml:"url"`      // after Load: http(s) URL as given, or absolute file:// URL
	Name     string `yaml:"name"`     // optional display name
	Schedule string `yaml:"schedule"` // after Load: never empty
}

// Output is a published feed, served as /feeds/{Name}.atom.
type Output struct {
	Name  string `yaml:"name"`  // [a-z0-9][a-z0-9_-]*, unique
	Title string `yaml:"title"` // default: the name
	Limit int    `yaml:"limit"` // entries in the feed
}

// Duration is a time.Duration written in YAML as a Go duration string
// ("30s", "2m").
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration, found %s; write e.g. \"30s\" or \"2m\"", describe(n))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write e.g. \"30s\" or \"2m\"", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.Std().String(), nil }

// Default returns a Config with all defaults, no feeds and no outputs.
func Default() Config {
	var c Config
	c.setDefaults()
	return c
}

// LoadFile reads the config file at path. See [Load].
func LoadFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w; create it, e.g. from config.example.yaml", err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f, path)
}

// Load reads a config from r, applies defaults, resolves paths and validates
// the result. path names the file in messages and its folder anchors relative
// paths; "" stands for the current folder. Problems with the config are
// reported as an [*Error].
func Load(r io.Reader, path string) (*Config, error) {
	name := path
	if name == "" {
		name = "<config>"
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", name, err)
	}
	dir := abs
	var c Config
	if path != "" {
		c.Path = abs
		dir = filepath.Dir(abs)
	}

	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, &Error{Problems: []Problem{syntaxProblem(name, err)}}
	}
	d := decoder{file: name, lines: make(map[string]int)}
	if len(root.Content) > 0 {
		d.decode(root.Content[0], reflect.ValueOf(&c).Elem(), "")
	}
	c.setDefaults()
	c.resolve(dir)

	problems := d.problems
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		problems = append(problems, syntaxProblem(name, err))
	case len(extra.Content) > 0 && extra.Content[0].ShortTag() != "!!null":
		problems = append(problems, Problem{File: name, Line: extra.Line,
			Message: "a second YAML document; a config file holds one, so remove the extra ---"})
	}
	for _, p := range c.check(name, dir, d.lines) {
		if !d.failed(p.Field) {
			problems = append(problems, p)
		}
	}
	if err := newError(problems); err != nil {
		return nil, err
	}
	return &c, nil
}

// setDefaults fills in the defaults that need no file system.
func (c *Config) setDefaults() {
	if c.Store == "" {
		c.Store = DefaultStore
	}
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Publish.Dir == "" {
		c.Publish.Dir = DefaultPublishDir
	}
	if c.Publish.BaseURL == "" {
		c.Publish.BaseURL = defaultBaseURL(c.Server.Listen)
	}
	if c.Fetch.Concurrency == 0 {
		c.Fetch.Concurrency = DefaultConcurrency
	}
	if c.Fetch.Timeout == 0 {
		c.Fetch.Timeout = Duration(DefaultTimeout)
	}
}

// resolve makes paths absolute against dir and fills in the defaults of feeds
// and outputs. Values that do not parse are left for check to report.
func (c *Config) resolve(dir string) {
	c.Store = absPath(dir, c.Store)
	c.Publish.Dir = absPath(dir, c.Publish.Dir)
	if u, err := baseURL(c.Publish.BaseURL); err == nil {
		c.Publish.BaseURL = u
	}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		if u, _, err := feedURL(f.URL, dir); err == nil {
			f.URL = u
		}
		if f.Schedule == "" {
			f.Schedule = c.Schedule
		}
	}
	if len(c.Outputs) == 0 {
		c.Outputs = []Output{{Name: "all", Title: "All feeds"}}
	}
	for i := range c.Outputs {
		o := &c.Outputs[i]
		if o.Title == "" {
			o.Title = o.Name
		}
		if o.Limit == 0 {
			o.Limit = DefaultOutputLimit
		}
	}
}

// defaultBaseURL is the URL the server answers on when it listens on listen.
func defaultBaseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func absPath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// syntaxProblem turns a YAML parse error into a Problem.
func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	return Problem{File: file, Line: line,
		Message: "invalid YAML: " + msg + "; check the indentation, colons and quotes here and on the line before"}
}
