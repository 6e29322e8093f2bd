package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Personal data is kept per survey for a number of days after closing, in three categories:
// contacts (names and e-mail addresses of invitations and of the mail log), pending
// responses (drafts and set-aside responses, with their answers) and raw answers (every
// answer row of a sent response: options, open texts and "anders" texts). Purge deletes a
// category once its day has come, in one transaction, audited per category with counts.
//
// A sent response stays as a bare counted record (status, time sent, municipality code, no
// answers): the aggregates and the tallies they were summed from stay exactly as they were,
// and the count of sent responses still agrees with them. A municipality is an organisation,
// not a person; what its contact person wrote is gone. Raw exports, open answers and the
// benchmark report then say that the answers were deleted, and when, and a survey whose raw
// answers were deleted cannot be reopened: its aggregates could not be recomputed.

// Default retention, in days after closing. The privacy text of the reference survey
// (models/data/klantcontact-2018.yaml) states these.
const (
	DefaultContactDays = 30
	DefaultPendingDays = 30
	DefaultAnswerDays  = 365
	// MaxRetentionDays bounds each setting: ten years.
	MaxRetentionDays = 3650
)

// Audit actions of retention.
const (
	ActionRetentionSet    = "retention_set"
	ActionContactsDeleted = "contacts_deleted"
	ActionPendingDeleted  = "pending_deleted"
	ActionAnswersDeleted  = "answers_deleted"
)

// ErrAnswersDeleted is a request for raw answers that were deleted under the survey's
// retention setting; errors.As gives an *AnswersDeletedError with the date.
var ErrAnswersDeleted = errors.New("raw answers were deleted under the retention setting")

// ErrBadRetention is a retention setting outside 0..MaxRetentionDays days.
var ErrBadRetention = errors.New("retention days out of range")

// AnswersDeletedError says when the raw answers of a survey were deleted.
type AnswersDeletedError struct{ At time.Time }

func (e *AnswersDeletedError) Error() string {
	return fmt.Sprintf("raw answers were deleted on %s under the retention setting", e.At.Format(time.DateOnly))
}

// Is makes errors.Is(err, ErrAnswersDeleted) true.
func (e *AnswersDeletedError) Is(target error) bool { return target == ErrAnswersDeleted }

// Retention is how long a survey keeps personal data after closing, and when it deleted it.
type Retention struct {
	SurveyID uint `gorm:"primaryKey;autoIncrement:false"`
	// Days after closing. No column defaults: gorm would write a default over a chosen 0.
	ContactDays int `gorm:"not null"`
	PendingDays int `gorm:"not null"`
	AnswerDays  int `gorm:"not null"`
	// When each category was first deleted; nil while it is kept.
	ContactsDeletedAt *time.Time
	PendingDeletedAt  *time.Time
	AnswersDeletedAt  *time.Time
	UpdatedAt         time.Time
}

// RetentionOf returns survey id's retention, or the defaults when none was saved.
func RetentionOf(db *gorm.DB, surveyID uint) (Retention, error) {
	r := Retention{SurveyID: surveyID, ContactDays: DefaultContactDays, PendingDays: DefaultPendingDays, AnswerDays: DefaultAnswerDays}
	err := db.Where("survey_id = ?", surveyID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, nil
	}
	return r, err
}

// deadline is the moment data kept days after closedAt is due for deletion.
func deadline(closedAt time.Time, days int) time.Time {
	return closedAt.Add(time.Duration(days) * 24 * time.Hour)
}

// Deadlines returns when contacts, pending responses and raw answers are due for deletion,
// for a survey closed at closedAt.
func (r Retention) Deadlines(closedAt time.Time) (contacts, pending, answers time.Time) {
	return deadline(closedAt, r.ContactDays), deadline(closedAt, r.PendingDays), deadline(closedAt, r.AnswerDays)
}

// SaveRetention stores survey id's retention days, audited.
func SaveRetention(db *gorm.DB, id uint, contactDays, pendingDays, answerDays int, who Actor, at time.Time) error {
	for _, d := range []int{contactDays, pendingDays, answerDays} {
		if d < 0 || d > MaxRetentionDays {
			return ErrBadRetention
		}
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		r, err := RetentionOf(tx, s.ID)
		if err != nil {
			return err
		}
		if r.ContactDays == contactDays && r.PendingDays == pendingDays && r.AnswerDays == answerDays {
			return nil
		}
		r.ContactDays, r.PendingDays, r.AnswerDays, r.UpdatedAt = contactDays, pendingDays, answerDays, at
		if err := tx.Save(&r).Error; err != nil {
			return err
		}
		subject := fmt.Sprintf("contactgegevens %d, concepten en apart gezette inzendingen %d, ruwe antwoorden %d dagen na sluiten", contactDays, pendingDays, answerDays)
		return audit(tx, who, at, ActionRetentionSet, &s.ID, subject, nil)
	})
	if err != nil {
		return fmt.Errorf("save retention of survey %d: %w", id, err)
	}
	return nil
}

