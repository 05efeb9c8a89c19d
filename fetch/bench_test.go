package fetch

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aggregator"
)

// BenchmarkFetch fetches 1,000 distinct small RSS feeds (20 items each, with
// ETags) concurrently from one local server: "cold" fetches and parses them
// all (200s), "warm" sends the ETags back and gets 304s. The Client has the
// default limits, except that PerHost is raised to Concurrency since one
// local server stands in for many hosts. cpu-ms/feed is the process's CPU
// time (user and system, the test server's included) per feed fetched.
func BenchmarkFetch(b *testing.B) {
	const feeds, itemsPerFeed = 1000, 20
	bodies := make([][]byte, feeds)
	for i := range bodies {
		bodies[i] = rssDoc("Feed "+strconv.Itoa(i), itemsPerFeed)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= feeds {
			http.NotFound(w, r)
			return
		}
		etag := `"` + strconv.Itoa(n) + `-v1"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(bodies[n])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := NewClient(testUA)
	c.AllowPrivate = true // the test server listens on 127.0.0.1
	c.PerHost = c.Concurrency
	tr := c.HTTP.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = c.Concurrency
	defer tr.CloseIdleConnections()

	reqs := make([]Request, feeds)
	for i := range reqs {
		reqs[i] = Request{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)}
	}
	// fetchAll fetches every feed at once and returns the items parsed.
	fetchAll := func(b *testing.B, reqs []Request, states []aggregator.FeedState) int64 {
		var wg sync.WaitGroup
		var items atomic.Int64
		for i, req := range reqs {
			wg.Go(func() {
				res, err := c.Fetch(b.Context(), req)
				if err != nil {
					b.Error(err)
					return
				}
				items.Add(int64(len(res.Items)))
				if states != nil {
					states[i] = aggregator.FeedState{ETag: res.ETag, LastModified: res.LastModified}
				}
			})
		}
		wg.Wait()
		return items.Load()
	}

	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var items int64
		cpu := cpuTime()
		for b.Loop() {
			items += fetchAll(b, reqs, nil)
		}
		reportCPU(b, cpuTime()-cpu, b.N*feeds)
		if want := int64(b.N) * feeds * itemsPerFeed; items != want {
			b.Fatalf("parsed %d items, want %d", items, want)
		}
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(b.N*feeds)/b.Elapsed().Seconds(), "feeds/s")
	})

	b.Run("warm", func(b *testing.B) {
		states := make([]aggregator.FeedState, feeds)
		fetchAll(b, reqs, states)
		warm := make([]Request, feeds)
		for i := range warm {
			warm[i] = reqs[i]
			warm[i].State = states[i]
		}
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if items := fetchAll(b, warm, nil); items != 0 {
				b.Fatalf("parsed %d items on 304s", items)
			}
		}
		reportCPU(b, cpuTime()-cpu, b.N*feeds)
		b.ReportMetric(float64(b.N*feeds)/b.Elapsed().Seconds(), "feeds/s")
	})
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu time.Duration, feeds int) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(feeds), "cpu-ms/feed")
}
