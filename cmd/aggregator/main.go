// Command aggregator fetches the feeds in its config, merges and deduplicates
// their items, and republishes them as Atom feeds: as a daemon with an HTTP
// server, or once (--once) writing files, for cron.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"aggregator/config"
	"aggregator/store"
	"aggregator/story"
)

// Exit codes.
const (
	exitOK        = 0
	exitFeeds     = 1 // the cycle ran, but some feeds failed
	exitUsage     = 2 // bad usage or bad config
	exitCannotRun = 3 // could not run at all
	exitLocked    = 4 // another --once run holds the store's lock
)

func main() {
	// Catch the signals before anything else: SIGINT and SIGTERM stop the
	// program, and a SIGHUP is held until the daemon can reload, so that one
	// sent while it starts does not kill it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runHup(ctx, os.Args[1:], os.Stdout, os.Stderr, hup)
	stop()
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(os.Stderr, "aggregator:", err)
		}
	}
	os.Exit(exitCode(err))
}

// exitError carries an exit code other than exitCannotRun.
type exitError struct {
	code int
	err  error // nil when everything has been said already
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitCannotRun
}

const usage = `Usage:
  aggregator [--config FILE]            run the daemon: fetch on schedule, serve the outputs over HTTP
  aggregator --config FILE --once       fetch every feed that may be fetched now, write the outputs, exit
  aggregator --config FILE --check      validate the config and exit
  aggregator status --config FILE       show each feed's health (--json for scripts)
  aggregator explain --config FILE URL  show the story of an article and why its articles are together
  aggregator eval-clusters FILE.jsonl   cluster labelled items as the daemon would and score the result
  aggregator import-opml FILE.opml      print the feeds: entries of an OPML export, to paste into a config
  aggregator discover URL               print the feeds: entries of the feeds a web site offers
  aggregator version                    print the version

FILE defaults to ./config.yaml, else $AGGREGATOR_CONFIG.

Exit codes: 0 success; 1 the cycle ran but some feeds failed (--once);
2 bad usage or bad config; 3 could not run at all; 4 another --once run
holds the store's lock (--once without --wait).

Flags:
`

// run runs the program with args. The daemon catches SIGHUP from when it
// knows it is the daemon; main catches it earlier, with runHup.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runHup(ctx, args, stdout, stderr, nil)
}

// runHup is run with hup, a channel that has received SIGHUP since the
// process started (nil: none). The daemon reloads on each SIGHUP, one that
// arrived while it started included; the other commands give SIGHUP back its
// default action.
func runHup(ctx context.Context, args []string, stdout, stderr io.Writer, hup chan os.Signal) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// A command (or a stray argument, which is a usage error): not the daemon.
		releaseHangup(hup)
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, "aggregator", versionString())
			if bi, ok := debug.ReadBuildInfo(); ok {
				fmt.Fprintln(stdout, "go", strings.TrimPrefix(bi.GoVersion, "go"))
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH", "CGO_ENABLED":
						fmt.Fprintln(stdout, s.Key, s.Value)
					}
				}
			}
			return nil
		case "status":
			return runStatus(ctx, args[1:], stdout, stderr)
		case "eval-clusters":
			return runEvalClusters(ctx, args[1:], stdout, stderr)
		case "explain":
			return runExplain(ctx, args[1:], stdout, stderr)
		case "import-opml":
			return runImportOPML(args[1:], stdout, stderr)
		case "discover":
			return runDiscover(ctx, args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("aggregator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var (
		configPath = fs.String("config", "", "config `FILE` (YAML)")
		once       = fs.Bool("once", false, "run one cycle over every feed, write the outputs, exit")
		force      = fs.Bool("force", false, "with --once: also fetch feeds that asked to wait, are backing off after errors, or are retired")
		wait       = fs.Bool("wait", false, "with --once: wait for another --once run on the same store to end, instead of exiting with 4")
		logLevel   = fs.String("log-level", "", "log `level`: debug, info, warn or error (default info; error with --once, whose summary names failed feeds)")
		logFormat  = fs.String("log-format", "text", "log `format`: text or json")
		check      = fs.Bool("check", false, "validate the config, print what is wrong, exit")
		cpuProfile = fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE`, for go tool pprof")
		memProfile = fs.String("memprofile", "", "write a heap profile to `FILE` when the run ends, for go tool pprof")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *once && *check {
		return &exitError{code: exitUsage, err: errors.New("--once and --check do not go together")}
	}
	if (*force || *wait) && !*once {
		return &exitError{code: exitUsage, err: errors.New("--force and --wait go with --once")}
	}
	if *once || *check {
		releaseHangup(hup)
	} else if hup == nil {
		hup = make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	var warnings []config.Problem
	opts := config.Options{CheckFeedFiles: *check}
	if *check || *once {
		opts.Warn = func(p config.Problem) { warnings = append(warnings, p) }
	}
	cfg, err := loadConfigWith(*configPath, opts)
	if err != nil {
		return err
	}
	if *check {
		warnConfig(ctx, nil, stderr, warnings)
		fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", cfg.Path, count(len(cfg.Feeds), "feed", "feeds"), count(len(cfg.Outputs), "output", "outputs"))
		return nil
	}

	if *logLevel == "" {
		*logLevel = "info"
		if *once {
			*logLevel = "error"
		}
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	warnConfig(ctx, log, stderr, warnings)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	if *once {
		lock, err := lockOnce(ctx, cfg.Store, *wait)
		if errors.Is(err, errLocked) {
			return &exitError{code: exitLocked, err: err}
		}
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()

	if *once {
		su, err := newSetup(ctx, cfg, st, log, nil, "", true)
		if err != nil {
			return err
		}
		return runOnce(ctx, su, *force, stderr)
	}
	load := func(stories *story.Clusterer) (*setup, error) {
		next, err := loadConfig(cfg.Path)
		if err != nil {
			return nil, err
		}
		if next.Store != cfg.Store {
			return nil, fmt.Errorf("store: %s was %s; a new store needs a restart", next.Store, cfg.Store)
		}
		return newSetup(ctx, next, st, log, stories, "feeds/", false)
	}
	// Apply the retention limits before the stories are restored and the
	// outputs first published.
	if _, err := prune(ctx, st, cfg.Retention, log, time.Now()); err != nil {
		log.Error("pruning failed; will try again", "err", err)
	}
	su, err := newSetup(ctx, cfg, st, log, nil, "feeds/", false)
	if err != nil {
		return err
	}
	return runDaemon(ctx, log, su, load, hup)
}

// releaseHangup gives SIGHUP back its default action, which ends the process
// (or nothing, under nohup), for a program that is not the daemon. A SIGHUP
// that hup received meanwhile is raised again, to take that action.
func releaseHangup(hup chan os.Signal) {
	if hup == nil {
		return
	}
	signal.Stop(hup)
	select {
	case <-hup:
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
	default:
	}
}

// parseFlags parses args into fs and refuses stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: exitUsage, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseArgs parses flags that may come before or after the positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &exitError{code: exitOK}
			}
			return nil, &exitError{code: exitUsage}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
