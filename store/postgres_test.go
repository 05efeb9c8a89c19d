package store

import (
	"context"
	"testing"

	"aggregator/internal/pgtest"
)

// TestOpenPostgresTogether opens one fresh PostgreSQL database from several
// stores at once: they migrate it one after the other (under the advisory
// write lock), and each finds it current.
func TestOpenPostgresTogether(t *testing.T) {
	dsn := pgtest.DSN(t)
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

// TestPostgresPassword: Options.Password is the password pgx connects
// with, over the URL's.
func TestPostgresPassword(t *testing.T) {
	for _, tt := range []struct{ url, password, want string }{
		{"postgres://agg@db.example/agg", "s3cret", "s3cret"},
		{"postgres://agg:old@db.example/agg", "s3cret", "s3cret"},
		{"postgres://agg:old@db.example/agg", "", "old"},
	} {
		cfg, err := postgresConfig(tt.url, Options{Password: tt.password})
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.ConnConfig.Password; got != tt.want {
			t.Errorf("%s with %q: password %q, want %q", tt.url, tt.password, got, tt.want)
		}
	}
}

// TestRedacted: a store is shown without a password, whether the URL
// carries it in its user information or in its query; a SQLite path as it
// is.
func TestRedacted(t *testing.T) {
	for _, tt := range []struct{ store, want string }{
		{"postgres://agg:s3cret@db.example/agg?sslmode=disable", "postgres://agg:xxxxx@db.example/agg?sslmode=disable"},
		{"postgresql://agg@db.example/agg?password=s3cret&sslmode=require", "postgresql://agg@db.example/agg?password=xxxxx&sslmode=require"},
		{"postgres://db.example/agg?sslpassword=s3cret", "postgres://db.example/agg?sslpassword=xxxxx"},
		{"postgres://agg@db.example/agg", "postgres://agg@db.example/agg"},
		{"/var/lib/aggregator/agg:s3cret@x.db", "/var/lib/aggregator/agg:s3cret@x.db"},
	} {
		if got := Redacted(tt.store); got != tt.want {
			t.Errorf("Redacted(%q) = %q, want %q", tt.store, got, tt.want)
		}
	}
}
