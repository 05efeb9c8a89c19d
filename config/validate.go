package config

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
	"golang.org/x/net/http/httpguts"

	"aggregator"
)

var outputName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate reports every problem with c as an [*Error], or returns nil.
// Zero values are valid: they stand for the defaults (for Fetch.Jitter, 0
// means none; for Retention.MaxAge, keep forever). Validate does not read the feeds' password_env or
// password_file: a feed's auth is valid if it names exactly one of them, or
// neither if its Password is set.
// Relative paths are taken relative to the folder of c.Path, or of the
// current folder if c.Path is "".
func (c *Config) Validate() error {
	dir := "."
	if c.Path != "" {
		dir = filepath.Dir(c.Path)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("locate config folder: %w", err)
	}
	p := &problems{file: c.Path}
	c.check(p, dir, nil)
	return newError(p.list)
}

// check records the problems with c in p, one section after another. dir
// anchors relative paths and set holds the paths the file gave a value other
// than null (nil: none).
func (c *Config) check(p *problems, dir string, set map[string]bool) {
	c.checkSchedule(p, "schedule", c.Schedule)
	c.checkInstance(p)
	c.checkServer(p)
	c.checkPublish(p)
	c.checkFetch(p, set)
	c.checkFeeds(p, dir)
	c.checkOutputs(p)
	c.checkTags(p)
	c.checkDedupe(p)
	c.checkStories(p, dir)
	c.checkRetention(p)
}

// checkSchedule checks the cron spec at path, if any: it must parse, and
// fire no more often than fetch.min_interval allows.
func (c *Config) checkSchedule(p *problems, path, spec string) {
	if spec == "" {
		return
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		p.addf(path, "%q is not a cron spec: %v; write e.g. \"@every 15m\" or \"*/10 * * * *\"", spec, err)
		return
	}
	least := cmp.Or(c.Fetch.MinInterval, Duration(DefaultMinInterval))
	if every := shortestInterval(s, least.Std()); every < least.Std() {
		example := `"@every 15m" or "*/10 * * * *"`
		if least > Duration(10*time.Minute) {
			example = fmt.Sprintf("%q", "@every "+least.String())
		}
		p.addf(path, "%q would fetch every %s, more often than fetch.min_interval (%s) allows; write e.g. %s",
			spec, Duration(every), least, example)
	}
}

// checkServer checks the server section.
func (c *Config) checkServer(p *problems) {
	if c.Server.Listen != "" {
		if err := checkListen(c.Server.Listen); err != nil {
			p.addf("server.listen", "%v", err)
		}
	}
}

// checkPublish checks the publish section.
func (c *Config) checkPublish(p *problems) {
	if c.Publish.BaseURL != "" {
		if _, err := baseURL(c.Publish.BaseURL); err != nil {
			p.addf("publish.base_url", "%v", err)
		}
	}
	if hub := c.Publish.WebSubHub; hub != "" {
		if u, err := url.Parse(hub); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.addf("publish.websub_hub", "%q is not an http(s) URL; write the hub's URL, e.g. https://pubsubhubbub.appspot.com/", hub)
		}
	}
	for _, f := range []struct{ path, value string }{{"publish.title", c.Publish.Title}, {"publish.subtitle", c.Publish.Subtitle}} {
		if strings.ContainsAny(f.value, "\r\n") {
			p.addf(f.path, "has a line break; write it on one line")
		} else if f.value != "" && strings.TrimSpace(f.value) == "" {
			p.addf(f.path, "is blank; write a few words, or remove the key")
		}
	}
	if icon := c.Publish.Icon; icon != "" {
		if u, err := url.Parse(icon); err != nil || (u.Scheme != "" && ((u.Scheme != "http" && u.Scheme != "https") || u.Host == "")) {
			p.addf("publish.icon", "%q is neither an http(s) URL nor a path under base_url; write e.g. https://news.example.com/icon.png or icon.png", icon)
		}
	}
}

