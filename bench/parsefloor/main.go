// Command parsefloor measures the floor under the aggregator's cost of a
// fetch cycle: gofeed alone, parsing the same bytes.
//
//	go run ./bench/parsefloor -url http://127.0.0.1:PORT -feeds 1000
//
// It downloads /feed/0 … /feed/{feeds-1} from a feed farm (bench/feedfarm)
// into memory first, unmeasured, then parses every body on one goroutine,
// with a new parser per body as the aggregator makes one, twice: with
// gofeed's defaults, and with the settings of fetch.Parse (the RSS
// translator's content image scan off). For each it reports the items
// parsed, the bytes, the CPU seconds of the process (user and system,
// garbage collection included), the wall seconds, items per CPU second and
// bytes allocated per item. -json prints the same as one JSON object per
// line.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mmcdole/gofeed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "parsefloor:", err)
		os.Exit(1)
	}
}

// result is one variant's measurement.
type result struct {
	Variant       string  `json:"variant"`
	Feeds         int     `json:"feeds"`
	Items         int     `json:"items"`
	Bytes         int64   `json:"bytes"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	WallSeconds   float64 `json:"wall_seconds"`
	ItemsPerCPU   float64 `json:"items_per_cpu_second"`
	AllocPerItem  float64 `json:"alloc_bytes_per_item"`
	ParseFailures int     `json:"parse_failures"`
}

// variant is a way to make the parser.
type variant struct {
	name   string
	parser func() *gofeed.Parser
}

var variants = []variant{
	{"gofeed defaults", gofeed.NewParser},
	{"aggregator settings", func() *gofeed.Parser {
		// As fetch.Parse sets it up.
		p := gofeed.NewParser()
		p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
		p.KeepOriginalFeed = true
		return p
	}},
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("parsefloor", flag.ContinueOnError)
	base := fs.String("url", "", "the feed farm, http://HOST:PORT")
	feeds := fs.Int("feeds", 1000, "feeds to fetch: /feed/0 … /feed/N-1")
	conc := fs.Int("concurrency", 8, "downloads at once")
	asJSON := fs.Bool("json", false, "print one JSON object per variant")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("-url: the feed farm's address is required, e.g. -url http://127.0.0.1:8000")
	}
	if *feeds < 1 || *conc < 1 {
		return errors.New("-feeds and -concurrency: want at least 1")
	}

	start := time.Now()
	bodies, err := download(ctx, strings.TrimSuffix(*base, "/"), *feeds, *conc)
	if err != nil {
		return err
	}
	var total int64
	for _, b := range bodies {
		total += int64(len(b))
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "downloaded %d feeds, %.1f MB in %.1fs (not measured)\n",
			len(bodies), float64(total)/1e6, time.Since(start).Seconds())
		fmt.Fprintf(stdout, "%-20s %7s %9s %8s %8s %12s %12s\n",
			"variant", "feeds", "items", "cpu_s", "wall_s", "items/cpu_s", "alloc/item")
	}
	enc := json.NewEncoder(stdout)
	for _, v := range variants {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := measure(v, bodies)
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%-20s %7d %9d %8.2f %8.2f %12.0f %10.1f KiB\n",
			r.Variant, r.Feeds, r.Items, r.CPUSeconds, r.WallSeconds, r.ItemsPerCPU, r.AllocPerItem/1024)
		if r.ParseFailures > 0 {
			fmt.Fprintf(stdout, "  %d bodies did not parse\n", r.ParseFailures)
		}
	}
	return nil
}

// download fetches every feed into memory, conc at a time.
func download(ctx context.Context, base string, n, conc int) ([][]byte, error) {
	// Uncompressed: the floor is measured on the bytes the parser reads.
	client := &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: conc},
	}
	defer client.CloseIdleConnections()
	bodies := make([][]byte, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				bodies[i], errs[i] = get(ctx, client, fmt.Sprintf("%s/feed/%d", base, i))
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return bodies, errors.Join(errs...)
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: status %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	return b, nil
}

// measure parses every body once with a parser made by v, on this
// goroutine, after a few unmeasured parses to warm up.
func measure(v variant, bodies [][]byte) result {
	for _, b := range bodies[:min(len(bodies), 20)] {
		v.parser().Parse(bytes.NewReader(b))
	}
	r := result{Variant: v.name, Feeds: len(bodies)}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	t0 := time.Now()
	for _, b := range bodies {
		feed, err := v.parser().Parse(bytes.NewReader(b))
		if err != nil {
			r.ParseFailures++
			continue
		}
		r.Items += len(feed.Items)
		r.Bytes += int64(len(b))
	}
	r.WallSeconds = time.Since(t0).Seconds()
	r.CPUSeconds = (cpuTime() - cpu0).Seconds()
	runtime.ReadMemStats(&m1)
	if r.CPUSeconds > 0 {
		r.ItemsPerCPU = float64(r.Items) / r.CPUSeconds
	}
	if r.Items > 0 {
		r.AllocPerItem = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(r.Items)
	}
	return r
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
