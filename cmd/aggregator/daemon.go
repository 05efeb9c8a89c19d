package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"aggregator/config"
	"aggregator/pipeline"
	"aggregator/publish"
	"aggregator/store"
)

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

// runDaemon runs the daemon on the store of cfg until ctx is done. Each
// signal on reload (SIGHUP) reloads the config: feeds, schedules, tags and
// outputs change without a restart and without closing the HTTP listener;
// a config that does not load is logged, and the running one stays. A
// signal that came before the daemon was ready reloads once it is.
func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger, reload <-chan os.Signal) error {
	st, err := store.OpenWith(ctx, cfg.Store, storeOptions(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	// Apply the retention limits before the stories are restored and the
	// outputs first published.
	if _, err := prune(ctx, st, cfg.Retention, log, time.Now()); err != nil {
		log.Error("pruning failed; will try again", "err", err)
	}
	current, err := newSetup(ctx, cfg, st, log, asDaemon, nil)
	if err != nil {
		return err
	}
	d := &daemon{log: log, current: current, listen: cfg.Server.Listen}
	return d.run(ctx, reload)
}

// daemon serves the outputs over HTTP and fetches the feeds on their
// schedules; see runDaemon.
type daemon struct {
	log     *slog.Logger
	current *setup // from the config in force
	// listen is the address the daemon listens on: server.listen as it was
	// at start, since a reload does not move the listener.
	listen  string
	server  *publish.Server
	metrics *metrics
	systemd *notifier
	pinger  *publish.Pinger // nil without a WebSub hub

	// stopScheduler stops the running scheduler and says how it ended.
	stopScheduler func() error

	// publishing lets one publish run at a time, so that the last one
	// shows what the store holds last.
	publishing sync.Mutex
	published  *publish.Site // nil until the first publish

	// leader campaigns for this instance to lead those sharing the store;
	// nil when the store is not shared (see fleet.go).
	leader *store.Leader
	// siteVersion is the version of the stored site served, and
	// publishedTerm the leader's term it was published in (0: another
	// instance's), when the store is shared.
	siteVersion, publishedTerm int64
}

// run serves and schedules until ctx is done or the HTTP server fails,
// reloading the config on each signal on reload, and then shuts down.
func (d *daemon) run(ctx context.Context, reload <-chan os.Signal) error {
	log, cur := d.log, d.current
	d.server = publish.NewServer()
	d.server.Log = log
	d.server.MaxAge = maxAge(cur.feeds, time.Now())
	d.metrics = newMetrics(cur.runner.Store, cur.feeds)

	stopPinger := d.startPinger()
	defer stopPinger()
	stopFleet := d.startFleet(ctx)
	defer stopFleet()
	d.metrics.addFleet(cur.runner.Instance, d.leader)

	// Serve what the store already holds before the first fetch completes.
	d.publish(ctx)

	ln, err := net.Listen("tcp", d.listen)
	if err != nil {
		return listenError(cur.cfg, err)
	}
	srv := newHTTPServer(d.metrics.handler(d.server), log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String()+"/", "feeds", len(cur.feeds))

	// Under systemd (Type=notify), say when the daemon is ready, reloading
	// or stopping, and keep the watchdog fed; elsewhere these do nothing.
	d.systemd = newNotifier()
	stopWatchdog := d.startWatchdog()
	defer stopWatchdog()
	if err := d.systemd.Ready(); err != nil {
		log.Warn("telling systemd the daemon is ready failed", "err", err)
	}

	pruneTick := time.NewTicker(pruneEvery)
	defer pruneTick.Stop()

	d.startScheduler(ctx)
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
			d.prune(ctx)
		case <-reload:
			d.reload(ctx)
		}
	}
	log.Info("shutting down")
	d.systemd.Stopping()
	schedErr := d.stopScheduler()
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

// startPinger starts the WebSub pinger when the config names a hub. It lives
// as long as the daemon, since a reload cannot change the hub; stop ends it.
func (d *daemon) startPinger() (stop func()) {
	hub := d.current.pub.Hub
	if hub == "" {
		return func() {}
	}
	d.pinger = &publish.Pinger{Hub: hub, Log: d.log}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.pinger.Run(ctx) }()
	return func() {
		cancel()
		<-done
	}
}

