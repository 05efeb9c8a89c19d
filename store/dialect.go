package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The store runs on two engines: the embedded SQLite (a path as the store)
// and PostgreSQL (a postgres:// or postgresql:// URL), both through
// database/sql, PostgreSQL by pgx's stdlib driver over a pgxpool. There is
// one copy of the store's logic and of its SQL: statements are written for
// SQLite, with ? and ?N placeholders, and a dialect turns them into what the
// engine runs (for PostgreSQL, $N placeholders). The few statements whose
// forms differ (scalar min and max, a list handed over as JSON, the schema
// version, the migrations) take their parts from the dialect.
//
// SQLite serialises writers (transactions begin IMMEDIATE); on PostgreSQL a
// write transaction first takes a transaction-level advisory lock, so that
// the store's read-then-write transactions (Place numbering articles,
// pruneBatch choosing then deleting stories) see what SQLite gives them.
// Read-only transactions run at REPEATABLE READ, a snapshot as SQLite's
// WAL readers have.

// dialect is what differs between the engines in the SQL the store runs.
type dialect struct {
	name string
	// rebind turns a statement written for SQLite into this engine's;
	// nil for SQLite.
	rebind func(string) string
	// least and greatest are the scalar minimum and maximum of two values:
	// SQLite's min and max, PostgreSQL's LEAST and GREATEST.
	least, greatest string
	// jsonList selects, as the column value, the strings of the JSON array
	// bound to its one placeholder.
	jsonList string
	// prepare: cache prepared statements per transaction (SQLite; pgx
	// caches statements per connection itself).
	prepare bool
	// migrations bring the schema from version i to i+1; the same number
	// of them, with the same meaning, on every engine.
	migrations []string
	// version reads the schema version, setVersion writes it.
	version    func(context.Context, *sql.Tx) (int, error)
	setVersion func(context.Context, *sql.Tx, int) error
	// writeLock, when not "", is run first in every write transaction.
	writeLock string
	// readOnly is the isolation level of read-only transactions.
	readOnly sql.IsolationLevel
	// skipLocked ends a SELECT that locks the rows it finds, skipping those
	// another transaction locked; "" on SQLite, whose writers take turns.
	skipLocked string
	// vacuum: Prune may hand free pages back (SQLite's incremental_vacuum);
	// PostgreSQL's autovacuum does it on its own.
	vacuum bool
}

var (
	sqliteDialect = &dialect{
		name:       "sqlite",
		least:      "min",
		greatest:   "max",
		jsonList:   `SELECT value FROM json_each(?)`,
		prepare:    true,
		migrations: migrations,
		version: func(ctx context.Context, tx *sql.Tx) (v int, err error) {
			err = tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
			return v, err
		},
		setVersion: func(ctx context.Context, tx *sql.Tx, v int) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
			return err
		},
		vacuum: true,
	}
	postgresDialect = &dialect{
		name:       "postgres",
		rebind:     dollarPlaceholders,
		least:      "LEAST",
		greatest:   "GREATEST",
		jsonList:   `SELECT jsonb_array_elements_text(CAST(? AS jsonb))`,
		migrations: postgresMigrations,
		version:    postgresVersion,
		setVersion: postgresSetVersion,
		writeLock:  fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, writeLock),
		readOnly:   sql.LevelRepeatableRead,
		skipLocked: " FOR UPDATE SKIP LOCKED",
	}
)

// sql returns query as this engine runs it.
func (d *dialect) sql(query string) string {
	if d.rebind == nil {
		return query
	}
	return d.rebind(query)
}

// dollarPlaceholders rewrites SQLite's placeholders as PostgreSQL's: ?N
// becomes $N, and a bare ? takes, as in SQLite, the number after the
// largest assigned so far. String literals, quoted identifiers and comments
// are left as they are.
func dollarPlaceholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	largest := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			// A literal or identifier; a doubled quote stays inside it.
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(query))
			b.WriteString(query[i:j])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				j = len(query)
			} else {
				j += i + 4
			}
			b.WriteString(query[i:j])
			i = j
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// db is the store's database handle: every statement it runs goes through
// its dialect.
type db struct {
	*sql.DB
	d    *dialect
	pool *pgxpool.Pool // PostgreSQL's, under DB; nil on SQLite
}

// Close closes the database.
func (db *db) Close() error {
	err := db.DB.Close()
	if db.pool != nil {
		db.pool.Close()
	}
	return err
}

func (db *db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.d.sql(query), args...)
}

func (db *db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.d.sql(query), args...)
}

func (db *db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.d.sql(query), args...)
}

func (db *db) Query(query string, args ...any) (*sql.Rows, error) {
	return db.QueryContext(context.Background(), query, args...)
}

func (db *db) QueryRow(query string, args ...any) *sql.Row {
	return db.QueryRowContext(context.Background(), query, args...)
}

func (db *db) Exec(query string, args ...any) (sql.Result, error) {
	return db.ExecContext(context.Background(), query, args...)
}
