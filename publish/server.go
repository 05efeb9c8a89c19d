package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server answers HTTP requests for the current Site from memory: "/" is the
// index page, "/feeds/{name}.atom" the feeds, "/healthz" a liveness probe.
// Swap replaces the site without disturbing requests in flight.
//
// Every response carries a Content-Security-Policy that lets a page use its
// inline style sheet and nothing else, X-Frame-Options: DENY,
// Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff. Every
// file is served with a strong ETag, Last-Modified (for a file with a
// ModTime; see lastModified), Cache-Control and Vary: Accept-Encoding, and
// answers conditional requests (If-None-Match, If-Modified-Since, If-Match,
// If-Unmodified-Since) and byte ranges. A gzip copy of each file, made once
// by Swap, is served to clients that accept gzip; it has its own ETag (the
// identity one with "-gz" inside the quotes) so that caches keep the two
// apart. Files that gzip does not make smaller are served as they are. Other
// methods than GET and HEAD get 405.
type Server struct {
	site atomic.Pointer[servedSite]
	// MaxAge is the Cache-Control max-age, in seconds, for feeds and index;
	// 0 (or less) sends no Cache-Control. Swap builds the header from it, so
	// a change applies from the next Swap; change it only while no Swap runs.
	MaxAge int
	// Log receives the errors of rendering a lazy file; nil: slog.Default().
	Log *slog.Logger

	ready atomic.Bool // for /readyz

	now func() time.Time // nil: time.Now

	modMu sync.Mutex
	mods  map[string]servedSince // by path
}

// servedSince is the bytes a path was last served with, by their ETag (or
// digest), and since when.
type servedSince struct {
	key   string
	since time.Time
}

// lastModified returns the Last-Modified to send for f, served at name from
// now on: the time it was first served with these bytes. A File's ModTime is
// the newest update of its entries, which stays the same when the file
// changes otherwise (a story gains an outlet, an archive page its
// next-archive link): sent as Last-Modified, it would have a client that
// asks If-Modified-Since told 304 for bytes it does not have. So
// Last-Modified moves to now whenever the bytes change, and always forward,
// by a second if need be (two changes within a second, or a clock stepped
// back), and stays while they do not. Every restart thus moves it once: a
// process cannot tell whether the bytes changed while it was not running.
// A zero ModTime means no Last-Modified, and gives zero.
func (s *Server) lastModified(name string, f *File, now time.Time) time.Time {
	if f.ModTime.IsZero() {
		return time.Time{}
	}
	key := f.ETag
	if key == "" {
		sum := sha256.Sum256(f.Body)
		key = string(sum[:])
	}
	s.modMu.Lock()
	defer s.modMu.Unlock()
	prev, ok := s.mods[name]
	if ok && prev.key == key {
		return prev.since
	}
	t := now.Truncate(time.Second)
	if ok && !t.After(prev.since) {
		t = prev.since.Add(time.Second)
	}
	if s.mods == nil {
		s.mods = map[string]servedSince{}
	}
	s.mods[name] = servedSince{key: key, since: t}
	return t
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *Server) logError(r *http.Request, err error) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error("rendering a page failed", "path", r.URL.Path, "err", err)
}

// SetReady makes /readyz answer 200: the store is open and the first
// fetches are done.
func (s *Server) SetReady() { s.ready.Store(true) }

// servedSite is a Site made ready to serve: every header value built and
// every file compressed. Everything a request needs hangs off one pointer,
// so one atomic Load gives a consistent view across a Swap.
type servedSite struct {
	srv          *Server
	files        map[string]*servedFile
	lazy         map[string]LazyFile
	cacheControl []string // nil when maxAge <= 0

	mu       sync.Mutex
	rendered map[string]*servedFile // lazy files rendered lately, at most maxRendered
}

// maxRendered is how many rendered lazy files (archive pages) a served site
// keeps, so that a reader paging back, or several asking for the same
// page, costs one rendering.
const maxRendered = 32

// lazyFile renders (or finds rendered) the lazy file name, which the site
// must have.
func (ss *servedSite) lazyFile(ctx context.Context, name string) (*servedFile, error) {
	render := ss.lazy[name]
	ss.mu.Lock()
	f := ss.rendered[name]
	ss.mu.Unlock()
	if f != nil {
		return f, nil
	}
	file, err := render(ctx)
	if err != nil {
		return nil, err
	}
	f = newServedFile(file, nil, ss.srv.lastModified(name, file, ss.srv.clock()))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.rendered) >= maxRendered {
		for k := range ss.rendered { // any one: map order is random
			delete(ss.rendered, k)
			break
		}
	}
	ss.rendered[name] = f
	return f, nil
}

