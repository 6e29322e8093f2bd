package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

// TestPurgeCommandDeletesWhatIsDueAtTheGivenMoment runs "peiling purge" on a database file
// with a contact address in a closed survey: before the retention date it deletes nothing,
// after it the address is gone from the file itself.
func TestPurgeCommandDeletesWhatIsDueAtTheGivenMoment(t *testing.T) {
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	const address = "contact.bewaren@groningen.example"
	log := slog.New(slog.DiscardHandler)
	db, err := openWithDefaults(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.FindSurvey(db.Read, models.ReferenceSlug)
	if err != nil {
		t.Fatal(err)
	}
	closed := time.Date(2018, 1, 31, 12, 0, 0, 0, time.UTC)
	if _, _, err := models.Invite(db.Write, s, models.NewLinkKey([]byte("k")), []models.Contact{{Code: "0014", Name: "Kees", Email: address}}, models.System, closed); err != nil {
		t.Fatal(err)
	}
	if err := models.CloseSurvey(db.Write, s.ID, models.System, closed); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	purge := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runWith(context.Background(), cfg, append([]string{"purge"}, args...), Streams{Out: &out}, log)
		return out.String(), err
	}
	// On SQLite the address must be gone from the file's bytes; PostgreSQL's files are the
	// server's (docs/deployment.md), so there it must be gone from the rows.
	inFile := func() bool {
		if dbtest.Postgres() {
			db, err := models.Open(cfg.DB, log)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int64
			db.Read.Model(&models.Invitation{}).Where("email = ?", address).Count(&n)
			return n > 0
		}
		b, err := os.ReadFile(cfg.DB)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(b, []byte(address))
	}

	if _, err := purge("-now"); err == nil || !strings.Contains(err.Error(), "usage: peiling purge") {
		t.Fatalf("-now without a survey: %v", err)
	}
	out, err := purge("-at", "2018-02-28T12:00:00Z")
	if err != nil || !strings.Contains(out, "nothing was due") || !inFile() {
		t.Fatalf("purge before the date: %q, %v, address in file %v", out, err, inFile())
	}
	out, err = purge("-at", "2018-03-02T12:00:00Z", models.ReferenceSlug)
	if err != nil || !strings.Contains(out, "klantcontact-2018: 1 contact rows blanked") {
		t.Fatalf("purge after the date: %q, %v", out, err)
	}
	if inFile() {
		t.Fatal("the address is still in the database file")
	}
	if out, err = purge("-at", "2018-03-03T12:00:00Z"); err != nil || !strings.Contains(out, "nothing was due") {
		t.Fatalf("second purge: %q, %v", out, err)
	}
}
