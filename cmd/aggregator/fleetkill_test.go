package main

import (
	"context"
	"database/sql"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"aggregator/internal/pgtest"
	"aggregator/internal/storetest"
)

// hangingFarm is newFleetFarm whose feed 0 hangs on its first request
// until the test ends, as a server that never answers does.
func hangingFarm(t *testing.T, n int) *fleetFarm {
	release := make(chan struct{})
	var once sync.Once
	inner := newFleetFarm(t, n)
	f := &fleetFarm{requests: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests[r.URL.Path]++
		first := r.URL.Path == "/feed/0.xml" && f.requests[r.URL.Path] == 1
		f.mu.Unlock()
		if first {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		inner.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { once.Do(func() { close(release) }); f.Close() })
	return f
}

// process is an instance of the program run as a child process.
type process struct {
	name, addr string
	cmd        *exec.Cmd
	logs       *lockedBuffer
}

func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// leaseHolder returns the instance holding the lease of the feed whose URL
// ends in suffix, "" for none.
func leaseHolder(t *testing.T, db *sql.DB, suffix string) string {
	t.Helper()
	var holder string
	err := db.QueryRow(`SELECT lease_holder FROM feeds WHERE url LIKE '%' || $1`, suffix).Scan(&holder)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return holder
}

// TestFleetKill: kill -9 of the instance fetching a feed, and of the
// leader. The feed's lease runs out and another instance fetches it; another
// instance leads within 30 s; nothing stored is lost and the outputs stay
// whole.
func TestFleetKill(t *testing.T) {
	const feeds = 12
	dsn := pgtest.DSN(t)
	bin := buildAggregator(t)
	farm := hangingFarm(t, feeds)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	procs := make([]*process, 3)
	for i := range procs {
		p := &process{name: fmt.Sprint("feeds-", i+1), addr: freeAddr(t), logs: &lockedBuffer{}}
		cfg := fleetConfig(t, dsn, p.name, p.addr, farm.URL, feeds)
		appendConfig(t, cfg, "  lease: 3s\n")
		p.cmd = exec.Command(bin, "--config", cfg)
		p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.cmd.Wait()
		})
		procs[i] = p
	}
	byName := map[string]*process{}
	for _, p := range procs {
		byName[p.name] = p
		// Not ready while feed 0 hangs, if it fetches it: serving is enough.
		waitUntil(t, 30*time.Second, func() bool { return strings.Contains(p.logs.String(), "serving") },
			"%s never started; logs:\n%s", p.name, p.logs)
	}

	// The instance fetching feed 0, which hangs, dies: another fetches it
	// once the lease runs out.
	// Its first request hangs: whoever holds its lease then is stuck on it
	// (an instance may hold a lease while it waits for a slot to fetch).
	var fetcher string
	waitUntil(t, 20*time.Second, func() bool { return farm.counts()["/feed/0.xml"] == 1 }, "nobody asked for feed 0")
	waitUntil(t, 20*time.Second, func() bool { fetcher = leaseHolder(t, db, "/feed/0.xml"); return fetcher != "" },
		"nobody holds feed 0's lease")
	killed := byName[fetcher]
	killed.kill(t)
	st := storetest.Open(t, dsn)
	fetchedBy := func() string {
		fs, err := st.Feeds(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if strings.HasSuffix(f.Feed.URL, "/feed/0.xml") && f.State.LastSuccess.After(time.Time{}) {
				return f.FetchedBy
			}
		}
		return ""
	}
	allLogs := lazy(func() string {
		var b strings.Builder
		for _, p := range procs {
			fmt.Fprintf(&b, "%s:\n%s\n", p.name, p.logs)
		}
		return b.String()
	})
	start := time.Now()
	waitUntil(t, 20*time.Second, func() bool { by := fetchedBy(); return by != "" && by != fetcher },
		"feed 0 was not fetched by another instance after %s died; logs:\n%s", fetcher, allLogs)
	t.Logf("feed 0 fetched again %v after its fetcher was killed", time.Since(start).Round(100*time.Millisecond))
	var alive []*process
	for _, p := range procs {
		if p != killed {
			alive = append(alive, p)
		}
	}

	// The leader dies (if it was not the fetcher): another leads within
	// 30 s.
	leader, err := st.LeaderName(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l := byName[leader]; l != nil && l != killed {
		l.kill(t)
		start := time.Now()
		waitUntil(t, 30*time.Second, func() bool {
			name, err := st.LeaderName(context.Background())
			return err == nil && name != "" && name != leader
		}, "no instance took over from the killed leader %s", leader)
		t.Logf("a new leader %v after the leader was killed", time.Since(start).Round(100*time.Millisecond))
		var rest []*process
		for _, p := range alive {
			if p != l {
				rest = append(rest, p)
			}
		}
		alive = rest
	} else {
		waitUntil(t, 30*time.Second, func() bool {
			name, err := st.LeaderName(context.Background())
			return err == nil && name != "" && name != fetcher
		}, "no instance took over from the killed leader %s", fetcher)
	}

	// Nothing lost: every feed's items stored; the outputs whole, and the
	// same from every instance alive.
	waitUntil(t, 20*time.Second, func() bool {
		_, items, err := st.Counts(context.Background())
		return err == nil && items == 3*feeds
	}, "not every item stored")
	waitUntil(t, 30*time.Second, func() bool {
		var first string
		for i, p := range alive {
			body, etag, err := fleetGet(p.addr, "feeds/all.atom")
			var doc atomDoc
			if err != nil || xml.Unmarshal([]byte(body), &doc) != nil || len(doc.Entries) == 0 {
				return false
			}
			if i == 0 {
				first = etag + body
			} else if etag+body != first {
				return false
			}
		}
		return true
	}, "the instances left never served the same whole all.atom; logs:\n%s", allLogs)
}

