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
	DefaultPerHost     = 2
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBodySize = 10 << 20 // bytes: 10MiB
	DefaultMaxWait     = 24 * time.Hour
	DefaultBackoffBase = 15 * time.Minute
	DefaultBackoffMax  = 24 * time.Hour
	DefaultJitter      = 5 * time.Minute
	// DefaultMinInterval is the shortest time a schedule may leave between
	// two fetches of a feed.
	DefaultMinInterval = time.Minute
	DefaultStoryWindow = 72 * time.Hour
	// DefaultRetentionMaxAge is how long a story is kept after its newest
	// article was stored: 90 days.
	DefaultRetentionMaxAge = 90 * 24 * time.Hour

	// DefaultFetchMaxItems is how many items of one feed document are kept,
	// the newest.
	DefaultFetchMaxItems = 1000

	// DefaultMaxParseMemory is how many bytes of feed bodies are held to be
	// parsed at once, all feeds together: two bodies of the default largest
	// size.
	DefaultMaxParseMemory = 2 * DefaultMaxBodySize
)

// Config is the aggregator's configuration. Zero values stand for defaults.
type Config struct {
	Path  string `yaml:"-"`     // the file it was loaded from (absolute), "" if none
	Store string `yaml:"store"` // SQLite file (after Load: absolute path), or a postgres:// URL
	// StorePasswordFile holds the password of a PostgreSQL store; after
	// Load: absolute path.
	StorePasswordFile string `yaml:"store_password_file"`
	// Instance names this instance among those sharing a PostgreSQL store,
	// in status pages, metrics and the database's sessions; "" for its
	// host and process id.
	Instance      string             `yaml:"instance"`
	StorePassword Secret             `yaml:"-"`        // set by Load from StorePasswordFile
	Schedule      string             `yaml:"schedule"` // default robfig/cron spec for every feed
	Server        Server             `yaml:"server"`
	Publish       Publish            `yaml:"publish"`
	Fetch         Fetch              `yaml:"fetch"`
	Feeds         []Feed             `yaml:"feeds"`
	Outputs       []Output           `yaml:"outputs"`
	Dedupe        Dedupe             `yaml:"dedupe"`
	Stories       Stories            `yaml:"stories"`
	Tags          map[string]TagRule `yaml:"tags"` // rule tags, by tag slug
	Tagging       Tagging            `yaml:"tagging"`
	Retention     Retention          `yaml:"retention"`
}

// Server configures the HTTP server.
type Server struct {
	Listen string `yaml:"listen"` // host:port
}

// Publish configures where the output feeds are written and served from.
type Publish struct {
	Dir     string `yaml:"dir"`      // after Load: absolute path
	BaseURL string `yaml:"base_url"` // after Load: absolute http(s) URL ending in "/"
	// WebSubHub is the URL of a WebSub hub: the outputs name it and the
	// daemon tells it when they change. Empty: no hub.
	WebSubHub string `yaml:"websub_hub"`
	// Title names the whole publication: the index page's title and
	// heading, and the start of each output feed's title. Empty: "aggregator"
	// on the index, and the feeds' titles are their outputs' own.
	Title string `yaml:"title"`
	// Subtitle says in a line what the publication is: under the index
	// page's heading, and each feed's subtitle or description. Empty: none.
	Subtitle string `yaml:"subtitle"`
	// Icon is the publication's small square image, an http(s) URL or a
	// path under base_url: each feed's icon. Empty: none.
	Icon string `yaml:"icon"`
}

// Fetch configures how feeds are fetched.
type Fetch struct {
	Concurrency int      `yaml:"concurrency"`   // feeds fetched at once
	PerHost     int      `yaml:"per_host"`      // fetches at once to one host
	Timeout     Duration `yaml:"timeout"`       // per fetch
	MaxBodySize ByteSize `yaml:"max_body_size"` // largest response body, counted after decompression
	MaxItems    int      `yaml:"max_items"`     // items kept of one feed document, the newest; after Load never 0
	MaxWait     Duration `yaml:"max_wait"`      // cap on any wait a server or feed asks for (Cache-Control, Expires, ttl, Retry-After, skipHours)
	BackoffBase Duration `yaml:"backoff_base"`  // wait after a first failure, doubling per failure
	BackoffMax  Duration `yaml:"backoff_max"`   // longest wait after failures
	Jitter      Duration `yaml:"jitter"`        // each feed's schedule is shifted by a stable offset of up to this much; after Load: 0 means none
	MinInterval Duration `yaml:"min_interval"`  // shortest time a schedule may leave between two fetches of a feed; after Load never 0
	// Lease is how long an instance sharing a PostgreSQL store holds a
	// feed it fetches without renewing it: when an instance dies, the
	// others fetch its feeds after this long. 0: the default (2m).
	Lease     Duration `yaml:"lease"`
	UserAgent string   `yaml:"user_agent"` // "" for the program's own
	// AllowPrivate lets feeds (and redirects) reach loopback, private,
	// link-local, CGNAT and cloud metadata addresses; off, they are refused.
	AllowPrivate bool `yaml:"allow_private_addresses"`
	// MaxParseMemory is how many bytes of feed bodies are held to be parsed
	// at once, all feeds together; a body larger than this is parsed alone.
	MaxParseMemory ByteSize `yaml:"max_parse_memory"`
}

