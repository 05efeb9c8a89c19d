package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aggregator/store"
)

// The crash tests start the program as a child process over and over and
// kill it with SIGKILL at random moments. They run only with
// AGGREGATOR_CRASH=1 or under CI (CI set), with 20 kills each by default;
// AGGREGATOR_CRASH_KILLS=100 for more.
//
// What they check after each kill runs in a checker process, this
// package's test binary built without the race detector (see
// crashChecker): under -race, PRAGMA integrity_check alone takes seconds on
// a store of 10,000 items.

// crashKills skips the test unless the crash tests are asked for, and
// returns how many kills to make.
func crashKills(t *testing.T) int {
	t.Helper()
	if os.Getenv("AGGREGATOR_CRASH") != "1" && os.Getenv("CI") == "" {
		t.Skip("set AGGREGATOR_CRASH=1 (or CI) to run the kill -9 crash tests")
	}
	kills := 20
	if s := os.Getenv("AGGREGATOR_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("AGGREGATOR_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	return kills
}

// buildAggregator builds the program and returns the path of its binary.
func buildAggregator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "aggregator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashFeedServer serves nFeeds small RSS feeds at /feed/{i}.rss; feed i
// holds items(i) items, the newest first, with distinct words so that no two
// articles make one story.
func crashFeedServer(t *testing.T, nFeeds int, items func(i int) int) []string {
	t.Helper()
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.rss", &i); err != nil {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Crash feed %d</title><link>http://crash%d.example/</link>`, i, i)
		for k := items(i) - 1; k >= 0; k-- {
			w := crashWords(i, k)
			fmt.Fprintf(&b, `<item><title>%s %s %s %s</title><link>http://crash%d.example/a/%d</link><guid>c-%d-%d</guid><pubDate>%s</pubDate><description>%s %s.</description></item>`,
				w[0], w[1], w[2], w[3], i, k, i, k, start.Add(time.Duration(k)*time.Second).UTC().Format(time.RFC1123Z), w[4], w[5])
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	urls := make([]string, nFeeds)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed/%d.rss", srv.URL, i)
	}
	return urls
}

// crashWords returns six words that no other item of the crash feeds has,
// for item k of feed i: articles that share no word make no story together.
func crashWords(i, k int) [6]string {
	const consonants, vowels = "bdfgklmnprstvz", "aeiou"
	var w [6]string
	for j := range w {
		n := ((i*100000+k)*len(w) + j)
		var b strings.Builder
		for range 5 { // 70^5 words: more than enough
			b.WriteByte(consonants[n%len(consonants)])
			n /= len(consonants)
			b.WriteByte(vowels[n%len(vowels)])
			n /= len(vowels)
		}
		w[j] = b.String()
	}
	return w
}

// writeCrashConfig writes a config for urls, with its store at store and
// extra at the top level, into dir and returns its path.
func writeCrashConfig(t *testing.T, dir, store, extra string, urls []string) string {
	t.Helper()
	var cb strings.Builder
	// The test server is on loopback, which the fetcher refuses by default.
	fmt.Fprintf(&cb, "store: %s\nfetch:\n  jitter: 0s\n  min_interval: 1s\n  allow_private_addresses: true\npublish:\n  dir: public\n  base_url: http://feeds.example/\n%sfeeds:\n", store, extra)
	for _, u := range urls {
		fmt.Fprintf(&cb, "  - url: %s\n", u)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(cb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestCrashKill9 starts the daemon as a child process over and over, kills it
// with SIGKILL at a random moment (mid-fetch, mid-transaction), and checks
// after each kill that the store is intact (PRAGMA integrity_check) and
// still holds every item seen stored before. Finally a --once run over the
// same store must still publish whole outputs.
func TestCrashKill9(t *testing.T) {
	kills := crashKills(t)
	bin := buildAggregator(t)
	check := newCrashChecker(t)

	// 50 small RSS feeds whose items grow over time: feed i has one more item
	// every 100 ms (up to 200), so each fetch cycle stores something new.
	const nFeeds = 50
	start := time.Now()
	var requests atomic.Int64
	urls := crashFeedServer(t, nFeeds, func(int) int {
		requests.Add(1)
		return min(1+int(time.Since(start)/(100*time.Millisecond)), 200)
	})
	dir := t.TempDir()
	cfg := writeCrashConfig(t, dir, "agg.db", "schedule: \"@every 1s\"\nserver:\n  listen: "+freeAddr(t)+"\n", urls)
	dbPath, public := filepath.Join(dir, "agg.db"), filepath.Join(dir, "public")

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	prev, grew := 0, 0
	for k := 1; k <= kills; k++ {
		cmd := exec.Command(bin, "--config", cfg, "--log-level", "error")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(50+rng.IntN(651)) * time.Millisecond
		time.Sleep(wait)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		err := cmd.Wait()
		if cmd.ProcessState.Exited() {
			// It exited on its own before the kill: that is a failure to start.
			t.Fatalf("kill %d: the daemon exited by itself after %v (%v):\n%s", k, wait, err, stderr.String())
		}

		what := fmt.Sprintf("kill %d (after %v)", k, wait)
		items := len(check.check(t, what, dbPath, public).Keys)
		if items > prev {
			grew++
		}
		t.Logf("kill %2d after %3d ms: integrity ok, %d items", k, wait.Milliseconds(), items)
		prev = items
	}
	if prev == 0 {
		t.Fatalf("no items were ever stored in %d runs (%d HTTP feed requests): the test proved nothing", kills, requests.Load())
	}
	t.Logf("%d kills: store intact every time; item count grew after %d of them, to %d", kills, grew, prev)

	// A one-shot run over the store the daemon left behind.
	once := exec.Command(bin, "--config", cfg, "--once")
	if out, err := once.CombinedOutput(); err != nil {
		t.Fatalf("--once after the kills: %v\n%s", err, out)
	}
	st := check.check(t, "--once after the kills", dbPath, public)
	if st.Entries <= 0 {
		t.Fatalf("all.atom after the kills has no entries (%d)", st.Entries)
	}
	if len(st.Temp) > 0 {
		t.Errorf("--once left temporary files: %q", st.Temp)
	}
}

// TestCrashKill9Once kills --once runs at random moments, mid-fetch,
// mid-transaction and while they write the outputs, and checks after each
// kill that the store is intact and still holds every item seen stored
// before, and that every file in the publish folder is whole: the old
// version or the new one, never a part. Each run that finishes must have
// stored every item of the feeds and left no temporary file, not even those
// of the runs killed before it.
func TestCrashKill9Once(t *testing.T) {
	kills := crashKills(t)
	bin := buildAggregator(t)
	check := newCrashChecker(t)

	// Each run sees 2 more items in each feed than the run before.
	const nFeeds, perRun = 40, 2
	var gen atomic.Int64
	urls := crashFeedServer(t, nFeeds, func(int) int { return perRun * int(gen.Load()) })
	dir := t.TempDir()
	// Two outputs whose archive pages fill up quickly: a run writes a few
	// dozen files.
	cfg := writeCrashConfig(t, dir, "agg.db", "outputs:\n  - name: all\n    limit: 20\n  - name: latest\n    limit: 5\n", urls)
	dbPath, public := filepath.Join(dir, "agg.db"), filepath.Join(dir, "public")
	_, procErr := os.Stat("/proc/self/fd") // to see the files a run has open
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))

	// once runs --once over the next generation of the feeds and kills it
	// after wait or, when writes > 0, once it has been seen writing that
	// many files of the publish folder, unless it finished before. It
	// reports whether the run finished, and how long it ran.
	once := func(what string, wait time.Duration, writes int) (finished bool, took time.Duration) {
		t.Helper()
		gen.Add(1)
		cmd := exec.Command(bin, "--config", cfg, "--once")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		begin := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		timer := time.NewTimer(wait)
		defer timer.Stop()
		var poll <-chan time.Time
		if writes > 0 {
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			poll = tick.C
		}
		seen := map[string]bool{}
		var err error
	watch:
		for {
			select {
			case err = <-done:
				break watch
			case <-timer.C:
				cmd.Process.Kill()
				err = <-done
				break watch
			case <-poll:
				for _, name := range openForWriting(cmd.Process.Pid, public) {
					seen[name] = true
				}
				if len(seen) >= writes {
					cmd.Process.Kill()
					err = <-done
					break watch
				}
			}
		}
		took = time.Since(begin)
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return false, took
		}
		if err != nil {
			t.Fatalf("%s: --once failed: %v\n%s", what, err, stderr.String())
		}
		st := check.check(t, what, dbPath, public)
		if want := nFeeds * perRun * int(gen.Load()); len(st.Keys) != want {
			t.Fatalf("%s: a finished --once run left %d items, want all %d of the feeds", what, len(st.Keys), want)
		}
		if st.Entries <= 0 {
			t.Fatalf("%s: all.atom has no entries (%d) after a finished run", what, st.Entries)
		}
		if len(st.Temp) > 0 {
			t.Fatalf("%s: temporary files left after a finished run: %q", what, st.Temp)
		}
		return true, took
	}

	// A first run that finishes tells how long a run takes.
	finished, took := once("the first run", time.Minute, 0)
	if !finished {
		t.Fatal("the first run did not finish within a minute")
	}
	var runs, finishedFirst, midWrite, afterCommit int
	temp := map[string]bool{} // temporary files seen left
	items := nFeeds * perRun
	for killed := 0; killed < kills; {
		runs++
		if runs > 3*kills {
			t.Fatalf("%d runs made only %d kills of %d", runs-1, killed, kills)
		}
		if runs%4 == 0 {
			// Every fourth run finishes: it has to clear what the runs
			// killed before it left, and it writes all the pages those
			// did not.
			what := fmt.Sprintf("run %d, after %d kills", runs, killed)
			if finished, took = once(what, time.Minute, 0); !finished {
				t.Fatalf("%s: did not finish within a minute", what)
			}
			items = nFeeds * perRun * int(gen.Load())
			continue
		}
		// The kills alternate between a moment anywhere in the run (a
		// little after its end included) and one while it writes the
		// outputs: when it is seen writing the n-th file (a file is open
		// for a moment: of the 30 files a run writes, 15 or so are seen).
		wait, writes := time.Duration(rng.Int64N(int64(took)*6/5)), 0
		how := fmt.Sprintf("after %v", wait.Round(time.Millisecond))
		if procErr == nil && killed%2 == 1 {
			wait, writes = time.Minute, 1+rng.IntN(15)
			how = fmt.Sprintf("writing file %d", writes)
		}
		what := fmt.Sprintf("run %d, kill %d %s", runs, killed+1, how)
		finished, ran := once(what, wait, writes)
		if finished {
			finishedFirst++
			took = ran
			t.Logf("run %2d: finished in %v before its kill %s", runs, ran.Round(time.Millisecond), how)
			items = nFeeds * perRun * int(gen.Load())
			continue
		}
		killed++
		st := check.check(t, what, dbPath, public)
		fresh := 0
		for _, name := range st.Temp {
			if !temp[name] {
				temp[name] = true
				fresh++
			}
		}
		if fresh > 0 {
			midWrite++
		}
		if len(st.Keys) > items {
			afterCommit++
		}
		items = len(st.Keys)
		t.Logf("run %2d, kill %2d %s (of %v): integrity ok, %d items, %d files, %d new temporary",
			runs, killed, how, ran.Round(time.Millisecond), len(st.Keys), len(st.Files), fresh)
	}
	// The last run finishes, and clears what the kills left.
	if finished, _ := once("the last run", time.Minute, 0); !finished {
		t.Fatal("the last run did not finish within a minute")
	}
	if procErr == nil && kills >= 4 && midWrite == 0 {
		t.Errorf("none of the %d kills left a temporary file: none came while a run wrote the outputs, and the test proved less than it should", kills)
	}
	t.Logf("%d kills of --once in %d runs: store and outputs whole every time; %d kills came after a commit to the store, %d left a temporary file (killed mid-write); %d runs finished before their kill",
		kills, runs+2, afterCommit, midWrite, finishedFirst)
}

// openForWriting lists the files under dir that the process pid has open
// for writing: the temporary files that publish writes.
func openForWriting(pid int, dir string) []string {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, _ := os.ReadDir(fdDir)
	var names []string
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			continue
		}
		info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		for line := range strings.Lines(string(info)) {
			if octal, ok := strings.CutPrefix(line, "flags:"); ok {
				if flags, err := strconv.ParseUint(strings.TrimSpace(octal), 8, 64); err == nil && flags&(syscall.O_WRONLY|syscall.O_RDWR) != 0 {
					names = append(names, target)
				}
			}
		}
	}
	return names
}

