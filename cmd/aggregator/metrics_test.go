package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// /metrics parses with the Prometheus text parser, follows its naming rules,
// and counts what the daemon did.
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
	get("/feeds/all.atom")
	get("/nope")
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
	value := func(name string, labels map[string]string) float64 {
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
	if n := value("aggregator_http_requests_total", map[string]string{"path": "other", "code": "404"}); n != 1 {
		t.Errorf("404s counted = %v, want 1", n)
	}
	if n := value("aggregator_outputs_rendered_total", nil); n < 1 {
		t.Errorf("renders = %v", n)
	}
}