// contactColumns are the columns that hold a contact's name or e-mail address: the contacts
// purge blanks them (set) in the rows of one survey (of, with the survey id as its one
// argument) that still hold any (held). A new table with addresses is one more line. A mail
// log's error may quote the address the server refused, so it goes too.
var contactColumns = []struct{ table, set, held, of string }{
	{"invitations", "contact_name = '', email = ''", "contact_name <> '' OR email <> ''", "survey_id = ?"},
	{"mail_sends", "email = '', error = ''", "email <> '' OR error <> ''", "survey_id = ?"},
	{"mail_messages", "email = '', contact_name = '', error = ''", "email <> '' OR contact_name <> '' OR error <> ''",
		"run_id IN (SELECT id FROM mail_runs WHERE survey_id = ?)"},
}

// ContactTables lists the tables the contacts purge covers.
func ContactTables() []string {
	out := make([]string, len(contactColumns))
	for i, c := range contactColumns {
		out[i] = c.table
	}
	return out
}

// Purged is what one purge deleted from one survey.
type Purged struct {
	Slug     string
	Contacts int64 // rows whose names and addresses were blanked
	Pending  int64 // drafts and set-aside responses deleted
	Answers  int64 // answer rows of sent responses deleted
	// PendingAnswers are the answer rows of the deleted drafts and set-aside responses.
	PendingAnswers int64
}

// Any reports whether anything was deleted.
func (p Purged) Any() bool { return p.Contacts+p.Pending+p.Answers+p.PendingAnswers > 0 }

// Purge deletes the personal data of closed survey s that is due at at under its retention
// setting. It is idempotent: a second run deletes nothing and records nothing. A survey that
// is not closed keeps everything.
func Purge(db *gorm.DB, s *Survey, at time.Time, who Actor) (Purged, error) {
	return purge(db, s, at, who, false)
}

// PurgeAll deletes all personal data of closed survey s now, whatever its retention setting.
func PurgeAll(db *gorm.DB, s *Survey, at time.Time, who Actor) (Purged, error) {
	return purge(db, s, at, who, true)
}

func purge(db *gorm.DB, s *Survey, at time.Time, who Actor, all bool) (Purged, error) {
	out := Purged{Slug: s.Slug}
	err := db.Transaction(func(tx *gorm.DB) error {
		cur, err := takeSurvey(tx, s.ID)
		if err != nil {
			return err
		}
		if cur.Status != StatusClosed || cur.ClosedAt == nil {
			if all {
				return ErrWrongStatus
			}
			return nil
		}
		r, err := RetentionOf(tx, cur.ID)
		if err != nil {
			return err
		}
		contacts, pending, answers := r.Deadlines(*cur.ClosedAt)
		due := func(t time.Time) bool { return all || !t.After(at) }
		steps := []struct {
			due       bool
			deletedAt **time.Time
			action    string
			run       func() (string, error)
		}{
			{due(contacts), &r.ContactsDeletedAt, ActionContactsDeleted, func() (string, error) {
				n, err := purgeContacts(tx, cur.ID)
				out.Contacts = n
				return fmt.Sprintf("%d rijen met naam of e-mailadres gewist (%s)", n, strings.Join(ContactTables(), ", ")), err
			}},
			{due(pending), &r.PendingDeletedAt, ActionPendingDeleted, func() (string, error) {
				n, na, err := purgeResponses(tx, cur.ID, []string{ResponseDraft, ResponseSetAside}, true)
				out.Pending, out.PendingAnswers = n, na
				return fmt.Sprintf("%d concepten en apart gezette inzendingen met %d antwoorden verwijderd", n, na), err
			}},
			{due(answers), &r.AnswersDeletedAt, ActionAnswersDeleted, func() (string, error) {
				_, na, err := purgeResponses(tx, cur.ID, []string{ResponseSubmitted}, false)
				out.Answers = na
				return fmt.Sprintf("%d ruwe antwoorden van verzonden inzendingen verwijderd; de uitkomsten blijven", na), err
			}},
		}
		changed := false
		for _, st := range steps {
			if !st.due {
				continue
			}
			before := out
			subject, err := st.run()
			if err != nil {
				return fmt.Errorf("%s: %w", st.action, err)
			}
			first := *st.deletedAt == nil
			if first {
				t := at
				*st.deletedAt, changed = &t, true
			}
			if first || out != before {
				if err := audit(tx, who, at, st.action, &cur.ID, subject, nil); err != nil {
					return err
				}
			}
		}
		if !changed {
			return nil
		}
		r.UpdatedAt = at
		return tx.Save(&r).Error
	})
	if err != nil {
		return out, fmt.Errorf("purge survey %s: %w", s.Slug, err)
	}
	if out.Any() {
		if err := Compact(db); err != nil {
			return out, fmt.Errorf("purge survey %s: deleted, but %w", s.Slug, err)
		}
	}
	return out, nil
}