// minLease is the shortest fetch.lease.
const minLease = 3 * time.Second

// checkInstance checks the instance's name: a short word, as PostgreSQL's
// application_name (at most 63 bytes, with the program's prefix) shows it.
func (c *Config) checkInstance(p *problems) {
	name := c.Instance
	if name == "" {
		return
	}
	ok := len(name) <= 48
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_:", r)) {
			ok = false
		}
	}
	if !ok {
		p.addf("instance", "%q is not a name of up to 48 letters, digits and . - _ :; write e.g. \"feeds-2\", or leave it out for host:pid", name)
	}
}

// checkFetch checks the fetch section. A size or max_items of 0 is a
// problem only when the file gives it (set): left out, it stands for the
// default.
func (c *Config) checkFetch(p *problems, set map[string]bool) {
	if c.Fetch.Concurrency < 0 {
		p.addf("fetch.concurrency", "%d is negative; write a positive number, or 0 for the default (%d)",
			c.Fetch.Concurrency, DefaultConcurrency)
	}
	if c.Fetch.PerHost < 0 {
		p.addf("fetch.per_host", "%d is negative; write a positive number, or 0 for the default (%d)",
			c.Fetch.PerHost, DefaultPerHost)
	}
	if c.Fetch.Timeout < 0 {
		p.addf("fetch.timeout", "%s is negative; write e.g. \"30s\", or 0 for the default (%s)",
			c.Fetch.Timeout.Std(), DefaultTimeout)
	}
	for _, sz := range []struct {
		path     string
		size     ByteSize
		def      ByteSize
		zeroDoes string // what a given 0 would do
	}{
		{"fetch.max_body_size", c.Fetch.MaxBodySize, DefaultMaxBodySize, "refuse every feed"},
		{"fetch.max_parse_memory", c.Fetch.MaxParseMemory, DefaultMaxParseMemory, "parse no feed"},
	} {
		switch {
		case sz.size < 0:
			p.addf(sz.path, "%s is negative; write a size such as \"%s\", or leave it out for the default (%[2]s)",
				sz.size, sz.def)
		case sz.size == 0 && set[sz.path]:
			p.addf(sz.path, "0 would %s; write a size such as \"%s\", or leave it out for the default (%[2]s)",
				sz.zeroDoes, sz.def)
		}
	}
	switch n := c.Fetch.MaxItems; {
	case n < 0:
		p.addf("fetch.max_items", "%d is negative; write a positive number such as 200, or leave it out for the default (%d)",
			n, DefaultFetchMaxItems)
	case n == 0 && set["fetch.max_items"]:
		p.addf("fetch.max_items", "0 would keep no items; write a positive number such as 200, or leave it out for the default (%d)",
			DefaultFetchMaxItems)
	}
	for _, w := range []struct {
		path    string
		d       Duration
		example string
		def     time.Duration
	}{
		{"fetch.max_wait", c.Fetch.MaxWait, "12h", DefaultMaxWait},
		{"fetch.backoff_base", c.Fetch.BackoffBase, "15m", DefaultBackoffBase},
		{"fetch.backoff_max", c.Fetch.BackoffMax, "24h", DefaultBackoffMax},
	} {
		if w.d < 0 {
			p.addf(w.path, "%s is negative; write e.g. %q, or 0 for the default (%s)", w.d, w.example, Duration(w.def))
		}
	}
	base := cmp.Or(c.Fetch.BackoffBase, Duration(DefaultBackoffBase))
	maxi := cmp.Or(c.Fetch.BackoffMax, Duration(DefaultBackoffMax))
	if base > 0 && maxi > 0 && base > maxi {
		if set["fetch.backoff_max"] && !set["fetch.backoff_base"] {
			p.addf("fetch.backoff_max", "%s is less than fetch.backoff_base (%s); raise it, or lower backoff_base", maxi, base)
		} else {
			p.addf("fetch.backoff_base", "%s is more than fetch.backoff_max (%s); lower it, or raise backoff_max", base, maxi)
		}
	}
	if c.Fetch.MinInterval < 0 {
		p.addf("fetch.min_interval", "%s is negative; write e.g. \"1m\", or 0 for the default (%s)", c.Fetch.MinInterval, Duration(DefaultMinInterval))
	}
	if l := c.Fetch.Lease; l != 0 && l < Duration(minLease) {
		p.addf("fetch.lease", "%s is shorter than %s: a lease is renewed every third of it, and a busy database could let it run out under a fetch; write e.g. \"2m\", or 0 for the default", l, Duration(minLease))
	}
	if c.Fetch.Jitter < 0 {
		p.addf("fetch.jitter", "%s is negative; write e.g. \"5m\", or 0 for no jitter", c.Fetch.Jitter)
	}
	if msg := headerValueProblem(c.Fetch.UserAgent); msg != "" {
		p.addf("fetch.user_agent", "%s", msg)
	}
}

