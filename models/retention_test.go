package models

import (
	"errors"
	"slices"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func TestTheWriteConnectionZeroesWhatADeleteFrees(t *testing.T) {
	dbtest.SkipOnPostgres(t, "PRAGMA secure_delete is SQLite's; PostgreSQL does not zero freed space (docs/deployment.md)")
	db := openSeeded(t, dbtest.DSN(t, "peiling.db"))
	var on int
	if err := db.Write.Raw("PRAGMA secure_delete").Scan(&on).Error; err != nil {
		t.Fatal(err)
	}
	if on != 1 {
		t.Fatalf("secure_delete on the write connection = %d", on)
	}
}

// TestPurgeFollowsTheRetentionDatesOnceAndRefusesReopening: an open survey keeps
// everything; a closed one loses each category on its day, audited once with its count;
// the aggregates do not change; reopening after the raw answers went is refused.
func TestPurgeFollowsTheRetentionDatesOnceAndRefusesReopening(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "peiling.db"))
	s := referenceSurvey(t, db)
	if _, _, err := Invite(db.Write, s, NewLinkKey([]byte("test")), []Contact{{Code: "0344", Name: "Anna", Email: "anna@utrecht.example"}}, System, now()); err != nil {
		t.Fatal(err)
	}
	article, err := ArticleResponses(db.Read, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := InsertSubmitted(db.Write, s, article); err != nil {
		t.Fatal(err)
	}
	if _, _, err := StartDraft(db.Write, s, "nl"); err != nil {
		t.Fatal(err)
	}
	far := now().Add(10 * 365 * 24 * time.Hour)
	if got, err := Purge(db.Write, s, far, System); err != nil || got.Any() {
		t.Fatalf("purge of an open survey: %+v, %v", got, err)
	}
	if _, err := PurgeAll(db.Write, s, far, System); !errors.Is(err, ErrWrongStatus) {
		t.Fatalf("everything now of an open survey: %v", err)
	}

	closeForTest(t, db, s)
	before := aggregatesOf(t, db, s.ID)
	closed := *s.ClosedAt
	day := 24 * time.Hour
	got, err := Purge(db.Write, s, closed.Add(DefaultContactDays*day), System)
	if err != nil || got.Contacts != 1 || got.Pending != 1 || got.Answers != 0 {
		t.Fatalf("purge after %d days: %+v, %v", DefaultContactDays, got, err)
	}
	if err := OpenSurvey(db.Write, s.ID, System, closed.Add(31*day)); err != nil {
		t.Fatalf("reopen with the raw answers kept: %v", err)
	}
	closeForTest(t, db, s)
	closed = *s.ClosedAt
	got, err = Purge(db.Write, s, closed.Add(DefaultAnswerDays*day), System)
	if err != nil || got.Answers == 0 {
		t.Fatalf("purge after %d days: %+v, %v", DefaultAnswerDays, got, err)
	}
	if again, err := Purge(db.Write, s, closed.Add(2*DefaultAnswerDays*day), System); err != nil || again.Any() {
		t.Fatalf("second purge: %+v, %v", again, err)
	}
	var deletions []string
	for _, a := range actions(t, db, s.ID) {
		if a == ActionContactsDeleted || a == ActionPendingDeleted || a == ActionAnswersDeleted {
			deletions = append(deletions, a)
		}
	}
	want := []string{ActionAnswersDeleted, ActionPendingDeleted, ActionContactsDeleted} // newest first
	if !slices.Equal(deletions, want) {
		t.Errorf("deletions audited: %q, want %q", deletions, want)
	}
	if after := aggregatesOf(t, db, s.ID); !slices.Equal(after, before) {
		t.Error("the aggregates changed when the raw answers were deleted")
	}
	err = OpenSurvey(db.Write, s.ID, System, closed.Add(400*day))
	var deleted *AnswersDeletedError
	if !errors.As(err, &deleted) || !deleted.At.Equal(closed.Add(DefaultAnswerDays*day)) {
		t.Fatalf("reopen after the raw answers were deleted: %v", err)
	}
	if err := StreamResponses(db.Read, s, func(*RawResponse) error { return nil }); !errors.Is(err, ErrAnswersDeleted) {
		t.Errorf("raw export after deletion: %v", err)
	}
	// Every table with an e-mail column is one the contacts purge covers.
	var tables []string
	db.Read.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%email%'`).Scan(&tables)
	for _, table := range tables {
		if table != "researchers" && !slices.Contains(ContactTables(), table) {
			t.Errorf("table %s holds e-mail addresses, but the purge leaves it alone (covers %q)", table, ContactTables())
		}
	}
}
