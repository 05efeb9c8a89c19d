package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"aggregator/fetch"
	"aggregator/pipeline"
	"aggregator/publish"
	"aggregator/store"
)

// metrics are the daemon's Prometheus metrics, on a registry of their own.
type metrics struct {
	reg      *prometheus.Registry
	fetches  *prometheus.CounterVec
	duration prometheus.Histogram
	items    prometheus.Counter
	dupes    prometheus.Counter
	renders  prometheus.Counter
	requests *prometheus.CounterVec
	health   *feedHealth
}

// newMetrics makes the metrics of a daemon on st that follows feeds; on a
// reload, setFeeds gives it the new feeds.
func newMetrics(st *store.Store, feeds []pipeline.Feed) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aggregator_fetches_total",
			Help: "Feed fetches by result: ok, not_modified, unchanged, skipped, http_4xx, http_5xx, error.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "aggregator_fetch_duration_seconds",
			Help:    "How long feed fetches took, parsing included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}),
		items: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aggregator_items_ingested_total",
			Help: "Articles stored for the first time.",
		}),
		dupes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aggregator_duplicates_merged_total",
			Help: "Articles in fetched feeds that were already stored (the same link, GUID or text).",
		}),
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aggregator_outputs_rendered_total",
			Help: "Times the outputs were rendered because what they show changed.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aggregator_http_requests_total",
			Help: "HTTP requests by path (feeds grouped) and status code.",
		}, []string{"path", "code"}),
	}
	ctx := context.Background()
	stories := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "aggregator_stories",
		Help: "Stories in the store.",
	}, func() float64 {
		n, _ := st.StoryCount(ctx)
		return float64(n)
	})
	m.health = newFeedHealth(st)
	m.setFeeds(feeds)
	m.reg.MustRegister(m.fetches, m.duration, m.items, m.dupes, m.renders, m.requests, stories, m.health,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// addFleet adds, when instances share the store (leader is not nil), the
// gauges that name this instance and say whether it leads them. On a store
// not shared (SQLite), where the one process always leads, they are left
// out.
func (m *metrics) addFleet(instance string, leader *store.Leader) {
	if leader == nil {
		return
	}
	leading := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "aggregator_leader",
		Help: "1 while this instance leads the instances sharing its PostgreSQL store " +
			"(places articles in stories and renders the outputs), 0 while it follows. Only on a shared store.",
	}, func() float64 {
		if lead, _ := leader.Leading(); lead {
			return 1
		}
		return 0
	})
	info := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "aggregator_instance_info",
		Help:        "Always 1; name is this instance's among those sharing its PostgreSQL store (config instance:). Only on a shared store.",
		ConstLabels: prometheus.Labels{"name": instance},
	}, func() float64 { return 1 })
	m.reg.MustRegister(leading, info)
}

// setFeeds makes feeds the ones the feed-health gauge counts.
func (m *metrics) setFeeds(feeds []pipeline.Feed) { m.health.feeds.Store(&feeds) }

// observe counts one feed's turn.
func (m *metrics) observe(rep pipeline.Report) {
	m.fetches.WithLabelValues(fetchResult(rep)).Inc()
	if rep.Took > 0 {
		m.duration.Observe(rep.Took.Seconds())
	}
	if rep.Result != nil && rep.Err == nil {
		m.items.Add(float64(rep.Added))
		if known := rep.Items - rep.Added; known > 0 {
			m.dupes.Add(float64(known))
		}
	}
}

// fetchResult is the result label of a feed's turn in
// aggregator_fetches_total.
func fetchResult(rep pipeline.Report) string {
	var he *fetch.HTTPError
	switch {
	case rep.Skipped != "":
		return "skipped"
	case errors.As(rep.Err, &he) && he.StatusCode >= 500:
		return "http_5xx"
	case errors.As(rep.Err, &he):
		return "http_4xx"
	case rep.Err != nil:
		return "error"
	case rep.Result != nil && rep.Result.NotModified:
		return "not_modified"
	case rep.Result != nil && rep.Result.Unchanged:
		return "unchanged"
	}
	return "ok"
}

// handler serves /metrics and counts the requests next passes on.
func (m *metrics) handler(next http.Handler) http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			if publish.AllowGetHead(w, r) {
				prom.ServeHTTP(w, r)
			}
			return
		}
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.requests.WithLabelValues(pathLabel(r.URL.Path), strconv.Itoa(rec.code)).Inc()
	})
}

// pathLabel keeps the path label's values few: feeds and archives are grouped.
func pathLabel(p string) string {
	switch p {
	case "/", "/index.html", "/healthz", "/readyz", "/opml", "/" + publish.OPMLPath, "/status", "/" + publish.StatusPath:
		return p
	}
	switch {
	case strings.HasPrefix(p, "/feeds/") && strings.Contains(p, "/archive/"):
		return "/feeds/{name}/archive/{n}"
	case strings.HasPrefix(p, "/feeds/"):
		return "/feeds/{name}"
	}
	return "other"
}

// statusRecorder notes the status code a handler writes, for
// aggregator_http_requests_total.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// feedHealth reports how many of the configured feeds are in each state,
// read from the store when Prometheus scrapes. Feeds the config no longer
// has are not counted, though the store keeps them.
type feedHealth struct {
	st    *store.Store
	feeds atomic.Pointer[[]pipeline.Feed]
	desc  *prometheus.Desc
}

// newFeedHealth makes the aggregator_feeds gauge of the feeds in st.
func newFeedHealth(st *store.Store) *feedHealth {
	return &feedHealth{st: st, desc: prometheus.NewDesc("aggregator_feeds",
		"Feeds by health: ok, failing (the last attempt failed), retired (410 Gone), new (never fetched).",
		[]string{"health"}, nil)}
}

func (f *feedHealth) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

func (f *feedHealth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	feeds, err := pipeline.Health{Store: f.st, Feeds: *f.feeds.Load()}.FeedHealth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(f.desc, err)
		return
	}
	counts := map[string]int{"ok": 0, "failing": 0, "retired": 0, "new": 0}
	for _, fh := range feeds {
		counts[fh.Health]++
	}
	for health, n := range counts {
		ch <- prometheus.MustNewConstMetric(f.desc, prometheus.GaugeValue, float64(n), health)
	}
}
