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
	ID         uint   `gorm:"primaryKey"`
	Slug       string `gorm:"uniqueIndex;not null"`
	Title      string `gorm:"not null"`
	Status     string `gorm:"not null;default:draft"`
	Register   string `gorm:"not null"`
	Definition string `gorm:"not null"` // the current version's Definition as JSON
	// Version is the number of the current version (versions.go); DefinitionRevision counts
	// every write of Definition, text corrections included, for the parse cache.
	Version            int       `gorm:"not null;default:1"`
	DefinitionRevision int       `gorm:"not null;default:0"`
	CreatedAt          time.Time `gorm:"not null"`
	UpdatedAt          time.Time `gorm:"not null"`
	OpenedAt           *time.Time
	ClosedAt           *time.Time
	ClosesAt           *time.Time // optional: the survey closes by itself at this moment (lifecycle.go)
	// AccessMode is AccessOpen or AccessInvitation (invitation.go).
	AccessMode string `gorm:"not null;default:open"`
	// BenchmarkEnabled lets each participating municipality see its own answers next to
	// everyone's, through its invitation link, once the survey is closed (benchmark.go).
	BenchmarkEnabled bool `gorm:"not null;default:false"`
	// PredecessorID is the survey this one repeats as its next wave (editor.go).
	PredecessorID *uint
}

// definitions caches parsed current definitions. The key moves only when the definition is
// written (a new version or a text correction), not on status changes, so the cache holds one
// entry per write of a definition: a handful per survey. The creation time tells apart
// surveys of the same id in different databases (tests open many in one process).
var definitions sync.Map // "id/created/version/revision" → *Definition

// Def returns the survey's current definition.
func (s *Survey) Def() (*Definition, error) {
	key := fmt.Sprintf("%d/%d/%d/%d", s.ID, s.CreatedAt.UnixNano(), s.Version, s.DefinitionRevision)
	if d, ok := definitions.Load(key); ok {
		return d.(*Definition), nil
	}
	d, err := decodeDefinition(s.Slug, s.Definition)
	if err != nil {
		return nil, err
	}
	definitions.Store(key, d)
	return d, nil
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

// ImportSurvey stores def as a new survey with the given status. For an existing slug it
// changes that survey's definition as ChangeDefinition does (in place before opening, a text
// correction or a new version after) and leaves its status alone.
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
			return &DefinitionError{Path: "register", Problem: fmt.Sprintf("gemeentelijst %q is niet geladen (peiling register -name %s BESTAND.csv)", def.Register, def.Register),
				Code: "register_not_loaded", Args: []any{"Register", def.Register}}
		}
		var existing Survey
		err := tx.Where("slug = ?", def.Slug).Take(&existing).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			t := now()
			out = Survey{Slug: def.Slug, Title: def.Title, Status: status, Register: def.Register, Definition: string(body), Version: 1}
			if status == StatusOpen {
				out.OpenedAt = &t
			}
			if err := tx.Create(&out).Error; err != nil {
				return err
			}
			return tx.Create(&SurveyVersion{SurveyID: out.ID, Number: 1, Definition: string(body), CreatedAt: t, FrozenAt: out.OpenedAt}).Error
		}
		if err != nil {
			return err
		}
		if _, err := ChangeDefinition(tx, existing.ID, def, Actor{Name: "peiling import"}, now()); err != nil {
			return err
		}
		return tx.Take(&out, existing.ID).Error
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
