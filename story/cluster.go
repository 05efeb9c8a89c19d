// Package story groups news items that report the same event into stories.
//
// Clustering is online and incremental, after Miranda et al., "Multilingual
// Clustering of Streaming News" (EMNLP 2018): every item becomes a sparse,
// L2-normalised TF-IDF vector (IDF learned online from the items of the last
// one to two windows);
// each story keeps the centroid of its members' vectors; an arriving item is
// compared with the centroids of the candidate stories that share one of its
// most informative terms (an inverted index over the stories active in the
// time window) and joins the most probable one when a small learned model
// (see joinModel) gives it at least Config.Threshold, or else starts a new
// story.
//
// The state is a pure function of the sequence of Docs passed to Add, so it can
// be rebuilt by replaying stored items in published order.
package story

import (
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"
)

// Config holds the clustering parameters. Use DefaultConfig and adjust.
type Config struct {
	// Threshold is the minimum probability, by the join model, that an
	// item belongs to its best candidate story for it to join the story.
	Threshold float64
	// FollowThreshold: an item that starts a story follows its best
	// candidate (Placement.Follows) when that one's probability is at
	// least this: an earlier development of the same storyline.
	FollowThreshold float64
	// Window: a story whose last item is older than Window is closed: no
	// item can join it, and it leaves the index.
	Window time.Duration
	// HalfLife of a member's weight in the story's decayed centroid,
	// measured from the story's latest member: the join model compares an
	// item with the recent coverage as well as the whole story (0 = no
	// decay).
	HalfLife time.Duration

	TitleWeight   float64 // weight of a title occurrence of a term
	SummaryWeight float64 // weight of a summary occurrence of a term
	PhraseWeight  float64 // multiplier for named-looking phrases ("Kim Jong Un")
	// MaxSummaryWords: only the lead of the summary is used (0 = all).
	MaxSummaryWords int

	// Retrieval: the item's QueryTerms highest-weighted terms probe the
	// inverted index; terms posted by more than MaxPostings active stories
	// are too common to be useful and are skipped; the Candidates stories
	// sharing the most query-term weight are scored against their centroids.
	QueryTerms  int
	MaxPostings int
	Candidates  int
	// MinShared is the minimum number of distinct features an item must
	// share with a story's centroid to join it (guards against one-word
	// coincidences between short headlines).
	MinShared int
	// SourceBoilerplate: a term found in more than this share of one
	// source's items (and in at least 3 of them) is ignored for that
	// source's items (0 disables).
	SourceBoilerplate float64

	// A big event often splits early into several clusters, before its
	// coverage settles. When an item joins a cluster, every other candidate
	// it gives at least MergeThreshold, and no less than MergeMargin below
	// the joined one, is the same event: if both stories, as published,
	// began less than MergeAge before the item, they are merged for
	// publication (see Placement.Merges). The margin keeps an item that
	// plainly belongs to one story from chaining it to a looser, bigger
	// one (the market reports of uci-dev). The clusters themselves stay
	// apart: folding their centroids together made later decisions worse.
	// MergeAge 0 disables merging.
	MergeThreshold float64
	MergeMargin    float64
	MergeAge       time.Duration
}

// DefaultConfig returns the configuration chosen on the development data.
func DefaultConfig() Config {
	return Config{
		Threshold:         0.3,
		FollowThreshold:   0.2,
		Window:            72 * time.Hour,
		TitleWeight:       2,
		SummaryWeight:     1,
		PhraseWeight:      1.5,
		MaxSummaryWords:   60,
		QueryTerms:        20,
		MaxPostings:       5000,
		Candidates:        10,
		MinShared:         1,
		HalfLife:          6 * time.Hour,
		SourceBoilerplate: 0.4,
		MergeThreshold:    0.6,
		MergeMargin:       0.1,
		MergeAge:          24 * time.Hour,
	}
}

// Doc is one news item.
type Doc struct {
	Key       string // the item's stable key (id, link, guid)
	Title     string
	Summary   string // may contain HTML
	Published time.Time
	Source    string
}

// entry is one term of an item's vector.
type entry struct {
	id   uint32
	w    float32
	kind uint8 // inTitle, inPhrase
}

// Where an item's term occurred, for the join model's per-field features.
const (
	inTitle uint8 = 1 << iota
	inPhrase
)

