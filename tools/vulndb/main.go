// Command vulndb turns the Go vulnerability reports of golang.org/x/vulndb
// (its data/osv folder, which the Go module proxy serves) into a database
// that govulncheck reads with -db file:///DIR, so that the scan runs on a
// machine that reaches the module proxy but not vuln.go.dev.
//
//	go run ./tools/vulndb -osv "$(go env GOMODCACHE)/golang.org/x/vulndb@VERSION/data/osv" -out DIR
//
// It writes the layout govulncheck's client asks for: index/db.json,
// index/modules.json (each module with the reports that name it) and
// ID/<id>.json (the reports as they are). The modules index leaves out
// the fixed versions, which only let the client skip reading a report:
// govulncheck reads every report of a module it uses and decides itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// osv is what the index needs of a report.
type osv struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	src := flag.String("osv", "", "the `DIR` of OSV reports (golang.org/x/vulndb's data/osv)")
	out := flag.String("out", "", "the `DIR` to write the database to")
	flag.Parse()
	if *src == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	n, err := build(*src, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
	fmt.Printf("vulndb: %d reports indexed in %s\n", n, *out)
}

// build indexes the reports in src into a database in out and returns how
// many it indexed.
func build(src, out string) (int, error) {
	files, err := filepath.Glob(filepath.Join(src, "GO-*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no GO-*.json reports in %s", src)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return 0, err
	}
	byPath := map[string]*module{}
	var (
		vulns  []vuln
		latest time.Time
	)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var r osv
		if err := json.Unmarshal(data, &r); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if r.ID == "" || strings.ContainsAny(r.ID, `/\`) {
			return 0, fmt.Errorf("%s: bad id %q", f, r.ID)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", r.ID+".json"), data, 0o644); err != nil {
			return 0, err
		}
		vulns = append(vulns, vuln{ID: r.ID, Modified: r.Modified, Aliases: r.Aliases})
		if r.Modified.After(latest) {
			latest = r.Modified
		}
		for _, a := range r.Affected {
			p := a.Package.Name
			if p == "" {
				continue
			}
			m := byPath[p]
			if m == nil {
				m = &module{Path: p}
				byPath[p] = m
			}
			if !slices.ContainsFunc(m.Vulns, func(v moduleVuln) bool { return v.ID == r.ID }) {
				m.Vulns = append(m.Vulns, moduleVuln{ID: r.ID, Modified: r.Modified})
			}
		}
	}
	modules := make([]*module, 0, len(byPath))
	for _, m := range byPath {
		modules = append(modules, m)
	}
	slices.SortFunc(modules, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": latest},
		"modules.json": modules,
		"vulns.json":   vulns,
	} {
		data, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), data, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
