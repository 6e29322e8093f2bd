package models

import "testing"

func TestOpenPicksTheBackendFromTheDBValueAndHidesItsPassword(t *testing.T) {
	for _, tc := range []struct {
		dsn      string
		postgres bool
		shown    string
	}{
		{"peiling.db", false, "peiling.db"},
		{"/var/lib/peiling/postgres.db", false, "/var/lib/peiling/postgres.db"},
		{"postgres://peiling:geheim@db.example.nl/peiling?sslmode=verify-full", true, "postgres://peiling:xxxxx@db.example.nl/peiling?sslmode=verify-full"},
		{"postgresql://peiling@127.0.0.1:5432/peiling", true, "postgresql://peiling@127.0.0.1:5432/peiling"},
	} {
		if got := IsPostgres(tc.dsn); got != tc.postgres {
			t.Errorf("IsPostgres(%q) = %v", tc.dsn, got)
		}
		if got := Redacted(tc.dsn); got != tc.shown {
			t.Errorf("Redacted(%q) = %q, want %q", tc.dsn, got, tc.shown)
		}
	}
}
