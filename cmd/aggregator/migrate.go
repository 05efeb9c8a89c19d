package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"aggregator/config"
	"aggregator/store"
)

const migrateUsage = `Usage: aggregator migrate --from SRC --to DST

Copies the store SRC into DST, a new, empty store: from SQLite to
PostgreSQL, back, or to another database of the same engine. SRC and DST
are each a SQLite file or a postgres:// URL, as store: takes them. Every
table is copied in one transaction, then counted and checksummed on both
sides; DST keeps the copy only when every table matches, and a DST that
holds anything is refused, so nothing is overwritten.

Stop the daemon first: migrate holds SRC's lock, which keeps --once runs
out, but the daemon would go on fetching into SRC. Then point store: at
DST and start it again.

Flags:
`

// runMigrate implements "aggregator migrate --from SRC --to DST".
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator migrate", migrateUsage, stderr)
	var (
		from         = fs.String("from", "", "the store to copy: a SQLite `STORE` file or a postgres:// URL")
		to           = fs.String("to", "", "the new, empty `STORE` to copy it into: a SQLite file or a postgres:// URL")
		fromPassword = fs.String("from-password-file", "", "`FILE` holding the password of a PostgreSQL --from")
		toPassword   = fs.String("to-password-file", "", "`FILE` holding the password of a PostgreSQL --to")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return &exitError{code: exitUsage, err: errors.New("migrate takes --from and --to")}
	}
	if *from == *to {
		return &exitError{code: exitUsage, err: fmt.Errorf("--from and --to are the same store, %s", store.Redacted(*from))}
	}
	fromOpts, err := migrateStoreOptions("--from", *from, *fromPassword)
	if err != nil {
		return err
	}
	toOpts, err := migrateStoreOptions("--to", *to, *toPassword)
	if err != nil {
		return err
	}
	if !config.IsPostgres(*from) {
		// Opening would make an empty store there, and copy nothing.
		if _, err := os.Stat(*from); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no store at %s", *from)
		}
	}
	fromName, toName := store.Redacted(*from), store.Redacted(*to)

	src, err := store.OpenWith(ctx, *from, fromOpts)
	if err != nil {
		return err
	}
	defer src.Close()
	unlock, err := lockStore(ctx, src, "source", fromName)
	if err != nil {
		return err
	}
	defer unlock()
	dst, err := store.OpenWith(ctx, *to, toOpts)
	if err != nil {
		return err
	}
	defer dst.Close()
	unlockDst, err := lockStore(ctx, dst, "destination", toName)
	if err != nil {
		return err
	}
	defer unlockDst()

	var progress func(string, int64)
	if isTerminal(stderr) {
		progress = func(table string, rows int64) {
			fmt.Fprintf(stderr, "\r\033[Kcopying %s: %s", table, count(int(rows), "row", "rows"))
		}
	}
	report, err := store.Copy(ctx, src, dst, progress)
	if progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return fmt.Errorf("migrate %s to %s: %w", fromName, toName, err)
	}
	for _, t := range report.Tables {
		fmt.Fprintf(stdout, "%s: %s, sha256 %s\n", t.Name, count(int(t.Rows), "row", "rows"), t.SHA256)
	}
	fmt.Fprintf(stdout, "the copy matches the source: %s, %s, counted and checksummed on both sides; point store: at %s\n",
		count(len(report.Tables), "table", "tables"), count(int(report.Rows()), "row", "rows"), toName)
	return nil
}

// migrateStoreOptions are the options to open the store of a --from or --to
// with: the password in passwordFile, which only a PostgreSQL store takes.
func migrateStoreOptions(flag, st, passwordFile string) (store.Options, error) {
	if passwordFile == "" {
		return store.Options{}, nil
	}
	if !config.IsPostgres(st) {
		return store.Options{}, &exitError{code: exitUsage,
			err: fmt.Errorf("%s-password-file is for a postgres:// store; %s is a SQLite file, which has no password", flag, st)}
	}
	b, err := os.ReadFile(passwordFile)
	if err != nil {
		return store.Options{}, fmt.Errorf("%s-password-file: %w", flag, err)
	}
	pw := string(b)
	if s, ok := strings.CutSuffix(pw, "\n"); ok {
		pw = strings.TrimSuffix(s, "\r")
	}
	if pw == "" {
		return store.Options{}, fmt.Errorf("%s-password-file: %s is empty; write the password in it", flag, passwordFile)
	}
	return store.Options{Password: pw}, nil
}

// lockStore takes the run lock of a store that migrate reads or writes
// (its role, shown as name), so that no --once run writes to it meanwhile.
func lockStore(ctx context.Context, st *store.Store, role, name string) (func(), error) {
	unlock, err := st.LockRun(ctx, false)
	if locked, ok := errors.AsType[*store.LockedError](err); ok {
		return nil, &exitError{code: exitLocked, err: fmt.Errorf("the %s store %s is in use: another aggregator run holds %s; "+
			"wait for it to end, stop the daemon, and run migrate again", role, name, locked.Lock)}
	}
	return unlock, err
}
