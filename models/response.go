package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Response statuses. A draft never counts as a response.
const (
	ResponseDraft     = "draft"
	ResponseSubmitted = "submitted"
)

// Response is one municipality's questionnaire, from the first "Start" to submission. The
// database allows one per municipality per survey (schema step 1).
type Response struct {
	ID               uint    `gorm:"primaryKey"`
	SurveyID         uint    `gorm:"not null;index"`
	Survey           *Survey `gorm:"constraint:OnDelete:CASCADE"`
	Status           string  `gorm:"not null;default:draft;index"`
	MunicipalityCode *string
	TokenHash        string  `gorm:"not null;uniqueIndex"`
	SubmissionID     *string `gorm:"uniqueIndex"`
	Reference        *string `gorm:"uniqueIndex"`
	Reached          int     `gorm:"not null;default:0"` // sections saved so far
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SubmittedAt      *time.Time
	Answers          []Answer `gorm:"constraint:OnDelete:CASCADE"`
}

// Answer is one stored answer: an option of a choice, a statement's rating, a text or a number.
type Answer struct {
	ID         uint   `gorm:"primaryKey"`
	ResponseID uint   `gorm:"not null;index:idx_answers_response_question"`
	Question   string `gorm:"not null;index:idx_answers_response_question"`
	Item       string `gorm:"not null;default:''"` // likert statement code
	Option     string `gorm:"not null;default:''"` // option or scale code
	Text       string `gorm:"not null;default:''"` // open answer, or the "anders, namelijk" text
	Number     *float64
}

// Submitted reports whether the response was sent in.
func (r *Response) Submitted() bool { return r.Status == ResponseSubmitted }

// TakenError says a municipality already has a draft or a submitted response.
type TakenError struct {
	Code      string
	Submitted bool
}

func (e *TakenError) Error() string {
	return fmt.Sprintf("municipality %s already has a response (submitted: %v)", e.Code, e.Submitted)
}

func (e *TakenError) Is(target error) bool { return target == ErrMunicipalityTaken }

// NewToken returns a fresh 256-bit secret for a resume link.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how a secret is stored: the database never holds a usable link.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartDraft creates an empty draft for survey and returns it with its resume token.
func StartDraft(db *gorm.DB, survey *Survey) (*Response, string, error) {
	if err := survey.Accepting(); err != nil {
		return nil, "", err
	}
	token := NewToken()
	r := Response{SurveyID: survey.ID, Status: ResponseDraft, TokenHash: HashToken(token)}
	if err := db.Create(&r).Error; err != nil {
		return nil, "", fmt.Errorf("start draft for %s: %w", survey.Slug, err)
	}
	return &r, token, nil
}

// FindResponse returns survey's response with resume token token.
func FindResponse(db *gorm.DB, survey *Survey, token string) (*Response, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	var r Response
	err := db.Where("token_hash = ? AND survey_id = ?", HashToken(token), survey.ID).Take(&r).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// AnswersOf returns the stored answers of response id, in the order they were saved.
func AnswersOf(db *gorm.DB, id uint) ([]Answer, error) {
	var as []Answer
	err := db.Where("response_id = ?", id).Order("id").Find(&as).Error
	return as, err
}

// SaveSection replaces the answers to section si of a draft. A municipality answer claims the
// municipality: the unique index turns a second claim into a *TakenError.
func SaveSection(db *gorm.DB, survey *Survey, r *Response, si int, answers []Answer) error {
	def, err := survey.Def()
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(def.Sections[si].Questions))
	for _, q := range def.Sections[si].Questions {
		codes = append(codes, q.Code)
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := checkWritable(tx, survey.ID, r.ID); err != nil {
			return err
		}
		if err := tx.Where("response_id = ? AND question IN ?", r.ID, codes).Delete(&Answer{}).Error; err != nil {
			return err
		}
		for i := range answers {
			answers[i].ID, answers[i].ResponseID = 0, r.ID
		}
		if len(answers) > 0 {
			if err := tx.Create(&answers).Error; err != nil {
				return err
			}
		}
		updates := map[string]any{"updated_at": now(), "reached": max(r.Reached, si+1)}
		if mq := def.MunicipalityQuestion(); containsString(codes, mq.Code) {
			updates["municipality_code"] = municipalityOf(answers, mq.Code)
		}
		err := tx.Model(&Response{}).Where("id = ?", r.ID).Updates(updates).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			code, _ := updates["municipality_code"].(*string)
			return takenBy(tx, survey.ID, *code)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save section %d of response %d: %w", si+1, r.ID, err)
	}
	r.Reached = max(r.Reached, si+1)
	return nil
}

