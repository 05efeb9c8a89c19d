package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"aggregator"
	"aggregator/config"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/filter"
	"aggregator/pipeline"
	"aggregator/publish"
	"aggregator/store"
	"aggregator/story"
	"aggregator/tag"
)

// setup is what follows from one config on the open store: the runner,
// the feeds, the publisher and how stories become entries. The daemon makes
// a new one when its config is reloaded.
type setup struct {
	cfg     *config.Config
	runner  *pipeline.Runner
	feeds   []pipeline.Feed
	pub     *publish.Publisher
	entries pipeline.StoryEntries
}

// mode is how the program runs, which decides where the outputs link their
// feeds and when the stories are restored.
type mode int

const (
	// asDaemon serves the feeds under feeds/ and restores the stories at
	// start, to place the articles of its first fetches.
	asDaemon mode = iota
	// asOnce writes the feeds beside the index page, and restores the
	// stories only when the run has new articles to place, so that a run
	// that finds nothing new does not pay for it.
	asOnce
)

// newSetup builds a setup from cfg on the open store st. stories, when not
// nil, is the daemon's clusterer, kept across a reload; otherwise a new one
// is restored from the store, as m says.
func newSetup(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger, m mode,
	stories *story.Clusterer) (*setup, error) {
	feeds := pipelineFeeds(cfg)
	runner, err := newRunner(ctx, cfg, st, log, m, stories, feeds)
	if err != nil {
		return nil, err
	}
	feedDir := "feeds/"
	if m == asOnce {
		feedDir = ""
	}
	pub, err := newPublisher(cfg, st, feeds, feedDir)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if st.Shared() {
		pub.Instance, pub.Leader = runner.Instance, runnerLeader{runner}
	}
	return &setup{cfg: cfg, runner: runner, feeds: feeds, pub: pub, entries: storyEntries(cfg, st)}, nil
}

// runnerLeader says whether the instance leads as its runner's Leader
// does, which is set after the setup is made (see startFleet, runOnce):
// not while it has none.
type runnerLeader struct{ r *pipeline.Runner }

func (l runnerLeader) Leading() (bool, int64) {
	if l.r.Leader == nil {
		return false, 0
	}
	return l.r.Leader.Leading()
}

// newRunner builds the runner of cfg's feeds on st, with its clusterer
// (see newSetup), and tags the stored articles again if the tagging changed.
func newRunner(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger, m mode,
	stories *story.Clusterer, feeds []pipeline.Feed) (*pipeline.Runner, error) {
	runner := &pipeline.Runner{
		Store: st, Fetcher: storeFetchClient(cfg, st), Log: log,
		Policy: fetch.Policy{
			MaxWait:     cfg.Fetch.MaxWait.Std(),
			BackoffBase: cfg.Fetch.BackoffBase.Std(),
			BackoffMax:  cfg.Fetch.BackoffMax.Std(),
		},
		Rules: dedupeRules(cfg),
	}
	if st.Shared() {
		runner.Instance, runner.Lease = instanceName(cfg), cfg.Fetch.Lease.Std()
	}
	var err error
	if runner.Tagger, err = tag.New(taggerOptions(cfg)); err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if *cfg.Stories.Enabled {
		runner.Stories = stories
		if runner.Stories == nil {
			runner.Stories = story.New(storyConfig(cfg))
			// On a shared store the leader rebuilds the stories when its
			// term begins (see Runner.Settle): the others never need them.
			if m == asOnce || st.Shared() {
				runner.RestoreLater()
			} else if err := runner.Restore(ctx); err != nil {
				return nil, err
			}
		}
	}
	fingerprint := taggingFingerprint(cfg)
	changes := func(old string) []string { return tag.Changes(old, fingerprint) }
	if _, err := runner.Retag(ctx, feeds, fingerprint, changes); err != nil {
		return nil, err
	}
	return runner, nil
}

