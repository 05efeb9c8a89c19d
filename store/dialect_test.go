package store

import "testing"

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
