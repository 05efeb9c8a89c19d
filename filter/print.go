package filter

import (
	"strconv"
	"strings"
	"unicode"
)

// The canonical form: how String prints a filter.

// Precedences, from the loosest binding.
const (
	precOr = 1 + iota
	precAnd
	precNot
	precAtom
)

func prec(n node) int {
	switch n.(type) {
	case *orNode:
		return precOr
	case *andNode:
		return precAnd
	case *notNode:
		return precNot
	}
	return precAtom
}

// write writes n to b, in parentheses if it binds less tightly than its
// context, whose precedence is outer.
func write(b *strings.Builder, n node, outer int) {
	if prec(n) < outer {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch n := n.(type) {
	case *orNode:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" OR ")
			}
			write(b, k, precOr)
		}
	case *andNode:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" AND ")
			}
			write(b, k, precAnd)
		}
	case *notNode:
		b.WriteString("NOT ")
		write(b, n.kid, precNot)
	case *tagNode:
		b.WriteString("tag:")
		b.WriteString(n.slug)
	case *sourceNode:
		b.WriteString("source:")
		b.WriteString(quote(n.name))
	case *phraseNode:
		if n.inText {
			b.WriteString("text:")
		} else {
			b.WriteString("title:")
		}
		b.WriteString(quote(n.raw))
	case *regexNode:
		b.WriteByte('/')
		for i := 0; i < len(n.src); i++ {
			switch ch := n.src[i]; {
			case ch == '\\' && i+1 < len(n.src):
				b.WriteString(n.src[i : i+2])
				i++
			case ch == '/':
				b.WriteString(`\/`)
			default:
				b.WriteByte(ch)
			}
		}
		b.WriteByte('/')
	case *langNode:
		b.WriteString("lang:")
		b.WriteString(n.prefix)
	case *ageNode:
		b.WriteString("age")
		b.WriteString(opText[n.op])
		b.WriteString(formatDuration(n.d))
	case *countNode:
		b.WriteString("sources")
		b.WriteString(opText[n.op])
		b.WriteString(strconv.Itoa(n.n))
	}
}

// quote returns s bare if it is a run of letters, digits, '-', '_' and '.',
// else in double quotes with '"' and '\' escaped.
func quote(s string) string {
	bare := s != ""
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			bare = false
			break
		}
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
