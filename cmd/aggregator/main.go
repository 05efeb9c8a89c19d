// Command aggregator fetches the feeds in its config, merges and deduplicates
// their items, and republishes them as Atom feeds: as a daemon with an HTTP
// server, or once (--once) writing files, for cron.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"aggregator"
	"aggregator/config"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/pipeline"
	"aggregator/publish"
	"aggregator/store"
	"aggregator/story"
	"aggregator/tag"
)

// Exit codes.
const (
	exitOK        = 0
	exitFeeds     = 1 // the cycle ran, but some feeds failed
	exitUsage     = 2 // bad usage or bad config
	exitCannotRun = 3 // could not run at all
	exitLocked    = 4 // another --once run holds the store's lock
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	// Catch the signals before anything else: SIGINT and SIGTERM stop the
	// program, and a SIGHUP is held until the daemon can reload, so that one
	// sent while it starts does not kill it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runHup(ctx, os.Args[1:], os.Stdout, os.Stderr, hup)
	stop()
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(os.Stderr, "aggregator:", err)
		}
	}
	os.Exit(exitCode(err))
}

// exitError carries an exit code other than exitCannotRun.
type exitError struct {
	code int
	err  error // nil when everything has been said already
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitCannotRun
}

const usage = `Usage:
  aggregator [--config FILE]            run the daemon: fetch on schedule, serve the outputs over HTTP
  aggregator --config FILE --once       fetch every feed that may be fetched now, write the outputs, exit
  aggregator --config FILE --check      validate the config and exit
  aggregator status --config FILE       show each feed's health (--json for scripts)
  aggregator explain --config FILE URL  show the story of an article and why its articles are together
  aggregator eval-clusters FILE.jsonl   cluster labelled items as the daemon would and score the result
  aggregator import-opml FILE.opml      print the feeds: entries of an OPML export, to paste into a config
  aggregator discover URL               print the feeds: entries of the feeds a web site offers
  aggregator version                    print the version

FILE defaults to ./config.yaml, else $AGGREGATOR_CONFIG.

Exit codes: 0 success; 1 the cycle ran but some feeds failed (--once);
2 bad usage or bad config; 3 could not run at all; 4 another --once run
holds the store's lock (--once without --wait).

Flags:
`

// run runs the program with args. The daemon catches SIGHUP from when it
// knows it is the daemon; main catches it earlier, with runHup.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runHup(ctx, args, stdout, stderr, nil)
}

