package store

import (
	"context"
	"database/sql"
	"errors"
)

// prepared caches the statements of one transaction: a feed of many items
// would otherwise have SQLite parse the same SQL again for every item.
type prepared struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	st, err := p.tx.PrepareContext(ctx, query)
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
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (p *prepared) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return p.row(ctx, query, args...).Scan(dest...)
}

func (p *prepared) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *prepared) close() {
	for _, st := range p.m {
		st.Close()
	}
}

func scanned(err error) (found bool, _ error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