// crashChecker checks what a killed run left: the store and the publish
// folder. It runs the checks in a process of their own, this package's test
// binary built without the race detector, and remembers the items it saw
// stored: those were committed, and must never be lost.
type crashChecker struct {
	bin       string // the test binary
	dir       string // where the checker writes its findings
	committed map[string]bool
}

func newCrashChecker(t *testing.T) *crashChecker {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "checker.test")
	if out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	return &crashChecker{bin: bin, dir: dir, committed: map[string]bool{}}
}

// crashState is what the checker finds.
type crashState struct {
	Absent    bool     // there is no store yet
	Err       string   // the store does not open, or a query failed
	Integrity string   // PRAGMA integrity_check's verdict
	Keys      []string // the dedup keys of the stored items
	Files     []string // the outputs in the publish folder
	Temp      []string // temporary files of an atomic write there
	Broken    []string // outputs that are not whole: "name: why"
	Entries   int      // entries of all.atom; -1 when there is none
}

// check inspects the store at storePath and the publish folder public after
// what (a kill), and fails the test if the store is damaged, lost an item
// seen stored before, or an output is not whole.
func (c *crashChecker) check(t *testing.T, what, storePath, public string) crashState {
	t.Helper()
	out := filepath.Join(c.dir, "state.json")
	cmd := exec.Command(c.bin, "-test.run=^TestCrashCheckProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AGGREGATOR_CRASH_CHECK_STORE="+storePath,
		"AGGREGATOR_CRASH_CHECK_PUBLIC="+public, "AGGREGATOR_CRASH_CHECK_OUT="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: the checker failed: %v\n%s", what, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%s: the checker said nothing: %v", what, err)
	}
	var st crashState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: the checker's findings: %v", what, err)
	}
	switch {
	case st.Absent && len(c.committed) > 0:
		t.Fatalf("%s: the store is gone, with the %d items it had", what, len(c.committed))
	case st.Err != "":
		t.Fatalf("%s: %s", what, st.Err)
	case !st.Absent && st.Integrity != "ok":
		t.Fatalf("%s: integrity_check: %s", what, st.Integrity)
	case len(st.Broken) > 0:
		t.Fatalf("%s: outputs not whole in the publish folder:\n%s", what, strings.Join(st.Broken, "\n"))
	}
	have := make(map[string]bool, len(st.Keys))
	for _, k := range st.Keys {
		have[k] = true
	}
	var lost []string
	for k := range c.committed {
		if !have[k] {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		t.Fatalf("%s: %d items seen stored before are gone (committed items lost), among them %q", what, len(lost), lost[:min(len(lost), 5)])
	}
	for k := range have {
		c.committed[k] = true
	}
	return st
}

