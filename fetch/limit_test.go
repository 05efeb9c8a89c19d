package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// roundTripFunc is an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// parseGate stands in for the parse of Client.Fetch: each parse waits for
// the test to let it through, and the gate keeps count of the bytes being
// parsed.
type parseGate struct {
	open     chan struct{} // one receive lets one parse through
	openOnce sync.Once

	mu      sync.Mutex
	parsing int   // bodies being parsed
	bytes   int64 // bytes being parsed
	shared  int64 // the most bytes ever parsed at once by more than one body
}

func newParseGate() *parseGate { return &parseGate{open: make(chan struct{})} }

// openAll lets every parse through, from now on: deferred, it lets the
// fetches of a failed test end.
func (g *parseGate) openAll() { g.openOnce.Do(func() { close(g.open) }) }

func (g *parseGate) parse(body []byte, contentType, base string, maxItems int) (*Result, error) {
	g.mu.Lock()
	g.parsing++
	g.bytes += int64(len(body))
	if g.parsing > 1 {
		g.shared = max(g.shared, g.bytes)
	}
	g.mu.Unlock()
	<-g.open
	g.mu.Lock()
	g.parsing--
	g.bytes -= int64(len(body))
	g.mu.Unlock()
	return parse(body, contentType, base, maxItems)
}

// state is the number of bodies being parsed, the bytes being parsed, and
// the most bytes ever parsed at once by more than one body.
func (g *parseGate) state() (parsing int, bytes, shared int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.parsing, g.bytes, g.shared
}

// serving is an http.Client whose every request gets doc, with a
// Content-Length if withLength.
func serving(doc []byte, withLength bool) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp := &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
			Body: io.NopCloser(bytes.NewReader(doc)), ContentLength: -1,
		}
		if withLength {
			resp.ContentLength = int64(len(doc))
		}
		return resp, nil
	})}
}

// feedURLs are the URLs of n feeds whose documents are doc: files in a
// folder of the test's if source is "file", else http URLs, for a Client
// whose HTTP is serving(doc).
func feedURLs(t *testing.T, source string, doc []byte, n int) []string {
	t.Helper()
	dir := t.TempDir()
	urls := make([]string, n)
	for i := range urls {
		if source != "file" {
			urls[i] = fmt.Sprintf("http://feeds.example/%d.xml", i)
			continue
		}
		path := filepath.Join(dir, strconv.Itoa(i)+".xml")
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		urls[i] = (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	}
	return urls
}

// TestFetchParseMemory: feed bodies parsed at once never add up to more
// than MaxParseMemory, over HTTP (with a Content-Length or without) and from
// files alike, and as many parse at once as fit; a body larger than the whole budget parses alone rather
// than never.
func TestFetchParseMemory(t *testing.T) {
	doc := rssDoc("Big", 200)
	size := int64(len(doc))
	tests := []struct {
		name   string
		source string // http (with a Content-Length), chunked (http without) or file
		budget int64
		feeds  int
		atOnce int // bodies that fit the budget together
	}{
		{"http", "http", 2*size + size/2, 6, 2},
		{"chunked", "chunked", 2*size + size/2, 6, 2},
		{"file", "file", 2*size + size/2, 6, 2},
		{"http larger than the budget", "http", size / 2, 3, 1},
		{"chunked larger than the budget", "chunked", size / 2, 3, 1},
		{"file larger than the budget", "file", size / 2, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urls := feedURLs(t, tt.source, doc, tt.feeds)
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient()
				c.HTTP = serving(doc, tt.source == "http")
				c.Concurrency, c.PerHost = tt.feeds, tt.feeds
				// Bodies of the largest size: one whose size is not
				// known in advance waits for room for that much.
				c.MaxBodySize = size
				c.MaxParseMemory = tt.budget
				gate := newParseGate()
				defer gate.openAll()
				c.parseBody = gate.parse

				errs := make(chan error, tt.feeds)
				for _, u := range urls {
					go func() {
						res, err := c.Fetch(t.Context(), Request{URL: u})
						if err == nil && len(res.Items) != 200 {
							err = fmt.Errorf("%s: %d items, want 200", u, len(res.Items))
						}
						errs <- err
					}()
				}
				for done := 0; done < tt.feeds; {
					// Every fetch is parsing or waiting to.
					synctest.Wait()
					parsing, bytes, shared := gate.state()
					if shared > tt.budget {
						t.Fatalf("%d bytes parsed at once, over the budget of %d", shared, tt.budget)
					}
					if want := min(tt.atOnce, tt.feeds-done); parsing != want {
						t.Fatalf("%d bodies (%d bytes) parsing at once after %d parses ended, want %d; budget %d",
							parsing, bytes, done, want, tt.budget)
					}
					gate.open <- struct{}{}
					done++
				}
				for range tt.feeds {
					if err := <-errs; err != nil {
						t.Error(err)
					}
				}
			})
		})
	}
}

