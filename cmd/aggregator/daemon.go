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

	"aggregator/pipeline"
	"aggregator/publish"
	"aggregator/story"
)

// maxAge is how long, in seconds, readers may cache the outputs: the
// shortest interval at which a feed is fetched, within a minute and an hour.
func maxAge(feeds []pipeline.Feed, now time.Time) int {
	shortest, ok := pipeline.ShortestInterval(feeds, now)
	if !ok || shortest > time.Hour {
		shortest = time.Hour
	}
	return int(max(shortest, time.Minute) / time.Second)
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
