package models

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

// TestPrecomputedSlicesEqualSlicesCountedOneByOne: the one pass after closing stores, for every
// breakdown and every filter that involves a question, exactly the rows the statement that
// counts that slice alone from the answers gives; and it stores nothing twice.
func TestPrecomputedSlicesEqualSlicesCountedOneByOne(t *testing.T) {
	db, s := articleWithOverleg(t)
	def, _ := s.Def()
	n, err := PrecomputeSlices(db.Read, db.Write, s)
	if err != nil {
		t.Fatal(err)
	}
	dims := Breakdowns(def)
	var specs []SliceSpec
	for _, b := range append([]string{DimAll}, dims...) {
		specs = append(specs, SliceSpec{Breakdown: b})
		for _, d := range dims {
			gs, err := GroupChoices(db.Read, s, def, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gs {
				specs = append(specs, SliceSpec{Breakdown: b, Filter: &Filter{Dim: d, Value: g.Key}})
			}
		}
	}
	want := 0
	for _, sp := range specs {
		if SliceFromAnswers([]SliceSpec{sp}) {
			want++
		}
		if sp.Breakdown == DimAll && sp.Filter != nil && tallyColumn(sp.Filter.Dim) == "" {
			want++ // and the respondents by province and size class, for the cross table
		}
	}
	if n != want || n == 0 {
		t.Fatalf("stored %d slices, want %d", n, want)
	}
	if again, err := PrecomputeSlices(db.Read, db.Write, s); err != nil || again != 0 {
		t.Fatalf("a second pass stored %d slices (%v), want none", again, err)
	}
	read := func(key string) []countRow {
		var rows []countRow
		db.Read.Raw(`SELECT grp, question, item, option, n, total FROM slice_counts WHERE survey_id = ? AND slice = ?`, s.ID, key).Scan(&rows)
		return sortedRows(rows)
	}
	for _, sp := range specs {
		if !SliceFromAnswers([]SliceSpec{sp}) {
			continue
		}
		key := sliceKey(s, sp.Breakdown, sp.Filter)
		pass := read(key)
		if err := db.Write.Where("slice = ?", key).Delete(&SliceCount{}).Error; err != nil {
			t.Fatal(err)
		}
		if err := EnsureSlice(db.Write, s, sp.Breakdown, sp.Filter); err != nil {
			t.Fatal(err)
		}
		alone := read(key)
		if len(pass) != len(alone) {
			t.Errorf("%s: %d rows from the pass, %d counted alone", key, len(pass), len(alone))
			continue
		}
		for i := range pass {
			a, b := pass[i], alone[i]
			if a.Grp != b.Grp || a.Question != b.Question || a.Item != b.Item || a.Option != b.Option || a.N != b.N || math.Abs(a.Total-b.Total) > 1e-6 {
				t.Errorf("%s: row %d is %+v from the pass, %+v counted alone", key, i, a, b)
				break
			}
		}
	}
}

// TestSlicesOutliveTheRawAnswersButAreNotCountedWithoutThem: what the pass stored stays
// readable after the raw answers are deleted; a slice with a question that was never counted
// is refused (ErrAnswersDeleted) instead of being counted from nothing.
func TestSlicesOutliveTheRawAnswersButAreNotCountedWithoutThem(t *testing.T) {
	db, s := articleWithOverleg(t)
	if _, err := PrecomputeSlices(db.Read, db.Write, s); err != nil {
		t.Fatal(err)
	}
	spec := SliceSpec{Breakdown: "overleg", Filter: &Filter{Dim: DimDepartment, Value: "communicatie"}}
	if err := PrepareSlice(db.Write, s, spec); err != nil {
		t.Fatal(err)
	}
	before, _, err := LoadSlice(db.Read, s, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PurgeAll(db.Write, s, time.Now().UTC(), System); err != nil {
		t.Fatal(err)
	}
	after, _, err := LoadSlice(db.Read, s, spec)
	if err != nil || after.Respondents != before.Respondents || !reflect.DeepEqual(after.Groups, before.Groups) {
		t.Fatalf("after the purge: %v, %d respondents (was %d)", err, after.Respondents, before.Respondents)
	}
	if err := db.Write.Where("slice = ?", sliceKey(s, "overleg", nil)).Delete(&SliceCount{}).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := PrecomputeSlices(db.Read, db.Write, s); !errors.Is(err, ErrAnswersDeleted) {
		t.Errorf("counting without the answers: %v, want ErrAnswersDeleted", err)
	}
	if err := EnsureSlice(db.Write, s, "overleg", nil); !errors.Is(err, ErrAnswersDeleted) {
		t.Errorf("one slice without the answers: %v, want ErrAnswersDeleted", err)
	}
	if err := EnsureSlice(db.Write, s, DimProvince, &Filter{Dim: DimSize, Value: "e_ge100k"}); err != nil {
		t.Errorf("a slice of the tallies: %v", err)
	}
}
