package models

import (
	"fmt"
	"testing"
	"time"
)

// benchSlices are the slices the slicing benchmarks compute and read: a breakdown by a
// question, a filter alone, both, and a register breakdown filtered by a question.
var benchSlices = []struct {
	name string
	spec SliceSpec
}{
	{"indeling=overleg", SliceSpec{Breakdown: "overleg"}},
	{"filter=afdeling:communicatie", SliceSpec{Filter: &Filter{Dim: DimDepartment, Value: "communicatie"}}},
	{"indeling=overleg&filter=afdeling:communicatie", SliceSpec{Breakdown: "overleg", Filter: &Filter{Dim: DimDepartment, Value: "communicatie"}}},
	{"indeling=provincie&filter=overleg:ja", SliceSpec{Breakdown: DimProvince, Filter: &Filter{Dim: "overleg", Value: "ja"}}},
}

// BenchmarkSliceFirstUse counts a slice from scratch, alone, and stores it: what the first
// request for a breakdown or filter paid before the pass after closing counted them all at
// once (BenchmarkPrecomputeSlices); slices of the tallies still cost this on first use. Run it
// with -benchtime 1x at a million responses.
func BenchmarkSliceFirstUse(b *testing.B) {
	for _, n := range benchSizes() {
		db, s := seededSurvey(b, n)
		for _, sl := range benchSlices {
			b.Run(fmt.Sprintf("%d responses/%s", n, sl.name), func(b *testing.B) {
				for b.Loop() {
					if err := db.Write.Where("survey_id = ?", s.ID).Delete(&SliceCount{}).Error; err != nil {
						b.Fatal(err)
					}
					if err := PrepareSlice(db.Write, s, sl.spec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSlice reads a stored slice as a report, the check that it is stored included:
// what every later request for it costs.
func BenchmarkSlice(b *testing.B) {
	for _, n := range benchSizes() {
		db, s := seededSurvey(b, n)
		for _, sl := range benchSlices {
			started := time.Now()
			if err := PrepareSlice(db.Write, s, sl.spec); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d responses, %s: stored in %v (no time if it was stored already)", n, sl.name, time.Since(started).Round(time.Millisecond))
			b.Run(fmt.Sprintf("%d responses/%s", n, sl.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := PrepareSlice(db.Write, s, sl.spec); err != nil {
						b.Fatal(err)
					}
					if _, _, err := LoadSlice(db.Read, s, sl.spec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPrecomputeSlices counts every slice that involves a question in one pass over the
// answers, as the background job after closing does, and stores them. Run it with
// -benchtime 1x at a million responses.
func BenchmarkPrecomputeSlices(b *testing.B) {
	for _, n := range benchSizes() {
		db, s := seededSurvey(b, n)
		b.Run(fmt.Sprintf("%d responses", n), func(b *testing.B) {
			for b.Loop() {
				if err := db.Write.Where("survey_id = ?", s.ID).Delete(&SliceCount{}).Error; err != nil {
					b.Fatal(err)
				}
				stored, err := PrecomputeSlices(db.Read, db.Write, s)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(stored), "slices")
			}
		})
	}
}
