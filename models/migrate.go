package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// schemaVersion records the numbered steps that ran; AutoMigrate covers additive shape.
type schemaVersion struct {
	Version   int       `gorm:"primaryKey"`
	AppliedAt time.Time `gorm:"not null"`
}

// steps are hand-made changes AutoMigrate cannot express. Append only; never edit a shipped step.
var steps = []string{
	// 1: one response row per municipality per survey, whether draft or submitted.
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_responses_survey_municipality ON responses(survey_id, municipality_code)`,
	// 2: at most one live invitation link per municipality per survey.
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_invitations_live ON invitations(survey_id, municipality_code) WHERE revoked_at IS NULL`,
	// 3, 4: a draft claims nothing (a squatter's draft must not lock a municipality out); one
	// submitted response per municipality per survey is what the database guarantees.
	`DROP INDEX IF EXISTS idx_responses_survey_municipality`,
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_responses_survey_municipality_submitted ON responses(survey_id, municipality_code) WHERE status = 'submitted'`,
	// 5: every survey made before versions existed gets its definition as version 1.
	`INSERT INTO survey_versions (survey_id, number, definition, created_at, frozen_at)
		SELECT id, 1, definition, created_at, opened_at FROM surveys WHERE id NOT IN (SELECT survey_id FROM survey_versions)`,
	// 6: one unfinished mail run per survey, so two clicks never queue the same recipients twice.
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_mail_runs_unfinished ON mail_runs(survey_id) WHERE finished_at IS NULL`,
	// 7: the mail worker's queue: the oldest queued message, without reading the sent ones.
	`CREATE INDEX IF NOT EXISTS idx_mail_messages_queued ON mail_messages(id) WHERE state = 'queued'`,
	// 8: the municipalities that responded (the results page's map, the fieldwork monitor)
	// without reading every response: at most a few per municipality have a code, and
	// PostgreSQL otherwise scans all of a million-response survey's rows (80 ms).
	`CREATE INDEX IF NOT EXISTS idx_responses_with_municipality ON responses(survey_id, municipality_code, status) WHERE municipality_code IS NOT NULL`,
}

// postgresSteps holds, by step number, PostgreSQL's form of a step whose SQL PostgreSQL does
// not take as SQLite writes it. Steps 1 to 7 run as they are on both databases (partial
// unique indexes, DROP INDEX IF EXISTS and INSERT … SELECT are common ground). A new step
// that needs SQLite-only SQL gets its PostgreSQL form here, in the same commit.
var postgresSteps = map[int]string{}

// step returns the SQL of step number n (1-based) for the database d is on.
func step(d *dialect, n int) string {
	if pg, ok := postgresSteps[n]; ok && d.postgres() {
		return pg
	}
	return steps[n-1]
}

var tables = []any{&Setting{}, &Municipality{}, &Survey{}, &Response{}, &Answer{}, &Researcher{}, &AuditEntry{},
	&ResultSettings{}, &Aggregate{}, &Tally{}, &Theme{}, &AnswerTheme{}, &APIToken{},
	&Invitation{}, &MailTemplate{}, &MailSend{}, &SurveyVersion{}, &Retention{}, &MailRun{}, &MailMessage{}, &SliceCount{}}

// Migrate brings the schema up to date; it is idempotent.
func Migrate(db *gorm.DB) error {
	if err := db.AutoMigrate(&schemaVersion{}); err != nil {
		return err
	}
	var done int64
	if err := db.Model(&schemaVersion{}).Count(&done).Error; err != nil {
		return err
	}
	if err := db.AutoMigrate(tables...); err != nil {
		return err
	}
	for i := int(done); i < len(steps); i++ {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(step(dialectOf(tx), i+1)).Error; err != nil {
				return err
			}
			return tx.Create(&schemaVersion{Version: i + 1, AppliedAt: now()}).Error
		})
		if err != nil {
			return fmt.Errorf("schema step %d: %w", i+1, err)
		}
	}
	return nil
}
