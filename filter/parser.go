package filter

import "fmt"

// maxDepth bounds nested parentheses and NOTs.
const maxDepth = 100

// parser builds the syntax tree by recursive descent, one function per
// rule of the grammar. It flattens nested ORs and nested ANDs.
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() { p.tok = p.lex.next() }

func (p *parser) fail(t token, expected string) {
	p.lex.fail(t.off, expected, t.text)
}

func (p *parser) parseOr() node {
	var kids []node
	for {
		k := p.parseAnd()
		if or, ok := k.(*orNode); ok {
			kids = append(kids, or.kids...)
		} else {
			kids = append(kids, k)
		}
		if p.tok.kind != tokOr {
			break
		}
		p.advance()
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &orNode{kids: kids}
}

func (p *parser) parseAnd() node {
	var kids []node
	for {
		k := p.parseUnary()
		if and, ok := k.(*andNode); ok {
			kids = append(kids, and.kids...)
		} else {
			kids = append(kids, k)
		}
		if p.tok.kind != tokAnd {
			break
		}
		p.advance()
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &andNode{kids: kids}
}

func (p *parser) parseUnary() node {
	switch p.tok.kind {
	case tokNot, tokLParen:
		if p.depth >= maxDepth {
			p.fail(p.tok, fmt.Sprintf("at most %d nested parentheses and NOTs", maxDepth))
		}
		p.depth++
		defer func() { p.depth-- }()
	}
	switch p.tok.kind {
	case tokNot:
		p.advance()
		return &notNode{kid: p.parseUnary()}
	case tokLParen:
		p.advance()
		n := p.parseOr()
		if p.tok.kind != tokRParen {
			p.fail(p.tok, "AND, OR or )")
		}
		p.advance()
		return n
	case tokPred:
		n := p.tok.node
		p.advance()
		return n
	}
	p.fail(p.tok, expectPredicate)
	return nil
}
