package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

// serveInBackground runs "peiling serve" on dsn until the test ends and returns its address.
func serveInBackground(t *testing.T, dsn string) string {
	t.Helper()
	cfg := Config{DB: dsn, Addr: freeAddr(t)}
	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, cfg, nil, Streams{In: strings.NewReader(""), Out: out}, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve %s: %v", models.Redacted(dsn), err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "serving on") {
		if time.Now().After(deadline) {
			t.Fatalf("serve %s printed no address: %q", models.Redacted(dsn), out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + cfg.Addr
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%.500s", url, resp.StatusCode, body)
	}
	return string(body)
}

var fraction = regexp.MustCompile(`\.\d+Z`)

// toMicroseconds cuts the fractions of seconds of the JSON times in s to six digits and drops
// trailing zeros, as Go writes a time of PostgreSQL's resolution.
func toMicroseconds(s string) string {
	return fraction.ReplaceAllStringFunc(s, func(f string) string {
		digits := strings.TrimSuffix(f[1:], "Z")
		digits = strings.TrimRight(digits[:min(6, len(digits))], "0")
		if digits == "" {
			return "Z"
		}
		return "." + digits + "Z"
	})
}

// TestCopyDBServesTheSameResults moves the demo installation (the article's 119 responses,
// closed and published) with "peiling copy-db" into the test run's backend (PostgreSQL in
// scripts/test's postgres stage): the copy serves the same public results page and the same
// API answer, with the API token and the session key of the original.
func TestCopyDBServesTheSameResults(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	from := Config{DB: filepath.Join(t.TempDir(), "peiling.db")}
	if err := runWith(context.Background(), from, []string{"demo"}, Streams{Out: io.Discard}, log); err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(from.DB, log)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := models.FindSurvey(db.Read, models.ReferenceSlug)
	r, err := models.AddResearcher(db.Write, "onderzoeker@example.nl", "een lang wachtwoord", models.System)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := models.CreateToken(db.Write, r, "dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SetPublished(db.Write, s, true, true, models.System, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	to := dbtest.DSN(t, "copy.db")
	var out bytes.Buffer
	if err := runWith(context.Background(), Config{}, []string{"copy-db", "-from", from.DB, "-to", to}, Streams{Out: &out}, log); err != nil {
		t.Fatalf("copy-db: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "aggregates of 1 closed surveys recomputed on the target equal") {
		t.Errorf("copy-db said:\n%s", out.String())
	}

	original, copied := serveInBackground(t, from.DB), serveInBackground(t, to)
	for _, path := range []string{"/r/klantcontact-2018", "/r/klantcontact-2018?indeling=provincie", "/api/v1/surveys/klantcontact-2018/results"} {
		a, b := get(t, original+path, token), get(t, copied+path, token)
		if dbtest.Postgres() { // PostgreSQL keeps a time to the microsecond, SQLite to the nanosecond
			a, b = toMicroseconds(a), toMicroseconds(b)
		}
		if !strings.Contains(a, "119") {
			t.Errorf("%s on the original does not show the 119 respondents:\n%.500s", path, a)
		}
		if a != b {
			t.Errorf("%s differs between the original and the copy:\n%.2000s\n\n%.2000s", path, a, b)
		}
	}
	if err := runWith(context.Background(), Config{}, []string{"copy-db", "-from", from.DB, "-to", to}, Streams{Out: io.Discard}, log); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second copy into the same database: %v", err)
	}
}