// checkFeeds checks the feeds: there must be one at least, each with a url
// of its own. A schedule or timeout a feed inherits is checked where it is
// set, not once per feed.
func (c *Config) checkFeeds(p *problems, dir string) {
	if len(c.Feeds) == 0 {
		p.addf("feeds", "no feeds; add at least one under feeds:")
	}
	feeds := make(map[string]int) // normalised URL → index
	for i, f := range c.Feeds {
		path := fmt.Sprintf("feeds[%d]", i)
		u, key, err := feedURL(f.URL, dir)
		switch {
		case f.URL == "":
			p.addf(path+".url", "missing; write the feed's https://… URL or a file path")
		case err != nil:
			p.addf(path+".url", "%v", err)
		default:
			if j, dup := feeds[key]; dup {
				p.addf(path+".url", "%q is listed twice (also as feeds[%d]); remove one", aggregator.PublicURL(u), j)
			} else {
				feeds[key] = i
			}
		}
		if f.Schedule != c.Schedule { // an inherited schedule is checked once, by check
			c.checkSchedule(p, path+".schedule", f.Schedule)
		}
		if f.Timeout < 0 && f.Timeout != c.Fetch.Timeout { // an inherited timeout is checked once, by checkFetch
			p.addf(path+".timeout", "%s is negative; write e.g. \"1m\", or 0 for fetch.timeout", f.Timeout)
		}
		checkHeaders(p, path+".headers", f.Headers, f.Auth != nil)
		if f.Auth != nil {
			checkAuth(p, path+".auth", f.Auth)
		}
		for j, tag := range f.Tags {
			if strings.TrimSpace(tag) == "" {
				p.addf(fmt.Sprintf("%s.tags[%d]", path, j), "empty; write a tag, or remove the item")
			}
		}
	}
}

// checkOutputs checks the outputs' names and limits; their filters are
// checked by checkFilters.
func (c *Config) checkOutputs(p *problems) {
	outputs := make(map[string]bool)
	for i, o := range c.Outputs {
		path := fmt.Sprintf("outputs[%d]", i)
		switch {
		case o.Name == "":
			p.addf(path+".name", "missing; write a short name such as \"world\"")
		case !outputName.MatchString(o.Name):
			p.addf(path+".name", "%q is not a valid name; use lowercase letters, digits, - and _, e.g. \"world-news\"", o.Name)
		case outputs[o.Name]:
			p.addf(path+".name", "%q is used twice; output names must be unique", o.Name)
		}
		outputs[o.Name] = true
		if o.Limit < 0 {
			p.addf(path+".limit", "%d is negative; write a positive number, or 0 for the default (%d)",
				o.Limit, DefaultOutputLimit)
		}
	}
}

// checkDedupe checks the dedupe section.
func (c *Config) checkDedupe(p *problems) {
	for i, name := range c.Dedupe.TrackingParams {
		if msg := trackingParamProblem(name); msg != "" {
			p.addf(fmt.Sprintf("dedupe.tracking_params[%d]", i), "%s", msg)
		}
	}
}

