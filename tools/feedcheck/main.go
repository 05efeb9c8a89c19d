// Command feedcheck checks published feeds (.atom, .rss and .json files)
// against the rules of the W3C Feed Validation Service and of JSON Feed 1.1
// that the aggregator's outputs can meet, warnings included.
//
//	feedcheck [-base URL] DIR|FILE...
//
// With -base, each file's self link must be base plus its path relative to
// the folder named (as --once writes publish.dir for publish.base_url). It
// prints one line a problem and exits 1 when there is any.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aggregator/internal/feedcheck"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "feedcheck:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("feedcheck", flag.ContinueOnError)
	base := fl.String("base", "", "the URL the folder is published at; self links must match it")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("usage: feedcheck [-base URL] DIR|FILE, one or more")
	}
	problems, files := 0, 0
	for _, root := range fl.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			ext := filepath.Ext(path)
			if ext != ".atom" && ext != ".rss" && ext != ".json" {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			location := ""
			if *base != "" {
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				if rel == "." {
					rel = filepath.Base(path)
				}
				location = strings.TrimSuffix(*base, "/") + "/" + filepath.ToSlash(rel)
			}
			found, err := feedcheck.Check(path, data, location, time.Now())
			if err != nil {
				return err
			}
			files++
			for _, p := range found {
				fmt.Fprintf(stdout, "%s: %s\n", path, p)
			}
			problems += len(found)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problems in %d feeds", problems, files)
	}
	fmt.Fprintf(stdout, "feedcheck: %d feeds, no problems\n", files)
	return nil
}
