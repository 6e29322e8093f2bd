package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Survey statuses: a survey is prepared as draft, fielded while open, reported once closed.
const (
	StatusDraft  = "draft"
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Survey is one questionnaire and its fieldwork state.
type Survey struct {
	ID         uint      `gorm:"primaryKey"`
	Slug       string    `gorm:"uniqueIndex;not null"`
	Title      string    `gorm:"not null"`
	Status     string    `gorm:"not null;default:draft"`
	Register   string    `gorm:"not null"`
	Definition string    `gorm:"not null"` // the Definition as JSON
	CreatedAt  time.Time `gorm:"not null"`
	UpdatedAt  time.Time `gorm:"not null"`
	OpenedAt   *time.Time
	ClosedAt   *time.Time
	ClosesAt   *time.Time // optional: the survey closes by itself at this moment (lifecycle.go)
	// AccessMode is AccessOpen or AccessInvitation (invitation.go).
	AccessMode string `gorm:"not null;default:open"`
	// BenchmarkEnabled lets each participating municipality see its own answers next to
	// everyone's, through its invitation link, once the survey is closed (benchmark.go).
	BenchmarkEnabled bool `gorm:"not null;default:false"`
	// PredecessorID is the survey this one repeats as its next wave (editor.go).
	PredecessorID *uint
}

// definitions caches parsed definitions: a survey's definition only changes on import,
// which also moves UpdatedAt.
var definitions sync.Map // "id/updated" → *Definition

// Def returns the survey's parsed definition.
func (s *Survey) Def() (*Definition, error) {
	key := fmt.Sprintf("%d/%d", s.ID, s.UpdatedAt.UnixNano())
	if d, ok := definitions.Load(key); ok {
		return d.(*Definition), nil
	}
	var d Definition
	if err := json.Unmarshal([]byte(s.Definition), &d); err != nil {
		return nil, fmt.Errorf("survey %s: stored definition: %w", s.Slug, err)
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("survey %s: stored definition: %w", s.Slug, err)
	}
	definitions.Store(key, &d)
	return &d, nil
}

// Accepting reports whether respondents may start and save answers now.
func (s *Survey) Accepting() error {
	if s.Status == StatusOpen && s.ClosesAt != nil && !now().Before(*s.ClosesAt) {
		return ErrSurveyClosed // due: the closer will record the close within half a minute
	}
	switch s.Status {
	case StatusOpen:
		return nil
	case StatusClosed:
		return ErrSurveyClosed
	}
	return ErrSurveyNotOpen
}

// FindSurvey returns the survey with the given slug.
func FindSurvey(db *gorm.DB, slug string) (*Survey, error) {
	var s Survey
	if err := db.Where("slug = ?", slug).Take(&s).Error; err != nil {
		return nil, notFound(err)
	}
	return &s, nil
}

// OpenSurveys returns the surveys that accept answers, newest first.
func OpenSurveys(db *gorm.DB) ([]Survey, error) {
	var ss []Survey
	err := db.Where("status = ?", StatusOpen).Order("created_at DESC").Find(&ss).Error
	return ss, err
}

// ImportSurvey stores def as a new survey with the given status, or replaces the definition
// of the survey with the same slug as long as nobody has answered it yet.
func ImportSurvey(db *gorm.DB, def *Definition, status string) (*Survey, error) {
	body, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	var out Survey
	err = db.Transaction(func(tx *gorm.DB) error {
		var known int64
		if err := tx.Model(&Municipality{}).Where("register = ?", def.Register).Count(&known).Error; err != nil {
			return err
		}
		if known == 0 {
			return &DefinitionError{Path: "register", Problem: fmt.Sprintf("gemeentelijst %q is niet geladen (peiling register -name %s BESTAND.csv)", def.Register, def.Register)}
		}
		var existing Survey
		err := tx.Where("slug = ?", def.Slug).Take(&existing).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			out = Survey{Slug: def.Slug, Title: def.Title, Status: status, Register: def.Register, Definition: string(body)}
			if status == StatusOpen {
				t := now()
				out.OpenedAt = &t
			}
			return tx.Create(&out).Error
		}
		if err != nil {
			return err
		}
		var answered int64
		if err := tx.Model(&Response{}).Where("survey_id = ?", existing.ID).Count(&answered).Error; err != nil {
			return err
		}
		if answered > 0 {
			return &DefinitionError{Path: "slug", Problem: fmt.Sprintf("peiling %q heeft al %d (concept)antwoorden; kies een nieuwe slug", def.Slug, answered)}
		}
		existing.Title, existing.Register, existing.Definition = def.Title, def.Register, string(body)
		out = existing
		return tx.Save(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("import survey %s: %w", def.Slug, err)
	}
	return &out, nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