// purgeContacts blanks the contact columns of survey surveyID and returns how many rows held any.
func purgeContacts(tx *gorm.DB, surveyID uint) (int64, error) {
	var n int64
	for _, c := range contactColumns {
		res := tx.Exec(`UPDATE `+c.table+` SET `+c.set+` WHERE (`+c.of+`) AND (`+c.held+`)`, surveyID)
		if res.Error != nil {
			return n, fmt.Errorf("blank contacts in %s: %w", c.table, res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}

// purgeResponses deletes the answers (and their theme tags, export records and packs) of survey
// surveyID's responses with one of statuses, and with rows the responses themselves, and
// returns how many responses and answers it deleted.
func purgeResponses(tx *gorm.DB, surveyID uint, statuses []string, rows bool) (responses, answers int64, err error) {
	ids := `SELECT id FROM responses WHERE survey_id = ? AND status IN ?`
	type step struct {
		sql   string
		count *int64
	}
	steps := []step{
		{`DELETE FROM answer_themes WHERE answer_id IN (SELECT id FROM answers WHERE response_id IN (` + ids + `))`, nil},
		{`DELETE FROM response_records WHERE response_id IN (` + ids + `)`, nil}, // a copy of the answers
		{`DELETE FROM answers WHERE response_id IN (` + ids + `)`, &answers},
	}
	if rows {
		steps = append(steps,
			step{`UPDATE invitations SET response_id = NULL WHERE response_id IN (` + ids + `)`, nil},
			step{`DELETE FROM responses WHERE id IN (` + ids + `)`, &responses})
	}
	for _, st := range steps {
		res := tx.Exec(st.sql, surveyID, statuses)
		if res.Error != nil {
			return responses, answers, res.Error
		}
		if st.count != nil {
			*st.count = res.RowsAffected
		}
	}
	// The packs of the export's records (recordpack.go) copy records; the next export packs
	// again what is left.
	if err := tx.Where("survey_id = ?", surveyID).Delete(&RecordPack{}).Error; err != nil {
		return responses, answers, err
	}
	return responses, answers, nil
}

// Compact rewrites the database file without the deleted rows and empties the WAL, so the
// bytes of deleted data are gone from the file itself and not only unreachable. The write
// connection runs with secure_delete (db.go), which zeroes what a delete frees; VACUUM also
// drops older free space that was freed before, and the checkpoint copies the result into
// the main file and truncates the WAL. It blocks writers for as long as VACUUM takes.
func Compact(db *gorm.DB) error {
	if dialectOf(db).postgres() {
		return compactPostgres(db)
	}
	if err := db.Exec("VACUUM").Error; err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	var cp struct{ Busy, Log, Checkpointed int }
	if err := db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&cp).Error; err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if cp.Busy != 0 {
		return errors.New("checkpoint: readers kept part of the WAL; the next checkpoint writes it")
	}
	return nil
}

// CheckAnswersKept returns an *AnswersDeletedError when survey surveyID's raw answers were
// deleted under its retention setting.
func CheckAnswersKept(db *gorm.DB, surveyID uint) error {
	r, err := RetentionOf(db, surveyID)
	if err != nil {
		return err
	}
	if r.AnswersDeletedAt != nil {
		return &AnswersDeletedError{At: *r.AnswersDeletedAt}
	}
	return nil
}

// PurgeDue purges every closed survey whose retention has come due at at, as the system, and
// returns what it deleted from each survey that lost anything.
func PurgeDue(db *gorm.DB, at time.Time) ([]Purged, error) {
	var closed []Survey
	if err := db.Where("status = ? AND closed_at IS NOT NULL", StatusClosed).Find(&closed).Error; err != nil {
		return nil, fmt.Errorf("find closed surveys: %w", err)
	}
	var out []Purged
	var errs []error
	for i := range closed {
		r, err := RetentionOf(db, closed[i].ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, p, a := r.Deadlines(*closed[i].ClosedAt)
		if c.After(at) && p.After(at) && a.After(at) {
			continue
		}
		got, err := Purge(db, &closed[i], at, System)
		if err != nil {
			errs = append(errs, err)
		}
		if got.Any() {
			out = append(out, got)
		}
	}
	return out, errors.Join(errs...)
}
