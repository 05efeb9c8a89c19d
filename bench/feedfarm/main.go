// Command feedfarm serves many synthetic RSS 2.0 feeds on loopback, for soak
// and load tests of the aggregator:
//
//	go run ./bench/feedfarm -addr 127.0.0.1:0 -feeds 1000 -items 20 -bad 0.2 -seed 1
//
// It prints the address it listens on as the first line of stdout and serves
// /feed/0 … /feed/{feeds-1}. Everything is deterministic given -seed and the
// clock: a feed holds its newest -items items, and one new item appears in
// every feed each -period, so later fetches find new items.
//
// A fraction -bad of the feeds misbehave, each in a way that rotates every
// -period: 500 Internal Server Error, a slow response (up to -slow) with a
// valid body, malformed XML, a body over 10 MiB, or a gzip bomb (a small
// gzip body that inflates to -bomb bytes of zeros).
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

var (
	addr   = flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	nFeeds = flag.Int("feeds", 1000, "number of feeds: /feed/0 … /feed/N-1")
	nItems = flag.Int("items", 20, "items per feed")
	bad    = flag.Float64("bad", 0.2, "fraction of feeds that misbehave")
	seed   = flag.Uint64("seed", 1, "seed for every feed's content and behaviour")
	period = flag.Duration("period", 10*time.Second, "one new item per feed every period; bad feeds change their failure mode every period")
	slow   = flag.Duration("slow", 3*time.Second, "longest delay of a slow feed")
	huge   = flag.Int("huge", 11<<20, "size of a huge body, bytes")
	bomb   = flag.Int("bomb", 256<<20, "inflated size of a gzip bomb, bytes")
)

const (
	modeFail = iota
	modeSlow
	modeMalformed
	modeHuge
	modeBomb
	nModes
)

var modeNames = [...]string{"500", "slow", "malformed", "huge", "gzip-bomb"}

var words = strings.Fields(`harbour council budget river storm election bridge
	vaccine summit drought satellite museum railway union verdict festival
	reactor glacier tariff merger protest orchestra lottery mountain embassy
	pipeline harvest stadium airline refinery parliament volcano archive
	telescope ferry wildfire pension cathedral smuggling robotics coral`)

// rng is a generator for one feed (and item), stable for the seed.
func rng(parts ...uint64) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprint(h, *seed)
	for _, p := range parts {
		fmt.Fprint(h, "/", p)
	}
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// isBad says whether feed n misbehaves; the set of bad feeds is fixed.
func isBad(n int) bool { return rng(uint64(n), 0xbad).Float64() < *bad }

// epoch is the current period number.
func epoch() int64 { return time.Now().Unix() / int64(max(*period/time.Second, 1)) }

func main() {
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	os.Stdout.Sync()

	bombBody := makeBomb(*bomb)
	mux := http.NewServeMux()
	mux.HandleFunc("/feed/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= *nFeeds {
			http.NotFound(w, r)
			return
		}
		e := epoch()
		if !isBad(n) {
			writeFeed(w, n, e)
			return
		}
		mode := (rng(uint64(n), 0x30de).IntN(nModes) + int(e)) % nModes
		w.Header().Set("X-Feedfarm-Mode", modeNames[mode])
		switch mode {
		case modeFail:
			http.Error(w, "synthetic failure", http.StatusInternalServerError)
		case modeSlow:
			d := time.Duration(rng(uint64(n), uint64(e), 0x510).Int64N(int64(*slow) + 1))
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
			writeFeed(w, n, e)
		case modeMalformed:
			var b bytes.Buffer
			renderFeed(&b, n, e)
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(b.Bytes()[:b.Len()*2/3]) // cut mid-document
			io.WriteString(w, "<item><title>&bogus; <unclosed></channel>")
		case modeHuge:
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title><item><title>big</title><description>`)
			chunk := bytes.Repeat([]byte("lorem ipsum "), 4096)
			for sent := 0; sent < *huge; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `</description></item></channel></rss>`)
		case modeBomb:
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(len(bombBody)))
			w.Write(bombBody)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "feedfarm: %d feeds at /feed/0 … /feed/%d\n", *nFeeds, *nFeeds-1)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

func writeFeed(w http.ResponseWriter, n int, e int64) {
	var b bytes.Buffer
	renderFeed(&b, n, e)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(b.Bytes())
}

// renderFeed writes feed n as it is in period e: items e-items+1 … e, newest
// first.
func renderFeed(b *bytes.Buffer, n int, e int64) {
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>Farm feed %d</title><link>http://farm%d.example/</link><description>synthetic</description>
`, n, n)
	for k := e; k > e-int64(*nItems); k-- {
		r := rng(uint64(n), uint64(k))
		title := make([]string, 6)
		for i := range title {
			title[i] = words[r.IntN(len(words))]
		}
		pub := time.Unix(k*int64(max(*period/time.Second, 1)), 0).UTC()
		fmt.Fprintf(b, `<item><title>%s %d-%d</title><link>http://farm%d.example/a/%d?utm_source=farm</link><guid>farm-%d-%d</guid><pubDate>%s</pubDate><description>&lt;p&gt;%s %s, item %d of feed %d.&lt;/p&gt;</description></item>
`, strings.Join(title, " "), n, k, n, k, n, k, pub.Format(time.RFC1123Z),
			strings.Join(title[:3], " "), words[r.IntN(len(words))], k, n)
	}
	b.WriteString("</channel></rss>\n")
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