// checkStories checks the stories section.
func (c *Config) checkStories(p *problems, dir string) {
	if t := c.Stories.Threshold; !(t >= 0 && t <= 1) { // NaN too
		p.addf("stories.threshold", "%g is not between 0 and 1; write a probability such as 0.5, or 0 for the default", t)
	}
	if n := c.Stories.FullTextWords; n < 0 {
		p.addf("stories.full_text_words", "%d is negative; the setting is no longer used: remove it", n)
	}
	if c.Stories.Window < 0 {
		p.addf("stories.window", "%s is negative; write e.g. \"48h\", or 0 for the default (%s)",
			c.Stories.Window, Duration(DefaultStoryWindow))
	}
	c.checkSourcePriority(p, dir)
}

// checkSourcePriority checks stories.source_priority: each entry must name a
// feed under feeds, and no two entries the same one. With no feeds at all,
// which checkFeeds reports, entries are not looked up.
func (c *Config) checkSourcePriority(p *problems, dir string) {
	entries := make(map[string]int) // entry → index
	carried := make(map[int]int)    // feed index → index of the entry naming it
	for i, s := range c.Stories.SourcePriority {
		path := fmt.Sprintf("stories.source_priority[%d]", i)
		if strings.TrimSpace(s) == "" {
			p.addf(path, "empty; write the name or url of a feed under feeds, or remove the item")
			continue
		}
		if j, dup := entries[s]; dup {
			p.addf(path, "%q is listed twice (also as stories.source_priority[%d]); remove one", s, j)
			continue
		}
		entries[s] = i
		if len(c.Feeds) == 0 {
			continue // reported by checkFeeds
		}
		f, _ := priorityFeed(s, c.Feeds, dir)
		if f < 0 {
			p.addf(path, "%q: no feed has this name or url; write the name or url of a feed under feeds", s)
			continue
		}
		if j, dup := carried[f]; dup {
			p.addf(path, "%q is feeds[%d], as is stories.source_priority[%d]; remove one", s, f, j)
			continue
		}
		carried[f] = i
	}
}

// checkRetention checks the retention section.
func (c *Config) checkRetention(p *problems) {
	if c.Retention.MaxAge < 0 {
		p.addf("retention.max_age", "%s is negative; write e.g. \"720h\" for 30 days, 0 to keep stories forever, or leave it out for the default (%s)",
			c.Retention.MaxAge, Duration(DefaultRetentionMaxAge))
	}
	if c.Retention.MaxItems < 0 {
		p.addf("retention.max_items", "%d is negative; write a positive number, or 0 for no limit", c.Retention.MaxItems)
	}
}

// scheduleEpoch is the moment from which shortestInterval looks at a
// schedule's activations, so that a config is judged the same whenever it
// is loaded.
var scheduleEpoch = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// shortestInterval returns the shortest time between two successive
// activations of s after scheduleEpoch, or one shorter than least if there
// is one: the interval of an "@every" schedule; for a cron spec, the
// shortest gap among its activations of the first eight days (at most
// 1,500 of them). A cron spec fires at most once a minute, so with least at
// most a minute its interval is not looked for and reads as least.
func shortestInterval(s cron.Schedule, least time.Duration) time.Duration {
	if _, spec := s.(*cron.SpecSchedule); spec && least <= time.Minute {
		return least
	}
	shortest := time.Duration(math.MaxInt64)
	t := s.Next(scheduleEpoch)
	end := t.Add(8 * 24 * time.Hour)
	for range 1500 {
		next := s.Next(t)
		if next.IsZero() { // it never fires again, as on 30 February
			break
		}
		shortest = min(shortest, next.Sub(t))
		if _, constant := s.(cron.ConstantDelaySchedule); constant || shortest < least || next.After(end) {
			break
		}
		t = next
	}
	return shortest
}