// Feed is a subscribed feed.
type Feed struct {
	URL      string            `yaml:"url"`      // after Load: http(s) URL as given, or absolute file:// URL
	Name     string            `yaml:"name"`     // optional display name, and the feed's name for filters (else its URL)
	Schedule string            `yaml:"schedule"` // after Load: never empty
	Headers  map[string]string `yaml:"headers"`  // extra request headers
	Auth     *Auth             `yaml:"auth"`     // HTTP basic auth; nil for none
	Timeout  Duration          `yaml:"timeout"`  // per fetch; after Load: never 0 (default fetch.timeout)
	Tags     []string          `yaml:"tags"`     // tags every item of this feed gets, as written (slugified by the tagger); each non-empty
}

// Auth is HTTP basic auth for a feed. The password is never written in the
// config: it is read from an environment variable or a file.
type Auth struct {
	Username     string `yaml:"username"`      // required
	PasswordEnv  string `yaml:"password_env"`  // name of an environment variable holding the password
	PasswordFile string `yaml:"password_file"` // file holding the password; after Load: absolute path
	Password     Secret `yaml:"-"`             // set by Load from PasswordEnv or PasswordFile
}

// Output is a published feed, served as /feeds/{Name}.atom.
type Output struct {
	Name  string `yaml:"name"`  // [a-z0-9][a-z0-9_-]*, unique
	Title string `yaml:"title"` // default: the name
	Limit int    `yaml:"limit"` // entries in the feed
	// Filter is a filter expression choosing the entries, e.g.
	// "tag:north-korea AND NOT tag:sport"; "" for every entry. Load and
	// Validate do not parse it: LoadWith and LoadFileWith do, with
	// Options.CheckFilter.
	Filter string `yaml:"filter"`
}

// Dedupe tunes exact-duplicate detection.
type Dedupe struct {
	// TrackingParams are extra query parameters to strip from links before comparing
	// them, on top of the built-in list (utm_*, fbclid, gclid, mc_cid, mc_eid, igshid, ...).
	// Case-insensitive; an entry ending in "*" is a prefix ("pk_*"). Each must be a
	// non-empty query-parameter name without '=', '&', '#' or spaces.
	TrackingParams []string `yaml:"tracking_params"`
}

// Stories tunes same-story clustering across outlets.
type Stories struct {
	Enabled        *bool    `yaml:"enabled"`         // default true; false publishes every article as its own entry. After Load never nil.
	Threshold      float64  `yaml:"threshold"`       // probability in (0,1] that an article belongs to a story for it to join; 0 for the clusterer's default (left 0 by Load)
	FullTextWords  int      `yaml:"full_text_words"` // no longer used (the join model weighs how much text an article has); accepted so that old configs load
	Window         Duration `yaml:"window"`          // how long a story stays open to new articles; after Load never 0 (default DefaultStoryWindow)
	SourcePriority []string `yaml:"source_priority"` // feed names or urls whose article represents a story they carried, most preferred first; after Load each is a feed's Name, or a feed's URL as resolved
	UpdateOnJoin   bool     `yaml:"update_on_join"`  // false: an entry's <updated> changes only when its representative article changes; true: also when another outlet joins
}

// Retention says which stories the store forgets. A story goes whole, with
// all its articles, never part of it; feeds are never forgotten.
type Retention struct {
	// MaxAge: a story goes once every one of its articles was stored longer
	// ago than this. The age counts from when the aggregator first stored an
	// article, not from its publication date: the old articles of a feed
	// added today stay for MaxAge from today. After Load: unset or null is
	// DefaultRetentionMaxAge, and 0 (as given) keeps stories forever.
	MaxAge Duration `yaml:"max_age"`
	// MaxItems: only the newest stories whose articles add up to at most this
	// many are kept, newest by their earliest article. 0 for no limit.
	MaxItems int `yaml:"max_items"`
}