type storyState struct {
	id       string
	story    string   // the published story: id, unless grouped
	first    int64    // the earliest published member, Unix nanoseconds
	last     int64    // the latest published member, Unix nanoseconds
	centroid centroid // sum of member vectors, and their decayed sum
	normSq   float64  // |centroid|^2 of the summed weights
	recentSq float64  // and of the decayed weights
	size     int32
	gen      uint32
	grouped  bool // whether the cluster is in groups[story]
	flat     bool // whether centroid has no decayed weights of its own (see centroid)
}

// sourceStats counts, for one source, its items and the items each term
// occurs in, over the current generation (at most Window long) and the one
// before it: enough to tell boilerplate, and bounded by the window rather
// than the source's history.
type sourceStats struct {
	n, prevN  uint32
	cur, prev termCounts
}

// termCounts counts the items each term occurs in, in sorted slices: a
// few bytes a term where a map takes tens. Most of a source's terms occur
// in one of its items only, and take four.
type termCounts struct {
	once []uint32 // terms seen in one item, sorted
	many []uint64 // terms seen in more: term<<32 | count, sorted
}

// findMany returns the position of term id in many, and whether it is there.
func (t *termCounts) findMany(id uint32) (int, bool) {
	i, _ := slices.BinarySearch(t.many, uint64(id)<<32)
	return i, i < len(t.many) && uint32(t.many[i]>>32) == id
}

func (t *termCounts) get(id uint32) uint32 {
	if i, ok := t.findMany(id); ok {
		return uint32(t.many[i])
	}
	if _, ok := slices.BinarySearch(t.once, id); ok {
		return 1
	}
	return 0
}

// countScratch holds addItem's buffers between calls.
type countScratch struct {
	seen, fresh []uint32
	again       []uint64
}

// addItem counts one item's distinct terms, sorted.
func (t *termCounts) addItem(ids []uint32, sc *countScratch) {
	sc.seen, sc.fresh, sc.again = sc.seen[:0], sc.fresh[:0], sc.again[:0]
	for _, id := range ids {
		if i, ok := t.findMany(id); ok {
			t.many[i]++
		} else if _, ok := slices.BinarySearch(t.once, id); ok {
			sc.seen = append(sc.seen, id)
			sc.again = append(sc.again, uint64(id)<<32|2)
		} else {
			sc.fresh = append(sc.fresh, id)
		}
	}
	if len(sc.seen) > 0 { // seen again: from once to many
		w, j := 0, 0
		for _, id := range t.once {
			if j < len(sc.seen) && sc.seen[j] == id {
				j++
				continue
			}
			t.once[w] = id
			w++
		}
		t.once = t.once[:w]
		t.many = mergeSorted(t.many, sc.again)
	}
	if len(sc.fresh) > 0 {
		t.once = mergeSorted(t.once, sc.fresh)
	}
}

// mergeSorted merges add into s, both sorted and disjoint, in place from
// the back; when s must grow, it grows by an eighth.
func mergeSorted[T uint32 | uint64](s, add []T) []T {
	n := len(s) + len(add)
	if n > cap(s) {
		grown := make([]T, len(s), n+n/8)
		copy(grown, s)
		s = grown
	}
	i, j := len(s)-1, len(add)-1
	s = s[:n]
	for k := n - 1; j >= 0; k-- {
		if i >= 0 && s[i] > add[j] {
			s[k] = s[i]
			i--
		} else {
			s[k] = add[j]
			j--
		}
	}
	return s
}

// count returns a term's count and the number of items over both
// generations.
func (s *sourceStats) count(id uint32) (k, n uint32) {
	return s.cur.get(id) + s.prev.get(id), s.n + s.prevN
}

// term is a vocabulary entry: its id, and the number of items it occurred
// in over the current generation and the one before.
type term struct {
	id, df, prevDF uint32
}

type expiry struct {
	slot int32
	gen  uint32
	t    int64 // the story's last published member then, Unix nanoseconds
}

