package tag

import (
	"slices"
	"strings"
	"testing"

	"aggregator"
)

func TestGazetteerData(t *testing.T) {
	if n := len(gazCountries); n < 196 { // 193 UN members + Taiwan, Kosovo, Palestine
		t.Errorf("%d countries, want at least 196", n)
	}
	seen := map[string]bool{}
	for _, c := range gazCountries {
		if !validSlug(c.slug) {
			t.Errorf("invalid slug %q", c.slug)
		}
		if Slug(c.label) != c.slug {
			t.Errorf("slug %q is not Slug(%q) = %q", c.slug, c.label, Slug(c.label))
		}
		if seen[c.slug] {
			t.Errorf("duplicate country %q", c.slug)
		}
		seen[c.slug] = true
	}
	for _, must := range []string{"north-korea", "south-korea", "united-states", "united-kingdom", "taiwan", "kosovo", "palestine", "russia", "ukraine"} {
		if !seen[must] {
			t.Errorf("no %s", must)
		}
	}
}

// Every variant of the gazetteer names its own country in plain running text.
func TestGazetteerVariants(t *testing.T) {
	tg := mustNew(t, Options{Entities: true})
	for line := range strings.Lines(gazetteerData) {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 5 {
			continue
		}
		slug := f[0]
		for i, list := range f[2:] {
			for v := range strings.SplitSeq(list, ",") {
				if v == "" || strings.HasPrefix(v, "?") || strings.HasPrefix(v, "?~") {
					continue
				}
				v = strings.TrimLeft(v, "~^")
				text := "Officials flew to " + v + " on the same day."
				if i == 1 { // adjectives and demonyms
					text = "Officials met the " + v + " delegation on the same day."
				}
				tags := tg.Tags(Input{Item: aggregator.Item{Summary: text}})
				got := slugs(tags, Entity)
				if !slices.Contains(got, slug) {
					t.Errorf("%q: no %s in %v", text, slug, tags)
				}
				if len(got) != 1 {
					t.Errorf("%q: want only %s, got %v", text, slug, tags)
				}
			}
		}
	}
}

func TestGazetteerContext(t *testing.T) {
	tg := mustNew(t, Options{Entities: true})
	cases := []struct {
		text string
		want string // "" = no country
	}{
		{"Talks resumed in Paris after a pause.", "france"},
		{"The heiress Paris Hilton launched a perfume.", ""},
		{"Shares in Bank of America fell.", ""},
		{"The Latin American summit ended.", ""},
		{"The Native American delegation arrived.", ""},
		{"Ships crossed the Indian Ocean.", ""},
		{"Indian officials said the talks were over.", "india"},
		{"Polish the silver before dinner.", ""},
		{"The Polish government objected.", "poland"},
		{"Talks in Washington, D.C. ended late.", "united-states"},
		{"He grew up in New Mexico with his parents.", ""},
		{"A Pro-Russian rally was held.", "russia"},
		{"The Russia-Ukraine war goes on.", "russia"},
		{"The Russia-Ukraine war goes on.", "ukraine"},
		{"LET US KNOW WHAT YOU THINK ABOUT THE PLANS", ""},
		{"US AND UK AGREE TRADE DEAL", "united-kingdom"},
		{"Officials met the DPRK envoy.", "north-korea"},
		{"Officials met the D.P.R.K. envoy.", "north-korea"},
		{"The dprk envoy arrived.", ""},
		{"Côte d'Ivoire won the match.", "cote-divoire"},
		{"Cote d’Ivoire won the match.", "cote-divoire"},
		{"The turkey was served at dinner.", ""},
	}
	for _, c := range cases {
		tags := tg.Tags(Input{Item: aggregator.Item{Summary: c.text}})
		var countries []string
		for _, g := range tags {
			if slices.ContainsFunc(gazCountries, func(gc gazCountry) bool { return gc.slug == g.Slug }) {
				countries = append(countries, g.Slug)
			}
		}
		if c.want == "" && len(countries) > 0 {
			t.Errorf("%q: want no country, got %v", c.text, countries)
		}
		if c.want != "" && !slices.Contains(countries, c.want) {
			t.Errorf("%q: no %s in %v", c.text, c.want, tags)
		}
	}
}
