package pgtest

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// open opens a pool on dsn, closed when tb ends.
func open(tb testing.TB, dsn string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(tb.Context(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func TestDSNGivesEachItsOwnDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := DSN(t), DSN(t)
	pa, pb := open(t, a), open(t, b)
	var nameA, nameB string
	if err := pa.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := pb.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both DSNs reach database %s", nameA)
	}
	if _, err := pa.Exec(ctx, "CREATE TABLE items (id bigint PRIMARY KEY, title text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.Exec(ctx, "INSERT INTO items VALUES ($1, $2)", 7, "Séoul ☂"); err != nil {
		t.Fatal(err)
	}
	var title string
	if err := pa.QueryRow(ctx, "SELECT title FROM items WHERE id = $1", 7).Scan(&title); err != nil {
		t.Fatal(err)
	}
	if title != "Séoul ☂" {
		t.Errorf("title = %q, want %q", title, "Séoul ☂")
	}
	var other *string
	if err := pb.QueryRow(ctx, "SELECT to_regclass('items')::text").Scan(&other); err != nil {
		t.Fatal(err)
	}
	if other != nil {
		t.Errorf("the table made in %s is in %s too", nameA, nameB)
	}
}

func TestDSNDropsTheDatabase(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("test", func(t *testing.T) {
		// Cleanups run last registered first: this one, registered
		// before DSN's, leaves the connection open while the database
		// is dropped.
		var conn *pgx.Conn
		t.Cleanup(func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		})
		conn, err := pgx.Connect(t.Context(), DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	var n int
	if err := open(t, server(t)).QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if name == "" || n != 0 {
		t.Errorf("database %q: %d left after the test ended, want 0", name, n)
	}
}

func TestDSNKeepsTheServersParameters(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(server(t))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != base.Host || u.User.String() != base.User.String() || u.RawQuery != base.RawQuery {
		t.Errorf("DSN %s, want the server %s with another database", u.Redacted(), base.Redacted())
	}
	if !strings.HasPrefix(u.Path, "/pgtest_") {
		t.Errorf("DSN's database %q, want a pgtest_ one", u.Path)
	}
}

func TestStartAndStop(t *testing.T) {
	t.Parallel()
	bin, err := binDir()
	if err != nil {
		unavailable(t, err)
	}
	c, err := start(bin)
	if errors.Is(err, errRoot) {
		unavailable(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			c.stop()
		}
	})
	conn, err := pgx.Connect(t.Context(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	var super, createdb bool
	err = conn.QueryRow(t.Context(), "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user").Scan(&super, &createdb)
	conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if super || !createdb {
		t.Errorf("role: superuser %v, createdb %v; want false, true as in .ci/run", super, createdb)
	}
	stopped = true
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there after stop (%v)", c.dir, err)
	}
	if conn, err := pgx.Connect(t.Context(), c.dsn); err == nil {
		conn.Close(t.Context())
		t.Error("the server still answers after stop")
	}
}
