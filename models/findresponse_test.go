package models

import (
	"errors"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"peiling/models/dbtest"
)

// TestFindResponseReadsWhatTakeRead: FindResponse reads its row with a fixed statement; it must
// name every column of Response (a new field would otherwise stay empty on the way to the
// saves) and give the same Response as gorm's Take, for a fresh draft and for a response with
// every nullable column set.
func TestFindResponseReadsWhatTakeRead(t *testing.T) {
	sch, err := schema.Parse(&Response{}, &gosync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	sel := strings.Fields(strings.NewReplacer(",", " ").Replace(strings.SplitN(strings.TrimPrefix(responseColumns, "SELECT "), "FROM", 2)[0]))
	if !reflect.DeepEqual(sel, sch.DBNames) {
		t.Fatalf("FindResponse reads %v, Response has %v", sel, sch.DBNames)
	}

	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	_, token, err := StartDraft(db.Write, s, "en")
	if err != nil {
		t.Fatal(err)
	}
	full, fullToken, err := StartDraft(db.Write, s, "nl")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 16, 5, 7, 123456000, time.UTC)
	if err := db.Write.Model(&Response{}).Where("id = ?", full.ID).Updates(map[string]any{"municipality_code": "0228",
		"submission_id": "sub-1", "reference": "PL-AAAA-BBBB", "reached": 5, "status": ResponseSetAside,
		"set_aside_reason": "test", "submitted_at": at, "set_aside_at": at.Add(time.Hour)}).Error; err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{token, fullToken} {
		var want Response
		if err := db.Read.Where("token_hash = ? AND survey_id = ?", HashToken(tok), s.ID).Take(&want).Error; err != nil {
			t.Fatal(err)
		}
		got, err := FindResponse(db.Read, s, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("FindResponse\n %+v\nTake\n %+v", *got, want)
		}
	}
	if got, _ := FindResponse(db.Read, s, fullToken); got.SubmittedAt == nil || !got.SubmittedAt.Equal(at) || *got.MunicipalityCode != "0228" {
		t.Errorf("the set columns came back as %+v", got)
	}
	if _, err := FindResponse(db.Read, s, "no such token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown token: %v, want ErrNotFound", err)
	}
}

// TestFindResponseWithAnswersReadsWhatTwoReadsRead: the response and its answers read by one
// statement are the response FindResponse reads and the answers AnswersOf reads, in the same
// order, ids aside: for a draft without answers (PostgreSQL's aggregate gives NULL), and for
// one with numbers, empty fields, quotes, escapes and text beyond ASCII.
func TestFindResponseWithAnswersReadsWhatTwoReadsRead(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	_, empty, err := StartDraft(db.Write, s, "nl")
	if err != nil {
		t.Fatal(err)
	}
	r, full, err := StartDraft(db.Write, s, "nl")
	if err != nil {
		t.Fatal(err)
	}
	third, twelve := 1.0/3, 12.0
	stored := []Answer{
		{ResponseID: r.ID, Question: "z_last_code_first", Option: "o1"},
		{ResponseID: r.ID, Question: "a", Item: "s1", Option: "3", Number: &third},
		{ResponseID: r.ID, Question: "b", Text: "\"quoted\" \\ back\nslash, tab\t, ünïcödé € and \u0001"},
		{ResponseID: r.ID, Question: "a", Item: "s2", Number: &twelve},
	}
	if err := db.Write.Create(&stored).Error; err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{empty, full} {
		wantR, err := FindResponse(db.Read, s, tok)
		if err != nil {
			t.Fatal(err)
		}
		want, err := AnswersOf(db.Read, wantR.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].ID = 0
		}
		gotR, got, err := FindResponseWithAnswers(db.Read, s, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotR, wantR) || !reflect.DeepEqual(got, want) {
			t.Errorf("one read gave\n %+v\n %+v\ntwo reads\n %+v\n %+v", gotR, got, wantR, want)
		}
		if got == nil {
			t.Error("no answers came back as nil, not empty")
		}
	}
	if _, _, err := FindResponseWithAnswers(db.Read, s, "no such token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown token: %v, want ErrNotFound", err)
	}
}
