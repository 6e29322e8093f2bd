package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// A survey moves draft → open → closed, and closed → open again when the researcher reopens
// it. Aggregates exist only while it is closed: closing computes them in the closing
// transaction, reopening drops them, so no figure is ever visible during fieldwork.

// OpenSurvey opens a draft survey for respondents, or reopens a closed one; reopening
// unpublishes the results and turns the report per municipality off. A closing time that has
// already passed is cleared, or the survey would close again at once.
func OpenSurvey(db *gorm.DB, id uint, who Actor, at time.Time) error {
	err := db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		action := ActionOpened
		switch s.Status {
		case StatusDraft: // its current version is what respondents answer from now on
			if err := freezeVersion(tx, s, at); err != nil {
				return err
			}
		case StatusClosed:
			action = ActionReopened
			// The aggregates are recomputed at the next closing from the answers' tallies and
			// responses; without the raw answers nothing could be added or withdrawn soundly.
			if err := CheckAnswersKept(tx, s.ID); err != nil {
				return err
			}
			if err := DropAggregates(tx, s.ID); err != nil {
				return fmt.Errorf("drop aggregates: %w", err)
			}
		default:
			return ErrWrongStatus
		}
		updates := map[string]any{"status": StatusOpen, "closed_at": nil}
		if s.Status == StatusClosed {
			// Like publishing, the report per municipality was a decision about these
			// results; after more fieldwork the researcher decides again.
			updates["benchmark_enabled"] = false
		}
		if s.OpenedAt == nil {
			updates["opened_at"] = at
		}
		if s.ClosesAt != nil && !s.ClosesAt.After(at) {
			updates["closes_at"] = nil
		}
		if err := tx.Model(s).Updates(updates).Error; err != nil {
			return err
		}
		if err := audit(tx, who, at, action, &s.ID, "", nil); err != nil {
			return err
		}
		if _, cleared := updates["closes_at"]; cleared {
			return audit(tx, who, at, ActionClosingTimeCleared, &s.ID, "", nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("open survey %d: %w", id, err)
	}
	return nil
}

// CloseSurvey closes an open survey: respondents can no longer save or submit, and the
// aggregates are computed in the same transaction.
func CloseSurvey(db *gorm.DB, id uint, who Actor, at time.Time) error {
	err := db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		if s.Status != StatusOpen {
			return ErrWrongStatus
		}
		return closeSurvey(tx, s, who, at, at, ActionClosed)
	})
	if err != nil {
		return fmt.Errorf("close survey %d: %w", id, err)
	}
	return nil
}

func closeSurvey(tx *gorm.DB, s *Survey, who Actor, closedAt, at time.Time, action string) error {
	if err := tx.Model(s).Updates(map[string]any{"status": StatusClosed, "closed_at": closedAt}).Error; err != nil {
		return err
	}
	if err := ComputeAggregates(tx, s.ID); err != nil {
		return fmt.Errorf("compute aggregates: %w", err)
	}
	return audit(tx, who, at, action, &s.ID, "", s.ClosesAt)
}

// SetClosingTime sets the moment a draft or open survey closes by itself, or clears it when
// closesAt is nil. The time must lie after at.
func SetClosingTime(db *gorm.DB, id uint, closesAt *time.Time, who Actor, at time.Time) error {
	if closesAt != nil {
		if !closesAt.After(at) {
			return ErrClosingTimePast
		}
		t := closesAt.UTC()
		closesAt = &t
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		if s.Status == StatusClosed {
			return ErrWrongStatus
		}
		if closesAt == nil && s.ClosesAt == nil || closesAt != nil && s.ClosesAt != nil && dialectOf(tx).sameStoredTime(*closesAt, *s.ClosesAt) {
			return nil // nothing changes, nothing to record
		}
		if err := tx.Model(s).Update("closes_at", closesAt).Error; err != nil {
			return err
		}
		if closesAt == nil {
			return audit(tx, who, at, ActionClosingTimeCleared, &s.ID, "", nil)
		}
		return audit(tx, who, at, ActionClosingTimeSet, &s.ID, "", closesAt)
	})
	if err != nil {
		return fmt.Errorf("set closing time of survey %d: %w", id, err)
	}
	return nil
}

// CloseDueSurveys closes every open survey whose closing time is not after at, as the
// system, and returns their slugs. The survey counts as closed from its closing time on:
// respondents were refused from then (Survey.Accepting), however late this runs.
func CloseDueSurveys(db *gorm.DB, at time.Time) ([]string, error) {
	var due []Survey
	if err := db.Where("status = ? AND closes_at IS NOT NULL AND closes_at <= ?", StatusOpen, at.UTC()).Find(&due).Error; err != nil {
		return nil, fmt.Errorf("find surveys due to close: %w", err)
	}
	var closed []string
	for _, d := range due {
		done := false
		err := db.Transaction(func(tx *gorm.DB) error {
			s, err := takeSurvey(tx, d.ID)
			if err != nil {
				return err
			}
			if s.Status != StatusOpen || s.ClosesAt == nil || s.ClosesAt.After(at) {
				return nil // reopened or moved meanwhile
			}
			done = true
			return closeSurvey(tx, s, System, *s.ClosesAt, at, ActionAutoClosed)
		})
		if err != nil {
			return closed, fmt.Errorf("close survey %s at its closing time: %w", d.Slug, err)
		}
		if done {
			closed = append(closed, d.Slug)
		}
	}
	return closed, nil
}

// takeSurvey reads a survey inside a write transaction and keeps anyone else from changing
// it, or writing a response to it, before the transaction ends: on SQLite the write pool's
// BEGIN IMMEDIATE holds the database, on PostgreSQL the row lock holds the row, also against
// other instances (checkWritable waits for it).
func takeSurvey(tx *gorm.DB, id uint) (*Survey, error) {
	var s Survey
	res := tx.Raw("SELECT * FROM surveys WHERE id = ?"+dialectOf(tx).lockRows(lockUpdate, ""), id).Scan(&s)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return &s, nil
}
