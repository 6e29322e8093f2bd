package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

// userCmd runs "peiling user ARGS" with stdin as a pipe (not a terminal) that holds input.
func userCmd(t *testing.T, cfg Config, input string, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		_, _ = w.WriteString(input)
		w.Close()
	}()
	var out bytes.Buffer
	err = runWith(context.Background(), cfg, append([]string{"user"}, args...), Streams{In: r, Out: &out}, slog.New(slog.DiscardHandler))
	return out.String(), err
}

func TestUserCommandsReadThePasswordFromStdin(t *testing.T) {
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	steps := []struct {
		name, input string
		args        []string
		wantErr     string
	}{
		{"passwd before add", "een lang wachtwoord\n", []string{"passwd", "a@example.nl"}, "has no account"},
		{"add", "een lang wachtwoord\n", []string{"add", "A@Example.nl"}, ""},
		{"add twice", "een lang wachtwoord\n", []string{"add", "a@example.nl"}, "already has an account"},
		{"too short", "kort\n", []string{"passwd", "a@example.nl"}, "at least 12 characters"},
		{"no password", "", []string{"passwd", "a@example.nl"}, "no password on standard input"},
		{"not an address", "een lang wachtwoord\n", []string{"add", "niemand"}, "not an e-mail address"},
		{"no address", "", []string{"add"}, "usage: peiling user"},
		{"passwd", "nog een lang wachtwoord\r\n", []string{"passwd", "a@example.nl"}, ""},
	}
	for _, st := range steps {
		out, err := userCmd(t, cfg, st.input, st.args...)
		if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
			t.Fatalf("%s: err = %v, want %q", st.name, err, st.wantErr)
		}
		if err == nil && !strings.Contains(out, "password set for a@example.nl") {
			t.Errorf("%s: output %q", st.name, out)
		}
	}
	db, err := models.Open(cfg.DB, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := models.Authenticate(db.Read, "a@example.nl", "nog een lang wachtwoord"); err != nil {
		t.Errorf("the password from passwd does not log in: %v", err)
	}
	log, _ := models.AccountAudit(db.Read, 10)
	if len(log) != 2 || log[0].Action != models.ActionPasswordSet || log[1].Action != models.ActionResearcherCreated || log[0].Actor != models.SystemName {
		t.Errorf("audit = %+v", log)
	}
}

func TestBootstrapTakesTheAccountFromTheEnvironmentOrOffersASetupLink(t *testing.T) {
	db, err := models.Open(dbtest.DSN(t, "peiling.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)

	path, err := bootstrapResearcher(db, Config{}, log)
	if err != nil || !regexp.MustCompile(`^/admin/setup/[A-Za-z0-9_-]{43}$`).MatchString(path) {
		t.Fatalf("no account, no environment: %q, %v", path, err)
	}
	if _, err := bootstrapResearcher(db, Config{AdminEmail: "a@example.nl"}, log); err == nil {
		t.Error("an address without a password was accepted")
	}
	env := Config{AdminEmail: "a@example.nl", AdminPassword: "een lang wachtwoord"}
	for i := 0; i < 2; i++ { // the second start changes nothing
		if path, err = bootstrapResearcher(db, env, log); err != nil || path != "" {
			t.Fatalf("start %d with the environment: %q, %v", i+1, path, err)
		}
	}
	if err := models.CheckSetupToken(db.Read, "x"); !errors.Is(err, models.ErrBadSetupLink) {
		t.Errorf("the setup link outlived the first account: %v", err)
	}
	env.AdminPassword = "een nieuw lang wachtwoord"
	if _, err := bootstrapResearcher(db, env, log); err != nil {
		t.Fatal(err)
	}
	if _, err := models.Authenticate(db.Read, "a@example.nl", env.AdminPassword); err != nil {
		t.Errorf("the changed PEILING_ADMIN_PASSWORD does not log in: %v", err)
	}
	audit, _ := models.AccountAudit(db.Read, 10)
	if len(audit) != 2 {
		t.Errorf("audit = %+v, want created and one password change", audit)
	}
}

// syncBuffer is a bytes.Buffer that serve writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeClosesSurveysWhoseClosingTimePassedWhileItWasDown(t *testing.T) {
	cfg := Config{DB: dbtest.DSN(t, "peiling.db"), Addr: freeAddr(t)}
	db, err := models.Open(cfg.DB, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	s, _ := models.FindSurvey(db.Read, "klantcontact-2018")
	setAt := time.Now().Add(-2 * time.Hour)
	closesAt := setAt.Add(time.Hour).Truncate(time.Microsecond) // what PostgreSQL keeps of a time
	if err := models.SetClosingTime(db.Write, s.ID, &closesAt, models.System, setAt); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, cfg, nil, Streams{In: strings.NewReader(""), Out: out}, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "create the first one at") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !regexp.MustCompile(`no researcher account yet; create the first one at http://\S+/admin/setup/\S+`).MatchString(out.String()) {
		t.Errorf("no setup link printed: %q", out.String())
	}

	db, err = models.Open(cfg.DB, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, _ := models.FindSurvey(db.Read, "klantcontact-2018")
	if got.Status != models.StatusClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(closesAt.UTC()) {
		t.Errorf("after start: %s, closed at %v, want closed at %v", got.Status, got.ClosedAt, closesAt)
	}
}

func TestCloserClosesDueSurveysWithAFixedClock(t *testing.T) {
	db, err := models.Open(dbtest.DSN(t, "peiling.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := models.SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	s, _ := models.FindSurvey(db.Read, "klantcontact-2018")
	at := time.Date(2018, 4, 1, 12, 0, 0, 0, time.UTC)
	closesAt := at.Add(time.Hour)
	if err := models.SetClosingTime(db.Write, s.ID, &closesAt, models.System, at); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want string
	}{{closesAt.Add(-time.Second), models.StatusOpen}, {closesAt, models.StatusClosed}} {
		closeDueSurveys(db, tc.now, slog.New(slog.DiscardHandler))
		if got, _ := models.FindSurvey(db.Read, s.Slug); got.Status != tc.want {
			t.Errorf("at %v: %s, want %s", tc.now, got.Status, tc.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestUserRemoveDeletesTheAccountRevokesItsTokensAndIsAudited(t *testing.T) {
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	if _, err := userCmd(t, cfg, "een lang wachtwoord\n", "add", "weg@example.nl"); err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(cfg.DB, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := models.Authenticate(db.Read, "weg@example.nl", "een lang wachtwoord")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := models.CreateToken(db.Write, r, "script")
	if err != nil {
		t.Fatal(err)
	}
	out, err := userCmd(t, cfg, "", "remove", "Weg@Example.nl")
	if err != nil || !strings.Contains(out, "account of weg@example.nl removed") {
		t.Fatalf("remove: %v, %q", err, out)
	}
	if _, err := models.Authenticate(db.Read, "weg@example.nl", "een lang wachtwoord"); !errors.Is(err, models.ErrBadLogin) {
		t.Errorf("the removed account still logs in: %v", err)
	}
	if _, err := models.Authorise(db.Read, secret); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the removed account's API token still works: %v", err)
	}
	if _, err := userCmd(t, cfg, "", "remove", "weg@example.nl"); err == nil || !strings.Contains(err.Error(), "has no account") {
		t.Errorf("removing twice: %v", err)
	}
	log, _ := models.AccountAudit(db.Read, 10)
	if len(log) == 0 || log[0].Action != models.ActionResearcherRemoved || log[0].Subject != "weg@example.nl" || log[0].Actor != models.SystemName {
		t.Errorf("audit = %+v", log)
	}
}
