package models

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func aggregatesOf(t *testing.T, db *DB, surveyID uint) []Aggregate {
	t.Helper()
	var out []Aggregate
	if err := db.Read.Where("survey_id = ?", surveyID).Order("dimension, grp, question, item, option").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTalliesGiveTheSameFiguresAsARecount closes a survey from the tallies kept at submit,
// then from a recount of the answers, and finds the same aggregates.
func TestTalliesGiveTheSameFiguresAsARecount(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	if err := SeedResponses(db.Write, s, 150, rand.New(rand.NewPCG(3, 4))); err != nil {
		t.Fatal(err)
	}
	closeForTest(t, db, s)
	fromTallies := aggregatesOf(t, db, s.ID)
	if len(fromTallies) == 0 {
		t.Fatal("no aggregates")
	}

	// Lose a tally row: the disagreement is noticed and the tallies are recounted.
	var lost Tally
	if err := db.Write.Where("survey_id = ? AND question = ''", s.ID).First(&lost).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Write.Delete(&lost).Error; err != nil {
		t.Fatal(err)
	}
	if err := ComputeAggregates(db.Write, s.ID); err != nil {
		t.Fatal(err)
	}
	if recounted := aggregatesOf(t, db, s.ID); !reflect.DeepEqual(recounted, fromTallies) {
		t.Fatalf("a recount gives other figures: %d rows vs %d", len(recounted), len(fromTallies))
	}
	agree, err := talliesAgree(db.Read, s.ID)
	if err != nil || !agree {
		t.Fatalf("after the recount the tallies disagree: %v", err)
	}
}

func talliesOf(t *testing.T, db *DB, surveyID uint) []Tally {
	t.Helper()
	var out []Tally
	if err := db.Read.Where("survey_id = ?", surveyID).Order("question, item, option, department, province, size").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSubmitTalliesEqualARecount submits responses one by one, as respondents do, adds the
// queue to the tallies in small batches, and finds them equal to a recount of the answers in
// SQL, and to what the tally rules (which the slice pass counts with) give each response.
func TestSubmitTalliesEqualARecount(t *testing.T) {
	t.Run("reference survey", func(t *testing.T) { testSubmitTalliesEqualARecount(t, false) })
	// With skip logic, both count who was shown each question that a rule can hide.
	t.Run("skip logic", func(t *testing.T) { testSubmitTalliesEqualARecount(t, true) })
}

func testSubmitTalliesEqualARecount(t *testing.T, skip bool) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	if skip {
		def := referenceDef(t)
		def.Sections[2].ShowIf = &Condition{Question: "overleg", Values: []string{"ja"}}
		def.Sections[3].Questions[0].ShowIf = &Condition{Question: "kc_plannen", Values: []string{"basis_op_orde", "sturing"}}
		if _, err := ChangeDefinition(db.Write, s.ID, def, Actor{Name: "test"}, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		s = referenceSurvey(t, db)
	}
	def, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	var ms []Municipality
	if err := db.Read.Where("register = ?", s.Register).Order("code").Limit(60).Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	ms = append(ms, Municipality{Code: "9999"}) // not in the register: no province or size class
	rng := rand.New(rand.NewPCG(5, 6))
	want := map[Tally]bool{} // what the tally rules add up to, n and total included
	sums := map[Tally]*Tally{}
	for i := range ms {
		r := completeDraft(t, db, s, def, &ms[i], rng)
		if err := Submit(db.Write, s, r, NewToken(), "nl"); err != nil {
			t.Fatalf("submit %s: %v", ms[i].Code, err)
		}
		answers, err := AnswersOf(db.Read, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		cell := Tally{SurveyID: s.ID}
		if ms[i].Province != "" {
			cell.Province, cell.Size = ms[i].Province, SizeClassOf(ms[i].Population).Key
		}
		if pq := profileQuestion(def); pq != nil {
			for _, a := range answers {
				if a.Question == pq.Code {
					cell.Department = a.Option
				}
			}
		}
		newTallyRules(def).each(answers, func(k tallyKey, number float64) {
			key := cell
			key.Question, key.Item, key.Option = k.question, k.item, k.option
			if sums[key] == nil {
				sums[key] = &Tally{}
			}
			sums[key].N++
			sums[key].Total += number
		})
	}
	for k, v := range sums {
		k.N, k.Total = v.N, v.Total
		want[k] = true
	}
	// In batches of 7, so that several batches, and the queue's order, are exercised. The
	// background pass may have taken some already: together they add each response once.
	if err := catchUpAllTallies(db.Write, s.ID, 7); err != nil {
		t.Fatal(err)
	}
	var queued int64
	if err := db.Read.Model(&Untallied{}).Count(&queued).Error; err != nil || queued != 0 {
		t.Fatalf("%d still queued: %v", queued, err)
	}
	kept := talliesOf(t, db, s.ID)
	if len(kept) < 100 {
		t.Fatalf("only %d tally rows", len(kept))
	}
	shown := 0
	for _, k := range kept {
		if k.Item == ShownItem {
			shown++
		}
		if !want[k] {
			t.Errorf("tally %+v is not what the tally rules give", k)
		}
	}
	if len(kept) != len(want) {
		t.Errorf("%d tally rows, the tally rules give %d", len(kept), len(want))
	}
	if skip != (shown > 0) {
		t.Fatalf("%d rows count who was shown a question, with skip logic %v", shown, skip)
	}
	if err := rebuildTallies(db.Write, s, def); err != nil {
		t.Fatal(err)
	}
	if recount := talliesOf(t, db, s.ID); !reflect.DeepEqual(recount, kept) {
		for i := range min(len(recount), len(kept)) {
			if recount[i] != kept[i] {
				t.Errorf("first difference: recount %+v, from the queue %+v", recount[i], kept[i])
				break
			}
		}
		t.Fatalf("a recount gives other tallies: %d rows vs %d", len(recount), len(kept))
	}
}