// TagRule gives an item a tag by its text. An item gets the tag when (Any is
// empty or some phrase of Any occurs), every phrase of All occurs, no phrase
// of None occurs, and (Regex is empty or some regular expression of Regex
// matches), each looked for in the item's Fields. A rule has at least one of
// Any, All or Regex; phrases are not empty and regular expressions compile
// with package regexp.
type TagRule struct {
	Label  string   `yaml:"label"` // the tag's label for people ("North Korea"); "" for one made from the slug or a phrase
	Any    []string `yaml:"any"`
	All    []string `yaml:"all"`
	None   []string `yaml:"none"`
	Regex  []string `yaml:"regex"`
	Fields []string `yaml:"fields"` // subset of TagFields; after Load never empty (default DefaultTagFields)
}

// TagFields lists the item fields a TagRule may look in.
func TagFields() []string {
	return []string{"title", "summary", "content", "categories", "author", "source", "link"}
}

// DefaultTagFields lists the fields a TagRule looks in when it names none.
func DefaultTagFields() []string {
	return []string{"title", "summary", "content", "categories"}
}

// Tagging tunes the tags found without rules.
type Tagging struct {
	// Entities turns on entity tags, found without rules: people, places and
	// organisations. Default true; after Load never nil.
	Entities *bool `yaml:"entities"`
	// Aliases maps an upstream category's slug to the tag slug it becomes;
	// "" drops the category.
	Aliases map[string]string `yaml:"aliases"`
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

// String formats d like time.Duration does, without zero minutes and
// seconds after hours or minutes: "24h", "1h30m", "15m", "1m30s".
func (d Duration) String() string {
	s := d.Std().String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Default returns a Config with all defaults, no feeds and no outputs.
func Default() Config {
	var c Config
	c.setDefaults(nil)
	return c
}

// LoadFile reads the config file at path. See [Load].
func LoadFile(path string) (*Config, error) {
	return LoadFileWith(path, Options{})
}

// Load reads a config from r, applies defaults, resolves paths, reads the
// feeds' passwords and validates the result. path names the file in messages
// and its folder anchors relative paths; "" stands for the current folder.
// Problems with the config are reported as an [*Error]. Load does not parse
// the outputs' filters; see [LoadWith].
func Load(r io.Reader, path string) (*Config, error) {
	return LoadWith(r, path, Options{})
}

// Options adds checks to [LoadWith] and [LoadFileWith] that need code from
// outside this package.
type Options struct {
	// CheckFilter, if not nil, parses a non-empty output filter and returns
	// an error if it is invalid. Each such error becomes a problem at the
	// filter's line that names the output, `outputs[1].filter: output
	// "korea": <error>`; if the error, or one it wraps, has a method
	// Column() int returning a 1-based column in the filter, the column
	// follows the name: `outputs[1].filter: output "korea": column 17:
	// <error>`.
	CheckFilter func(expr string) error
	// CheckFeedFiles reports each feed read from a local file whose file
	// does not exist, cannot be read or is a folder, as a problem at its
	// url. Without it such a feed loads, and fails when it is fetched.
	CheckFeedFiles bool
	// Warn, if not nil, is called with each thing in a config that loads
	// that works, but likely not as meant: publish.base_url left out, so
	// that the outputs link to server.listen.
	Warn func(Problem)
}

// LoadFileWith is [LoadFile] with the checks of o.
func LoadFileWith(path string, o Options) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w; create it, e.g. from config.example.yaml", err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadWith(f, path, o)
}

// LoadWith is [Load] with the checks of o.
func LoadWith(r io.Reader, path string, o Options) (*Config, error) {
	return loader{getenv: os.LookupEnv, checkFilter: o.CheckFilter, checkFeedFiles: o.CheckFeedFiles, warn: o.Warn}.load(r, path)
}

// loader loads configs. Tests replace its view of the environment.
type loader struct {
	getenv         func(name string) (value string, ok bool) // like os.LookupEnv
	checkFilter    func(expr string) error                   // Options.CheckFilter
	checkFeedFiles bool                                      // Options.CheckFeedFiles
	warn           func(Problem)                             // Options.Warn
}

func (l loader) load(r io.Reader, path string) (*Config, error) {
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
	d := decoder{file: name, lines: make(map[string]int), set: make(map[string]bool)}
	if len(root.Content) > 0 {
		d.decode(root.Content[0], reflect.ValueOf(&c).Elem(), "")
	}
	baseURLGiven := c.Publish.BaseURL != ""
	c.setDefaults(d.set)
	c.resolve(dir)

	found := d.problems
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		found = append(found, syntaxProblem(name, err))
	case len(extra.Content) > 0 && extra.Content[0].ShortTag() != "!!null":
		found = append(found, Problem{File: name, Line: extra.Line,
			Message: "a second YAML document; a config file holds one, so remove the extra ---"})
	}
	checked := &problems{file: name, lines: d.lines, decodeFailed: d.failed}
	c.check(checked, dir, d.set)
	c.checkFilters(checked, l.checkFilter)
	c.readPasswords(checked, l.getenv)
	if l.checkFeedFiles {
		c.checkFeedFiles(checked)
	}
	for _, p := range checked.list {
		if !d.failed(p.Field) {
			found = append(found, p)
		}
	}
	if err := newError(found); err != nil {
		return nil, err
	}
	c.resolveSourcePriority(dir)
	if l.warn != nil {
		for _, w := range c.warnings(name, d.lines, baseURLGiven) {
			l.warn(w)
		}
	}
	return &c, nil
}