// Clusterer is the online story clusterer. It is not safe for concurrent use.
type Clusterer struct {
	cfg  Config
	norm *normalizer
	// Document frequencies, like the per-source counts, cover the current
	// generation (at most Window long) and the one before: the IDF of
	// recent news, and a vocabulary bounded by the window rather than by
	// everything ever read. Terms are known by a 64-bit hash of their
	// text, seeded per Clusterer: the text would take more than the rest
	// of an entry, and two of a million terms share a hash once in some
	// 10^7 Clusterers.
	vocab    map[uint64]term
	seed     maphash.Seed
	nextID   uint32
	nDocs    uint32 // items in the current generation
	prevDocs uint32 // and in the one before
	genStart int64  // when the current generation began

	sources map[string]*sourceStats

	stories []storyState
	open    []bool           // by slot: whether the story is open
	byID    map[string]int32 // open stories by id
	free    []int32
	post    index // term -> open stories
	queue   []expiry
	qhead   int
	now     int64 // the latest published time seen, Unix nanoseconds
	// groups holds the published stories made of several clusters (see
	// Config.MergeAge), by published id, while one of them is open.
	groups map[string]*group

	// scratch
	termIdx map[string]int
	terms   []string
	raw     []float64
	kinds   []uint8
	wbuf    []word
	kbuf    []byte
	ids     []uint32
	dfs     []uint32
	counts  countScratch
	qids    []uint32
	posted  []uint32
	sum     []cterm
	acc     []float32
	touched []int32
	cands   []int32
	merging []scored

	// trace, when set, sees the join model's features of every candidate
	// scored (the offline trainer's view: see TestTrain).
	trace func(story string, x *features)
}

// New returns an empty Clusterer. Zero fields of cfg take their defaults.
func New(cfg Config) *Clusterer {
	def := DefaultConfig()
	if cfg.Threshold == 0 {
		cfg.Threshold = def.Threshold
	}
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.TitleWeight == 0 {
		cfg.TitleWeight = def.TitleWeight
	}
	if cfg.SummaryWeight == 0 {
		cfg.SummaryWeight = def.SummaryWeight
	}
	if cfg.PhraseWeight == 0 {
		cfg.PhraseWeight = def.PhraseWeight
	}
	if cfg.QueryTerms <= 0 {
		cfg.QueryTerms = def.QueryTerms
	}
	if cfg.MaxPostings <= 0 {
		cfg.MaxPostings = def.MaxPostings
	}
	if cfg.Candidates <= 0 {
		cfg.Candidates = def.Candidates
	}
	return &Clusterer{
		cfg:     cfg,
		norm:    newNormalizer(),
		vocab:   map[uint64]term{},
		seed:    maphash.MakeSeed(),
		post:    newIndex(),
		termIdx: map[string]int{},
		byID:    map[string]int32{},
		groups:  map[string]*group{},
		sources: map[string]*sourceStats{},
		now:     minNanos,
	}
}

// Times are kept as Unix nanoseconds, clamped to a range whose
// differences cannot overflow.
var (
	minNanos = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	maxNanos = time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
)

func nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1900:
		return minNanos
	case t.Year() >= 2150:
		return maxNanos
	}
	return t.UnixNano()
}

// StoryID is the id of the story whose first item has the given key: the
// key itself, so that a story of one item has that item's id.
func StoryID(firstKey string) string { return firstKey }

// Active returns the number of stories currently open (inside the window).
func (c *Clusterer) Active() int { return len(c.stories) - len(c.free) }

const phrasePrefix = "\x00"

// features extracts the weighted terms of d into c.terms/c.raw, in text order.
func (c *Clusterer) features(d Doc) {
	c.terms = c.terms[:0]
	c.raw = c.raw[:0]
	c.kinds = c.kinds[:0]
	clear(c.termIdx)
	add := func(t string, w float64, k uint8) {
		if i, ok := c.termIdx[t]; ok {
			c.raw[i] += w
			c.kinds[i] |= k
			return
		}
		c.termIdx[t] = len(c.terms)
		c.terms = append(c.terms, t)
		c.raw = append(c.raw, w)
		c.kinds = append(c.kinds, k)
	}
	field := func(text string, max int, w float64, k uint8) {
		if text == "" {
			return
		}
		c.wbuf = c.norm.words(c.norm.clean(StripHTML(text)), max, c.wbuf[:0])
		for _, x := range c.wbuf {
			if keepUnigram(x) {
				add(x.norm, w, k)
			}
		}
		namedRuns(c.wbuf, c.knownPhrase, func(p string) { add(phrasePrefix+p, w*c.cfg.PhraseWeight, k|inPhrase) })
	}
	field(d.Title, 0, c.cfg.TitleWeight, inTitle)
	field(d.Summary, c.cfg.MaxSummaryWords, c.cfg.SummaryWeight, 0)
}

