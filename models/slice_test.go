package models

import (
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// articleWithOverleg loads the article's 119 responses with an answer to "overleg" (ja for
// every third respondent), closed.
func articleWithOverleg(t *testing.T) (*DB, *Survey) {
	t.Helper()
	db := openSeeded(t, filepath.Join(t.TempDir(), "p.db"))
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
		article[i].Answers = append(article[i].Answers, Answer{Question: "overleg", Option: option})
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
		for _, st := range sliceSteps(s, def, key, dim, nil, true) {
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
