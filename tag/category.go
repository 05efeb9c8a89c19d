package tag

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"aggregator/internal/text"
)

// Kind says where a tag comes from.
type Kind uint8

const (
	Rule     Kind = iota + 1 // from a config rule
	Feed                     // from the feed's config
	Category                 // from the item's own categories
	Entity                   // found in the text without any rule
)

// String names the kind: "rule", "feed", "category", "entity".
func (k Kind) String() string {
	switch k {
	case Rule:
		return "rule"
	case Feed:
		return "feed"
	case Category:
		return "category"
	case Entity:
		return "entity"
	}
	return "unknown"
}

// Tag is one tag of an item.
type Tag struct {
	Slug  string // lower-case, [a-z0-9-]; what filters match
	Label string // for people, one per slug where the tagger knows it ("North Korea", "Vladimir Putin"); see labels.go
	Kind  Kind
}

// Slug turns a label into a tag slug:
//
//   - compatibility-decompose (NFKD) and drop combining marks, so accents
//     fold away ("Pétain" → "petain"); a few letters without a decomposition
//     are spelled out (ø → o, ß → ss, æ → ae, ł → l, ...);
//   - upper case is lowered;
//   - "&" becomes the word "and" ("R&D" → "r-and-d");
//   - apostrophes (' ’ ‘ ʼ) are deleted, not treated as breaks
//     ("Côte d'Ivoire" → "cote-divoire", "Women's rights" → "womens-rights");
//   - every other run of characters that are not ASCII letters or digits
//     (punctuation, spaces, and letters of scripts without a Latin
//     decomposition) becomes one hyphen; hyphens at the ends are trimmed.
//
// The result matches ^[a-z0-9]+(-[a-z0-9]+)*$ or is empty.
func Slug(s string) string {
	if !text.IsASCII(s) {
		s = norm.NFKD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	gap := false
	put := func(w string) {
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		gap = false
		b.WriteString(w)
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteByte(byte(r))
		case 'A' <= r && r <= 'Z':
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteByte(byte(r + 'a' - 'A'))
		case r == '&':
			gap = true
			put("and")
			gap = true
		case text.IsApostrophe(r), unicode.Is(unicode.Mn, r):
			// deleted
		default:
			if sp, ok := text.Spell(r); ok {
				put(sp)
				continue
			}
			gap = true
		}
	}
	return b.String()
}

// validSlug reports whether s is a non-empty slug: ^[a-z0-9]+(-[a-z0-9]+)*$.
func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// compileAliases slugifies the keys and values of a category alias map.
func compileAliases(m map[string]string) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		ks := Slug(k)
		if ks == "" {
			return nil, fmt.Errorf("tag: alias %q: the category has no letters or digits", k)
		}
		vs := Slug(v)
		if vs == "" && strings.TrimSpace(v) != "" {
			return nil, fmt.Errorf("tag: alias %q: target %q has no letters or digits (use \"\" to drop the category)", k, v)
		}
		if prev, ok := out[ks]; ok && prev != vs {
			return nil, fmt.Errorf("tag: alias %q: another alias has the same slug %q but a different target", k, ks)
		}
		out[ks] = vs
	}
	return out, nil
}

// categoryTags turns an item's upstream categories into tags: slugified,
// then mapped or dropped through the aliases (one step; an alias's target is
// not looked up again). The label is the category as written, trimmed; an
// alias's target is labelled by its words, not by the category it renames.
func categoryTags(cats []string, aliases map[string]string, add func(Tag)) {
	for _, c := range cats {
		s := Slug(c)
		if s == "" {
			continue
		}
		label := strings.TrimSpace(c)
		if a, ok := aliases[s]; ok {
			if a == "" {
				continue
			}
			s, label = a, strings.ReplaceAll(a, "-", " ")
		}
		add(Tag{Slug: s, Label: label, Kind: Category})
	}
}

// feedTags turns the tags a feed's config gives into tags.
func feedTags(tags []string, add func(Tag)) {
	for _, t := range tags {
		if s := Slug(t); s != "" {
			add(Tag{Slug: s, Label: strings.TrimSpace(t), Kind: Feed})
		}
	}
}