// knownPhrase reports whether p was seen as a named phrase before.
func (c *Clusterer) knownPhrase(p string) bool {
	c.kbuf = append(append(c.kbuf[:0], phrasePrefix...), p...)
	_, ok := c.vocab[maphash.Bytes(c.seed, c.kbuf)]
	return ok
}

// vectorize updates document frequencies with the item's terms and returns
// its L2-normalised TF-IDF vector sorted by term id.
func (c *Clusterer) vectorize(d Doc, published int64) []entry {
	c.features(d)
	if t := max(c.now, published); t-c.genStart >= int64(c.cfg.Window) {
		c.rotate(t)
	}
	c.nDocs++
	vec := make([]entry, 0, len(c.terms))
	ids := make([]uint32, len(c.terms))
	c.dfs = c.dfs[:0]
	for i, s := range c.terms {
		h := maphash.String(c.seed, s)
		t, ok := c.vocab[h]
		if !ok {
			t = term{id: c.nextID}
			c.nextID++
		}
		t.df++
		c.vocab[h] = t
		ids[i] = t.id
		c.dfs = append(c.dfs, t.df+t.prevDF)
	}
	// Per-source document frequency: a term carried by a large share of
	// one source's items is that source's boilerplate ("Article URL ...
	// Comments URL", "The post ... appeared first on ...") and says
	// nothing about the event.
	var src *sourceStats
	if d.Source != "" && c.cfg.SourceBoilerplate > 0 {
		src = c.sources[d.Source]
		if src == nil {
			src = &sourceStats{}
			c.sources[strings.Clone(d.Source)] = src
		}
		src.n++
		c.ids = append(c.ids[:0], ids...)
		slices.Sort(c.ids)
		src.cur.addItem(c.ids, &c.counts)
	}
	n := float64(c.nDocs + c.prevDocs)
	var ss float64
	for i, id := range ids {
		if src != nil {
			if k, n := src.count(id); k >= 3 && float64(k) > c.cfg.SourceBoilerplate*float64(n) {
				continue
			}
		}
		idf := math.Log((1+n)/(1+float64(c.dfs[i]))) + 1
		w := math.Sqrt(c.raw[i]) * idf
		vec = append(vec, entry{id, float32(w), c.kinds[i]})
		ss += w * w
	}
	if ss > 0 {
		inv := 1 / math.Sqrt(ss)
		for i := range vec {
			vec[i].w = float32(float64(vec[i].w) * inv)
		}
	}
	slices.SortFunc(vec, func(a, b entry) int { return int(a.id) - int(b.id) })
	return vec
}

// rotate starts a new generation of the counts at t: the current one
// becomes the previous one, the previous one is forgotten, and so are the
// sources that had no item in either. A term is forgotten a generation
// later than its counts, so that a story still open keeps matching it when
// it comes back; a forgotten term's id is never given to another.
func (c *Clusterer) rotate(t int64) {
	c.genStart = t
	c.prevDocs, c.nDocs = c.nDocs, 0
	// A new map, of the size the kept terms need: a map does not shrink
	// as terms are deleted from it.
	kept := 0
	for _, v := range c.vocab {
		if v.df > 0 || v.prevDF > 0 {
			kept++
		}
	}
	vocab := make(map[uint64]term, kept)
	for h, v := range c.vocab {
		if v.df > 0 || v.prevDF > 0 {
			vocab[h] = term{id: v.id, prevDF: v.df}
		}
	}
	c.vocab = vocab
	for name, s := range c.sources {
		if s.n == 0 {
			delete(c.sources, name)
			continue
		}
		s.prevN, s.prev = s.n, s.cur
		s.n, s.cur = 0, termCounts{}
	}
}

