package models

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// openSeeded opens (or reopens) the database at dsn (dbtest.DSN) with the defaults loaded: the
// reference survey, open.
func openSeeded(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func referenceSurvey(t *testing.T, db *DB) *Survey {
	t.Helper()
	s, err := FindSurvey(db.Read, "klantcontact-2018")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func actions(t *testing.T, db *DB, surveyID uint) []string {
	t.Helper()
	log, err := SurveyAudit(db.Read, surveyID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		out = append(out, e.Action)
	}
	return out
}

func TestLifecycleMovesOnlyAlongAllowedSteps(t *testing.T) {
	at := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		from       string
		step       func(db *DB, id uint) error
		wantErr    error
		wantStatus string
		wantAction string
	}{
		{"open a draft", StatusDraft, func(db *DB, id uint) error { return OpenSurvey(db.Write, id, System, at) }, nil, StatusOpen, ActionOpened},
		{"reopen a closed survey", StatusClosed, func(db *DB, id uint) error { return OpenSurvey(db.Write, id, System, at) }, nil, StatusOpen, ActionReopened},
		{"open an open survey", StatusOpen, func(db *DB, id uint) error { return OpenSurvey(db.Write, id, System, at) }, ErrWrongStatus, StatusOpen, ""},
		{"close an open survey", StatusOpen, func(db *DB, id uint) error { return CloseSurvey(db.Write, id, System, at) }, nil, StatusClosed, ActionClosed},
		{"close a draft", StatusDraft, func(db *DB, id uint) error { return CloseSurvey(db.Write, id, System, at) }, ErrWrongStatus, StatusDraft, ""},
		{"close a closed survey", StatusClosed, func(db *DB, id uint) error { return CloseSurvey(db.Write, id, System, at) }, ErrWrongStatus, StatusClosed, ""},
		{"closing time on a closed survey", StatusClosed, func(db *DB, id uint) error {
			t := at.Add(time.Hour)
			return SetClosingTime(db.Write, id, &t, System, at)
		}, ErrWrongStatus, StatusClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openSeeded(t, dbtest.DSN(t, "p.db"))
			s := referenceSurvey(t, db)
			if err := db.Write.Model(s).Update("status", tt.from).Error; err != nil {
				t.Fatal(err)
			}
			err := tt.step(db, s.ID)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := referenceSurvey(t, db).Status; got != tt.wantStatus {
				t.Errorf("status = %s, want %s", got, tt.wantStatus)
			}
			got := actions(t, db, s.ID)
			if tt.wantAction == "" && len(got) > 0 || tt.wantAction != "" && (len(got) != 1 || got[0] != tt.wantAction) {
				t.Errorf("audit = %v, want [%s]", got, tt.wantAction)
			}
		})
	}
}

