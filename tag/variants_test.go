package tag

import (
	"strings"
	"testing"

	"aggregator"
)

func TestNameVariants(t *testing.T) {
	tg := mustNew(t, Options{Entities: true})
	cases := []struct{ written, slug, label string }{
		{"Volodymyr Zelensky", "volodymyr-zelensky", "Volodymyr Zelensky"},
		{"Volodymyr Zelenskiy", "volodymyr-zelensky", "Volodymyr Zelensky"},
		{"Volodymyr Zelenskyy", "volodymyr-zelensky", "Volodymyr Zelensky"},
		{"VOLODYMYR ZELENSKYY", "volodymyr-zelensky", "Volodymyr Zelensky"},
		{"Sergey Lavrov", "sergei-lavrov", "Sergei Lavrov"},
		{"Sergei Lavrov", "sergei-lavrov", "Sergei Lavrov"},
		{"Dmitri Peskov", "dmitry-peskov", "Dmitry Peskov"},
		{"Evgeny Prigozhin", "yevgeny-prigozhin", "Yevgeny Prigozhin"},
		{"Alexey Navalny", "alexei-navalny", "Alexei Navalny"},
		{"Moammar Gadhafi", "muammar-gaddafi", "Muammar Gaddafi"},
		{"Muammar al-Gaddafi", "muammar-gaddafi", "Muammar Gaddafi"},
		{"Mohammad bin Salman", "mohammed-bin-salman", "Mohammed bin Salman"},
		{"Bashar Assad", "bashar-al-assad", "Bashar al-Assad"},
		{"Abdel Fattah al-Sissi", "abdel-fattah-el-sisi", "Abdel Fattah el-Sisi"},
		{"Tayyip Erdogan", "recep-tayyip-erdogan", "Recep Tayyip Erdoğan"},
		// Accents, hyphens and case need no entry, and take the listed label.
		{"Recep Tayyip Erdogan", "recep-tayyip-erdogan", "Recep Tayyip Erdoğan"},
		{"Kim Jong-un", "kim-jong-un", "Kim Jong Un"},
		// Another person of the same family name is not unified.
		{"Olena Zelenska", "olena-zelenska", "Olena Zelenska"},
	}
	for _, c := range cases {
		t.Run(c.written, func(t *testing.T) {
			text := "Officials said " + c.written + " would attend the talks."
			var got []Tag
			for _, g := range tg.Tags(Input{Item: aggregator.Item{Summary: text}}) {
				if g.Kind == Entity {
					got = append(got, g)
				}
			}
			if len(got) != 1 || got[0].Slug != c.slug || got[0].Label != c.label {
				t.Errorf("%q: got %v, want one entity %s (%q)", text, got, c.slug, c.label)
			}
		})
	}
	// Two spellings of one name in an item give one tag.
	tags := tg.Tags(Input{Item: aggregator.Item{
		Title:   "Zelenskiy meets Biden",
		Summary: "Volodymyr Zelenskiy arrived on Tuesday. Volodymyr Zelenskyy then addressed lawmakers.",
	}})
	if got := slugs(tags, Entity); len(got) != 1 || got[0] != "volodymyr-zelensky" {
		t.Errorf("two spellings: got %v, want [volodymyr-zelensky]", tags)
	}
}

func TestNameVariantData(t *testing.T) {
	for line := range strings.Lines(nameVariantData) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		label, variants, _ := strings.Cut(line, "|")
		slug := Slug(label)
		if !validSlug(slug) || strings.Count(slug, "-") < 1 {
			t.Errorf("%q: slug %q is not a full name's", label, slug)
		}
		for v := range strings.SplitSeq(variants, ",") {
			a, ok := nameAliases[phraseKey(v)]
			if !ok || a.slug != slug || a.label != label {
				t.Errorf("%q: variant %q maps to %v", label, v, a)
			}
			if phraseKey(v) == phraseKey(label) {
				t.Errorf("%q: variant %q is the same name", label, v)
			}
		}
	}
}

func phraseKey(s string) string { return strings.Join(phraseTokens(s), " ") }