// startWatchdog keeps systemd's watchdog fed, when systemd runs one, until
// stop is called, so that systemd restarts a daemon that hangs.
func (d *daemon) startWatchdog() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.systemd.Watchdog(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// publish builds the outputs from what the store holds and serves them,
// and tells the WebSub hub which feeds changed. The scheduler calls it
// after fetches that changed the store, and the daemon after a prune that
// deleted stories and on reload, while no scheduler runs.
func (d *daemon) publish(ctx context.Context) {
	d.publishing.Lock()
	defer d.publishing.Unlock()
	cur := d.current
	var (
		site *publish.Site
		err  error
	)
	if d.shared() {
		site, err = d.publishShared(ctx)
	} else {
		site, err = cur.pub.Build(ctx, cur.entries)
	}
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("publish failed; still serving the previous outputs", "err", err)
		}
		return
	}
	if site == nil {
		return
	}
	d.server.Swap(site)
	d.metrics.renders.Inc()
	if d.pinger != nil && d.published != nil && d.leads() {
		d.pinger.Notify(publish.ChangedFeeds(d.published, site, cur.pub.BaseURL))
	}
	d.published = site
	d.log.Debug("published")
}

// startScheduler starts fetching the current feeds on their schedules,
// until stopScheduler is called.
func (d *daemon) startScheduler(ctx context.Context) {
	cur := d.current
	cur.runner.OnReport = d.metrics.observe
	sched := &pipeline.Scheduler{Runner: cur.runner, Feeds: cur.feeds, Jitter: cur.cfg.Fetch.Jitter.Std(),
		Grace: stopGrace, Changed: d.publish, Started: d.server.SetReady}
	schedCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sched.Run(schedCtx) }()
	d.stopScheduler = func() error {
		cancel()
		err := <-done
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return err
	}
}

// prune applies the retention limits, and publishes again when that
// deleted stories, so that the outputs show what the store keeps.
func (d *daemon) prune(ctx context.Context) {
	cur := d.current
	pruned, err := prune(ctx, cur.runner.Store, cur.cfg.Retention, d.log, time.Now())
	if err != nil && ctx.Err() == nil {
		d.log.Error("pruning failed; will try again", "err", err)
	}
	if pruned {
		d.publish(ctx)
	}
}

// reload loads the config again and, when it loads, puts it in force: the
// scheduler stops, the articles it stored are placed in stories, and a new
// one starts on the new feeds. The clusterer is kept, so that stories go
// on across the reload.
func (d *daemon) reload(ctx context.Context) {
	log, cur := d.log, d.current
	d.systemd.Reloading()
	next, err := d.loadSetup(ctx)
	if err != nil {
		log.Error("reload failed; the running config stays", "err", err)
		d.systemd.Ready()
		return
	}
	if next.cfg.Server.Listen != d.listen {
		log.Warn("server.listen changed; restart to listen on the new address", "listen", d.listen)
	}
	if next.cfg.Publish.WebSubHub != cur.cfg.Publish.WebSubHub {
		log.Warn("publish.websub_hub changed; restart to ping the new hub")
	}
	if err := d.stopScheduler(); err != nil {
		log.Error("scheduler stopped with an error", "err", err)
	}
	// Articles the old runner stored but did not place yet go with it.
	if err := cur.runner.Settle(ctx); err != nil {
		log.Error("placing new articles in stories failed", "err", err)
	}
	d.publishing.Lock() // followFleet reads current
	d.current = next
	d.publishing.Unlock()
	d.metrics.setFeeds(next.feeds)
	d.server.MaxAge = maxAge(next.feeds, time.Now())
	d.publish(ctx)
	d.startScheduler(ctx)
	d.systemd.Ready()
	log.Info("config reloaded", "feeds", len(next.feeds), "outputs", len(next.pub.Outputs))
}

// loadSetup loads the config file again and builds its setup on the open
// store, with the running clusterer. The store cannot change without a
// restart.
func (d *daemon) loadSetup(ctx context.Context) (*setup, error) {
	cur := d.current
	next, err := loadConfig(cur.cfg.Path)
	if err != nil {
		return nil, err
	}
	if next.Store != cur.cfg.Store {
		// Shown without a password that a postgres:// URL may carry.
		was, now := store.Redacted(cur.cfg.Store), store.Redacted(next.Store)
		if was == now {
			return nil, fmt.Errorf("store: %s changed (its password); a new store needs a restart", now)
		}
		return nil, fmt.Errorf("store: %s was %s; a new store needs a restart", now, was)
	}
	if next.StorePassword.Reveal() != cur.cfg.StorePassword.Reveal() {
		return nil, fmt.Errorf("store_password_file: the password changed; the store stays open with the old one until a restart")
	}
	if next.Instance != cur.cfg.Instance {
		return nil, fmt.Errorf("instance: %q was %q; a new name needs a restart", next.Instance, cur.cfg.Instance)
	}
	s, err := newSetup(ctx, next, cur.runner.Store, d.log, asDaemon, cur.runner.Stories)
	if err == nil && d.leader != nil {
		s.runner.Leader = d.leader
	}
	return s, err
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
