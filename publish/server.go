package publish

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Server answers HTTP requests for the current Site from memory: "/" is the
// index page, "/feeds/{name}.atom" the feeds, "/healthz" a liveness probe.
// Swap replaces the site without disturbing requests in flight.
type Server struct {
	site atomic.Pointer[Site]
	// MaxAge is the Cache-Control max-age, in seconds, for feeds and index.
	MaxAge int
}

// NewServer returns a Server with an empty site.
func NewServer() *Server {
	s := &Server{}
	s.site.Store(&Site{Files: map[string]*File{}})
	return s
}

// Swap makes site the one served.
func (s *Server) Swap(site *Site) { s.site.Store(site) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	f, ok := s.site.Load().Files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("ETag", f.ETag)
	if s.MaxAge > 0 {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(s.MaxAge))
	}
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", f.ModTime, bytes.NewReader(f.Body))
}