// TestCrashCheckProcess is no test of its own: it is the body of the crash
// tests' checker process (see crashChecker), and runs only there.
func TestCrashCheckProcess(t *testing.T) {
	out := os.Getenv("AGGREGATOR_CRASH_CHECK_OUT")
	if out == "" {
		t.Skip("the crash tests' checker: runs only in the process they start")
	}
	st := inspectCrash(context.Background(), os.Getenv("AGGREGATOR_CRASH_CHECK_STORE"), os.Getenv("AGGREGATOR_CRASH_CHECK_PUBLIC"))
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// inspectCrash looks at the store at storePath and the publish folder
// public as a killed run left them.
func inspectCrash(ctx context.Context, storePath, public string) crashState {
	st := crashState{Entries: -1}
	if _, err := os.Stat(storePath); errors.Is(err, fs.ErrNotExist) {
		st.Absent = true // killed before it created the store
	} else if err := inspectStore(ctx, storePath, &st); err != nil {
		st.Err = err.Error()
		return st
	}
	err := filepath.WalkDir(public, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == public {
			return fs.SkipAll // nothing published yet
		}
		if err != nil || d.IsDir() {
			return err
		}
		name, err := filepath.Rel(public, path)
		if err != nil {
			return err
		}
		if tempName.MatchString(d.Name()) {
			st.Temp = append(st.Temp, name)
			return nil
		}
		st.Files = append(st.Files, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := wholeOutput(name, data); err != nil {
			st.Broken = append(st.Broken, fmt.Sprintf("%s (%d bytes): %v", name, len(data), err))
			return nil
		}
		if name == "all.atom" {
			var doc atomDoc
			if err := xml.Unmarshal(data, &doc); err != nil {
				return err
			}
			st.Entries = len(doc.Entries)
		}
		return nil
	})
	if err != nil {
		st.Err = fmt.Sprintf("read the publish folder: %v", err)
	}
	return st
}

// inspectStore opens the store, checks its integrity and lists its items.
func inspectStore(ctx context.Context, path string, st *crashState) error {
	s, err := store.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("the store does not open: %w", err)
	}
	st.Integrity, err = s.IntegrityCheck(ctx)
	s.Close()
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT key FROM items ORDER BY key")
	if err != nil {
		return fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("list items: %w", err)
		}
		st.Keys = append(st.Keys, k)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list items: %w", err)
	}
	return nil
}