// setDefaults fills in the defaults that need no file system. set holds the
// field paths the file gave a value other than null (nil: none), for the keys
// whose zero value is not their default.
func (c *Config) setDefaults(set map[string]bool) {
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
	if c.Fetch.PerHost == 0 {
		c.Fetch.PerHost = DefaultPerHost
	}
	if c.Fetch.Timeout == 0 {
		c.Fetch.Timeout = Duration(DefaultTimeout)
	}
	if c.Fetch.MaxBodySize == 0 && !set["fetch.max_body_size"] { // 0 is an error if given
		c.Fetch.MaxBodySize = DefaultMaxBodySize
	}
	if c.Fetch.MaxParseMemory == 0 && !set["fetch.max_parse_memory"] { // 0 is an error if given
		c.Fetch.MaxParseMemory = DefaultMaxParseMemory
	}
	if c.Fetch.MaxItems == 0 && !set["fetch.max_items"] { // 0 is an error if given
		c.Fetch.MaxItems = DefaultFetchMaxItems
	}
	if c.Fetch.MaxWait == 0 {
		c.Fetch.MaxWait = Duration(DefaultMaxWait)
	}
	if c.Fetch.BackoffBase == 0 {
		c.Fetch.BackoffBase = Duration(DefaultBackoffBase)
	}
	if c.Fetch.BackoffMax == 0 {
		c.Fetch.BackoffMax = Duration(DefaultBackoffMax)
	}
	if c.Fetch.Jitter == 0 && !set["fetch.jitter"] { // a given 0 turns jitter off
		c.Fetch.Jitter = Duration(DefaultJitter)
	}
	if c.Fetch.MinInterval == 0 {
		c.Fetch.MinInterval = Duration(DefaultMinInterval)
	}
	if c.Stories.Enabled == nil {
		enabled := true
		c.Stories.Enabled = &enabled
	}
	if c.Stories.Window == 0 {
		c.Stories.Window = Duration(DefaultStoryWindow)
	}
	if c.Tagging.Entities == nil {
		entities := true
		c.Tagging.Entities = &entities
	}
	if c.Retention.MaxAge == 0 && !set["retention.max_age"] { // a given 0 keeps stories forever
		c.Retention.MaxAge = Duration(DefaultRetentionMaxAge)
	}
}

// resolve makes paths absolute against dir and fills in the defaults of feeds
// and outputs. Values that do not parse are left for check to report.
func (c *Config) resolve(dir string) {
	if !IsPostgres(c.Store) {
		c.Store = absPath(dir, c.Store)
	}
	c.StorePasswordFile = absPath(dir, c.StorePasswordFile)
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
		if f.Timeout == 0 {
			f.Timeout = c.Fetch.Timeout
		}
		if f.Auth != nil {
			f.Auth.PasswordFile = absPath(dir, f.Auth.PasswordFile)
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
	for name, r := range c.Tags {
		if len(r.Fields) == 0 {
			r.Fields = DefaultTagFields()
			c.Tags[name] = r
		}
	}
}

// resolveSourcePriority replaces each stories.source_priority entry that
// names a feed by its url, as written or resolved, with the feed's resolved
// url, so that every entry is a Feed.Name or a Feed.URL. It runs after check,
// whose messages show the entries as written.
func (c *Config) resolveSourcePriority(dir string) {
	for i, s := range c.Stories.SourcePriority {
		if f, byURL := priorityFeed(s, c.Feeds, dir); f >= 0 && byURL {
			c.Stories.SourcePriority[i] = c.Feeds[f].URL
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

// IsPostgres reports whether a store value names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
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