// newPublisher builds the publisher of cfg's outputs from st, for feeds,
// with the outputs' feeds at feedDir under the base URL.
func newPublisher(cfg *config.Config, st *store.Store, feeds []pipeline.Feed, feedDir string) (*publish.Publisher, error) {
	outputs, err := publishOutputs(cfg)
	if err != nil {
		return nil, err
	}
	pub := &publish.Publisher{Outputs: outputs, Hub: cfg.Publish.WebSubHub, FeedDir: feedDir,
		Health: pipeline.Health{Store: st, Feeds: feeds, Jitter: cfg.Fetch.Jitter.Std()}}
	for _, f := range cfg.Feeds {
		pub.Subscriptions = append(pub.Subscriptions, publish.Subscription{Title: f.Name, XMLURL: f.URL, Tags: f.Tags})
	}
	if pub.BaseURL, err = url.Parse(cfg.Publish.BaseURL); err != nil {
		return nil, fmt.Errorf("publish.base_url: %w", err)
	}
	pub.Site = publish.Publication{Title: strings.TrimSpace(cfg.Publish.Title), Subtitle: strings.TrimSpace(cfg.Publish.Subtitle)}
	if cfg.Publish.Icon != "" {
		icon, err := url.Parse(cfg.Publish.Icon)
		if err != nil {
			return nil, fmt.Errorf("publish.icon: %w", err)
		}
		pub.Site.Icon = pub.BaseURL.ResolveReference(icon).String()
	}
	return pub, nil
}

// storyEntries publishes the stories of st as cfg makes them entries.
func storyEntries(cfg *config.Config, st *store.Store) pipeline.StoryEntries {
	return pipeline.StoryEntries{Store: st, Rule: entryRule(cfg)}
}

// dedupeRules are the config's rules for telling articles apart.
func dedupeRules(cfg *config.Config) *dedupe.Rules {
	return dedupe.NewRules(cfg.Dedupe.TrackingParams)
}

// entryRule is how the config makes a story an entry.
func entryRule(cfg *config.Config) aggregator.EntryRule {
	return aggregator.EntryRule{SourcePriority: cfg.Stories.SourcePriority, UpdateOnJoin: cfg.Stories.UpdateOnJoin}
}

// loadConfig finds and loads the config; its errors are usage errors.
func loadConfig(flagValue string) (*config.Config, error) {
	return loadConfigWith(flagValue, config.Options{})
}

// loadConfigWith is loadConfig with the extra checks and warnings of o. It
// also checks that the outputs' filters parse, which package config leaves
// to the caller since the filter language is not its own.
func loadConfigWith(flagValue string, o config.Options) (*config.Config, error) {
	path, err := findConfig(flagValue)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	o.CheckFilter = func(expr string) error {
		_, err := filter.Parse(expr)
		return err
	}
	cfg, err := config.LoadFileWith(path, o)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return cfg, nil
}

