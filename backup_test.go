package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"peiling/models"
	"peiling/models/dbtest"
)

// restore puts the backup file back the way docs/deployment.md says, into a new database,
// and returns that database: a copy of the file on SQLite, pg_restore on PostgreSQL.
func restore(t *testing.T, file string) string {
	t.Helper()
	to := dbtest.DSN(t, "restored.db")
	if !dbtest.Postgres() {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return to
	}
	out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+to, file).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	return to
}

// TestBackupRestoresTheDemoResults: "peiling backup" of the demo installation, restored into
// a new database, gives the same results and takes new responses.
func TestBackupRestoresTheDemoResults(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	if err := runWith(context.Background(), cfg, []string{"demo"}, Streams{Out: io.Discard}, log); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "backup")
	var out bytes.Buffer
	if err := runWith(context.Background(), cfg, []string{"backup", file}, Streams{Out: &out}, log); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	if dbtest.Postgres() && !strings.Contains(out.String(), "running pg_dump -Fc") {
		t.Errorf("backup on PostgreSQL does not say it runs pg_dump: %q", out.String())
	}
	if err := runWith(context.Background(), cfg, []string{"backup", file}, Streams{Out: io.Discard}, log); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second backup over the first: %v", err)
	}

	db, err := models.Open(restore(t, file), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := models.FindSurvey(db.Read, models.ReferenceSlug)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := models.LoadReport(db.Read, s, models.DimAll)
	if err != nil || rep.Respondents != 119 || rep.RatePercent != 31 {
		t.Fatalf("report of the restored database: %v, %+v", err, rep)
	}
	var maxID uint
	db.Read.Model(&models.Response{}).Select("MAX(id)").Scan(&maxID)
	if err := models.OpenSurvey(db.Write, s.ID, models.System, s.ClosedAt.Add(1)); err != nil {
		t.Fatal(err)
	}
	s, _ = models.FindSurvey(db.Read, models.ReferenceSlug)
	r, _, err := models.StartDraft(db.Write, s, "nl")
	if err != nil || r.ID <= maxID {
		t.Errorf("a new draft in the restored database: %v, id %d after %d", err, r.ID, maxID)
	}
}

// TestBackupOnPostgresExplainsAMissingOrTooOldPgDump: the two ways pg_dump fails before it
// starts each get a message that says what to install.
func TestBackupOnPostgresExplainsAMissingOrTooOldPgDump(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("pg_dump backs up PostgreSQL only; run with " + dbtest.Env)
	}
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	log := slog.New(slog.DiscardHandler)
	file := filepath.Join(t.TempDir(), "backup")
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	err := runWith(context.Background(), cfg, []string{"backup", file}, Streams{Out: io.Discard}, log)
	if err == nil || !strings.Contains(err.Error(), "pg_dump is not installed") {
		t.Errorf("without pg_dump: %v", err)
	}
	old := "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(old), 0o755); err != nil {
		t.Fatal(err)
	}
	err = runWith(context.Background(), cfg, []string{"backup", file}, Streams{Out: io.Discard}, log)
	if err == nil || !strings.Contains(err.Error(), "pg_dump 9.6.24, which cannot dump the server's PostgreSQL") {
		t.Errorf("with an old pg_dump: %v", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a failed backup left a file")
	}
}

// TestBackupOfAMissingFileCreatesNothing: backup opens the SQLite file without creating or
// migrating it, so a mistyped -db is an error, not an empty database and an empty backup.
func TestBackupOfAMissingFileCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DB: filepath.Join(dir, "typo.db")}
	err := runWith(context.Background(), cfg, []string{"backup", filepath.Join(dir, "backup.db")}, Streams{Out: io.Discard}, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("backup of a missing file succeeded")
	}
	for _, f := range []string{"typo.db", "backup.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("the failed backup made %s", f)
		}
	}
}
