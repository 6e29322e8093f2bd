package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// schemaVersion records the numbered steps that ran; AutoMigrate covers additive shape. The
// highest number is the schema's version: len(steps) is the version this binary makes.
type schemaVersion struct {
	Version   int       `gorm:"primaryKey"`
	AppliedAt time.Time `gorm:"not null"`
}

// steps are hand-made changes AutoMigrate cannot express, and the versions of the schema.
// Append only; never edit a shipped step. A change to the tables' shape that AutoMigrate makes
// by itself still gets a step, an empty one, so that the version says what shape a database
// has and an older binary refuses it (TestTheSchemaVersionChangesWithTheTables checks this).
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
	// 8: failure_counts (the limits on guessing), previews (a preview's answers) and the mail
	// runs' lease columns, so that every instance shares them: shape only, made by AutoMigrate.
	``,
	// 9: the municipalities that responded (the results page's map, the fieldwork monitor)
	// without reading every response: at most a few per municipality have a code, and
	// PostgreSQL otherwise scans all of a million-response survey's rows (80 ms).
	`CREATE INDEX IF NOT EXISTS idx_responses_with_municipality ON responses(survey_id, municipality_code, status) WHERE municipality_code IS NOT NULL`,
	// 10: the language a response was answered in and an invitation is sent in (responses.lang,
	// invitations.lang): shape only, made by AutoMigrate.
	``,
	// 11: the submitted responses not yet added to the tallies (untallied, tally.go): shape
	// only, made by AutoMigrate. An older binary would leave them out of the results.
	``,
	// 12: each submitted response's row of the raw-data CSV (response_records,
	// exportrecord.go) and a closed survey's packs of them (record_packs, recordpack.go):
	// shape only, made by AutoMigrate. An older binary would submit without a record, and
	// reopen without dropping the packs.
	``,
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
	&ResultSettings{}, &Aggregate{}, &Tally{}, &Untallied{}, &ResponseRecord{}, &RecordPack{}, &Theme{}, &AnswerTheme{}, &APIToken{},
	&Invitation{}, &MailTemplate{}, &MailSend{}, &SurveyVersion{}, &Retention{}, &MailRun{}, &MailMessage{}, &SliceCount{}, &FailureCount{}, &Preview{}}

// ErrSchemaNewer: the database was migrated by a newer Peiling than this one.
var ErrSchemaNewer = errors.New("the database schema is newer than this program")

// Migrate brings the schema up to date, idempotently, in one transaction: a failure anywhere
// leaves the database as it was, so an upgrade that stops halfway loses nothing and can be
// run again. It refuses a database whose schema is newer than this binary knows (a newer
// Peiling migrated it), before it changes anything: AutoMigrate could undo what the newer
// version made. Instances that start together take turns (dialect.migrationLock).
func Migrate(db *gorm.DB) error {
	return inMigration(db, func(tx *gorm.DB) error {
		if lock := dialectOf(tx).migrationLock; lock != "" {
			if err := tx.Exec(lock).Error; err != nil {
				return err
			}
		}
		if err := tx.AutoMigrate(&schemaVersion{}); err != nil {
			return err
		}
		var done int
		if err := tx.Model(&schemaVersion{}).Select("COALESCE(MAX(version), 0)").Scan(&done).Error; err != nil {
			return err
		}
		if done > len(steps) {
			return fmt.Errorf("%w: the database is at schema version %d, this program knows versions up to %d; "+
				"start the Peiling that upgraded it (or a newer one), or restore the backup made before that upgrade", ErrSchemaNewer, done, len(steps))
		}
		if err := tx.AutoMigrate(tables...); err != nil {
			return err
		}
		for i := done; i < len(steps); i++ {
			if sql := step(dialectOf(tx), i+1); sql != "" {
				if err := tx.Exec(sql).Error; err != nil {
					return fmt.Errorf("schema step %d: %w", i+1, err)
				}
			}
			if err := tx.Create(&schemaVersion{Version: i + 1, AppliedAt: now()}).Error; err != nil {
				return fmt.Errorf("schema step %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the version the database's schema is at.
func SchemaVersion(db *gorm.DB) (int, error) {
	var v int
	err := db.Model(&schemaVersion{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}

// inMigration runs fn in one transaction. PostgreSQL's DDL is transactional as it is. SQLite's
// is too, with one catch: gorm's SQLite migrator changes a column by copying the table and
// dropping the old one, and it switches foreign keys off around that, which SQLite ignores
// inside a transaction; the DROP TABLE would then cascade (dropping surveys would delete every
// response). So foreign keys go off before the transaction, as SQLite's own procedure for
// schema changes says, and PRAGMA foreign_key_check must find nothing broken before COMMIT.
func inMigration(db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if dialectOf(db).postgres() {
		return db.Transaction(fn)
	}
	var on int
	if err := db.Raw("PRAGMA foreign_keys").Scan(&on).Error; err != nil {
		return err
	}
	if on == 1 {
		if err := db.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
			return err
		}
		defer db.Exec("PRAGMA foreign_keys = ON")
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		var broken []struct {
			Table  string
			Parent string
		}
		if err := tx.Raw("PRAGMA foreign_key_check").Scan(&broken).Error; err != nil {
			return err
		}
		if len(broken) > 0 {
			return fmt.Errorf("migration would leave %d rows of %s pointing at missing rows of %s", len(broken), broken[0].Table, broken[0].Parent)
		}
		return nil
	})
}