// trackingParamProblem says what is wrong with s as an entry of
// dedupe.tracking_params, or returns "".
func trackingParamProblem(s string) string {
	const hint = `write a query parameter's name as it appears before "=" in links, e.g. "ref", or a prefix ending in "*", e.g. "pk_*"`
	switch {
	case s == "":
		return "empty; " + hint
	case s == "*":
		return `"*" alone would strip every query parameter; write a prefix before the "*", e.g. "pk_*"`
	}
	for _, r := range s {
		switch {
		case r == '=' || r == '&' || r == '#':
			return fmt.Sprintf("%q contains %q, which a query parameter's name cannot; %s", s, r, hint)
		case r == ' ':
			return fmt.Sprintf("%q contains a space, which a query parameter's name cannot; %s", s, hint)
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return fmt.Sprintf("%q contains the character %U, which a query parameter's name cannot; %s", s, r, hint)
		}
	}
	if i := strings.IndexByte(s, '*'); i >= 0 && i < len(s)-1 {
		return fmt.Sprintf(`%q has a "*" before its end; "*" may only end a prefix, as in "pk_*"`, s)
	}
	return ""
}

// priorityFeed returns the index of the feed that entry, from
// stories.source_priority, names, or -1 if none does: the first feed whose
// name is entry, else the first whose url is entry as written or resolved
// against dir. byURL reports a match by url.
func priorityFeed(entry string, feeds []Feed, dir string) (i int, byURL bool) {
	for i, f := range feeds {
		if f.Name != "" && f.Name == entry {
			return i, false
		}
	}
	_, key, err := feedURL(entry, dir)
	for i, f := range feeds {
		if f.URL == entry {
			return i, true
		}
		if err != nil || f.URL == "" {
			continue
		}
		if _, k, err := feedURL(f.URL, dir); err == nil && k == key {
			return i, true
		}
	}
	return -1, false
}

// checkHeaders checks a feed's extra request headers, taking them in the
// order of their lines, then of their names.
func checkHeaders(p *problems, path string, headers map[string]string, auth bool) {
	names := slices.Sorted(maps.Keys(headers))
	slices.SortStableFunc(names, func(a, b string) int {
		return cmp.Compare(lineOf(p.lines, path+"."+a), lineOf(p.lines, path+"."+b))
	})
	first := make(map[string]string) // lowercase name → name as first written
	for _, name := range names {
		field := path + "." + name
		lower := strings.ToLower(name)
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			p.addf(field, "%q is not a valid header name; use letters, digits and !#$%%&'*+-.^_`|~ only, e.g. \"X-Api-Key\"", name)
			continue
		case lower == "host":
			p.addf(field, "Host cannot be set here: Go's HTTP client takes the host from the feed's url and ignores a Host header; change url instead")
			continue
		case lower == "authorization" && auth:
			p.addf(field, "auth sets the Authorization header too; remove one of the two")
			continue
		}
		if other, dup := first[lower]; dup {
			p.addf(field, "same header as %s (header names ignore case); remove one", other)
			continue
		}
		first[lower] = name
		if msg := headerValueProblem(headers[name]); msg != "" {
			p.addf(field, "%s", msg)
		}
	}
}

// headerValueProblem says what is wrong with v as an HTTP header value, or
// returns "".
func headerValueProblem(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		return "the value contains a line break, which would end the header early; put it on one line"
	}
	for _, r := range v {
		if r < ' ' && r != '\t' || r == 0x7f {
			return fmt.Sprintf("the value contains the control character %U; remove it", r)
		}
	}
	return ""
}

// checkAuth checks a feed's basic auth.
func checkAuth(p *problems, path string, a *Auth) {
	switch {
	case a.Username == "":
		p.addf(path+".username", "missing; write the user name for HTTP basic auth")
	case strings.Contains(a.Username, ":"):
		p.addf(path+".username", "%q contains \":\", which HTTP basic auth cannot carry in a user name; check the name with the feed's provider", a.Username)
	}
	switch {
	case a.PasswordEnv != "" && a.PasswordFile != "":
		p.addf(path+".password_file", "set as well as password_env; keep one of the two")
	case a.PasswordEnv == "" && a.PasswordFile == "" && a.Password == "":
		p.addf(path, "no password; set password_env to the name of an environment variable holding it, or password_file to a file holding it")
	}
	if a.PasswordEnv != "" {
		if msg := envNameProblem(a.PasswordEnv); msg != "" {
			p.addf(path+".password_env", "%s", msg)
		}
	}
}

