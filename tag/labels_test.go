package tag

import (
	"strings"
	"testing"

	"aggregator"
)

// TestOneLabelPerSlug: whatever gives a tag (a rule, a feed, a category, an
// entity) and however the article writes it, a slug has one label.
func TestOneLabelPerSlug(t *testing.T) {
	tg := mustNew(t, Options{
		Rules: []RuleSpec{
			{Name: "north-korea", Any: []string{"Pyongyang"}},   // the gazetteer's label
			{Name: "kim-jong-un", Any: []string{"kim jong un"}}, // the gazetteer's too
			{Name: "vladimir-putin", Label: "President Putin", Any: []string{"Kremlin"}},
			{Name: "arms-trade", Any: []string{"arms deal", "arms trade"}},              // from its slug's words
			{Name: "climate-change", Any: []string{"global warming", "climate change"}}, // from the phrase
			{Name: "un", Any: []string{"UN"}},
		},
		Aliases:  map[string]string{"korea-dprk": "north-korea", "world-news": "World news"},
		Entities: true,
	})
	items := []Input{
		{Item: aggregator.Item{Title: "Pyongyang says Kim Jong-un will meet Vladimir Putin in the Kremlin", Categories: []string{"NORTH KOREA"}}},
		{Item: aggregator.Item{Title: "KIM JONG UN arrives", Summary: "North Korea's leader and Vladimir Putin discuss an arms deal.", Categories: []string{"korea-dprk", "world-news"}}},
		{Item: aggregator.Item{Title: "Arms trade and global warming on the agenda", Categories: []string{"World News", "north korea", "vladimir putin"}}},
		{Item: aggregator.Item{Title: "Summit news", Categories: []string{"world news", "arms trade"}}, FeedTags: []string{"world news", "climate change"}},
	}
	want := map[string]string{
		"north-korea":    "North Korea",
		"kim-jong-un":    "Kim Jong Un",
		"vladimir-putin": "President Putin",
		"arms-trade":     "Arms Trade",
		"climate-change": "Climate Change",
		"world-news":     "World news",
	}
	seen := map[string]map[string]bool{}
	for _, in := range items {
		for _, g := range tg.Tags(in) {
			if seen[g.Slug] == nil {
				seen[g.Slug] = map[string]bool{}
			}
			seen[g.Slug][g.Label] = true
		}
	}
	for slug, label := range want {
		if len(seen[slug]) != 1 || !seen[slug][label] {
			t.Errorf("%s labelled %v, want only %q", slug, seen[slug], label)
		}
	}
}

func TestRuleLabel(t *testing.T) {
	cases := []struct {
		name  string
		specs []RuleSpec
		want  string
	}{
		{"sport", []RuleSpec{{Any: []string{"football"}}}, "Sport"},
		{"ukraine-war", []RuleSpec{{Any: []string{"Ukraine"}}}, "Ukraine War"},
		{"state-of-the-union", []RuleSpec{{Regex: []string{"SOTU"}}}, "State of the Union"},
		{"nato", []RuleSpec{{Any: []string{"North Atlantic Treaty Organization", "NATO"}}}, "NATO"},
		{"russia", []RuleSpec{{Any: []string{"Kremlin"}}}, "Russia"},
		{"kim", []RuleSpec{{Any: []string{"Kim"}}, {Label: "Kim Jong Un", Regex: []string{"Kim"}}}, "Kim Jong Un"},
	}
	for _, c := range cases {
		got, err := ruleLabel(c.name, c.specs)
		if err != nil || got != c.want {
			t.Errorf("ruleLabel(%s) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	_, err := New(Options{Rules: []RuleSpec{
		{Name: "kim", Label: "Kim Jong Un", Any: []string{"Kim"}},
		{Name: "kim", Label: "Kim Jong-un", Any: []string{"Jong"}},
	}})
	if err == nil || !strings.Contains(err.Error(), `"Kim Jong Un" and "Kim Jong-un"`) {
		t.Errorf("two labels for one rule tag: err %v", err)
	}
}
