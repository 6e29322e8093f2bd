package models

import (
	"testing"
	"time"

	"peiling/models/dbtest"
)

// TestOpenAnswerSearchIgnoresCaseAndTakesWildcardsLiterally holds on both databases: LIKE on
// SQLite, ILIKE on PostgreSQL (dialect.like).
func TestOpenAnswerSearchIgnoresCaseAndTakesWildcardsLiterally(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	var batch []SeededResponse
	for _, text := range []string{"Een PLAN van aanpak", "plan nummer twee", "geen idee", "100% digitaal"} {
		batch = append(batch, SeededResponse{SubmittedAt: time.Now().UTC(), Answers: []Answer{{Question: "kc_concreet", Text: text}}})
	}
	if err := InsertSubmitted(db.Write, s, batch); err != nil {
		t.Fatal(err)
	}
	closeForTest(t, db, s)
	for query, want := range map[string]int64{"Plan": 2, "plan": 2, "PLAN VAN": 1, "%": 1, "_": 0, "": 4} {
		got, err := CountFilteredAnswers(db.Read, s, "kc_concreet", AnswerFilter{Query: query})
		if err != nil || got != want {
			t.Errorf("search %q: %d answers, %v; want %d", query, got, err, want)
		}
	}
}