// tempName is the name of a temporary file of publish's atomic write:
// ".aggregator-" + the file's name + "." + a number + ".tmp".
var tempName = regexp.MustCompile(`^\.aggregator-.+\.[0-9]+\.tmp$`)

// wholeOutput reports why the output name, whose bytes are data, is not a
// whole document; nil if it is.
func wholeOutput(name string, data []byte) error {
	switch filepath.Ext(name) {
	case ".atom", ".rss", ".opml":
		return wellFormedXML(data)
	case ".json":
		if !json.Valid(data) {
			return errors.New("not valid JSON")
		}
		return nil
	case ".html":
		if !bytes.HasSuffix(bytes.TrimSpace(data), []byte("</html>")) {
			return errors.New("does not end with </html>")
		}
		return nil
	}
	return errors.New("not an output this test knows: add a check for it")
}

// wellFormedXML reports why data is not one well-formed XML document.
func wellFormedXML(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("%d root elements, %d left open", roots, depth)
	}
	return nil
}

// A run killed while it wrote the outputs leaves its temporary files; the
// next --once run removes them, in the publish folder and in the archive
// folders, and leaves every other file alone, names close to theirs
// included. Of the older names without ".aggregator-", it removes only
// those of its own files.
func TestOnceRemovesStaleTempFiles(t *testing.T) {
	cfg := writeConfig(t, "outputs:\n  - name: all\n    limit: 2\n", kimURLs(t)...)
	public := filepath.Join(filepath.Dir(cfg), "public")
	once := func() {
		t.Helper()
		var stderr strings.Builder
		if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
			t.Fatalf("--once: %v\n%s", err, stderr.String())
		}
	}
	once()
	archive := filepath.Join(public, "all", "archive")
	if _, err := os.Stat(filepath.Join(archive, "1.atom")); err != nil {
		t.Fatalf("no archive page to test with: %v", err)
	}
	stale := []string{
		filepath.Join(public, ".aggregator-all.atom.1234567.tmp"),
		filepath.Join(archive, ".aggregator-1.atom.42.tmp"),
		filepath.Join(public, ".all.atom.1234567.tmp"),
		filepath.Join(public, ".index.html.42.tmp"),
		filepath.Join(archive, ".1.atom.987654321.tmp"),
	}
	kept := []string{
		filepath.Join(public, "notes.tmp"),
		filepath.Join(public, ".all.atom.tmp"),     // no number
		filepath.Join(public, ".all.atom.12a.tmp"), // not a number
		filepath.Join(public, "all.atom.123.tmp"),  // not hidden
		filepath.Join(public, ".all.atom.123.tmp~"),
		filepath.Join(public, ".123.tmp"),                     // no file name
		filepath.Join(public, ".report.docx.20240101.tmp"),    // not a file of ours
		filepath.Join(archive, ".all.atom.20240101.tmp"),      // not ours in this folder
		filepath.Join(public, ".aggregator-all.atom.12a.tmp"), // not a number
		filepath.Join(archive, "keep.txt"),
	}
	for _, p := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(p, []byte("<feed><entry>half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once() // the same feeds: no output changes
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale temporary file %s still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s, not a temporary file of ours, was removed: %v", p, err)
		}
	}
}
