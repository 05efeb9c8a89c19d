package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Copying a store moves it between engines (SQLite to PostgreSQL and back,
// or to another database of the same engine) with nothing lost. The tables
// and their columns are read from the databases themselves, not written
// down here, so that what later migrations add is copied as well.

// CopyReport is what Copy copied: each table, in the order copied, with
// its rows and their checksum, equal in the source and the destination.
type CopyReport struct {
	Tables []TableCopy
}

// Rows is how many rows were copied, all tables together.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// TableCopy is one table copied.
type TableCopy struct {
	Name string
	Rows int64
	// SHA256 is the hex SHA-256 of the table's rows in primary-key order,
	// each value rendered the same way whatever the engine (see rowHash).
	SHA256 string
}

// copyBatch bounds the rows of one INSERT: at most copyBatchRows rows,
// copyBatchParams values (well under SQLite's 32766 placeholders and
// PostgreSQL's 65535) and about copyBatchBytes of text, so that a store of
// any size is copied in little memory.
const (
	copyBatchRows   = 500
	copyBatchParams = 10000
	copyBatchBytes  = 4 << 20
)

// Copy copies every row of the store from into the store to, which must be
// empty, and checks the copy: it counts and checksums each table on both
// sides. progress, when not nil, is told the rows copied so far of the
// table being copied.
//
// Both stores are open, so at the current schema version; Copy refuses
// stores whose versions differ, and a destination that holds any row. It
// reads the source in one read-only transaction, a snapshot, and writes
// the destination in one write transaction (on PostgreSQL under the
// store's advisory write lock, see withTx), checked before it commits: a
// copy that fails or does not match leaves the destination as it was, and
// may be run again.
//
// The tables are those of the destination (on PostgreSQL, of its current
// schema, without the schema_version bookkeeping), each of which the
// source must have with the same columns; they are matched by name, not
// position. Parents are copied before their children, as the destination's
// foreign keys declare them (see copyOrder), and rows in primary-key order.
// Values are converted to the destination's types: SQLite's 0/1 for
// PostgreSQL's booleans and back. On PostgreSQL, the sequences of identity
// columns are then set past the largest id copied, so that new rows do not
// collide with copied ones.
func Copy(ctx context.Context, from, to *Store, progress func(table string, rows int64)) (CopyReport, error) {
	if progress == nil {
		progress = func(string, int64) {}
	}
	var report CopyReport
	err := from.withTx(ctx, "copy store: read the source", &sql.TxOptions{ReadOnly: true}, func(src *prepared) error {
		return to.withTx(ctx, "copy store: write the destination", nil, func(dst *prepared) error {
			if err := sameVersion(ctx, src, dst); err != nil {
				return err
			}
			plan, err := planCopy(ctx, src, dst)
			if err != nil {
				return err
			}
			if err := checkEmpty(ctx, dst, plan); err != nil {
				return err
			}
			for _, t := range plan {
				tc, err := copyTable(ctx, src, dst, t, progress)
				if err != nil {
					return err
				}
				report.Tables = append(report.Tables, tc)
			}
			for i, t := range plan {
				if err := verifyTable(ctx, dst, t, report.Tables[i]); err != nil {
					return err
				}
			}
			return moveSequences(ctx, dst, plan)
		})
	})
	if err != nil {
		// Nothing of the copy was kept.
		return CopyReport{}, err
	}
	return report, nil
}

// sameVersion refuses stores at different schema versions.
func sameVersion(ctx context.Context, src, dst *prepared) error {
	from, err := versionOf(ctx, src)
	if err != nil {
		return fmt.Errorf("copy store: read the source's schema version: %w", err)
	}
	to, err := versionOf(ctx, dst)
	if err != nil {
		return fmt.Errorf("copy store: read the destination's schema version: %w", err)
	}
	if from != to {
		return fmt.Errorf("copy store: the source's schema is at version %d and the destination's at %d; open both with the same aggregator", from, to)
	}
	return nil
}

// versionOf reads the schema version as the dialect's version does, but
// without writing: the source's transaction is read-only.
func versionOf(ctx context.Context, tx *prepared) (v int, err error) {
	q := `SELECT coalesce(max(version), 0) FROM schema_version`
	if tx.d == sqliteDialect {
		q = `PRAGMA user_version`
	}
	err = tx.tx.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// A valueKind is what of a column's type a copy needs to know: how to
// convert values for it, and how to order by it.
type valueKind int

const (
	kindOther valueKind = iota
	kindInt
	kindFloat
	kindBool
	kindText
)

// A dbColumn is a column of a table, as one database has it.
type dbColumn struct {
	name string
	kind valueKind // on SQLite always kindOther: SQLite converts by itself
	pk   int       // its position in the primary key, from 1; 0 when not in it
	// serial is, on PostgreSQL, the sequence of an identity (or serial)
	// column; "" for none.
	serial string
}

// A dbTable is a table as one database has it.
type dbTable struct {
	name    string
	columns []dbColumn
	parents []string // the tables its foreign keys reference
}

// A tablePlan is a table to copy: its columns, matched by name, as each
// side names them.
type tablePlan struct {
	name     string // the destination's
	src, dst dbTable
	// srcCols[i] is the source's column for dst.columns[i].
	srcCols []dbColumn
	// order are the indexes in dst.columns of the columns rows are
	// ordered by: the primary key's, else all.
	order []int
}

// planCopy matches the tables and columns of the source with the
// destination's, and orders the tables for copying.
func planCopy(ctx context.Context, src, dst *prepared) ([]tablePlan, error) {
	srcTables, err := tablesOf(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("copy store: list the source's tables: %w", err)
	}
	dstTables, err := tablesOf(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("copy store: list the destination's tables: %w", err)
	}
	bySrcName := map[string]dbTable{}
	for _, t := range srcTables {
		bySrcName[strings.ToLower(t.name)] = t
	}
	var plans []tablePlan
	for _, d := range copyOrder(dstTables) {
		s, ok := bySrcName[strings.ToLower(d.name)]
		if !ok {
			return nil, fmt.Errorf("copy store: the destination has a table %s that the source lacks", d.name)
		}
		delete(bySrcName, strings.ToLower(d.name))
		p := tablePlan{name: d.name, src: s, dst: d}
		srcCols := map[string]dbColumn{}
		for _, c := range s.columns {
			srcCols[strings.ToLower(c.name)] = c
		}
		for i, c := range d.columns {
			sc, ok := srcCols[strings.ToLower(c.name)]
			if !ok {
				return nil, fmt.Errorf("copy store: the destination's table %s has a column %s that the source's lacks", d.name, c.name)
			}
			delete(srcCols, strings.ToLower(c.name))
			p.srcCols = append(p.srcCols, sc)
			if c.pk > 0 {
				p.order = append(p.order, i)
			}
		}
		for _, c := range s.columns {
			if _, left := srcCols[strings.ToLower(c.name)]; left {
				return nil, fmt.Errorf("copy store: the source's table %s has a column %s that the destination's lacks", s.name, c.name)
			}
		}
		slices.SortFunc(p.order, func(a, b int) int { return cmp.Compare(d.columns[a].pk, d.columns[b].pk) })
		if len(p.order) == 0 {
			for i := range d.columns {
				p.order = append(p.order, i)
			}
		}
		plans = append(plans, p)
	}
	for _, t := range srcTables {
		if _, left := bySrcName[strings.ToLower(t.name)]; left {
			return nil, fmt.Errorf("copy store: the source has a table %s that the destination lacks", t.name)
		}
	}
	return plans, nil
}

// copyOrder orders tables parents first, as their foreign keys say, and
// otherwise by name: feeds, items, item_sources, settings, … Ordering is
// what lets the destination check its foreign keys as rows arrive, on
// either engine: SQLite could defer them (PRAGMA defer_foreign_keys) but
// PostgreSQL cannot switch off or defer constraints declared NOT
// DEFERRABLE, as the store's are, without a superuser. Tables in a cycle
// of foreign keys, which the store does not have, come last by name.
func copyOrder(tables []dbTable) []dbTable {
	byName := map[string]dbTable{}
	for _, t := range tables {
		byName[strings.ToLower(t.name)] = t
	}
	done := map[string]bool{}
	ready := func(t dbTable) bool {
		for _, p := range t.parents {
			p = strings.ToLower(p)
			if _, known := byName[p]; known && !done[p] && p != strings.ToLower(t.name) {
				return false
			}
		}
		return true
	}
	left := slices.Clone(tables)
	slices.SortFunc(left, func(a, b dbTable) int { return strings.Compare(a.name, b.name) })
	var order []dbTable
	for len(left) > 0 {
		i := slices.IndexFunc(left, ready)
		if i < 0 {
			return append(order, left...)
		}
		done[strings.ToLower(left[i].name)] = true
		order = append(order, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return order
}

// tablesOf lists the tables of the store tx is a transaction of, with
// their columns and the tables their foreign keys reference.
func tablesOf(ctx context.Context, tx *prepared) ([]dbTable, error) {
	sqlite := tx.d == sqliteDialect
	q := `SELECT CAST(table_name AS text) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schema_version'
		ORDER BY table_name`
	if sqlite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`
	}
	names, err := queryStrings(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	tables := make([]dbTable, len(names))
	for i, name := range names {
		t := dbTable{name: name}
		if sqlite {
			t.columns, err = sqliteColumns(ctx, tx, name)
		} else {
			t.columns, err = postgresColumns(ctx, tx, name)
		}
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		if len(t.columns) == 0 {
			return nil, fmt.Errorf("columns of %s: none found", name)
		}
		q := `SELECT DISTINCT CAST(p.relname AS text) FROM pg_constraint f
			JOIN pg_class c ON c.oid = f.conrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_class p ON p.oid = f.confrelid
			WHERE f.contype = 'f' AND c.relname = ? AND n.nspname = current_schema()`
		if sqlite {
			q = `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`
		}
		if t.parents, err = queryStrings(ctx, tx, q, name); err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
		tables[i] = t
	}
	return tables, nil
}

// sqliteColumns lists the columns of a table on SQLite, generated columns
// left out (table_info does not list them).
func sqliteColumns(ctx context.Context, tx *prepared, table string) ([]dbColumn, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []dbColumn
	for rows.Next() {
		var c dbColumn
		if err := rows.Scan(&c.name, &c.pk); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// postgresColumns lists the columns of a table on PostgreSQL, generated
// columns left out: they cannot be written.
func postgresColumns(ctx context.Context, tx *prepared, table string) ([]dbColumn, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.d.sql(`
		SELECT CAST(c.column_name AS text), CAST(c.data_type AS text),
			coalesce((SELECT CAST(k.ordinal_position AS integer)
				FROM information_schema.key_column_usage k
				JOIN information_schema.table_constraints tc
					ON tc.constraint_schema = k.constraint_schema AND tc.constraint_name = k.constraint_name
				WHERE tc.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema
					AND k.table_name = c.table_name AND k.column_name = c.column_name), 0),
			coalesce(pg_get_serial_sequence(quote_ident(c.table_schema) || '.' || quote_ident(c.table_name), c.column_name), '')
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND c.table_name = ? AND c.is_generated = 'NEVER'
		ORDER BY c.ordinal_position`), table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []dbColumn
	for rows.Next() {
		var (
			c        dbColumn
			dataType string
		)
		if err := rows.Scan(&c.name, &dataType, &c.pk, &c.serial); err != nil {
			return nil, err
		}
		switch dataType {
		case "smallint", "integer", "bigint":
			c.kind = kindInt
		case "real", "double precision", "numeric":
			c.kind = kindFloat
		case "boolean":
			c.kind = kindBool
		case "text", "character varying", "character":
			c.kind = kindText
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// queryStrings runs a query for one column of strings.
func queryStrings(ctx context.Context, tx *prepared, q string, args ...any) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.d.sql(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// checkEmpty refuses a destination that holds any row: a copy adds to
// nothing and overwrites nothing.
func checkEmpty(ctx context.Context, dst *prepared, plan []tablePlan) error {
	var first string
	for _, t := range plan {
		var n int64
		if err := dst.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+quoteIdent(t.dst.name)).Scan(&n); err != nil {
			return fmt.Errorf("copy store: count the destination's %s: %w", t.name, err)
		}
		switch {
		case n == 0:
		case strings.EqualFold(t.name, "feeds"):
			return fmt.Errorf("the destination store is not empty: it holds %s; migrate into a new database", plural(n, "feed", "feeds"))
		case first == "":
			first = fmt.Sprintf("%s in %s", plural(n, "row", "rows"), t.name)
		}
	}
	if first != "" {
		return fmt.Errorf("the destination store is not empty: it holds %s; migrate into a new database", first)
	}
	return nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// quoteIdent quotes a table or column name for either engine.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// selectOrdered is the query, on the engine of d, for the columns cols of
// a table, its rows ordered by the columns order. Text is ordered by its
// bytes on both engines (SQLite's BINARY, PostgreSQL's "C", whatever the
// column's own collation), and NULL first, so that both sides give the
// rows in the same order.
func selectOrdered(d *dialect, table string, cols []dbColumn, order []dbColumn) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.name))
	}
	b.WriteString(" FROM " + quoteIdent(table) + " ORDER BY ")
	for i, c := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.name))
		switch {
		case d == sqliteDialect:
			b.WriteString(` COLLATE BINARY`)
		case c.kind == kindText:
			b.WriteString(` COLLATE "C"`)
		}
		b.WriteString(" NULLS FIRST")
	}
	return b.String()
}

// pick is the columns of cols at the indexes idx.
func pick(cols []dbColumn, idx []int) []dbColumn {
	out := make([]dbColumn, len(idx))
	for i, j := range idx {
		out[i] = cols[j]
	}
	return out
}

// insertQuery inserts rows rows into the table on the destination.
// OVERRIDING SYSTEM VALUE lets PostgreSQL take the ids as given even in a
// column GENERATED ALWAYS AS IDENTITY.
func (t tablePlan) insertQuery(d *dialect, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + quoteIdent(t.dst.name) + " (")
	for i, c := range t.dst.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.name))
	}
	b.WriteString(")")
	if d != sqliteDialect {
		b.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	b.WriteString(" VALUES ")
	row := "(" + strings.Repeat("?, ", len(t.dst.columns)-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// copyTable copies a table's rows in batches, and checksums them as read
// from the source.
func copyTable(ctx context.Context, src, dst *prepared, t tablePlan, progress func(string, int64)) (TableCopy, error) {
	tc := TableCopy{Name: t.name}
	q := selectOrdered(src.d, t.src.name, t.srcCols, pick(t.srcCols, t.order))
	rows, err := src.tx.QueryContext(ctx, q)
	if err != nil {
		return tc, fmt.Errorf("copy store: read %s: %w", t.name, err)
	}
	defer rows.Close()
	ncol := len(t.dst.columns)
	perBatch := max(1, min(copyBatchRows, copyBatchParams/ncol))
	vals := make([]any, ncol)
	ptrs := make([]any, ncol)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := newRowHasher()
	batch := make([]any, 0, perBatch*ncol)
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var err error
		if n := len(batch) / ncol; n == perBatch {
			// Full batches, the same statement again: prepared once
			// on SQLite (see prepared).
			_, err = dst.exec(ctx, t.insertQuery(dst.d, n), batch...)
		} else {
			_, err = dst.tx.ExecContext(ctx, dst.d.sql(t.insertQuery(dst.d, n)), batch...)
		}
		if err != nil {
			return fmt.Errorf("copy store: write %s: %w", t.name, err)
		}
		batch, size = batch[:0], 0
		progress(t.name, tc.Rows)
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return tc, fmt.Errorf("copy store: read %s: %w", t.name, err)
		}
		h.row(vals)
		for i, v := range vals {
			batch = append(batch, convert(v, t.dst.columns[i].kind, dst.d))
			size += valueSize(v)
		}
		tc.Rows++
		if len(batch) == perBatch*ncol || size >= copyBatchBytes {
			if err := flush(); err != nil {
				return tc, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return tc, fmt.Errorf("copy store: read %s: %w", t.name, err)
	}
	if err := flush(); err != nil {
		return tc, err
	}
	progress(t.name, tc.Rows)
	tc.SHA256 = h.sum()
	return tc, nil
}

// convert turns a value read from the source into one for a destination
// column of the kind given: booleans are 0 or 1 on SQLite, integers
// become booleans or floats where PostgreSQL's column is one, and bytes
// stay bytes, never NULL.
func convert(v any, kind valueKind, d *dialect) any {
	switch v := v.(type) {
	case bool:
		if kind == kindBool && d != sqliteDialect {
			return v
		}
		if v {
			return int64(1)
		}
		return int64(0)
	case int64:
		switch kind {
		case kindBool:
			return v != 0
		case kindFloat:
			return float64(v)
		}
	case float64:
		if kind == kindInt && v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v)
		}
	case []byte:
		// SQLite's driver reads a BLOB of no bytes (an empty article
		// body) as a nil slice, which the drivers write as NULL.
		if v == nil {
			return []byte{}
		}
	}
	return v
}

// valueSize is about how much memory a value read holds.
func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case []byte:
		return len(v)
	}
	return 8
}

// verifyTable counts and checksums the table in the destination, as
// written, and compares with what was read from the source.
func verifyTable(ctx context.Context, dst *prepared, t tablePlan, copied TableCopy) error {
	n, sum, err := tableSum(ctx, dst, t.dst.name, t.dst.columns, t.order)
	if err != nil {
		return fmt.Errorf("copy store: check %s: %w", t.name, err)
	}
	if n != copied.Rows {
		return fmt.Errorf("copy store: the copy does not match: %s holds %d rows in the source and %d in the destination", t.name, copied.Rows, n)
	}
	if sum != copied.SHA256 {
		return fmt.Errorf("copy store: the copy does not match: the rows of %s differ (sha256 %s in the source, %s in the destination)", t.name, copied.SHA256, sum)
	}
	return nil
}

// tableSum counts a table's rows and checksums them (see rowHasher), in
// the order of the columns order (indexes into cols).
func tableSum(ctx context.Context, tx *prepared, table string, cols []dbColumn, order []int) (int64, string, error) {
	rows, err := tx.tx.QueryContext(ctx, selectOrdered(tx.d, table, cols, pick(cols, order)))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := newRowHasher()
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		h.row(vals)
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	return n, h.sum(), nil
}

// A rowHasher checksums rows, rendering each value the same whatever the
// engine that read it: integers (booleans as 0 and 1, and floats without a
// fraction) in decimal, other floats in Go's shortest form, text and bytes
// as they are with their length, times in UTC RFC 3339, and NULL as a tag
// of its own. Each value is tagged and delimited, so no two rows render
// alike.
type rowHasher struct {
	h   hash.Hash
	buf []byte
}

func newRowHasher() *rowHasher { return &rowHasher{h: sha256.New()} }

func (r *rowHasher) row(vals []any) {
	b := r.buf[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b = append(b, 'N')
		case bool:
			b = append(b, 'I')
			if v {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
			b = append(b, ';')
		case int64:
			b = append(b, 'I')
			b = strconv.AppendInt(b, v, 10)
			b = append(b, ';')
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
				b = append(b, 'I')
				b = strconv.AppendInt(b, int64(v), 10)
			} else {
				b = append(b, 'F')
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
			b = append(b, ';')
		case string:
			b = appendText(b, v)
		case []byte:
			b = appendText(b, string(v))
		case time.Time:
			b = appendText(b, v.UTC().Format(time.RFC3339Nano))
		default:
			b = appendText(b, fmt.Sprint(v))
		}
	}
	r.h.Write(b)
	r.buf = b
}

func appendText(b []byte, s string) []byte {
	b = append(b, 'S')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func (r *rowHasher) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }

// moveSequences sets, on PostgreSQL, the sequence of each identity column
// to the largest id copied, so that the next row inserted gets the next
// id rather than one already taken. SQLite needs nothing: its next rowid
// is the largest plus one. setval is not undone by a rollback, so it runs
// last, once the copy is checked; a sequence moved by a copy that then
// failed to commit only skips ids.
func moveSequences(ctx context.Context, dst *prepared, plan []tablePlan) error {
	if dst.d == sqliteDialect {
		return nil
	}
	for _, t := range plan {
		for _, c := range t.dst.columns {
			if c.serial == "" {
				continue
			}
			q := `SELECT setval(CAST(? AS regclass), GREATEST(max(` + quoteIdent(c.name) + `), 1)) FROM ` + quoteIdent(t.dst.name) + ` HAVING count(*) > 0`
			if _, err := dst.tx.ExecContext(ctx, dst.d.sql(q), c.serial); err != nil {
				return fmt.Errorf("copy store: move the sequence of %s.%s: %w", t.name, c.name, err)
			}
		}
	}
	return nil
}
