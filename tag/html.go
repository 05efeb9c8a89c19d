package tag

import "aggregator/internal/text"

// htmlText are tagging's rules for the text of an HTML field: the tag of
// an element that is not inline ends a block (paraSep), which a phrase does
// not match across, and the content of scripts, styles and the fallbacks a
// reader does not see as the article (noscript, template, iframe, object)
// is dropped.
var htmlText = text.Options{
	Sep:   paraSep,
	Break: func(name string, _ bool) bool { return !text.Inline(name) },
	Drop:  hiddenContent,
}

// hiddenContent reports the elements whose content is not the article's
// text.
func hiddenContent(name string) bool {
	switch name {
	case "script", "style", "noscript", "template", "iframe", "object":
		return true
	}
	return false
}
