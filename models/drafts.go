package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The researcher sees every draft and every response that was set aside, and decides: a
// draft can be discarded, a sent response withdrawn at the municipality's request. Both are
// audited, neither deletes answers, and afterwards the municipality can answer again. What
// the researcher sees of them is when, how far and how they were started: never an answer.

// Audit actions of drafts and responses.
const (
	ActionDraftDiscarded    = "draft_discarded"
	ActionResponseWithdrawn = "response_withdrawn"
)

// PendingResponse is a draft or a set-aside response as the researcher sees it.
type PendingResponse struct {
	ID               uint
	Status           string
	SetAsideReason   string
	MunicipalityCode *string
	Invited          bool // started through an invitation link
	Reached          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SubmittedAt      *time.Time // sent (a set-aside response may have been sent too late)
	SetAsideAt       *time.Time
}

// CanDiscard reports whether the researcher may discard it: only a draft.
func (p PendingResponse) CanDiscard() bool { return p.Status == ResponseDraft }

const pendingColumns = "id, status, set_aside_reason, municipality_code, invitation_id IS NOT NULL AS invited, reached, created_at, updated_at, submitted_at, set_aside_at"

// FindPendingResponse returns response id of survey surveyID as the researcher sees it.
func FindPendingResponse(db *gorm.DB, surveyID, id uint) (*PendingResponse, error) {
	var out []PendingResponse
	err := db.Model(&Response{}).Select(pendingColumns).Where("id = ? AND survey_id = ?", id, surveyID).Limit(1).Scan(&out).Error
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// PendingResponses returns survey s's drafts and set-aside responses, newest first, at most
// limit of them.
func PendingResponses(db *gorm.DB, surveyID uint, limit int) ([]PendingResponse, error) {
	var out []PendingResponse
	err := db.Model(&Response{}).
		Select(pendingColumns).
		Where("survey_id = ? AND status IN ?", surveyID, []string{ResponseDraft, ResponseSetAside}).
		Order("updated_at DESC, id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("pending responses of survey %d: %w", surveyID, err)
	}
	return out, nil
}

// SubmittedResponse is a sent response as the researcher sees it during fieldwork.
type SubmittedResponse struct {
	ID               uint
	MunicipalityCode *string
	Invited          bool
	SubmittedAt      time.Time
}

// SubmittedResponses returns survey s's sent responses, newest first, at most limit.
func SubmittedResponses(db *gorm.DB, surveyID uint, limit int) ([]SubmittedResponse, error) {
	var out []SubmittedResponse
	err := db.Model(&Response{}).
		Select("id, municipality_code, invitation_id IS NOT NULL AS invited, submitted_at").
		Where("survey_id = ? AND status = ?", surveyID, ResponseSubmitted).
		Order("submitted_at DESC, id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("submitted responses of survey %d: %w", surveyID, err)
	}
	return out, nil
}

// DiscardDraft sets aside draft id of survey s: its respondent can no longer continue or send
// it, and a link it was started through may be reissued.
func DiscardDraft(db *gorm.DB, s *Survey, id uint, subject string, who Actor, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&Response{}).Where("id = ? AND survey_id = ? AND status = ?", id, s.ID, ResponseDraft)
		n, err := setAside(q, SetAsideDiscarded, at)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrWrongStatus
		}
		return audit(tx, who, at, ActionDraftDiscarded, &s.ID, subject, nil)
	})
}

// WithdrawResponse sets aside sent response id of survey s at the municipality's request:
// it stops counting and the municipality can answer again. Only during fieldwork, so that
// results, once computed at closing, never change under a reader.
func WithdrawResponse(db *gorm.DB, s *Survey, id uint, subject string, who Actor, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		cur, err := takeSurvey(tx, s.ID)
		if err != nil {
			return err
		}
		if cur.Status != StatusOpen {
			return ErrWrongStatus
		}
		q := tx.Model(&Response{}).Where("id = ? AND survey_id = ? AND status = ?", id, s.ID, ResponseSubmitted)
		n, err := setAside(q, SetAsideWithdrawn, at)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrWrongStatus
		}
		// Its export record goes: records are kept for submitted responses only.
		if _, err := exec(tx, `DELETE FROM response_records WHERE response_id = $1`, id); err != nil {
			return err
		}
		def, err := cur.Def()
		if err != nil {
			return err
		}
		// The running tallies counted it; a recount keeps them equal to the sent responses.
		if err := rebuildTallies(tx, cur, def); err != nil {
			return err
		}
		return audit(tx, who, at, ActionResponseWithdrawn, &s.ID, subject, nil)
	})
}