// appendConfig adds text to the end of the config file at path.
func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "  allow_private_addresses: true\n", "  allow_private_addresses: true\n"+text, 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFleetPartition: the leader's sessions are cut (pg_terminate_backend,
// as a network partition between it and the database would): it stops
// leading, another instance takes over, and the cut one comes back as a
// follower that serves the same outputs.
func TestFleetPartition(t *testing.T) {
	const feeds = 6
	dsn := pgtest.DSN(t)
	farm := newFleetFarm(t, feeds)
	type instance struct {
		name, addr string
		logs       *lockedBuffer
	}
	var instances []*instance
	for i := range 2 {
		in := &instance{name: fmt.Sprint("feeds-", i+1), addr: freeAddr(t), logs: &lockedBuffer{}}
		runDaemonUntilEnd(t, fleetConfig(t, dsn, in.name, in.addr, farm.URL, feeds), in.logs)
		waitUntil(t, 30*time.Second, func() bool { return isReady(in.addr) }, "%s never became ready; logs:\n%s", in.name, in.logs)
		instances = append(instances, in)
	}
	st := storetest.Open(t, dsn)
	leader, err := st.LeaderName(context.Background())
	if err != nil || leader == "" {
		t.Fatalf("leader %q, %v", leader, err)
	}
	var cut, other *instance
	for _, in := range instances {
		if in.name == leader {
			cut = in
		} else {
			other = in
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Cut it off for a few seconds: every session it opens is ended.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, "aggregator/"+cut.name); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitUntil(t, 30*time.Second, func() bool {
		name, err := st.LeaderName(context.Background())
		return err == nil && name == other.name
	}, "%s did not take over from %s; logs:\n%s", other.name, cut.name, other.logs)
	waitUntil(t, 20*time.Second, func() bool { return strings.Contains(cut.logs.String(), "following the instance that leads") },
		"%s did not say it stopped leading; logs:\n%s", cut.name, cut.logs)
	if !isReady(cut.addr) {
		t.Errorf("%s stopped serving after the cut", cut.name)
	}
	waitUntil(t, 30*time.Second, func() bool {
		a, ea, err1 := fleetGet(cut.addr, "feeds/all.atom")
		b, eb, err2 := fleetGet(other.addr, "feeds/all.atom")
		return err1 == nil && err2 == nil && ea == eb && a == b && strings.Contains(a, "<entry>")
	}, "%s and %s never served the same all.atom after the cut", cut.name, other.name)
}

// TestOnceInstances: --once runs of two instances sharing a PostgreSQL
// store run side by side (the run lock is each instance's), and share the
// feeds: the second leaves the first the feeds it holds, and no feed is
// asked for twice.
func TestOnceInstances(t *testing.T) {
	dsn := pgtest.DSN(t)
	farm := hangingFarm(t, 4)
	urls := make([]string, 4)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed/%d.xml", farm.URL, i)
	}
	// Feed 0 first, so that a's run is stuck on it when b's starts.
	a, b := writeConfig(t, "instance: a\n", urls...), writeConfig(t, "instance: b\n", urls...)
	setStore(t, a, dsn)
	setStore(t, b, dsn)
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan error, 1)
	go func() { first <- run(ctx, []string{"--config", a, "--once"}, io.Discard, io.Discard) }()
	waitUntil(t, 20*time.Second, func() bool { return farm.counts()["/feed/0.xml"] == 1 }, "a never asked for feed 0")
	var logs lockedBuffer
	if err := run(context.Background(), []string{"--config", b, "--once"}, io.Discard, &logs); err != nil {
		t.Fatalf("b's run beside a's: %v; logs:\n%s", err, logs.String())
	}
	st := storetest.Open(t, dsn)
	waitUntil(t, 10*time.Second, func() bool {
		_, items, err := st.Counts(context.Background())
		return err == nil && items == 3*3
	}, "the three feeds that answer were not stored")
	for path, n := range farm.counts() {
		if n != 1 {
			t.Errorf("%s asked for %d times, want once", path, n)
		}
	}
	cancel()
	<-first
}
