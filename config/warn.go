package config

import "fmt"

// warnings lists what in c works, but likely not as meant. baseURLGiven
// reports whether the file gave publish.base_url.
func (c *Config) warnings(file string, lines map[string]int, baseURLGiven bool) []Problem {
	var warnings []Problem
	if !baseURLGiven {
		warnings = append(warnings, Problem{File: file, Line: lineOf(lines, "publish.base_url"), Field: "publish.base_url",
			Message: fmt.Sprintf("not set, so the outputs' ids and self links, the links between their formats, "+
				"their archive pages, _health.atom and the User-Agent name %s (from server.listen), which only the daemon "+
				"on this machine answers; if a web server serves what --once writes, or readers reach the daemon "+
				"through a proxy, set publish.base_url to the address readers use, e.g. https://news.example.com/",
				c.Publish.BaseURL)})
	}
	return warnings
}
