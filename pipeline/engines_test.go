package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/storetest"
	"aggregator/story"
)

// The pipeline runs unchanged on every engine of the store: a cycle over
// the Kim feeds served over HTTP stores them, places them in the same
// stories and publishes the same entries on SQLite as on PostgreSQL; a
// forced second cycle asks for each feed conditionally, with what the
// store kept of the first, and stores nothing new; a runner restored from the store
// places the last feed's articles in the stories the first one made.
func TestRunAllOnEachEngine(t *testing.T) {
	dir, err := filepath.Abs("../testdata/kim")
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(dir))
	var (
		mu          sync.Mutex
		conditional int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Modified-Since") != "" || r.Header.Get("If-None-Match") != "" {
			mu.Lock()
			conditional++
			mu.Unlock()
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	var feeds []Feed
	for _, f := range kimFiles {
		feeds = append(feeds, Feed{URL: srv.URL + "/" + f, Schedule: "@every 15m"})
	}
	now := time.Date(2023, 9, 13, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	results := map[string][]aggregator.Entry{}
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		st := eng.New(t)
		st.SetClock(clock)
		r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()), Now: clock}
		// Every feed but Newsroom Global, which comes after a restart.
		first, last := append(feeds[:3:3], feeds[4]), feeds[3:4]
		added := 0
		for _, rep := range r.RunAll(ctx, first, false) {
			if rep.Err != nil {
				t.Fatalf("%s: %v", rep.Feed.URL, rep.Err)
			}
			added += rep.Added
		}
		if added == 0 {
			t.Fatal("the first cycle stored nothing")
		}
		mu.Lock()
		conditional = 0
		mu.Unlock()
		for _, rep := range r.RunAll(ctx, first, true) {
			if rep.Err != nil || rep.Added != 0 || rep.Changed != 0 {
				t.Errorf("%s: a forced cycle added %d, changed %d (%v)", rep.Feed.URL, rep.Added, rep.Changed, rep.Err)
			}
		}
		mu.Lock()
		if conditional != len(first) {
			t.Errorf("%d of the forced cycle's %d requests were conditional", conditional, len(first))
		}
		mu.Unlock()

		restarted := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()), Now: clock}
		if err := restarted.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if err := Failed(restarted.RunAll(ctx, last, false)); err != nil {
			t.Fatal(err)
		}
		entries, err := StoryEntries{Store: st}.Entries(ctx, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 8 {
			t.Errorf("%d entries from the Kim feeds, want their 8 stories", len(entries))
		}
		stories, err := st.StoryCount(ctx)
		if err != nil || stories != 8 {
			t.Errorf("the store counts %d stories (%v), want 8", stories, err)
		}
		// Feed ids are the store's own numbering, in the order the
		// fetches ended.
		for i := range entries {
			for j := range entries[i].Sources {
				entries[i].Sources[j].Feed.ID = 0
			}
		}
		results[eng.Name] = entries
	})
	if sqlite, postgres := results["sqlite"], results["postgres"]; sqlite != nil && postgres != nil && !reflect.DeepEqual(sqlite, postgres) {
		t.Errorf("the entries differ between the engines:\nsqlite:   %+v\npostgres: %+v", sqlite, postgres)
	}
}
