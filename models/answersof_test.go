package models

import (
	"reflect"
	"strings"
	gosync "sync"
	"testing"

	"gorm.io/gorm/schema"

	"peiling/models/dbtest"
)

// TestAnswersOfReadsWhatFindRead: AnswersOf reads with a fixed statement; it must name every
// column of Answer, in order (a new field would otherwise stay empty on the pages and in the
// checks), and give the same answers in the same order as gorm's Find: a NULL and a set number,
// texts, items, and nothing of another response; for a response without answers, as Find, an
// empty list.
func TestAnswersOfReadsWhatFindRead(t *testing.T) {
	sch, err := schema.Parse(&Answer{}, &gosync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	sel := strings.Fields(strings.NewReplacer(",", " ").Replace(strings.SplitN(strings.TrimPrefix(answersOfSQL, "SELECT "), "FROM", 2)[0]))
	if !reflect.DeepEqual(sel, sch.DBNames) {
		t.Fatalf("AnswersOf reads %v, Answer has %v", sel, sch.DBNames)
	}

	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	var rs []*Response
	for range 3 {
		r, _, err := StartDraft(db.Write, s, "nl")
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	num := func(f float64) *float64 { return &f }
	own, other := rs[0].ID, rs[1].ID
	answers := []Answer{
		{ResponseID: own, Question: "gemeente", Option: "0228", Text: "Ede"},
		{ResponseID: other, Question: "gemeente", Option: "0232", Text: "Epe"},
		{ResponseID: own, Question: "kc_stellingen", Item: "meer_samenwerken", Option: "helemaal_eens"},
		{ResponseID: own, Question: "fte", Number: num(1234.5)},
		{ResponseID: own, Question: "afdeling", Option: "anders", Text: "Informatiebeheer 🎉"},
		{ResponseID: own, Question: "leeg", Number: num(0)},
		{ResponseID: other, Question: "fte", Number: num(-3.25)},
	}
	if err := db.Write.Create(&answers).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		var want []Answer
		if err := db.Read.Where("response_id = ?", r.ID).Order("id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		got, err := AnswersOf(db.Read, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("response %d: AnswersOf\n %+v\nFind\n %+v", r.ID, got, want)
		}
	}
	got, _ := AnswersOf(db.Read, own)
	if len(got) != 5 || got[0].Number != nil || got[2].Number == nil || *got[2].Number != 1234.5 || got[1].Item != "meer_samenwerken" || got[3].Text != "Informatiebeheer 🎉" {
		t.Errorf("own answers came back as %+v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Errorf("not in the order saved: %+v", got)
		}
	}
}