// TestFetchCancelWhileWaitingToParse: a fetch waiting for parse memory
// gives up when its context ends, without taking any.
func TestFetchCancelWhileWaitingToParse(t *testing.T) {
	doc := rssDoc("Big", 10)
	synctest.Test(t, func(t *testing.T) {
		c := newTestClient()
		c.HTTP = serving(doc, false)
		c.MaxParseMemory = int64(len(doc))
		gate := newParseGate()
		defer gate.openAll()
		c.parseBody = gate.parse

		first := make(chan error, 1)
		go func() {
			_, err := c.Fetch(t.Context(), Request{URL: "http://feeds.example/1.xml"})
			first <- err
		}()
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		second := make(chan error, 1)
		go func() {
			_, err := c.Fetch(ctx, Request{URL: "http://feeds.example/2.xml"})
			second <- err
		}()
		synctest.Wait()
		if parsing, _, _ := gate.state(); parsing != 1 {
			t.Fatalf("%d parsing, want 1 while the other waits", parsing)
		}
		cancel()
		if err := <-second; !errors.Is(err, context.Canceled) {
			t.Errorf("waiting fetch: err = %v, want context.Canceled", err)
		}
		gate.open <- struct{}{}
		if err := <-first; err != nil {
			t.Error(err)
		}
		if !c.parseBudget().sem.TryAcquire(int64(len(doc))) {
			t.Error("the budget is not whole again after both fetches ended")
		}
	})
}

// TestFetchWaitToParseIsNotTimed: a fetch that waits an hour for parse
// memory, with a timeout of a second, is not timed out: the wait does not
// count against the timeout.
func TestFetchWaitToParseIsNotTimed(t *testing.T) {
	doc := rssDoc("Big", 10)
	for _, source := range []string{"http", "chunked", "file"} {
		t.Run(source, func(t *testing.T) {
			urls := feedURLs(t, source, doc, 2)
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient()
				c.HTTP = serving(doc, source == "http")
				c.Timeout = time.Second
				c.MaxParseMemory = int64(len(doc))
				gate := newParseGate()
				defer gate.openAll()
				c.parseBody = gate.parse

				errs := make(chan error, 2)
				for _, u := range urls {
					go func() {
						_, err := c.Fetch(t.Context(), Request{URL: u})
						errs <- err
					}()
				}
				synctest.Wait()
				time.Sleep(time.Hour) // one parses, the other waits
				gate.open <- struct{}{}
				synctest.Wait()
				if parsing, _, _ := gate.state(); parsing != 1 {
					t.Fatalf("%d parsing after the first parse ended, want the second", parsing)
				}
				gate.open <- struct{}{}
				for range 2 {
					if err := <-errs; err != nil {
						t.Error(err)
					}
				}
			})
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestFetchParseMemoryWhileReading: a body of unknown length counts
// against the budget as it is read, so while another body holds most of
// the budget it is read only as far as the rest allows, rather than whole.
func TestFetchParseMemoryWhileReading(t *testing.T) {
	doc := rssDoc("Big", 200)
	size := int64(len(doc))
	synctest.Test(t, func(t *testing.T) {
		second := &countingReader{r: bytes.NewReader(doc)}
		c := newTestClient()
		c.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body := io.Reader(bytes.NewReader(doc))
			if r.URL.Path == "/2.xml" {
				body = second
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
				Body: io.NopCloser(body), ContentLength: -1}, nil
		})}
		c.MaxParseMemory = size + size/2
		gate := newParseGate()
		defer gate.openAll()
		c.parseBody = gate.parse

		errs := make(chan error, 2)
		fetch := func(u string) {
			_, err := c.Fetch(t.Context(), Request{URL: u})
			errs <- err
		}
		go fetch("http://feeds.example/1.xml")
		synctest.Wait() // the first is parsing, holding its size
		go fetch("http://feeds.example/2.xml")
		synctest.Wait()
		if n, room := second.n.Load(), c.MaxParseMemory-size; n > room {
			t.Errorf("the second body was read to %d bytes while the budget had room for %d", n, room)
		}
		gate.open <- struct{}{}
		gate.open <- struct{}{}
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}
