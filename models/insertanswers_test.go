package models

import (
	"reflect"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"peiling/models/dbtest"
)

// TestInsertAnswersStoresWhatCreateStored: a section's answers are stored by one INSERT of many
// rows, not by gorm's Create. The statement must name every column of Answer but its id (a new
// field would otherwise never be stored), and what it stores must read back as gorm stored it:
// in order, with a number and without one, across more rows than one statement takes.
func TestInsertAnswersStoresWhatCreateStored(t *testing.T) {
	sch, err := schema.Parse(&Answer{}, &gosync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	cols := strings.Fields(strings.NewReplacer(",", " ", `"`, "", "(", " ", ")", " ").Replace(
		strings.TrimSuffix(strings.TrimPrefix(insertAnswersSQL, "INSERT INTO answers "), " VALUES ")))
	want := slices.DeleteFunc(slices.Clone(sch.DBNames), func(c string) bool { return c == "id" })
	if !reflect.DeepEqual(cols, want) {
		t.Fatalf("insertAnswers writes %v, Answer has %v", cols, want)
	}

	db := openSeeded(t, dbtest.DSN(t, "a.db"))
	s := referenceSurvey(t, db)
	viaCreate, _, err := StartDraft(db.Write, s, "nl")
	if err != nil {
		t.Fatal(err)
	}
	viaInsert, _, err := StartDraft(db.Write, s, "nl")
	if err != nil {
		t.Fatal(err)
	}
	n := 2*answersPerInsert + 7
	answers := make([]Answer, n)
	for i := range answers {
		x := float64(i) - 0.25
		answers[i] = Answer{Question: "q" + strings.Repeat("x", i%3), Item: []string{"", "s1"}[i%2], Option: "o", Text: "tekst 'met' ? en \"quotes\""}
		if i%4 != 0 {
			answers[i].Number = &x
		}
	}
	byCreate := slices.Clone(answers)
	for i := range byCreate {
		byCreate[i].ResponseID = viaCreate.ID
	}
	if err := db.Write.CreateInBatches(&byCreate, 100).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Write.Transaction(func(tx *gorm.DB) error { return insertAnswers(tx, viaInsert.ID, answers) }); err != nil {
		t.Fatal(err)
	}
	stored := func(id uint) []Answer {
		var as []Answer
		if err := db.Read.Where("response_id = ?", id).Order("id").Find(&as).Error; err != nil {
			t.Fatal(err)
		}
		for i := range as {
			as[i].ID, as[i].ResponseID = 0, 0
		}
		return as
	}
	got, wantRows := stored(viaInsert.ID), stored(viaCreate.ID)
	if len(got) != n || !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("insertAnswers stored %d answers, Create %d; first %+v against %+v", len(got), len(wantRows), got[:min(2, len(got))], wantRows[:min(2, len(wantRows))])
	}
}
