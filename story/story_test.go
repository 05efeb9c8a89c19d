package story

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"aggregator/internal/shared"
)

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"Kim Jong-un", "kim jong un"},
		{"KIM JONG UN", "kim jong un"},
		{"Kim Jong Un", "kim jong un"},
		{"Kim Jong‐un", "kim jong un"}, // U+2010 hyphen
		{"Kim’s train", "kim train"},
		{"North Korea's leader", "north korea leader"},
		{"Café Société", "cafe societe"},
		{"ＦＵＬＬＷＩＤＴＨ text", "fullwidth text"},
		{"<p>Kim <b>Jong</b> Un &amp; Putin</p><script>x()</script>", "kim jong un putin"},
		{"Pound &#163; and &#8211; dash", "pound dash"},
		{"The floods are in the cities", "flood city"},
		{"", ""},
	}
	for _, c := range cases {
		got := strings.Join(Tokens(c.in), " ")
		if got != c.want {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPhrases(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Pyongyang says North Korean leader Kim Jong-un met President Vladimir Putin at Vostochny.", []string{"north korean", "kim jong un", "vladimir putin", "vostochny"}},
		{"The Kremlin confirmed the visit.", []string{"kremlin"}},
		{"Kim Jong Un Heads To Russia For Putin Summit", nil}, // Title Case: no capitalisation signal
		{"Leaders met in the far east", nil},
	}
	for _, c := range cases {
		got := Phrases(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("Phrases(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKim(t *testing.T) {
	f, err := os.Open("testdata/kim.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, as, err := Evaluate(f, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 13 {
		t.Fatalf("got %d items", len(as))
	}
	// Every gold story must map to exactly one predicted story and back.
	g2p, p2g := map[string]string{}, map[string]string{}
	for _, a := range as {
		if p, ok := g2p[a.Gold]; ok && p != a.Story {
			t.Errorf("gold story %s split (%s)", a.Gold, a.ID)
		}
		if g, ok := p2g[a.Story]; ok && g != a.Gold {
			t.Errorf("predicted story mixes %s and %s (%s)", g, a.Gold, a.ID)
		}
		g2p[a.Gold], p2g[a.Story] = a.Story, a.Gold
	}
	if len(p2g) != 8 {
		t.Errorf("got %d stories, want 8", len(p2g))
	}
	if s.BCubed.F1 != 1 {
		t.Errorf("scores: %s", s)
	}
	// The story id derives from the first item's key.
	for _, a := range as {
		if a.Gold == "kim-train" && a.Story != StoryID("https://pacific-observer.example/2023/09/12/kim-train-far-east") {
			t.Errorf("kim-train id %s", a.Story)
		}
	}
}

func uciPath(t testing.TB) string { return shared.Path(t, "fixtures", "stories", "uci-dev.jsonl") }

func TestUCIDev(t *testing.T) {
	f, err := os.Open(uciPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _, err := Evaluate(f, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + s.String())
	if !strings.Contains(s.String(), "\npairwise precision=") || !strings.Contains(s.String(), "\nbcubed precision=") {
		t.Errorf("String() format: %q", s)
	}
	if s.BCubed.Precision < 0.90 {
		t.Errorf("B-cubed precision %.3f < 0.90", s.BCubed.Precision)
	}
	if s.BCubed.F1 < 0.80 {
		t.Errorf("B-cubed F1 %.3f < 0.80", s.BCubed.F1)
	}
}

func TestDeterminism(t *testing.T) {
	run := func() []Assignment {
		f, err := os.Open(uciPath(t))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, as, err := Evaluate(f, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatal("two runs differ")
	}
}

func TestScore(t *testing.T) {
	as := []Assignment{
		{Story: "A", Gold: "x"}, {Story: "A", Gold: "x"}, {Story: "A", Gold: "y"},
		{Story: "B", Gold: "y"},
	}
	s := Score(as)
	// pairs: predicted AA(3): 1 true; gold pairs: xx 1, yy 1.
	if fmt.Sprintf("%.3f %.3f", s.Pairwise.Precision, s.Pairwise.Recall) != "0.333 0.500" {
		t.Errorf("pairwise %+v", s.Pairwise)
	}
	// bcubed P = (2/3+2/3+1/3+1)/4, R = (1+1+1/2+1/2)/4
	if fmt.Sprintf("%.3f %.3f", s.BCubed.Precision, s.BCubed.Recall) != "0.667 0.750" {
		t.Errorf("bcubed %+v", s.BCubed)
	}
}

func TestWindowExpiry(t *testing.T) {
	c := New(DefaultConfig())
	t0 := time.Date(2023, 9, 12, 0, 0, 0, 0, time.UTC)
	id1 := c.Add(Doc{Key: "a", Title: "Volcano erupts on Iceland peninsula near Grindavik", Published: t0}).Story
	p := c.Add(Doc{Key: "b", Title: "Iceland volcano erupts near Grindavik", Published: t0.Add(time.Hour)})
	if !p.Joined || p.Story != id1 {
		t.Fatalf("near-duplicate did not join: %v %s %s", p.Joined, id1, p.Story)
	}
	// Far later: the story is closed and gone from the index.
	c.Add(Doc{Key: "c", Title: "Unrelated cycle lanes approved", Published: t0.Add(100 * time.Hour)})
	if c.Active() != 1 {
		t.Errorf("active stories = %d, want 1", c.Active())
	}
	p = c.Add(Doc{Key: "d", Title: "Iceland volcano erupts near Grindavik", Published: t0.Add(101 * time.Hour)})
	if p.Joined || p.Story != StoryID("d") {
		t.Errorf("joined an expired story: %v %s", p.Joined, p.Story)
	}
}

// synthetic generates n headlines, ~20 per story, stories starting every
// few minutes and lasting a few hours, so that ~1,000 stories are active in
// a 72h window whatever n is.
func synthetic(n int) []Doc {
	r := rand.New(rand.NewSource(1))
	common := make([]string, 2000)
	for i := range common {
		common[i] = fmt.Sprintf("word%d", i)
	}
	docs := make([]Doc, 0, n)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	type st struct {
		names []string
		start time.Time
	}
	nStories := n/20 + 1
	for s := 0; len(docs) < n; s++ {
		story := st{start: t0.Add(time.Duration(s) * 10 * time.Minute)}
		for k := 0; k < 3; k++ {
			story.names = append(story.names, fmt.Sprintf("Name%d", r.Intn(nStories*3+100)))
		}
		topic := []string{common[r.Intn(300)], common[r.Intn(300)], common[r.Intn(300)]}
		for j := 0; j < 20 && len(docs) < n; j++ {
			var b strings.Builder
			b.WriteString(story.names[0] + " " + story.names[1])
			for _, w := range topic {
				if r.Intn(3) > 0 {
					b.WriteString(" " + w)
				}
			}
			for k := 0; k < 4; k++ {
				b.WriteString(" " + common[int(r.ExpFloat64()*300)%len(common)])
			}
			if r.Intn(2) == 0 {
				b.WriteString(" " + story.names[2])
			}
			docs = append(docs, Doc{
				Key:       fmt.Sprintf("i%d", len(docs)),
				Title:     b.String(),
				Summary:   "Reported by " + story.names[2] + " on " + common[r.Intn(len(common))],
				Published: story.start.Add(time.Duration(r.Intn(6*3600)) * time.Second),
				Source:    fmt.Sprintf("src%d", r.Intn(50)),
			})
		}
	}
	slices.SortStableFunc(docs, func(a, b Doc) int { return a.Published.Compare(b.Published) })
	return docs
}

func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			docs := synthetic(n)
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				c := New(DefaultConfig())
				for _, d := range docs {
					c.Add(d)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "items/s")
			b.ReportMetric(float64(total.Nanoseconds())/float64(n*b.N), "ns/item")
			// What the clusterer keeps for its window: the live heap with a
			// clusterer that has read every doc, less the heap without it.
			with := func() uint64 {
				c := New(DefaultConfig())
				for _, d := range docs {
					c.Add(d)
				}
				h := liveHeap()
				runtime.KeepAlive(c)
				return h
			}()
			b.ReportMetric(float64(with-liveHeap())/(1<<20), "state-MiB")
			runtime.KeepAlive(docs)
		})
	}
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Feeds arrive in any order: added one after the other in every order (each
// feed's articles in published order, as the daemon settles a burst), the Kim
// feeds never give a story that mixes two events.
func TestKimAnyFeedOrder(t *testing.T) {
	f, err := os.Open("testdata/kim.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	items, err := ReadItems(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string][]Item{}
	var sources []string
	for _, it := range items {
		if bySource[it.Source] == nil {
			sources = append(sources, it.Source)
		}
		bySource[it.Source] = append(bySource[it.Source], it)
	}
	split := 0
	permute(sources, func(order []string) {
		c := New(DefaultConfig())
		var as []Assignment
		for _, src := range order {
			batch := slices.Clone(bySource[src])
			slices.SortStableFunc(batch, func(a, b Item) int { return a.Published.Compare(b.Published) })
			for _, it := range batch {
				id := c.Add(Doc{Key: it.ID, Title: it.Title, Summary: it.Summary, Published: it.Published, Source: it.Source}).Story
				as = append(as, Assignment{ID: it.ID, Story: id, Gold: it.Story})
			}
		}
		s := Score(as)
		if s.Pairwise.Precision != 1 {
			t.Errorf("feeds in order %q mix different stories: %s", order, s)
		}
		if s.BCubed.F1 != 1 {
			split++
		}
	})
	// Precision first: a borderline article (Pacific Observer's, four hours
	// before the others, against a story of one article) may start a story of
	// its own in some orders, but no order mixes two stories.
	t.Logf("%d of 120 feed orders split a story", split)
	if split > 40 {
		t.Errorf("%d of 120 feed orders split a story", split)
	}
}

// permute calls fn with every ordering of xs.
func permute(xs []string, fn func([]string)) {
	var rec func(int)
	rec = func(k int) {
		if k == len(xs) {
			fn(xs)
			return
		}
		for i := k; i < len(xs); i++ {
			xs[k], xs[i] = xs[i], xs[k]
			rec(k + 1)
			xs[k], xs[i] = xs[i], xs[k]
		}
	}
	rec(0)
}

// TestSourceStatsBounded: what the clusterer keeps per source covers the
// last two windows, not every source it ever saw.
func TestSourceStatsBounded(t *testing.T) {
	cfg := DefaultConfig()
	c := New(cfg)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const perHour = 10
	hours := int(10 * cfg.Window / time.Hour)
	for h := range hours {
		for i := range perHour {
			c.Add(Doc{Key: fmt.Sprint(h, "/", i), Title: fmt.Sprint("headline number ", i, " of hour ", h),
				Published: t0.Add(time.Duration(h) * time.Hour), Source: fmt.Sprint("source-", h, "-", i)})
		}
	}
	if limit := 2 * perHour * int(cfg.Window/time.Hour); len(c.sources) > limit {
		t.Errorf("%d sources remembered after %d hours, want at most %d (two windows)", len(c.sources), hours, limit)
	}
}

// TestLead: a long summary is cut to its lead, and the clusterer sees the
// same features in the lead as in the whole.
func TestLead(t *testing.T) {
	if s := "<p>Short <b>summary</b></p>"; Lead(s) != s {
		t.Errorf("Lead of a short summary = %q, want it whole", Lead(s))
	}
	var b strings.Builder
	for i := range 600 {
		fmt.Fprintf(&b, "<p>Paragraph %d on <a href=\"/x\">Kim Jong Un</a>’s train to Vladivostok, café ünïcödé words.</p>\n", i)
	}
	long := b.String()
	lead := Lead(long)
	if len(lead) > leadBytes || strings.Contains(lead, "<") || !utf8.ValidString(lead) || !strings.HasPrefix(strings.TrimSpace(lead), "Paragraph 0 on") {
		t.Fatalf("Lead = %d bytes: %.80q…", len(lead), lead)
	}
	c := New(DefaultConfig())
	c.features(Doc{Title: "T", Summary: long})
	whole := slices.Clone(c.terms)
	c.features(Doc{Title: "T", Summary: lead})
	if !slices.Equal(whole, c.terms) {
		t.Errorf("features of the lead differ from the whole's:\n%q\n%q", c.terms, whole)
	}
}

// TestIndexBounded: closed stories leave the index and free their slots at
// once, so what the index holds follows the stories open in the window, and a
// story is posted under exactly the terms its centroid marks as posted.
func TestIndexBounded(t *testing.T) {
	cfg := DefaultConfig()
	c := New(cfg)
	docs := synthetic(150_000) // some 7,500 stories, 1,000 open at a time
	maxActive := 0
	for _, d := range docs {
		c.Add(d)
		maxActive = max(maxActive, len(c.byID))
	}
	if len(c.stories) > maxActive {
		t.Errorf("%d story slots for at most %d open stories", len(c.stories), maxActive)
	}
	posted := map[[2]int32]bool{}
	for term := range c.post.terms {
		for _, s := range c.post.get(term) {
			if !c.open[s] {
				t.Fatalf("closed story %d still posted under term %d", s, term)
			}
			k := [2]int32{s, int32(term)}
			if posted[k] {
				t.Fatalf("story %d posted twice under term %d", s, term)
			}
			posted[k] = true
		}
	}
	n := 0
	for s, st := range c.stories {
		st.centroid.posted(st.flat, func(id uint32) {
			n++
			if !posted[[2]int32{int32(s), int32(id)}] {
				t.Fatalf("story %d marks term %d as posted but is not in its list", s, id)
			}
		})
	}
	if n != len(posted) {
		t.Errorf("%d postings, %d terms marked posted", len(posted), n)
	}
}

// BenchmarkWindow: the memory the clusterer keeps after reading a labelled
// fixture (realweek, or the JSON-lines file STORY_BENCH_ITEMS names, such
// as items exported from a bench/memory.sh store: see BENCHMARKS.md), the
// state of its last window, and the stories open in it.
// STORY_BENCH_HEAP=FILE also writes a heap profile with the clusterer live.
func BenchmarkWindow(b *testing.B) {
	path := os.Getenv("STORY_BENCH_ITEMS")
	if path == "" {
		path = realweekPath(b)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	items, err := ReadItems(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	slices.SortStableFunc(items, func(a, b Item) int { return a.Published.Compare(b.Published) })
	docs := make([]Doc, len(items))
	for i, it := range items {
		docs[i] = Doc{Key: it.ID, Title: it.Title, Summary: Lead(it.Summary), Published: it.Published, Source: it.FeedSource()}
	}
	items = nil
	base := liveHeap()
	var state uint64
	var open int
	for b.Loop() {
		c := New(DefaultConfig())
		for _, d := range docs {
			c.Add(d)
		}
		b.StopTimer()
		state = liveHeap() - base
		open = c.Active()
		if out := os.Getenv("STORY_BENCH_HEAP"); out != "" {
			w, err := os.Create(out)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.WriteHeapProfile(w); err != nil {
				b.Fatal(err)
			}
			w.Close()
		}
		runtime.KeepAlive(c)
		b.StartTimer()
	}
	b.ReportMetric(float64(state)/(1<<20), "state-MiB")
	b.ReportMetric(float64(open), "open-stories")
	b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	runtime.KeepAlive(docs)
}
