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
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"aggregator/config"
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
	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runWithReload(ctx, os.Args[1:], os.Stdout, os.Stderr, reload)
	stop()
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(os.Stderr, "aggregator:", err)
		}
	}
	os.Exit(exitCode(err))
}

// exitError ends the program with an exit code of its own; any other error
// exits with exitCannotRun. Commands return it for outcomes that scripts
// tell apart: bad usage, failed feeds, a held lock.
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

// exitCode is the exit code that err ends the program with.
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
  aggregator migrate --from SRC --to DST  copy a store into a new, empty one: SQLite to PostgreSQL, or back
  aggregator version                    print the version

FILE defaults to ./config.yaml, else $AGGREGATOR_CONFIG.

Exit codes: 0 success; 1 the cycle ran but some feeds failed (--once);
2 bad usage or bad config; 3 could not run at all; 4 another --once run
holds the store's lock (--once without --wait, migrate).

Flags:
`

// run runs the program with args, as main does, except that the daemon
// catches SIGHUP only from when it knows it is the daemon.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWithReload(ctx, args, stdout, stderr, nil)
}

// runWithReload runs the command that args name. reload is a channel that
// has caught SIGHUP since the process started (nil: none caught yet): the
// daemon reloads its config on each SIGHUP, one that arrived while it
// started included, and the other commands give SIGHUP back its default
// action.
func runWithReload(ctx context.Context, args []string, stdout, stderr io.Writer, reload chan os.Signal) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// A command (or a stray argument, which is a usage error): not the daemon.
		releaseHangup(reload)
		switch args[0] {
		case "version":
			return runVersion(stdout)
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
		case "migrate":
			return runMigrate(ctx, args[1:], stdout, stderr)
		}
	}
	return runFeeds(ctx, args, stdout, stderr, reload)
}

// runFeeds runs the program without a command: the daemon, one cycle
// (--once), or a check of the config (--check).
func runFeeds(ctx context.Context, args []string, stdout, stderr io.Writer, reload chan os.Signal) error {
	fs := newFlagSet("aggregator", usage, stderr)
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
		releaseHangup(reload)
	} else if reload == nil {
		reload = make(chan os.Signal, 1)
		signal.Notify(reload, syscall.SIGHUP)
		defer signal.Stop(reload)
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

	stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		return err
	}
	defer stopProfiles()
	if *once {
		return runOnce(ctx, cfg, log, *force, *wait, stderr)
	}
	return runDaemon(ctx, cfg, log, reload)
}

// startProfiles starts a CPU profile written to cpu, when named, and
// returns what ends it and writes a heap profile to mem, when named.
func startProfiles(cpu, mem string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range slices.Backward(stops) {
			s()
		}
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		stops = append(stops, func() { f.Close() })
		if err := pprof.StartCPUProfile(f); err != nil {
			stop()
			return nil, err
		}
		stops = append(stops, pprof.StopCPUProfile)
	}
	if mem != "" {
		stops = append(stops, func() {
			if f, err := os.Create(mem); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		})
	}
	return stop, nil
}

// releaseHangup gives SIGHUP back its default action, which ends the process
// (or nothing, under nohup), for a program that is not the daemon. A SIGHUP
// that caught received meanwhile is raised again, to take that action.
func releaseHangup(caught chan os.Signal) {
	if caught == nil {
		return
	}
	signal.Stop(caught)
	select {
	case <-caught:
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
	default:
	}
}

// newFlagSet makes the flag set of a command: its errors go to stderr, and
// so does its usage, the text usage followed by the command's flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
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