// openConfigStore loads the config and opens its store.
func openConfigStore(ctx context.Context, configPath string) (*config.Config, *store.Store, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.OpenWith(ctx, cfg.Store, storeOptions(cfg))
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// newFetchClient builds a fetch client with the config's fetch settings.
// A run makes one and fetches every feed with it, so that the limits on
// concurrent fetches, per host too, hold across the feeds.
func newFetchClient(cfg *config.Config) *fetch.Client {
	ua := cfg.Fetch.UserAgent
	if ua == "" {
		ua = fmt.Sprintf("aggregator/%s (feed aggregator; +%s)", versionString(), cfg.Publish.BaseURL)
	}
	c := fetch.NewClient(ua)
	c.Timeout = cfg.Fetch.Timeout.Std()
	c.MaxBodySize = int64(cfg.Fetch.MaxBodySize)
	c.MaxParseMemory = int64(cfg.Fetch.MaxParseMemory)
	c.MaxItems = cfg.Fetch.MaxItems
	c.Concurrency = cfg.Fetch.Concurrency
	c.PerHost = cfg.Fetch.PerHost
	c.AllowPrivate = cfg.Fetch.AllowPrivate
	return c
}

// storeFetchClient is newFetchClient for a run that stores into st. On
// PostgreSQL, which several instances may share, the client also takes one
// of the store's host slots for each fetch, so that per_host holds for
// all of them together (see store.HostSlots).
func storeFetchClient(cfg *config.Config, st *store.Store) *fetch.Client {
	c := newFetchClient(cfg)
	if slots := st.HostSlots(cfg.Fetch.PerHost, cfg.Fetch.Concurrency); slots != nil {
		c.HostLimit = slots
	}
	return c
}

// pipelineFeeds are the config's feeds as the runner fetches them.
func pipelineFeeds(cfg *config.Config) []pipeline.Feed {
	feeds := make([]pipeline.Feed, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		feeds[i] = pipeline.Feed{URL: f.URL, Name: f.Name, Schedule: f.Schedule, Timeout: f.Timeout.Std()}
		if len(f.Headers) > 0 {
			feeds[i].Header = http.Header{}
			for k, v := range f.Headers {
				feeds[i].Header.Set(k, v)
			}
		}
		if a := f.Auth; a != nil {
			feeds[i].Username, feeds[i].Password = a.Username, a.Password.Reveal()
		}
		feeds[i].Tags = f.Tags
	}
	return feeds
}

// taggerOptions are the config's tag rules and tagging settings.
func taggerOptions(cfg *config.Config) tag.Options {
	o := tag.Options{Aliases: cfg.Tagging.Aliases, Entities: *cfg.Tagging.Entities}
	for _, name := range slices.Sorted(maps.Keys(cfg.Tags)) {
		r := cfg.Tags[name]
		o.Rules = append(o.Rules, tag.RuleSpec{Name: name, Label: r.Label, Any: r.Any, All: r.All, None: r.None, Regex: r.Regex, Fields: r.Fields})
	}
	return o
}

// taggingFingerprint is tag.Fingerprint of the config's tagging.
func taggingFingerprint(cfg *config.Config) string {
	feedTags := make(map[string][]string, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		feedTags[f.URL] = f.Tags
	}
	return tag.Fingerprint(taggerOptions(cfg), feedTags)
}

// publishOutputs turns the config's outputs into publish.Outputs, with
// their filters compiled.
func publishOutputs(cfg *config.Config) ([]publish.Output, error) {
	outputs := make([]publish.Output, len(cfg.Outputs))
	for i, o := range cfg.Outputs {
		outputs[i] = publish.Output{Name: o.Name, Title: o.Title, Limit: o.Limit, Filter: strings.TrimSpace(o.Filter)}
		if strings.TrimSpace(o.Filter) == "" {
			continue
		}
		f, err := filter.Parse(o.Filter)
		if err != nil {
			return nil, fmt.Errorf("outputs[%d].filter: output %q: %w", i, o.Name, err)
		}
		outputs[i].Keep = func(e aggregator.Entry) bool { return f.Match(pipeline.Subject(e), time.Now()) }
	}
	return outputs, nil
}

// findConfig names the config file to load: flagValue when given, else
// ./config.yaml when it exists, else $AGGREGATOR_CONFIG.
func findConfig(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if _, err := os.Stat("config.yaml"); err == nil {
		return "config.yaml", nil
	}
	if env := os.Getenv("AGGREGATOR_CONFIG"); env != "" {
		return env, nil
	}
	return "", errors.New("no config: pass --config FILE, set AGGREGATOR_CONFIG, or create ./config.yaml (see config.example.yaml)")
}

// prune applies the retention limits r to st, and reports whether it
// deleted any story.
func prune(ctx context.Context, st *store.Store, r config.Retention, log *slog.Logger, now time.Time) (bool, error) {
	var olderThan time.Time
	if r.MaxAge > 0 {
		olderThan = now.Add(-r.MaxAge.Std())
	}
	if olderThan.IsZero() && r.MaxItems == 0 {
		return false, nil
	}
	items, stories, err := st.Prune(ctx, olderThan, r.MaxItems, 0)
	if stories > 0 {
		log.Info("retention pruned old stories", "stories", stories, "items", items)
	}
	if err != nil {
		return stories > 0, fmt.Errorf("retention: %w", err)
	}
	return stories > 0, nil
}

// storyConfig is the clusterer's configuration with the config's overrides.
func storyConfig(cfg *config.Config) story.Config {
	sc := story.DefaultConfig()
	if cfg.Stories.Threshold > 0 {
		sc.Threshold = cfg.Stories.Threshold
	}
	if w := cfg.Stories.Window.Std(); w > 0 {
		sc.Window = w
	}
	return sc
}
