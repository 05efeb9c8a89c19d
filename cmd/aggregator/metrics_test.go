package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// /metrics parses with the Prometheus text parser, follows its naming rules,
// and counts what the daemon did; after a reload that drops a feed, the feed
// health counts the feeds of the new config only.
func TestMetrics(t *testing.T) {
	urls := kimURLs(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, "server:\n  listen: "+addr+"\n", urls...)
	startDaemon(t, cfg, addr)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	served := []string{"/feeds/all.atom", "/status", "/status.html", "/opml", "/subscriptions.opml", "/", "/healthz"}
	for _, p := range served {
		if code, _ := get(p); code != http.StatusOK {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	get("/nope")
	// scrape reads /metrics and returns the value of a metric, the first
	// whose labels include labels.
	type valueFunc func(name string, labels map[string]string) float64
	scrape := func() valueFunc {
		t.Helper()
		code, text := get("/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		problems, err := promlint.New(strings.NewReader(text)).Lint()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			if strings.HasPrefix(p.Metric, "aggregator_") {
				t.Errorf("lint: %s: %s", p.Metric, p.Text)
			}
		}
		return func(name string, labels map[string]string) float64 {
			f, ok := families[name]
			if !ok {
				t.Errorf("no metric %s", name)
				return -1
			}
		next:
			for _, m := range f.Metric {
				for _, l := range m.Label {
					if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
						continue next
					}
				}
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				case m.Histogram != nil:
					return float64(m.Histogram.GetSampleCount())
				}
			}
			return 0
		}
	}
	value := scrape()
	if n := value("aggregator_fetches_total", map[string]string{"result": "ok"}); n != 5 {
		t.Errorf("ok fetches = %v, want 5", n)
	}
	if n := value("aggregator_fetch_duration_seconds", nil); n != 5 {
		t.Errorf("fetch durations observed = %v, want 5", n)
	}
	if n := value("aggregator_items_ingested_total", nil); n != 13 {
		t.Errorf("items ingested = %v, want 13", n)
	}
	if n := value("aggregator_duplicates_merged_total", nil); n != 1 {
		t.Errorf("duplicates merged = %v, want 1 (the World Wire article in the Daily Ledger)", n)
	}
	if n := value("aggregator_stories", nil); n != 8 {
		t.Errorf("stories = %v, want 8", n)
	}
	if n := value("aggregator_feeds", map[string]string{"health": "ok"}); n != 5 {
		t.Errorf("healthy feeds = %v, want 5", n)
	}
	if n := value("aggregator_http_requests_total", map[string]string{"path": "/feeds/{name}", "code": "200"}); n < 1 {
		t.Errorf("feed requests counted = %v", n)
	}
	for _, p := range served[1:] {
		if n := value("aggregator_http_requests_total", map[string]string{"path": p, "code": "200"}); n != 1 {
			t.Errorf("requests for %s counted under its path = %v, want 1", p, n)
		}
	}
	if n := value("aggregator_http_requests_total", map[string]string{"path": "other", "code": "404"}); n != 1 {
		t.Errorf("404s counted = %v, want 1", n)
	}
	if n := value("aggregator_outputs_rendered_total", nil); n < 1 {
		t.Errorf("renders = %v", n)
	}

	// A reload to a config without the last feed: four feeds, all ok.
	if err := os.WriteFile(cfg, []byte(strings.Replace(mustRead(t, cfg), "  - url: "+urls[4]+"\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	ok := lazy(func() string { return fmt.Sprint(value("aggregator_feeds", map[string]string{"health": "ok"})) })
	waitUntil(t, 15*time.Second, func() bool {
		value = scrape()
		return ok() == "4"
	}, "after a reload to 4 feeds, aggregator_feeds{health=\"ok\"} = %s, want 4", ok)
	for _, h := range []string{"failing", "retired", "new"} {
		if n := value("aggregator_feeds", map[string]string{"health": h}); n != 0 {
			t.Errorf("after the reload, aggregator_feeds{health=%q} = %v, want 0", h, n)
		}
	}
}

// /metrics answers only GET and HEAD.
func TestMetricsMethods(t *testing.T) {
	h := newMetrics(nil, nil).handler(http.NotFoundHandler())
	for _, method := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/metrics", nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /metrics: %d Allow %q, want 405 and GET, HEAD", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
