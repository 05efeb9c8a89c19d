package story

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"aggregator/internal/shared"
)

func realweekPath(t testing.TB) string {
	return shared.Path(t, "fixtures", "realweek", "items.jsonl")
}

func realweekAdjacent(t testing.TB) string {
	return shared.Path(t, "fixtures", "realweek", "adjacent.txt")
}

// readAdjacent reads pairs of labels that are related (neither a gold link
// nor a false merge), as listed in the fixture's adjacent.txt.
func readAdjacent(path string) (map[[2]string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	adj := map[[2]string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Fields(strings.ReplaceAll(sc.Text(), "~", " "))
		if len(parts) < 2 || strings.HasPrefix(parts[0], "#") {
			continue
		}
		for i := range parts {
			for j := i + 1; j < len(parts); j++ {
				adj[[2]string{parts[i], parts[j]}] = true
				adj[[2]string{parts[j], parts[i]}] = true
			}
		}
	}
	return adj, sc.Err()
}

// realweekBCubed scores assignments as the fixture's score.py does: over
// labelled items only (gold "u:..." = unlabelled), unlabelled members count
// against precision, members with an adjacent label are left out.
func realweekBCubed(as []Assignment, adj map[[2]string]bool) PRF {
	labelled := func(g string) bool { return !strings.HasPrefix(g, "u:") && !strings.HasPrefix(g, "\x00") }
	members := map[string]map[string]int{} // cluster -> label -> n
	csize := map[string]int{}
	gsize := map[string]int{}
	for _, a := range as {
		csize[a.Story]++
		if labelled(a.Gold) {
			gsize[a.Gold]++
			if members[a.Story] == nil {
				members[a.Story] = map[string]int{}
			}
			members[a.Story][a.Gold]++
		}
	}
	var bp, br float64
	n := 0
	for c, by := range members {
		for a, k := range by {
			near := 0
			for b, m := range by {
				if b != a && adj[[2]string{a, b}] {
					near += m
				}
			}
			bp += float64(k) * float64(k) / float64(csize[c]-near)
			br += float64(k) * float64(k) / float64(gsize[a])
			n += k
		}
	}
	if n == 0 {
		return prf(1, 1)
	}
	return prf(bp/float64(n), br/float64(n))
}

func evalFile(t testing.TB, path string, cfg Config) (Scores, []Assignment) {
	f, err := os.Open(path)
	if err != nil {
		t.Skip("fixture absent:", err)
	}
	defer f.Close()
	s, as, err := Evaluate(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, as
}

// TestRealweek: on realistic feed data (summaries, many topical items that
// report no labelled event) the default configuration must not build topic
// clusters.
func TestRealweek(t *testing.T) {
	adj, err := readAdjacent(realweekAdjacent(t))
	if err != nil {
		t.Fatal(err)
	}
	_, as := evalFile(t, realweekPath(t), DefaultConfig())
	b := realweekBCubed(as, adj)
	sizes := map[string]int{}
	for _, a := range as {
		sizes[a.Story]++
	}
	largest := slices.Max(slices.Collect(func(yield func(int) bool) {
		for _, n := range sizes {
			if !yield(n) {
				return
			}
		}
	}))
	t.Logf("bcubed precision=%.4f recall=%.4f f1=%.4f, largest story %d items", b.Precision, b.Recall, b.F1, largest)
	if b.Precision < 0.80 {
		t.Errorf("realweek B-cubed precision %.4f < 0.80", b.Precision)
	}
}

// TestExperiment prints both fixtures' scores for a grid; STORY_EXP=1.
func TestExperiment(t *testing.T) {
	if os.Getenv("STORY_EXP") == "" {
		t.Skip("STORY_EXP not set")
	}
	adj, _ := readAdjacent(realweekAdjacent(t))
	cfg := DefaultConfig()
	env := func(k string) (float64, bool) {
		v, ok := os.LookupEnv(k)
		f, _ := strconv.ParseFloat(v, 64)
		return f, ok
	}
	if v, ok := env("SW"); ok {
		cfg.SummaryWeight = v
	}
	if v, ok := env("TW"); ok {
		cfg.TitleWeight = v
	}
	if v, ok := env("PW"); ok {
		cfg.PhraseWeight = v
	}
	if v, ok := env("SM"); ok {
		cfg.MaxSummaryWords = int(v)
	}
	if v, ok := env("MS"); ok {
		cfg.MinShared = int(v)
	}
	if v, ok := env("HL"); ok {
		cfg.HalfLife = hours(v)
	}
	ths := []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.5}
	if v := os.Getenv("THS"); v != "" {
		ths = nil
		for _, f := range strings.Split(v, ",") {
			x, _ := strconv.ParseFloat(f, 64)
			ths = append(ths, x)
		}
	}
	for _, th := range ths {
		cfg.Threshold = th
		_, as := evalFile(t, realweekPath(t), cfg)
		r := realweekBCubed(as, adj)
		u, _ := evalFile(t, uciPath(t), cfg)
		fmt.Printf("th=%.3f realweek P=%.3f R=%.3f F=%.3f | uci P=%.3f R=%.3f F=%.3f\n", th, r.Precision, r.Recall, r.F1, u.BCubed.Precision, u.BCubed.Recall, u.BCubed.F1)
	}
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
