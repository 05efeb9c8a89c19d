package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/pgtest"
)

// feedIDs stores n feeds and returns their ids.
func feedIDs(t *testing.T, s *Store, n int) []int64 {
	t.Helper()
	refs := make([]FeedRef, n)
	for i := range refs {
		refs[i] = FeedRef{URL: fmt.Sprintf("https://feeds.example/%d.xml", i)}
	}
	fs, err := s.FeedsFor(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, f := range fs {
		ids[i] = f.Feed.ID
	}
	return ids
}

func granted(ls []Lease) (n int) {
	for _, l := range ls {
		if l.Granted {
			n++
		}
	}
	return n
}

func TestLeaseFeeds(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		ctx := context.Background()
		s := eng.open(t)
		ids := feedIDs(t, s, 3)
		until := t0.Add(2 * time.Minute)

		a, err := s.LeaseFeeds(ctx, ids[:2], "a", t0, until)
		if err != nil || granted(a) != 2 {
			t.Fatalf("a's leases: %+v, %v; want both granted", a, err)
		}
		b, err := s.LeaseFeeds(ctx, ids, "b", t0.Add(time.Minute), t0.Add(3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range b[:2] {
			if l.Granted || l.Holder != "a" || !l.Until.Equal(until) || l.Feed.ID != ids[i] {
				t.Errorf("b's lease of a's feed %d = %+v, want refused, held by a until %v", i, l, until)
			}
		}
		if !b[2].Granted || b[2].Feed.URL == "" {
			t.Errorf("b's lease of the free feed = %+v, want granted with the feed", b[2])
		}
		// a leasing again keeps its leases.
		if again, err := s.LeaseFeeds(ctx, ids[:1], "a", t0, until); err != nil || !again[0].Granted {
			t.Errorf("a leasing its own feed again: %+v, %v", again, err)
		}

		// Saving a's fetch gives its lease back and names a as the fetcher;
		// b's next lease sees the state a stored.
		attempt := t0.Add(30 * time.Second)
		state := aggregator.FeedState{URL: b[2].State.URL, LastAttempt: attempt, LastSuccess: attempt, LastStatus: 200}
		if _, _, err := s.SaveFetch(ctx, ids[0], Fetched{State: state, By: "a"}); err != nil {
			t.Fatal(err)
		}
		b0, err := s.LeaseFeeds(ctx, ids[:1], "b", t0.Add(time.Minute), t0.Add(3*time.Minute))
		if err != nil || !b0[0].Granted || !b0[0].State.LastAttempt.Equal(attempt) {
			t.Errorf("b's lease after a's fetch: %+v, %v; want granted, with a's attempt at %v", b0, err, attempt)
		}
		feeds, err := s.Feeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range feeds {
			if want := map[bool]string{true: "a", false: ""}[f.Feed.ID == ids[0]]; f.FetchedBy != want {
				t.Errorf("%s fetched by %q, want %q", f.Feed.URL, f.FetchedBy, want)
			}
		}

		// Only the holder gives a lease back; a lease that ran out is
		// anyone's.
		if err := s.ReleaseFeeds(ctx, ids[1:2], "b"); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.LeaseFeeds(ctx, ids[1:2], "b", t0.Add(time.Minute), t0.Add(3*time.Minute)); granted(l) != 0 {
			t.Errorf("b released a's lease")
		}
		if l, _ := s.LeaseFeeds(ctx, ids[1:2], "b", until, until.Add(2*time.Minute)); granted(l) != 1 {
			t.Errorf("b was refused a lease that ran out")
		}
		if err := s.ReleaseFeeds(ctx, ids[1:2], "b"); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.LeaseFeeds(ctx, ids[1:2], "a", t0, until); granted(l) != 1 {
			t.Errorf("a was refused a lease b gave back")
		}
	})
}

// TestLeaseFeedsTogether: instances asking for the same feeds at the same
// moment are each granted a share, never the same feed.
func TestLeaseFeedsTogether(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	const instances, feeds = 3, 300
	stores := make([]*Store, instances)
	for i := range stores {
		s, err := OpenWith(ctx, dsn, Options{Instance: fmt.Sprint("i", i)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	ids := feedIDs(t, stores[0], feeds)
	holders := make([]map[int64]bool, instances)
	var wg sync.WaitGroup
	for i, s := range stores {
		holders[i] = map[int64]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// In batches, as a daemon's scheduled fetches ask one by one.
			for start := 0; start < feeds; start += 10 {
				ls, err := s.LeaseFeeds(ctx, ids[start:start+10], fmt.Sprint("i", i), t0, t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				for _, l := range ls {
					if l.Granted {
						holders[i][l.Feed.ID] = true
					}
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, id := range ids {
		n := 0
		for _, h := range holders {
			if h[id] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("feed %d granted to %d instances, want 1", id, n)
		}
		total += n
	}
	if total != feeds {
		t.Errorf("%d leases granted, want %d", total, feeds)
	}
}

// TestRenewLeasesSkipsRowsBeingWritten: a renewal does not wait for a feed
// row that another transaction is writing (a save giving the lease back):
// waiting, it could deadlock with that save, as a --once run over 10,000
// feeds did (bench/fleet.sh). It renews the other leases.
func TestRenewLeasesSkipsRowsBeingWritten(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	s, err := OpenWith(ctx, dsn, Options{Instance: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := feedIDs(t, s, 2)
	if ls, err := s.LeaseFeeds(ctx, ids, "a", t0, t0.Add(time.Minute)); err != nil || granted(ls) != 2 {
		t.Fatalf("leases: %+v, %v; want both granted", ls, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.db.d.sql(`UPDATE feeds SET fetched_by = 'a' WHERE id = ?`), ids[0]); err != nil {
		t.Fatal(err)
	}
	renewCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	until := t0.Add(3 * time.Minute)
	if err := s.RenewLeases(renewCtx, ids, "a", until); err != nil {
		t.Fatalf("RenewLeases while a feed's row is being written: %v; want it to skip that row", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	holders, err := s.leaseHolders(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if got := holders[ids[0]].Until; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("the lease of the row being written runs until %v, want %v (not renewed)", got, t0.Add(time.Minute))
	}
	if got := holders[ids[1]].Until; !got.Equal(until) {
		t.Errorf("the other lease runs until %v, want %v (renewed)", got, until)
	}
}

func TestSite(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		ctx := context.Background()
		s := eng.open(t)
		if files, v, err := s.Site(ctx); err != nil || v != 0 || len(files) != 0 {
			t.Fatalf("empty store's site: %v, version %d, %v", files, v, err)
		}
		mod := time.Date(2023, 9, 12, 6, 0, 0, 123456789, time.UTC)
		first := []SiteFile{
			{Name: "index.html", ContentType: "text/html", ETag: `"1"`, ModTime: mod, Body: []byte("<p>one")},
			{Name: "feeds/all.atom", ContentType: "application/atom+xml", ETag: `"2"`, Body: []byte("<feed/>")},
		}
		if v, err := s.SaveSite(ctx, 0, first); err != nil || v != 1 {
			t.Fatalf("SaveSite: version %d, %v; want 1", v, err)
		}
		second := []SiteFile{{Name: "index.html", ContentType: "text/html", ETag: `"3"`, Body: []byte("<p>two\x00")}}
		if v, err := s.SaveSite(ctx, 0, second); err != nil || v != 2 {
			t.Fatalf("SaveSite: version %d, %v; want 2", v, err)
		}
		files, v, err := s.Site(ctx)
		if err != nil || v != 2 || len(files) != 1 {
			t.Fatalf("Site = %+v, version %d, %v; want the second site's one file, version 2", files, v, err)
		}
		if f := files[0]; f.Name != "index.html" || string(f.Body) != "<p>two\x00" || f.ETag != `"3"` || !f.ModTime.IsZero() {
			t.Errorf("Site = %+v, want %+v", f, second[0])
		}
		if _, err := s.SaveSite(ctx, 0, first); err != nil {
			t.Fatal(err)
		}
		if files, _, _ := s.Site(ctx); len(files) != 2 || !files[1].ModTime.Equal(mod) {
			t.Errorf("Site = %+v, want the first site again, index.html of %v", files, mod)
		}
		if v, err := s.SiteVersion(ctx); err != nil || v != 3 {
			t.Errorf("SiteVersion = %d, %v; want 3", v, err)
		}
	})
}

// waitFor polls cond until it holds, failing t after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v: %s", timeout, what)
		}
	}
}

// TestLeader: of two instances one leads; when its session ends (as when
// the instance dies, or is cut off from the database), the other takes
// over, and the old leader's writes are refused.
func TestLeader(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(name string) (*Store, *Leader) {
		s, err := OpenWith(ctx, dsn, Options{Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		l := s.Leader()
		l.Retry = 100 * time.Millisecond
		return s, l
	}
	a, la := open("a")
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	run := func(l *Leader) {
		wg.Add(1)
		go func() { defer wg.Done(); l.Run(ctx) }()
	}
	run(la)
	waitFor(t, 10*time.Second, func() bool { ok, _ := la.Leading(); return ok }, "a never led")
	b, lb := open("b")
	run(lb)
	time.Sleep(300 * time.Millisecond)
	if ok, _ := lb.Leading(); ok {
		t.Fatal("b leads beside a")
	}
	if name, err := b.LeaderName(ctx); err != nil || name != "a" {
		t.Fatalf("LeaderName = %q, %v; want a", name, err)
	}
	_, termA := la.Leading()
	if _, err := a.SaveSite(ctx, termA, nil); err != nil {
		t.Fatalf("the leader's SaveSite: %v", err)
	}

	// End a's sessions from the server, as a partition or a kill does.
	if _, err := b.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?`, appPrefix+"a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { ok, _ := lb.Leading(); return ok }, "b never took over")
	_, termB := lb.Leading()
	if termB <= termA {
		t.Errorf("b's term %d, after a's %d", termB, termA)
	}
	// a's first statements may meet connections the server ended.
	var err error
	for range 5 {
		if _, err = a.SaveSite(ctx, termA, nil); errors.Is(err, ErrNotLeader) {
			break
		}
	}
	if !errors.Is(err, ErrNotLeader) {
		t.Errorf("a's SaveSite after b took over: %v, want ErrNotLeader", err)
	}
	if err := a.PlaceIn(ctx, termA, []Placed{{EntryID: "x", StoryID: "x"}}); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a's PlaceIn after b took over: %v, want ErrNotLeader", err)
	}
	waitFor(t, 5*time.Second, func() bool { ok, _ := la.Leading(); return !ok }, "a never noticed it lost the lead")
	time.Sleep(300 * time.Millisecond)
	if ok, _ := la.Leading(); ok {
		t.Error("a leads again beside b")
	}
	if name, err := a.LeaderName(ctx); err != nil || name != "b" {
		t.Errorf("LeaderName = %q, %v; want b", name, err)
	}
}

// TestLeaderSQLite: the one process of a SQLite store leads, unfenced.
func TestLeaderSQLite(t *testing.T) {
	s := sqliteEngine.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	l := s.Leader()
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	waitFor(t, 5*time.Second, func() bool { ok, _ := l.Leading(); return ok }, "the SQLite store's only process does not lead")
	if _, term := l.Leading(); term != 0 {
		t.Errorf("term %d, want 0", term)
	}
	cancel()
	<-done
	if ok, _ := l.Leading(); ok {
		t.Error("still leads after Run returned")
	}
}
