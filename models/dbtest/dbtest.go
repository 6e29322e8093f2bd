// Package dbtest gives each test a database of its own on the backend the test run is for:
// a SQLite file in the test's temporary directory, or, when PEILING_TEST_POSTGRES holds the
// URL of a PostgreSQL server (postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable),
// a fresh database on that server, dropped when the test ends. No mocks: the tests run on the
// real thing either way (GoatCounter's gctest.DB idea).
package dbtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", as gorm's postgres driver uses
)

// Env names the variable that holds the PostgreSQL server URL.
const Env = "PEILING_TEST_POSTGRES"

// Postgres reports whether this test run is against PostgreSQL.
func Postgres() bool { return os.Getenv(Env) != "" }

// SkipOnPostgres skips t on PostgreSQL with why: for the short, documented list of tests of
// SQLite's file itself (docs/deployment.md).
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// DSN returns a new, empty database for t to pass to models.Open: the SQLite file name in
// t.TempDir(), or the URL of a database created for t on the PostgreSQL server.
func DSN(t testing.TB, name string) string {
	t.Helper()
	server := os.Getenv(Env)
	if server == "" {
		return filepath.Join(t.TempDir(), name)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("connect to %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	db := "peiling_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + db); err != nil {
		t.Fatalf("create database on %s: %v", u.Redacted(), err)
	}
	// Cleanups run last-in first-out: this runs after the test's own, which close the pools.
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	u.Path = "/" + db
	return u.String()
}

// BenchEnv names the variable that holds the URL of a PostgreSQL server for the benchmarks
// (postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable).
const BenchEnv = "PEILING_BENCH_POSTGRES"

// BenchDSN returns the database in which the benchmarks keep n seeded responses between runs,
// and whether it is new (to be seeded): $TMPDIR/peiling-bench-N.db, or, when PEILING_BENCH_POSTGRES
// holds a server's URL, the database peiling_bench_N on that server, created when missing and
// never dropped. Fill it from the SQLite file with "peiling copy-db" rather than seeding it
// again (docs/performance.md).
func BenchDSN(b testing.TB, n int) (string, bool) {
	b.Helper()
	server := os.Getenv(BenchEnv)
	if server == "" {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("peiling-bench-%d.db", n))
		_, err := os.Stat(path)
		return path, err != nil
	}
	u, err := url.Parse(server)
	if err != nil {
		b.Fatalf("%s: %v", BenchEnv, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		b.Fatalf("connect to %s: %v", u.Redacted(), err)
	}
	defer admin.Close()
	name := fmt.Sprintf("peiling_bench_%d", n)
	var exists bool
	if err := admin.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		b.Fatalf("look for database %s on %s: %v", name, u.Redacted(), err)
	}
	if !exists {
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			b.Fatalf("create database %s on %s: %v", name, u.Redacted(), err)
		}
	}
	u.Path = "/" + name
	return u.String(), !exists
}
