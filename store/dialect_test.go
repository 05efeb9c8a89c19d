package store

import (
	"context"
	"slices"
	"testing"
)

func TestDollarPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`WHERE key = ?1 UNION WHERE f = ?2 AND g = ?3 UNION WHERE key = ?1`,
			`WHERE key = $1 UNION WHERE f = $2 AND g = $3 UNION WHERE key = $1`},
		// A bare ? after ?N takes the next number, as in SQLite.
		{`?2, ?, ?1, ?`, `$2, $3, $1, $4`},
		{`id IN (?,?,?)`, `id IN ($1,$2,$3)`},
		// Literals, identifiers and comments keep their question marks.
		{`SELECT '?', 'it''s ?', "a?b", ? -- what?
			FROM t /* ? */ WHERE x = ?`, `SELECT '?', 'it''s ?', "a?b", $1 -- what?
			FROM t /* ? */ WHERE x = $2`},
		{`json_extract(v, '$.Slug') = ?`, `json_extract(v, '$.Slug') = $1`},
		{`unterminated '?`, `unterminated '?`},
	} {
		if got := dollarPlaceholders(tc.in); got != tc.want {
			t.Errorf("dollarPlaceholders(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestDialectMigrations(t *testing.T) {
	if len(postgresMigrations) != len(migrations) {
		t.Errorf("%d migrations on PostgreSQL, %d on SQLite: each must have its counterpart", len(postgresMigrations), len(migrations))
	}
}

// TestSameSchema: the migrations give both engines the same tables, with
// the same columns, so that one copy of the store's SQL runs on both.
func TestSameSchema(t *testing.T) {
	ctx := context.Background()
	columns := func(s *Store, query string) []string {
		rows, err := s.db.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var table, column string
			if err := rows.Scan(&table, &column); err != nil {
				t.Fatal(err)
			}
			out = append(out, table+"."+column)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	lite := columns(sqliteEngine.open(t), `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	pg := columns(postgresEngine.open(t), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name != 'schema_version'`)
	if !slices.Equal(lite, pg) {
		t.Errorf("the schemas differ:\nSQLite     %v\nPostgreSQL %v", lite, pg)
	}
	if len(lite) < 50 {
		t.Errorf("only %d columns found: %v", len(lite), lite)
	}
}
