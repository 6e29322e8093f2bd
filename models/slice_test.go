package models

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"peiling/models/dbtest"
)

// articleWithOverleg loads the article's 119 responses with an answer to "overleg" (ja for
// every third respondent), closed.
func articleWithOverleg(t *testing.T) (*DB, *Survey) {
	t.Helper()
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	article, err := ArticleResponses(db.Read, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range article {
		option := "nee"
		if i%3 == 0 {
			option = "ja"
		}
		kept := article[i].Answers[:0] // one answer to overleg: the article's own is replaced
		for _, a := range article[i].Answers {
			if a.Question != "overleg" {
				kept = append(kept, a)
			}
		}
		article[i].Answers = append(kept, Answer{Question: "overleg", Option: option})
	}
	if err := InsertSubmitted(db.Write, s, article); err != nil {
		t.Fatal(err)
	}
	closeForTest(t, db, s)
	return db, s
}

type countRow struct {
	Grp, Question, Item, Option string
	N                           int64
	Total                       float64
}

func sortedRows(rows []countRow) []countRow {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Grp != b.Grp {
			return a.Grp < b.Grp
		}
		if a.Question != b.Question {
			return a.Question < b.Question
		}
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		return a.Option < b.Option
	})
	return rows
}

// TestSlicesFromTheAnswersEqualTheStoredAggregates counts each stored breakdown again through
// the answers, the way a breakdown by a question is counted: both must give the same rows.
func TestSlicesFromTheAnswersEqualTheStoredAggregates(t *testing.T) {
	db, s := articleWithOverleg(t)
	def, _ := s.Def()
	for _, dim := range []string{DimAll, DimDepartment, DimProvince, DimSize} {
		key := "test-" + dim
		for _, st := range sliceSteps(dialectOf(db.Write), s, def, key, dim, nil, true) {
			if err := db.Write.Exec(st.sql, st.args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		var fromAnswers, stored []countRow
		db.Read.Raw(`SELECT grp, question, item, option, n, total FROM slice_counts WHERE slice = ?`, key).Scan(&fromAnswers)
		db.Read.Raw(`SELECT grp, question, item, option, n, total FROM aggregates WHERE survey_id = ? AND dimension = ?`, s.ID, dim).Scan(&stored)
		if len(stored) == 0 || !reflect.DeepEqual(sortedRows(fromAnswers), sortedRows(stored)) {
			t.Errorf("%q: %d rows from the answers, %d stored, not equal", dim, len(fromAnswers), len(stored))
		}
	}
}

// TestTheProfileQuestionIsChosenInTheDefinition: profile: true wins over the code "afdeling"
// and over the order; the other single questions remain breakdowns by their own code.
func TestTheProfileQuestionIsChosenInTheDefinition(t *testing.T) {
	src := strings.Replace(minimal, "      - code: aantal\n", `      - code: afdeling
        kind: single
        text: Afdeling?
        options: [{code: a, label: A}, {code: b, label: B}]
      - code: rol
        kind: single
        text: Rol?
        profile: true
        options: [{code: x, label: X}, {code: y, label: Y}]
      - code: aantal
`, 1)
	def, err := ParseDefinition("profiel.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if pq := profileQuestion(def); pq == nil || pq.Code != "rol" {
		t.Fatalf("profile question %v, want rol", pq)
	}
	// The question coded "afdeling" is not the profile question; ?indeling=afdeling is the
	// department breakdown (by rol), so that question cannot be a breakdown of its own.
	if got := strings.Join(Breakdowns(def), ","); got != "afdeling,provincie,grootte" {
		t.Errorf("breakdowns %s", got)
	}
	if NormalBreakdown(def, "rol") != DimDepartment {
		t.Errorf("?indeling=rol is not the department breakdown")
	}
	twice := strings.Replace(src, "        text: Afdeling?\n", "        text: Afdeling?\n        profile: true\n", 1)
	if _, err := ParseDefinition("twee.yaml", []byte(twice)); err == nil || !strings.Contains(err.Error(), "maar bij één vraag") {
		t.Errorf("two profile questions: %v", err)
	}
}
