package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
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
