package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// withTx runs fn in a transaction, handing it the transaction's cache of
// prepared statements, and commits when fn returns nil; when fn fails,
// nothing it did is kept. Errors beginning or committing the transaction
// are wrapped with what, the operation's name; fn wraps its own.
func (s *Store) withTx(ctx context.Context, what string, opts *sql.TxOptions, fn func(tx *prepared) error) error {
	d := s.db.d
	if opts != nil && opts.ReadOnly && d.readOnly != sql.LevelDefault {
		opts = &sql.TxOptions{Isolation: d.readOnly, ReadOnly: true}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	if d.writeLock != "" && (opts == nil || !opts.ReadOnly) {
		if _, err := tx.ExecContext(ctx, d.writeLock); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	stmts := &prepared{tx: tx, d: s.db.d}
	defer stmts.close()
	err = fn(stmts)
	if errors.Is(err, errRollback) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// errRollback, returned by the fn of withTx, ends its transaction with a
// rollback, and withTx returns nil: fn only read, and a transaction that
// wrote nothing has nothing to commit.
var errRollback = errors.New("roll back")

// prepared caches the statements of one transaction: a feed of many items
// would otherwise have SQLite parse the same SQL again for every item. On
// PostgreSQL it caches nothing (d.prepare is false): pgx keeps a cache of
// prepared statements per connection, which outlives the transaction.
type prepared struct {
	tx *sql.Tx
	d  *dialect
	m  map[string]*sql.Stmt
}

// stmt returns query prepared in the transaction, or when the dialect
// leaves preparing to the driver, nil; its arguments then go to direct.
func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	if !p.d.prepare {
		return nil, nil
	}
	st, err := p.tx.PrepareContext(ctx, p.d.sql(query))
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[query] = st
	return st, nil
}

// row runs a prepared query for one row.
func (p *prepared) row(ctx context.Context, query string, args ...any) scanner {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if st == nil {
		return p.tx.QueryRowContext(ctx, p.d.sql(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// query runs a prepared query for rows.
func (p *prepared) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.tx.QueryContext(ctx, p.d.sql(query), args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p *prepared) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return p.row(ctx, query, args...).Scan(dest...)
}

func (p *prepared) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.tx.ExecContext(ctx, p.d.sql(query), args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p *prepared) close() {
	for _, st := range p.m {
		st.Close()
	}
}

// rowFound takes the error of scanning the row of a query for one row, and
// reports whether there was a row: sql.ErrNoRows means there was none, and
// is no error.
func rowFound(err error) (found bool, _ error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
