package models

import (
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"peiling/models/dbtest"
)

// TestWritesCommitSynchronouslyWhateverTheServerSays: a database whose default is
// synchronous_commit=off would acknowledge commits a crash of the server can still lose; the
// write connection sets it on for itself. (SQLite's counterpart is synchronous=FULL in the
// DSN.)
func TestWritesCommitSynchronouslyWhateverTheServerSays(t *testing.T) {
	dsn := dbtest.DSN(t, "peiling.db")
	want := "2" // PRAGMA synchronous: FULL
	if dbtest.Postgres() {
		want = "on"
		u, _ := url.Parse(dsn)
		setup, err := Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		err = setup.Write.Exec("ALTER DATABASE " + strings.TrimPrefix(u.Path, "/") + " SET synchronous_commit = off").Error
		setup.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := "PRAGMA synchronous"
	if dbtest.Postgres() {
		query = "SHOW synchronous_commit"
	}
	var got string
	if err := db.Write.Raw(query).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s on the write connection: %s, want %s", query, got, want)
	}
}
