package filter

import (
	"regexp"
	"time"
)

// node is a node of the syntax tree: an operator or a predicate.
type node interface{ isNode() }

type (
	orNode  struct{ kids []node }
	andNode struct{ kids []node }
	notNode struct{ kid node }

	tagNode    struct{ slug string }
	sourceNode struct{ name string } // trimmed
	phraseNode struct {
		inText bool   // text: (title or text) rather than title:
		raw    string // as written, trimmed
		words  string // words(raw)
	}
	regexNode struct {
		src string // the pattern, with \/ unescaped
		re  *regexp.Regexp
	}
	langNode struct{ prefix string } // lower-case, hyphens
	ageNode  struct {
		op op
		d  time.Duration
	}
	countNode struct {
		op op
		n  int
	}
)

func (*orNode) isNode()     {}
func (*andNode) isNode()    {}
func (*notNode) isNode()    {}
func (*tagNode) isNode()    {}
func (*sourceNode) isNode() {}
func (*phraseNode) isNode() {}
func (*regexNode) isNode()  {}
func (*langNode) isNode()   {}
func (*ageNode) isNode()    {}
func (*countNode) isNode()  {}

// op is the comparison of an age or sources predicate.
type op uint8

const (
	opLT op = iota
	opLE
	opGT
	opGE
	opEQ
)

var opText = [...]string{opLT: "<", opLE: "<=", opGT: ">", opGE: ">=", opEQ: "="}

func compare[T int | time.Duration](a T, o op, b T) bool {
	switch o {
	case opLT:
		return a < b
	case opLE:
		return a <= b
	case opGT:
		return a > b
	case opGE:
		return a >= b
	default:
		return a == b
	}
}