// lineOf returns the line of path, or of its closest parent with a line.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if line, ok := lines[path]; ok {
			return line
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func checkListen(listen string) error {
	const hint = `write e.g. "127.0.0.1:8080" or ":8080"`
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		if ae, ok := err.(*net.AddrError); ok {
			err = fmt.Errorf("%s", ae.Err)
		}
		return fmt.Errorf("%q is not host:port (%v); %s", listen, err, hint)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port %q is not a number from 0 to 65535; %s", port, hint)
	}
	return nil
}

// baseURL checks that s is an absolute http(s) URL and returns it ending
// in "/".
func baseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL; write e.g. \"https://news.example.com/\"", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q has a query or fragment; remove what follows the path", s)
	}
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// feedURL checks a feed's url and returns it resolved: an http(s) URL as
// given, or an absolute file:// URL for file URLs and paths (relative ones
// relative to dir). key is the URL normalised for spotting duplicates.
func feedURL(raw, dir string) (u, key string, err error) {
	if raw == "" {
		return "", "", fmt.Errorf("missing; write the feed's https://… URL or a file path")
	}
	scheme, _, ok := strings.Cut(raw, ":")
	if !ok || !validScheme(scheme) {
		if looksLikeHost(raw) {
			return "", "", fmt.Errorf("missing scheme; write https://%s, or ./%s if it is a local file", raw, raw)
		}
		u := fileURL(absPath(dir, raw))
		return u, u, nil
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		p, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("%q is not a valid URL: %w", aggregator.PublicURL(raw), unwrapURLError(err))
		}
		if p.Host == "" {
			return "", "", fmt.Errorf("%q has no host; write e.g. https://example.com/feed.xml", aggregator.PublicURL(raw))
		}
		return raw, normalise(p), nil
	case "file":
		p, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("%q is not a valid URL: %w", raw, unwrapURLError(err))
		}
		if p.Opaque != "" || (p.Host != "" && p.Host != "localhost") || !strings.HasPrefix(p.Path, "/") {
			return "", "", fmt.Errorf("%q is not a file URL with an absolute path; write e.g. file:///srv/feeds/world.xml, or just the path", raw)
		}
		u := fileURL(filepath.FromSlash(p.Path))
		return u, u, nil
	}
	if strings.Contains(scheme, ".") {
		return "", "", fmt.Errorf("missing scheme; write https://%s", raw)
	}
	return "", "", fmt.Errorf("unsupported scheme %q; use http, https or file, or write a file path", scheme)
}

// validScheme reports whether s is a URL scheme. Single letters are taken
// for Windows drive letters, not schemes.
func validScheme(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// looksLikeHost reports whether a URL without scheme starts with a host
// name, as in "www.example.com" or "feeds.example.com/world.xml".
func looksLikeHost(s string) bool {
	first, _, slash := strings.Cut(s, "/")
	if strings.HasPrefix(first, "www.") {
		return true
	}
	return slash && strings.Contains(first, ".") && !strings.HasPrefix(first, ".")
}

func fileURL(path string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Clean(path))}
	return u.String()
}

// normalise returns an http(s) URL in a canonical form for comparison.
func normalise(u *url.URL) string {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	n.Host = strings.ToLower(n.Host)
	if port := n.Port(); port == "80" && n.Scheme == "http" || port == "443" && n.Scheme == "https" {
		n.Host = strings.TrimSuffix(n.Host, ":"+port)
	}
	if n.Path == "" {
		n.Path = "/"
	}
	n.Fragment, n.RawFragment = "", ""
	return n.String()
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
