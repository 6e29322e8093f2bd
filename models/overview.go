package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SurveyOverview is a survey with its fieldwork counts: numbers only, never answer content.
// Drafts are municipalities with a draft, as the fieldwork monitor counts them: a draft
// that has not chosen its municipality yet is no municipality.
type SurveyOverview struct {
	Survey
	Submitted      int64
	Drafts         int64
	Population     int64 // municipalities in the survey's register
	LastResponseAt *time.Time
}

// RatePercent is the response rate against the register, rounded to a whole percent.
func (o SurveyOverview) RatePercent() int64 {
	if o.Population == 0 {
		return 0
	}
	return (o.Submitted*100 + o.Population/2) / o.Population
}

// overviewSQL selects surveys with their counts; callers add WHERE and ORDER BY.
func overviewSQL(d *dialect) string {
	return `SELECT s.*,
		(SELECT COUNT(*) FROM responses r WHERE r.survey_id = s.id AND r.status = 'submitted') AS submitted,
		(SELECT COUNT(*) FROM responses r WHERE r.survey_id = s.id AND r.status = 'draft' AND r.municipality_code IS NOT NULL) AS drafts,
		(SELECT COUNT(*) FROM municipalities m WHERE m.register = s.register) AS population,
		(SELECT ` + d.timeText("MAX(r.submitted_at)") + ` FROM responses r WHERE r.survey_id = s.id) AS last_response
		FROM surveys s`
}

// overviewRow is what overviewSQL returns: SQLite gives MAX() of a datetime column back as
// text, which the driver does not turn into a time.
type overviewRow struct {
	SurveyOverview
	LastResponse *string
}

func overviews(db *gorm.DB, query string, args ...any) ([]SurveyOverview, error) {
	var rows []overviewRow
	if err := db.Raw(query, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]SurveyOverview, len(rows))
	for i, r := range rows {
		out[i] = r.SurveyOverview
		if r.LastResponse == nil {
			continue
		}
		t, err := parseTime(*r.LastResponse)
		if err != nil {
			return nil, fmt.Errorf("survey %s: last response time: %w", r.Slug, err)
		}
		out[i].LastResponseAt = &t
	}
	return out, nil
}

// SurveyOverviews returns every survey with its counts, newest first.
func SurveyOverviews(db *gorm.DB) ([]SurveyOverview, error) {
	return overviews(db, overviewSQL(dialectOf(db))+` ORDER BY s.created_at DESC`)
}

// FindSurveyOverview returns the survey with slug and its counts.
func FindSurveyOverview(db *gorm.DB, slug string) (*SurveyOverview, error) {
	out, err := overviews(db, overviewSQL(dialectOf(db))+` WHERE s.slug = ?`, slug)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}
