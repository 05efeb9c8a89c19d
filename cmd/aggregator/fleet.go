package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"aggregator/config"
	"aggregator/publish"
	"aggregator/store"
)

// Several instances may share a PostgreSQL store (see store/fleet.go):
// each fetches the feeds whose leases it takes; the leader places the
// articles in stories, renders the outputs and stores the files, and the
// others serve those files as they are, so that every instance serves the
// same bytes and ETags.

// instanceName names this process among the instances sharing a store:
// the config's instance, else its host and process id.
func instanceName(cfg *config.Config) string {
	if cfg.Instance != "" {
		return cfg.Instance
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// storeOptions are the options of cfg's store for this process. The runs
// (--once) of one instance exclude each other, those of others sharing a
// PostgreSQL store go on beside them: the instance's name, else its host,
// scopes the run lock.
func storeOptions(cfg *config.Config) store.Options {
	scope := cfg.Instance
	if scope == "" {
		scope, _ = os.Hostname()
	}
	return store.Options{Password: cfg.StorePassword.Reveal(), Instance: instanceName(cfg), RunScope: cmp.Or(scope, "localhost")}
}

// fleetPoll is how often an instance sharing its store looks at what the
// others did: the leader for articles they stored, the others for a new
// site.
const fleetPoll = 5 * time.Second

// shared reports whether other instances may share the daemon's store.
func (d *daemon) shared() bool { return d.leader != nil }

// leads reports whether the daemon leads the instances sharing its store,
// or has its store to itself: whether the hub hears of its changes from it.
func (d *daemon) leads() bool {
	if !d.shared() {
		return true
	}
	lead, _ := d.leader.Leading()
	return lead
}

// startFleet, when the store is shared, campaigns to lead and follows the
// other instances' work until ctx is done (see followFleet); stop waits for
// both to end.
func (d *daemon) startFleet(ctx context.Context) (stop func()) {
	st := d.current.runner.Store
	if !st.Shared() {
		return func() {}
	}
	nudge := make(chan struct{}, 1)
	d.leader = st.Leader()
	d.leader.Log = d.log
	d.leader.Changed = func(leading bool) {
		if leading {
			d.log.Info("leading the instances on the store: placing articles and rendering the outputs")
		} else {
			d.log.Info("following the instance that leads: serving the outputs it renders")
		}
		select {
		case nudge <- struct{}{}:
		default:
		}
	}
	d.current.runner.Leader = d.leader
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { d.leader.Run(ctx); done <- struct{}{} }()
	go func() { d.followFleet(ctx, nudge); done <- struct{}{} }()
	<-d.leader.Tried()
	return func() {
		cancel()
		<-done
		<-done
	}
}

// followFleet, every fleetPoll and when leadership changes, has the leader
// place the articles other instances stored and publish, and the others
// serve the site the leader stored last.
func (d *daemon) followFleet(ctx context.Context, nudge <-chan struct{}) {
	tick := time.NewTicker(fleetPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-nudge:
		}
		lead, term := d.leader.Leading()
		if !lead {
			d.publish(ctx)
			continue
		}
		// reload replaces d.current, and publish writes publishedTerm,
		// under the publishing lock.
		d.publishing.Lock()
		runner, published := d.current.runner, d.publishedTerm
		d.publishing.Unlock()
		waiting, err := runner.Store.HasUnplaced(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("looking for articles to place failed", "err", err)
			}
			continue
		}
		if waiting {
			if err := runner.Settle(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("placing new articles in stories failed; they are published on their own", "err", err)
			}
		}
		if waiting || term != published {
			d.publish(ctx)
		}
	}
}

// publishShared is publish on a shared store: the leader builds the site
// and stores its files; the others serve the files stored, with archive
// pages rendered from the store as the leader renders them. It returns the
// site to serve, or nil to keep serving the one served.
func (d *daemon) publishShared(ctx context.Context) (*publish.Site, error) {
	cur := d.current
	st := cur.runner.Store
	lead, term := d.leader.Leading()
	if lead {
		if term != d.publishedTerm {
			// Another leader may have extended the archives meanwhile.
			cur.pub.ForgetArchives()
		}
		site, err := cur.pub.Build(ctx, cur.entries)
		if err != nil {
			return nil, err
		}
		files := make([]store.SiteFile, 0, len(site.Files))
		for name, f := range site.Files {
			files = append(files, store.SiteFile{Name: name, ContentType: f.ContentType, ETag: f.ETag, ModTime: f.ModTime, Body: f.Body})
		}
		version, err := st.SaveSite(ctx, term, files)
		if errors.Is(err, store.ErrNotLeader) {
			// The next leader publishes; until then, serve this render
			// rather than nothing.
			if d.published == nil {
				return site, nil
			}
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		d.siteVersion, d.publishedTerm = version, term
		return site, nil
	}
	version, err := st.SiteVersion(ctx)
	if err != nil {
		return nil, err
	}
	if version == 0 && d.published == nil {
		// No leader stored a site yet: serve this instance's own render
		// until one does, without archives, which are the leader's to keep.
		return cur.pub.Build(ctx, publish.Entries(cur.entries))
	}
	if version == 0 || version == d.siteVersion {
		return nil, nil
	}
	files, version, err := st.Site(ctx)
	if err != nil {
		return nil, err
	}
	// The archive pages are rendered when asked for, from the store.
	lazy, err := cur.pub.Archives(ctx, cur.entries)
	if err != nil {
		return nil, err
	}
	site := &publish.Site{Files: make(map[string]*publish.File, len(files)), Lazy: lazy, Changed: map[string]bool{}}
	for _, f := range files {
		site.Files[f.Name] = &publish.File{Body: f.Body, ContentType: f.ContentType, ModTime: f.ModTime, ETag: f.ETag}
	}
	d.siteVersion, d.publishedTerm = version, 0
	return site, nil
}
