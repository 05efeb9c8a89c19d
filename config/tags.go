package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var tagSlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// maxTagLabel is how long a tag rule's label may be, in characters.
const maxTagLabel = 100

// checkTags checks the tag rules and tagging settings, taking the rules and
// aliases in the order of their lines, then of their names. A rule's any,
// all or regex that failed to decode does not count as missing.
func (c *Config) checkTags(p *problems) {
	allowed := TagFields()
	for _, name := range byLine(p.lines, "tags", c.Tags) {
		path := "tags." + name
		r := c.Tags[name]
		if !tagSlug.MatchString(name) {
			p.addf(path, "%q: not a tag name; %s", name, slugHint(name))
		}
		if l := r.Label; l != "" && (strings.TrimSpace(l) == "" || strings.ContainsFunc(l, unicode.IsControl) || utf8.RuneCountInString(l) > maxTagLabel) {
			p.addf(path+".label", "%q: write the tag's name as people read it, on one line and at most %d characters (like \"North Korea\"), or remove the label", l, maxTagLabel)
		}
		if len(r.Any) == 0 && len(r.All) == 0 && len(r.Regex) == 0 &&
			!p.failed(path+".any") && !p.failed(path+".all") && !p.failed(path+".regex") {
			p.addf(path, "no any, all or regex; give at least one of them, or the rule tags every item")
		}
		for _, l := range []struct {
			key     string
			phrases []string
		}{{"any", r.Any}, {"all", r.All}, {"none", r.None}} {
			for i, phrase := range l.phrases {
				if strings.TrimSpace(phrase) == "" {
					p.addf(fmt.Sprintf("%s.%s[%d]", path, l.key, i), "empty; write a word or phrase, or remove the item")
				}
			}
		}
		for i, expr := range r.Regex {
			field := fmt.Sprintf("%s.regex[%d]", path, i)
			if expr == "" {
				p.addf(field, "empty, which matches every item; write a regular expression, or remove the item")
				continue
			}
			if _, err := regexp.Compile(expr); err != nil {
				p.addf(field, "%q is not a regular expression: %s; write one in Go's syntax (RE2), e.g. %s",
					expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "), `'\bKim Jong[ -]Un\b'`)
			}
		}
		seen := make(map[string]int)
		for i, f := range r.Fields {
			field := fmt.Sprintf("%s.fields[%d]", path, i)
			switch j, dup := seen[f]; {
			case !slices.Contains(allowed, f):
				p.addf(field, "%q is not a field; use %s or %s", f, strings.Join(allowed[:len(allowed)-1], ", "), allowed[len(allowed)-1])
			case dup:
				p.addf(field, "%q is listed twice (also as %s.fields[%d]); remove one", f, path, j)
			default:
				seen[f] = i
			}
		}
	}

	for _, from := range byLine(p.lines, "tagging.aliases", c.Tagging.Aliases) {
		path := "tagging.aliases." + from
		if !tagSlug.MatchString(from) {
			p.addf(path, "%q: not a category slug; %s (categories are matched by their slug)", from, slugHint(from))
			continue
		}
		if to := c.Tagging.Aliases[from]; to != "" && !tagSlug.MatchString(to) {
			p.addf(path, "%q: not a tag name; %s, or \"\" to drop the category", to, slugHint(to))
		}
	}
}

// byLine returns the keys of m, a map under path, in the order of their
// lines, then of their names.
func byLine[V any](lines map[string]int, path string, m map[string]V) []string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int {
		return cmp.Compare(lineOf(lines, path+"."+a), lineOf(lines, path+"."+b))
	})
	return keys
}

// slugHint says how to write s as a slug: "write north-korea" for
// "North Korea".
func slugHint(s string) string {
	const generic = "write lowercase letters a-z and digits, with single hyphens between words, e.g. north-korea"
	slug, ascii := slugify(s)
	if !ascii || slug == "" {
		return generic
	}
	return "write " + slug
}

// slugify lowercases s, drops accents and apostrophes, and joins the runs of
// ASCII letters and digits in between with hyphens: "Côte d'Ivoire" becomes
// cote-divoire. ascii reports whether s has no other letters or digits,
// which the slug would lose.
func slugify(s string) (slug string, ascii bool) {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(norm.NFKD.String(s)) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteRune(r)
		case r == '\'' || r == '\u2019' || unicode.Is(unicode.Mn, r):
		case r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			return "", false
		default:
			gap = true
		}
	}
	return b.String(), true
}

// checkFilters checks the outputs' filters with check, if it is not nil,
// and records in p those it rejects.
func (c *Config) checkFilters(p *problems, check func(expr string) error) {
	if check == nil {
		return
	}
	for i, o := range c.Outputs {
		if o.Filter == "" {
			continue
		}
		err := check(o.Filter)
		if err == nil {
			continue
		}
		msg := err.Error()
		var col interface{ Column() int }
		if errors.As(err, &col) && col.Column() > 0 {
			msg = fmt.Sprintf("column %d: %s", col.Column(), msg)
		}
		if o.Name != "" {
			msg = fmt.Sprintf("output %q: %s", o.Name, msg)
		}
		p.addf(fmt.Sprintf("outputs[%d].filter", i), "%s", msg)
	}
}