// runHup is run with hup, a channel that has received SIGHUP since the
// process started (nil: none). The daemon reloads on each SIGHUP, one that
// arrived while it started included; the other commands give SIGHUP back its
// default action.
func runHup(ctx context.Context, args []string, stdout, stderr io.Writer, hup chan os.Signal) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// A command (or a stray argument, which is a usage error): not the daemon.
		releaseHangup(hup)
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, "aggregator", versionString())
			if bi, ok := debug.ReadBuildInfo(); ok {
				fmt.Fprintln(stdout, "go", strings.TrimPrefix(bi.GoVersion, "go"))
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH", "CGO_ENABLED":
						fmt.Fprintln(stdout, s.Key, s.Value)
					}
				}
			}
			return nil
		case "status":
			return runStatus(ctx, args[1:], stdout, stderr)
		case "eval-clusters":
			return runEvalClusters(ctx, args[1:], stdout, stderr)
		case "explain":
			return runExplain(ctx, args[1:], stdout, stderr)
		case "import-opml":
			return runImportOPML(args[1:], stdout, stderr)
		case "discover":
			return runDiscover(ctx, args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("aggregator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var (
		configPath = fs.String("config", "", "config `FILE` (YAML)")
		once       = fs.Bool("once", false, "run one cycle over every feed, write the outputs, exit")
		force      = fs.Bool("force", false, "with --once: also fetch feeds that asked to wait, are backing off after errors, or are retired")
		wait       = fs.Bool("wait", false, "with --once: wait for another --once run on the same store to end, instead of exiting with 4")
		logLevel   = fs.String("log-level", "", "log `level`: debug, info, warn or error (default info; error with --once, whose summary names failed feeds)")
		logFormat  = fs.String("log-format", "text", "log `format`: text or json")
		check      = fs.Bool("check", false, "validate the config, print what is wrong, exit")
		cpuProfile = fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE`, for go tool pprof")
		memProfile = fs.String("memprofile", "", "write a heap profile to `FILE` when the run ends, for go tool pprof")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *once && *check {
		return &exitError{code: exitUsage, err: errors.New("--once and --check do not go together")}
	}
	if (*force || *wait) && !*once {
		return &exitError{code: exitUsage, err: errors.New("--force and --wait go with --once")}
	}
	if *once || *check {
		releaseHangup(hup)
	} else if hup == nil {
		hup = make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	var warnings []config.Problem
	opts := config.Options{CheckFeedFiles: *check}
	if *check || *once {
		opts.Warn = func(p config.Problem) { warnings = append(warnings, p) }
	}
	cfg, err := loadConfigWith(*configPath, opts)
	if err != nil {
		return err
	}
	if *check {
		warnConfig(ctx, nil, stderr, warnings)
		fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", cfg.Path, count(len(cfg.Feeds), "feed", "feeds"), count(len(cfg.Outputs), "output", "outputs"))
		return nil
	}

	if *logLevel == "" {
		*logLevel = "info"
		if *once {
			*logLevel = "error"
		}
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	warnConfig(ctx, log, stderr, warnings)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	if *once {
		lock, err := lockOnce(ctx, cfg.Store, *wait)
		if errors.Is(err, errLocked) {
			return &exitError{code: exitLocked, err: err}
		}
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()

	if *once {
		su, err := newSetup(ctx, cfg, st, log, nil, "", true)
		if err != nil {
			return err
		}
		return runOnce(ctx, su, *force, stderr)
	}
	load := func(stories *story.Clusterer) (*setup, error) {
		next, err := loadConfig(cfg.Path)
		if err != nil {
			return nil, err
		}
		if next.Store != cfg.Store {
			return nil, fmt.Errorf("store: %s was %s; a new store needs a restart", next.Store, cfg.Store)
		}
		return newSetup(ctx, next, st, log, stories, "feeds/", false)
	}
	// Apply the retention limits before the stories are restored and the
	// outputs first published.
	if _, err := prune(ctx, st, cfg.Retention, log, time.Now()); err != nil {
		log.Error("pruning failed; will try again", "err", err)
	}
	su, err := newSetup(ctx, cfg, st, log, nil, "feeds/", false)
	if err != nil {
		return err
	}
	return runDaemon(ctx, log, su, load, hup)
}

// releaseHangup gives SIGHUP back its default action, which ends the process
// (or nothing, under nohup), for a program that is not the daemon. A SIGHUP
// that hup received meanwhile is raised again, to take that action.
func releaseHangup(hup chan os.Signal) {
	if hup == nil {
		return
	}
	signal.Stop(hup)
	select {
	case <-hup:
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
	default:
	}
}

// setup is what follows from one config: the runner, the feeds and the
// publisher. The daemon makes a new one when its config is reloaded.
type setup struct {
	cfg     *config.Config
	runner  *pipeline.Runner
	feeds   []pipeline.Feed
	pub     *publish.Publisher
	entries pipeline.StoryEntries
}

// newSetup builds a setup from cfg on the open store. stories, when not nil,
// is the clusterer to keep (on a reload); otherwise a new one is restored
// from the store. feedDir is where the feeds live under the base URL.
//
// A new clusterer is restored at once, or with once (a --once run) only when
// the run has new articles to place.
func newSetup(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger,
	stories *story.Clusterer, feedDir string, once bool) (*setup, error) {
	runner := &pipeline.Runner{
		Store: st, Fetcher: newFetchClient(cfg), Log: log,
		Policy: fetch.Policy{
			MaxWait:     cfg.Fetch.MaxWait.Std(),
			BackoffBase: cfg.Fetch.BackoffBase.Std(),
			BackoffMax:  cfg.Fetch.BackoffMax.Std(),
		},
		Rules: dedupe.NewRules(cfg.Dedupe.TrackingParams),
	}
	var err error
	if runner.Tagger, err = tag.New(taggerOptions(cfg)); err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if *cfg.Stories.Enabled {
		runner.Stories = stories
		if runner.Stories == nil {
			runner.Stories = story.New(storyConfig(cfg))
			if once {
				runner.RestoreLater()
			} else if err := runner.Restore(ctx); err != nil {
				return nil, err
			}
		}
	}
	feeds := pipelineFeeds(cfg)
	fingerprint := taggingFingerprint(cfg)
	changes := func(old string) []string { return tag.Changes(old, fingerprint) }
	if _, err := runner.Retag(ctx, feeds, fingerprint, changes); err != nil {
		return nil, err
	}
	outputs, err := publishOutputs(cfg)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	pub := &publish.Publisher{Outputs: outputs, Hub: cfg.Publish.WebSubHub, FeedDir: feedDir,
		Health: pipeline.Health{Store: st, Feeds: feeds, Jitter: cfg.Fetch.Jitter.Std()}}
	for _, f := range cfg.Feeds {
		pub.Subscriptions = append(pub.Subscriptions, publish.Subscription{Title: f.Name, XMLURL: f.URL, Tags: f.Tags})
	}
	if pub.BaseURL, err = url.Parse(cfg.Publish.BaseURL); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("publish.base_url: %w", err)}
	}
	pub.Site = publish.Publication{Title: strings.TrimSpace(cfg.Publish.Title), Subtitle: strings.TrimSpace(cfg.Publish.Subtitle)}
	if cfg.Publish.Icon != "" {
		icon, err := url.Parse(cfg.Publish.Icon)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("publish.icon: %w", err)}
		}
		pub.Site.Icon = pub.BaseURL.ResolveReference(icon).String()
	}
	entries := pipeline.StoryEntries{Store: st, Rule: entryRule(cfg)}
	return &setup{cfg: cfg, runner: runner, feeds: feeds, pub: pub, entries: entries}, nil
}

// entryRule is how the config makes a story an entry.
func entryRule(cfg *config.Config) aggregator.EntryRule {
	return aggregator.EntryRule{SourcePriority: cfg.Stories.SourcePriority, UpdateOnJoin: cfg.Stories.UpdateOnJoin}
}

// parseFlags parses args into fs and refuses stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: exitUsage, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// loadConfig finds and loads the config; its errors are usage errors.
func loadConfig(flagValue string) (*config.Config, error) {
	return loadConfigWith(flagValue, config.Options{})
}

// loadConfigWith is loadConfig with the checks of o, and always that of
// the outputs' filters.
func loadConfigWith(flagValue string, o config.Options) (*config.Config, error) {
	path, err := findConfig(flagValue)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	o.CheckFilter = func(expr string) error {
		_, err := tag.ParseFilter(expr)
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
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// newFetchClient builds the one fetch client from the config.
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
		f, err := tag.ParseFilter(o.Filter)
		if err != nil {
			return nil, fmt.Errorf("outputs[%d].filter: output %q: %w", i, o.Name, err)
		}
		outputs[i].Keep = func(e aggregator.Entry) bool { return f.Match(pipeline.Subject(e), time.Now()) }
	}
	return outputs, nil
}

// maxAge is how long, in seconds, readers may cache the outputs: the
// shortest interval at which a feed is fetched, within a minute and an hour.
func maxAge(feeds []pipeline.Feed, now time.Time) int {
	shortest, ok := pipeline.ShortestInterval(feeds, now)
	if !ok || shortest > time.Hour {
		shortest = time.Hour
	}
	return int(max(shortest, time.Minute) / time.Second)
}

// findConfig applies the default: ./config.yaml, else $AGGREGATOR_CONFIG.
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

func runOnce(ctx context.Context, su *setup, force bool, stderr io.Writer) error {
	progress := &onceReport{w: stderr, live: isTerminal(stderr), total: len(su.feeds)}
	su.runner.OnReport = progress.add
	reports := su.runner.RunAll(ctx, su.feeds, force)
	if err := ctx.Err(); err != nil {
		return err
	}
	// Prune first, so that the outputs show what the store keeps. A prune
	// that fails keeps nothing from being published: the error is
	// returned after the outputs are written.
	_, pruneErr := prune(ctx, su.runner.Store, su.cfg.Retention, su.runner.Log, time.Now())
	site, err := su.pub.Build(ctx, su.entries)
	if err != nil {
		return errors.Join(err, pruneErr)
	}
	if err := site.WriteDir(ctx, su.cfg.Publish.Dir); err != nil {
		return errors.Join(err, pruneErr)
	}
	progress.finish(ctx, su.runner.Store.StoryCount)
	if pruneErr != nil {
		return pruneErr
	}
	if pipeline.Failed(reports) != nil {
		return &exitError{code: exitFeeds}
	}
	return nil
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

// newHTTPServer is the daemon's HTTP server: a client that sends its
// headers too slowly (slowloris), or idles, is cut off, and headers are
// limited in size.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// stopGrace is how long fetches in flight may finish when the daemon is
// told to stop (or reloads) before they are cancelled.
const stopGrace = 5 * time.Second

// pruneEvery is how often the daemon applies the retention limits.
const pruneEvery = time.Hour

// runDaemon serves the outputs and runs the scheduler until ctx is done.
// Each signal on hup (SIGHUP) reloads the config with load: feeds,
// schedules, tags and outputs change without a restart and without closing
// the HTTP listener; a config that does not load is logged, and the running
// one stays. A signal that came before runDaemon ran reloads once it is ready.
func runDaemon(ctx context.Context, log *slog.Logger, cur *setup, load func(*story.Clusterer) (*setup, error),
	hup <-chan os.Signal) error {
	server := publish.NewServer()
	server.Log = log
	server.MaxAge = maxAge(cur.feeds, time.Now())
	met := newMetrics(cur.runner.Store, cur.feeds)

	// The WebSub pinger, if there is a hub, lives as long as the daemon.
	var pinger *publish.Pinger
	pingDone := make(chan error, 1)
	pingCtx, stopPinger := context.WithCancel(context.Background())
	defer func() {
		stopPinger()
		if pinger != nil {
			<-pingDone
		}
	}()
	if cur.pub.Hub != "" {
		pinger = &publish.Pinger{Hub: cur.pub.Hub, Log: log}
		go func() { pingDone <- pinger.Run(pingCtx) }()
	}

	// rebuild is called by the scheduler, after a prune that deleted
	// stories, and on reload while no scheduler runs; one call at a time, so
	// that the last one publishes what the store holds last.
	var (
		published *publish.Site
		rebuildMu sync.Mutex
	)
	rebuild := func(ctx context.Context) {
		rebuildMu.Lock()
		defer rebuildMu.Unlock()
		site, err := cur.pub.Build(ctx, cur.entries)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("publish failed; still serving the previous outputs", "err", err)
			}
			return
		}
		server.Swap(site)
		met.renders.Inc()
		if pinger != nil && published != nil {
			pinger.Notify(publish.ChangedFeeds(published, site, cur.pub.BaseURL))
		}
		published = site
		log.Debug("published")
	}
	// Serve what the store already holds before the first fetch completes.
	rebuild(ctx)

	listen := cur.cfg.Server.Listen
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return listenError(cur.cfg, err)
	}
	srv := newHTTPServer(met.handler(server), log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String()+"/", "feeds", len(cur.feeds))

	// Under systemd (Type=notify), say when the daemon is ready, reloading
	// or stopping, and keep the watchdog fed; elsewhere these do nothing.
	sd := newNotifier()
	watchCtx, stopWatchdog := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); sd.Watchdog(watchCtx) }()
	defer func() { stopWatchdog(); <-watchDone }()
	if err := sd.Ready(); err != nil {
		log.Warn("telling systemd the daemon is ready failed", "err", err)
	}

	pruneTick := time.NewTicker(pruneEvery)
	defer pruneTick.Stop()

	start := func() (stop func() error) {
		cur.runner.OnReport = met.observe
		sched := &pipeline.Scheduler{Runner: cur.runner, Feeds: cur.feeds, Jitter: cur.cfg.Fetch.Jitter.Std(),
			Grace: stopGrace, Changed: rebuild, Started: server.SetReady}
		schedCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sched.Run(schedCtx) }()
		return func() error {
			cancel()
			err := <-done
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			return err
		}
	}
	stop := start()

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-serveErr:
			runErr = fmt.Errorf("http server: %w", err)
			break loop
		case <-pruneTick.C:
			pruned, err := prune(ctx, cur.runner.Store, cur.cfg.Retention, log, time.Now())
			if err != nil && ctx.Err() == nil {
				log.Error("pruning failed; will try again", "err", err)
			}
			if pruned {
				rebuild(ctx) // the outputs show what the store keeps
			}
		case <-hup:
			sd.Reloading()
			next, err := load(cur.runner.Stories)
			if err != nil {
				log.Error("reload failed; the running config stays", "err", err)
				sd.Ready()
				continue
			}
			if next.cfg.Server.Listen != listen {
				log.Warn("server.listen changed; restart to listen on the new address", "listen", listen)
			}
			if next.cfg.Publish.WebSubHub != cur.cfg.Publish.WebSubHub {
				log.Warn("publish.websub_hub changed; restart to ping the new hub")
			}
			if err := stop(); err != nil {
				log.Error("scheduler stopped with an error", "err", err)
			}
			// Articles the old runner stored but did not place yet go with it.
			if err := cur.runner.Settle(ctx); err != nil {
				log.Error("placing new articles in stories failed", "err", err)
			}
			cur = next
			met.setFeeds(cur.feeds)
			server.MaxAge = maxAge(cur.feeds, time.Now())
			rebuild(ctx)
			stop = start()
			sd.Ready()
			log.Info("config reloaded", "feeds", len(cur.feeds), "outputs", len(cur.pub.Outputs))
		}
	}
	log.Info("shutting down")
	sd.Stopping()
	schedErr := stop()
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil && runErr == nil {
		runErr = fmt.Errorf("http server shutdown: %w", err)
	}
	if schedErr != nil && runErr == nil {
		runErr = schedErr
	}
	return runErr
}

func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	// A build from a checkout: the commit it was built from.
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev + dirty
}
