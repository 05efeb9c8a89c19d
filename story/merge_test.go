package story

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestMergeSweep prints, over a grid of Config.MergeThreshold and
// MergeAge, the realweek pairwise scores of the whole week and of each
// half alone (18-19 and 20-21 September: choose on one, judge on the
// other) and uci-dev's B-cubed; STORY_MERGE=1 (STORY_MERGE_MARGIN sets
// Config.MergeMargin).
func TestMergeSweep(t *testing.T) {
	if os.Getenv("STORY_MERGE") == "" {
		t.Skip("STORY_MERGE not set")
	}
	adj, err := readAdjacent(realweekAdjacent(t))
	if err != nil {
		t.Skip("adjacent.txt absent:", err)
	}
	week := readFixture(t, realweekPath(t))
	uci := readFixture(t, uciPath(t))
	var early, late []Item
	for _, it := range week {
		if it.Day <= "2023-09-19" {
			early = append(early, it)
		} else {
			late = append(late, it)
		}
	}
	run := func(items []Item, cfg Config) []Assignment {
		return cluster(append([]Item(nil), items...), cfg)
	}
	for _, age := range []float64{0, 12, 24, 36} {
		for _, t2 := range []float64{0.5, 0.6, 0.7} {
			cfg := DefaultConfig()
			cfg.MergeThreshold, cfg.MergeAge = t2, time.Duration(age*float64(time.Hour))
			if m, err := strconv.ParseFloat(os.Getenv("STORY_MERGE_MARGIN"), 64); err == nil {
				cfg.MergeMargin = m
			}
			w := pairwise(run(week, cfg), adj)
			a := pairwise(run(early, cfg), adj)
			b := pairwise(run(late, cfg), adj)
			u := Score(run(uci, cfg)).BCubed
			fmt.Printf("t2=%.2f age=%2.0fh week P=%.3f R=%.3f F=%.3f | 18-19 F=%.3f | 20-21 F=%.3f | uci P=%.3f F=%.3f\n",
				t2, age, w.Precision, w.Recall, w.F1, a.F1, b.F1, u.Precision, u.F1)
			if age == 0 {
				break
			}
		}
	}
}