func TestClosingTimeClosesTheSurveyAlsoAfterARestart(t *testing.T) {
	path := dbtest.DSN(t, "p.db")
	db := openSeeded(t, path)
	s := referenceSurvey(t, db)
	setAt := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
	closesAt := setAt.Add(48 * time.Hour)
	if err := SetClosingTime(db.Write, s.ID, &closesAt, System, setAt); err != nil {
		t.Fatal(err)
	}
	if closed, err := CloseDueSurveys(db.Write, closesAt.Add(-time.Second)); err != nil || len(closed) != 0 {
		t.Fatalf("a second early: closed %v, err %v", closed, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openSeeded(t, path) // the process restarts three days later
	closed, err := CloseDueSurveys(db.Write, closesAt.Add(72*time.Hour))
	if err != nil || len(closed) != 1 || closed[0] != s.Slug {
		t.Fatalf("after restart: closed %v, err %v", closed, err)
	}
	got := referenceSurvey(t, db)
	if got.Status != StatusClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(closesAt) {
		t.Fatalf("survey = %s closed at %v, want closed at %v", got.Status, got.ClosedAt, closesAt)
	}
	log, _ := SurveyAudit(db.Read, s.ID)
	if len(log) != 2 || log[0].Action != ActionAutoClosed || log[0].Actor != SystemName || log[1].Action != ActionClosingTimeSet {
		t.Fatalf("audit = %+v", log)
	}
	if again, _ := CloseDueSurveys(db.Write, closesAt.Add(73*time.Hour)); len(again) != 0 {
		t.Errorf("closed twice: %v", again)
	}
}

func TestClosingTimeRules(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	at := time.Now().UTC()
	past := at.Add(-time.Minute)
	if err := SetClosingTime(db.Write, s.ID, &past, System, at); !errors.Is(err, ErrClosingTimePast) {
		t.Fatalf("closing time in the past: %v", err)
	}
	soon := at.Add(time.Hour)
	if err := SetClosingTime(db.Write, s.ID, &soon, System, at); err != nil {
		t.Fatal(err)
	}
	if err := SetClosingTime(db.Write, s.ID, &soon, System, at); err != nil {
		t.Fatal(err)
	}
	if err := SetClosingTime(db.Write, s.ID, nil, System, at); err != nil {
		t.Fatal(err)
	}
	got := actions(t, db, s.ID)
	if len(got) != 2 || got[0] != ActionClosingTimeCleared || got[1] != ActionClosingTimeSet {
		t.Errorf("audit = %v: setting the same time twice is one change", got)
	}
}

func TestPassedClosingTimeRefusesRespondentsBeforeTheCloserRuns(t *testing.T) {
	past := time.Now().UTC().Add(-time.Second)
	s := Survey{Status: StatusOpen, ClosesAt: &past}
	if err := s.Accepting(); !errors.Is(err, ErrSurveyClosed) {
		t.Fatalf("Accepting after the closing time = %v", err)
	}
	future := time.Now().UTC().Add(time.Hour)
	s.ClosesAt = &future
	if err := s.Accepting(); err != nil {
		t.Fatalf("Accepting before the closing time = %v", err)
	}
}

func TestReopenClearsAPassedClosingTime(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	at := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
	closesAt := at.Add(time.Hour)
	if err := SetClosingTime(db.Write, s.ID, &closesAt, System, at); err != nil {
		t.Fatal(err)
	}
	if _, err := CloseDueSurveys(db.Write, closesAt); err != nil {
		t.Fatal(err)
	}
	if err := OpenSurvey(db.Write, s.ID, System, closesAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := referenceSurvey(t, db)
	if got.Status != StatusOpen || got.ClosesAt != nil || got.ClosedAt != nil {
		t.Fatalf("after reopen: %s closes %v closed %v", got.Status, got.ClosesAt, got.ClosedAt)
	}
	if closed, _ := CloseDueSurveys(db.Write, closesAt.Add(2*time.Hour)); len(closed) != 0 {
		t.Errorf("a reopened survey closed again at once: %v", closed)
	}
}

func TestSetupTokenWorksOnce(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	token, err := NewSetupToken(db.Write)
	if err != nil || token == "" {
		t.Fatalf("token %q, err %v", token, err)
	}
	if err := CheckSetupToken(db.Read, token+"x"); !errors.Is(err, ErrBadSetupLink) {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := CreateFirstResearcher(db.Write, token, "eerste@example.nl", "short"); !errors.Is(err, ErrPasswordLength) {
		t.Fatalf("short password: %v", err)
	}
	r, err := CreateFirstResearcher(db.Write, token, "Eerste@Example.nl", "een lang wachtwoord")
	if err != nil || r.Email != "eerste@example.nl" {
		t.Fatalf("first account: %+v, %v", r, err)
	}
	if _, err := CreateFirstResearcher(db.Write, token, "tweede@example.nl", "een lang wachtwoord"); !errors.Is(err, ErrBadSetupLink) {
		t.Fatalf("second use: %v", err)
	}
	if again, err := NewSetupToken(db.Write); err != nil || again != "" {
		t.Fatalf("with an account present, a new token %q, %v", again, err)
	}
	log, _ := AccountAudit(db.Read, 10)
	if len(log) != 1 || log[0].Action != ActionResearcherCreated || log[0].Actor != "eerste@example.nl" || log[0].ResearcherID == nil {
		t.Fatalf("audit = %+v", log)
	}
}

func TestResearcherAccountChangesAreAudited(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	const email, pw = "a@example.nl", "twaalf tekens lang"
	if _, err := SetPassword(db.Write, email, pw, System); !errors.Is(err, ErrNotFound) {
		t.Fatalf("passwd of a missing account: %v", err)
	}
	if _, err := AddResearcher(db.Write, email, pw, System); err != nil {
		t.Fatal(err)
	}
	if _, err := AddResearcher(db.Write, email, pw, System); !errors.Is(err, ErrResearcherExists) {
		t.Fatalf("add twice: %v", err)
	}
	if _, err := SetResearcher(db.Write, email, pw); err != nil { // same password: no change
		t.Fatal(err)
	}
	if _, err := SetPassword(db.Write, email, "een ander wachtwoord", System); err != nil {
		t.Fatal(err)
	}
	if _, err := Authenticate(db.Read, email, "een ander wachtwoord"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	log, _ := AccountAudit(db.Read, 10)
	if len(log) != 2 || log[0].Action != ActionPasswordSet || log[1].Action != ActionResearcherCreated || log[0].Subject != email {
		t.Fatalf("audit = %+v", log)
	}
}

func TestTwoInstancesClosingDueSurveysCloseEachOnce(t *testing.T) {
	dsn := dbtest.DSN(t, "p.db")
	a, b := openSeeded(t, dsn), openSeeded(t, dsn)
	s := referenceSurvey(t, a)
	at := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
	const rounds = 10
	for round := range rounds {
		if round > 0 {
			if err := OpenSurvey(a.Write, s.ID, System, at); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Write.Model(s).Update("closes_at", at.Add(-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		var closed [2][]string
		var errs [2]error
		done := make(chan struct{})
		for i, db := range []*DB{a, b} {
			go func() {
				defer func() { done <- struct{}{} }()
				closed[i], errs[i] = CloseDueSurveys(db.Write, at)
			}()
		}
		<-done
		<-done
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", round+1, errs[0], errs[1])
		}
		if n := len(closed[0]) + len(closed[1]); n != 1 {
			t.Fatalf("round %d: the survey was closed %d times (%v, %v)", round+1, n, closed[0], closed[1])
		}
	}
	var auto int64
	if err := a.Read.Model(&AuditEntry{}).Where("survey_id = ? AND action = ?", s.ID, ActionAutoClosed).Count(&auto).Error; err != nil {
		t.Fatal(err)
	}
	if auto != rounds {
		t.Errorf("%d closings audited, want %d", auto, rounds)
	}
}
