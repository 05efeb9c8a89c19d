package fetch

import (
	"net/url"
	"strings"
	"testing"

	"aggregator/internal/xsstest"
)

// The classic cross-site scripting vectors leave no active content behind.
func TestSanitizeXSSVectors(t *testing.T) {
	base, _ := url.Parse("https://news.example/2023/09/12/story")
	forbidden := []string{
		"<script", "javascript:", "onerror", "onload", "onmouseover", "ontoggle", "<iframe", "<object",
		"<embed", "expression(", "<style", "<link", "<meta", "<base", "<form", "data:text/html", "<svg", "xlink:href",
	}
	for _, v := range xsstest.Vectors {
		out := strings.ToLower(sanitizeHTML(v, base))
		for _, bad := range forbidden {
			if strings.Contains(out, bad) {
				t.Errorf("sanitizeHTML(%q) = %q: contains %q", v, out, bad)
			}
		}
	}
}
