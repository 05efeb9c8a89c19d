package story

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestSweep prints scores over a threshold grid; run with
// STORY_SWEEP=path/to/items.jsonl (optional STORY_PRED=out.jsonl to write
// predictions at the default threshold, STORY_HALFLIFE=hours).
func TestSweep(t *testing.T) {
	path := os.Getenv("STORY_SWEEP")
	if path == "" {
		t.Skip("STORY_SWEEP not set")
	}
	cfg := DefaultConfig()
	if h := os.Getenv("STORY_HALFLIFE"); h != "" {
		v, _ := strconv.ParseFloat(h, 64)
		cfg.HalfLife = time.Duration(v * float64(time.Hour))
	}
	if v := os.Getenv("STORY_TW"); v != "" {
		cfg.TitleWeight, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STORY_PW"); v != "" {
		cfg.PhraseWeight, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STORY_MS"); v != "" {
		cfg.MinShared, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STORY_QT"); v != "" {
		cfg.QueryTerms, _ = strconv.Atoi(v)
		cfg.Candidates = 50
	}
	if v := os.Getenv("STORY_SB"); v != "" {
		cfg.SourceBoilerplate, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STORY_SW"); v != "" {
		cfg.SummaryWeight, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STORY_SM"); v != "" {
		cfg.MaxSummaryWords, _ = strconv.Atoi(v)
	}
	for _, th := range []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Threshold = th
		s, _, err := Evaluate(f, cfg)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("th=%.2f %s", th, s)
	}
	if out := os.Getenv("STORY_PRED"); out != "" {
		f, _ := os.Open(path)
		c := cfg
		if v := os.Getenv("STORY_TH"); v != "" {
			c.Threshold, _ = strconv.ParseFloat(v, 64)
		}
		_, as, err := Evaluate(f, c)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := os.Create(out)
		enc := json.NewEncoder(w)
		for _, a := range as {
			enc.Encode(map[string]string{"id": a.ID, "cluster": a.Story})
		}
		w.Close()
	}
}