// expire closes the stories whose last item is older than the window: each
// leaves the posting lists of the terms its centroid marks as posted, and
// its slot, centroid and all, is free at once.
func (c *Clusterer) expire() {
	limit := c.now - int64(c.cfg.Window)
	for c.qhead < len(c.queue) && c.queue[c.qhead].t < limit {
		e := c.queue[c.qhead]
		c.qhead++
		s := &c.stories[e.slot]
		if !c.open[e.slot] || s.gen != e.gen || s.last != e.t {
			continue // the story was updated later (another entry exists)
		}
		delete(c.byID, s.id)
		c.ungroup(e.slot)
		s.centroid.posted(s.flat, func(id uint32) { c.post.remove(id, e.slot) })
		*s = storyState{gen: s.gen + 1}
		c.open[e.slot] = false
		c.free = append(c.free, e.slot)
	}
	if c.qhead > 1024 && c.qhead*2 > len(c.queue) {
		c.queue = append(c.queue[:0], c.queue[c.qhead:]...)
		c.qhead = 0
	}
}

// Placement is what Add decided for one item.
type Placement struct {
	// Story is the id of the item's story as published: its cluster's, or
	// that of the story its cluster was merged into (see Merges).
	Story string
	// Cluster is the id of the item's cluster, the clusterer's own story,
	// which Restore needs back.
	Cluster string
	Joined  bool    // whether it joined a story that was open
	Score   float64 // the join model's best probability: the joined story's, or the best rejected one's
	// Follows is, when the item started a story, the open story it is a
	// later development of (close to it, not close enough to join), else "".
	Follows string
	// Merges are stories, as published, that the item showed to be the
	// same event as Story: from now on they are published as Story, their
	// articles with its own.
	Merges []string
}

// Add clusters one item. Items should arrive in published order.
func (c *Clusterer) Add(d Doc) Placement {
	published := nanos(d.Published)
	vec := c.vectorize(d, published)
	c.now = max(c.now, published)
	c.expire()

	q := queryTerms(vec, c.cfg.QueryTerms)

	// Candidate retrieval through the inverted index.
	if len(c.acc) < len(c.stories) {
		c.acc = append(c.acc, make([]float32, len(c.stories)-len(c.acc))...)
	}
	c.touched = c.touched[:0]
	for _, e := range q {
		l := c.post.get(e.id)
		if len(l) > c.cfg.MaxPostings {
			continue // too common to be useful
		}
		for _, s := range l {
			if c.acc[s] == 0 {
				c.touched = append(c.touched, s)
			}
			c.acc[s] += e.w
		}
	}
	// Keep the Candidates best by shared query weight. Stories that share
	// the same query terms tie, and often more than Candidates of them:
	// the one that began first wins, then the lower slot (slots are reused
	// as soon as stories close, so a slot alone says little of a story).
	better := func(a, b int32) bool {
		if c.acc[a] != c.acc[b] {
			return c.acc[a] > c.acc[b]
		}
		if fa, fb := c.stories[a].first, c.stories[b].first; fa != fb {
			return fa < fb
		}
		return a < b
	}
	cands := c.cands[:0]
	for _, s := range c.touched {
		if len(cands) == c.cfg.Candidates && !better(s, cands[len(cands)-1]) {
			continue
		}
		if len(cands) < c.cfg.Candidates {
			cands = append(cands, s)
		} else {
			cands[len(cands)-1] = s
		}
		for i := len(cands) - 1; i > 0 && better(cands[i], cands[i-1]); i-- {
			cands[i], cands[i-1] = cands[i-1], cands[i]
		}
	}
	c.cands = cands
	for _, s := range c.touched {
		c.acc[s] = 0
	}

	// Score candidates: the join model's probability that the item belongs
	// to the story.
	var titleSq float64
	for _, e := range vec {
		if e.kind&inTitle != 0 {
			titleSq += float64(e.w) * float64(e.w)
		}
	}
	best, score := int32(-1), 0.0
	c.merging = c.merging[:0]
	for _, s := range cands {
		st := &c.stories[s]
		// The time gap to the story is 0 inside its span of publication,
		// else the distance to the nearer end: feeds arrive in any order.
		var dt int64
		switch {
		case published > st.last:
			dt = published - st.last
		case published < st.first:
			dt = st.first - published
		}
		if dt > int64(c.cfg.Window) {
			continue
		}
		o := st.centroid.match(vec, st.flat)
		if o.shared < c.cfg.MinShared {
			continue
		}
		x := joinFeatures(o, st, len(vec), titleSq, dt, published)
		if c.trace != nil {
			c.trace(st.id, &x)
		}
		p := joinModel.prob(&x)
		if best < 0 || p > score {
			best, score = s, p
		}
		if p >= c.cfg.MergeThreshold && c.cfg.MergeAge > 0 {
			c.merging = append(c.merging, scored{s, p})
		}
	}

	var slot int32
	joined := best >= 0 && score >= c.cfg.Threshold
	follows := ""
	if joined {
		slot = best
	} else {
		if best >= 0 && score >= c.cfg.FollowThreshold {
			follows = c.stories[best].story
		}
		slot = c.newStory(d.Key)
	}
	c.join(slot, vec, q, published)
	var merges []string
	if joined {
		merges = c.mergeStories(slot, score, published)
	}
	st := &c.stories[slot]
	return Placement{Story: st.story, Cluster: st.id, Joined: joined, Score: score, Follows: follows, Merges: merges}
}