// checkWritable refuses changes to a submitted response or in a survey that stopped accepting.
func checkWritable(tx *gorm.DB, surveyID, responseID uint) error {
	var state struct {
		SurveyStatus, ResponseStatus string
		ClosesAt                     *time.Time
	}
	err := tx.Raw(`SELECT s.status AS survey_status, r.status AS response_status, s.closes_at
		FROM responses r JOIN surveys s ON s.id = r.survey_id WHERE r.id = ? AND s.id = ?`, responseID, surveyID).Scan(&state).Error
	if err != nil {
		return err
	}
	if state.ResponseStatus == "" {
		return ErrNotFound
	}
	if state.ResponseStatus == ResponseSubmitted {
		return ErrAlreadySubmitted
	}
	s := Survey{Status: state.SurveyStatus, ClosesAt: state.ClosesAt}
	return s.Accepting()
}

func takenBy(tx *gorm.DB, surveyID uint, code string) error {
	var status string
	err := tx.Model(&Response{}).Select("status").Where("survey_id = ? AND municipality_code = ?", surveyID, code).Scan(&status).Error
	if err != nil {
		return err
	}
	return &TakenError{Code: code, Submitted: status == ResponseSubmitted}
}

func municipalityOf(answers []Answer, question string) *string {
	for _, a := range answers {
		if a.Question == question && a.Option != "" {
			code := a.Option
			return &code
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Submit turns a complete draft into a response. submissionID comes from the form that was
// submitted: the same id again (a double click, a retried POST) finds the response already
// submitted and succeeds without writing; another id gets ErrAlreadySubmitted.
func Submit(db *gorm.DB, survey *Survey, r *Response, submissionID string) error {
	def, err := survey.Def()
	if err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		var cur Response
		if err := tx.Where("id = ?", r.ID).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		if cur.Submitted() {
			if cur.SubmissionID != nil && *cur.SubmissionID == submissionID {
				*r = cur
				return nil
			}
			return ErrAlreadySubmitted
		}
		if err := checkWritable(tx, survey.ID, r.ID); err != nil {
			return err
		}
		answers, err := AnswersOf(tx, r.ID)
		if err != nil {
			return err
		}
		if len(def.Missing(answers)) > 0 {
			return ErrIncomplete
		}
		t, ref := now(), newReference()
		err = tx.Model(&Response{}).Where("id = ? AND status = ?", r.ID, ResponseDraft).Updates(map[string]any{
			"status": ResponseSubmitted, "submitted_at": t, "submission_id": submissionID, "reference": ref, "updated_at": t,
		}).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrAlreadySubmitted // the submission id belongs to another response
		}
		if err != nil {
			return err
		}
		if err := tallySubmitted(tx, survey, def, &cur, answers); err != nil {
			return err
		}
		cur.Status, cur.SubmittedAt, cur.SubmissionID, cur.Reference = ResponseSubmitted, &t, &submissionID, &ref
		*r = cur
		return nil
	})
	if err != nil {
		return fmt.Errorf("submit response %d: %w", r.ID, err)
	}
	return nil
}

// referenceAlphabet leaves out 0/O and 1/I so a reference can be read out over the phone.
var referenceAlphabet = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newReference returns a reference number such as "PL-7KQ4-MX2D".
func newReference() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := referenceAlphabet.EncodeToString(b) // 8 characters
	return "PL-" + s[:4] + "-" + s[4:]
}

// CountResponses returns the number of submitted responses and of drafts of a survey.
func CountResponses(db *gorm.DB, surveyID uint) (submitted, drafts int64, err error) {
	var rows []struct {
		Status string
		N      int64
	}
	err = db.Model(&Response{}).Select("status, COUNT(*) AS n").Where("survey_id = ?", surveyID).Group("status").Scan(&rows).Error
	for _, row := range rows {
		if row.Status == ResponseSubmitted {
			submitted = row.N
		} else {
			drafts += row.N
		}
	}
	return submitted, drafts, err
}
