package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// testPostgresEnv names the environment variable with which the store's
// tests run on PostgreSQL: the URL of a database on a cluster where its role
// may create databases (e.g. postgres://postgres@127.0.0.1:55432/postgres).
// Each store a test opens with openTest is then a fresh database there,
// dropped when the test ends. It stands in until internal/pgtest lands.
const testPostgresEnv = "AGGREGATOR_STORE_TEST_POSTGRES"

var testDBs atomic.Int64

// testStore is what openTest opens: a path in a temporary folder, or with
// testPostgresEnv set, the URL of a fresh PostgreSQL database.
func testStore(tb testing.TB, path string) string {
	base := os.Getenv(testPostgresEnv)
	if base == "" {
		return path
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("%s: %v", testPostgresEnv, err)
	}
	name := fmt.Sprintf("store_test_%d_%d", os.Getpid(), testDBs.Add(1))
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close(ctx)
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", testPostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// onSQLite skips a test of what only SQLite has when the tests run on
// PostgreSQL.
func onSQLite(tb testing.TB) {
	tb.Helper()
	if os.Getenv(testPostgresEnv) != "" {
		tb.Skip("SQLite only")
	}
}

// TestOpenPostgresTogether opens one fresh PostgreSQL database from several
// stores at once: they migrate it one after the other (under the advisory
// write lock), and each finds it current.
func TestOpenPostgresTogether(t *testing.T) {
	if os.Getenv(testPostgresEnv) == "" {
		t.Skip(testPostgresEnv + " is not set")
	}
	dsn := testStore(t, "")
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var versions, version int
	if err := s.db.QueryRow(`SELECT count(*), max(version) FROM schema_version`).Scan(&versions, &version); err != nil {
		t.Fatal(err)
	}
	if versions != 1 || version != len(postgresMigrations) {
		t.Errorf("schema_version holds %d rows, the largest %d; want 1 row, %d", versions, version, len(postgresMigrations))
	}
}

// TestRedacted: a store's URL is shown without its password.
func TestRedacted(t *testing.T) {
	got := redacted("postgres://agg:s3cret@db.example/agg?sslmode=disable")
	if got != "postgres://agg:xxxxx@db.example/agg?sslmode=disable" {
		t.Errorf("redacted = %q", got)
	}
}