type servedFile struct {
	modTime      time.Time // Last-Modified (see Server.lastModified); zero for none
	contentType  []string
	lastModified []string // nil when modTime is zero
	identity     variant
	gzip         variant // body nil when gzip does not make the file smaller
}

// variant is one representation of a file: its bytes and its own headers.
type variant struct {
	body     []byte
	etag     string   // quoted; "" when the File has none
	etagH    []string // nil when etag is ""
	length   []string // Content-Length
	encoding []string // Content-Encoding; nil for identity
}

// Header values shared by every response. They are assigned to response
// headers without copying, so they must never be modified; cap == len makes
// an append by a wrapping ResponseWriter copy rather than write into them.
var (
	hdrVary    = []string{"Accept-Encoding"}
	hdrNosniff = []string{"nosniff"}
	hdrGzip    = []string{"gzip"}
	hdrBytes   = []string{"bytes"}
)

// The security headers of every response. The pages load nothing but their
// inline style sheet and run no script, so the Content-Security-Policy
// allows only that; no site may frame them, and links followed from them
// send no Referer.
var (
	hdrCSP      = []string{"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}
	hdrFrame    = []string{"DENY"}
	hdrReferrer = []string{"no-referrer"}
)

// NewServer returns a Server with an empty site.
func NewServer() *Server {
	s := &Server{}
	s.site.Store(&servedSite{files: map[string]*servedFile{}})
	return s
}

// Swap makes site the one served. It compresses every file of site (reusing
// the compressed copy of a file whose bytes did not change since the previous
// Swap) and builds the response headers, so that requests do neither.
func (s *Server) Swap(site *Site) {
	prev := s.site.Load()
	ss := &servedSite{srv: s, cacheControl: cacheControl(s.MaxAge), rendered: map[string]*servedFile{}}
	if site == nil {
		ss.files = map[string]*servedFile{}
		s.site.Store(ss)
		return
	}
	ss.files = make(map[string]*servedFile, len(site.Files))
	now := s.clock()
	for name, f := range site.Files {
		var reuse *servedFile
		if prev != nil {
			if old, ok := prev.files[name]; ok && bytes.Equal(old.identity.body, f.Body) {
				reuse = old
			}
		}
		ss.files[name] = newServedFile(f, reuse, s.lastModified(name, f, now))
	}
	ss.lazy = site.Lazy
	s.site.Store(ss)
}

func cacheControl(maxAge int) []string {
	if maxAge <= 0 {
		return nil
	}
	return []string{"public, max-age=" + strconv.Itoa(maxAge)}
}

// newServedFile prepares f, to be sent with Last-Modified mod (none when
// zero); prev, when not nil, is a served file with the same bytes whose gzip
// copy can be reused.
func newServedFile(f *File, prev *servedFile, mod time.Time) *servedFile {
	sf := &servedFile{
		modTime:     mod,
		contentType: []string{f.ContentType},
		identity:    newVariant(f.Body, f.ETag, nil),
	}
	if !mod.IsZero() {
		sf.lastModified = []string{mod.UTC().Format(http.TimeFormat)}
	}
	var gz []byte
	if prev != nil {
		gz = prev.gzip.body
	} else {
		gz = gzipBest(f.Body)
	}
	if gz != nil && len(gz) < len(f.Body) {
		sf.gzip = newVariant(gz, gzipETag(f.ETag), hdrGzip)
	}
	return sf
}

func newVariant(body []byte, etag string, encoding []string) variant {
	v := variant{body: body, etag: etag, length: []string{strconv.Itoa(len(body))}, encoding: encoding}
	if etag != "" {
		v.etagH = []string{etag}
	}
	return v
}

// gzipETag derives the ETag of the gzip copy from the identity one:
// "abc" becomes "abc-gz".
func gzipETag(etag string) string {
	if etag == "" {
		return ""
	}
	if len(etag) >= 2 && strings.HasSuffix(etag, `"`) {
		return etag[:len(etag)-1] + `-gz"`
	}
	return etag + "-gz"
}

// gzipBest compresses body at gzip.BestCompression; nil on failure. The
// output depends on the bytes only (no name, no time in the gzip header).
func gzipBest(body []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return bytes.Clone(buf.Bytes()) // trim the buffer's spare capacity
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Security-Policy"] = hdrCSP
	h["X-Frame-Options"] = hdrFrame
	h["Referrer-Policy"] = hdrReferrer
	h["X-Content-Type-Options"] = hdrNosniff
	switch r.URL.Path {
	case "/healthz":
		serveHealth(w, r)
		return
	case "/readyz":
		s.serveReady(w, r)
		return
	}
	ss := s.site.Load()
	f := s.file(w, r, ss)
	if f == nil {
		return
	}
	v, identityOK := f.negotiate(r.Header["Accept-Encoding"])

	h["Vary"] = hdrVary
	if ss.cacheControl != nil {
		h["Cache-Control"] = ss.cacheControl
	}
	if answerPreconditions(h, w, r, f, v, identityOK) {
		return
	}
	serveVariant(h, w, r, f, v)
}

// serveHealth answers /healthz: the process is up.
func serveHealth(w http.ResponseWriter, r *http.Request) {
	if !AllowGetHead(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// serveReady answers /readyz: 503 until SetReady, then 200.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if !AllowGetHead(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("starting: the first fetches are not done\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// file returns the file of ss that r asks for, rendering it if it is lazy.
// When there is none (404), r's method is not GET or HEAD (405) or the
// rendering fails (503), it answers r itself and returns nil.
func (s *Server) file(w http.ResponseWriter, r *http.Request, ss *servedSite) *servedFile {
	name := strings.TrimPrefix(r.URL.Path, "/")
	switch name {
	case "opml":
		name = OPMLPath
	case "status":
		name = StatusPath
	case "":
		name = "index.html"
	}
	f, ok := ss.files[name]
	lazy := !ok && ss.lazy[name] != nil
	if !ok && !lazy {
		http.NotFound(w, r)
		return nil
	}
	if !AllowGetHead(w, r) {
		return nil
	}
	if lazy {
		var err error
		if f, err = ss.lazyFile(r.Context(), name); err != nil {
			s.logError(r, err)
			http.Error(w, "could not render this page; try again later", http.StatusServiceUnavailable)
			return nil
		}
	}
	return f
}

// negotiate returns the representation of f to send to a client whose
// Accept-Encoding header has the values accept, and whether that client
// accepts the identity coding at all.
func (f *servedFile) negotiate(accept []string) (v *variant, identityOK bool) {
	v, identityOK = &f.identity, true
	if f.gzip.body != nil {
		var useGzip bool
		useGzip, identityOK = negotiateGzip(accept)
		if useGzip {
			v = &f.gzip
		}
	}
	return v, identityOK
}

// answerPreconditions evaluates the conditional headers of r against
// representation v of f, in the order of RFC 9110 section 13.2.2, and
// answers 412 or 304 when one of them says so; it reports whether it
// answered. identityOK says whether r accepts the identity coding. h is
// w's header.
func answerPreconditions(h http.Header, w http.ResponseWriter, r *http.Request, f *servedFile, v *variant, identityOK bool) bool {
	if im := r.Header["If-Match"]; len(im) > 0 {
		if !etagListMatch(im, v.etag, false) {
			w.WriteHeader(http.StatusPreconditionFailed)
			return true
		}
	} else if ius := r.Header.Get("If-Unmodified-Since"); ius != "" && !f.modTime.IsZero() {
		if t, err := http.ParseTime(ius); err == nil && f.modTime.After(t) {
			w.WriteHeader(http.StatusPreconditionFailed)
			return true
		}
	}
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		if etagListMatch(inm, v.etag, true) {
			notModified(h, w, f, v)
			return true
		}
		// A cache holding the identity response may ask with its ETag
		// although it also accepts gzip: the identity one is acceptable
		// too, so tell it to use what it has (RFC 9111 section 4.3.4).
		if v == &f.gzip && identityOK && etagListMatch(inm, f.identity.etag, true) {
			notModified(h, w, f, &f.identity)
			return true
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && !f.modTime.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !f.modTime.After(t) {
			notModified(h, w, f, v)
			return true
		}
	}
	return false
}

// serveVariant sends representation v of f with its headers: the whole of
// it, or the byte ranges a GET asks for in a Range header. h is w's header.
func serveVariant(h http.Header, w http.ResponseWriter, r *http.Request, f *servedFile, v *variant) {
	h["Content-Type"] = f.contentType
	if v.etagH != nil {
		h["Etag"] = v.etagH
	}
	if f.lastModified != nil {
		h["Last-Modified"] = f.lastModified
	}
	if v.encoding != nil {
		h["Content-Encoding"] = v.encoding
	}
	h["Accept-Ranges"] = hdrBytes
	h["Content-Length"] = v.length
	if r.Method == http.MethodGet && len(r.Header["Range"]) > 0 {
		// Rare: let the standard library parse the ranges (and If-Range)
		// over the bytes of the chosen representation. It sets
		// Content-Length and Content-Range itself.
		http.ServeContent(w, withoutEmptyRanges(r, len(v.body)), "", f.modTime, bytes.NewReader(v.body))
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(v.body)
	}
}

// AllowGetHead reports whether r is a GET or a HEAD, and answers any other
// method with 405 Method Not Allowed.
func AllowGetHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// withoutEmptyRanges returns r with the ranges of its Range header that
// select no byte of a representation of size bytes dropped: a suffix range
// of length 0 ("-0"; RFC 9110 section 14.1.1 counts a suffix range
// satisfiable only when its length is not zero), or any suffix range when
// size is 0. http.ServeContent would answer them with a 206 and a
// Content-Range whose last byte comes before its first. When no range is
// left, the header asks for the byte after the last, which ServeContent
// answers with 416 (or, when If-Range does not match, with the whole
// representation).
func withoutEmptyRanges(r *http.Request, size int) *http.Request {
	spec, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok {
		return r
	}
	var kept []string
	dropped := false
	for ra := range strings.SplitSeq(spec, ",") {
		if strings.TrimSpace(ra) == "" {
			continue
		}
		if n, ok := strings.CutPrefix(strings.TrimSpace(ra), "-"); ok {
			n = strings.TrimSpace(n)
			if l, err := strconv.ParseInt(n, 10, 64); err == nil && !strings.HasPrefix(n, "-") && (l == 0 || size == 0) {
				dropped = true
				continue
			}
		}
		kept = append(kept, ra)
	}
	if !dropped {
		return r
	}
	r = r.Clone(r.Context())
	if len(kept) == 0 {
		r.Header.Set("Range", "bytes="+strconv.Itoa(size)+"-")
	} else {
		r.Header.Set("Range", "bytes="+strings.Join(kept, ","))
	}
	return r
}

// notModified answers 304 for representation v of f: the headers a 200 would
// carry that RFC 9110 section 15.4.5 asks for (Cache-Control and Vary are
// set already), and Last-Modified only when there is no ETag.
func notModified(h http.Header, w http.ResponseWriter, f *servedFile, v *variant) {
	if v.etagH != nil {
		h["Etag"] = v.etagH
	} else if f.lastModified != nil {
		h["Last-Modified"] = f.lastModified
	}
	w.WriteHeader(http.StatusNotModified)
}

// negotiateGzip reads the Accept-Encoding header values and reports whether
// to send gzip, and whether the client accepts the identity coding at all.
// gzip is sent when its qvalue (explicit, else that of "*") is above zero and
// not below an explicit qvalue for identity; identity is acceptable unless
// refused with "identity;q=0", or with "*;q=0" and no identity entry.
// An entry with a malformed qvalue counts as q=0.
func negotiateGzip(values []string) (useGzip, identityOK bool) {
	const unset = -1.0
	gz, id, star := unset, unset, unset
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.TrimSpace(coding)
			if coding == "" {
				continue
			}
			q := qvalue(params)
			switch {
			case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
				gz = max(gz, q)
			case strings.EqualFold(coding, "identity"):
				id = max(id, q)
			case coding == "*":
				star = max(star, q)
			}
		}
	}
	if gz == unset {
		gz = star // unset stays unset: not acceptable
	}
	if id == unset {
		id = star // unset: acceptable, at the lowest preference
	}
	identityOK = id != 0
	useGzip = gz > 0 && gz >= id
	return useGzip, identityOK
}

// qvalue returns the q parameter of an Accept-Encoding element's parameters
// (";q=0.5"), 1 when there is none, and 0 when it is malformed.
func qvalue(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		p = strings.TrimSpace(p)
		if len(p) < 2 || (p[0] != 'q' && p[0] != 'Q') {
			continue
		}
		rest := strings.TrimLeft(p[1:], " \t")
		if rest == "" || rest[0] != '=' {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(rest[1:]), 64)
		if err != nil || q < 0 || q > 1 || math.IsNaN(q) {
			return 0
		}
		return q
	}
	return 1
}

// etagListMatch reports whether an If-Match or If-None-Match header (its
// values, each a list of entity tags, or "*") matches etag. Weak comparison
// (If-None-Match) ignores the W/ prefix; strong comparison (If-Match) never
// matches a weak tag. Parsing stops at the first malformed entry.
func etagListMatch(values []string, etag string, weak bool) bool {
	for _, list := range values {
		for {
			list = strings.TrimLeft(list, " \t,")
			if list == "" {
				break
			}
			if list[0] == '*' {
				return true
			}
			isWeak := strings.HasPrefix(list, "W/")
			if isWeak {
				list = list[2:]
			}
			if len(list) < 2 || list[0] != '"' {
				break
			}
			end := strings.IndexByte(list[1:], '"')
			if end < 0 {
				break
			}
			tag := list[:end+2]
			list = list[end+2:]
			if tag == etag && etag != "" && (weak || !isWeak) {
				return true
			}
		}
	}
	return false
}
