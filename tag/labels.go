package tag

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// A tag has one slug, for machines (filters, Atom category terms), and one
// label, for people. Where the tagger knows a slug's label, every tag of
// that slug carries it, whatever its kind and however the article wrote it:
// a rule's label (see ruleLabel), else the written target of an alias
// ("Russia–Ukraine war"), else the gazetteer's ("North Korea", "Kim Jong
// Un"). Other tags keep the words their article used, with words
// written all in lower case capitalised ("world news" → "World News").

// knownLabels are the gazetteer's labels of countries and of names with
// variant spellings, by slug.
var knownLabels = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(gazCountries)+len(nameAliases))
	for _, c := range gazCountries {
		m[c.slug] = c.label
	}
	for _, a := range nameAliases {
		m[a.slug] = a.label
	}
	return m
})

// ruleLabel is the label of the rule tag name, whose rules are specs: the
// label the specs give (they must agree), else the gazetteer's label of the
// slug, else the first phrase of an any or all list that is written the
// way the slug is ("Kim Jong Un" for kim-jong-un), else the slug's words
// capitalised ("ukraine-war" → "Ukraine War").
func ruleLabel(name string, specs []RuleSpec) (string, error) {
	label := ""
	for _, s := range specs {
		l := strings.TrimSpace(s.Label)
		if l == "" {
			continue
		}
		if label != "" && l != label {
			return "", fmt.Errorf("tag: rule %q: labels %q and %q; give the tag one label", name, label, l)
		}
		label = l
	}
	if label != "" {
		return label, nil
	}
	if l, ok := knownLabels()[name]; ok {
		return l, nil
	}
	for _, s := range specs {
		for _, l := range [][]string{s.Any, s.All} {
			for _, p := range l {
				if Slug(p) == name {
					return capitalise(strings.Join(strings.Fields(p), " ")), nil
				}
			}
		}
	}
	return capitalise(strings.ReplaceAll(name, "-", " ")), nil
}

// aliasLabels adds to labels the label of each alias target that is not
// written as a slug ("Russia–Ukraine war", not "north-korea"), unless
// labels has one: for a slug that several aliases target, that of the
// first alias by name.
func aliasLabels(aliases map[string]string, labels map[string]string) {
	for _, from := range slices.Sorted(maps.Keys(aliases)) {
		to := strings.Join(strings.Fields(aliases[from]), " ")
		s := Slug(to)
		if _, ok := labels[s]; ok || s == "" || s == to {
			continue
		}
		labels[s] = capitalise(to)
	}
}

// smallWords stay in lower case inside a capitalised label.
var smallWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "but": true, "by": true,
	"for": true, "in": true, "of": true, "on": true, "or": true, "the": true, "to": true,
	"via": true, "vs": true,
}

// capitalise upper-cases the first letter of each space-separated word of
// s, but of small words after the first, when s has no upper-case letter;
// it returns s unchanged otherwise, for its writer chose its case ("UK
// politics", "iPhone").
func capitalise(s string) string {
	if strings.IndexFunc(s, unicode.IsUpper) >= 0 {
		return s
	}
	words := strings.Split(s, " ")
	for i, w := range words {
		if w == "" || i > 0 && smallWords[w] {
			continue
		}
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + w[n:]
	}
	return strings.Join(words, " ")
}

// label is the label of a tag the tagger found as g: the one its slug has
// where the tagger knows it, else g's words capitalised.
func (t *Tagger) label(g Tag) string {
	if l, ok := t.labels[g.Slug]; ok {
		return l
	}
	if l, ok := knownLabels()[g.Slug]; ok {
		return l
	}
	return capitalise(g.Label)
}
