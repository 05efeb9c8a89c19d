package config

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Problem is one thing wrong with a config.
type Problem struct {
	File    string // as given to Load; "" reads as "<config>"
	Line    int    // 0 if unknown
	Field   string // field path, e.g. "feeds[3].url"; "" for the file as a whole
	Message string // what is wrong and how to fix it
}

// String formats p as "file:line: field: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(cmp.Or(p.File, "<config>"))
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// problems collects the problems found in one config file, each naming the
// file and, when lines knows it, the line of its field.
type problems struct {
	file  string
	lines map[string]int // field path → line; nil for none
	// decodeFailed reports the paths that failed to decode (nil for none):
	// their values are not worth checking.
	decodeFailed func(path string) bool
	list         []Problem
}

// addf records a problem with the field at path.
func (p *problems) addf(path, format string, args ...any) {
	p.list = append(p.list, Problem{
		File:    p.file,
		Line:    lineOf(p.lines, path),
		Field:   path,
		Message: fmt.Sprintf(format, args...),
	})
}

// failed reports whether path, or a field holding it, failed to decode.
func (p *problems) failed(path string) bool {
	return p.decodeFailed != nil && p.decodeFailed(path)
}

// Error is the error Load and Validate return for an invalid config. It
// lists every problem found.
type Error struct {
	Problems []Problem
}

// Error returns one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// newError returns an *Error listing problems in file order, or nil if there
// are none. Problems without a line come last.
func newError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
	return &Error{Problems: problems}
}

func sortLine(line int) int {
	if line <= 0 {
		return math.MaxInt
	}
	return line
}
