package models

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
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
	db := openSeeded(t, filepath.Join(t.TempDir(), "p.db"))
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
	if err := db.Write.Exec("DELETE FROM tallies WHERE rowid IN (SELECT rowid FROM tallies WHERE question = '' LIMIT 1)").Error; err != nil {
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
