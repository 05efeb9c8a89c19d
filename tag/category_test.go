package tag

import (
	"slices"
	"strings"
	"testing"

	"aggregator"
)

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"North Korea":                "north-korea",
		"Ukraine war":                "ukraine-war",
		"  Ukraine   war  ":          "ukraine-war",
		"Côte d'Ivoire":              "cote-divoire",
		"Côte d’Ivoire":              "cote-divoire",
		"Women's rights":             "womens-rights",
		"R&D":                        "r-and-d",
		"Arts & Culture":             "arts-and-culture",
		"Science/Tech":               "science-tech",
		"--World--News--":            "world-news",
		"São Tomé and Príncipe":      "sao-tome-and-principe",
		"Straße":                     "strasse",
		"Ørsted":                     "orsted",
		"ÉTATS-UNIS":                 "etats-unis",
		"Kim Jong-un":                "kim-jong-un",
		"G20":                        "g20",
		"Москва":                     "",
		"Москва Moscow":              "moscow",
		"東京 / Tokyo":                 "tokyo",
		"":                           "",
		"!!!":                        "",
		"ﬁnance (ligature)":          "finance-ligature",
		"north-korea":                "north-korea",
		"U.S. politics":              "u-s-politics",
		"Kim Jong-Un’s armoured car": "kim-jong-uns-armoured-car",
	}
	for in, want := range cases {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
		if got := Slug(in); got != "" && !validSlug(got) {
			t.Errorf("Slug(%q) = %q is not a valid slug", in, got)
		}
	}
}

func TestCategoryTags(t *testing.T) {
	tg := mustNew(t, Options{Aliases: map[string]string{
		"DPRK":          "north-korea", // keys are slugified
		"ukraine-war":   "Russia–Ukraine war",
		"uncategorized": "",
		"News":          "",
	}})
	tags := tg.Tags(Input{Item: aggregator.Item{Categories: []string{
		"DPRK", "Ukraine war", "Uncategorized", "news", "North Korea", "Arts & Culture", "  Science  ", "!!!", "Côte d'Ivoire",
	}}})
	want := []Tag{
		{"arts-and-culture", "Arts & Culture", Category},
		{"cote-divoire", "Côte d'Ivoire", Category},
		{"north-korea", "North Korea", Category},               // the first category with the slug gives the label
		{"russia-ukraine-war", "Russia–Ukraine war", Category}, // an alias's target as written
		{"science", "Science", Category},
	}
	if !slices.Equal(tags, want) {
		t.Errorf("got  %v\nwant %v", tags, want)
	}
}

func TestAliasErrors(t *testing.T) {
	for _, a := range []map[string]string{
		{"!!!": "x"},
		{"asia": "???"},
		{"Asia": "asia-pacific", "asia": "world"},
	} {
		_, err := New(Options{Aliases: a})
		if err == nil {
			t.Errorf("%v: no error", a)
		} else if !strings.Contains(err.Error(), "alias") {
			t.Errorf("%v: error %q does not name the alias", a, err)
		}
	}
}

func TestFeedTags(t *testing.T) {
	tg := mustNew(t, Options{})
	tags := tg.Tags(Input{FeedTags: []string{"Asia Pacific", "asia-pacific", "", "  ", "Korea"}})
	want := []Tag{{"asia-pacific", "Asia Pacific", Feed}, {"korea", "Korea", Feed}}
	if !slices.Equal(tags, want) {
		t.Errorf("got %v, want %v", tags, want)
	}
}
