package models

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"peiling/models/dbtest"
)

// TestSubmitRefusesTheSubmissionIDOfAnotherResponse: Submit writes through database/sql, not
// gorm, and still hears the unique index on submission_id as ErrAlreadySubmitted (gorm's
// TranslateError, kept by exec); the refused response stays a draft and is not tallied, and
// the response that owns the id sees its own submission again as success.
func TestSubmitRefusesTheSubmissionIDOfAnotherResponse(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "s.db"))
	s := referenceSurvey(t, db)
	def, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	var ms []Municipality
	if err := db.Read.Where("register = ?", s.Register).Order("code").Limit(2).Find(&ms).Error; err != nil || len(ms) != 2 {
		t.Fatalf("%d municipalities: %v", len(ms), err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	drafts := []*Response{completeDraft(t, db, s, def, &ms[0], rng), completeDraft(t, db, s, def, &ms[1], rng)}
	if err := Submit(db.Write, s, drafts[0], "sub-1", "nl"); err != nil {
		t.Fatal(err)
	}
	if err := Submit(db.Write, s, drafts[1], "sub-1", "en"); !errors.Is(err, ErrAlreadySubmitted) {
		t.Fatalf("a second response with the same submission id: %v, want ErrAlreadySubmitted", err)
	}
	var second Response
	if err := db.Read.First(&second, drafts[1].ID).Error; err != nil {
		t.Fatal(err)
	}
	if second.Status != ResponseDraft || second.SubmissionID != nil || second.Reference != nil {
		t.Errorf("the refused response became %s (submission %v, reference %v)", second.Status, second.SubmissionID, second.Reference)
	}
	if err := catchUpAllTallies(db.Write, s.ID, tallyBatch); err != nil {
		t.Fatal(err)
	}
	var tallied int64
	if err := db.Read.Raw(`SELECT COALESCE(SUM(n), 0) FROM tallies WHERE survey_id = ? AND question = ''`, s.ID).Scan(&tallied).Error; err != nil {
		t.Fatal(err)
	}
	if tallied != 1 {
		t.Errorf("%d respondents tallied, want 1", tallied)
	}
	again := &Response{ID: drafts[0].ID}
	if err := Submit(db.Write, s, again, "sub-1", "nl"); err != nil || !again.Submitted() || again.Reference == nil {
		t.Errorf("the same submission again: %v, %+v", err, again)
	}
}

// completeDraft stores a draft of survey s for municipality m with every page answered, at
// random, as a respondent would leave it before pressing Verzenden.
func completeDraft(t *testing.T, db *DB, s *Survey, def *Definition, m *Municipality, rng *rand.Rand) *Response {
	t.Helper()
	code := m.Code
	r := Response{SurveyID: s.ID, Status: ResponseDraft, TokenHash: HashToken(NewToken()), MunicipalityCode: &code, Reached: len(def.Sections), Version: s.Version}
	if err := db.Write.Create(&r).Error; err != nil {
		t.Fatal(err)
	}
	answers := RandomAnswers(def, m, rng)
	for j := range answers {
		answers[j].ResponseID = r.ID
	}
	if err := db.Write.Create(&answers).Error; err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestStartDraftReturnsWhatItStored: StartDraft inserts by a fixed statement; the draft it
// returns is the row as stored, defaults included, times to the database's resolution.
func TestStartDraftReturnsWhatItStored(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "s.db"))
	s := referenceSurvey(t, db)
	r, token, err := StartDraft(db.Write, s, "en")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := FindResponse(db.Read, s, token)
	if err != nil {
		t.Fatal(err)
	}
	d := dialectOf(db.Write)
	if !d.sameStoredTime(r.CreatedAt, stored.CreatedAt) || !d.sameStoredTime(r.UpdatedAt, stored.UpdatedAt) || r.CreatedAt.IsZero() {
		t.Errorf("times: returned %v / %v, stored %v / %v", r.CreatedAt, r.UpdatedAt, stored.CreatedAt, stored.UpdatedAt)
	}
	r.CreatedAt, r.UpdatedAt = stored.CreatedAt, stored.UpdatedAt
	if !reflect.DeepEqual(*r, *stored) {
		t.Errorf("returned\n %+v\nstored\n %+v", *r, *stored)
	}
	if r.ID == 0 || r.Status != ResponseDraft || r.Lang != "en" || r.Version != s.Version || r.Reached != 0 {
		t.Errorf("the draft: %+v", *r)
	}
}
