package models

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ErrBenchmarkOff is a benchmark report that the researcher has not made available (or a
// survey that is not closed).
var ErrBenchmarkOff = errors.New("benchmark report not available")

// ErrNotParticipated is a benchmark report for a municipality that submitted no response.
var ErrNotParticipated = errors.New("municipality did not take part")

// SizeClassOf returns the size class (SizeClasses) of a municipality with population inhabitants.
func SizeClassOf(population int) SizeClass {
	out := SizeClasses[0]
	for _, c := range SizeClasses {
		if population >= c.Min {
			out = c
		}
	}
	return out
}

// Benchmark is one municipality's own answers set against the aggregates of a closed survey:
// all respondents, and its size class when that class is large enough to show.
type Benchmark struct {
	Report       *Report // by size class
	Municipality *Municipality
	Class        SizeClass
	// ClassCell is the index into each QuestionResult's Cells of the municipality's size
	// class, or 0 when the class is hidden by the minimum group size (only "all" is shown).
	ClassCell int
	ClassN    int64
	Own       []Answer // the municipality's own answers, nothing else's
}

// LoadBenchmark returns the benchmark of the municipality of invitation inv in survey s. It
// refuses unless the survey is closed with the report switched on and the municipality's
// response was sent through inv: a link never leads to answers it did not collect.
func LoadBenchmark(db *gorm.DB, s *Survey, m *Municipality, inv *Invitation) (*Benchmark, error) {
	if s.Status != StatusClosed || !s.BenchmarkEnabled {
		return nil, ErrBenchmarkOff
	}
	r, err := FindSubmittedResponse(db, s, m.Code)
	if errors.Is(err, ErrNotFound) || err == nil && (r.InvitationID == nil || *r.InvitationID != inv.ID) {
		return nil, ErrNotParticipated
	}
	if err != nil {
		return nil, err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return nil, err // its own answers are gone; the report would show them blank
	}
	rep, err := LoadReport(db, s, DimSize)
	if err != nil {
		return nil, fmt.Errorf("benchmark of %s for %s: %w", s.Slug, m.Code, err)
	}
	own, err := AnswersOf(db, r.ID)
	if err != nil {
		return nil, err
	}
	b := &Benchmark{Report: rep, Municipality: m, Class: SizeClassOf(m.Population), Own: own}
	for i, g := range rep.Groups {
		if g.Key == b.Class.Key && !g.Hidden {
			b.ClassCell, b.ClassN = i+1, g.N
		}
	}
	return b, nil
}
