package filter

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// matcher holds one Match call's subject and what has been derived from it,
// computed at most once per call.
type matcher struct {
	s     Subject
	now   time.Time
	done  uint8 // have* bits
	title string
	text  string
	hay   string
	count int
}

const (
	haveTitle uint8 = 1 << iota
	haveText
	haveHay
	haveCount
)

func (m *matcher) titleWords() string {
	if m.done&haveTitle == 0 {
		m.title, m.done = words(m.s.Title), m.done|haveTitle
	}
	return m.title
}

// plain returns the subject's text, getting it from TextOf if need be.
func (m *matcher) plain() string {
	if m.s.TextOf != nil {
		m.s.Text, m.s.TextOf = m.s.TextOf(), nil
	}
	return m.s.Text
}

func (m *matcher) textWords() string {
	if m.done&haveText == 0 {
		m.text, m.done = words(m.plain()), m.done|haveText
	}
	return m.text
}

func (m *matcher) haystack() string {
	if m.done&haveHay == 0 {
		m.hay, m.done = m.s.Title+" "+m.plain(), m.done|haveHay
	}
	return m.hay
}

// sourceCount returns the number of distinct outlets: non-blank names,
// compared ignoring case and surrounding space.
func (m *matcher) sourceCount() int {
	if m.done&haveCount == 0 {
		n := 0
		src := m.s.Sources
	outer:
		for i, a := range src {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			for _, b := range src[:i] {
				if strings.EqualFold(a, strings.TrimSpace(b)) {
					continue outer
				}
			}
			n++
		}
		m.count, m.done = n, m.done|haveCount
	}
	return m.count
}

// eval reports whether the subject passes n.
func (m *matcher) eval(n node) bool {
	switch n := n.(type) {
	case *orNode:
		for _, k := range n.kids {
			if m.eval(k) {
				return true
			}
		}
		return false
	case *andNode:
		for _, k := range n.kids {
			if !m.eval(k) {
				return false
			}
		}
		return true
	case *notNode:
		return !m.eval(n.kid)
	case *tagNode:
		for _, t := range m.s.Tags {
			if strings.EqualFold(t, n.slug) {
				return true
			}
		}
		return false
	case *sourceNode:
		for _, s := range m.s.Feeds {
			if strings.EqualFold(strings.TrimSpace(s), n.name) || strings.EqualFold(urlHost(s), n.name) {
				return true
			}
		}
		return false
	case *phraseNode:
		return hasPhrase(m.titleWords(), n.words) ||
			n.inText && hasPhrase(m.textWords(), n.words)
	case *regexNode:
		return n.re.MatchString(m.haystack())
	case *langNode:
		l := strings.TrimSpace(m.s.Lang)
		p := n.prefix
		return len(l) >= len(p) && strings.EqualFold(l[:len(p)], p) &&
			(len(l) == len(p) || l[len(p)] == '-' || l[len(p)] == '_')
	case *ageNode:
		if m.s.Published.IsZero() {
			return false
		}
		return compare(m.now.Sub(m.s.Published), n.op, n.d)
	case *countNode:
		return compare(m.sourceCount(), n.op, n.n)
	}
	panic(fmt.Sprintf("filter: unknown node %T", n))
}

// urlHost is the host of a feed known by its URL, "" for a feed known by
// its name.
func urlHost(feed string) string {
	u, err := url.Parse(strings.TrimSpace(feed))
	if err != nil || u.Scheme == "" {
		return ""
	}
	return u.Hostname()
}

// hasPhrase reports whether the words phrase occur in the words text as
// whole words; both are forms that words returns.
func hasPhrase(text, phrase string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], phrase)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(phrase)
		if (i == 0 || text[i-1] == ' ') && (end == len(text) || text[end] == ' ') {
			return true
		}
		from = i + 1
	}
}