// mergeStories merges for publication the stories of the candidates in
// c.merging within MergeMargin of best, the probability of the cluster an
// item published at t joined, with that cluster's story, when both began
// less than MergeAge before the item, and returns the published ids
// absorbed. The story that began first survives, so that a story keeps
// the id it was first published under.
func (c *Clusterer) mergeStories(slot int32, best float64, t int64) []string {
	var merges []string
	for _, m := range c.merging {
		s := m.slot
		a, b := c.stories[slot].story, c.stories[s].story
		if a == b || m.p < best-c.cfg.MergeMargin {
			continue
		}
		ba, bb := c.began(slot), c.began(s)
		if t-ba >= int64(c.cfg.MergeAge) || t-bb >= int64(c.cfg.MergeAge) {
			continue
		}
		if bb < ba {
			merges = append(merges, a)
			c.merge(s, slot)
		} else {
			merges = append(merges, b)
			c.merge(slot, s)
		}
	}
	return merges
}

// scored is a candidate cluster and the join model's probability for it.
type scored struct {
	slot int32
	p    float64
}

// group is a published story made of several clusters.
type group struct {
	first int64   // when it began: its clusters' earliest member, closed ones' too
	slots []int32 // its open clusters
}

// began returns when the published story of a cluster began.
func (c *Clusterer) began(slot int32) int64 {
	if st := &c.stories[slot]; st.grouped {
		return c.groups[st.story].first
	}
	return c.stories[slot].first
}

// groupOf returns the group of a cluster's published story, making one
// for a cluster published alone.
func (c *Clusterer) groupOf(slot int32) *group {
	st := &c.stories[slot]
	if st.grouped {
		return c.groups[st.story]
	}
	g := &group{first: st.first, slots: []int32{slot}}
	c.groups[st.story] = g
	st.grouped = true
	return g
}

// merge publishes every cluster of from's published story as into's.
func (c *Clusterer) merge(into, from int32) {
	g := c.groupOf(into)
	story := c.stories[into].story
	f := &c.stories[from]
	if !f.grouped {
		f.story, f.grouped = story, true
		g.slots = append(g.slots, from)
		g.first = min(g.first, f.first)
		return
	}
	old := f.story
	h := c.groups[old]
	for _, s := range h.slots {
		c.stories[s].story = story
	}
	g.slots = append(g.slots, h.slots...)
	g.first = min(g.first, h.first)
	delete(c.groups, old)
}

// publish makes story the published story of a cluster (see Restore).
func (c *Clusterer) publish(slot int32, story string) {
	st := &c.stories[slot]
	if story == "" || story == st.story {
		return
	}
	c.ungroup(slot)
	st.story = story
	g := c.groups[story]
	if g == nil {
		if s, ok := c.byID[story]; ok && c.stories[s].story == story {
			g = c.groupOf(s)
		} else {
			g = &group{first: st.first}
			c.groups[story] = g
		}
	}
	g.slots = append(g.slots, slot)
	g.first = min(g.first, st.first)
	st.grouped = true
}

