package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"aggregator/config"
	"aggregator/pipeline"
	"aggregator/story"
)

const evalClustersUsage = `Usage: aggregator eval-clusters [--config FILE] [--out PRED.jsonl] FILE.jsonl

Places the items of FILE.jsonl (one JSON object a line: id, source, title,
summary, link, published, story, and optionally feed and day) in stories with
the daemon's own code, on a temporary store: the items of each day are one
--once run, in which each feed (else each source) gives its items as one
document. Prints pairwise and B-cubed precision, recall and F1 against the
"story" labels. --config takes the stories settings (threshold, window) from a
config file.

Flags:
`

// runEvalClusters implements "aggregator eval-clusters FILE.jsonl".
func runEvalClusters(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator eval-clusters", evalClustersUsage, stderr)
	configPath := fs.String("config", "", "take the stories settings from this config `FILE`")
	out := fs.String("out", "", "write {\"id\", \"cluster\"} per item to this `FILE`")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: exitUsage, err: errors.New("eval-clusters takes one FILE.jsonl")}
	}
	sc := story.DefaultConfig()
	if *configPath != "" {
		cfg, err := config.LoadFile(*configPath)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		sc = storyConfig(cfg)
	}
	f, err := os.Open(files[0])
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	items, err := story.ReadItems(f)
	f.Close()
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", files[0], err)}
	}
	assignments, err := pipeline.Evaluate(ctx, items, sc)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	fmt.Fprint(stdout, story.Score(assignments))
	if *out == "" {
		return nil
	}
	w, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, a := range assignments {
		if err := enc.Encode(struct {
			ID      string `json:"id"`
			Cluster string `json:"cluster"`
		}{a.ID, a.Story}); err != nil {
			w.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
