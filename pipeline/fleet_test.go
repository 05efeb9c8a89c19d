package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/pgtest"
	"aggregator/internal/storetest"
	"aggregator/store"
	"aggregator/story"
)

// TestSettleShared: instances sharing a store each fetch some of the Kim
// feeds; those that do not lead place nothing, and the leader places every
// article they stored, giving the stories one runner on SQLite gives; a new
// leader's term rebuilds the stories from the store and goes on from them.
func TestSettleShared(t *testing.T) {
	dir, err := filepath.Abs("../testdata/kim")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	var feeds []Feed
	for _, f := range kimFiles {
		feeds = append(feeds, Feed{URL: srv.URL + "/" + f, Schedule: "@every 15m"})
	}
	now := time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	entries := func(st *store.Store) []aggregator.Entry {
		es, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range es {
			for j := range es[i].Sources {
				es[i].Sources[j].Feed.ID = 0
			}
		}
		return es
	}

	// One runner on SQLite, as a reference.
	lite := storetest.New(t)
	lite.SetClock(clock)
	one := &Runner{Store: lite, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()), Now: clock}
	if err := Failed(one.RunAll(ctx, feeds, false)); err != nil {
		t.Fatal(err)
	}
	want := entries(lite)

	dsn := pgtest.DSN(t)
	// open starts an instance, campaigning to lead until stop is called.
	open := func(name string) (_ *store.Store, _ *Runner, stop func()) {
		st, err := store.OpenWith(ctx, dsn, store.Options{Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		st.SetClock(clock)
		l := st.Leader()
		l.Retry = 50 * time.Millisecond
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); l.Run(lctx) }()
		<-l.Tried()
		stop = func() { cancel(); <-done }
		t.Cleanup(func() { stop(); st.Close() })
		r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()), Now: clock,
			Instance: name, Leader: l}
		return st, r, stop
	}
	st, a, stopA := open("a")
	_, b, _ := open("b")
	if lead, _ := a.Leader.Leading(); !lead {
		t.Fatal("a, the first instance, does not lead")
	}
	// b fetches the first feeds and places nothing; a fetches the rest.
	if err := Failed(b.RunAll(ctx, feeds[:3], false)); err != nil {
		t.Fatal(err)
	}
	if waiting, err := st.HasUnplaced(ctx); err != nil || !waiting {
		t.Fatalf("after b's cycle: unplaced articles %v, %v; want some, b does not lead", waiting, err)
	}
	if err := Failed(a.RunAll(ctx, feeds[3:], false)); err != nil {
		t.Fatal(err)
	}
	if waiting, err := st.HasUnplaced(ctx); err != nil || waiting {
		t.Fatalf("after the leader's cycle: unplaced articles %v, %v; want none", waiting, err)
	}
	got := entries(st)
	if len(got) != len(want) {
		t.Errorf("%d entries from the fleet, %d from one runner", len(got), len(want))
	}
	titles := func(es []aggregator.Entry) map[string]int {
		m := map[string]int{}
		for _, e := range es {
			m[e.Item.Title] = len(e.Sources)
		}
		return m
	}
	if !reflect.DeepEqual(titles(got), titles(want)) {
		t.Errorf("stories and their sources differ:\nfleet: %v\none:   %v", titles(got), titles(want))
	}

	// a stops; b leads a new term, rebuilds the stories from the store,
	// and places nothing twice.
	stopA()
	deadline := time.Now().Add(10 * time.Second)
	for lead, _ := b.Leader.Leading(); !lead; lead, _ = b.Leader.Leading() {
		if time.Now().After(deadline) {
			t.Fatal("b never took over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := b.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if again := entries(st); !reflect.DeepEqual(titles(again), titles(got)) {
		t.Errorf("a new leader's Settle changed the stories:\nbefore %v\nafter  %v", titles(got), titles(again))
	}
	if n := b.Stories.Active(); n == 0 {
		t.Error("the new leader's stories were not rebuilt from the store")
	}
}

// TestClaimFetchedMeanwhile: a turn whose feed another instance fetched
// and stored after the turn read it is not fetched again (--once runs side
// by side fetched such feeds twice, bench/fleet.sh), unless forced.
func TestClaimFetchedMeanwhile(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title><link>https://desk.example/</link>
			<item><title>A report from the harbour</title><link>https://desk.example/1</link><description>The harbour report.</description>
			<pubDate>Tue, 12 Sep 2023 06:00:00 GMT</pubDate></item></channel></rss>`))
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	runner := func(name string) *Runner {
		st, err := store.OpenWith(ctx, dsn, store.Options{Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Instance: name}
	}
	a, b := runner("a"), runner("b")
	feed := Feed{URL: srv.URL + "/feed.xml", Schedule: "@every 15m"}

	tb := b.loadTurn(ctx, feed, false, 0) // b reads the feed, then a fetches it
	if err := Failed(a.RunAll(ctx, []Feed{feed}, false)); err != nil {
		t.Fatal(err)
	}
	if b.claim(ctx, tb, false, 0) {
		t.Fatalf("b claimed a feed a fetched after b read it; want it skipped")
	}
	if want := "fetched meanwhile by another instance"; tb.rep.Skipped != want {
		t.Errorf("skipped %q, want %q", tb.rep.Skipped, want)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if ls, err := b.Store.LeaseFeeds(ctx, []int64{tb.id}, "c", time.Now(), time.Now().Add(time.Minute)); err != nil || !ls[0].Granted {
		t.Errorf("the lease after the skip: %+v, %v; want it given back", ls, err)
	}

	forced := b.loadTurn(ctx, feed, true, 0)
	if err := Failed(a.RunAll(ctx, []Feed{feed}, true)); err != nil {
		t.Fatal(err)
	}
	b.Store.ReleaseFeeds(ctx, []int64{forced.id}, "c")
	if !b.claim(ctx, forced, true, 0) {
		t.Errorf("a forced turn was skipped (%q); want it fetched", forced.rep.Skipped)
	}
}