// ungroup takes a cluster out of its group, which goes when it has no
// open cluster left, and publishes it as itself.
func (c *Clusterer) ungroup(slot int32) {
	st := &c.stories[slot]
	if !st.grouped {
		return
	}
	g := c.groups[st.story]
	if i := slices.Index(g.slots, slot); i >= 0 {
		g.slots = slices.Delete(g.slots, i, i+1)
	}
	if len(g.slots) == 0 {
		delete(c.groups, st.story)
	}
	st.story, st.grouped = st.id, false
}

// join adds an item's vector to a story.
func (c *Clusterer) join(slot int32, vec, q []entry, published int64) {
	st := &c.stories[slot]
	// The decayed weights are kept relative to the latest member: the
	// older side of the two is scaled down, so nothing underflows however
	// long a story runs.
	old, cur := float32(1), float32(1)
	if st.size > 0 && c.cfg.HalfLife > 0 {
		if published > st.last {
			old = float32(math.Exp2(-float64(published-st.last) / float64(c.cfg.HalfLife)))
		} else {
			cur = float32(math.Exp2(-float64(st.last-published) / float64(c.cfg.HalfLife)))
		}
	}
	c.qids = c.qids[:0]
	for _, e := range q {
		c.qids = append(c.qids, e.id)
	}
	slices.Sort(c.qids)
	c.posted = c.posted[:0]
	st.centroid, st.flat, c.posted, st.normSq, st.recentSq = st.centroid.add(st.flat, vec, c.qids, c.posted, old, cur, &c.sum)
	for _, id := range c.posted {
		c.post.add(id, slot)
	}
	if st.size == 0 {
		st.first, st.last = published, published
	}
	st.size++
	st.last = max(st.last, published)
	st.first = min(st.first, published)
	if st.grouped {
		g := c.groups[st.story]
		g.first = min(g.first, published)
	}
	c.queue = append(c.queue, expiry{slot, st.gen, st.last})
}

// Restore adds an item to the cluster it was placed in before, published as
// story (see Placement), opening the cluster if it is not open, without
// deciding anything: replaying the stored items of the window in the order
// they were placed brings a new Clusterer back to the state of the one that
// placed them.
func (c *Clusterer) Restore(d Doc, cluster, story string) {
	if cluster == "" {
		cluster = story
	}
	published := nanos(d.Published)
	vec := c.vectorize(d, published)
	c.now = max(c.now, published)
	c.expire()
	slot, ok := c.byID[cluster]
	if !ok {
		slot = c.newStory(cluster)
	}
	c.join(slot, vec, queryTerms(vec, c.cfg.QueryTerms), published)
	c.publish(slot, story)
}

// centroid is the sum of a story's member vectors, sorted by term id, in
// one slice: the n term ids, then their summed weights, then their decayed
// weights (see cterm), as float32 bits. A sorted slice takes a fraction of
// a map's memory, and a story's terms are read far more often than added
// to. A centroid is flat when each decayed weight is its summed one, as
// in every story of one item (most are): it leaves the decayed weights
// out, a third of its size. The weight of a term under which the story is
// posted in the index is kept negated: weights are otherwise positive, and
// the sign spares each story a list of its posted terms.
type centroid []uint32

// cterm is one term of a centroid: w sums the members' weights, r sums
// them decayed by their age relative to the story's latest member (see
// Config.HalfLife).
type cterm struct {
	id   uint32
	w, r float32
}

// size returns the number of terms of c.
func (c centroid) size(flat bool) int {
	if flat {
		return len(c) / 2
	}
	return len(c) / 3
}

// term returns the i-th term of c, of n.
func (c centroid) term(i, n int, flat bool) cterm {
	t := cterm{id: c[i], w: math.Float32frombits(c[n+i])}
	if flat {
		t.r = abs32(t.w)
	} else {
		t.r = math.Float32frombits(c[2*n+i])
	}
	return t
}

// posted calls fn with each term under which the story is posted.
func (c centroid) posted(flat bool, fn func(id uint32)) {
	n := c.size(flat)
	for i, id := range c[:n] {
		if c[n+i]&signBit != 0 {
			fn(id)
		}
	}
}

const signBit = 1 << 31

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ signBit) }

