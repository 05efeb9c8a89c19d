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
