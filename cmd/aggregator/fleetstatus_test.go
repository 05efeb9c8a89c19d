package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"aggregator"
	"aggregator/internal/pgtest"
	"aggregator/store"
)

// On a PostgreSQL store, `aggregator status` says which instance leads
// ("leader: none" while none does) and has a FETCHED BY column; --json
// gives every feed a fetched_by, "" for a feed no instance fetched.
func TestStatusOnSharedStore(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	fetched, never := "https://desk.example/feed.xml", "https://never.example/feed.xml"
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	config := fmt.Sprintf("store: %q\ninstance: feeds-cli\npublish:\n  dir: public\n  base_url: http://feeds.example/\n"+
		"feeds:\n  - url: %s\n    name: Desk\n  - url: %s\n    name: Never\n", dsn, fetched, never)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	status := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, append([]string{"status", "--config", cfg}, args...), &stdout, &stderr); err != nil {
			t.Fatalf("status %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	if out := status(); !strings.HasPrefix(out, "leader: none\n") {
		t.Errorf("status with no instance leading does not begin with leader: none:\n%s", out)
	}

	// feeds-1 leads; feeds-2 fetched the first feed.
	st, err := store.OpenWith(ctx, dsn, store.Options{Instance: "feeds-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	leadCtx, stopLeading := context.WithCancel(ctx)
	leader := st.Leader()
	leader.Retry = 100 * time.Millisecond
	leading := make(chan struct{})
	go func() { defer close(leading); leader.Run(leadCtx) }()
	defer func() { stopLeading(); <-leading }()
	<-leader.Tried()
	if lead, _ := leader.Leading(); !lead {
		t.Fatal("feeds-1 does not lead")
	}
	feed, _, err := st.Feed(ctx, fetched, "")
	if err != nil {
		t.Fatal(err)
	}
	attempt := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	state := aggregator.FeedState{URL: fetched, LastAttempt: attempt, LastSuccess: attempt, LastStatus: 200}
	if _, _, err := st.SaveFetch(ctx, feed.ID, store.Fetched{State: state, By: "feeds-2"}); err != nil {
		t.Fatal(err)
	}

	out := status()
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || lines[0] != "leader: feeds-1" {
		t.Fatalf("status does not begin with leader: feeds-1:\n%s", out)
	}
	header := lines[1]
	from, to := strings.Index(header, "FETCHED BY"), strings.Index(header, "ERROR")
	if from < 0 || to < from {
		t.Fatalf("status table has no FETCHED BY column before ERROR:\n%s", out)
	}
	for i, want := range []string{"feeds-2", "-"} {
		row := lines[2+i]
		if to > len(row) {
			to = len(row)
		}
		if got := strings.TrimSpace(row[from:to]); got != want {
			t.Errorf("FETCHED BY of row %d is %q, want %q:\n%s", i+1, got, want, out)
		}
	}

	var feeds []map[string]any
	if err := json.Unmarshal([]byte(status("--json")), &feeds); err != nil {
		t.Fatalf("status --json is not an array of objects: %v", err)
	}
	if len(feeds) != 2 {
		t.Fatalf("status --json lists %d feeds, want 2", len(feeds))
	}
	for i, want := range []string{"feeds-2", ""} {
		if got, ok := feeds[i]["fetched_by"]; !ok || got != want {
			t.Errorf("status --json: feed %d has fetched_by %v (present: %v), want %q", i+1, got, ok, want)
		}
	}
}

// Two daemons on one PostgreSQL store: /metrics of each names it in
// aggregator_instance_info and gives aggregator_leader 1 for the one that
// leads, 0 for the other; the status page both serve says which rendered
// it, that it leads, and which instance fetched each feed.
func TestFleetMetricsAndStatusPage(t *testing.T) {
	const feeds = 4
	dsn := pgtest.DSN(t)
	farm := newFleetFarm(t, feeds)
	type instance struct {
		name, addr string
		logs       *lockedBuffer
	}
	var instances []*instance
	for i := range 2 {
		in := &instance{name: fmt.Sprint("feeds-", i+1), addr: freeAddr(t), logs: &lockedBuffer{}}
		cfg := fleetConfig(t, dsn, in.name, in.addr, farm.URL, feeds)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"--config", cfg}, io.Discard, in.logs) }()
		var once sync.Once
		t.Cleanup(func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("%s: %v", in.name, err)
				}
			})
		})
		instances = append(instances, in)
	}
	for _, in := range instances {
		waitUntil(t, 30*time.Second, func() bool { return isReady(in.addr) }, "%s never became ready; logs:\n%s", in.name, in.logs)
	}
	waitUntil(t, 20*time.Second, func() bool { return len(farm.counts()) == feeds }, "not every feed was fetched: %v",
		lazy(func() string { return fmt.Sprint(farm.counts()) }))

	gauge := func(in *instance, name string) (float64, map[string]string, bool) {
		text, _, err := fleetGet(in.addr, "metrics")
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: /metrics does not parse: %v", in.name, err)
		}
		f, ok := families[name]
		if !ok || len(f.Metric) != 1 || f.Metric[0].Gauge == nil {
			return 0, nil, false
		}
		labels := map[string]string{}
		for _, l := range f.Metric[0].Label {
			labels[l.GetName()] = l.GetValue()
		}
		return f.Metric[0].Gauge.GetValue(), labels, true
	}
	var leaders []string
	for _, in := range instances {
		v, labels, ok := gauge(in, "aggregator_instance_info")
		if !ok || v != 1 || labels["name"] != in.name {
			t.Errorf("%s: aggregator_instance_info %v %v (found: %v), want 1 with name=%q", in.name, v, labels, ok, in.name)
		}
		v, _, ok = gauge(in, "aggregator_leader")
		if !ok || v != 0 && v != 1 {
			t.Errorf("%s: aggregator_leader %v (found: %v), want 0 or 1", in.name, v, ok)
		}
		if v == 1 {
			leaders = append(leaders, in.name)
		}
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	name, err := st.LeaderName(context.Background())
	if err != nil || len(leaders) != 1 || leaders[0] != name {
		t.Fatalf("aggregator_leader is 1 for %v; the store says %q leads (%v)", leaders, name, err)
	}

	// Once every fetch is stored and published, both serve the leader's
	// status page, which names each feed's fetcher.
	want := "Rendered by " + name + ", which leads the instances sharing this store."
	page := func(in *instance) string {
		body, _, err := fleetGet(in.addr, "status.html")
		if err != nil {
			return err.Error()
		}
		return body
	}
	for _, in := range instances {
		waitUntil(t, 20*time.Second, func() bool {
			body := page(in)
			return strings.Contains(body, want) && strings.Count(body, "fetched by feeds-") == feeds
		}, "%s never served a status page rendered by the leader with every feed's fetcher:\n%s", in.name, lazy(func() string { return page(in) }))
	}
}
