// Command feedfarm serves many synthetic RSS 2.0 and Atom 1.0 feeds on
// loopback, for soak, load and performance tests of the aggregator:
//
//	go run ./bench/feedfarm -addr 127.0.0.1:0 -feeds 1000 -items 20 -bad 0.2 -seed 1
//	go run ./bench/feedfarm -feeds 1000 -items 50 -size 9000 -dups 0.2 -tracking 0.05 -bad 0 -period 0
//
// It prints the address it listens on as the first line of stdout and serves
// /feed/0 … /feed/{feeds-1}. The same flags and seed give the same bytes
// (bad feeds aside, which change with -period).
//
// Content:
//
//	-feeds N       number of feeds (1000)
//	-items N       items per feed (20)
//	-format F      rss, atom, or mix: even feeds RSS 2.0, odd feeds Atom 1.0 (mix)
//	-size N        about how many bytes of HTML each item's body has, in
//	               content:encoded or atom:content: paragraphs, links, a
//	               picture; plus a summary of about 300 characters (9000)
//	-dups F        share of items that report a story other feeds report
//	               too, in their own words around the same rare names (0)
//	-tracking F    share of items that are another feed's item, same title
//	               and body, its link with utm_* or fbclid parameters (0)
//	-seed N        seed for all of it (1)
//
// Time:
//
//	-period D      one new item per feed every period, and bad feeds change
//	               their failure mode every period; item k is dated k
//	               periods after 1970 (10s). 0: no growth with time; a
//	               feed's items reach back from -ref at the feed's own
//	               cadence, one every 1 to 12 hours, so 50 items span days
//	               to weeks.
//	-ref T         with -period 0, the date of the newest items, RFC 3339
//	               (the start time, to the minute)
//
// HTTP:
//
//	-addr A        listen address (127.0.0.1:0)
//	-validators V  etag, lastmod, both or none: which of ETag and
//	               Last-Modified are sent and honoured with 304 Not Modified
//	               (both). Without validators an unchanged feed is served
//	               byte for byte the same.
//	-latency D     delay before every response (0)
//	-gzip          gzip bodies for clients that accept it (off)
//
// No response carries Cache-Control or Expires, so a client is never asked
// to wait.
//
// Misbehaviour: a share -bad of the feeds (0.2) misbehave, each in a way
// that rotates every -period: 500 Internal Server Error, a slow response (up
// to -slow, 3s) with a valid body, malformed XML, a body over 10 MiB (-huge
// bytes), or a gzip bomb (a small gzip body that inflates to -bomb bytes of
// zeros).
//
// Control, for scripts:
//
//	POST /_advance?share=0.1&items=2   a share of the feeds, picked by the
//	                                   seed and the number of advances so
//	                                   far, gain that many new items each;
//	                                   the others stay the same
//	GET  /_stats                       requests, 200s, 304s, failures and
//	                                   body bytes served by /feed/, as JSON
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "feedfarm:", err)
		os.Exit(1)
	}
}

