package models

import (
	"time"

	"gorm.io/gorm"
)

// SurveyOverview is a survey with its fieldwork counts: numbers only, never answer content.
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
const overviewSQL = `SELECT s.*,
		(SELECT COUNT(*) FROM responses r WHERE r.survey_id = s.id AND r.status = 'submitted') AS submitted,
		(SELECT COUNT(*) FROM responses r WHERE r.survey_id = s.id AND r.status = 'draft') AS drafts,
		(SELECT COUNT(*) FROM municipalities m WHERE m.register = s.register) AS population,
		(SELECT MAX(r.submitted_at) FROM responses r WHERE r.survey_id = s.id) AS last_response_at
		FROM surveys s`

// SurveyOverviews returns every survey with its counts, newest first.
func SurveyOverviews(db *gorm.DB) ([]SurveyOverview, error) {
	var out []SurveyOverview
	err := db.Raw(overviewSQL + ` ORDER BY s.created_at DESC`).Scan(&out).Error
	return out, err
}

// FindSurveyOverview returns the survey with slug and its counts.
func FindSurveyOverview(db *gorm.DB, slug string) (*SurveyOverview, error) {
	var out []SurveyOverview
	if err := db.Raw(overviewSQL+` WHERE s.slug = ?`, slug).Scan(&out).Error; err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}
