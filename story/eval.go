package story

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"time"
)

// Item is one line of an evaluation file (JSON lines).
type Item struct {
	ID        string    `json:"id"`
	Source    string    `json:"source"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Link      string    `json:"link"`
	Published time.Time `json:"published"`
	Story     string    `json:"story"` // gold label; empty = singleton
	// Feed is the feed document the item came from, when known (realweek's
	// "feeds/<day>/<slug>.xml"); the daemon tells sources apart by feed.
	Feed string `json:"feed,omitempty"`
	// Day is the capture the item arrived in, when known: one --once run.
	Day string `json:"day,omitempty"`
}

// FeedSource is the source the daemon would give the item: its feed (the
// document's name, the same every day) when known, else its outlet.
func (it Item) FeedSource() string {
	if it.Feed != "" {
		return path.Base(it.Feed)
	}
	return it.Source
}

// Assignment is the clustering decision for one evaluation item.
type Assignment struct {
	ID     string  `json:"id"`
	Story  string  `json:"cluster"` // predicted story id
	Gold   string  `json:"gold"`
	Joined bool    `json:"joined"`
	Score  float64 `json:"score"`
}

// PRF is a precision/recall/F1 triple.
type PRF struct{ Precision, Recall, F1 float64 }

func prf(p, r float64) PRF {
	f := 0.0
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return PRF{p, r, f}
}

// Scores are the clustering scores against the gold labels.
type Scores struct {
	Items, Stories, GoldStories int
	Pairwise, BCubed            PRF
}

func (s Scores) String() string {
	return fmt.Sprintf("items=%d stories=%d gold=%d\npairwise precision=%.3f recall=%.3f f1=%.3f\nbcubed precision=%.3f recall=%.3f f1=%.3f\n",
		s.Items, s.Stories, s.GoldStories,
		s.Pairwise.Precision, s.Pairwise.Recall, s.Pairwise.F1,
		s.BCubed.Precision, s.BCubed.Recall, s.BCubed.F1)
}

// ReadItems reads JSON-lines items.
func ReadItems(r io.Reader) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var it Item
		if err := json.Unmarshal(b, &it); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		items = append(items, it)
	}
	return items, sc.Err()
}

// Evaluate reads JSON-lines items {"id","source","title","summary","link",
// "published","story"}, sorts them by published (stable), clusters them with
// cfg and scores the result against "story" (pairwise and B-cubed, over all
// items; an item without a label is its own gold story). Assignments are in
// clustering order, each with the story the item is finally published in.
func Evaluate(r io.Reader, cfg Config) (Scores, []Assignment, error) {
	items, err := ReadItems(r)
	if err != nil {
		return Scores{}, nil, err
	}
	as := cluster(items, cfg)
	return Score(as), as, nil
}

// cluster sorts items by published (stable) and clusters them with cfg.
func cluster(items []Item, cfg Config) []Assignment {
	slices.SortStableFunc(items, func(a, b Item) int { return a.Published.Compare(b.Published) })
	c := New(cfg)
	as := make([]Assignment, len(items))
	into := map[string]string{} // merged stories: absorbed -> survivor
	for i, it := range items {
		key := it.ID
		if key == "" {
			key = it.Link
		}
		pl := c.Add(Doc{Key: key, Title: it.Title, Summary: Lead(it.Summary), Published: it.Published, Source: it.FeedSource()})
		gold := it.Story
		if gold == "" {
			gold = "\x00" + key
		}
		as[i] = Assignment{ID: it.ID, Story: pl.Story, Gold: gold, Joined: pl.Joined, Score: pl.Score}
		for _, m := range pl.Merges {
			into[m] = pl.Story
		}
	}
	relabel(as, into)
	return as
}

// relabel gives each assignment the story it is finally published in,
// following into (absorbed story -> the one it was merged into, as
// Placement.Merges tells): a merge moves the earlier items too.
func relabel(as []Assignment, into map[string]string) {
	for i := range as {
		s := as[i].Story
		for {
			t, ok := into[s]
			if !ok {
				break
			}
			s = t
		}
		as[i].Story = s
	}
}

// Score computes pairwise and B-cubed precision/recall/F1 of assignments.
func Score(as []Assignment) Scores {
	type cell struct{ c, g string }
	joint := map[cell]int{}
	csize := map[string]int{}
	gsize := map[string]int{}
	for _, a := range as {
		joint[cell{a.Story, a.Gold}]++
		csize[a.Story]++
		gsize[a.Gold]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var tp, pp, gp, bp, br float64
	for k, n := range joint {
		tp += pairs(n)
		bp += float64(n) * float64(n) / float64(csize[k.c])
		br += float64(n) * float64(n) / float64(gsize[k.g])
	}
	for _, n := range csize {
		pp += pairs(n)
	}
	for _, n := range gsize {
		gp += pairs(n)
	}
	p, r := 1.0, 1.0
	if pp > 0 {
		p = tp / pp
	}
	if gp > 0 {
		r = tp / gp
	}
	s := Scores{Items: len(as), Stories: len(csize), GoldStories: len(gsize), Pairwise: prf(p, r)}
	if n := float64(len(as)); n > 0 {
		s.BCubed = prf(bp/n, br/n)
	}
	return s
}