// farm is the settings and the state of the feeds.
type farm struct {
	feeds, items int
	size         int
	format       string // rss, atom or mix
	dups         float64
	tracking     float64
	bad          float64
	seed         uint64
	period       time.Duration
	ref          time.Time
	validators   string // etag, lastmod, both or none
	latency      time.Duration
	gzip         bool
	slow         time.Duration
	huge         int

	lexicon lexicon
	bank    []paragraph
	bomb    func() []byte // made on first use: it takes a while
	version uint64        // hash of the settings the bytes of a feed depend on

	growth   []atomic.Int64 // items each feed gained by /_advance
	mu       sync.Mutex     // serialises advances
	advances uint64

	requests, ok, notModified, failed, bytes atomic.Int64
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	f := &farm{}
	fs := flag.NewFlagSet("feedfarm", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	fs.IntVar(&f.feeds, "feeds", 1000, "number of feeds: /feed/0 … /feed/N-1")
	fs.IntVar(&f.items, "items", 20, "items per feed")
	fs.StringVar(&f.format, "format", "mix", "rss, atom, or mix (even feeds RSS, odd feeds Atom)")
	fs.IntVar(&f.size, "size", 9000, "approximate bytes of HTML in each item's body")
	fs.Float64Var(&f.dups, "dups", 0, "share of items that report a story other feeds report too, reworded")
	fs.Float64Var(&f.tracking, "tracking", 0, "share of items that copy another feed's item, its link with tracking parameters")
	fs.Float64Var(&f.bad, "bad", 0.2, "share of feeds that misbehave")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for every feed's content and behaviour")
	fs.DurationVar(&f.period, "period", 10*time.Second, "one new item per feed every period; bad feeds change their failure mode every period; 0 for no growth with time")
	ref := fs.String("ref", "", "with -period 0, the date of the newest items, RFC 3339 (default: the start time, to the minute)")
	fs.StringVar(&f.validators, "validators", "both", "etag, lastmod, both or none: validators sent and honoured with 304")
	fs.DurationVar(&f.latency, "latency", 0, "delay before every response")
	fs.BoolVar(&f.gzip, "gzip", false, "gzip bodies for clients that accept it")
	fs.DurationVar(&f.slow, "slow", 3*time.Second, "longest delay of a slow feed")
	fs.IntVar(&f.huge, "huge", 11<<20, "size of a huge body, bytes")
	bomb := fs.Int("bomb", 256<<20, "inflated size of a gzip bomb, bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	check := func(ok bool, format string, a ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	check(f.feeds >= 1, "-feeds %d: want at least 1", f.feeds)
	check(f.items >= 1, "-items %d: want at least 1", f.items)
	check(f.size >= 0, "-size %d: want 0 or more", f.size)
	check(f.format == "rss" || f.format == "atom" || f.format == "mix", "-format %q: want rss, atom or mix", f.format)
	check(f.validators == "etag" || f.validators == "lastmod" || f.validators == "both" || f.validators == "none",
		"-validators %q: want etag, lastmod, both or none", f.validators)
	for _, s := range []struct {
		name string
		v    float64
	}{{"dups", f.dups}, {"tracking", f.tracking}, {"bad", f.bad}} {
		check(s.v >= 0 && s.v <= 1, "-%s %g: want a share between 0 and 1", s.name, s.v)
	}
	check(f.period >= 0, "-period %s: want 0 or more", f.period)
	check(f.latency >= 0, "-latency %s: want 0 or more", f.latency)
	f.ref = time.Now().UTC().Truncate(time.Minute)
	if *ref != "" {
		t, err := time.Parse(time.RFC3339, *ref)
		check(err == nil, "-ref %q: want an RFC 3339 time such as 2025-01-02T15:04:05Z", *ref)
		f.ref = t.UTC()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	f.growth = make([]atomic.Int64, f.feeds)
	f.lexicon = newLexicon(f.rng(streamLexicon), 20000)
	f.bank = newBank(f.lexicon.prose(f.rng(streamBank)), 1024)
	f.bomb = sync.OnceValue(func() []byte { return makeBomb(*bomb) })
	h := fnv.New64a()
	fmt.Fprintln(h, f.feeds, f.items, f.size, f.format, f.dups, f.tracking, f.seed, f.period, f.ref.Unix())
	f.version = h.Sum64()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, ln.Addr().String())
	if s, ok := stdout.(interface{ Sync() error }); ok {
		s.Sync()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/feed/{n}", f.count(f.serveFeed))
	mux.HandleFunc("POST /_advance", f.serveAdvance)
	mux.HandleFunc("GET /_stats", f.serveStats)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "feedfarm: %d feeds at /feed/0 … /feed/%d\n", f.feeds, f.feeds-1)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// Failure modes of bad feeds.
const (
	modeFail = iota
	modeSlow
	modeMalformed
	modeHuge
	modeBomb
	nModes
)

var modeNames = [...]string{"500", "slow", "malformed", "huge", "gzip-bomb"}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

func (f *farm) serveFeed(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= f.feeds {
		http.NotFound(w, r)
		return
	}
	if f.latency > 0 && !sleep(r.Context(), f.latency) {
		return
	}
	if f.isBad(n) {
		f.misbehave(w, r, n)
		return
	}

	head := f.head(n)
	tag := f.etag(n, head)
	gz := f.gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	if gz {
		// Each encoding has its own entity tag.
		tag = strings.TrimSuffix(tag, `"`) + `-gzip"`
	}
	modified := f.published(n, head, f.profile(n)).Truncate(time.Second)
	hd := w.Header()
	etags := f.validators == "etag" || f.validators == "both"
	lastmods := f.validators == "lastmod" || f.validators == "both"
	if etags {
		hd.Set("ETag", tag)
	}
	if lastmods {
		hd.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if f.gzip {
		hd.Set("Vary", "Accept-Encoding")
	}
	// If-None-Match, when sent and honoured, decides alone (RFC 9110 13.2.2).
	if inm := r.Header.Get("If-None-Match"); etags && inm != "" {
		if inm == "*" || strings.Contains(inm, tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); lastmods && err == nil && !modified.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	*buf = f.render((*buf)[:0], n, head)
	if f.isAtom(n) {
		hd.Set("Content-Type", "application/atom+xml; charset=utf-8")
	} else {
		hd.Set("Content-Type", "application/rss+xml; charset=utf-8")
	}
	if !gz {
		hd.Set("Content-Length", strconv.Itoa(len(*buf)))
		w.Write(*buf)
		return
	}
	hd.Set("Content-Encoding", "gzip")
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zw.Write(*buf)
	zw.Close()
}

// misbehave answers for bad feed n in its failure mode of the period.
func (f *farm) misbehave(w http.ResponseWriter, r *http.Request, n int) {
	e := f.epoch()
	mode := (f.rng(streamMode, uint64(n)).IntN(nModes) + int(e)) % nModes
	w.Header().Set("X-Feedfarm-Mode", modeNames[mode])
	switch mode {
	case modeFail:
		http.Error(w, "synthetic failure", http.StatusInternalServerError)
	case modeSlow:
		d := time.Duration(f.rng(streamSlow, uint64(n), uint64(e)).Int64N(int64(f.slow) + 1))
		if !sleep(r.Context(), d) {
			return
		}
		b := f.render(nil, n, f.head(n))
		w.Write(b)
	case modeMalformed:
		b := f.render(nil, n, f.head(n))
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(b[:len(b)*2/3]) // cut mid-document
		io.WriteString(w, "<item><title>&bogus; <unclosed></channel>")
	case modeHuge:
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title><item><title>big</title><description>`)
		chunk := bytes.Repeat([]byte("lorem ipsum "), 4096)
		for sent := 0; sent < f.huge; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `</description></item></channel></rss>`)
	case modeBomb:
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		bomb := f.bomb()
		w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
		w.Write(bomb)
	}
}

// sleep waits for d, or until ctx is done; it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serveAdvance makes a share of the feeds gain new items.
func (f *farm) serveAdvance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	share, items := 0.1, 1
	if s := q.Get("share"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || v > 1 {
			http.Error(w, "share: want a number between 0 and 1", http.StatusBadRequest)
			return
		}
		share = v
	}
	if s := q.Get("items"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			http.Error(w, "items: want a whole number of at least 1", http.StatusBadRequest)
			return
		}
		items = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advances++
	m := int(math.Round(share * float64(f.feeds)))
	for _, n := range f.rng(streamAdvance, f.advances).Perm(f.feeds)[:m] {
		f.growth[n].Add(int64(items))
	}
	fmt.Fprintf(w, "advance %d: %d of %d feeds gained %d items each\n", f.advances, m, f.feeds, items)
}

// stats are the counts /_stats reports.
type stats struct {
	Requests    int64 `json:"requests"`
	OK          int64 `json:"ok"`
	NotModified int64 `json:"not_modified"`
	Failed      int64 `json:"failed"`
	Bytes       int64 `json:"bytes"`
	Advances    int64 `json:"advances"`
}

func (f *farm) serveStats(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	advances := f.advances
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(stats{
		Requests: f.requests.Load(), OK: f.ok.Load(), NotModified: f.notModified.Load(),
		Failed: f.failed.Load(), Bytes: f.bytes.Load(), Advances: int64(advances),
	})
}

// count wraps a handler to count its requests, statuses and body bytes.
func (f *farm) count(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h(rec, r)
		f.requests.Add(1)
		f.bytes.Add(rec.n)
		switch rec.status {
		case http.StatusOK, 0: // 0: nothing written, as when the client left
			if rec.n > 0 {
				f.ok.Add(1)
			} else {
				f.failed.Add(1)
			}
		case http.StatusNotModified:
			f.notModified.Add(1)
		default:
			f.failed.Add(1)
		}
	}
}

// recorder notes the status and counts the body bytes of a response.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.n += int64(n)
	return n, err
}

// makeBomb gzips size zero bytes (plus an RSS prefix): a few hundred KiB that
// inflate to size.
func makeBomb(size int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	io.WriteString(zw, `<?xml version="1.0"?><rss version="2.0"><channel><title>bomb</title><description>`)
	zeros := make([]byte, 1<<20)
	for i := 0; i < size; i += len(zeros) {
		zw.Write(zeros)
	}
	zw.Close()
	return b.Bytes()
}