// find returns the position of term id in ids[from:] (or where it would be)
// plus from, and whether it is there. It is the clusterer's innermost
// loop, written out: slices.BinarySearchFunc calls its comparison for
// every probe.
func find(ids []uint32, id uint32, from int) (int, bool) {
	lo, hi := from, len(ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(ids) && ids[lo] == id
}

// overlap is what an item's vector shares with a centroid.
type overlap struct {
	dot     float64 // with the summed weights
	recent  float64 // with the decayed weights
	title   float64 // dot over the item's title terms
	covered float64 // the item's squared weight on terms the story has
	shared  int     // the item's terms the story has
}

// match returns the overlap of vec (sorted by term id) with c.
func (c centroid) match(vec []entry, flat bool) (o overlap) {
	n := c.size(flat)
	ids := c[:n]
	i := 0
	for _, e := range vec {
		var found bool
		if i, found = find(ids, e.id, i); found {
			t := c.term(i, n, flat)
			w := float64(e.w)
			d := w * math.Abs(float64(t.w))
			o.dot += d
			o.recent += w * float64(t.r)
			if e.kind&inTitle != 0 {
				o.title += d
			}
			o.covered += w * w
			o.shared++
			i++
		}
	}
	return o
}

// add returns c plus vec (sorted by term id), in a new slice of just the
// right size, flat if it can be, with the terms q (sorted, all in vec)
// marked as posted; it appends to newly those of them not marked before.
// The decayed weights of c are scaled by old and those of vec by cur. It
// also returns the squared norms of the new summed and decayed weights.
// sum is its buffer between calls.
func (c centroid) add(flat bool, vec []entry, q, newly []uint32, old, cur float32, sum *[]cterm) (out centroid, outFlat bool, _ []uint32, normSq, recentSq float64) {
	n := c.size(flat)
	s := (*sum)[:0]
	k := 0 // the next term of q
	outFlat = true
	// put appends t, marked posted when it is the next term of q.
	put := func(t cterm) {
		if k < len(q) && q[k] == t.id {
			k++
			if t.w > 0 {
				t.w = -t.w
				newly = append(newly, t.id)
			}
		}
		normSq += float64(t.w) * float64(t.w)
		recentSq += float64(t.r) * float64(t.r)
		outFlat = outFlat && t.r == abs32(t.w)
		s = append(s, t)
	}
	fromOld := func(i int) cterm { t := c.term(i, n, flat); t.r *= old; return t }
	fromVec := func(e entry) cterm { return cterm{e.id, e.w, e.w * cur} }
	i, j := 0, 0
	for i < n && j < len(vec) {
		switch {
		case c[i] < vec[j].id:
			put(fromOld(i))
			i++
		case vec[j].id < c[i]:
			put(fromVec(vec[j]))
			j++
		default:
			t := fromOld(i)
			if t.w < 0 { // posted
				t.w -= vec[j].w
			} else {
				t.w += vec[j].w
			}
			t.r += vec[j].w * cur
			put(t)
			i++
			j++
		}
	}
	for ; i < n; i++ {
		put(fromOld(i))
	}
	for _, e := range vec[j:] {
		put(fromVec(e))
	}
	*sum = s
	m := len(s)
	if outFlat {
		out = make(centroid, 2*m)
	} else {
		out = make(centroid, 3*m)
	}
	for i, t := range s {
		out[i] = t.id
		out[m+i] = math.Float32bits(t.w)
		if !outFlat {
			out[2*m+i] = math.Float32bits(t.r)
		}
	}
	return out, outFlat, newly, normSq, recentSq
}

// queryTerms returns the n highest-weighted terms of an item.
func queryTerms(vec []entry, n int) []entry {
	q := slices.Clone(vec)
	slices.SortFunc(q, func(a, b entry) int {
		if a.w != b.w {
			if a.w > b.w {
				return -1
			}
			return 1
		}
		return int(a.id) - int(b.id)
	})
	if len(q) > n {
		q = q[:n]
	}
	return q
}

func (c *Clusterer) newStory(key string) int32 {
	var slot int32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		slot = int32(len(c.stories))
		c.stories = append(c.stories, storyState{})
		c.open = append(c.open, false)
	}
	st := &c.stories[slot]
	st.id = StoryID(key)
	st.story = st.id
	c.open[slot] = true
	c.byID[st.id] = slot
	if g := c.groups[st.id]; g != nil {
		// Its key is that of a closed cluster whose story lives on.
		g.slots = append(g.slots, slot)
		st.grouped = true
	}
	return slot
}
